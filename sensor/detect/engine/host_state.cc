#include "detect/engine/host_state.h"

namespace wp::detect {

HostState::HostState(const HostStateConfig& config) {
  for (auto& s : shards_) {
    s = std::make_unique<Shard>(config.threshold_capacity / kShards,
                                config.xbits_capacity / kShards);
  }
}

bool HostState::allow(const ThresholdSpec& spec, std::uint64_t rule, const IpAddress& src,
                      const IpAddress& dst, std::uint64_t flow_id, std::int64_t now_sec) {
  Shard& s = *shards_[shard_of(ThresholdTable::hash_of(spec, rule, src, dst, flow_id))];
  std::lock_guard lock(s.mutex);
  return s.thresholds.allow(spec, rule, src, dst, flow_id, now_sec);
}

bool HostState::xbit_is_set(const XbitKey& k, std::int64_t now_us) const {
  const Shard& s = *shards_[shard_of(XbitsTable::hash_of(k))];
  std::lock_guard lock(s.mutex);
  return s.xbits.is_set(k, now_us);
}

bool HostState::xbit_set(const XbitKey& k, std::int64_t now_us, std::uint32_t expire_sec) {
  Shard& s = *shards_[shard_of(XbitsTable::hash_of(k))];
  std::lock_guard lock(s.mutex);
  return s.xbits.set(k, now_us, expire_sec);
}

void HostState::xbit_unset(const XbitKey& k) {
  Shard& s = *shards_[shard_of(XbitsTable::hash_of(k))];
  std::lock_guard lock(s.mutex);
  s.xbits.unset(k);
}

bool HostState::xbit_toggle(const XbitKey& k, std::int64_t now_us, std::uint32_t expire_sec) {
  Shard& s = *shards_[shard_of(XbitsTable::hash_of(k))];
  std::lock_guard lock(s.mutex);
  return s.xbits.toggle(k, now_us, expire_sec);
}

std::uint64_t HostState::thresholds_full() const {
  std::uint64_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s->mutex);
    n += s->thresholds.full();
  }
  return n;
}

}  // namespace wp::detect
