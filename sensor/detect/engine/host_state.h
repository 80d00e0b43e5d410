// HostState: the detection state that belongs to hosts rather than flows, shared by all
// workers: threshold / detection_filter / event_filter counters (keyed by rule identity
// gid:sid and the tracked addresses) and xbits (keyed by name id and host or address pair).
// Because keys are rule identities and NameTable ids, never positions in one rule set, one
// HostState serves every generation: a reload keeps the counts of unchanged rules and the
// xbits already set, and 1 or N workers see the same state (ARCHITECTURE.md "Detection
// semantics").
//
// Sharded: kShards shards, each a ThresholdTable and an XbitsTable behind its own mutex; a
// key's shard follows from its hash, so workers contend only when they touch the same
// shard at once. Locked only when a rule with a threshold or xbits is evaluated after its
// other conditions held (Detector); never allocates after construction.
//
// Thread-safe. Owned by whoever builds the workers (std::shared_ptr, one per sensor).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "detect/engine/threshold.h"
#include "detect/engine/xbits.h"

namespace wp::detect {

// Offline replay with several workers: the host state must see the packets in capture order,
// as one worker would, or an xbit set by one flow and tested by another (on another worker)
// would depend on which thread ran first. The runtime gives each Detector a HostOrder; the
// Detector calls wait_turn() with the packet's number before the packet's first host-state
// operation, and it returns once no other worker still holds an earlier packet. Live capture
// has no order to keep (packets are numbered 0) and runs without one.
class HostOrder {
 public:
  virtual ~HostOrder() = default;
  virtual void wait_turn(std::uint64_t packet_number) = 0;
};

struct HostStateConfig {
  std::size_t threshold_capacity = 65536;  // entries over all shards, preallocated
  std::size_t xbits_capacity = 65536;      // entries over all shards (48 bytes each)
};

class HostState {
 public:
  static constexpr std::size_t kShards = 16;

  explicit HostState(const HostStateConfig& config = {});
  HostState(const HostState&) = delete;
  HostState& operator=(const HostState&) = delete;

  // ThresholdTable::allow() on the shard of the entry (`rule`: ThresholdTable::rule_key).
  bool allow(const ThresholdSpec& spec, std::uint64_t rule, const IpAddress& src,
             const IpAddress& dst, std::uint64_t flow_id, std::int64_t now_sec);

  // XbitsTable's operations on the shard of `k`. The set operations return false when the
  // bit could not be stored (its shard's probe window is full).
  bool xbit_is_set(const XbitKey& k, std::int64_t now_us) const;
  bool xbit_set(const XbitKey& k, std::int64_t now_us, std::uint32_t expire_sec);
  void xbit_unset(const XbitKey& k);
  bool xbit_toggle(const XbitKey& k, std::int64_t now_us, std::uint32_t expire_sec);

  // Matches allowed because the threshold table was full there (summed over shards).
  std::uint64_t thresholds_full() const;

 private:
  struct alignas(64) Shard {
    Shard(std::size_t thresholds, std::size_t xbits) : thresholds(thresholds), xbits(xbits) {}
    mutable std::mutex mutex;
    ThresholdTable thresholds;
    XbitsTable xbits;
  };
  // The high bits pick the shard; the tables use the low bits for the slot.
  static std::size_t shard_of(std::uint64_t hash) { return (hash >> 52) % kShards; }

  std::array<std::unique_ptr<Shard>, kShards> shards_;
};

}  // namespace wp::detect
