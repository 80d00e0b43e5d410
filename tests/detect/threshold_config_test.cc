#include "detect/compile/threshold_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace wp::detect {
namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

ThresholdConfigResult parse(const std::string& text) {
  RuleParser addresses(RuleVars::suricata_defaults());
  return parse_threshold_config(text, "threshold.config", addresses);
}

TEST(ThresholdConfig, ParsesSuppressWithAndWithoutTrack) {
  ThresholdConfigResult r = parse(
      "# comment\n"
      "\n"
      "suppress gen_id 1, sig_id 2000328\n"
      "suppress gen_id 1, sig_id 2000329, track by_src, ip 192.0.2.0/24\n"
      "suppress gen_id 0, sig_id 0, track by_dst, ip [10.0.0.1, 2001:db8::/32]\n"
      "suppress gen_id 1, sig_id 7, track by_either, ip $HOME_NET\n");
  ASSERT_TRUE(r.errors.empty()) << r.errors[0];
  ASSERT_EQ(r.config.suppress.size(), 4u);
  const auto& s = r.config.suppress;
  EXPECT_EQ(s[0].gid, 1u);
  EXPECT_EQ(s[0].sid, 2000328u);
  EXPECT_EQ(s[0].track, SuppressEntry::Track::kAll);
  EXPECT_EQ(s[0].ips, nullptr);
  EXPECT_EQ(s[0].line, 3);
  EXPECT_EQ(s[1].track, SuppressEntry::Track::kBySrc);
  EXPECT_TRUE(s[1].ips->contains(ip("192.0.2.77")));
  EXPECT_FALSE(s[1].ips->contains(ip("192.0.3.1")));
  EXPECT_EQ(s[2].gid, 0u);
  EXPECT_EQ(s[2].track, SuppressEntry::Track::kByDst);
  EXPECT_TRUE(s[2].ips->contains(ip("10.0.0.1")));
  EXPECT_TRUE(s[2].ips->contains(ip("2001:db8::5")));
  EXPECT_FALSE(s[2].ips->contains(ip("10.0.0.2")));
  EXPECT_EQ(s[3].track, SuppressEntry::Track::kByEither);
  EXPECT_TRUE(s[3].ips->contains(ip("172.16.1.1")));
  EXPECT_FALSE(s[3].ips->contains(ip("8.8.8.8")));
}

TEST(ThresholdConfig, EventFilterAndThresholdLinesAreTheSame) {
  using Type = ThresholdSpec::Type;
  using Track = ThresholdSpec::Track;
  struct Case {
    const char* line;
    Type type;
    Track track;
    std::uint32_t count;
    std::uint32_t seconds;
  };
  const Case cases[] = {
      {"event_filter gen_id 1, sig_id 10, type limit, track by_src, count 1, seconds 60",
       Type::kLimit, Track::kBySrc, 1, 60},
      {"threshold gen_id 1, sig_id 10, type threshold, track by_dst, count 10, seconds 5",
       Type::kThreshold, Track::kByDst, 10, 5},
      {"event_filter gen_id 1, sig_id 10, type both, track by_rule, count 3, seconds 120",
       Type::kBoth, Track::kByRule, 3, 120},
      {"THRESHOLD gen_id 1,sig_id 10,seconds 9,count 2,track by_both,type limit", Type::kLimit,
       Track::kByBoth, 2, 9},
  };
  for (const Case& c : cases) {
    ThresholdConfigResult r = parse(c.line);
    ASSERT_TRUE(r.errors.empty()) << c.line << ": " << r.errors[0];
    ASSERT_EQ(r.config.event_filters.size(), 1u) << c.line;
    const EventFilterEntry& f = r.config.event_filters[0];
    EXPECT_EQ(f.gid, 1u);
    EXPECT_EQ(f.sid, 10u);
    EXPECT_EQ(f.spec.type, c.type) << c.line;
    EXPECT_EQ(f.spec.track, c.track) << c.line;
    EXPECT_EQ(f.spec.count, c.count) << c.line;
    EXPECT_EQ(f.spec.seconds, c.seconds) << c.line;
  }
}

TEST(ThresholdConfig, JoinsContinuationLinesAndReportsTheFirstLine) {
  ThresholdConfigResult r = parse(
      "event_filter gen_id 1, sig_id 10, \\\n"
      "   type limit, track by_src, count 1, seconds 60\n"
      "suppress gen_id 1, \\\n"
      "  sig_id x\n");
  EXPECT_EQ(r.config.event_filters.size(), 1u);
  EXPECT_EQ(r.config.event_filters[0].line, 1);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0],
            "threshold.config:3: invalid suppress: sig_id 'x' is not a number; line skipped");
}

struct BadLine {
  const char* line;
  const char* message;  // after "threshold.config:1: ", before "; line skipped"
};

TEST(ThresholdConfig, RejectsBadLinesWithExactMessagesAndLoadsTheRest) {
  const BadLine cases[] = {
      {"supress gen_id 1, sig_id 2",
       "unknown directive 'supress' (expected suppress, event_filter, threshold or rate_filter)"},
      {"suppress", "invalid suppress: missing 'gen_id'"},
      {"suppress gen_id 1", "invalid suppress: missing 'sig_id'"},
      {"suppress gen_id one, sig_id 2", "invalid suppress: gen_id 'one' is not a number"},
      {"suppress gen_id 1, sig_id 99999999999",
       "invalid suppress: sig_id '99999999999' is not a number"},
      {"suppress gen_id 0, sig_id 5",
       "invalid suppress: sig_id 5 needs its gen_id (gen_id 0 only with sig_id 0)"},
      {"suppress gen_id 1, sig_id 2,", "invalid suppress: empty option"},
      {"suppress gen_id 1, sig_id 2, sig_id 3", "invalid suppress: 'sig_id' given twice"},
      {"suppress gen_id 1, sig_id 2, track", "invalid suppress: 'track' needs a value"},
      {"suppress gen_id 1, sig_id 2, color red", "invalid suppress: unknown option 'color red'"},
      {"suppress gen_id 1, sig_id 2, track by_src", "invalid suppress: 'track' needs 'ip'"},
      {"suppress gen_id 1, sig_id 2, ip 10.0.0.1", "invalid suppress: 'ip' needs 'track'"},
      {"suppress gen_id 1, sig_id 2, track by_rule, ip 10.0.0.1",
       "invalid suppress: unknown track 'by_rule' (expected by_src, by_dst or by_either)"},
      {"suppress gen_id 1, sig_id 2, track by_src, ip 10.0.0.300",
       "invalid suppress: ip '10.0.0.300': invalid address: '10.0.0.300' is not an IP address or "
       "CIDR block"},
      {"suppress gen_id 1, sig_id 2, track by_src, ip $DMZ_NET",
       "invalid suppress: ip '$DMZ_NET': undefined variable '$DMZ_NET'"},
      {"suppress gen_id 1, sig_id 2, count 5",
       "invalid suppress: 'count' is not an option of suppress"},
      {"event_filter gen_id 1, sig_id 2, track by_src, count 1, seconds 60",
       "invalid event_filter: missing 'type'"},
      {"event_filter gen_id 1, sig_id 2, type limit, count 1, seconds 60",
       "invalid event_filter: missing 'track'"},
      {"event_filter gen_id 1, sig_id 2, type limit, track by_src, seconds 60",
       "invalid event_filter: missing 'count'"},
      {"threshold gen_id 1, sig_id 2, type limit, track by_src, count 1",
       "invalid threshold: missing 'seconds'"},
      {"event_filter gen_id 1, sig_id 2, type rate, track by_src, count 1, seconds 60",
       "invalid event_filter: unknown type 'rate' (expected limit, threshold or both)"},
      {"event_filter gen_id 1, sig_id 2, type limit, track by_either, count 1, seconds 60",
       "invalid event_filter: unknown track 'by_either' (expected by_src, by_dst, by_rule or "
       "by_both)"},
      {"event_filter gen_id 1, sig_id 2, type limit, track by_src, count 0, seconds 60",
       "invalid event_filter: count '0' is not a positive number"},
      {"event_filter gen_id 1, sig_id 2, type limit, track by_src, count 1, seconds -1",
       "invalid event_filter: seconds '-1' is not a positive number"},
      {"event_filter gen_id 1, sig_id 2, type limit, track by_src, count 1, seconds 6, ip 1.2.3.4",
       "invalid event_filter: 'ip' is not an option of event_filter"},
      {"rate_filter gen_id 1, sig_id 2, track by_src, count 10, seconds 60, new_action drop, "
       "timeout 30",
       "rate_filter not supported (it changes a rule's action; the sensor is passive)"},
      {"rate_filter gen_id 1, sig_id 2, track by_src, count 10, seconds 60, new_action block, "
       "timeout 30",
       "invalid rate_filter: unknown new_action 'block' (expected alert, drop, pass, log, sdrop or "
       "reject)"},
      {"rate_filter gen_id 1, sig_id 2, track by_src, count 10, seconds 60, new_action drop",
       "invalid rate_filter: missing 'timeout'"},
  };
  std::string text;
  for (const BadLine& c : cases) {
    ThresholdConfigResult r = parse(std::string(c.line) + "\n");
    ASSERT_EQ(r.errors.size(), 1u) << c.line;
    EXPECT_EQ(r.errors[0], std::string("threshold.config:1: ") + c.message + "; line skipped");
    EXPECT_EQ(r.config.entries(), 0u) << c.line;
    text += std::string(c.line) + "\n";
  }
  // All of them in one file, with one good line in the middle: each is reported with its own
  // line number and the good line loads.
  text += "suppress gen_id 1, sig_id 2\n";
  ThresholdConfigResult all = parse(text);
  EXPECT_EQ(all.errors.size(), std::size(cases));
  EXPECT_EQ(all.config.suppress.size(), 1u);
  EXPECT_EQ(all.config.suppress[0].line, static_cast<int>(std::size(cases)) + 1);
  EXPECT_EQ(
      all.errors.back().rfind("threshold.config:" + std::to_string(std::size(cases)) + ": ", 0),
      0u);
}

TEST(ThresholdConfig, LoadingAMissingFileIsAnError) {
  auto r = load_threshold_config("/nonexistent/threshold.config", RuleVars::suricata_defaults());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().describe(),
            "/nonexistent/threshold.config: cannot open: No such file or directory");
}

TEST(ThresholdConfig, LoadsAFile) {
  namespace fs = std::filesystem;
  const fs::path path =
      fs::temp_directory_path() / ("wp_threshold_config_test_" + std::to_string(::getpid()));
  std::ofstream(path) << "suppress gen_id 1, sig_id 5\n";
  auto r = load_threshold_config(path.string(), RuleVars::suricata_defaults());
  fs::remove(path);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->config.file, path.string());
  EXPECT_EQ(r->config.suppress.size(), 1u);
}

}  // namespace
}  // namespace wp::detect
