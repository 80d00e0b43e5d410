// Engine generations and the host state shared by workers: several Detectors (per-worker
// contexts) over one HostState raise what one Detector raises; a reload (the next
// generation compiled with the same NameTable) keeps threshold counts and flow variables.
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "detect/compile/names.h"
#include "detect/compile/rule_set.h"
#include "detect/engine/detector.h"
#include "detect/engine/host_state.h"
#include "detect/rules/rule_parser.h"
#include "support/rule_texts.h"

namespace wp::detect {
namespace {

using Sids = std::vector<std::uint32_t>;

std::string opts(std::uint32_t sid, const std::string& options) {
  return "alert tcp any any -> any any (msg:\"m\"; " + options + " sid:" + std::to_string(sid) +
         ";)";
}

std::shared_ptr<const RuleSet> build(const std::vector<std::string>& texts,
                                     std::shared_ptr<NameTable> names = nullptr) {
  RuleParser parser(RuleVars::suricata_defaults());
  auto built =
      RuleSet::build(wp::testing::parse_rule_texts(parser, texts), ClassificationTable::defaults(),
                     nullptr, nullptr, nullptr, std::move(names));
  EXPECT_TRUE(built.ok()) << (built.ok() ? "" : built.error().describe());
  return built.ok() ? built.value() : nullptr;
}

// One packet of the test traffic: payload, source, destination, packet time.
struct Step {
  std::string payload;
  std::string src;
  std::string dst;
  std::int64_t sec;
};

decode::Packet packet(const Step& s) {
  decode::Packet p;
  p.ip_version = 4;
  p.src = *IpAddress::parse(s.src);
  p.dst = *IpAddress::parse(s.dst);
  p.proto = decode::kProtoTcp;
  p.sport = 40000;
  p.dport = 80;
  p.ttl = 64;
  p.tcp_flags = decode::kTcpPsh | decode::kTcpAck;
  p.ts.sec = s.sec;
  p.payload = {reinterpret_cast<const std::uint8_t*>(s.payload.data()), s.payload.size()};
  return p;
}

Sids inspect(Detector& d, const Step& s, flow::Flow* f = nullptr) {
  Sids out;
  for (std::uint32_t idx : d.inspect(packet(s), flow::FlowRef{f, true, false})) {
    out.push_back(d.rule_set().rules()[idx].rule.sid);
  }
  return out;
}

// Rules whose state is shared by hosts across flows: every kind of threshold and tracking,
// detection_filter, and xbits set on one flow and tested on another.
const std::vector<std::string> kHostRules = {
    opts(1, "content:\"lim\"; threshold:type limit,track by_src,count 2,seconds 60;"),
    opts(2, "content:\"thr\"; threshold:type threshold,track by_dst,count 3,seconds 60;"),
    opts(3, "content:\"both\"; threshold:type both,track by_both,count 2,seconds 60;"),
    opts(4, "content:\"rule\"; threshold:type limit,track by_rule,count 3,seconds 60;"),
    opts(5, "content:\"df\"; detection_filter:track by_src,count 2,seconds 60;"),
    opts(6, "content:\"mark\"; xbits:set,scanner,track ip_src,expire 60; noalert;"),
    opts(7, "content:\"probe\"; xbits:isset,scanner,track ip_src;"),
};

// Traffic from several hosts to several servers, each packet its own flow.
std::vector<Step> host_traffic() {
  const char* srcs[] = {"192.0.2.1", "192.0.2.2", "192.0.2.3"};
  const char* dsts[] = {"10.0.0.1", "10.0.0.2"};
  const char* payloads[] = {"lim", "thr", "both", "rule", "df", "probe", "mark", "probe"};
  std::vector<Step> steps;
  std::int64_t sec = 1000;
  for (int round = 0; round < 6; ++round) {
    for (const char* p : payloads) {
      for (const char* s : srcs) {
        for (const char* d : dsts) steps.push_back({p, s, d, sec});
      }
      sec += 7;  // crosses the 60 s windows during the run
    }
  }
  return steps;
}

// (step index, sid) of every alert.
using Raised = std::vector<std::pair<std::size_t, std::uint32_t>>;

TEST(EngineHostState, TwoContextsSharingItRaiseWhatOneRaises) {
  const auto set = build(kHostRules);
  ASSERT_NE(set, nullptr);
  const std::vector<Step> steps = host_traffic();

  Counters one_counters;
  Detector one(set, DetectorConfig{}, one_counters);
  Raised alone;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    for (std::uint32_t sid : inspect(one, steps[i])) alone.emplace_back(i, sid);
  }

  // Two workers, one host state; the packets reach them interleaved.
  auto host = std::make_shared<HostState>();
  Counters c0, c1;
  Detector w0(set, DetectorConfig{}, c0, host);
  Detector w1(set, DetectorConfig{}, c1, host);
  Raised shared;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    for (std::uint32_t sid : inspect(i % 2 == 0 ? w0 : w1, steps[i])) shared.emplace_back(i, sid);
  }

  EXPECT_EQ(shared, alone);
  // Every rule took part, and thresholds held some matches back.
  for (std::uint32_t sid = 1; sid <= 7; ++sid) {
    if (sid == 6) continue;  // noalert
    EXPECT_TRUE(
        std::any_of(alone.begin(), alone.end(), [&](const auto& a) { return a.second == sid; }))
        << "sid " << sid;
  }
  EXPECT_GT(one_counters.get("detect.thresholded"), 0u);
  EXPECT_EQ(c0.get("detect.thresholded") + c1.get("detect.thresholded"),
            one_counters.get("detect.thresholded"));
}

TEST(EngineHostState, SeparateHostStatesDoNotShareCounts) {
  // The control for the test above: without sharing, each worker counts on its own and a
  // limit lets more alerts through.
  const auto set =
      build({opts(1, "content:\"lim\"; threshold:type limit,track by_src,count 1,seconds 60;")});
  Counters c0, c1;
  Detector w0(set, DetectorConfig{}, c0);
  Detector w1(set, DetectorConfig{}, c1);
  const Step s{"lim", "192.0.2.1", "10.0.0.1", 1000};
  EXPECT_EQ(inspect(w0, s), Sids{1});
  EXPECT_EQ(inspect(w1, s), Sids{1});
  auto host = std::make_shared<HostState>();
  Counters c2, c3;
  Detector w2(set, DetectorConfig{}, c2, host);
  Detector w3(set, DetectorConfig{}, c3, host);
  EXPECT_EQ(inspect(w2, s), Sids{1});
  EXPECT_EQ(inspect(w3, s), Sids{});
}

const std::vector<std::string> kSessionRules = {
    opts(10, "content:\"USER\"; flowbits:set,logged_in; flowint:cmds,=,1; noalert;"),
    opts(11, "content:\"PASS\"; flowbits:isset,logged_in;"),
    opts(12, "content:\"CMD\"; flowint:cmds,+,1; noalert;"),
    opts(16, "content:\"CHK\"; flowint:cmds,==,3;"),
    opts(13, "content:\"hit\"; threshold:type limit,track by_src,count 2,seconds 600;"),
    opts(14, "content:\"mark\"; xbits:set,seen,track ip_src,expire 600; noalert;"),
    opts(15, "content:\"probe\"; xbits:isset,seen,track ip_src;"),
};

TEST(EngineGeneration, ReloadKeepsThresholdCountsFlowVariablesAndXbits) {
  const auto gen1 = build(kSessionRules);
  ASSERT_NE(gen1, nullptr);
  Counters counters;
  Detector d(gen1, DetectorConfig{}, counters);
  flow::Flow f;
  const std::string a = "192.0.2.1", b = "10.0.0.1";
  EXPECT_EQ(inspect(d, {"USER x", a, b, 100}, &f), Sids{});
  EXPECT_EQ(inspect(d, {"CMD", a, b, 101}, &f), Sids{});  // cmds = 2
  EXPECT_EQ(inspect(d, {"CHK", a, b, 101}, &f), Sids{});
  EXPECT_EQ(inspect(d, {"hit", a, b, 102}, &f), Sids{13});
  EXPECT_EQ(inspect(d, {"hit", a, b, 103}, &f), Sids{13});
  EXPECT_EQ(inspect(d, {"mark", a, b, 104}, &f), Sids{});

  // The next generation: the same rules and one more, which names new variables and comes
  // first, so a fresh name table would have given it the ids 0.
  std::vector<std::string> texts = {opts(
      20, "content:\"new\"; flowbits:set,other; flowint:other,=,7; xbits:set,other,track ip_src;")};
  texts.insert(texts.end(), kSessionRules.begin(), kSessionRules.end());
  const auto gen2 = build(texts, gen1->names());
  ASSERT_NE(gen2, nullptr);
  EXPECT_GT(gen2->generation(), gen1->generation());
  EXPECT_EQ(gen2->names(), gen1->names());
  d.switch_to(gen2);

  EXPECT_EQ(inspect(d, {"hit", a, b, 105}, &f), Sids{});           // the limit's count survived
  EXPECT_EQ(inspect(d, {"PASS", a, b, 106}, &f), Sids{11});        // the flowbit survived
  EXPECT_EQ(inspect(d, {"CMD", a, b, 107}, &f), Sids{});           // cmds = 3
  EXPECT_EQ(inspect(d, {"CHK", a, b, 107}, &f), Sids{16});         // the flowint survived
  EXPECT_EQ(inspect(d, {"probe", a, b, 108}, nullptr), Sids{15});  // the xbit survived
  EXPECT_EQ(inspect(d, {"new", a, b, 109}, &f), Sids{20});
  EXPECT_EQ(inspect(d, {"PASS", a, b, 110}, &f), Sids{11});  // "other" did not take its id
}

TEST(EngineGeneration, AFreshNameTableWouldHaveMovedTheIds) {
  // Why a reload passes the previous table: compiled alone, the added rule takes id 0.
  const auto gen1 = build(kSessionRules);
  std::vector<std::string> texts = {opts(20, "content:\"new\"; flowbits:set,other;")};
  texts.insert(texts.end(), kSessionRules.begin(), kSessionRules.end());
  const auto fresh = build(texts);
  const auto reloaded = build(texts, gen1->names());
  EXPECT_EQ(gen1->flowbit_name(0), "logged_in");
  EXPECT_EQ(fresh->flowbit_name(0), "other");
  EXPECT_EQ(reloaded->flowbit_name(0), "logged_in");
  EXPECT_EQ(reloaded->flowbit_name(1), "other");
}

TEST(EngineNameTable, AppendsNewNamesAndKeepsOldIds) {
  NameTable t;
  using K = NameTable::Kind;
  EXPECT_EQ(t.id(K::kFlowbit, "a"), 0u);
  EXPECT_EQ(t.id(K::kFlowbit, "b"), 1u);
  EXPECT_EQ(t.id(K::kXbit, "b"), 0u);  // each kind has its own ids
  EXPECT_EQ(t.id(K::kFlowbit, "a"), 0u);
  EXPECT_EQ(t.size(K::kFlowbit), 2u);
  EXPECT_EQ(t.name(K::kFlowbit, 1), "b");
  EXPECT_EQ(t.name(K::kFlowbit, 9), "");
}

TEST(EngineGeneration, StreamHitsRememberedByAFlowSurviveASwap) {
  // A stream rule whose fast pattern came in an earlier chunk is completed by a later one;
  // the flow remembers the hit by its stable pattern id, which the next generation (with one
  // more rule, so other local pattern ids) still resolves.
  const std::vector<std::string> rules = {
      "alert tcp any any -> any any (content:\"first-part\"; content:\"second\"; distance:0; "
      "sid:30;)"};
  const auto gen1 = build(rules);
  std::vector<std::string> texts = {
      "alert tcp any any -> any any (content:\"aaaa-other\"; sid:31;)"};
  texts.insert(texts.end(), rules.begin(), rules.end());
  const auto gen2 = build(texts, gen1->names());
  Counters counters;
  Detector d(gen1, DetectorConfig{}, counters);
  flow::Flow f;
  stream::HitRing ring;
  std::string data = "xxfirst-partyy";
  const Step s{"", "192.0.2.1", "10.0.0.1", 100};
  const decode::Packet pkt = packet(s);
  auto chunk_of = [&](std::size_t new_from) {
    stream::StreamChunk c;
    c.data = {reinterpret_cast<const std::uint8_t*>(data.data()), data.size()};
    c.new_from = new_from;
    c.hits = &ring;
    c.to_server = true;
    return c;
  };
  EXPECT_TRUE(d.inspect_stream(pkt, flow::FlowRef{&f, true, false, true}, chunk_of(0)).empty());
  ASSERT_EQ(ring.count, 1);
  d.switch_to(gen2);
  const std::size_t old = data.size();
  data += "--second";
  Sids got;
  for (std::uint32_t idx :
       d.inspect_stream(pkt, flow::FlowRef{&f, true, false, true}, chunk_of(old))) {
    got.push_back(gen2->rules()[idx].rule.sid);
  }
  EXPECT_EQ(got, Sids{30});
}

}  // namespace
}  // namespace wp::detect
