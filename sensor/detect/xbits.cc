#include "detect/xbits.h"

#include <algorithm>
#include <bit>
#include <limits>

namespace wp::detect {
namespace {

constexpr int kMaxProbe = 32;

bool same(const XbitKey& x, const XbitKey& y) {
  return x.id == y.id && x.pair == y.pair && x.a == y.a && x.b == y.b;
}

std::uint64_t hash_key(const XbitKey& k) {
  std::uint64_t h = 0x9e3779b97f4a7c15ull ^ (std::uint64_t{k.id} << 1 | (k.pair ? 1u : 0u));
  auto mix = [&h](std::uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
  };
  mix(k.a.hi());
  mix(k.a.lo());
  mix(k.b.hi());
  mix(k.b.lo());
  return h;
}

}  // namespace

XbitsTable::XbitsTable(std::size_t capacity) {
  capacity = std::bit_ceil(std::max<std::size_t>(capacity, 64));
  entries_.resize(capacity);
  mask_ = capacity - 1;
}

const XbitsTable::Entry* XbitsTable::find(const XbitKey& k) const {
  const std::size_t start = hash_key(k) & mask_;
  for (int i = 0; i < kMaxProbe; ++i) {
    const Entry& e = entries_[(start + i) & mask_];
    if (!e.used) return nullptr;  // slots are never emptied: the chain ends here
    if (same(e.key, k)) return &e;
  }
  return nullptr;
}

XbitsTable::Entry* XbitsTable::find(const XbitKey& k) {
  return const_cast<Entry*>(static_cast<const XbitsTable*>(this)->find(k));
}

bool XbitsTable::is_set(const XbitKey& k, std::int64_t now_us) const {
  const Entry* e = find(k);
  return e != nullptr && e->expires_us > now_us;
}

bool XbitsTable::set(const XbitKey& k, std::int64_t now_us, std::uint32_t expire_sec) {
  const std::int64_t expires = now_us + std::int64_t{expire_sec} * 1000000;
  const std::size_t start = hash_key(k) & mask_;
  Entry* reusable = nullptr;
  for (int i = 0; i < kMaxProbe; ++i) {
    Entry& e = entries_[(start + i) & mask_];
    if (!e.used) {
      if (reusable == nullptr) reusable = &e;
      break;
    }
    if (same(e.key, k)) {
      e.expires_us = expires;
      return true;
    }
    if (reusable == nullptr && e.expires_us <= now_us) reusable = &e;
  }
  if (reusable == nullptr) {
    ++full_;
    return false;
  }
  // A reused slot keeps the chain intact: slots are overwritten, never emptied.
  *reusable = Entry{expires, k, true};
  return true;
}

void XbitsTable::unset(const XbitKey& k) {
  if (Entry* e = find(k)) e->expires_us = std::numeric_limits<std::int64_t>::min();  // reusable
}

bool XbitsTable::toggle(const XbitKey& k, std::int64_t now_us, std::uint32_t expire_sec) {
  if (is_set(k, now_us)) {
    unset(k);
    return true;
  }
  return set(k, now_us, expire_sec);
}

}  // namespace wp::detect
