// Named counters. A stage registers its counters once at setup (cold path) and bumps them
// by id on the packet path (one plain add, no lookup, no lock). Each worker owns its own
// Counters; reporting sums them. Names follow Suricata's where one exists
// ("decoder.ipv4.trunc_pkt", "capture.kernel_drops").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wp {

using CounterId = std::uint32_t;

// kAnomaly marks malformed or suspicious traffic (decoder.ipv4.trunc_pkt, ...); the stats
// report lists those apart from volume counters (packets, flows, ...).
enum class CounterKind : std::uint8_t { kVolume, kAnomaly };

class Counters {
 public:
  // Returns the id of `name`, registering it on first use with `kind`. Cold path.
  CounterId add(std::string_view name, CounterKind kind = CounterKind::kVolume);

  void inc(CounterId id, std::uint64_t n = 1) { values_[id] += n; }
  void set(CounterId id, std::uint64_t v) { values_[id] = v; }
  std::uint64_t get(CounterId id) const { return values_[id]; }
  // Value by name; 0 when the name was never registered.
  std::uint64_t get(std::string_view name) const;

  std::size_t size() const { return names_.size(); }
  const std::string& name(CounterId id) const { return names_[id]; }
  bool is_anomaly(CounterId id) const { return kinds_[id] == CounterKind::kAnomaly; }

  // Adds every counter of `other` into this set (by name).
  void merge(const Counters& other);

 private:
  std::vector<std::string> names_;
  std::vector<std::uint64_t> values_;
  std::vector<CounterKind> kinds_;
};

}  // namespace wp
