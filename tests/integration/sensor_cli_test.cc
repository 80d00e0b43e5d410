// The sensor as a user runs it: exit status, error messages and outputs of the real binary
// on captures written by the test.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/file_io.h"
#include "common/text.h"
#include "integration/run_program.h"
#include "support/eve_schema.h"
#include "support/packet_builder.h"
#include "support/pcap_writer.h"
#include "support/sanitizer.h"
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

  std::vector<std::string> argv(const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {kSensor, "-r", pcap, "--rules", rules, "-l", dir.path().string(),
                                     "--set", "detect.sgh-mpm-caching-path=" + dir.file("hs")};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  testing::ProgramResult run(std::vector<std::string> extra) {
    return testing::run_program(argv(extra), dir.path().string());
  }

  // The sensor with its address space limited to `kib` KiB (RLIMIT_AS, through the shell).
  testing::ProgramResult run_with_address_space(std::uint64_t kib, std::vector<std::string> extra) {
    std::vector<std::string> sh = {"/bin/sh", "-c",
                                   "ulimit -v " + std::to_string(kib) + " && exec \"$0\" \"$@\""};
    const std::vector<std::string> sensor = argv(extra);
    sh.insert(sh.end(), sensor.begin(), sensor.end());
    return testing::run_program(sh, dir.path().string());
  }

  // Replaces the capture with `n` UDP packets carrying "evil", each from its own source port
  // (its own flow), 1 ms apart.
  void write_udp_capture(int n) {
    testing::PcapWriter w(pcap);
    const std::string payload = "evil " + std::string(200, 'x');
    for (int i = 0; i < n; ++i) {
      w.write({1751339045 + i / 1000, static_cast<std::uint32_t>(i % 1000) * 1000},
              testing::udp_packet(ip("203.0.113.5"), ip("10.0.0.2"),
                                  static_cast<std::uint16_t>(1024 + i), 53, payload));
    }
  }

  nlohmann::json stats() {
    std::ifstream f(dir.file("stats.json"));
    return nlohmann::json::parse(f);
  }

  // The alert records (every record is held to the EVE schema as it is read).
  std::vector<nlohmann::json> eve() { return testing::read_eve_alerts(dir.file("eve.json")); }
};

constexpr const char* kUdpRule =
    "alert udp any any -> any any (msg:\"evil udp\"; content:\"evil\"; sid:7;)\n";

constexpr const char* kGoodRule =
    "alert tcp $EXTERNAL_NET any -> $HOME_NET 80 (msg:\"evil get\"; flow:established,to_server; "
    "content:\"GET /evil\"; startswith; classtype:web-application-attack; sid:1000001; rev:3; "
    "metadata:created_at 2025_07_01;)\n";

TEST(SensorCli, WithoutTheWatchpostObjectEveryRecordHasSuricatasShape) {
  Fixture fx;
  fx.write_rules(kGoodRule);
  auto r = fx.run({"--set", "eve-log.watchpost=no", "--set", "eve-log.anomaly.decode=yes", "--set",
                   "eve-log.ethernet=yes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto records = testing::read_eve_file(fx.dir.file("eve.json"));  // schema-checked
  std::set<std::string> types;
  for (const auto& j : records) {
    types.insert(j["event_type"].get<std::string>());
    EXPECT_FALSE(j.contains("watchpost")) << j.dump();
  }
  EXPECT_EQ(types, (std::set<std::string>{"alert", "flow"}));
  const auto alerts = fx.eve();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]["ip_v"], 4);
  EXPECT_EQ(alerts[0]["pkt_src"], "wire/pcap");
  EXPECT_EQ(alerts[0]["flow"]["pkts_toserver"], 3) << "the handshake's two and this one";
  EXPECT_EQ(alerts[0]["ether"]["src_mac"], "02:00:00:00:00:01");
  EXPECT_FALSE(alerts[0].contains("payload")) << "off by default, as Suricata";
}

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

// As Suricata: a bad checksum never keeps a packet from detection (only from the stream),
// and the checksum keywords tell the two apart whether validation is on or off.
TEST(SensorCli, BadChecksumPacketIsInspectedAndTheChecksumKeywordsSeeIt) {
  Fixture fx;
  fx.write_rules(
      "alert udp any any -> any any (msg:\"u\"; content:\"evil\"; sid:7;)\n"
      "alert udp any any -> any any (msg:\"bad\"; udpv4-csum:invalid; sid:8;)\n"
      "alert udp any any -> any any (msg:\"good\"; udpv4-csum:valid; sid:9;)\n");
  for (const char* setting : {"pcap-file.checksum-checks=yes", "stream.checksum-validation=no"}) {
    ASSERT_EQ(fx.run({"--set", setting}).exit_code, 0) << setting;
    std::vector<int> sids;
    for (const auto& a : fx.eve()) sids.push_back(a["alert"]["signature_id"].get<int>());
    std::sort(sids.begin(), sids.end());
    EXPECT_EQ(sids, (std::vector<int>{7, 8})) << setting;
    std::remove(fx.dir.file("eve.json").c_str());
  }
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

TEST(SensorCli, PcreMatchLimitHitsAreCountedInStatsAndDoNotHideTheMatch) {
  Fixture fx;
  fx.write_rules("alert udp any any -> any any (msg:\"bt\"; pcre:\"/(a+)+b/\"; sid:8;)\n");
  {
    testing::PcapWriter w(fx.pcap);
    // PCRE2 backtracks over the run of 'a's until its match limit; the match is after it.
    w.write({1751339045, 0}, testing::udp_packet(ip("203.0.113.5"), ip("10.0.0.2"), 5000, 53,
                                                 std::string(40, 'a') + "!ab"));
  }
  auto r = fx.run({});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(fx.eve().size(), 1u);
  std::ifstream sf(fx.dir.file("stats.json"));
  auto stats = nlohmann::json::parse(sf);
  EXPECT_EQ(stats["counters"]["detect.pcre_match_limit"], 1);
  EXPECT_EQ(stats["counters"]["detect.pcre_match_limit_undecided"], 0);
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

TEST(SensorCli, ExitsTwoNamingAMissingRuleFile) {
  Fixture fx;
  fx.write_rules(kGoodRule);
  const std::string missing = fx.dir.file("missing.rules");
  auto r = fx.run({"--rules", missing});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("watchpost: " + missing + ": cannot open: No such file or directory\n"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("watchpost: 5 packets"), std::string::npos) << r.err;
}

TEST(SensorCli, ExitsTwoNamingARuleFileThatIsADirectory) {
  Fixture fx;
  const std::string directory = fx.dir.file("rules.d");
  std::filesystem::create_directory(directory);
  auto r =
      testing::run_program({kSensor, "-r", fx.pcap, "-S", directory, "-l", fx.dir.path().string()},
                           fx.dir.path().string());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("watchpost: " + directory + ": cannot read: Is a directory\n"),
            std::string::npos)
      << r.err;
}

std::uint64_t physical_memory() {
  return static_cast<std::uint64_t>(sysconf(_SC_PHYS_PAGES)) *
         static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

TEST(SensorCli, ExitsTwoWhenAMemcapIsLargerThanPhysicalMemory) {
  Fixture fx;
  fx.write_rules(kGoodRule);
  auto r = fx.run({"--set", "flow.memcap=1000000gb"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err, "watchpost-sensor: flow.memcap 976.5 TiB is larger than physical memory (" +
                       size_text(physical_memory()) + ")\n");
}

TEST(SensorCli, ExitsTwoWhenAMemcapIsLargerThanTheAddressSpaceLimit) {
  if (physical_memory() < (2ull << 30)) GTEST_SKIP() << "needs 2 GiB of memory";
  if (testing::kSanitizerBuild) {
    GTEST_SKIP() << "ASan's shadow memory alone exceeds a 1 GiB RLIMIT_AS: not testable there";
  }
  Fixture fx;
  fx.write_rules(kGoodRule);
  auto r = fx.run_with_address_space(1 << 20, {"--set", "stream.memcap=1500mb"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err,
            "watchpost-sensor: stream.memcap 1.4 GiB is larger than the address space limit "
            "(RLIMIT_AS, 1 GiB)\n");
}

struct BadRange {
  const char* set;
  const char* message;
};

class SensorCliRanges : public ::testing::TestWithParam<BadRange> {};

TEST_P(SensorCliRanges, ExitTwoNamingTheKeyAndTheRange) {
  Fixture fx;
  fx.write_rules(kGoodRule);
  auto r = fx.run({"--set", GetParam().set});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err, std::string("watchpost-sensor: ") + GetParam().message + "\n");
}

INSTANTIATE_TEST_SUITE_P(
    SensorCli, SensorCliRanges,
    ::testing::Values(
        BadRange{"flow.hash-size=2147483649",
                 "flow.hash-size 2147483649 is out of range (1 to 2147483648)"},
        BadRange{"flow.hash-size=0", "flow.hash-size 0 is out of range (1 to 2147483648)"},
        BadRange{"flow.memcap=1b", "flow.memcap 1 B is below the minimum of 64 KiB"},
        BadRange{"stream.memcap=0", "stream.memcap 0 B is below the minimum of 64 KiB"}));

// 2^28 hash buckets are 1 GiB: within the range of flow.hash-size, but not allocatable in a
// 1 GiB address space.
TEST(SensorCli, ExitsTwoNamingTheFlowKeysWhenTheFlowTableCannotBeAllocated) {
  if (physical_memory() < (2ull << 30)) GTEST_SKIP() << "needs 2 GiB of memory";
  if (testing::kSanitizerBuild) {
    GTEST_SKIP() << "ASan's shadow memory alone exceeds a 1 GiB RLIMIT_AS: not testable there";
  }
  Fixture fx;
  fx.write_rules(kGoodRule);
  auto r = fx.run_with_address_space(1 << 20, {"--set", "flow.hash-size=268435456"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("watchpost: not enough memory to set up the flow table (flow.hash-size "
                       "268435456, flow.prealloc 10000, flow.memcap 32 MiB); lower "
                       "flow.hash-size or flow.prealloc\n"),
            std::string::npos)
      << r.err;
}

TEST(SensorCli, SummaryNamesFlowsEvictedForTheFlowMemcap) {
  Fixture fx;
  fx.write_rules(kUdpRule);
  fx.write_udp_capture(2000);
  auto r = fx.run({"--set", "flow.memcap=64kb"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::uint64_t evicted = fx.stats()["counters"]["flow.evicted"];
  EXPECT_GT(evicted, 1000u);
  EXPECT_NE(r.err.find("\nwatchpost: 2000 packets ("), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" 0 anomalies; " + std::to_string(evicted) +
                       " flows evicted (flow.memcap); 2000 alerts from 1 rules; "),
            std::string::npos)
      << r.err;
}

TEST(SensorCli, SummaryNamesNoMemcapWhenNothingWasGivenUp) {
  Fixture fx;
  fx.write_rules(kUdpRule);
  fx.write_udp_capture(100);
  auto r = fx.run({});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find(" 0 anomalies; 100 alerts from 1 rules; "), std::string::npos) << r.err;
}

struct FullAlertFile {
  const char* option;   // --eve, --fast
  const char* what;     // as stderr names the file
  const char* counter;  // output.eve.records, output.fast.alerts (+ "_not_written")
  const char* other;    // the other file's counter
  const char* other_file;
  const char* lost;     // what stderr says was not written
};

class SensorOutputFullDisk : public ::testing::TestWithParam<FullAlertFile> {};

TEST_P(SensorOutputFullDisk, AlertFileExitsOneNamingItAndCountingAlertsNotWritten) {
  const FullAlertFile& p = GetParam();
  Fixture fx;
  fx.write_rules(kUdpRule);
  fx.write_udp_capture(2000);
  // 2000 packets, 2000 flows (a port each): EVE holds 4000 records, 2000 alerts and 2000
  // flow records; fast.log 2000 alerts.
  auto r = fx.run({"--fast", fx.dir.file("fast.log"), p.option, "/dev/full"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find(std::string("watchpost: cannot write ") + p.what +
                       " file /dev/full: No space left on device; " + p.lost + " not written\n"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(std::string("; 2000 alerts from 1 rules; ") + p.lost +
                       " not written to /dev/full; "),
            std::string::npos)
      << r.err;
  const auto counters = fx.stats()["counters"];
  EXPECT_EQ(counters[std::string(p.counter) + "_not_written"],
            std::stoi(p.lost));
  EXPECT_GT(counters[std::string(p.counter).substr(0, std::string(p.counter).rfind('.')) +
                     ".write_errors"].get<int>(),
            0);
  EXPECT_EQ(counters[std::string(p.other) + "_not_written"], 0);
  const std::string other = testing::read_file(fx.dir.file(p.other_file));
  EXPECT_EQ(std::count(other.begin(), other.end(), '\n'), std::string(p.other_file) == "fast.log" ? 2000 : 4000);
}

INSTANTIATE_TEST_SUITE_P(
    SensorOutput, SensorOutputFullDisk,
    ::testing::Values(FullAlertFile{"--eve", "EVE", "output.eve.records", "output.fast.alerts",
                                    "fast.log", "4000 records"},
                      FullAlertFile{"--fast", "fast.log", "output.fast.alerts",
                                    "output.eve.records", "eve.json", "2000 alerts"}),
    [](const ::testing::TestParamInfo<FullAlertFile>& info) {
      return std::string(info.param.option + 2);
    });

struct StatsFailure {
  const char* filename;  // stats.filename, relative to the log directory
  const char* reason;
};

class SensorOutputStats : public ::testing::TestWithParam<StatsFailure> {};

// Both fail for root too: a full device, and a directory that is a regular file.
TEST_P(SensorOutputStats, UnwritableStatsFileExitsOneNamingItAndWhy) {
  Fixture fx;
  fx.write_rules(kGoodRule);
  std::ofstream(fx.dir.file("somefile")) << "x";
  const std::string filename = GetParam().filename;
  const std::string path = filename.starts_with("/") ? filename : fx.dir.file(filename);
  auto r = fx.run({"--set", "stats.filename=" + filename});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(
      r.err.find("watchpost: cannot write stats file " + path + ": " + GetParam().reason + "\n"),
      std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("; stats not written to " + path + "; "), std::string::npos) << r.err;
  EXPECT_EQ(fx.eve().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(SensorOutput, SensorOutputStats,
                         ::testing::Values(StatsFailure{"/dev/full", "No space left on device"},
                                           StatsFailure{"somefile/stats.json", "Not a directory"}));

TEST(SensorOutput, AppendingToAnEveFileEndingInAPartialLineStartsOnANewLine) {
  Fixture fx;
  fx.write_rules(kGoodRule);
  std::ofstream(fx.dir.file("eve.json")) << "{\"event_type\":\"alert\",\"cut short";
  auto r = fx.run({});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream f(fx.dir.file("eve.json"));
  std::vector<std::string> lines;
  for (std::string line; std::getline(f, line);) lines.push_back(line);
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines[0], "{\"event_type\":\"alert\",\"cut short");
  for (std::size_t i = 1; i < lines.size(); ++i) {
    EXPECT_TRUE(nlohmann::json::accept(lines[i])) << lines[i];
  }
  EXPECT_EQ(nlohmann::json::parse(lines[1])["alert"]["signature_id"], 1000001);
}

// Kills a started program that the test did not wait for (a failed assertion).
struct ReapOnExit {
  pid_t pid;
  ~ReapOnExit() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
};

// True once `pid` sits in read(2) with nothing left in the pipe behind `fifo_fd`: it has
// taken every packet written so far and is waiting for more.
bool waits_for_input(pid_t pid, int fifo_fd) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  const std::string syscall_file = "/proc/" + std::to_string(pid) + "/syscall";
  while (std::chrono::steady_clock::now() < deadline) {
    int pending = -1;
    if (ioctl(fifo_fd, FIONREAD, &pending) == 0 && pending == 0) {
      std::istringstream in(testing::read_file(syscall_file));
      std::string nr;
      in >> nr;
      if (nr == std::to_string(SYS_read)) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

class SensorSignal : public ::testing::TestWithParam<int> {};

// A FIFO as the capture: the sensor has replayed the 300 packets written to it and blocks
// waiting for more, with alerts both written and still buffered, when the signal arrives.
TEST_P(SensorSignal, StopsTheReplayFlushingWholeLinesWritingStatsAndExitsZero) {
  const int sig = GetParam();
  Fixture fx;
  fx.write_rules(kUdpRule);
  fx.write_udp_capture(300);
  const std::string capture = testing::read_file(fx.pcap);
  const std::string fifo = fx.dir.file("live.pcap");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::vector<std::string> argv = fx.argv({});
  argv[2] = fifo;
  const testing::RunningProgram p = testing::start_program(argv, fx.dir.path().string());
  ASSERT_GT(p.pid, 0);
  ReapOnExit reap{p.pid};

  // The sensor opens the FIFO after loading its rules; until then there is no reader.
  int fd = -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (fd < 0 && std::chrono::steady_clock::now() < deadline) {
    fd = open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) break;
    ASSERT_EQ(errno, ENXIO);
    ASSERT_EQ(waitpid(p.pid, nullptr, WNOHANG), 0) << "the sensor ended before reading";
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GE(fd, 0);
  ASSERT_EQ(fcntl(fd, F_SETFL, 0), 0);  // blocking writes from here
  int error = 0;
  ASSERT_EQ(write_all(fd, capture, error), capture.size()) << std::strerror(error);
  ASSERT_TRUE(waits_for_input(p.pid, fd));

  ASSERT_EQ(kill(p.pid, sig), 0);
  const testing::ProgramResult r = testing::wait_program(p);
  reap.pid = -1;
  close(fd);

  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::string eve = testing::read_file(fx.dir.file("eve.json"));
  ASSERT_FALSE(eve.empty());
  EXPECT_EQ(eve.back(), '\n');
  EXPECT_EQ(fx.eve().size(), 300u) << "every line whole and valid";
  const auto stats = fx.stats();
  EXPECT_EQ(stats["packets"], 300);
  EXPECT_EQ(stats["alerts"], 300);
  const std::string name = sig == SIGINT ? "SIGINT" : "SIGTERM";
  EXPECT_NE(r.err.find("watchpost: " + name + ": stopped reading after 300 packets\n"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("\nwatchpost: 300 packets ("), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("truncated"), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(SensorSignal, SensorSignal, ::testing::Values(SIGTERM, SIGINT),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::string(info.param == SIGINT ? "Sigint" : "Sigterm");
                         });

// --- the command-line habits of a Suricata operator -----------------------------------

constexpr const char* kUnsupportedRule =
    "alert tcp any any -> any any (msg:\"stores files\"; filestore; sid:9;)\n";
constexpr const char* kMalformedRule =
    "alert tcp any any -> any any (msg:\"broken\"; content:\"x\"; frobnicate; sid:10;)\n";

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

TEST(SensorCli, VersionAndBuildInfoPrintAndExitZero) {
  testing::TempDir dir;
  auto v = testing::run_program({kSensor, "-V"}, dir.path().string());
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_TRUE(contains(v.out, "watchpost-sensor ")) << v.out;
  EXPECT_TRUE(contains(v.out, "Suricata 8.0")) << v.out;
  EXPECT_EQ(testing::run_program({kSensor, "--version"}, dir.path().string()).out, v.out);
  auto b = testing::run_program({kSensor, "--build-info"}, dir.path().string());
  EXPECT_EQ(b.exit_code, 0);
  for (const char* lib : {"hyperscan: ", "hyperscan cpu features: ", "libpcap: ", "pcre2: ",
                          "protobuf: ", "boost: ", "openssl: "}) {
    EXPECT_TRUE(contains(b.out, lib)) << lib << " missing in\n" << b.out;
  }
}

TEST(SensorCli, ListKeywordsNamesWhatLoadsAndWhatIsRecognisedOnly) {
  testing::TempDir dir;
  auto r = testing::run_program({kSensor, "--list-keywords"}, dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto line_of = [&](const std::string& name) {
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(name + " ", 0) == 0) return line;
    }
    return std::string();
  };
  EXPECT_NE(line_of("content").find("payload"), std::string::npos) << r.out;
  EXPECT_NE(line_of("tcp.mss").find("header"), std::string::npos);
  EXPECT_NE(line_of("dns.query").find("buffer (dns)"), std::string::npos);
  EXPECT_NE(line_of("filestore").find("not supported yet"), std::string::npos);
  // The supported ones come first.
  EXPECT_LT(r.out.find("\ncontent "), r.out.find("\nfilestore "));
}

// -T: the exit status says whether the rules and configuration would start.
struct TestModeCase {
  const char* name;
  std::string rules;
  std::vector<std::string> extra;
  int exit_code;
  const char* says;
};

TEST(SensorCli, TestModeExitStatusFollowsWhatWouldLoad) {
  const std::vector<TestModeCase> cases = {
      {"good rules", kGoodRule, {}, 0, "configuration test passed: 1 rules loaded, 0 not"},
      {"not supported yet is allowed", std::string(kGoodRule) + kUnsupportedRule, {}, 0,
       "1 rules loaded, 1 not supported yet"},
      {"a malformed rule fails", std::string(kGoodRule) + kMalformedRule, {}, 2,
       "configuration test failed: 1 rules with errors"},
      {"init-errors-fatal: unsupported fails too", std::string(kGoodRule) + kUnsupportedRule,
       {"--init-errors-fatal"}, 2, "1 rules did not load and --init-errors-fatal is given"},
      {"a bad configuration fails", kGoodRule, {"--set", "flow.memcap=1b"}, 2, "flow.memcap"},
      {"a missing rule file fails", kGoodRule, {"--rules", "/nonexistent/x.rules"}, 2,
       "/nonexistent/x.rules"},
  };
  for (const TestModeCase& c : cases) {
    Fixture fx;
    fx.write_rules(c.rules);
    std::vector<std::string> argv = {kSensor, "-T", "--rules", fx.rules, "--set",
                                     "detect.sgh-mpm-caching-path=" + fx.dir.file("hs")};
    argv.insert(argv.end(), c.extra.begin(), c.extra.end());
    auto r = testing::run_program(argv, fx.dir.path().string());
    EXPECT_EQ(r.exit_code, c.exit_code) << c.name << "\n" << r.err;
    EXPECT_TRUE(contains(r.err, c.says)) << c.name << "\n" << r.err;
    EXPECT_FALSE(std::filesystem::exists(fx.dir.file("eve.json"))) << c.name << ": no capture";
  }
}

TEST(SensorCli, UnsupportedRulesAreCountedNotListedUnlessVerbose) {
  Fixture fx;
  fx.write_rules(std::string(kGoodRule) + kUnsupportedRule + kMalformedRule);
  const std::string unsupported_line = fx.rules + ":2: sid 9: ";
  const std::string malformed_line = fx.rules + ":3: sid 10: unknown keyword 'frobnicate'";

  auto normal = fx.run({});
  ASSERT_EQ(normal.exit_code, 0) << normal.err;
  EXPECT_FALSE(contains(normal.err, unsupported_line)) << normal.err;
  EXPECT_TRUE(contains(normal.err, malformed_line)) << "real errors keep their line";
  EXPECT_TRUE(contains(normal.err, "rules: 1 loaded, 2 skipped by reason:")) << normal.err;

  auto verbose = fx.run({"-v"});
  EXPECT_TRUE(contains(verbose.err, unsupported_line)) << verbose.err;

  auto quiet = fx.run({"-q"});
  EXPECT_TRUE(contains(quiet.err, malformed_line)) << quiet.err;
  EXPECT_FALSE(contains(quiet.err, "rules: 1 loaded")) << quiet.err;
  EXPECT_TRUE(contains(quiet.err, "watchpost: ")) << "the run's summary line stays";

  std::ofstream(fx.dir.file("q.yaml")) << "logging:\n  default-log-level: warning\n";
  auto from_config = fx.run({"-c", fx.dir.file("q.yaml")});
  EXPECT_FALSE(contains(from_config.err, "rules: 1 loaded")) << from_config.err;
  EXPECT_EQ(fx.run({"-q", "-v"}).exit_code, 2);
}

TEST(SensorCli, LowercaseSAddsARuleFileAsRulesDoes) {
  Fixture fx;
  fx.write_rules(kGoodRule);
  std::ofstream(fx.dir.file("more.rules")) << kUdpRule;
  auto r = testing::run_program({kSensor, "-r", fx.pcap, "-S", fx.rules, "-s",
                                 fx.dir.file("more.rules"), "-l", fx.dir.path().string(), "--set",
                                 "detect.sgh-mpm-caching-path=" + fx.dir.file("hs")},
                                fx.dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "rules: 2 loaded, 0 skipped")) << r.err;
}

// A suricata.yaml as an operator brings it: globs in rule-files, Suricata's default paths
// for files this machine does not have.
TEST(SensorCli, ReusedSuricataYamlWithGlobsAndSuricatasDefaultPathsLoads) {
  Fixture fx;
  std::filesystem::create_directories(fx.dir.file("rules"));
  std::ofstream(fx.dir.file("rules/a.rules")) << kGoodRule;
  std::ofstream(fx.dir.file("rules/b.rules")) << kUdpRule;
  std::ofstream(fx.dir.file("rules/notes.txt")) << "not a rule file\n";
  std::ofstream(fx.dir.file("suricata.yaml"))
      << "%YAML 1.1\n---\n"
      << "default-rule-path: " << fx.dir.file("rules") << "\n"
      << "rule-files:\n  - \"*.rules\"\n"
      << "classification-file: /etc/suricata-absent/classification.config\n"
      << "reference-config-file: /etc/suricata-absent/reference.config\n";
  auto r = testing::run_program({kSensor, "-T", "-c", fx.dir.file("suricata.yaml"), "--set",
                                 "detect.sgh-mpm-caching-path=" + fx.dir.file("hs")},
                                fx.dir.path().string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "rules: 2 loaded, 0 skipped")) << r.err;
  EXPECT_TRUE(contains(r.err, "warning: classification-file /etc/suricata-absent/classification.config "
                              "does not exist; using the built-in table"))
      << r.err;
  EXPECT_TRUE(contains(r.err, "warning: reference-config-file /etc/suricata-absent/reference.config "
                              "does not exist"))
      << r.err;
  // A glob that matches nothing is a missing rule file.
  std::ofstream(fx.dir.file("none.yaml"))
      << "default-rule-path: " << fx.dir.file("rules") << "\nrule-files:\n  - \"*.nothing\"\n";
  auto none = testing::run_program({kSensor, "-T", "-c", fx.dir.file("none.yaml")},
                                   fx.dir.path().string());
  EXPECT_EQ(none.exit_code, 2) << none.err;
  EXPECT_TRUE(contains(none.err, "*.nothing")) << none.err;
}

}  // namespace
}  // namespace wp
