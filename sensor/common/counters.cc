#include "common/counters.h"

namespace wp {

CounterId Counters::add(std::string_view name, CounterKind kind) {
  for (CounterId i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) {
      if (kind == CounterKind::kAnomaly) kinds_[i] = kind;
      return i;
    }
  }
  names_.emplace_back(name);
  values_.push_back(0);
  kinds_.push_back(kind);
  return static_cast<CounterId>(names_.size() - 1);
}

std::uint64_t Counters::get(std::string_view name) const {
  for (CounterId i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return values_[i];
  }
  return 0;
}

void Counters::merge(const Counters& other) {
  for (CounterId i = 0; i < other.names_.size(); ++i) {
    inc(add(other.names_[i], other.kinds_[i]), other.values_[i]);
  }
}

}  // namespace wp
