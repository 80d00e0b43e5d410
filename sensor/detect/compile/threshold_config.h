// ThresholdConfig: Suricata's threshold.config (config key `threshold-file`): suppressions
// and event filters applied to rules by (gen_id, sig_id) from outside the rule files.
// Parsed on the cold path; RuleSet::build() resolves the entries onto the compiled rules,
// so the packet path only reads per-rule fields (no lookup by sid, no scan of entries).
//
//   suppress gen_id G, sig_id S
//   suppress gen_id G, sig_id S, track by_src|by_dst|by_either, ip ADDR|CIDR|$VAR|[list]
//   event_filter gen_id G, sig_id S, type limit|threshold|both,
//                track by_src|by_dst|by_rule|by_both, count N, seconds T
//   threshold ...    the same as event_filter (Snort's older name)
//   rate_filter ...  parsed, then rejected: changing a rule's action means nothing to a
//                    passive sensor
//
// sig_id 0 means every rule of gen_id G; gen_id 0 with sig_id 0 every rule. Options may come
// in any order; '#' starts a comment line; a trailing '\' continues a line. A bad line is
// reported as "FILE:LINE: message; line skipped" and the rest loads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "detect/rules/address_set.h"
#include "detect/rules/rule.h"
#include "detect/rules/rule_parser.h"

namespace wp::detect {

struct SuppressEntry {
  enum class Track : std::uint8_t { kAll, kBySrc, kByDst, kByEither };
  std::uint32_t gid = 0;
  std::uint32_t sid = 0;
  Track track = Track::kAll;              // kAll: the rule never alerts
  std::shared_ptr<const AddressSet> ips;  // null for kAll
  int line = 0;
};

// An event_filter (or threshold) line.
struct EventFilterEntry {
  std::uint32_t gid = 0;
  std::uint32_t sid = 0;
  ThresholdSpec spec;
  int line = 0;
};

struct ThresholdConfig {
  std::string file;
  std::vector<SuppressEntry> suppress;          // in file order
  std::vector<EventFilterEntry> event_filters;  // in file order
  std::size_t entries() const { return suppress.size() + event_filters.size(); }
};

struct ThresholdConfigResult {
  ThresholdConfig config;
  std::vector<std::string> errors;  // "FILE:LINE: message; line skipped", in line order
};

// Parses the content of a threshold.config; `file` names it in messages. Addresses (and
// their $VARIABLES) are resolved by `addresses`.
ThresholdConfigResult parse_threshold_config(std::string_view text, const std::string& file,
                                             RuleParser& addresses);

// Reads and parses `path`. A file that cannot be read is an error ("PATH: cannot open: ...").
Result<ThresholdConfigResult> load_threshold_config(const std::string& path, const RuleVars& vars);

}  // namespace wp::detect
