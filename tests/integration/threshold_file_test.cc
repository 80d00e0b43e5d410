// threshold.config with the real sensor: a rule that fires on the capture is suppressed (or
// limited) by the file named by `threshold-file`; bad lines are listed with the rule load
// summary and the rest loads.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "integration/run_program.h"
#include "support/eve_schema.h"
#include "support/packet_builder.h"
#include "support/pcap_writer.h"
#include "support/temp_dir.h"

namespace wp {
namespace {

const std::string kSensor = WP_BINARY_DIR "/sensor/app/watchpost-sensor";

using testing::ip;

// UDP, so that each packet is inspected on its own.
constexpr const char* kRules =
    "alert udp any any -> $HOME_NET 53 (msg:\"evil query\"; content:\"evil\"; "
    "classtype:trojan-activity; priority:4; sid:1000001; rev:1;)\n"
    "alert udp any any -> $HOME_NET 53 (msg:\"other query\"; content:\"other\"; sid:1000002; "
    "rev:1;)\n";

struct Fixture {
  testing::TempDir dir;
  std::string pcap = dir.file("in.pcap");
  std::string rules = dir.file("local.rules");
  std::string thresholds = dir.file("threshold.config");

  Fixture() {
    testing::PcapWriter w(pcap);
    w.write({1751339045, 0},
            testing::udp_packet(ip("203.0.113.5"), ip("10.0.0.2"), 5000, 53, "evil"));
    w.write({1751339046, 0},
            testing::udp_packet(ip("198.51.100.7"), ip("10.0.0.2"), 5000, 53, "evil"));
    w.write({1751339047, 0},
            testing::udp_packet(ip("198.51.100.7"), ip("10.0.0.2"), 5000, 53, "evil"));
    w.write({1751339048, 0},
            testing::udp_packet(ip("198.51.100.7"), ip("10.0.0.2"), 5001, 53, "other"));
    std::ofstream(rules) << kRules;
  }

  testing::ProgramResult run(std::vector<std::string> extra) {
    std::vector<std::string> argv = {kSensor, "-r", pcap, "-S", rules, "-l", dir.path().string(),
                                     "--set", "detect.sgh-mpm-caching-path=" + dir.file("hs")};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return testing::run_program(argv, dir.path().string());
  }

  std::vector<nlohmann::json> eve() { return testing::read_eve_alerts(dir.file("eve.json")); }

  nlohmann::json stats() {
    std::ifstream f(dir.file("stats.json"));
    return nlohmann::json::parse(f);
  }
};

TEST(ThresholdFile, WithoutAFileEveryMatchAlerts) {
  Fixture fx;
  auto r = fx.run({"--set", "threshold-file="});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(fx.eve().size(), 4u);
  EXPECT_EQ(r.err.find("threshold-file"), std::string::npos) << r.err;
}

TEST(ThresholdFile, SuppressesAndLimitsAlertsAndListsBadLines) {
  Fixture fx;
  std::ofstream(fx.thresholds)
      << "# local tuning\n"
         "suppress gen_id 1, sig_id 1000001, track by_src, ip 203.0.113.0/24\n"
         "event_filter gen_id 1, sig_id 1000001, type limit, track by_src, count 1, seconds 60\n"
         "suppress gen_id 1, sig_id 1000002\n"
         "suppress gen_id 1, sig_id 1000001, track by_host, ip 10.0.0.1\n"
         "rate_filter gen_id 1, sig_id 1000001, track by_src, count 1, seconds 1, "
         "new_action drop, timeout 5\n";
  auto r = fx.run({"--set", "threshold-file=" + fx.thresholds});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // 203.0.113.5 is suppressed, 198.51.100.7 limited to one alert, sid 1000002 silenced.
  auto alerts = fx.eve();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]["src_ip"], "198.51.100.7");
  EXPECT_EQ(alerts[0]["pcap_cnt"], 2);
  EXPECT_EQ(alerts[0]["alert"]["signature_id"], 1000001);
  // priority:4 overrides the classtype's priority 1.
  EXPECT_EQ(alerts[0]["alert"]["severity"], 4);
  EXPECT_EQ(alerts[0]["alert"]["category"], "A Network Trojan was detected");

  EXPECT_NE(r.err.find(fx.thresholds +
                       ":5: invalid suppress: unknown track 'by_host' (expected by_src, by_dst "
                       "or by_either); line skipped"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(fx.thresholds +
                       ":6: rate_filter not supported (it changes a rule's action; the sensor "
                       "is passive); line skipped"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("threshold-file " + fx.thresholds + ": 3 entries loaded, 2 lines skipped"),
            std::string::npos)
      << r.err;
  auto stats = fx.stats();
  EXPECT_EQ(stats["counters"]["detect.suppressed"], 2);
  EXPECT_EQ(stats["counters"]["detect.thresholded"], 1);
}

TEST(ThresholdFile, AConfiguredFileThatCannotBeReadIsAConfigurationError) {
  Fixture fx;
  auto r = fx.run({"--set", "threshold-file=" + fx.dir.file("missing.config")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("threshold-file " + fx.dir.file("missing.config") +
                       ": cannot open: No such file or directory"),
            std::string::npos)
      << r.err;
}

TEST(ThresholdFile, TheConfigFileKeyIsSuricatas) {
  Fixture fx;
  std::ofstream(fx.thresholds) << "suppress gen_id 0, sig_id 0\n";
  const std::string yaml = fx.dir.file("watchpost.yaml");
  std::ofstream(yaml) << "threshold-file: " << fx.thresholds << "\n";
  auto r = fx.run({"-c", yaml});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(fx.eve().size(), 0u);
  EXPECT_EQ(fx.stats()["counters"]["detect.suppressed"], 4);
}

}  // namespace
}  // namespace wp
