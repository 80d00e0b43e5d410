// Rule loading as the sensor, the benchmark and the rule checker do it: parse every rule
// file, drop duplicate sids across files, compile the survivors into a RuleSet, and count
// what was skipped and why. Cold path.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "detect/compile/classification.h"
#include "detect/compile/hs_cache.h"
#include "detect/rules/rule_parser.h"
#include "detect/compile/rule_set.h"

namespace wp::detect {

struct LoadReport {
  std::size_t files = 0;
  std::size_t loaded = 0;
  std::size_t skipped = 0;
  std::map<std::string, std::size_t> skipped_by_reason;
  std::vector<RuleError> errors;       // one per skipped rule or unreadable file
  std::vector<std::string> warnings;   // e.g. unknown classtype, a rejected cache entry
  double parse_seconds = 0;
  double compile_seconds = 0;
  // Hyperscan database cache: the directory in use (empty: no cache) and what it did.
  std::string hs_cache_dir;
  HsCacheStats hs_cache;

  // "rules: 3512 loaded, 21315 skipped by reason:\n  12000  buffer 'http.uri' not ..."
  // followed by a "hyperscan cache: 8 hits, 0 misses, 0 rebuilt (DIR)" line when a cache
  // was used.
  std::string summary() const;
};

struct LoadOptions {
  // Hyperscan database cache; off unless asked for (the sensor's config turns it on).
  HsCacheConfig hs_cache{.enabled = false};
};

struct LoadedRules {
  std::shared_ptr<const RuleSet> rules;  // null when compilation failed
  LoadReport report;
  std::string fatal;  // why compilation failed
};

// `thresholds` (threshold.config, may be null) is resolved onto the compiled rules; entries
// naming rules that are not loaded are warnings in the report.
LoadedRules load_rules(const std::vector<std::string>& files, const RuleVars& vars,
                       const ClassificationTable& classes,
                       const ThresholdConfig* thresholds = nullptr,
                       const LoadOptions& options = {});

}  // namespace wp::detect
