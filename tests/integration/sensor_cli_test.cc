// The sensor as a user runs it: exit status, error messages and outputs of the real binary
// on captures written by the test.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "integration/run_program.h"
#include "support/packet_builder.h"
#include "support/pcap_writer.h"
#include "support/temp_dir.h"

namespace wp {
namespace {

const std::string kSensor = WP_BINARY_DIR "/sensor/app/watchpost-sensor";

using testing::ip;

struct Fixture {
  testing::TempDir dir;
  std::string pcap = dir.file("in.pcap");
  std::string rules = dir.file("local.rules");

  Fixture() {
    testing::PcapWriter w(pcap);
    testing::TcpSpec syn;
    syn.flags = 0x02;
    syn.seq = 100;
    w.write({1751339045, 0}, testing::tcp_packet(ip("203.0.113.5"), ip("10.0.0.2"), syn, ""));
    testing::TcpSpec synack;
    synack.sport = 80;
    synack.dport = 40000;
    synack.flags = 0x12;
    synack.seq = 500;
    synack.ack = 101;
    w.write({1751339045, 100}, testing::tcp_packet(ip("10.0.0.2"), ip("203.0.113.5"), synack, ""));
    testing::TcpSpec ack;
    ack.flags = 0x10;
    ack.seq = 101;
    ack.ack = 501;
    w.write({1751339045, 200}, testing::tcp_packet(ip("203.0.113.5"), ip("10.0.0.2"), ack, ""));
    testing::TcpSpec data = ack;
    data.flags = 0x18;
    w.write({1751339045, 300},
            testing::tcp_packet(ip("203.0.113.5"), ip("10.0.0.2"), data, "GET /evil HTTP/1.1\r\n"));
    testing::L4Options bad;
    bad.corrupt_l4_checksum = true;
    w.write({1751339046, 0}, testing::udp_packet(ip("203.0.113.5"), ip("10.0.0.2"), 5000, 53,
                                                 "evil in a bad checksum", bad));
  }

  void write_rules(const std::string& text) { std::ofstream(rules) << text; }

  testing::ProgramResult run(std::vector<std::string> extra) {
    std::vector<std::string> argv = {kSensor, "-r", pcap, "--rules", rules, "-l", dir.path().string(),
                                     "--set", "detect.sgh-mpm-caching-path=" + dir.file("hs")};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return testing::run_program(argv, dir.path().string());
  }

  std::vector<nlohmann::json> eve() {
    std::vector<nlohmann::json> out;
    std::ifstream f(dir.file("eve.json"));
    for (std::string line; std::getline(f, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }
};

constexpr const char* kGoodRule =
    "alert tcp $EXTERNAL_NET any -> $HOME_NET 80 (msg:\"evil get\"; flow:established,to_server; "
    "content:\"GET /evil\"; startswith; classtype:web-application-attack; sid:1000001; rev:3; "
    "metadata:created_at 2025_07_01;)\n";

TEST(SensorCli, AlertsWithEveFieldsAndWritesStats) {
  Fixture fx;
  fx.write_rules(kGoodRule);
  auto r = fx.run({"--site", "phan-rang", "--sensor-id", "pr-1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto alerts = fx.eve();
  ASSERT_EQ(alerts.size(), 1u);
  const auto& a = alerts[0];
  EXPECT_EQ(a["pcap_cnt"], 4);
  EXPECT_EQ(a["src_ip"], "203.0.113.5");
  EXPECT_EQ(a["dest_port"], 80);
  EXPECT_EQ(a["direction"], "to_server");
  EXPECT_EQ(a["alert"]["signature_id"], 1000001);
  EXPECT_EQ(a["alert"]["rev"], 3);
  EXPECT_EQ(a["alert"]["category"], "Web Application Attack");
  EXPECT_EQ(a["alert"]["severity"], 1);
  EXPECT_EQ(a["host"], "pr-1");
  EXPECT_EQ(a["watchpost"]["site"], "phan-rang");
  EXPECT_NE(a["flow_id"].get<std::uint64_t>(), 0u);
  std::ifstream sf(fx.dir.file("stats.json"));
  auto stats = nlohmann::json::parse(sf);
  EXPECT_EQ(stats["packets"], 5);
  EXPECT_EQ(stats["alerts"], 1);
  EXPECT_EQ(stats["rules"]["loaded"], 1);
  EXPECT_EQ(stats["rules_hit"][0]["sid"], 1000001);
  // A bad checksum is counted, but it is not a malformed packet.
  EXPECT_EQ(stats["counters"]["decoder.udp.invalid_checksum"], 1);
  EXPECT_TRUE(stats["anomalies"].empty()) << stats["anomalies"].dump();
  EXPECT_NE(r.err.find("rules: 1 loaded, 0 skipped"), std::string::npos) << r.err;
}

TEST(SensorCli, BadChecksumPacketIsNotInspectedUnlessValidationIsOff) {
  Fixture fx;
  fx.write_rules("alert udp any any -> any any (msg:\"u\"; content:\"evil\"; sid:7;)\n");
  ASSERT_EQ(fx.run({"--set", "pcap-file.checksum-checks=yes"}).exit_code, 0);
  EXPECT_EQ(fx.eve().size(), 0u);
  std::remove(fx.dir.file("eve.json").c_str());
  ASSERT_EQ(fx.run({"--set", "stream.checksum-validation=no"}).exit_code, 0);
  EXPECT_EQ(fx.eve().size(), 1u);
}

TEST(SensorCli, BadRuleNamesFileAndLineAndTheRestLoads) {
  Fixture fx;
  fx.write_rules(std::string("alert tcp any any -> any any (msg:\"x\"; frobnicate; sid:5;)\n") + kGoodRule);
  auto r = fx.run({});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find(fx.rules + ":1: sid 5: unknown keyword 'frobnicate'; rule skipped"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("rules: 1 loaded, 1 skipped"), std::string::npos) << r.err;
  EXPECT_EQ(fx.eve().size(), 1u);
}

TEST(SensorCli, StatsListMalformedPacketsUnderAnomalies) {
  Fixture fx;
  fx.write_rules(kGoodRule);
  {
    testing::PcapWriter w(fx.pcap);
    testing::Frame f = testing::udp_packet(ip("203.0.113.5"), ip("10.0.0.2"), 1, 2, "x");
    f.resize(14 + 10);  // an IPv4 header cut to 10 bytes
    w.write({1751339045, 0}, f);
  }
  ASSERT_EQ(fx.run({}).exit_code, 0);
  std::ifstream sf(fx.dir.file("stats.json"));
  auto stats = nlohmann::json::parse(sf);
  EXPECT_EQ(stats["anomalies"], nlohmann::json({{"decoder.ipv4.pkt_too_small", 1}}));
}

TEST(SensorCli, MissingCaptureIsARuntimeErrorNamingTheFile) {
  Fixture fx;
  fx.write_rules(kGoodRule);
  auto r = testing::run_program({kSensor, "-r", fx.dir.file("nope.pcap"), "--rules", fx.rules, "-l",
                                 fx.dir.path().string(), "--set",
                                 "detect.sgh-mpm-caching-path=" + fx.dir.file("hs")},
                                fx.dir.path().string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(fx.dir.file("nope.pcap")), std::string::npos) << r.err;
}

TEST(SensorCli, UnknownSetKeyIsAUsageError) {
  Fixture fx;
  fx.write_rules(kGoodRule);
  auto r = fx.run({"--set", "stream.bogus=1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown configuration key 'stream.bogus'"), std::string::npos) << r.err;
}

TEST(SensorCli, TruncatedCaptureIsReportedAndWhatCameBeforeIsProcessed) {
  Fixture fx;
  fx.write_rules(kGoodRule);
  {
    // Append a record header that promises more bytes than follow.
    std::ofstream f(fx.pcap, std::ios::app | std::ios::binary);
    const unsigned char rec[16] = {0x66, 0x00, 0x00, 0x00, 0, 0, 0, 0, 200, 0, 0, 0, 200, 0, 0, 0};
    f.write(reinterpret_cast<const char*>(rec), sizeof rec);
    f.write("abc", 3);
  }
  auto r = fx.run({});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("truncated"), std::string::npos) << r.err;
  EXPECT_EQ(fx.eve().size(), 1u);
}

}  // namespace
}  // namespace wp
