// ProbeTable: the open addressing behind the threshold and xbits tables. A power-of-two
// array of entries preallocated once; an entry is found by linear probing from its hash over
// at most a bounded number of slots. Slots are overwritten, never emptied (an entry that
// expired or was unset is reused in place), so an unused slot ends every probe chain and
// the packet path never allocates, rehashes or scans. Entry needs a `bool used`.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <utility>
#include <vector>

namespace wp::detect {

template <typename Entry>
class ProbeTable {
 public:
  explicit ProbeTable(std::size_t capacity) {
    capacity = std::bit_ceil(std::max<std::size_t>(capacity, 64));
    entries_.resize(capacity);
    mask_ = capacity - 1;
  }

  // The entry `matches` accepts within `max_probe` slots from `hash`, or nullptr.
  template <typename Matches>
  const Entry* find(std::uint64_t hash, int max_probe, Matches matches) const {
    std::size_t reusable;
    const std::size_t i = scan(hash, max_probe, matches, [](const Entry&) { return false; }, reusable);
    return i == kNone ? nullptr : &entries_[i];
  }
  template <typename Matches>
  Entry* find(std::uint64_t hash, int max_probe, Matches matches) {
    return const_cast<Entry*>(std::as_const(*this).find(hash, max_probe, matches));
  }

  // As find(); when no entry matches, `reusable` is the first unused or `expired` slot met on
  // the way (nullptr when the window has none: the table is full there).
  template <typename Matches, typename Expired>
  Entry* probe(std::uint64_t hash, int max_probe, Matches matches, Expired expired,
               Entry*& reusable) {
    std::size_t r;
    const std::size_t i = scan(hash, max_probe, matches, expired, r);
    reusable = r == kNone ? nullptr : &entries_[r];
    return i == kNone ? nullptr : &entries_[i];
  }

  std::size_t capacity() const { return entries_.size(); }

 private:
  static constexpr std::size_t kNone = ~std::size_t{0};

  template <typename Matches, typename Expired>
  std::size_t scan(std::uint64_t hash, int max_probe, Matches& matches, Expired expired,
                   std::size_t& reusable) const {
    reusable = kNone;
    const std::size_t start = hash & mask_;
    for (int n = 0; n < max_probe; ++n) {
      const std::size_t i = (start + n) & mask_;
      const Entry& e = entries_[i];
      if (!e.used) {
        if (reusable == kNone) reusable = i;
        return kNone;  // the chain ends here
      }
      if (matches(e)) return i;
      if (reusable == kNone && expired(e)) reusable = i;
    }
    return kNone;
  }

  std::vector<Entry> entries_;
  std::size_t mask_ = 0;
};

}  // namespace wp::detect
