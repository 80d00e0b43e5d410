// Detector: runs a compiled RuleSet over packets. One Detector per worker thread: it owns the
// Hyperscan scratch, the PCRE2 match data and all per-packet buffers, allocated up front, so
// inspect() never allocates. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "common/counters.h"
#include "decode/packet.h"
#include "detect/rule_set.h"
#include "detect/threshold.h"
#include "flow/flow_table.h"

struct hs_scratch;

namespace wp::detect {

struct DetectorConfig {
  std::uint32_t packet_alert_max = 15;  // packet-alert-max
};

// What one rule cost, collected only when profiling is on (watchpost-rulecheck --pcap).
struct RuleProfile {
  std::uint64_t checks = 0;   // times the rule was verified as a candidate
  std::uint64_t matches = 0;  // verifications that matched (before pass/threshold/noalert)
  std::uint64_t ns = 0;       // time spent verifying, nanoseconds (steady clock)
};

class Detector {
 public:
  Detector(std::shared_ptr<const RuleSet> rules, const DetectorConfig& config, Counters& counters);
  ~Detector();
  Detector(const Detector&) = delete;
  Detector& operator=(const Detector&) = delete;

  // Runs every rule that can match `pkt` and returns the indices (into rules().rules()) of
  // the rules that alert, in alert order. A matching pass rule suppresses the packet's
  // alerts. The span is valid until the next inspect() call.
  std::span<const std::uint32_t> inspect(const decode::Packet& pkt, const flow::FlowRef& flow);

  // Only the Hyperscan scan inspect() would run for `pkt` (the benchmark's ceiling).
  // Returns the number of distinct fast patterns that matched.
  std::size_t prefilter_only(const decode::Packet& pkt, const flow::FlowRef& flow);

  const RuleSet& rule_set() const { return *rules_; }
  // Matches per rule index since construction (for the rules-hit statistics).
  const std::vector<std::uint64_t>& hits() const { return hits_; }

  // Turns on per-rule profiling (allocates one RuleProfile per rule; cold path). Off, it
  // costs one null check per candidate.
  void enable_profiling();
  // Per rule index; empty unless profiling is on.
  const std::vector<RuleProfile>& profile() const { return profile_; }

 private:
  struct Scratch;
  // Hyperscan scan of `payload` with the group's database; the matched pattern ids are in
  // matched_patterns_[0..return value).
  std::size_t scan(const RuleGroup& g, std::span<const std::uint8_t> payload);
  bool verify(const CompiledRule& r, const decode::Packet& pkt, const flow::FlowRef& flow);
  bool verify_profiled(RuleProfile& p, const CompiledRule& r, const decode::Packet& pkt,
                       const flow::FlowRef& flow);
  void consider(std::uint32_t rule_idx, const decode::Packet& pkt, const flow::FlowRef& flow);

  std::shared_ptr<const RuleSet> rules_;
  DetectorConfig config_;
  hs_scratch* scratch_ = nullptr;
  std::unique_ptr<Scratch> s_;
  std::vector<std::uint32_t> matched_patterns_;
  std::vector<std::uint32_t> seen_epoch_;
  std::uint32_t epoch_ = 0;
  std::vector<std::uint32_t> matches_;
  std::vector<std::uint64_t> hits_;
  std::vector<RuleProfile> profile_;
  RuleProfile* prof_ = nullptr;  // profile_.data() when profiling, else null
  ThresholdTable thresholds_;

  Counters& counters_;
  CounterId c_candidates_, c_verified_, c_alerts_, c_pass_, c_alert_overflow_, c_recursion_,
      c_thresholded_, c_flowbits_full_;
};

}  // namespace wp::detect
