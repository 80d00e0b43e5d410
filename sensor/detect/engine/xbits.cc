#include "detect/engine/xbits.h"

#include <limits>

namespace wp::detect {
namespace {

constexpr int kMaxProbe = 32;

bool same(const XbitKey& x, const XbitKey& y) {
  return x.id == y.id && x.pair == y.pair && x.a == y.a && x.b == y.b;
}

std::uint64_t hash_key(const XbitKey& k) {
  return hash_addresses(std::uint64_t{k.id} << 1 | (k.pair ? 1u : 0u), k.a, k.b);
}

// The probe predicate for the entry of `k`.
auto holds(const XbitKey& k) {
  return [&k](const auto& e) { return same(e.key, k); };
}

}  // namespace

XbitsTable::XbitsTable(std::size_t capacity) : table_(capacity) {}

std::uint64_t XbitsTable::hash_of(const XbitKey& k) { return hash_key(k); }

const XbitsTable::Entry* XbitsTable::find(const XbitKey& k) const {
  return table_.find(hash_key(k), kMaxProbe, holds(k));
}

bool XbitsTable::is_set(const XbitKey& k, std::int64_t now_us) const {
  const Entry* e = find(k);
  return e != nullptr && e->expires_us > now_us;
}

bool XbitsTable::set(const XbitKey& k, std::int64_t now_us, std::uint32_t expire_sec) {
  const std::int64_t expires = now_us + std::int64_t{expire_sec} * 1000000;
  Entry* reusable;
  Entry* e = table_.probe(hash_key(k), kMaxProbe, holds(k),
                          [&](const Entry& x) { return x.expires_us <= now_us; }, reusable);
  if (e != nullptr) {
    e->expires_us = expires;
    return true;
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
  if (Entry* e = table_.find(hash_key(k), kMaxProbe, holds(k))) {
    e->expires_us = std::numeric_limits<std::int64_t>::min();  // reusable
  }
}

bool XbitsTable::toggle(const XbitKey& k, std::int64_t now_us, std::uint32_t expire_sec) {
  if (is_set(k, now_us)) {
    unset(k);
    return true;
  }
  return set(k, now_us, expire_sec);
}

}  // namespace wp::detect
