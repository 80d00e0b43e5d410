// watchpost-rulecheck's analysis: what became of every rule of a set of rule files (loaded,
// rejected, or not supported yet), which loaded rules are likely to be costly, and, over a
// capture, what each rule cost. Loading goes through detect::load_detection() exactly as the
// sensor's, and a capture through app::Worker (decode -> flow -> detect), so what the checker
// says is what the sensor does. Cold path, one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "app/config.h"
#include "detect/compile/rule_loader.h"
#include "detect/compile/threshold_config.h"

namespace wp::rulecheck {

enum class Status {
  kLoaded,
  kRejected,     // malformed, a duplicate sid, or a problem in its context
  kUnsupported,  // well-formed, uses something recognised and not supported yet
};

// One rule as written in a file.
struct RuleEntry {
  std::string file;
  int line = 0;
  Status status = Status::kLoaded;
  // Known for loaded rules; for a rejected rule when the parser read its sid first (0 otherwise).
  std::uint32_t gid = 0;
  std::uint32_t sid = 0;
  std::uint32_t rev = 0;
  std::string msg;
  std::string reason;          // rejected: the summary key, e.g. "unknown keyword 'foo'"
  std::string message;         // rejected: "FILE:LINE: sid N: ...; rule skipped"
  std::size_t rule_index = 0;  // loaded: index into the RuleSet's rules()
};

// A loaded rule that is likely to cost much per packet.
struct CostWarning {
  std::string file;
  int line = 0;
  std::uint32_t sid = 0;
  std::string kind;  // "no-content", "unanchored-pcre", "short-fast-pattern", "common-fast-pattern"
  std::string message;  // "FILE:LINE: sid N: ..."
};

struct CheckResult {
  detect::LoadedRules loaded;
  std::vector<RuleEntry> rules;                // in file order (as given), then line order
  std::vector<detect::RuleError> file_errors;  // files that could not be read
  std::vector<CostWarning> costly;
  // The configuration's threshold-file (as the sensor loads it), applied to the rules.
  std::optional<detect::ThresholdConfigResult> thresholds;
};

// Fast patterns shorter than this many bytes are reported as short.
inline constexpr std::size_t kShortFastPattern = 4;

// Strings found in most traffic of their protocol. A fast pattern that occurs inside one of
// them makes its rule a candidate for (at least) every packet carrying that string.
const std::vector<std::string>& common_strings();

// Loads `files` as the sensor would with `config` (variables, classification file,
// threshold-file, Hyperscan cache) and analyses them. Returns an error only when the
// classification file or a configured threshold-file is unusable.
Result<CheckResult> check_rules(const std::vector<std::string>& files, const app::Config& config);

// The costly-rule warnings for one compiled rule (empty when none applies).
std::vector<CostWarning> cost_warnings(const detect::CompiledRule& cr);

// `bytes` as rule content text: printable ASCII as is, other bytes as |xx xx|.
std::string content_text(std::string_view bytes);

// Per-rule results of running the rules over a capture.
struct RuleCost {
  std::size_t rule_index = 0;
  std::uint64_t alerts = 0;
  detect::RuleProfile profile;
};

struct PcapRun {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  std::uint64_t alerts = 0;
  double seconds = 0;
  std::vector<std::string> warnings;  // truncated capture, checksum auto mode
  // Every rule that was a candidate at least once or alerted, by verification time
  // (descending), then checks, then rule order.
  std::vector<RuleCost> rules;
};

// Replays `pcaps` (one capture, in order) through the pipeline with profiling on.
Result<PcapRun> run_capture(const std::vector<std::string>& pcaps, const app::Config& config,
                            const std::shared_ptr<const detect::RuleSet>& rules);

}  // namespace wp::rulecheck
