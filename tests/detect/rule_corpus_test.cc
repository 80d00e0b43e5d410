// Parses the public rule sets in ../shared/data/rules (not part of the repo): no crash, and
// every rejection is one of the expected "not supported yet" kinds. Prints the counts by
// reason and the parse time.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "detect/rule_parser.h"

namespace wp::detect {
namespace {

namespace fs = std::filesystem;

struct CorpusCounts {
  std::size_t files = 0;
  std::size_t loaded = 0;
  std::size_t skipped = 0;
  std::map<std::string, std::size_t> by_reason;
  std::size_t malformed = 0;         // errors not marked "not supported yet"
  std::vector<std::string> samples;  // first message per reason
  double seconds = 0;
};

CorpusCounts parse_directory(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".rules") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  CorpusCounts counts;
  RuleParser parser(RuleVars::suricata_defaults());
  auto start = std::chrono::steady_clock::now();
  for (const fs::path& file : files) {
    RuleFileResult r = parser.parse_file(file.string());
    ++counts.files;
    counts.loaded += r.rules.size();
    counts.skipped += r.errors.size();
    for (const RuleError& e : r.errors) {
      if (counts.by_reason[e.reason]++ == 0) counts.samples.push_back(e.message);
      if (!e.not_supported) ++counts.malformed;
    }
  }
  counts.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return counts;
}

void print(const std::string& name, const CorpusCounts& c) {
  std::printf("%s: %zu files, %zu rules loaded, %zu skipped, %.3f s\n", name.c_str(), c.files,
              c.loaded, c.skipped, c.seconds);
  std::vector<std::pair<std::size_t, std::string>> sorted;
  for (const auto& [reason, n] : c.by_reason) sorted.emplace_back(n, reason);
  std::sort(sorted.rbegin(), sorted.rend());
  for (const auto& [n, reason] : sorted) std::printf("  %6zu  %s\n", n, reason.c_str());
  for (const std::string& s : c.samples) std::printf("  e.g. %s\n", s.c_str());
}

// Kinds of rejection a well-formed public rule may get in this release.
bool is_not_supported_yet(const std::string& reason) {
  return reason.rfind("unsupported keyword '", 0) == 0 ||
         reason.find("track 'by_flow' not supported yet") != std::string::npos ||
         (reason.rfind("buffer '", 0) == 0 &&
          reason.find("not supported yet") != std::string::npos) ||
         reason.rfind("app-layer protocol '", 0) == 0;
}

fs::path rules_dir() { return fs::path(WP_SOURCE_DIR) / ".." / "shared" / "data" / "rules"; }

TEST(RuleCorpus, EtOpenSuricata2024ParsesWithOnlyNotSupportedYetRejections) {
  fs::path dir = rules_dir() / "et-suricata5-2024";
  if (!fs::is_directory(dir)) GTEST_SKIP() << "rule set not present: " << dir;
  CorpusCounts c = parse_directory(dir);
  print("et-suricata5-2024", c);
  EXPECT_GT(c.loaded, 1000u);
  for (const auto& [reason, n] : c.by_reason) {
    EXPECT_TRUE(is_not_supported_yet(reason)) << n << " rules: " << reason;
  }
  EXPECT_EQ(c.malformed, 0u);
  // The whole set is a cold-path parse that should stay well under 1 s (pcre JIT waits for
  // RuleSet::build(), which compiles only the rules it loads).
  EXPECT_LT(c.seconds, 2.0);
}

TEST(RuleCorpus, EtOpenSnort2017ParsesWithOnlyNotSupportedYetRejections) {
  fs::path dir = rules_dir() / "et-snort29-2017";
  if (!fs::is_directory(dir)) GTEST_SKIP() << "rule set not present: " << dir;
  CorpusCounts c = parse_directory(dir);
  print("et-snort29-2017", c);
  EXPECT_GT(c.loaded, 1000u);
  for (const auto& [reason, n] : c.by_reason) {
    EXPECT_TRUE(is_not_supported_yet(reason)) << n << " rules: " << reason;
  }
  EXPECT_EQ(c.malformed, 0u);
}

}  // namespace
}  // namespace wp::detect
