#include "detect/compile/rule_loader.h"

#include <glob.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <system_error>

namespace wp::detect {

std::string LoadReport::summary() const {
  std::string s = "rules: " + std::to_string(loaded) + " loaded, " + std::to_string(skipped) +
                  " skipped";
  if (!skipped_by_reason.empty()) {
    std::vector<std::pair<std::size_t, std::string>> by_count;
    for (const auto& [reason, n] : skipped_by_reason) by_count.emplace_back(n, reason);
    std::sort(by_count.begin(), by_count.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    s += " by reason:";
    for (const auto& [n, reason] : by_count) s += "\n  " + std::to_string(n) + "  " + reason;
  }
  if (!hs_cache_dir.empty()) {
    s += "\nhyperscan cache: " + std::to_string(hs_cache.hits) + " hits, " +
         std::to_string(hs_cache.misses) + " misses, " + std::to_string(hs_cache.rebuilt) +
         " rebuilt (" + hs_cache_dir + ")";
  }
  return s;
}

namespace {

// Parsing and compiling free far more than they keep: Hyperscan's compiler alone works in
// tens of MiB for ET Open. glibc keeps freed heap memory for reuse, but fragmented among the
// rule set's long-lived allocations, so the packet path's own allocations (flow table, stream
// pool) came on top of it: 205 MiB peak after a cold compile against 167 MiB with a warm
// cache, on the same capture. Handing the free pages back here, once per load or reload,
// makes the peak the larger of the two phases instead of their sum.
void release_freed_memory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace

LoadedRules load_rules(const std::vector<std::string>& files, const RuleVars& vars,
                       const ClassificationTable& classes, const ThresholdConfig* thresholds,
                       const LoadOptions& options, std::shared_ptr<NameTable> names) {
  LoadedRules out;
  LoadReport& rep = out.report;
  const auto t0 = std::chrono::steady_clock::now();
  RuleParser parser(vars);
  std::vector<Rule> rules;
  // (gid, sid) -> index into `rules`: a sid repeated across files keeps the higher rev.
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::size_t> first_seen;
  for (const std::string& path : files) {
    ++rep.files;
    RuleFileResult r = parser.parse_file(path);
    for (RuleError& e : r.errors) {
      if (!e.unreadable_file()) {
        ++rep.skipped;
        ++rep.skipped_by_reason[e.reason];
      }
      rep.errors.push_back(std::move(e));
    }
    for (Rule& rule : r.rules) {
      auto [it, inserted] = first_seen.emplace(std::make_pair(rule.gid, rule.sid), rules.size());
      if (!inserted) {
        Rule& first = rules[it->second];
        ++rep.skipped;
        ++rep.skipped_by_reason["duplicate sid"];
        rep.errors.push_back(duplicate_sid_error(first, rule));
        if (duplicate_replaces(first, rule)) first = std::move(rule);
        continue;
      }
      rules.push_back(std::move(rule));
    }
  }
  const auto t1 = std::chrono::steady_clock::now();
  rep.parse_seconds = std::chrono::duration<double>(t1 - t0).count();
  rep.loaded = rules.size();
  HsCache cache = HsCache::open(options.hs_cache, rep.warnings);
  auto built =
      RuleSet::build(std::move(rules), classes, &rep.warnings, thresholds, &cache, std::move(names));
  cache.prune(options.hs_cache.max_age_days);
  rep.hs_cache_dir = cache.dir();
  rep.hs_cache = cache.stats();
  rep.compile_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  if (!built) {
    out.fatal = built.error().describe();
    rep.loaded = 0;
    return out;
  }
  out.rules = std::move(built.value());
  release_freed_memory();
  return out;
}

namespace {

// The rule files named by `name` (relative to default_rule_path unless absolute): a glob
// (`*.rules`, as suricata.yaml may list) expands to its matches in name order; one that
// matches nothing stays as written, so it is reported as a missing file.
std::vector<std::string> rule_file_paths(const std::string& name, const std::string& base) {
  namespace fs = std::filesystem;
  const bool relative = !base.empty() && !fs::path(name).is_absolute();
  const std::string path = relative ? (fs::path(base) / name).string() : name;
  if (path.find_first_of("*?[") == std::string::npos) return {path};
  glob_t g{};
  std::vector<std::string> out;
  if (::glob(path.c_str(), GLOB_ERR, nullptr, &g) == 0) {
    for (std::size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  ::globfree(&g);
  if (out.empty()) out.push_back(path);
  return out;
}

}  // namespace

DetectionLoad load_detection(const DetectionConfig& config, std::shared_ptr<NameTable> names) {
  namespace fs = std::filesystem;
  DetectionLoad out;
  std::vector<std::string> warnings;
  // A classification or reference file that does not exist (Suricata's default paths are in
  // most reused suricata.yaml files) falls back to the built-in table with a warning; one
  // that exists but cannot be read or parsed is an error.
  auto missing = [&](const std::string& key, const std::string& path) {
    std::error_code ec;
    if (fs::exists(path, ec)) return false;
    warnings.push_back(key + " " + path + " does not exist; using the built-in table");
    return true;
  };
  ClassificationTable classes = ClassificationTable::defaults();
  if (!config.classification_file.empty() &&
      !missing("classification-file", config.classification_file)) {
    auto loaded = ClassificationTable::load(config.classification_file);
    if (!loaded) {
      out.config_error = loaded.error().describe();
      return out;
    }
    classes = std::move(loaded.value());
  }
  if (!config.reference_config_file.empty() &&
      !missing("reference-config-file", config.reference_config_file)) {
    // Only validated today: EVE alerts carry no reference URLs (as Suricata's default).
    auto refs = ReferenceTable::load(config.reference_config_file);
    if (!refs) {
      out.config_error = refs.error().describe();
      return out;
    }
  }
  if (!config.threshold_file.empty()) {
    std::error_code ec;
    // The default threshold file may be absent; one named explicitly must be readable.
    if (config.threshold_file_explicit || fs::exists(config.threshold_file, ec)) {
      auto t = load_threshold_config(config.threshold_file, config.vars);
      if (!t) {
        out.config_error = "threshold-file " + t.error().describe();
        return out;
      }
      out.thresholds = std::move(t.value());
    }
  }
  std::vector<std::string> files;
  for (const std::string& f : config.rule_files) {
    for (std::string& p : rule_file_paths(f, config.default_rule_path)) files.push_back(std::move(p));
  }
  out.loaded = load_rules(files, config.vars, classes,
                          out.thresholds ? &out.thresholds->config : nullptr,
                          LoadOptions{config.hs_cache}, std::move(names));
  for (const RuleError& e : out.loaded.report.errors) {
    out.unreadable_rule_file = out.unreadable_rule_file || e.unreadable_file();
  }
  auto& w = out.loaded.report.warnings;
  w.insert(w.begin(), warnings.begin(), warnings.end());
  return out;
}

}  // namespace wp::detect
