#include "detect/detector.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "detect/rule_parser.h"
#include "detect/rule_set.h"

namespace wp::detect {
namespace {

struct Harness {
  explicit Harness(const std::vector<std::string>& texts) {
    RuleParser parser(RuleVars::suricata_defaults());
    std::vector<Rule> rules;
    int line = 1;
    for (const std::string& t : texts) {
      auto r = parser.parse(t, "test.rules", line++);
      EXPECT_TRUE(r.ok()) << t << ": " << (r.ok() ? "" : r.error().describe());
      if (r.ok()) rules.push_back(std::move(r.value()));
    }
    auto built = RuleSet::build(std::move(rules), ClassificationTable::defaults(), nullptr);
    EXPECT_TRUE(built.ok());
    set = built.value();
    detector = std::make_unique<Detector>(set, DetectorConfig{}, counters);
  }

  // sids that alert for `pkt`, in alert order.
  std::vector<std::uint32_t> sids(const decode::Packet& pkt, bool to_server = true,
                                  flow::Flow* f = nullptr) {
    flow::FlowRef ref{f, to_server, false};
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

TEST(Detector, EstablishedNeedsAnEstablishedFlow) {
  Harness h(
      {"alert tcp any any -> any any (msg:\"est\"; flow:established; content:\"x\"; sid:42;)"});
  flow::Flow f;
  f.proto = decode::kProtoTcp;
  f.tcp_state = flow::TcpState::kMidstream;
  EXPECT_EQ(h.sids(tcp_packet("x"), true, &f), Sids{});
  f.tcp_state = flow::TcpState::kEstablished;
  EXPECT_EQ(h.sids(tcp_packet("x"), true, &f), Sids{42});
  EXPECT_EQ(h.sids(tcp_packet("x"), true, nullptr), Sids{});
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

TEST(Detector, UdpRuleDoesNotSeeTcp) {
  Harness h({"alert udp any any -> any any (msg:\"u\"; content:\"x\"; sid:80;)"});
  EXPECT_EQ(h.sids(tcp_packet("x")), Sids{});
  const std::string payload = "x";  // outlives the packet view
  decode::Packet p = tcp_packet(payload);
  p.proto = decode::kProtoUdp;
  EXPECT_EQ(h.sids(p), Sids{80});
}

TEST(Detector, PathologicalBacktrackingIsBounded) {
  Harness h(
      {"alert tcp any any -> any any (msg:\"bt\"; content:\"a\"; content:\"a\"; distance:0; "
       "content:\"a\"; distance:0; content:\"b\"; distance:0; within:1; sid:90;)"});
  std::string many(2000, 'a');
  EXPECT_EQ(h.sids(tcp_packet(many)), Sids{});
  EXPECT_GE(h.counters.get("detect.recursion_limit"), 1u);
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
