#include "detect/compile/hs_cache.h"

#include <gtest/gtest.h>
#include <hs/hs.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "detect/compile/rule_loader.h"
#include "support/temp_dir.h"

namespace wp::detect {
namespace {

namespace fs = std::filesystem;

struct Patterns {
  std::vector<std::string> text;
  HsLiteralList list;

  explicit Patterns(std::vector<std::string> t) : text(std::move(t)) {
    list.mode = HS_MODE_BLOCK;
    for (std::size_t i = 0; i < text.size(); ++i) {
      list.exprs.push_back(text[i].data());
      list.lens.push_back(text[i].size());
      list.flags.push_back(HS_FLAG_SINGLEMATCH);
      list.ids.push_back(static_cast<unsigned>(i));
    }
  }
};

// Pattern ids that `db` finds in `data`.
std::vector<unsigned> scan(const hs_database* db, const std::string& data) {
  hs_scratch_t* scratch = nullptr;
  EXPECT_EQ(hs_alloc_scratch(db, &scratch), HS_SUCCESS);
  std::vector<unsigned> ids;
  hs_scan(
      db, data.data(), static_cast<unsigned>(data.size()), 0, scratch,
      [](unsigned id, unsigned long long, unsigned long long, unsigned, void* ctx) {
        static_cast<std::vector<unsigned>*>(ctx)->push_back(id);
        return 0;
      },
      &ids);
  hs_free_scratch(scratch);
  return ids;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void spit(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// Sets an environment variable for the life of the object, then restores it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

struct CacheFixture {
  testing::TempDir tmp;
  std::string dir = tmp.file("hs");
  Patterns pats{{"evil", "attack", "GET /admin"}};
  std::vector<std::string> warnings;

  HsCache open() { return HsCache::open({.enabled = true, .path = dir}, warnings); }
  std::string entry() { return open().entry_path(hs_cache_key(pats.list, HsPlatform::current())); }
};

TEST(HsCache, MissCompilesAndStoresThenAFreshCacheHits) {
  CacheFixture fx;
  {
    HsCache cache = fx.open();
    ASSERT_TRUE(cache.enabled());
    EXPECT_EQ(cache.dir(), fx.dir);
    auto db = cache.get_or_compile(fx.pats.list, &fx.warnings);
    ASSERT_TRUE(db) << db.error().describe();
    EXPECT_EQ(cache.stats().misses, 1u);
    EXPECT_EQ(cache.stats().hits, 0u);
    EXPECT_EQ(cache.stats().stored, 1u);
    EXPECT_TRUE(fs::exists(fx.entry()));
  }
  HsCache cache = fx.open();
  auto db = cache.get_or_compile(fx.pats.list, &fx.warnings);
  ASSERT_TRUE(db);
  EXPECT_EQ(cache.stats().hits, 1u);
  EXPECT_EQ(cache.stats().misses, 0u);
  EXPECT_EQ(cache.stats().stored, 0u);
  EXPECT_EQ(scan(db.value().get(), "xx attack yy"), std::vector<unsigned>{1});
  EXPECT_TRUE(fx.warnings.empty());
  // No temporary files are left behind.
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(fx.dir)) {
    ++files;
    EXPECT_EQ(e.path().extension(), ".hsdb") << e.path();
  }
  EXPECT_EQ(files, 1u);
}

// An entry that fails validation is counted as rebuilt, named in a warning, recompiled and
// rewritten, so the next load hits.
struct BadEntryCase {
  const char* name;
  void (*damage)(std::string& bytes);
  const char* why;
};

const BadEntryCase kBadEntries[] = {
    {"flipped payload byte", [](std::string& b) { b[b.size() / 2] ^= 0x55; },
     "checksum mismatch (corrupt)"},
    {"flipped checksum byte", [](std::string& b) { b[8 + 32 + 8] ^= 1; },
     "checksum mismatch (corrupt)"},
    {"truncated payload", [](std::string& b) { b.resize(b.size() - 100); }, nullptr},
    {"truncated header", [](std::string& b) { b.resize(20); },
     "truncated (20 bytes, shorter than the header)"},
    {"empty file", [](std::string& b) { b.clear(); },
     "truncated (0 bytes, shorter than the header)"},
    {"bad magic", [](std::string& b) { b[0] = 'X'; }, "not a cache entry (bad magic)"},
    {"other key", [](std::string& b) { b[8] ^= 1; }, "written for another key"},
};

TEST(HsCache, DamagedEntryIsRebuiltNeverTrusted) {
  for (const BadEntryCase& c : kBadEntries) {
    SCOPED_TRACE(c.name);
    CacheFixture fx;
    { ASSERT_TRUE(fx.open().get_or_compile(fx.pats.list, nullptr)); }
    const std::string path = fx.entry();
    std::string bytes = slurp(path);
    const std::size_t payload = bytes.size() - (8 + 32 + 8 + 32);
    c.damage(bytes);
    spit(path, bytes);
    {
      HsCache cache = fx.open();
      auto db = cache.get_or_compile(fx.pats.list, &fx.warnings);
      ASSERT_TRUE(db);
      EXPECT_EQ(scan(db.value().get(), "evil"), std::vector<unsigned>{0});
      EXPECT_EQ(cache.stats().rebuilt, 1u);
      EXPECT_EQ(cache.stats().hits, 0u);
      EXPECT_EQ(cache.stats().misses, 0u);
      const std::string why = c.why != nullptr
                                  ? c.why
                                  : "truncated (payload " + std::to_string(payload - 100) + " of " +
                                        std::to_string(payload) + " bytes)";
      ASSERT_EQ(fx.warnings.size(), 1u);
      EXPECT_EQ(fx.warnings[0], "hyperscan cache entry " + path + ": " + why + "; rebuilt");
    }
    HsCache again = fx.open();
    ASSERT_TRUE(again.get_or_compile(fx.pats.list, nullptr));
    EXPECT_EQ(again.stats().hits, 1u);
  }
}

TEST(HsCache, EntryWithValidChecksumButForeignPayloadIsRejectedByHyperscan) {
  CacheFixture fx;
  { ASSERT_TRUE(fx.open().get_or_compile(fx.pats.list, nullptr)); }
  const std::string path = fx.entry();
  std::string bytes = slurp(path);
  // Replace the payload with junk of the same length and give it a matching checksum: only
  // hs_deserialize_database() can tell.
  const std::size_t header = 8 + 32 + 8 + 32;
  for (std::size_t i = header; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7);
  unsigned n = 0;
  EVP_Digest(bytes.data() + header, bytes.size() - header,
             reinterpret_cast<unsigned char*>(bytes.data() + 8 + 32 + 8), &n, EVP_sha256(),
             nullptr);
  spit(path, bytes);
  HsCache cache = fx.open();
  ASSERT_TRUE(cache.get_or_compile(fx.pats.list, &fx.warnings));
  EXPECT_EQ(cache.stats().rebuilt, 1u);
  ASSERT_EQ(fx.warnings.size(), 1u);
  EXPECT_NE(fx.warnings[0].find(": hyperscan rejected it: "), std::string::npos) << fx.warnings[0];
}

TEST(HsCache, KeyCoversVersionPlatformModeAndEveryPatternProperty) {
  const Patterns base({"evil", "attack"});
  const HsPlatform here = HsPlatform::current();
  const HsCacheKey k0 = hs_cache_key(base.list, here);
  EXPECT_EQ(k0, hs_cache_key(Patterns({"evil", "attack"}).list, here));
  EXPECT_EQ(to_hex(k0).size(), 64u);

  struct Variant {
    const char* name;
    HsCacheKey key;
  };
  HsPlatform other_version = here;
  other_version.version += "-other";
  HsPlatform other_cpu = here;
  other_cpu.cpu_features ^= HS_CPU_FEATURES_AVX2;
  HsPlatform other_tune = here;
  other_tune.tune =
      here.tune == HS_TUNE_FAMILY_GENERIC ? HS_TUNE_FAMILY_SKL : HS_TUNE_FAMILY_GENERIC;
  Patterns caseless({"evil", "attack"});
  caseless.list.flags[1] |= HS_FLAG_CASELESS;
  Patterns ids({"evil", "attack"});
  ids.list.ids = {1, 0};
  Patterns streaming({"evil", "attack"});
  streaming.list.mode = HS_MODE_STREAM;
  // Same concatenation, different split: lengths are part of the key.
  Patterns split({"evi", "lattack"});
  const Variant variants[] = {
      {"hyperscan version", hs_cache_key(base.list, other_version)},
      {"cpu features", hs_cache_key(base.list, other_cpu)},
      {"tuning", hs_cache_key(base.list, other_tune)},
      {"pattern bytes", hs_cache_key(Patterns({"evil", "attacK"}).list, here)},
      {"pattern order", hs_cache_key(Patterns({"attack", "evil"}).list, here)},
      {"pattern split", hs_cache_key(split.list, here)},
      {"one pattern more", hs_cache_key(Patterns({"evil", "attack", "x"}).list, here)},
      {"flags", hs_cache_key(caseless.list, here)},
      {"ids", hs_cache_key(ids.list, here)},
      {"mode", hs_cache_key(streaming.list, here)},
  };
  for (const Variant& v : variants) EXPECT_NE(v.key, k0) << v.name;
}

TEST(HsCache, UnwritableDirectoryFallsBackToXdgCacheHomeWithAWarning) {
  testing::TempDir tmp;
  spit(tmp.file("plain-file"), "x");
  // Below a regular file nothing can be created, even by root.
  const std::string bad = tmp.file("plain-file") + "/hs";
  ScopedEnv xdg("XDG_CACHE_HOME", tmp.file("xdg"));
  std::vector<std::string> warnings;
  HsCache cache = HsCache::open({.enabled = true, .path = bad}, warnings);
  EXPECT_EQ(cache.dir(), tmp.file("xdg") + "/watchpost/hs");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], "hyperscan cache directory " + bad +
                             ": cannot create it: Not a directory; trying the next one");
  Patterns p({"evil"});
  ASSERT_TRUE(cache.get_or_compile(p.list, nullptr));
  EXPECT_EQ(cache.stats().stored, 1u);
  EXPECT_TRUE(fs::exists(cache.entry_path(hs_cache_key(p.list, HsPlatform::current()))));
}

TEST(HsCache, FallsBackToHomeCacheWithoutXdgCacheHome) {
  testing::TempDir tmp;
  spit(tmp.file("plain-file"), "x");
  ScopedEnv xdg("XDG_CACHE_HOME", "");
  ScopedEnv home("HOME", tmp.file("home"));
  std::vector<std::string> warnings;
  HsCache cache = HsCache::open({.enabled = true, .path = tmp.file("plain-file")}, warnings);
  EXPECT_EQ(cache.dir(), tmp.file("home") + "/.cache/watchpost/hs");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], "hyperscan cache directory " + tmp.file("plain-file") +
                             ": not a directory; trying the next one");
}

TEST(HsCache, NoUsableDirectoryCompilesWithoutACache) {
  testing::TempDir tmp;
  spit(tmp.file("plain-file"), "x");
  ScopedEnv xdg("XDG_CACHE_HOME", tmp.file("plain-file") + "/xdg");
  std::vector<std::string> warnings;
  HsCache cache =
      HsCache::open({.enabled = true, .path = tmp.file("plain-file") + "/hs"}, warnings);
  EXPECT_FALSE(cache.enabled());
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[1], "hyperscan cache directory " + tmp.file("plain-file") +
                             "/xdg/watchpost/hs: cannot create it: Not a directory; compiling "
                             "without a cache");
  Patterns p({"evil"});
  auto db = cache.get_or_compile(p.list, nullptr);
  ASSERT_TRUE(db);
  EXPECT_EQ(scan(db.value().get(), "evil"), std::vector<unsigned>{0});
  EXPECT_EQ(cache.stats().misses + cache.stats().hits + cache.stats().stored, 0u);
}

TEST(HsCache, DisabledByConfigurationTouchesNoDirectory) {
  testing::TempDir tmp;
  std::vector<std::string> warnings;
  HsCache cache = HsCache::open({.enabled = false, .path = tmp.file("hs")}, warnings);
  EXPECT_FALSE(cache.enabled());
  EXPECT_TRUE(warnings.empty());
  EXPECT_FALSE(fs::exists(tmp.file("hs")));
}

TEST(HsCache, PruneRemovesEntriesUnusedForLongerThanMaxAge) {
  CacheFixture fx;
  Patterns old_pats({"old"});
  HsCache cache = fx.open();
  ASSERT_TRUE(cache.get_or_compile(fx.pats.list, nullptr));
  ASSERT_TRUE(cache.get_or_compile(old_pats.list, nullptr));
  const std::string old_entry =
      cache.entry_path(hs_cache_key(old_pats.list, HsPlatform::current()));
  const std::string stale_tmp = fx.dir + "/abc.hsdb.1.0.tmp";
  const std::string foreign = fx.dir + "/notes.txt";
  spit(stale_tmp, "half");
  spit(foreign, "keep me");
  const auto long_ago = fs::file_time_type::clock::now() - std::chrono::hours(24 * 10);
  for (const std::string& p : {old_entry, stale_tmp, foreign}) fs::last_write_time(p, long_ago);
  EXPECT_EQ(cache.prune(0), 0u);  // 0: never
  EXPECT_EQ(cache.prune(30), 0u);
  EXPECT_EQ(cache.prune(7), 2u);
  EXPECT_FALSE(fs::exists(old_entry));
  EXPECT_FALSE(fs::exists(stale_tmp));
  EXPECT_TRUE(fs::exists(foreign));
  EXPECT_TRUE(fs::exists(fx.entry()));
}

TEST(HsCache, HitRefreshesTheEntryTimeSoPruneKeepsEntriesInUse) {
  CacheFixture fx;
  { ASSERT_TRUE(fx.open().get_or_compile(fx.pats.list, nullptr)); }
  const auto long_ago = fs::file_time_type::clock::now() - std::chrono::hours(24 * 10);
  fs::last_write_time(fx.entry(), long_ago);
  HsCache cache = fx.open();
  ASSERT_TRUE(cache.get_or_compile(fx.pats.list, nullptr));
  EXPECT_EQ(cache.stats().hits, 1u);
  EXPECT_EQ(cache.prune(7), 0u);
  EXPECT_TRUE(fs::exists(fx.entry()));
}

TEST(HsCache, RuleLoadUsesTheCacheAndReportsItInTheSummary) {
  testing::TempDir tmp;
  const std::string rules = tmp.file("local.rules");
  std::ofstream(rules)
      << "alert tcp any any -> any 80 (msg:\"a\"; flow:to_server; content:\"evil\"; sid:1;)\n"
         "alert udp any any -> any any (msg:\"b\"; content:\"bad\"; sid:2;)\n";
  LoadOptions opts;
  opts.hs_cache = {.enabled = true, .path = tmp.file("hs")};
  auto first = load_rules({rules}, RuleVars::suricata_defaults(), ClassificationTable::defaults(),
                          nullptr, opts);
  ASSERT_TRUE(first.rules) << first.fatal;
  // tcp to_server and udp in both directions: three databases, two of them identical (the
  // udp ones), which share one entry.
  EXPECT_EQ(first.report.hs_cache.misses, 2u);
  EXPECT_EQ(first.report.hs_cache.hits, 1u);
  EXPECT_EQ(first.report.hs_cache.stored, 2u);
  auto second = load_rules({rules}, RuleVars::suricata_defaults(), ClassificationTable::defaults(),
                           nullptr, opts);
  ASSERT_TRUE(second.rules);
  EXPECT_EQ(second.report.hs_cache.hits, 3u);
  EXPECT_EQ(second.report.hs_cache.misses, 0u);
  EXPECT_TRUE(second.report.warnings.empty());
  EXPECT_EQ(second.report.summary(),
            "rules: 2 loaded, 0 skipped\nhyperscan cache: 3 hits, 0 misses, 0 rebuilt (" +
                tmp.file("hs") + ")");
  // Without options: no cache, no cache line.
  auto plain = load_rules({rules}, RuleVars::suricata_defaults(), ClassificationTable::defaults());
  EXPECT_TRUE(plain.report.hs_cache_dir.empty());
  EXPECT_EQ(plain.report.summary(), "rules: 2 loaded, 0 skipped");
}

}  // namespace
}  // namespace wp::detect
