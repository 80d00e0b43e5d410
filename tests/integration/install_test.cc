// The install as an administrator uses it: `cmake --install BUILD --prefix DIR` puts every
// program, the bundled rules, the configuration files, man pages, the systemd unit, the
// logrotate file and shell completion under DIR, and the installed sensor runs from there
// with the installed configuration.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "integration/run_program.h"
#include "support/eve_schema.h"
#include "support/temp_dir.h"

namespace wp {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

class Install : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto r = testing::run_program(
        {WP_CMAKE_COMMAND, "--install", WP_BINARY_DIR, "--prefix", prefix.string()},
        dir.path().string());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  testing::TempDir dir;
  fs::path prefix = dir.path() / "prefix";
};

TEST_F(Install, PutsEveryFileUnderThePrefix) {
  for (const char* f :
       {"bin/watchpost-sensor", "bin/watchpost-rulecheck", "bin/watchpost-collector",
        "bin/watchpost-alerts", "share/watchpost/rules/watchpost.rules",
        "share/watchpost/classification.config", "share/watchpost/reference.config",
        "etc/watchpost/watchpost.yaml", "etc/watchpost/threshold.config",
        "share/man/man8/watchpost-sensor.8", "share/man/man8/watchpost-rulecheck.8",
        "share/man/man8/watchpost-collector.8", "share/man/man8/watchpost-alerts.8",
        "lib/systemd/system/watchpost-sensor.service", "etc/logrotate.d/watchpost",
        "share/bash-completion/completions/watchpost-sensor"}) {
    EXPECT_TRUE(fs::is_regular_file(prefix / f)) << f;
  }
  // The files that name install paths name this prefix.
  const std::string yaml = read(prefix / "etc/watchpost/watchpost.yaml");
  EXPECT_NE(yaml.find("default-rule-path: " + (prefix / "share/watchpost/rules").string()),
            std::string::npos)
      << yaml;
  EXPECT_NE(yaml.find("default-log-dir: /var/log/watchpost"), std::string::npos);
  const std::string unit = read(prefix / "lib/systemd/system/watchpost-sensor.service");
  EXPECT_NE(unit.find("ExecStart=" + (prefix / "bin/watchpost-sensor").string() + " -c " +
                      (prefix / "etc/watchpost/watchpost.yaml").string()),
            std::string::npos)
      << unit;
  EXPECT_NE(unit.find("CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN"), std::string::npos);
  EXPECT_NE(unit.find("ProtectSystem=strict"), std::string::npos);
  EXPECT_NE(read(prefix / "etc/logrotate.d/watchpost").find("kill -HUP"), std::string::npos);
  // The man page is the program's own --help.
  EXPECT_NE(read(prefix / "share/man/man8/watchpost-sensor.8").find("--init-errors-fatal"),
            std::string::npos);
}

TEST_F(Install, InstalledSensorTestsAndRunsItsInstalledConfiguration) {
  const std::string sensor = (prefix / "bin/watchpost-sensor").string();
  const std::string yaml = (prefix / "etc/watchpost/watchpost.yaml").string();
  const std::string cache = "detect.sgh-mpm-caching-path=" + (dir.path() / "hs").string();
  auto t = testing::run_program({sensor, "-T", "-c", yaml, "--set", cache}, dir.path().string());
  EXPECT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(t.err.find("configuration test passed"), std::string::npos) << t.err;

  // Replay the bundled capture with the installed rules and configuration; the service's
  // user and pid file exist only under systemd, so they are left out here.
  const fs::path logs = dir.path() / "log";
  fs::create_directories(logs);
  auto r = testing::run_program({sensor, "-c", yaml, "-r",
                                 WP_SOURCE_DIR "/tools/trafficgen/captures/demo.pcap", "-l",
                                 logs.string(), "--set", cache, "--set", "run-as.user=", "--set",
                                 "run-as.group=", "--set", "pid-file="},
                                dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int alerts = 0;
  for (const auto& j : testing::read_eve_alerts((logs / "eve.json").string())) {
    ++alerts;
    EXPECT_EQ(j["host"], "nt-1");
    EXPECT_FALSE(j["alert"]["category"].get<std::string>().empty())
        << "the installed classification.config names the classtype";
  }
  EXPECT_GT(alerts, 10);
}

}  // namespace
}  // namespace wp
