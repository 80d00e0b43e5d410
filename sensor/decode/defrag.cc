#include "decode/defrag.h"

#include <algorithm>
#include <cstring>

#include "decode/checksum.h"

namespace wp::decode {

namespace {

constexpr std::size_t kMaxDatagramData = 65535;
// The largest datagram we rebuild: an IPv6 header plus a 65535-byte payload (no jumbograms).
constexpr std::size_t kMaxDatagram = 40 + 65535;
// Rough per-tracker overhead of the hash index node, charged with the tracker.
constexpr std::size_t kIndexOverhead = 64;

}  // namespace

std::size_t Defragmenter::KeyHash::operator()(const Key& k) const {
  // FNV-1a over the key bytes; the key has no padding.
  static_assert(std::has_unique_object_representations_v<Key>);
  const auto* p = reinterpret_cast<const std::uint8_t*>(&k);
  std::uint64_t h = 1469598103934665603ull;
  for (std::size_t i = 0; i < sizeof(Key); ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return static_cast<std::size_t>(h);
}

Defragmenter::Defragmenter(const DecoderConfig& config, Counters& counters)
    : config_(config), counters_(counters), out_(kMaxLink + kMaxDatagram) {
  c_v4_fragments_ = counters_.add("defrag.ipv4.fragments");
  c_v6_fragments_ = counters_.add("defrag.ipv6.fragments");
  c_v4_reassembled_ = counters_.add("defrag.ipv4.reassembled");
  c_v6_reassembled_ = counters_.add("defrag.ipv6.reassembled");
  c_memcap_ = counters_.add("defrag.memcap_reached", CounterKind::kAnomaly);
  c_max_trackers_ = counters_.add("defrag.max_trackers_reached", CounterKind::kAnomaly);
  c_timeout_ = counters_.add("defrag.timeout");
  c_overlap_ = counters_.add("defrag.overlap");
  c_beyond_end_ = counters_.add("defrag.frag_beyond_end", CounterKind::kAnomaly);
  c_too_large_v4_ = counters_.add("decoder.ipv4.frag_pkt_too_large", CounterKind::kAnomaly);
  c_too_large_v6_ = counters_.add("decoder.ipv6.frag_pkt_too_large", CounterKind::kAnomaly);
}

Defragmenter::Key Defragmenter::make_key(const Fragment& frag) {
  Key k{};
  std::memcpy(k.src, frag.src.bytes.data(), 16);
  std::memcpy(k.dst, frag.dst.bytes.data(), 16);
  k.id[0] = static_cast<std::uint8_t>(frag.id >> 24);
  k.id[1] = static_cast<std::uint8_t>(frag.id >> 16);
  k.id[2] = static_cast<std::uint8_t>(frag.id >> 8);
  k.id[3] = static_cast<std::uint8_t>(frag.id);
  k.vlan[0] = static_cast<std::uint8_t>(frag.vlan[0] >> 8);
  k.vlan[1] = static_cast<std::uint8_t>(frag.vlan[0]);
  k.vlan[2] = static_cast<std::uint8_t>(frag.vlan[1] >> 8);
  k.vlan[3] = static_cast<std::uint8_t>(frag.vlan[1]);
  k.vlan[4] = static_cast<std::uint8_t>(frag.vlan[2] >> 8);
  k.vlan[5] = static_cast<std::uint8_t>(frag.vlan[2]);
  // RFC 791 section 2.3 keys IPv4 fragments on the protocol too; RFC 8200 section 4.5 keys
  // IPv6 on addresses and identification only (the next header may differ per fragment).
  k.proto = frag.version == 4 ? frag.proto : 0;
  k.version = frag.version;
  return k;
}

std::size_t Defragmenter::cost(const Tracker& t) const {
  return sizeof(Tracker) + kIndexOverhead + t.header.capacity() + t.link.capacity() +
         t.data.capacity() + t.ranges.capacity() * sizeof(Range);
}

void Defragmenter::recharge(Tracker& t) {
  std::size_t c = cost(t);
  memory_ = memory_ - t.charged + c;
  t.charged = c;
}

std::uint32_t Defragmenter::create(const Key& key, std::int64_t now_us) {
  std::uint32_t idx;
  if (!free_.empty()) {
    idx = free_.back();
    free_.pop_back();
  } else {
    idx = static_cast<std::uint32_t>(pool_.size());
    pool_.emplace_back();
  }
  Tracker& t = pool_[idx];
  t.key = key;
  t.first_seen_us = now_us;
  t.older = newest_;
  t.newer = kNone;
  if (newest_ != kNone) pool_[newest_].newer = idx;
  newest_ = idx;
  if (oldest_ == kNone) oldest_ = idx;
  index_.emplace(key, idx);
  t.charged = 0;
  recharge(t);
  return idx;
}

void Defragmenter::release(std::uint32_t idx) {
  Tracker& t = pool_[idx];
  index_.erase(t.key);
  if (t.older != kNone)
    pool_[t.older].newer = t.newer;
  else
    oldest_ = t.newer;
  if (t.newer != kNone)
    pool_[t.newer].older = t.older;
  else
    newest_ = t.older;
  memory_ -= t.charged;
  t = Tracker{};  // returns the buffers: an idle tracker holds no memory
  free_.push_back(idx);
}

void Defragmenter::expire(std::int64_t now_us) {
  const std::int64_t timeout_us = std::int64_t{config_.defrag_timeout_sec} * 1000000;
  while (oldest_ != kNone && now_us - pool_[oldest_].first_seen_us > timeout_us) {
    counters_.inc(c_timeout_);
    release(oldest_);
  }
}

bool Defragmenter::insert(Tracker& t, std::uint32_t offset, Bytes data) {
  const std::uint32_t begin = offset;
  const std::uint32_t end = offset + static_cast<std::uint32_t>(data.size());
  if (begin == end) return false;
  // Overlaps keep the bytes that arrived first (the BSD-like policy, and what Suricata's
  // default `bsd` host-os-policy does for its overlap handling): only gaps are filled.
  bool overlap = false;
  std::uint32_t cursor = begin;
  auto copy = [&](std::uint32_t from, std::uint32_t to) {
    std::memcpy(t.data.data() + from, data.data() + (from - begin), to - from);
  };
  for (const Range& r : t.ranges) {
    if (r.end <= cursor) continue;
    if (r.begin >= end) break;
    overlap = true;
    if (r.begin > cursor) copy(cursor, r.begin);
    cursor = std::max(cursor, r.end);
    if (cursor >= end) break;
  }
  if (cursor < end) copy(cursor, end);

  // Merge [begin, end) into the sorted range list, joining touching ranges.
  auto it = std::lower_bound(t.ranges.begin(), t.ranges.end(), begin,
                             [](const Range& r, std::uint32_t b) { return r.end < b; });
  if (it == t.ranges.end() || it->begin > end) {
    t.ranges.insert(it, Range{begin, end});
    return overlap;
  }
  it->begin = std::min(it->begin, begin);
  it->end = std::max(it->end, end);
  auto next = it + 1;
  while (next != t.ranges.end() && next->begin <= it->end) {
    it->end = std::max(it->end, next->end);
    ++next;
  }
  t.ranges.erase(it + 1, next);
  return overlap;
}

bool Defragmenter::build(Tracker& t, std::uint8_t version, Bytes& datagram, Bytes& frame) {
  const std::size_t hlen = t.header.size();
  const std::size_t len = hlen + t.total;
  // The datagram goes right after where the link bytes go, so the frame is contiguous.
  std::uint8_t* out = out_.data() + kMaxLink;
  if (version == 4) {
    if (hlen < 20 || len > 65535) {
      counters_.inc(c_too_large_v4_);
      return false;
    }
    std::memcpy(out, t.header.data(), hlen);
    std::memcpy(out + hlen, t.data.data(), t.total);
    out[2] = static_cast<std::uint8_t>(len >> 8);
    out[3] = static_cast<std::uint8_t>(len);
    out[6] &= 0xc0;  // keep RB and DF; the datagram is no longer a fragment
    out[7] = 0;
    out[10] = 0;
    out[11] = 0;
    std::uint16_t csum = checksum_finish(checksum_add(0, Bytes(out, hlen)));
    out[10] = static_cast<std::uint8_t>(csum >> 8);
    out[11] = static_cast<std::uint8_t>(csum);
  } else {
    if (hlen < 40 || len - 40 > 65535 || t.next_header_index >= hlen) {
      counters_.inc(c_too_large_v6_);
      return false;
    }
    std::memcpy(out, t.header.data(), hlen);
    std::memcpy(out + hlen, t.data.data(), t.total);
    out[t.next_header_index] = t.first_next_header;
    const std::size_t plen = len - 40;
    out[4] = static_cast<std::uint8_t>(plen >> 8);
    out[5] = static_cast<std::uint8_t>(plen);
  }
  datagram = Bytes(out, len);
  const std::size_t link = t.link.size();  // at most kMaxLink (add() keeps no longer one)
  if (link != 0) std::memcpy(out - link, t.link.data(), link);  // an empty vector's data() may be null
  frame = Bytes(out - link, link + len);
  return true;
}

DefragStatus Defragmenter::add(const Fragment& frag, std::int64_t now_us, Bytes& datagram,
                               Bytes& frame) {
  const bool v4 = frag.version == 4;
  counters_.inc(v4 ? c_v4_fragments_ : c_v6_fragments_);
  last_overlapped_ = false;
  expire(now_us);

  const std::uint64_t end64 = std::uint64_t{frag.offset} + frag.data.size();
  if (end64 > kMaxDatagramData) {
    counters_.inc(v4 ? c_too_large_v4_ : c_too_large_v6_);
    return DefragStatus::kDropped;
  }
  const auto end = static_cast<std::uint32_t>(end64);

  const Key key = make_key(frag);
  std::uint32_t idx;
  if (auto found = index_.find(key); found != index_.end()) {
    idx = found->second;
  } else {
    if (index_.size() >= config_.defrag_max_trackers) {
      counters_.inc(c_max_trackers_);
      return DefragStatus::kDropped;
    }
    if (memory_ + sizeof(Tracker) + kIndexOverhead > config_.defrag_memcap) {
      counters_.inc(c_memcap_);
      return DefragStatus::kDropped;
    }
    idx = create(key, now_us);
  }
  Tracker& t = pool_[idx];
  auto drop = [&](CounterId counter) {
    counters_.inc(counter);
    if (t.ranges.empty() && !t.have_first && !t.have_last) release(idx);
    return DefragStatus::kDropped;
  };

  // The last fragment fixes the datagram length; fragments that contradict it are dropped.
  if (t.have_last && (end > t.total || (!frag.more && end != t.total))) return drop(c_beyond_end_);
  if (!frag.more && !t.have_last && !t.ranges.empty() && t.ranges.back().end > end) {
    return drop(c_beyond_end_);
  }

  // Work out what storing this fragment costs before touching anything.
  const bool take_header = frag.offset == 0 && !t.have_first;
  std::size_t data_cap = t.data.capacity();
  if (end > data_cap)
    data_cap = std::max<std::size_t>(end, std::min(2 * data_cap, kMaxDatagramData));
  std::size_t ranges_cap = t.ranges.capacity();
  if (t.ranges.size() + 1 > ranges_cap) ranges_cap = std::max<std::size_t>(4, 2 * ranges_cap);
  const std::size_t header_cap = take_header ? frag.header.size() : t.header.capacity();
  const bool take_link = take_header && frag.link.size() <= kMaxLink;
  const std::size_t link_cap = take_link ? frag.link.size() : t.link.capacity();
  const std::size_t after = sizeof(Tracker) + kIndexOverhead + header_cap + link_cap + data_cap +
                            ranges_cap * sizeof(Range);
  if (memory_ - t.charged + after > config_.defrag_memcap) return drop(c_memcap_);

  t.data.reserve(data_cap);
  t.ranges.reserve(ranges_cap);
  if (t.data.size() < end) t.data.resize(end);
  if (take_header) {
    t.header.reserve(header_cap);
    t.header.assign(frag.header.begin(), frag.header.end());
    if (take_link) {
      t.link.reserve(link_cap);
      t.link.assign(frag.link.begin(), frag.link.end());
    }
    t.first_next_header = frag.proto;
    t.next_header_index = frag.next_header_index;
    t.have_first = true;
  }
  if (!frag.more) {
    t.total = end;
    t.have_last = true;
  }
  last_overlapped_ = insert(t, frag.offset, frag.data);
  if (last_overlapped_) counters_.inc(c_overlap_);
  recharge(t);

  const bool complete =
      t.have_first && t.have_last &&
      (t.total == 0 ? t.ranges.empty()
                    : t.ranges.size() == 1 && t.ranges[0].begin == 0 && t.ranges[0].end == t.total);
  if (!complete) return DefragStatus::kHeld;

  const bool built = build(t, frag.version, datagram, frame);
  release(idx);
  if (!built) return DefragStatus::kDropped;
  counters_.inc(v4 ? c_v4_reassembled_ : c_v6_reassembled_);
  return DefragStatus::kComplete;
}

}  // namespace wp::decode
