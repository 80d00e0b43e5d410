#include "detect/compile/rule_set.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "detect/rules/rule_parser.h"
#include "detect/compile/threshold_config.h"
#include "support/rule_texts.h"

namespace wp::detect {
namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

struct Built {
  std::shared_ptr<const RuleSet> set;
  std::vector<std::string> warnings;

  const CompiledRule& sid(std::uint32_t sid) const {
    for (const CompiledRule& cr : set->rules()) {
      if (cr.rule.sid == sid) return cr;
    }
    ADD_FAILURE() << "no sid " << sid;
    return set->rules().front();
  }
};

Built build(const std::vector<std::string>& texts, const std::string& threshold_config = "") {
  RuleParser parser(RuleVars::suricata_defaults());
  std::vector<Rule> rules = wp::testing::parse_rule_texts(parser, texts);
  ThresholdConfigResult tc = parse_threshold_config(threshold_config, "threshold.config", parser);
  EXPECT_TRUE(tc.errors.empty()) << tc.errors[0];
  Built b;
  auto set = RuleSet::build(std::move(rules), ClassificationTable::defaults(), &b.warnings,
                            threshold_config.empty() ? nullptr : &tc.config);
  EXPECT_TRUE(set.ok());
  b.set = set.value();
  return b;
}

std::string rule(std::uint32_t sid, const std::string& options = "") {
  return "alert tcp any any -> any any (msg:\"r\"; " + options + " sid:" + std::to_string(sid) +
         ";)";
}

TEST(RuleSet, PriorityOverridesTheClasstypePriorityWhereverItIsWritten) {
  Built b = build(
      {rule(1, "classtype:trojan-activity;"), rule(2, "classtype:trojan-activity; priority:3;"),
       rule(3, "priority:4; classtype:trojan-activity;"), rule(4, "priority:2;"), rule(5, "")});
  EXPECT_EQ(b.sid(1).severity, 1);
  EXPECT_EQ(b.sid(2).severity, 3);
  EXPECT_EQ(b.sid(3).severity, 4);
  EXPECT_EQ(b.sid(4).severity, 2);
  EXPECT_EQ(b.sid(5).severity, 3);
  EXPECT_EQ(b.sid(3).category, "A Network Trojan was detected");
}

TEST(RuleSet, CompilesFlowintAndXbitsIntoChecksAndActions) {
  Built b = build({rule(1, "flowint:a,isset; flowint:a,+,1; flowint:b,>,a; flowint:c,=,b;"),
                   rule(2, "xbits:isset,x,track ip_src; xbits:set,y,track ip_pair,expire 9;"),
                   rule(3, "xbits:set,x,track ip_dst;")});
  const CompiledRule& r1 = b.sid(1);
  ASSERT_EQ(r1.flowint_checks.size(), 2u);
  ASSERT_EQ(r1.flowint_actions.size(), 2u);
  EXPECT_EQ(b.set->flowint_names(), 3u);
  EXPECT_TRUE(r1.flowint_checks[1].target_is_var);
  EXPECT_EQ(r1.flowint_checks[1].target_id, r1.flowint_checks[0].id);  // "a"
  EXPECT_EQ(r1.flowint_actions[0].op, FlowintOp::Op::kAdd);
  EXPECT_EQ(r1.flowint_actions[1].op, FlowintOp::Op::kSet);
  const CompiledRule& r2 = b.sid(2);
  ASSERT_EQ(r2.xbit_checks.size(), 1u);
  ASSERT_EQ(r2.xbit_actions.size(), 1u);
  EXPECT_EQ(r2.xbit_actions[0].expire, 9u);
  EXPECT_EQ(b.set->xbit_names(), 2u);
  EXPECT_EQ(b.sid(3).xbit_actions[0].id, r2.xbit_checks[0].id);  // "x"
}

TEST(RuleSet, WithoutThresholdConfigTheRulesOwnThresholdDecides) {
  Built b = build({rule(1, "threshold:type limit, track by_src, count 2, seconds 60;"),
                   rule(2, "detection_filter:track by_dst, count 3, seconds 10;"), rule(3)});
  ASSERT_TRUE(b.sid(1).alert_threshold.has_value());
  EXPECT_EQ(b.sid(1).alert_threshold->count, 2u);
  ASSERT_TRUE(b.sid(2).alert_threshold.has_value());
  EXPECT_EQ(b.sid(2).alert_threshold->type, ThresholdSpec::Type::kDetectionFilter);
  EXPECT_FALSE(b.sid(3).alert_threshold.has_value());
  EXPECT_FALSE(b.sid(3).suppressed);
  EXPECT_EQ(b.sid(3).suppress_src, nullptr);
}

TEST(RuleSet, EventFilterPrecedenceFollowsSuricata) {
  Built b = build(
      {rule(1, "threshold:type limit, track by_src, count 2, seconds 60;"),
       rule(2, "threshold:type limit, track by_src, count 2, seconds 60;"),
       rule(3, "detection_filter:track by_dst, count 3, seconds 10;"), rule(4),
       "alert tcp any any -> any any (msg:\"r\"; gid:3; sid:5;)"},
      // sid 1: named twice, the last line wins over the rule's own threshold.
      "event_filter gen_id 1, sig_id 1, type both, track by_dst, count 7, seconds 70\n"
      "event_filter gen_id 1, sig_id 1, type limit, track by_rule, count 8, seconds 80\n"
      // sid 3: a named event_filter also replaces a detection_filter.
      "event_filter gen_id 1, sig_id 3, type threshold, track by_src, count 9, seconds 90\n"
      // Wildcards: the first one that applies, only where the rule has no threshold of its own.
      "event_filter gen_id 1, sig_id 0, type limit, track by_src, count 4, seconds 40\n"
      "event_filter gen_id 0, sig_id 0, type limit, track by_src, count 5, seconds 50\n");
  EXPECT_TRUE(b.warnings.empty());
  EXPECT_EQ(b.sid(1).alert_threshold->count, 8u);
  EXPECT_EQ(b.sid(1).alert_threshold->track, ThresholdSpec::Track::kByRule);
  EXPECT_EQ(b.sid(2).alert_threshold->count, 2u);  // its own
  EXPECT_EQ(b.sid(3).alert_threshold->count, 9u);
  EXPECT_EQ(b.sid(3).alert_threshold->type, ThresholdSpec::Type::kThreshold);
  EXPECT_EQ(b.sid(4).alert_threshold->count, 4u);  // gen_id 1, sig_id 0
  EXPECT_EQ(b.sid(5).alert_threshold->count, 5u);  // gen_id 3: only gen_id 0 applies
}

TEST(RuleSet, SuppressionsAccumulatePerRule) {
  Built b =
      build({rule(1), rule(2), rule(3), "alert tcp any any -> any any (msg:\"r\"; gid:3; sid:4;)"},
            "suppress gen_id 1, sig_id 1\n"
            "suppress gen_id 1, sig_id 2, track by_src, ip 192.0.2.0/24\n"
            "suppress gen_id 1, sig_id 2, track by_dst, ip 198.51.100.1\n"
            "suppress gen_id 1, sig_id 2, track by_either, ip 203.0.113.9\n"
            "suppress gen_id 0, sig_id 0, track by_src, ip 10.9.9.9\n"
            "suppress gen_id 3, sig_id 0\n");
  EXPECT_TRUE(b.warnings.empty());
  EXPECT_TRUE(b.sid(1).suppressed);
  const CompiledRule& r2 = b.sid(2);
  EXPECT_FALSE(r2.suppressed);
  ASSERT_NE(r2.suppress_src, nullptr);
  ASSERT_NE(r2.suppress_dst, nullptr);
  EXPECT_TRUE(r2.suppress_src->contains(ip("192.0.2.5")));
  EXPECT_TRUE(r2.suppress_src->contains(ip("203.0.113.9")));
  EXPECT_TRUE(r2.suppress_src->contains(ip("10.9.9.9")));
  EXPECT_FALSE(r2.suppress_src->contains(ip("198.51.100.1")));
  EXPECT_TRUE(r2.suppress_dst->contains(ip("198.51.100.1")));
  EXPECT_TRUE(r2.suppress_dst->contains(ip("203.0.113.9")));
  EXPECT_FALSE(r2.suppress_dst->contains(ip("192.0.2.5")));
  // sid 3 has only the global suppression, shared with other rules of its gen_id.
  const CompiledRule& r3 = b.sid(3);
  EXPECT_FALSE(r3.suppressed);
  ASSERT_NE(r3.suppress_src, nullptr);
  EXPECT_TRUE(r3.suppress_src->contains(ip("10.9.9.9")));
  EXPECT_FALSE(r3.suppress_src->contains(ip("192.0.2.5")));
  EXPECT_EQ(r3.suppress_dst, nullptr);
  EXPECT_EQ(r3.suppress_src, b.sid(1).suppress_src);
  EXPECT_TRUE(b.sid(4).suppressed);
}

TEST(RuleSet, ThresholdConfigEntriesForUnknownRulesAreWarnings) {
  Built b =
      build({rule(1)},
            "suppress gen_id 1, sig_id 99\n"
            "event_filter gen_id 2, sig_id 1, type limit, track by_src, count 1, seconds 1\n");
  ASSERT_EQ(b.warnings.size(), 2u);
  EXPECT_EQ(b.warnings[0],
            "threshold.config:2: event_filter gen_id 2, sig_id 1: no such rule loaded; ignored");
  EXPECT_EQ(b.warnings[1],
            "threshold.config:1: suppress gen_id 1, sig_id 99: no such rule loaded; ignored");
}

}  // namespace
}  // namespace wp::detect
