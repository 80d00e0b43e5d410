// ThresholdTable: the state behind `threshold`, `detection_filter` (and, later,
// threshold.config event filters): per (rule, tracked address) counters in time windows
// driven by packet time. Preallocated open addressing; expired entries are reused in place,
// so the packet path never allocates. One table per worker today (a single worker); with
// several workers it becomes a sharded table shared by all (ARCHITECTURE.md).
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

  // Records one match of rule `rule` and says whether it may alert, following the rule's
  // threshold semantics (limit, threshold, both, detection_filter) over `spec.seconds`.
  // When the table is full the match is allowed and `full()` counts it.
  bool allow(const ThresholdSpec& spec, std::uint32_t rule, const IpAddress& src,
             const IpAddress& dst, std::int64_t now_sec);

  std::uint64_t full() const { return full_; }

 private:
  struct Entry {
    IpAddress a;
    IpAddress b;
    std::int64_t window_start = 0;
    std::int64_t expires = 0;  // window_start + seconds
    std::uint32_t rule = 0;
    std::uint32_t count = 0;
    bool used = false;
  };
  ProbeTable<Entry> table_;
  std::uint64_t full_ = 0;
};

}  // namespace wp::detect
