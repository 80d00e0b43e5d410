// XbitsTable: the state behind `xbits` — named bits on a host or on an address pair, each
// with an expiry in packet time. Preallocated open addressing (bounded probing, expired and
// unset entries reused in place), so the packet path never allocates and never scans.
// A bit is its name's id (NameTable, the same in every generation) and its host or pair.
// Not thread-safe: the workers share it through HostState (host_state.h), one per shard.
#pragma once

#include <cstdint>
#include <vector>

#include "common/ip_address.h"
#include "detect/engine/probe_table.h"

namespace wp::detect {

// What an xbit is attached to: one host, or an unordered address pair (both directions of a
// conversation see the same pair bits, as Suricata's ippair table).
struct XbitKey {
  IpAddress a;
  IpAddress b;  // zero for a host
  std::uint16_t id = 0;
  bool pair = false;

  static XbitKey host(std::uint16_t id, const IpAddress& h) { return {h, IpAddress{}, id, false}; }
  static XbitKey ip_pair(std::uint16_t id, const IpAddress& x, const IpAddress& y) {
    return x <= y ? XbitKey{x, y, id, true} : XbitKey{y, x, id, true};
  }
};

class XbitsTable {
 public:
  explicit XbitsTable(std::size_t capacity = 65536);

  // The hash the table files `k` by (HostState picks a shard by it).
  static std::uint64_t hash_of(const XbitKey& k);

  // Times are packet time in microseconds.
  bool is_set(const XbitKey& k, std::int64_t now_us) const;
  // Sets the bit (or refreshes its expiry) until now + expire_sec. Returns false when no slot
  // is free in the key's probe window: the bit is then not stored (full() counts it).
  bool set(const XbitKey& k, std::int64_t now_us, std::uint32_t expire_sec);
  void unset(const XbitKey& k);
  // Unsets a live bit, else sets it (false when it could not be stored).
  bool toggle(const XbitKey& k, std::int64_t now_us, std::uint32_t expire_sec);

  std::uint64_t full() const { return full_; }
  std::size_t capacity() const { return table_.capacity(); }

 private:
  struct Entry {                  // 48 bytes
    std::int64_t expires_us = 0;  // live while expires_us > now
    XbitKey key;
    bool used = false;  // ever written: probe chains continue past it
  };
  const Entry* find(const XbitKey& k) const;

  ProbeTable<Entry> table_;
  std::uint64_t full_ = 0;
};

}  // namespace wp::detect
