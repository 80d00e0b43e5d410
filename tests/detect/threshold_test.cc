#include "detect/engine/threshold.h"

#include <gtest/gtest.h>

#include <vector>

namespace wp::detect {
namespace {

using Type = ThresholdSpec::Type;
using Track = ThresholdSpec::Track;

// Which of the matches at the given times (seconds) may alert.
std::vector<bool> run(ThresholdSpec spec, const std::vector<std::int64_t>& times,
                      const char* src = "192.0.2.1") {
  ThresholdTable t(1024);
  std::vector<bool> out;
  for (std::int64_t now : times) {
    out.push_back(t.allow(spec, 7, *IpAddress::parse(src), *IpAddress::parse("10.0.0.1"), 0, now));
  }
  return out;
}

TEST(ThresholdTable, LimitAlertsOnTheFirstCountMatchesPerWindow) {
  ThresholdSpec s{Type::kLimit, Track::kBySrc, 2, 60};
  EXPECT_EQ(run(s, {0, 1, 2, 59, 60, 61, 62}),
            (std::vector<bool>{true, true, false, false, true, true, false}));
}

TEST(ThresholdTable, ThresholdAlertsOnEveryCountthMatch) {
  ThresholdSpec s{Type::kThreshold, Track::kBySrc, 3, 60};
  EXPECT_EQ(run(s, {0, 1, 2, 3, 4, 5}),
            (std::vector<bool>{false, false, true, false, false, true}));
}

TEST(ThresholdTable, BothAlertsOncePerWindowWhenCountIsReached) {
  ThresholdSpec s{Type::kBoth, Track::kBySrc, 2, 60};
  EXPECT_EQ(run(s, {0, 1, 2, 3, 60, 61}),
            (std::vector<bool>{false, true, false, false, false, true}));
}

TEST(ThresholdTable, DetectionFilterAlertsOnceTheRateIsExceeded) {
  ThresholdSpec s{Type::kDetectionFilter, Track::kBySrc, 2, 10};
  EXPECT_EQ(run(s, {0, 1, 2, 3, 20}), (std::vector<bool>{false, false, true, true, false}));
}

TEST(ThresholdTable, BackoffAlertsOnTheCountthMatchThenAtGrowingSteps) {
  ThresholdSpec one{Type::kBackoff, Track::kByFlow, 1, 0, 10};
  std::vector<std::int64_t> times(1000, 5);
  const std::vector<bool> got = run(one, times);
  std::vector<std::size_t> alerted;  // 1-based match numbers that alerted
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (got[i]) alerted.push_back(i + 1);
  }
  EXPECT_EQ(alerted, (std::vector<std::size_t>{1, 10, 100, 1000}));
  ThresholdSpec ten{Type::kBackoff, Track::kByFlow, 10, 0, 2};
  const std::vector<bool> got10 = run(ten, std::vector<std::int64_t>(80, 5));
  alerted.clear();
  for (std::size_t i = 0; i < got10.size(); ++i) {
    if (got10[i]) alerted.push_back(i + 1);
  }
  EXPECT_EQ(alerted, (std::vector<std::size_t>{10, 20, 40, 80}));
}

TEST(ThresholdTable, ByFlowCountsEachFlowOnItsOwn) {
  ThresholdSpec s{Type::kLimit, Track::kByFlow, 1, 60};
  ThresholdTable t(1024);
  const IpAddress a = *IpAddress::parse("192.0.2.1"), b = *IpAddress::parse("10.0.0.1");
  EXPECT_TRUE(t.allow(s, 1, a, b, 1001, 0));
  EXPECT_FALSE(t.allow(s, 1, a, b, 1001, 1));
  EXPECT_TRUE(t.allow(s, 1, a, b, 1002, 1)) << "another flow between the same hosts";
  EXPECT_FALSE(t.allow(s, 1, b, a, 1002, 2)) << "either direction of the flow";
}

TEST(ThresholdTable, TracksEachSourceSeparately) {
  ThresholdSpec s{Type::kLimit, Track::kBySrc, 1, 60};
  ThresholdTable t(1024);
  const IpAddress dst = *IpAddress::parse("10.0.0.1");
  EXPECT_TRUE(t.allow(s, 1, *IpAddress::parse("192.0.2.1"), dst, 0, 0));
  EXPECT_TRUE(t.allow(s, 1, *IpAddress::parse("192.0.2.2"), dst, 0, 0));
  EXPECT_FALSE(t.allow(s, 1, *IpAddress::parse("192.0.2.1"), dst, 0, 1));
  // Another rule has its own state.
  EXPECT_TRUE(t.allow(s, 2, *IpAddress::parse("192.0.2.1"), dst, 0, 1));
}

TEST(ThresholdTable, ByRuleIgnoresAddresses) {
  ThresholdSpec s{Type::kLimit, Track::kByRule, 1, 60};
  ThresholdTable t(1024);
  const IpAddress dst = *IpAddress::parse("10.0.0.1");
  EXPECT_TRUE(t.allow(s, 1, *IpAddress::parse("192.0.2.1"), dst, 0, 0));
  EXPECT_FALSE(t.allow(s, 1, *IpAddress::parse("192.0.2.2"), dst, 0, 0));
}

TEST(ThresholdTable, FullTableAllowsAndCounts) {
  ThresholdSpec s{Type::kLimit, Track::kBySrc, 1, 3600};
  ThresholdTable t(64);
  const IpAddress dst = *IpAddress::parse("10.0.0.1");
  for (int i = 0; i < 64; ++i) {
    ASSERT_TRUE(t.allow(s, 1, IpAddress::v4(0xC0000200u + static_cast<std::uint32_t>(i)), dst, 0, 0));
  }
  EXPECT_TRUE(t.allow(s, 1, IpAddress::v4(0xC0000300u), dst, 0, 0));
  EXPECT_EQ(t.full(), 1u);
  // Once the windows expired, slots are reused.
  EXPECT_TRUE(t.allow(s, 1, IpAddress::v4(0xC0000301u), dst, 0, 4000));
  EXPECT_EQ(t.full(), 1u);
}

}  // namespace
}  // namespace wp::detect
