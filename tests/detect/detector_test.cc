#include "detect/engine/detector.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "detect/rules/rule_parser.h"
#include "detect/compile/rule_set.h"
#include "support/rule_texts.h"
#include "detect/compile/threshold_config.h"

namespace wp::detect {
namespace {

struct Harness {
  explicit Harness(const std::vector<std::string>& texts) {
    RuleParser parser(RuleVars::suricata_defaults());
    auto built = RuleSet::build(wp::testing::parse_rule_texts(parser, texts),
                                ClassificationTable::defaults(), nullptr);
    EXPECT_TRUE(built.ok());
    set = built.value();
    detector = std::make_unique<Detector>(set, DetectorConfig{}, counters);
  }

  // sids that alert for `pkt`, in alert order.
  std::vector<std::uint32_t> sids(const decode::Packet& pkt, bool to_server = true,
                                  flow::Flow* f = nullptr, bool established = false) {
    flow::FlowRef ref{f, to_server, false, established};
    std::vector<std::uint32_t> out;
    for (std::uint32_t idx : detector->inspect(pkt, ref)) out.push_back(set->rules()[idx].rule.sid);
    return out;
  }

  Counters counters;
  std::shared_ptr<const RuleSet> set;
  std::unique_ptr<Detector> detector;
};

// The packet's payload view points into `payload`, which must outlive it.
decode::Packet tcp_packet(const std::string& payload, const char* src = "203.0.113.5",
                          std::uint16_t sport = 40000, const char* dst = "10.0.0.2",
                          std::uint16_t dport = 80) {
  decode::Packet p;
  p.ip_version = 4;
  p.src = *IpAddress::parse(src);
  p.dst = *IpAddress::parse(dst);
  p.proto = decode::kProtoTcp;
  p.sport = sport;
  p.dport = dport;
  p.ttl = 64;
  p.tcp_flags = decode::kTcpPsh | decode::kTcpAck;
  p.payload = {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()};
  return p;
}

using Sids = std::vector<std::uint32_t>;

// Content semantics, table-driven: (rule options, payload, alerts?).
struct ContentCase {
  const char* options;
  const char* payload;
  bool alerts;
};

class ContentSemantics : public ::testing::TestWithParam<ContentCase> {};

TEST_P(ContentSemantics, MatchesAsSuricataDoes) {
  const ContentCase& c = GetParam();
  Harness h({std::string("alert tcp any any -> any any (msg:\"t\"; ") + c.options + " sid:1;)"});
  std::string payload = c.payload;
  EXPECT_EQ(h.sids(tcp_packet(payload)), c.alerts ? Sids{1} : Sids{})
      << c.options << " on '" << c.payload << "'";
}

INSTANTIATE_TEST_SUITE_P(
    Detector, ContentSemantics,
    ::testing::Values(
        ContentCase{"content:\"evil\";", "an evil payload", true},
        ContentCase{"content:\"evil\";", "an EVIL payload", false},
        ContentCase{"content:\"evil\"; nocase;", "an EVIL payload", true},
        ContentCase{"content:\"|41 42|C\";", "xxABCxx", true},
        ContentCase{"content:\"GET\"; offset:0; depth:3;", "GET /", true},
        ContentCase{"content:\"GET\"; depth:3;", " GET /", false},
        ContentCase{"content:\"abc\"; offset:2;", "abcabc", true},
        ContentCase{"content:\"abc\"; offset:4;", "abcabc", false},
        ContentCase{"content:\"abc\"; offset:2; depth:3;", "xxabc", true},
        ContentCase{"content:\"abc\"; offset:2; depth:3;", "xxxabc", false},
        ContentCase{"content:\"a\"; content:\"b\"; distance:0;", "ab", true},
        ContentCase{"content:\"a\"; content:\"b\"; distance:1;", "ab", false},
        ContentCase{"content:\"a\"; content:\"b\"; distance:1;", "axb", true},
        ContentCase{"content:\"a\"; content:\"b\"; within:1;", "ab", true},
        ContentCase{"content:\"a\"; content:\"b\"; within:1;", "axb", false},
        ContentCase{"content:\"a\"; content:\"b\"; distance:1; within:1;", "axb", true},
        ContentCase{"content:\"a\"; content:\"b\"; distance:-1; within:2;", "ab", true},
        // The first "a" fails the relative check; the second occurrence is retried.
        ContentCase{"content:\"a\"; content:\"b\"; within:1;", "a--ab", true},
        ContentCase{"content:\"evil\"; content:!\"good\";", "evil only", true},
        ContentCase{"content:\"evil\"; content:!\"good\";", "evil and good", false},
        ContentCase{"content:\"evil\"; content:!\"good\"; distance:0; within:5;", "evil good",
                    false},
        ContentCase{"content:\"evil\"; content:!\"good\"; distance:0; within:5;", "evil....good",
                    true},
        ContentCase{"content:\"GET\"; startswith;", "GET /", true},
        ContentCase{"content:\"GET\"; startswith;", " GET /", false},
        ContentCase{"content:\"end\"; endswith;", "the end", true},
        ContentCase{"content:\"end\"; endswith;", "the end.", false},
        ContentCase{"content:\"x\"; isdataat:2,relative;", "x12", true},
        ContentCase{"content:\"x\"; isdataat:3,relative;", "x12", false},
        ContentCase{"content:\"x\"; isdataat:!1,relative;", "x", true},
        ContentCase{"content:\"a\"; isdataat:10;", "a123456789", false},
        ContentCase{"content:\"a\"; isdataat:9;", "a123456789", true},
        ContentCase{"content:\"user\"; pcre:\"/^user\\s+root/m\";", "x\nuser  root", true},
        ContentCase{"content:\"user\"; pcre:\"/^user\\s+root/\";", "x\nuser  root", false},
        ContentCase{"content:\"id=\"; pcre:\"/\\d+/R\";", "id=42", true},
        ContentCase{"content:\"id=\"; pcre:\"/^\\d+/R\";", "id=x42", false},
        ContentCase{"content:\"q\"; pcre:!\"/union\\s+select/i\";", "q=1", true},
        ContentCase{"content:\"q\"; pcre:!\"/union\\s+select/i\";", "q=UNION  SELECT", false},
        ContentCase{"content:\"abcdef\"; fast_pattern:2,3;", "abcdef", true},
        ContentCase{"content:\"abcdef\"; fast_pattern:2,3;", "xxcdexx", false},
        ContentCase{"dsize:>5; content:\"a\";", "aaaaaa", true},
        ContentCase{"dsize:>5; content:\"a\";", "aaaaa", false},
        ContentCase{"dsize:2<>4;", "abc", true}, ContentCase{"dsize:2<>4;", "ab", false}));

TEST(Detector, RulesWithoutContentMatchOnHeaderConditions) {
  Harness h({"alert tcp any any -> any any (msg:\"syn\"; flags:S; sid:10;)",
             "alert tcp any any -> any any (msg:\"ttl\"; ttl:<10; sid:11;)"});
  decode::Packet p = tcp_packet("");
  p.tcp_flags = decode::kTcpSyn;
  EXPECT_EQ(h.sids(p), Sids{10});
  p.tcp_flags = decode::kTcpSyn | decode::kTcpAck;
  p.ttl = 3;
  EXPECT_EQ(h.sids(p), Sids{11});
}

TEST(Detector, PortsAndAddressesRestrictTheRule) {
  Harness h({"alert tcp $EXTERNAL_NET any -> $HOME_NET 80 (msg:\"web\"; content:\"x\"; sid:20;)"});
  EXPECT_EQ(h.sids(tcp_packet("x")), Sids{20});
  EXPECT_EQ(h.sids(tcp_packet("x", "203.0.113.5", 40000, "10.0.0.2", 81)), Sids{});
  EXPECT_EQ(h.sids(tcp_packet("x", "10.0.0.9", 40000, "10.0.0.2", 80)), Sids{});
}

TEST(Detector, BidirectionalRuleMatchesEitherOrientation) {
  Harness h({"alert tcp 10.0.0.2 80 <> 203.0.113.5 any (msg:\"bi\"; content:\"x\"; sid:21;)"});
  EXPECT_EQ(h.sids(tcp_packet("x")), Sids{21});
  EXPECT_EQ(h.sids(tcp_packet("x", "10.0.0.2", 80, "203.0.113.5", 40000)), Sids{21});
}

TEST(Detector, AddressListRulesAreFoundThroughTheIndex) {
  std::string list = "[";
  for (int i = 1; i <= 250; ++i)
    list += (i > 1 ? "," : "") + std::string("198.51.100.") + std::to_string(i);
  list += ",192.0.2.0/24]";
  Harness h({"alert ip " + list + " any -> $HOME_NET any (msg:\"rep\"; sid:30;)",
             "alert ip $HOME_NET any -> [203.0.113.77] any (msg:\"rep out\"; sid:31;)"});
  EXPECT_EQ(h.set->stats().address_indexed, 2u);
  EXPECT_EQ(h.sids(tcp_packet("", "198.51.100.200")), Sids{30});
  EXPECT_EQ(h.sids(tcp_packet("", "192.0.2.99")), Sids{30});
  EXPECT_EQ(h.sids(tcp_packet("", "198.51.100.251")), Sids{});
  EXPECT_EQ(h.sids(tcp_packet("", "10.0.0.2", 80, "203.0.113.77", 1)), Sids{31});
  // The destination must still be in $HOME_NET.
  EXPECT_EQ(h.sids(tcp_packet("", "198.51.100.200", 1, "203.0.113.1", 2)), Sids{});
}

TEST(Detector, FlowDirectionFollowsTheFlowNotThePort) {
  Harness h({"alert tcp any any -> any any (msg:\"ts\"; flow:to_server; content:\"x\"; sid:40;)",
             "alert tcp any any -> any any (msg:\"tc\"; flow:to_client; content:\"x\"; sid:41;)"});
  EXPECT_EQ(h.sids(tcp_packet("x"), true), Sids{40});
  EXPECT_EQ(h.sids(tcp_packet("x"), false), Sids{41});
}

TEST(Detector, EstablishedFollowsThePacketsEstablishedFlag) {
  // flow:established reads what the flow/stream stages decided for this packet (FlowRef),
  // not the flow's state after it.
  Harness h(
      {"alert tcp any any -> any any (msg:\"est\"; flow:established; content:\"x\"; sid:42;)",
       "alert tcp any any -> any any (msg:\"not\"; flow:not_established; content:\"x\"; sid:43;)"});
  flow::Flow f;
  f.proto = decode::kProtoTcp;
  f.state = flow::FlowState::kEstablished;
  EXPECT_EQ(h.sids(tcp_packet("x"), true, &f, false), Sids{43});
  EXPECT_EQ(h.sids(tcp_packet("x"), true, &f, true), Sids{42});
  EXPECT_EQ(h.sids(tcp_packet("x"), true, nullptr), Sids{43});
}

TEST(Detector, PassRuleSuppressesThePacketsAlerts) {
  Harness h({"alert tcp any any -> any any (msg:\"a\"; content:\"x\"; sid:50;)",
             "pass tcp 203.0.113.5 any -> any any (msg:\"p\"; content:\"x\"; sid:51;)"});
  EXPECT_EQ(h.sids(tcp_packet("x")), Sids{});
  EXPECT_EQ(h.sids(tcp_packet("x", "203.0.113.6")), Sids{50});
}

TEST(Detector, NoalertRuleMatchesSilently) {
  Harness h({"alert tcp any any -> any any (msg:\"quiet\"; content:\"x\"; noalert; sid:52;)"});
  EXPECT_EQ(h.sids(tcp_packet("x")), Sids{});
  EXPECT_EQ(h.counters.get("detect.matches"), 1u);
}

TEST(Detector, AlertsComeInPriorityOrderAndAreCappedPerPacket) {
  std::vector<std::string> rules;
  for (int i = 0; i < 20; ++i) {
    rules.push_back("alert tcp any any -> any any (msg:\"m\"; content:\"x\"; priority:" +
                    std::to_string(i % 3 + 1) + "; sid:" + std::to_string(100 + i) + ";)");
  }
  Harness h(rules);
  Sids s = h.sids(tcp_packet("x"));
  ASSERT_EQ(s.size(), 15u);
  EXPECT_EQ(s[0], 100u);  // priority 1, lowest sid first
  EXPECT_EQ(h.counters.get("detect.alert_queue_overflow"), 5u);
}

TEST(Detector, SharedFastPatternReachesEveryRule) {
  Harness h({"alert tcp any any -> any any (msg:\"a\"; content:\"GET \"; content:\"/a\"; sid:60;)",
             "alert tcp any any -> any any (msg:\"b\"; content:\"GET \"; fast_pattern; "
             "content:\"/b\"; sid:61;)",
             "alert tcp any any -> any any (msg:\"c\"; content:\"GET \"; fast_pattern; "
             "content:\"/bb\"; sid:62;)"});
  EXPECT_EQ(h.sids(tcp_packet("GET /bb")), (Sids{61, 62}));
  EXPECT_EQ(h.sids(tcp_packet("GET /a")), Sids{60});
}

TEST(Detector, IcmpRulesMatchTypeAndCode) {
  Harness h({"alert icmp any any -> any any (msg:\"echo\"; itype:8; icode:0; sid:70;)"});
  decode::Packet p = tcp_packet("");
  p.proto = decode::kProtoIcmp;
  p.sport = p.dport = 0;
  p.icmp_type = 8;
  EXPECT_EQ(h.sids(p), Sids{70});
  p.icmp_type = 0;
  EXPECT_EQ(h.sids(p), Sids{});
}

TEST(Detector, FlowCountersCompareTheFlowsPacketsBytesAndAge) {
  Harness h({"alert tcp any any -> any any (msg:\"a\"; flow.pkts:toserver,>=3; sid:1;)",
             "alert tcp any any -> any any (msg:\"b\"; flow.bytes:both,>100; sid:2;)",
             "alert tcp any any -> any any (msg:\"c\"; flow.pkts_toclient:0; sid:3;)",
             "alert tcp any any -> any any (msg:\"d\"; flow.age:>60; sid:4;)",
             "alert tcp any any -> any any (msg:\"e\"; flow.bytes:either,1-10; sid:5;)"});
  flow::Flow f;
  f.first_seen = Timestamp{1000, 0};
  f.pkts_to_server = 2;
  f.bytes_to_server = 500;
  decode::Packet p = tcp_packet("");
  p.ts = Timestamp{1030, 0};
  EXPECT_EQ(h.sids(p, true, &f), Sids{3});
  f.pkts_to_server = 3;
  f.pkts_to_client = 1;
  f.bytes_to_client = 5;
  p.ts = Timestamp{1061, 0};
  EXPECT_EQ(h.sids(p, true, &f), (Sids{1, 4, 5}));
  f.bytes_to_client = 200;
  EXPECT_EQ(h.sids(p, true, &f), (Sids{1, 2, 4}));
  EXPECT_EQ(h.sids(p), Sids{}) << "no flow: no match";
}

// Suricata's IP-only rules (protocol ip, ports any, only addresses to test) match once per
// flow and direction; every other rule matches on each packet.
TEST(Detector, IpOnlyRulesMatchOncePerFlowAndDirection) {
  Harness h({"alert ip 203.0.113.0/24 any <> any any (msg:\"listed host\"; sid:1;)",
             "alert ip 203.0.113.0/24 any -> any 80 (msg:\"listed host, port 80\"; sid:2;)",
             "alert ip 203.0.113.0/24 any -> any any (msg:\"listed, ttl\"; ttl:64; sid:3;)"});
  flow::Flow f;
  decode::Packet p = tcp_packet("");
  EXPECT_EQ(h.sids(p, true, &f), (Sids{1, 2, 3}));
  EXPECT_EQ(h.sids(p, true, &f), (Sids{2, 3})) << "the IP-only rule matched this direction already";
  decode::Packet reply = tcp_packet("", "10.0.0.2", 80, "203.0.113.5", 40000);
  EXPECT_EQ(h.sids(reply, false, &f), Sids{1}) << "the other direction's first packet";
  EXPECT_EQ(h.sids(reply, false, &f), Sids{});
  flow::Flow other;
  EXPECT_EQ(h.sids(p, true, &other), (Sids{1, 2, 3})) << "another flow";
  EXPECT_EQ(h.sids(p), (Sids{1, 2, 3})) << "without a flow: each packet";
}

TEST(Detector, UdpRuleDoesNotSeeTcp) {
  Harness h({"alert udp any any -> any any (msg:\"u\"; content:\"x\"; sid:80;)"});
  EXPECT_EQ(h.sids(tcp_packet("x")), Sids{});
  const std::string payload = "x";  // outlives the packet view
  decode::Packet p = tcp_packet(payload);
  p.proto = decode::kProtoUdp;
  EXPECT_EQ(h.sids(p), Sids{80});
}

// PCRE2's match limit (100000) stops these patterns on a run of 'a's followed by '!': the
// payloads are built so that backtracking over the run exhausts the limit before PCRE2 gets to
// the bytes after it.
std::string crafted(const char* tail) { return std::string(40, 'a') + "!" + tail; }

struct PcreLimitCase {
  const char* name;
  const char* pcre;  // the rule's pcre option
  const char* tail;  // the payload is crafted(tail)
  bool alerts;
  std::uint64_t undecided;  // detect.pcre_match_limit_undecided afterwards
};

void PrintTo(const PcreLimitCase& c, std::ostream* os) {
  *os << c.pcre << " on crafted(\"" << c.tail << "\")";
}

class PcreMatchLimit : public ::testing::TestWithParam<PcreLimitCase> {};

TEST_P(PcreMatchLimit, IsCountedAndDecidedByHyperscanOrByNoForm) {
  const PcreLimitCase& c = GetParam();
  Harness h({std::string("alert tcp any any -> any any (msg:\"t\"; ") + c.pcre + " sid:1;)"});
  const std::string payload = crafted(c.tail);
  EXPECT_EQ(h.sids(tcp_packet(payload)), c.alerts ? Sids{1} : Sids{}) << c.pcre;
  EXPECT_GE(h.counters.get("detect.pcre_match_limit"), 1u);
  EXPECT_EQ(h.counters.get("detect.pcre_match_limit_undecided"), c.undecided);
}

// clang-format off
INSTANTIATE_TEST_SUITE_P(Detector, PcreMatchLimit, ::testing::Values(
    // "ab" after the run: a true match PCRE2 never reaches, Hyperscan finds.
    PcreLimitCase{"MatchBeyondTheLimitStillAlerts", "pcre:\"/(a+)+b/\";", "ab", true, 0},
    PcreLimitCase{"NegatedPatternWithAMatchBeyondTheLimitDoesNotAlert", "pcre:!\"/(a+)+b/\";", "ab", false, 0},
    PcreLimitCase{"CaselessFlagIsKeptByTheFallback", "pcre:\"/(A+)+B/i\";", "ab", true, 0},
    PcreLimitCase{"RelativeItemsContinueAfterTheFallbackMatch", "pcre:\"/(a+)+b/\"; content:\"c\"; distance:0; within:1;", "abc", true, 0},
    PcreLimitCase{"RelativeItemFailingAfterTheFallbackMatchDoesNotAlert", "pcre:\"/(a+)+b/\"; content:\"c\"; distance:0; within:1;", "abdc", false, 0},
    PcreLimitCase{"AnchoredPatternNeedsTheMatchAtTheStart", "pcre:\"/(a+)+b/A\";", "ab", false, 0},
    PcreLimitCase{"NegatedAnchoredPatternWithoutAMatchAtTheStartAlerts", "pcre:!\"/(a+)+b/A\";", "ab", true, 0},
    // Can match the empty string: Hyperscan decides it without start offsets. No match here.
    PcreLimitCase{"EmptyMatchingPatternWithoutAMatchDoesNotAlert", "pcre:\"/^(\\w+\\s?)*$/\";", "", false, 0},
    PcreLimitCase{"NegatedEmptyMatchingPatternWithoutAMatchAlerts", "pcre:!\"/^(\\w+\\s?)*$/\";", "", true, 0},
    // A backreference: Hyperscan cannot decide it, so neither form matches (and it is counted).
    PcreLimitCase{"BackreferencePatternIsUndecidedAndDoesNotAlert", "pcre:\"/(a+)+\\1b/\";", "aab", false, 1},
    PcreLimitCase{"NegatedBackreferencePatternIsUndecidedAndDoesNotAlert", "pcre:!\"/(a+)+\\1b/\";", "aab", false, 1}),
    [](const ::testing::TestParamInfo<PcreLimitCase>& info) { return std::string(info.param.name); });
// clang-format on

TEST(Detector, EveryLimitHitOfAPatternIsDecidedAndCounted) {
  Harness h({"alert tcp any any -> any any (msg:\"t\"; pcre:\"/(a+)+b/\"; sid:1;)"});
  const std::string hit = crafted("ab"), miss = crafted("ba");
  EXPECT_EQ(h.sids(tcp_packet(hit)), Sids{1});
  EXPECT_EQ(h.sids(tcp_packet(miss)), Sids{});
  EXPECT_EQ(h.sids(tcp_packet(hit)), Sids{1});
  EXPECT_EQ(h.counters.get("detect.pcre_match_limit"), 3u);
}

TEST(Detector, PcreWithinItsLimitIsNotCounted) {
  Harness h({"alert tcp any any -> any any (msg:\"t\"; pcre:\"/(a+)+b/\"; sid:1;)"});
  const std::string payload = "aaab";
  EXPECT_EQ(h.sids(tcp_packet(payload)), Sids{1});
  EXPECT_EQ(h.counters.get("detect.pcre_match_limit"), 0u);
}

TEST(Detector, PathologicalBacktrackingIsBounded) {
  Harness h(
      {"alert tcp any any -> any any (msg:\"bt\"; content:\"a\"; content:\"a\"; distance:0; "
       "content:\"a\"; distance:0; content:\"b\"; distance:0; within:1; sid:90;)"});
  std::string many(2000, 'a');
  EXPECT_EQ(h.sids(tcp_packet(many)), Sids{});
  EXPECT_GE(h.counters.get("detect.recursion_limit"), 1u);
}

TEST(Detector, AContentAbsentAfterTheCursorIsNotSearchedAgainForEachEarlierOccurrence) {
  // ET's file.data rules have this shape (a common word, then a rarer one after it): each
  // of the 2,000 "powershell" would search the rest of the payload for "-w 1" again, and the
  // recursion limit would end the rule before the last one.
  Harness h(
      {"alert tcp any any -> any any (msg:\"ps\"; content:\"powershell\"; nocase; "
       "content:\"-w 1\"; nocase; distance:0; sid:91;)",
       "alert tcp any any -> any any (msg:\"ps2\"; content:\"powershell\"; nocase; "
       "content:\"-W 1\"; nocase; distance:0; sid:92;)"});
  std::string body;
  for (int i = 0; i < 2000; ++i) body += "PowerShell ";
  EXPECT_EQ(h.sids(tcp_packet(body)), Sids{});
  EXPECT_EQ(h.counters.get("detect.recursion_limit"), 0u);
  body += "-w 1";
  EXPECT_EQ(h.sids(tcp_packet(body)), (Sids{91, 92}));
  EXPECT_EQ(h.counters.get("detect.recursion_limit"), 0u);
}

}  // namespace
}  // namespace wp::detect

namespace wp::detect {
namespace {

TEST(DetectorIpopts, AnyMatchesWhicheverOptionIsPresent) {
  Harness h({"alert ip any any -> any any (msg:\"opts\"; ipopts:any; sid:95;)",
             "alert ip any any -> any any (msg:\"lsrr\"; ipopts:lsrr; sid:96;)"});
  decode::Packet p = tcp_packet("");
  EXPECT_EQ(h.sids(p), Sids{});
  p.ipv4_options = decode::kIpoptRr;
  EXPECT_EQ(h.sids(p), Sids{95});
  p.ipv4_options = decode::kIpoptLsrr;
  EXPECT_EQ(h.sids(p), (Sids{95, 96}));
}

}  // namespace
}  // namespace wp::detect

// ---------------------------------------------------------------------------------------
// Flow and host state (flowint, xbits), threshold.config, ip/pkthdr rules, tag/target.

namespace wp::detect {
namespace {

// Rules (and an optional threshold.config) through the real parser, RuleSet and Detector;
// packets carry a time and may belong to a flow.
struct StateHarness {
  explicit StateHarness(const std::vector<std::string>& texts, const std::string& thresholds = "") {
    RuleParser parser(RuleVars::suricata_defaults());
    std::vector<Rule> rules = wp::testing::parse_rule_texts(parser, texts);
    ThresholdConfigResult tc = parse_threshold_config(thresholds, "threshold.config", parser);
    EXPECT_TRUE(tc.errors.empty()) << tc.errors[0];
    auto built = RuleSet::build(std::move(rules), ClassificationTable::defaults(), nullptr,
                                thresholds.empty() ? nullptr : &tc.config);
    EXPECT_TRUE(built.ok());
    set = built.value();
    DetectorConfig config;
    config.xbits_capacity = 1024;
    detector = std::make_unique<Detector>(set, config, counters);
  }

  Sids sids(decode::Packet p, std::int64_t sec = 1000, flow::Flow* f = nullptr) {
    p.ts.sec = sec;
    flow::FlowRef ref{f, true, false};
    Sids out;
    for (std::uint32_t idx : detector->inspect(p, ref)) out.push_back(set->rules()[idx].rule.sid);
    return out;
  }

  Counters counters;
  std::shared_ptr<const RuleSet> set;
  std::unique_ptr<Detector> detector;
};

std::string opts(std::uint32_t sid, const std::string& options) {
  return "alert tcp any any -> any any (msg:\"m\"; " + options + " sid:" + std::to_string(sid) +
         ";)";
}

// One step: a packet with this payload on the flow, and the sids that must alert.
struct Step {
  std::string payload;
  Sids alerts;
};

struct FlowintCase {
  const char* name;
  std::vector<std::string> rules;
  std::vector<Step> steps;
};

class FlowintSemantics : public ::testing::TestWithParam<FlowintCase> {};

TEST_P(FlowintSemantics, MatchesAsSuricataDoes) {
  const FlowintCase& c = GetParam();
  StateHarness h(c.rules);
  flow::Flow f;
  for (std::size_t i = 0; i < c.steps.size(); ++i) {
    EXPECT_EQ(h.sids(tcp_packet(c.steps[i].payload), 1000, &f), c.steps[i].alerts)
        << c.name << ", step " << i << " ('" << c.steps[i].payload << "')";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Detector, FlowintSemantics,
    ::testing::Values(
        FlowintCase{"set then equal",
                    {opts(1, "content:\"set\"; flowint:n,=,5; noalert;"),
                     opts(2, "content:\"chk\"; flowint:n,==,5;")},
                    {{"chk", {}}, {"set", {}}, {"chk", {2}}}},
        FlowintCase{"add creates the variable and accumulates",
                    {opts(1, "content:\"inc\"; flowint:n,+,2; noalert;"),
                     opts(2, "content:\"chk\"; flowint:n,>=,4;")},
                    {{"chk", {}}, {"inc", {}}, {"chk", {}}, {"inc", {}}, {"chk", {2}}}},
        FlowintCase{"subtract on an unset variable leaves it unset",
                    {opts(1, "content:\"dec\"; flowint:n,-,1; noalert;"),
                     opts(2, "content:\"chk\"; flowint:n,isset;"),
                     opts(3, "content:\"chk\"; flowint:n,notset;")},
                    {{"dec", {}}, {"chk", {3}}}},
        FlowintCase{"subtract and less than",
                    {opts(1, "content:\"set\"; flowint:n,=,10; noalert;"),
                     opts(2, "content:\"dec\"; flowint:n,-,3; noalert;"),
                     opts(3, "content:\"chk\"; flowint:n,<,8;"),
                     opts(4, "content:\"chk\"; flowint:n,<=,7;"),
                     opts(5, "content:\"chk\"; flowint:n,!=,10;")},
                    {{"set", {}}, {"chk", {}}, {"dec", {}}, {"chk", {3, 4, 5}}}},
        FlowintCase{
            "greater than and isnotset",
            {opts(1, "content:\"set\"; flowint:n,=,3; noalert;"),
             opts(2, "content:\"chk\"; flowint:n,>,2;"), opts(3, "content:\"chk\"; flowint:n,>,3;"),
             opts(4, "content:\"chk\"; flowint:n,isnotset;")},
            {{"chk", {4}}, {"set", {}}, {"chk", {2}}}},
        FlowintCase{"compared with another flowint, unset counts as 0",
                    {opts(1, "content:\"a\"; flowint:a,=,3; noalert;"),
                     opts(2, "content:\"b\"; flowint:b,=,2; noalert;"),
                     opts(3, "content:\"chk\"; flowint:b,>,a;")},
                    {{"b", {}}, {"chk", {3}}, {"a", {}}, {"chk", {}}}},
        FlowintCase{"set from another flowint",
                    {opts(1, "content:\"a\"; flowint:a,=,7; noalert;"),
                     opts(2, "content:\"copy\"; flowint:c,=,a; noalert;"),
                     opts(3, "content:\"chk\"; flowint:c,==,7;")},
                    {{"a", {}}, {"copy", {}}, {"chk", {3}}}},
        FlowintCase{"actions run after the conditions, only when the rule matches",
                    {opts(1, "content:\"x\"; flowint:n,isset; flowint:n,+,1; flowint:n,>,1;"),
                     opts(2, "content:\"start\"; flowint:n,=,1; noalert;")},
                    {{"x", {}}, {"start", {}}, {"x", {}}, {"x", {}}}},
        FlowintCase{"counting rule then threshold rule (Suricata's login example)",
                    {opts(1, "content:\"fail\"; flowint:fails,notset; flowint:fails,=,1; noalert;"),
                     opts(2, "content:\"fail\"; flowint:fails,isset; flowint:fails,+,1; noalert;"),
                     opts(3, "content:\"fail\"; flowint:fails,isset; flowint:fails,>,3;")},
                    // A packet runs the rules in order: on the first one, 1 sets 1 and 2 adds 1
                    // (2), then 2 adds 1 per packet; 3 checks before 2 adds on the next one.
                    {{"fail", {}}, {"fail", {}}, {"fail", {3}}, {"fail", {3}}}},
        FlowintCase{"unsigned 32-bit arithmetic wraps",
                    {opts(1, "content:\"zero\"; flowint:n,=,0; noalert;"),
                     opts(2, "content:\"dec\"; flowint:n,-,1; noalert;"),
                     opts(3, "content:\"chk\"; flowint:n,==,4294967295;")},
                    {{"zero", {}}, {"dec", {}}, {"chk", {3}}}}));

TEST(DetectorFlowint, NeedsAFlow) {
  StateHarness h(
      {opts(1, "content:\"x\"; flowint:n,notset;"), opts(2, "content:\"x\"; flowint:n,=,1;")});
  EXPECT_EQ(h.sids(tcp_packet("x"), 1000, nullptr), Sids{2});  // no flow: conditions fail
}

TEST(DetectorFlowint, AFlowHoldsAtMostFourVariablesAndCountsTheRest) {
  StateHarness h({opts(1,
                       "content:\"x\"; flowint:a,=,1; flowint:b,=,1; flowint:c,=,1; "
                       "flowint:d,=,1; flowint:e,=,1; noalert;"),
                  opts(2, "content:\"y\"; flowint:d,isset; flowint:e,notset;")});
  flow::Flow f;
  EXPECT_EQ(h.sids(tcp_packet("x"), 1000, &f), Sids{});
  EXPECT_EQ(f.flowint_count, flow::Flow::kMaxFlowints);
  EXPECT_EQ(h.counters.get("detect.flowint_full"), 1u);
  EXPECT_EQ(h.sids(tcp_packet("y"), 1000, &f), Sids{2});
  // Another flow starts empty.
  flow::Flow other;
  EXPECT_EQ(h.sids(tcp_packet("y"), 1000, &other), Sids{});
}

// xbits: (rules, steps with addresses and times).
struct XStep {
  const char* payload;
  const char* src;
  const char* dst;
  std::int64_t sec;
  Sids alerts;
};

struct XbitsCase {
  const char* name;
  std::vector<std::string> rules;
  std::vector<XStep> steps;
};

class XbitsSemantics : public ::testing::TestWithParam<XbitsCase> {};

TEST_P(XbitsSemantics, MatchesAsSuricataDoes) {
  const XbitsCase& c = GetParam();
  StateHarness h(c.rules);
  for (std::size_t i = 0; i < c.steps.size(); ++i) {
    const XStep& s = c.steps[i];
    // Each packet is its own flow: xbits live on hosts, not flows.
    flow::Flow f;
    EXPECT_EQ(h.sids(tcp_packet(s.payload, s.src, 40000, s.dst, 80), s.sec, &f), s.alerts)
        << c.name << ", step " << i;
  }
}

constexpr const char* kA = "192.0.2.1";
constexpr const char* kB = "10.0.0.2";
constexpr const char* kC = "10.0.0.3";

INSTANTIATE_TEST_SUITE_P(
    Detector, XbitsSemantics,
    ::testing::Values(
        XbitsCase{"ip_src bit belongs to the sending host",
                  {opts(1, "content:\"set\"; xbits:set,scan,track ip_src; noalert;"),
                   opts(2, "content:\"chk\"; xbits:isset,scan,track ip_src;")},
                  {{"chk", kA, kB, 100, {}},
                   {"set", kA, kB, 100, {}},
                   {"chk", kA, kC, 101, {2}},
                   {"chk", kB, kA, 101, {}}}},
        XbitsCase{"a host bit set as source is seen as destination",
                  {opts(1, "content:\"set\"; xbits:set,bad,track ip_src; noalert;"),
                   opts(2, "content:\"chk\"; xbits:isset,bad,track ip_dst;")},
                  {{"set", kA, kB, 100, {}}, {"chk", kB, kA, 101, {2}}, {"chk", kA, kB, 101, {}}}},
        XbitsCase{"ip_pair bit is the pair's in both directions only",
                  {opts(1, "content:\"set\"; xbits:set,p,track ip_pair; noalert;"),
                   opts(2, "content:\"chk\"; xbits:isset,p,track ip_pair;")},
                  {{"set", kA, kB, 100, {}},
                   {"chk", kB, kA, 101, {2}},
                   {"chk", kA, kB, 101, {2}},
                   {"chk", kA, kC, 101, {}}}},
        XbitsCase{"bits expire in packet time, 30 s by default",
                  {opts(1, "content:\"set\"; xbits:set,d,track ip_src; noalert;"),
                   opts(2, "content:\"long\"; xbits:set,l,track ip_src,expire 3600; noalert;"),
                   opts(3, "content:\"chk\"; xbits:isset,d,track ip_src;"),
                   opts(4, "content:\"chk\"; xbits:isset,l,track ip_src;")},
                  {{"set", kA, kB, 100, {}},
                   {"long", kA, kB, 100, {}},
                   {"chk", kA, kB, 129, {3, 4}},
                   {"chk", kA, kB, 130, {4}},
                   {"chk", kA, kB, 3700, {}}}},
        XbitsCase{"unset, toggle and isnotset",
                  {opts(1, "content:\"set\"; xbits:set,t,track ip_src; noalert;"),
                   opts(2, "content:\"unset\"; xbits:unset,t,track ip_src; noalert;"),
                   opts(3, "content:\"toggle\"; xbits:toggle,t,track ip_src; noalert;"),
                   opts(4, "content:\"chk\"; xbits:isnotset,t,track ip_src;")},
                  {{"chk", kA, kB, 100, {4}},
                   {"set", kA, kB, 100, {}},
                   {"chk", kA, kB, 100, {}},
                   {"unset", kA, kB, 100, {}},
                   {"chk", kA, kB, 100, {4}},
                   {"toggle", kA, kB, 100, {}},
                   {"chk", kA, kB, 100, {}},
                   {"toggle", kA, kB, 100, {}},
                   {"chk", kA, kB, 100, {4}}}},
        XbitsCase{"xbits and flowbits are separate names",
                  {opts(1, "content:\"set\"; flowbits:set,same; noalert;"),
                   opts(2, "content:\"chk\"; xbits:isset,same,track ip_src;")},
                  {{"set", kA, kB, 100, {}}, {"chk", kA, kB, 100, {}}}}));

TEST(DetectorXbits, WorkWithoutAFlow) {
  StateHarness h({opts(1, "content:\"set\"; xbits:set,x,track ip_src; noalert;"),
                  opts(2, "content:\"chk\"; xbits:isset,x,track ip_src;")});
  EXPECT_EQ(h.sids(tcp_packet("set"), 100, nullptr), Sids{});
  EXPECT_EQ(h.sids(tcp_packet("chk"), 100, nullptr), Sids{2});
}

TEST(DetectorXbits, AFullTableIsCounted) {
  StateHarness h({opts(1, "content:\"set\"; xbits:set,x,track ip_src,expire 600; noalert;")});
  for (std::uint32_t i = 0; i < 2000; ++i) {
    const std::string src = IpAddress::v4(0xC6336400u + i).to_string();
    h.sids(tcp_packet("set", src.c_str()), 100, nullptr);
  }
  EXPECT_GE(h.counters.get("detect.xbits_full"), 2000u - 1024u);
}

// threshold.config in the detector.
struct FilterCase {
  const char* name;
  std::vector<std::string> rules;
  const char* thresholds;
  std::vector<XStep> steps;
};

class ThresholdConfigSemantics : public ::testing::TestWithParam<FilterCase> {};

TEST_P(ThresholdConfigSemantics, FiltersAlertsAsSuricataDoes) {
  const FilterCase& c = GetParam();
  StateHarness h(c.rules, c.thresholds);
  flow::Flow f;  // one flow for flowbits across steps
  for (std::size_t i = 0; i < c.steps.size(); ++i) {
    const XStep& s = c.steps[i];
    EXPECT_EQ(h.sids(tcp_packet(s.payload, s.src, 40000, s.dst, 80), s.sec, &f), s.alerts)
        << c.name << ", step " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Detector, ThresholdConfigSemantics,
    ::testing::Values(
        FilterCase{"suppress without track silences the rule",
                   {opts(1, "content:\"x\";"), opts(2, "content:\"x\";")},
                   "suppress gen_id 1, sig_id 1\n",
                   {{"x", kA, kB, 100, {2}}}},
        FilterCase{"suppress by_src with a CIDR",
                   {opts(1, "content:\"x\";")},
                   "suppress gen_id 1, sig_id 1, track by_src, ip 192.0.2.0/24\n",
                   {{"x", kA, kB, 100, {}}, {"x", "198.51.100.1", kB, 100, {1}}}},
        FilterCase{"suppress by_dst with a variable",
                   {opts(1, "content:\"x\";")},
                   "suppress gen_id 1, sig_id 1, track by_dst, ip $HOME_NET\n",
                   {{"x", kA, kB, 100, {}}, {"x", kB, kA, 100, {1}}}},
        FilterCase{
            "suppress by_either with a list",
            {opts(1, "content:\"x\";")},
            "suppress gen_id 1, sig_id 1, track by_either, ip [10.0.0.2,10.0.0.3]\n",
            {{"x", kA, kB, 100, {}}, {"x", kC, kA, 100, {}}, {"x", kA, "10.0.0.4", 100, {1}}}},
        FilterCase{"gen_id 0, sig_id 0 applies to every rule",
                   {opts(1, "content:\"x\";"), opts(2, "content:\"x\";")},
                   "suppress gen_id 0, sig_id 0, track by_src, ip 192.0.2.1\n",
                   {{"x", kA, kB, 100, {}}, {"x", kC, kB, 100, {1, 2}}}},
        FilterCase{
            "event_filter replaces the rule's own threshold",
            {opts(1,
                  "content:\"x\"; threshold:type threshold, track by_src, count 5, "
                  "seconds 60;")},
            "event_filter gen_id 1, sig_id 1, type limit, track by_src, count 1, seconds 60\n",
            {{"x", kA, kB, 100, {1}}, {"x", kA, kB, 101, {}}, {"x", kA, kB, 161, {1}}}},
        FilterCase{
            "a wildcard event_filter leaves the rule's own threshold",
            {opts(1,
                  "content:\"x\"; threshold:type limit, track by_src, count 2, "
                  "seconds 60;"),
             opts(2, "content:\"x\";")},
            "event_filter gen_id 0, sig_id 0, type limit, track by_rule, count 1, seconds 60\n",
            {{"x", kA, kB, 100, {1, 2}},
             {"x", kC, kB, 100, {1}},
             {"x", kA, kB, 100, {1}},
             {"x", kA, kB, 100, {}}}},
        FilterCase{"suppressed matches do not count towards the threshold",
                   {opts(1,
                         "content:\"x\"; threshold:type threshold, track by_dst, count 2, "
                         "seconds 60;")},
                   "suppress gen_id 1, sig_id 1, track by_src, ip 192.0.2.1\n",
                   {{"x", kA, kB, 100, {}},
                    {"x", kA, kB, 100, {}},
                    {"x", kC, kB, 100, {}},
                    {"x", kC, kB, 100, {1}}}},
        FilterCase{"a suppressed rule still sets its flowbits",
                   {opts(1, "content:\"login\"; flowbits:set,seen;"),
                    opts(2, "content:\"x\"; flowbits:isset,seen;")},
                   "suppress gen_id 1, sig_id 1\n",
                   {{"login", kA, kB, 100, {}}, {"x", kA, kB, 100, {2}}}}));

TEST(DetectorThresholdConfig, CountsSuppressedAlerts) {
  StateHarness h({opts(1, "content:\"x\";")}, "suppress gen_id 1, sig_id 1\n");
  EXPECT_EQ(h.sids(tcp_packet("x")), Sids{});
  EXPECT_EQ(h.counters.get("detect.suppressed"), 1u);
  EXPECT_EQ(h.counters.get("detect.matches"), 1u);
}

// ip and pkthdr rules match every IP protocol, IPv4 and IPv6.
TEST(DetectorIpRules, IpAndPkthdrMatchAnyIpProtocol) {
  StateHarness h({"alert ip any any -> any any (msg:\"ip\"; sid:1;)",
                  "alert pkthdr any any -> any any (msg:\"pkthdr\"; sid:2;)",
                  "alert ip any any -> any any (msg:\"ip content\"; content:\"evil\"; sid:3;)",
                  "alert ip any any -> any any (msg:\"gre\"; ip_proto:gre; sid:4;)",
                  "alert ip any 53 -> any any (msg:\"port\"; sid:5;)"});
  struct Case {
    const char* what;
    std::uint8_t proto;
    const char* src;
    const char* dst;
    std::uint16_t sport;
    Sids alerts;
  };
  const Case cases[] = {
      {"tcp", decode::kProtoTcp, kA, kB, 40000, {1, 2}},
      {"udp from port 53", decode::kProtoUdp, kA, kB, 53, {1, 2, 5}},
      {"icmp", decode::kProtoIcmp, kA, kB, 0, {1, 2}},
      {"icmpv6", decode::kProtoIcmpv6, "2001:db8::1", "2001:db8::2", 0, {1, 2}},
      {"tcp over ipv6", decode::kProtoTcp, "2001:db8::1", "2001:db8::2", 40000, {1, 2}},
      {"gre", 47, kA, kB, 0, {1, 2, 4}},
      {"esp", 50, kA, kB, 0, {1, 2}},
  };
  for (const Case& c : cases) {
    decode::Packet p = tcp_packet("", c.src, c.sport, c.dst, 80);
    p.proto = c.proto;
    if (!p.has_ports()) p.sport = p.dport = 0;
    p.ip_version = std::string(c.src).find(':') != std::string::npos ? 6 : 4;
    EXPECT_EQ(h.sids(p), c.alerts) << c.what;
  }
  const std::string payload = "an evil payload";
  decode::Packet udp = tcp_packet(payload);
  udp.proto = decode::kProtoUdp;
  EXPECT_EQ(h.sids(udp), (Sids{1, 2, 3}));
}

TEST(DetectorIpRules, TagAndTargetDoNotChangeMatching) {
  StateHarness h({opts(1, "content:\"x\"; tag:session,10,packets; target:dest_ip;"),
                  opts(2, "content:\"x\"; tag:host,60,seconds,src; target:src_ip;")});
  EXPECT_EQ(h.sids(tcp_packet("x")), (Sids{1, 2}));
}

}  // namespace
}  // namespace wp::detect
