// ThresholdTable: the state behind `threshold`, `detection_filter` and threshold.config's
// event filters: per (rule, tracked address) counters in time windows driven by packet
// time. A rule is its identity (gid << 32 | sid), not its position in one rule set, so a
// reload keeps the counts of the rules it keeps. Preallocated open addressing; expired
// entries are reused in place, so the packet path never allocates. Not thread-safe: the
// workers share it through HostState (host_state.h), one table per shard.
#pragma once

#include <cstdint>
#include <vector>

#include "common/ip_address.h"
#include "detect/engine/probe_table.h"
#include "detect/rules/rule.h"

namespace wp::detect {

class ThresholdTable {
 public:
  explicit ThresholdTable(std::size_t capacity = 65536);

  // The identity of a rule in this table.
  static std::uint64_t rule_key(std::uint32_t gid, std::uint32_t sid) {
    return std::uint64_t{gid} << 32 | sid;
  }
  // The hash of the entry allow() uses for these arguments (HostState picks a shard by it).
  static std::uint64_t hash_of(const ThresholdSpec& spec, std::uint64_t rule, const IpAddress& src,
                               const IpAddress& dst, std::uint64_t flow_id);

  // Records one match of rule `rule` (rule_key()) and says whether it may alert, following
  // the rule's threshold semantics (limit, threshold, both, detection_filter) over
  // `spec.seconds`, or backoff's growing steps. `flow_id`: the packet's flow (track
  // by_flow), 0 without one. When the table is full the match is allowed and `full()`
  // counts it.
  bool allow(const ThresholdSpec& spec, std::uint64_t rule, const IpAddress& src,
             const IpAddress& dst, std::uint64_t flow_id, std::int64_t now_sec);

  std::uint64_t full() const { return full_; }

 private:
  struct Entry {
    IpAddress a;
    IpAddress b;
    std::int64_t window_start = 0;
    std::int64_t expires = 0;  // window_start + seconds
    std::uint64_t rule = 0;
    std::uint64_t flow = 0;    // track by_flow: the flow id
    std::uint64_t next = 0;    // backoff: the count of the next alert
    std::uint32_t count = 0;
    bool used = false;
  };
  ProbeTable<Entry> table_;
  std::uint64_t full_ = 0;
};

}  // namespace wp::detect
