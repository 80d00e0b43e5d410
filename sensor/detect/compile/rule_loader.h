// Loading the detection engine. load_detection() is the one way a sensor's configuration
// becomes an engine generation: at startup (app/pipeline), on a reload (with the running
// generation's NameTable), and in watchpost-rulecheck. It reads the classification,
// reference and threshold files and the rule files, drops duplicate sids across files,
// compiles the survivors into a RuleSet and counts what was skipped and why. load_rules() is
// its rule-file part (the benchmark's). Cold path; any thread, one load at a time per
// Hyperscan cache directory object.
#pragma once

#include <map>
#include <memory>
#include <optional>
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
// `names`: the running generation's table on a reload (ids survive), null at startup.
LoadedRules load_rules(const std::vector<std::string>& files, const RuleVars& vars,
                       const ClassificationTable& classes,
                       const ThresholdConfig* thresholds = nullptr,
                       const LoadOptions& options = {},
                       std::shared_ptr<NameTable> names = nullptr);

// What the detection engine is loaded from: the sensor configuration's detect keys.
struct DetectionConfig {
  std::vector<std::string> rule_files;  // rule-files, --rules, -S (relative: see below)
  std::string default_rule_path;        // default-rule-path: base of relative rule files
  RuleVars vars = RuleVars::suricata_defaults();  // vars.address-groups / port-groups
  std::string classification_file;      // empty: the built-in table
  std::string reference_config_file;    // empty: the built-in table (validated only)
  std::string threshold_file;           // empty: none
  bool threshold_file_explicit = false;  // set explicitly: must then be readable
  HsCacheConfig hs_cache{.enabled = false};
};

struct DetectionLoad {
  // Nothing was loaded: a classification, reference or threshold file is unusable. The
  // message is ready to print after "watchpost: ".
  std::string config_error;
  // The rules as load_rules() left them (rules is null when compilation failed: `fatal`).
  LoadedRules loaded;
  // The threshold file as loaded (absent when none is configured or the default is missing).
  std::optional<ThresholdConfigResult> thresholds;
  // A rule file named in the configuration could not be read: the set is incomplete (the
  // sensor refuses to start with it; a reload keeps the running generation).
  bool unreadable_rule_file = false;

  // A usable generation: no config error, compiled, every rule file read.
  bool ok() const { return config_error.empty() && loaded.rules && !unreadable_rule_file; }
};

// Loads the detection engine from `config` (see the top of this file). `names`: as
// load_rules().
DetectionLoad load_detection(const DetectionConfig& config,
                             std::shared_ptr<NameTable> names = nullptr);

}  // namespace wp::detect
