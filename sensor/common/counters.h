// Named counters. A stage registers its counters once at setup (cold path) and bumps them
// by id on the packet path (no lookup, no lock). Names follow Suricata's where one exists
// ("decoder.ipv4.trunc_pkt", "capture.kernel_drops").
//
// Threads: one thread owns a Counters and is its only writer (add, inc, set); any number of
// other threads may read it at the same time (get, size, name, is_anomaly, merge from it),
// e.g. the stats thread while a worker runs. Values are relaxed atomics written with a plain
// load and store (one writer: no read-modify-write instruction on the packet path), so a
// reader sees each counter's latest or a slightly older value, never a torn one. Entries live
// in fixed chunks that never move, and a new entry is published only after it is complete,
// so add() on the owner thread is safe while readers read. Each worker owns its own
// Counters; reporting sums them (merge).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace wp {

using CounterId = std::uint32_t;

// kAnomaly marks malformed or suspicious traffic (decoder.ipv4.trunc_pkt, ...); the stats
// report lists those apart from volume counters (packets, flows, ...).
enum class CounterKind : std::uint8_t { kVolume, kAnomaly };

class Counters {
 public:
  // At most this many names per Counters (a sensor registers a few hundred).
  static constexpr std::size_t kMaxCounters = 64 * 256;

  Counters();
  ~Counters();
  // A copy is a snapshot of the names, kinds and values (cold path).
  Counters(const Counters& other);
  Counters& operator=(const Counters& other);

  // Returns the id of `name`, registering it on first use with `kind`. Cold path; owner
  // thread only.
  CounterId add(std::string_view name, CounterKind kind = CounterKind::kVolume);

  // Owner thread only.
  void inc(CounterId id, std::uint64_t n = 1) {
    std::atomic<std::uint64_t>& v = entry(id).value;
    v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void set(CounterId id, std::uint64_t v) { entry(id).value.store(v, std::memory_order_relaxed); }

  // Any thread.
  std::uint64_t get(CounterId id) const { return entry(id).value.load(std::memory_order_relaxed); }
  // Value by name; 0 when the name was never registered.
  std::uint64_t get(std::string_view name) const;
  std::size_t size() const { return size_.load(std::memory_order_acquire); }
  const std::string& name(CounterId id) const { return entry(id).name; }
  bool is_anomaly(CounterId id) const {
    return entry(id).kind.load(std::memory_order_relaxed) == CounterKind::kAnomaly;
  }

  // Adds every counter of `other` into this set (by name). `other` may be owned by another
  // thread that is writing it; this set's owner calls it.
  void merge(const Counters& other);

 private:
  struct Entry {
    std::string name;
    std::atomic<std::uint64_t> value{0};
    std::atomic<CounterKind> kind{CounterKind::kVolume};
  };
  static constexpr std::size_t kChunk = 256;
  static constexpr std::size_t kChunks = kMaxCounters / kChunk;

  Entry& entry(CounterId id) { return chunks_[id / kChunk][id % kChunk]; }
  const Entry& entry(CounterId id) const { return chunks_[id / kChunk][id % kChunk]; }
  CounterId find(std::string_view name) const;

  std::array<std::unique_ptr<Entry[]>, kChunks> chunks_;
  std::atomic<std::size_t> size_{0};
};

}  // namespace wp
