// The bundled ruleset (rules/watchpost.rules) against the bundled captures, through the real
// sensor binary: every rule fires on tools/trafficgen/captures/demo.pcap exactly as often as
// the table below says, and no rule fires on benign.pcap. A new rule needs demo traffic and a
// line in kDemoAlerts; a change to the demo that changes what fires must update the table.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "detect/compile/classification.h"
#include "detect/rules/rule_parser.h"
#include "integration/run_program.h"
#include "support/eve_schema.h"
#include "support/temp_dir.h"

namespace {

using nlohmann::json;
using wp::testing::run_program;
using wp::testing::TempDir;

const std::string kSensor = WP_BINARY_DIR "/sensor/app/watchpost-sensor";
const std::string kRules = WP_SOURCE_DIR "/rules/watchpost.rules";
const std::string kDemo = WP_SOURCE_DIR "/tools/trafficgen/captures/demo.pcap";
const std::string kBenign = WP_SOURCE_DIR "/tools/trafficgen/captures/benign.pcap";

// sid -> alerts on demo.pcap. Which traffic triggers each is commented in
// tools/trafficgen/demo_scenario.cc.
const std::map<std::uint32_t, int> kDemoAlerts = {
    {9000001, 14},  // nmap SYN scan: 14 ports probed
    {9000002, 3},   // FIN scan: 3 ports
    {9000003, 3},   // Xmas scan: 3 ports
    {9000004, 3},   // NULL scan: 3 ports
    {9000005, 1},   // nmap OS detection ECN probe
    {9000006, 1},   // nmap OS detection T3 probe
    {9000010, 2},   // two 1400-byte echo requests (the replies are type 0)
    {9000011, 1},   // nmap -PE echo without data
    {9000012, 1},   // nmap -PP timestamp request
    {9000020, 1},   // sqlmap UNION ALL SELECT
    {9000021, 1},   // sqlmap ' OR '1'='1
    {9000022, 1},   // ../../../../etc/passwd on the VLAN-tagged API flow
    {9000023, 1},   // Shellshock User-Agent
    {9000024, 1},   // ${jndi:ldap://...} over IPv6
    {9000025, 1},   // ${${lower:j}ndi:...}
    {9000026, 1},   // avatar.php upload split over two segments (found on the stream)
    {9000027, 1},   // ;wget in the ping form
    {9000028, 1},   // `id` output answering the Shellshock request
    {9000029, 1},   // /etc/passwd answering the traversal
    {9000030, 2},   // the two sqlmap requests
    {9000031, 1},   // Nikto from outside (the internal scanner's Nikto is passed)
    {9000032, 1},   // masscan
    {9000033, 1},   // zgrab
    {9000034, 1},   // Hydra against /quantri/
    {9000035, 1},   // nmap -sC robots.txt
    {9000040, 6},   // three FTP connections, two "530 Login incorrect." each
    {9000041, 1},   // USER root
    {9000042, 3},   // two libssh banners, one Go banner
    {9000043, 2},   // two telnet "Login incorrect"
    {9000090, 0},   // pass: never alerts; its effect is tested below
};

struct RuleLine {
  std::string action;
  std::uint32_t sid = 0;
  std::string msg;
};

// The rules of the bundled file as written (one rule per line, no continuations).
std::vector<RuleLine> bundled_rules() {
  std::vector<RuleLine> rules;
  std::ifstream f(kRules);
  static const std::regex kRule(R"re(^(\w+) .*\bmsg:"([^"]*)";.*\bsid:(\d+);)re");
  for (std::string line; std::getline(f, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::smatch m;
    if (!std::regex_search(line, m, kRule)) {
      ADD_FAILURE() << "not a rule line: " << line;
      continue;
    }
    rules.push_back({m[1], static_cast<std::uint32_t>(std::stoul(m[3])), m[2]});
  }
  return rules;
}

struct SensorRun {
  int exit_code = -1;
  std::string err;
  std::vector<json> alerts;  // EVE records with event_type "alert", in file order
};

SensorRun run_sensor(const std::string& pcap) {
  // EVE timestamps are local time; pin the zone so they can be compared.
  setenv("TZ", "UTC", 1);
  TempDir dir;
  const std::string log_dir = dir.file("log");
  std::filesystem::create_directories(log_dir);
  const std::string eve = log_dir + "/eve.json";
  // The Hyperscan cache goes to the test's directory, not /var/lib/watchpost.
  const auto r = run_program({kSensor, "-r", pcap, "-S", kRules, "--eve", eve, "-l", log_dir,
                              "--set", "detect.sgh-mpm-caching-path=" + dir.file("hs"),
                              // `stream` (stream or packet match) comes with the payload.
                              "--set", "eve-log.payload=yes"},
                             dir.path().string());
  SensorRun run;
  run.exit_code = r.exit_code;
  run.err = r.err;
  run.alerts = wp::testing::read_eve_alerts(eve);
  return run;
}

// Both captures are replayed once per test program.
const SensorRun& demo_run() {
  static const SensorRun run = run_sensor(kDemo);
  return run;
}
const SensorRun& benign_run() {
  static const SensorRun run = run_sensor(kBenign);
  return run;
}

std::vector<json> alerts_for(std::uint32_t sid) {
  std::vector<json> out;
  for (const json& a : demo_run().alerts) {
    if (a["alert"]["signature_id"].get<std::uint32_t>() == sid) out.push_back(a);
  }
  return out;
}

TEST(BundledRules, EveryRuleLoadsAndFollowsTheRulesetConventions) {
  wp::detect::RuleParser parser(wp::detect::RuleVars::suricata_defaults());
  const auto result = parser.parse_file(kRules);
  for (const auto& e : result.errors) ADD_FAILURE() << e.message;
  ASSERT_EQ(result.rules.size(), bundled_rules().size());

  const auto classes = wp::detect::ClassificationTable::defaults();
  std::set<std::uint32_t> sids;
  for (const auto& rule : result.rules) {
    SCOPED_TRACE("sid " + std::to_string(rule.sid));
    EXPECT_TRUE(sids.insert(rule.sid).second) << "duplicate sid";
    EXPECT_GE(rule.sid, 9000001u);
    EXPECT_LE(rule.sid, 9000099u);
    EXPECT_EQ(rule.gid, 1u);
    EXPECT_GE(rule.rev, 1u);
    EXPECT_EQ(rule.msg.rfind("WATCHPOST ", 0), 0u) << rule.msg;
    EXPECT_NE(classes.find(rule.classtype), nullptr) << "classtype " << rule.classtype;
    std::set<std::string> keys;
    for (const auto& [key, value] : rule.metadata) keys.insert(key);
    for (const char* key : {"created_at", "updated_at", "signature_severity"}) {
      EXPECT_TRUE(keys.count(key)) << "metadata without " << key;
    }
  }
}

TEST(BundledRules, EveryRuleHasAnExpectedDemoCount) {
  std::set<std::uint32_t> in_file;
  for (const RuleLine& rule : bundled_rules()) {
    in_file.insert(rule.sid);
    const auto it = kDemoAlerts.find(rule.sid);
    if (it == kDemoAlerts.end()) {
      ADD_FAILURE() << "sid " << rule.sid << " (" << rule.msg << ") has no line in kDemoAlerts";
      continue;
    }
    if (rule.action == "pass") {
      EXPECT_EQ(it->second, 0) << "sid " << rule.sid << ": pass rules never alert";
    } else {
      EXPECT_GT(it->second, 0) << "sid " << rule.sid << ": every alert rule must fire on the demo";
    }
  }
  for (const auto& [sid, count] : kDemoAlerts) {
    EXPECT_TRUE(in_file.count(sid)) << "kDemoAlerts names sid " << sid << ", not in the rules";
  }
}

TEST(BundledRules, EachRuleFiresOnTheDemoCaptureExactlyTheExpectedNumberOfTimes) {
  const SensorRun& run = demo_run();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::map<std::uint32_t, int> counts;
  for (const json& a : run.alerts) ++counts[a["alert"]["signature_id"].get<std::uint32_t>()];
  std::map<std::uint32_t, std::string> msgs;
  for (const RuleLine& rule : bundled_rules()) msgs[rule.sid] = rule.msg;
  for (const auto& [sid, expected] : kDemoAlerts) {
    const int got = counts.count(sid) ? counts[sid] : 0;
    EXPECT_EQ(got, expected) << "sid " << sid << " " << msgs[sid];
  }
  for (const auto& [sid, got] : counts) {
    EXPECT_TRUE(kDemoAlerts.count(sid)) << "unexpected sid " << sid << " fired " << got << "x";
  }
}

TEST(BundledRules, DemoAlertsCarryTheRuleIdentity) {
  const SensorRun& run = demo_run();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_FALSE(run.alerts.empty());
  std::map<std::uint32_t, std::string> msgs;
  for (const RuleLine& rule : bundled_rules()) msgs[rule.sid] = rule.msg;
  for (const json& a : run.alerts) {
    const json& alert = a["alert"];
    const auto sid = alert["signature_id"].get<std::uint32_t>();
    SCOPED_TRACE("sid " + std::to_string(sid));
    EXPECT_EQ(alert["gid"], 1);
    EXPECT_EQ(alert["rev"], 1);
    EXPECT_EQ(alert["action"], "allowed");
    EXPECT_EQ(alert["signature"], msgs[sid]);
    EXPECT_FALSE(alert["category"].get<std::string>().empty());
    EXPECT_TRUE(a.contains("src_ip") && a.contains("dest_ip") && a.contains("proto"));
  }
  // The first alert in packet order is nmap's empty echo request, packet 21 of the capture.
  // (Workers write their alerts in their own order: the file's first line may be another.)
  const json& first = *std::min_element(
      run.alerts.begin(), run.alerts.end(),
      [](const json& a, const json& b) { return a["pcap_cnt"] < b["pcap_cnt"]; });
  EXPECT_EQ(first["timestamp"], "2025-07-01T03:04:05.089000+0000");
  EXPECT_EQ(first["pcap_cnt"], 21);
  EXPECT_EQ(first["alert"]["signature_id"], 9000011);
}

TEST(BundledRules, PassRuleSilencesTheAuthorisedInternalScanner) {
  ASSERT_EQ(demo_run().exit_code, 0) << demo_run().err;
  for (const json& a : demo_run().alerts) {
    EXPECT_NE(a["src_ip"], "10.20.9.9") << a.dump();
    EXPECT_NE(a["dest_ip"], "10.20.9.9") << a.dump();
  }
  // The same Nikto User-Agent from outside still alerts.
  const auto nikto = alerts_for(9000031);
  ASSERT_EQ(nikto.size(), 1u);
  EXPECT_EQ(nikto[0]["src_ip"], "203.0.113.150");
}

TEST(BundledRules, ScanProbesAlertOncePerProbedPort) {
  ASSERT_EQ(demo_run().exit_code, 0) << demo_run().err;
  std::multiset<int> ports;
  for (const json& a : alerts_for(9000001)) {
    EXPECT_EQ(a["src_ip"], "198.51.100.66");
    EXPECT_EQ(a["proto"], "TCP");
    ports.insert(a["dest_port"].get<int>());
  }
  EXPECT_EQ(ports, (std::multiset<int>{21, 22, 23, 25, 53, 80, 110, 143, 443, 445, 3306, 3389, 8080,
                                       8443}));
}

TEST(BundledRules, DetectsAttacksOverIpv6AndInsideVlanTags) {
  ASSERT_EQ(demo_run().exit_code, 0) << demo_run().err;
  const auto log4shell = alerts_for(9000024);
  ASSERT_EQ(log4shell.size(), 1u);
  // Full form with leading zeros, as Suricata writes IPv6 addresses.
  EXPECT_EQ(log4shell[0]["src_ip"], "2001:0db8:0100:0000:0000:0000:0000:0077");
  EXPECT_EQ(log4shell[0]["dest_ip"], "2001:0db8:0020:0000:0000:0000:0000:0010");
  EXPECT_EQ(log4shell[0]["dest_port"], 80);

  const auto traversal = alerts_for(9000022);
  ASSERT_EQ(traversal.size(), 1u);
  EXPECT_EQ(traversal[0]["dest_ip"], "10.20.1.11");
  EXPECT_EQ(traversal[0]["direction"], "to_server");
}

TEST(BundledRules, AttackResponsesAreAttributedToTheServersAnswer) {
  ASSERT_EQ(demo_run().exit_code, 0) << demo_run().err;
  for (std::uint32_t sid : {9000028u, 9000029u, 9000040u, 9000043u}) {
    for (const json& a : alerts_for(sid)) {
      EXPECT_EQ(a["direction"], "to_client") << "sid " << sid;
      EXPECT_EQ(a["src_ip"].get<std::string>().rfind("10.20.", 0), 0u) << "sid " << sid;
    }
  }
}

TEST(BundledRules, UploadSplitOverTwoSegmentsMatchesOnTheReassembledStream) {
  ASSERT_EQ(demo_run().exit_code, 0) << demo_run().err;
  const auto upload = alerts_for(9000026);
  ASSERT_EQ(upload.size(), 1u);
  // Packet 144 carries the file part ("<?php ..."), which completes the match; packet 143
  // carried the headers with filename="avatar.php".
  EXPECT_EQ(upload[0]["pcap_cnt"], 144);
  EXPECT_EQ(upload[0]["stream"], 1);
}

TEST(BundledRules, NoRuleFiresOnTheBenignCapture) {
  const SensorRun& run = benign_run();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (const json& a : run.alerts) ADD_FAILURE() << "false positive: " << a.dump();
}

}  // namespace
