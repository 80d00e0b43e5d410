#include "common/counters.h"

#include <cstdio>
#include <cstdlib>

namespace wp {

Counters::Counters() = default;
Counters::~Counters() = default;

Counters::Counters(const Counters& other) { *this = other; }

Counters& Counters::operator=(const Counters& other) {
  if (this == &other) return *this;
  for (CounterId i = 0; i < size(); ++i) entry(i).value.store(0, std::memory_order_relaxed);
  merge(other);
  return *this;
}

CounterId Counters::find(std::string_view name) const {
  const std::size_t n = size();
  for (CounterId i = 0; i < n; ++i) {
    if (entry(i).name == name) return i;
  }
  return static_cast<CounterId>(kMaxCounters);
}

CounterId Counters::add(std::string_view name, CounterKind kind) {
  if (const CounterId i = find(name); i != kMaxCounters) {
    if (kind == CounterKind::kAnomaly) entry(i).kind.store(kind, std::memory_order_relaxed);
    return i;
  }
  const std::size_t n = size_.load(std::memory_order_relaxed);
  if (n == kMaxCounters) {
    // A fixed bound of the program, not of traffic: names are registered at setup.
    std::fprintf(stderr, "watchpost: more than %zu counters registered\n", kMaxCounters);
    std::abort();
  }
  if (!chunks_[n / kChunk]) chunks_[n / kChunk] = std::make_unique<Entry[]>(kChunk);
  Entry& e = entry(static_cast<CounterId>(n));
  e.name.assign(name);
  e.kind.store(kind, std::memory_order_relaxed);
  e.value.store(0, std::memory_order_relaxed);
  size_.store(n + 1, std::memory_order_release);  // publishes the complete entry
  return static_cast<CounterId>(n);
}

std::uint64_t Counters::get(std::string_view name) const {
  const CounterId i = find(name);
  return i == kMaxCounters ? 0 : get(i);
}

void Counters::merge(const Counters& other) {
  const std::size_t n = other.size();
  for (CounterId i = 0; i < n; ++i) {
    inc(add(other.name(i), other.is_anomaly(i) ? CounterKind::kAnomaly : CounterKind::kVolume),
        other.get(i));
  }
}

}  // namespace wp
