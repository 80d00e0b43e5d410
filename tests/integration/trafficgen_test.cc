// watchpost-trafficgen as a process: the bundled captures regenerate byte for byte (so they
// provably come from our code), output is deterministic, and bad usage exits 2 with a message.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "integration/run_program.h"
#include "support/temp_dir.h"

namespace {

using wp::testing::read_file;
using wp::testing::run_program;
using wp::testing::TempDir;

const std::string kTrafficgen = WP_BINARY_DIR "/tools/trafficgen/watchpost-trafficgen";
const std::string kCaptures = WP_SOURCE_DIR "/tools/trafficgen/captures";

std::uint32_t le32(const std::string& bytes, std::size_t at) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at])) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 1])) << 8 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 2])) << 16 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 3])) << 24;
}

struct PcapRecord {
  std::uint32_t sec;
  std::uint32_t usec;
  std::uint32_t length;
};

// Record headers of a classic little-endian pcap file (the generator writes this format).
std::vector<PcapRecord> pcap_records(const std::string& bytes) {
  std::vector<PcapRecord> records;
  std::size_t at = 24;
  while (at + 16 <= bytes.size()) {
    const PcapRecord r{le32(bytes, at), le32(bytes, at + 4), le32(bytes, at + 8)};
    records.push_back(r);
    at += 16 + r.length;
  }
  return records;
}

// `name`.pcap in captures/ is `watchpost-trafficgen scenario` with `options`.
void expect_regenerates(const std::string& scenario, const std::string& name,
                        std::vector<std::string> options = {}) {
  TempDir dir;
  const std::string out = dir.file(name + ".pcap");
  std::vector<std::string> argv = {kTrafficgen, scenario, out};
  argv.insert(argv.end(), options.begin(), options.end());
  const auto r = run_program(argv, dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string checked_in = read_file(kCaptures + "/" + name + ".pcap");
  ASSERT_FALSE(checked_in.empty()) << "missing " << kCaptures << "/" << name << ".pcap";
  std::string command = "watchpost-trafficgen " + scenario + " tools/trafficgen/captures/" +
                        name + ".pcap";
  for (const auto& o : options) command += " " + o;
  // Not EXPECT_EQ on the strings: a diff of binary captures helps nobody.
  EXPECT_TRUE(read_file(out) == checked_in)
      << "tools/trafficgen/captures/" << name << ".pcap differs from what the generator "
      << "writes now; regenerate it: " << command;
}

TEST(Trafficgen, RegeneratingDemoGivesTheCheckedInCaptureByteForByte) {
  expect_regenerates("demo", "demo");
  expect_regenerates("demo", "demo-phan-rang", {"--seed", "7"});
}

TEST(Trafficgen, RegeneratingBenignGivesTheCheckedInCaptureByteForByte) {
  expect_regenerates("benign", "benign");
}

TEST(Trafficgen, CaptureStartsAt2025_07_01T03_04_05ZAndTimeOnlyMovesForward) {
  const auto records = pcap_records(read_file(kCaptures + "/demo.pcap"));
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.front().sec, 1751339045u);
  EXPECT_EQ(records.front().usec, 0u);
  for (std::size_t i = 1; i < records.size(); ++i) {
    const auto prev = std::uint64_t{records[i - 1].sec} * 1000000 + records[i - 1].usec;
    const auto cur = std::uint64_t{records[i].sec} * 1000000 + records[i].usec;
    EXPECT_LT(prev, cur) << "record " << i;
  }
}

TEST(Trafficgen, SameSeedGivesSameBytesAndAnotherSeedDifferentBytes) {
  TempDir dir;
  const std::vector<std::string> flood = {"--flows", "20", "--packets-per-flow", "4"};
  auto run = [&](const std::string& name, const std::string& seed) {
    std::vector<std::string> argv = {kTrafficgen, "flood", dir.file(name), "--seed", seed};
    argv.insert(argv.end(), flood.begin(), flood.end());
    const auto r = run_program(argv, dir.path().string());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return read_file(dir.file(name));
  };
  const std::string a = run("a.pcap", "7");
  const std::string b = run("b.pcap", "7");
  const std::string c = run("c.pcap", "8");
  ASSERT_FALSE(a.empty());
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a == c);
}

TEST(Trafficgen, FloodWritesHandshakeDataPacketsAndCloseForEveryFlow) {
  TempDir dir;
  const auto r = run_program({kTrafficgen, "flood", dir.file("f.pcap"), "--flows", "25",
                              "--packets-per-flow", "6", "--payload-size", "100"},
                             dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto records = pcap_records(read_file(dir.file("f.pcap")));
  ASSERT_EQ(records.size(), 25u * (3 + 6 + 3));
  // Ethernet 14 + IPv4 20 + TCP 20 + 100 bytes of payload.
  EXPECT_EQ(records[3].length, 154u);
  EXPECT_EQ(records[0].length, 62u);  // SYN with MSS and SACK-permitted options
}

TEST(Trafficgen, ListNamesEveryScenario) {
  TempDir dir;
  const auto r = run_program({kTrafficgen, "--list"}, dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> names;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    names.push_back(line.substr(0, line.find(' ')));
    EXPECT_GT(line.size(), names.back().size() + 10) << "no description: " << line;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"demo", "benign", "flood"}));
}

struct BadUsage {
  std::vector<std::string> args;
  std::string message;  // first line of standard error
};

TEST(Trafficgen, BadUsageExitsTwoWithAMessageNamingTheProblem) {
  const std::vector<BadUsage> cases = {
      {{"nosuch", "out.pcap"},
       "watchpost-trafficgen: unknown scenario 'nosuch'; run with --list to see the scenarios"},
      {{"demo"}, "watchpost-trafficgen: expected SCENARIO and OUT.pcap"},
      {{}, "watchpost-trafficgen: expected SCENARIO and OUT.pcap"},
      {{"demo", "out.pcap", "--seed"}, "watchpost-trafficgen: --seed needs a value"},
      {{"demo", "out.pcap", "--seed", "x1"},
       "watchpost-trafficgen: --seed: 'x1' is not a non-negative integer"},
      {{"demo", "out.pcap", "--flows", "3"},
       "watchpost-trafficgen: --flows, --packets-per-flow and --payload-size apply to the flood "
       "scenario only"},
      {{"flood", "out.pcap", "--flows", "0"}, "watchpost-trafficgen: --flows must be at least 1"},
      {{"flood", "out.pcap", "--payload-size", "1461"},
       "watchpost-trafficgen: --payload-size must be 1..1460"},
      {{"demo", "out.pcap", "--verbose"}, "watchpost-trafficgen: unknown option '--verbose'"},
  };
  for (const BadUsage& c : cases) {
    TempDir dir;
    std::vector<std::string> argv = {kTrafficgen};
    for (const std::string& a : c.args) argv.push_back(a == "out.pcap" ? dir.file(a) : a);
    const auto r = run_program(argv, dir.path().string());
    std::string args;
    for (const std::string& a : c.args) args += " " + a;
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_EQ(r.err.substr(0, r.err.find('\n')), c.message) << args;
    EXPECT_FALSE(std::filesystem::exists(dir.file("out.pcap"))) << args;
  }
}

TEST(Trafficgen, UnwritableOutputExitsOneNamingTheFile) {
  TempDir dir;
  const std::string out = dir.file("no/such/dir/demo.pcap");
  const auto r = run_program({kTrafficgen, "demo", out}, dir.path().string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "watchpost-trafficgen: cannot create '" + out + "': No such file or directory\n");
}

}  // namespace
