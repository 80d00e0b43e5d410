// The Hyperscan database cache through the real sensor: a second run deserializes what the
// first compiled and raises the same alerts; a damaged entry is rebuilt, not trusted.
#include <gtest/gtest.h>

#include <algorithm>

#include <cstdlib>
#include <filesystem>
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

namespace fs = std::filesystem;
using nlohmann::json;
using testing::ip;

const std::string kSensor = WP_BINARY_DIR "/sensor/app/watchpost-sensor";

struct Fixture {
  testing::TempDir dir;
  std::string pcap = dir.file("in.pcap");
  std::string rules = dir.file("local.rules");
  std::string cache = dir.file("hs");

  Fixture() {
    testing::PcapWriter w(pcap);
    const char* payloads[] = {"GET /evil HTTP/1.1", "attack at dawn", "benign", "evil attack"};
    std::uint32_t usec = 0;
    for (const char* p : payloads) {
      w.write({1751339045, usec += 100},
              testing::udp_packet(ip("203.0.113.5"), ip("10.0.0.2"), 40000, 53, p));
      testing::TcpSpec t;
      t.seq = usec;
      w.write({1751339045, usec += 100},
              testing::tcp_packet(ip("203.0.113.5"), ip("10.0.0.2"), t, p));
    }
    std::ofstream(rules)
        << "alert udp any any -> any 53 (msg:\"evil udp\"; content:\"evil\"; sid:1;)\n"
           "alert udp any any -> any any (msg:\"attack udp\"; content:\"attack\"; sid:2;)\n"
           "alert tcp any any -> any 80 (msg:\"evil tcp\"; content:\"evil\"; sid:3;)\n"
           "alert tcp any any -> any any (msg:\"dawn\"; content:\"at dawn\"; nocase; sid:4;)\n";
  }

  struct Run {
    testing::ProgramResult result;
    json stats;
    std::vector<std::string> eve;  // sorted
  };

  Run run(std::vector<std::string> extra = {}) {
    const std::string out = dir.file("out");
    fs::remove_all(out);
    std::vector<std::string> argv = {kSensor,   "-r",    pcap,
                                     "--rules", rules,   "-l",
                                     out,       "--set", "detect.sgh-mpm-caching-path=" + cache};
    argv.insert(argv.end(), extra.begin(), extra.end());
    Run r;
    r.result = testing::run_program(argv, dir.path().string());
    std::ifstream sf(out + "/stats.json");
    if (sf) r.stats = json::parse(sf);
    for (const json& a : testing::read_eve_alerts(out + "/eve.json")) r.eve.push_back(a.dump());
    // Workers write their alerts in their own order: compare the sets.
    std::sort(r.eve.begin(), r.eve.end());
    return r;
  }

  std::vector<fs::path> entries() const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(cache)) out.push_back(e.path());
    return out;
  }
};

TEST(SensorCache, SecondRunUsesTheCacheAndRaisesIdenticalAlerts) {
  Fixture fx;
  auto cold = fx.run();
  ASSERT_EQ(cold.result.exit_code, 0) << cold.result.err;
  EXPECT_EQ(cold.stats["rules"]["hs_cache"],
            json({{"enabled", true}, {"hits", 2}, {"misses", 2}, {"rebuilt", 0}}));
  EXPECT_NE(cold.result.err.find("hyperscan cache: 2 hits, 2 misses, 0 rebuilt (" + fx.cache + ")"),
            std::string::npos)
      << cold.result.err;
  // Four databases (tcp and udp, each direction); both directions of a protocol hold the
  // same patterns and share one entry.
  EXPECT_EQ(fx.entries().size(), 2u);
  ASSERT_EQ(cold.eve.size(), 7u);

  auto warm = fx.run();
  ASSERT_EQ(warm.result.exit_code, 0) << warm.result.err;
  EXPECT_EQ(warm.stats["rules"]["hs_cache"],
            json({{"enabled", true}, {"hits", 4}, {"misses", 0}, {"rebuilt", 0}}));
  EXPECT_EQ(warm.eve, cold.eve);

  auto off = fx.run({"--set", "detect.sgh-mpm-caching=no"});
  ASSERT_EQ(off.result.exit_code, 0);
  EXPECT_EQ(off.stats["rules"]["hs_cache"]["enabled"], false);
  EXPECT_EQ(off.result.err.find("hyperscan cache:"), std::string::npos) << off.result.err;
  EXPECT_EQ(off.eve, cold.eve);
}

TEST(SensorCache, CorruptEntryIsRebuiltWithAWarningAndTheSameAlerts) {
  Fixture fx;
  auto cold = fx.run();
  ASSERT_EQ(cold.result.exit_code, 0) << cold.result.err;
  for (const fs::path& p : fx.entries()) {
    std::string bytes = testing::read_file(p.string());
    bytes[bytes.size() - 10] ^= 0x20;
    std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
  }
  auto rebuilt = fx.run();
  ASSERT_EQ(rebuilt.result.exit_code, 0) << rebuilt.result.err;
  // The first lookup of each entry finds it damaged and rewrites it; the second hits.
  EXPECT_EQ(rebuilt.stats["rules"]["hs_cache"],
            json({{"enabled", true}, {"hits", 2}, {"misses", 0}, {"rebuilt", 2}}));
  EXPECT_NE(rebuilt.result.err.find("checksum mismatch (corrupt); rebuilt"), std::string::npos)
      << rebuilt.result.err;
  EXPECT_EQ(rebuilt.eve, cold.eve);
  auto warm = fx.run();
  EXPECT_EQ(warm.stats["rules"]["hs_cache"]["hits"], 4);
  EXPECT_EQ(warm.eve, cold.eve);
}

TEST(SensorCache, UnwritableCacheDirectoryFallsBackAndStillAlerts) {
  Fixture fx;
  std::ofstream(fx.dir.file("file")) << "x";
  fx.cache = fx.dir.file("file") + "/hs";  // cannot be created, even by root
  // The sensor inherits the environment: its fallback lands in the temporary directory.
  const char* old = std::getenv("XDG_CACHE_HOME");
  const std::string saved = old != nullptr ? old : "";
  setenv("XDG_CACHE_HOME", fx.dir.file("xdg").c_str(), 1);
  auto r = fx.run({"--set", "detect.sgh-mpm-caching-max-age=0"});
  if (old != nullptr) {
    setenv("XDG_CACHE_HOME", saved.c_str(), 1);
  } else {
    unsetenv("XDG_CACHE_HOME");
  }
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  EXPECT_NE(r.result.err.find("warning: hyperscan cache directory " + fx.cache +
                              ": cannot create it: Not a directory; trying the next one"),
            std::string::npos)
      << r.result.err;
  const std::string fallback = fx.dir.file("xdg") + "/watchpost/hs";
  EXPECT_NE(r.result.err.find("hyperscan cache: 2 hits, 2 misses, 0 rebuilt (" + fallback + ")"),
            std::string::npos)
      << r.result.err;
  EXPECT_EQ(r.eve.size(), 7u);
}

}  // namespace
}  // namespace wp
