// Defragmenter: IPv4 and IPv6 fragment reassembly for one Decoder (one worker thread; no
// locks). Private to wp_decode.
//
// Memory is bounded: every byte held for incomplete datagrams (fragment data, saved headers,
// range lists, tracker bookkeeping) is charged against `defrag_memcap`, and at most
// `defrag_max_trackers` datagrams are tracked at once. A datagram not completed within
// `defrag_timeout_sec` of its first fragment (packet time, RFC 8200 section 4.5) is dropped.
// Fragments only allocate when a datagram is first seen or grows; unfragmented traffic never
// touches this class.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "common/byte_reader.h"
#include "common/counters.h"
#include "common/ip_address.h"
#include "decode/decoder.h"

namespace wp::decode {

// One fragment as the decoder found it.
struct Fragment {
  std::uint8_t version = 4;  // 4 or 6
  IpAddress src;
  IpAddress dst;
  std::uint32_t id = 0;    // IPv4: 16-bit identification; IPv6: fragment header id
  std::uint8_t proto = 0;  // IPv4: protocol (part of the key); IPv6: next header after the
                           // fragment header (used from the offset-0 fragment)
  std::uint16_t vlan[3] = {0, 0, 0};
  std::uint32_t offset = 0;  // in bytes
  bool more = false;         // MF / M flag
  // IPv4: the IP header with options. IPv6: the unfragmentable part, from the IPv6 header up
  // to (not including) the fragment header.
  Bytes header;
  // The bytes before the IP header in the captured frame (link header, VLAN tags, outer
  // layers of a tunnel): the first fragment's are kept for the rebuilt frame.
  Bytes link;
  // IPv6: index in `header` of the next-header byte that names the fragment header.
  std::size_t next_header_index = 6;
  Bytes data;  // the fragment's share of the datagram
};

enum class DefragStatus {
  kHeld,      // stored; the datagram is not complete yet
  kComplete,  // `datagram` holds the whole reassembled IP datagram
  kDropped,   // not stored; an anomaly counter says why
};

class Defragmenter {
 public:
  Defragmenter(const DecoderConfig& config, Counters& counters);

  // Adds one fragment at packet time `now_us`. On kComplete `datagram` points into a buffer
  // owned by this object, valid until the next add() call, and `frame` is the same datagram
  // preceded by the first fragment's link bytes (Fragment::link) in that buffer.
  DefragStatus add(const Fragment& frag, std::int64_t now_us, Bytes& datagram, Bytes& frame);

  // The longest link part (Fragment::link) kept for a rebuilt frame; a longer one (deep
  // tunnels) is not kept and the rebuilt frame is the datagram alone.
  static constexpr std::size_t kMaxLink = 512;
  // Drops datagrams whose first fragment is older than the timeout. O(1) when none is due.
  void expire(std::int64_t now_us);

  // Whether the fragment of the last add() overlapped data already held (the packet carries
  // the ipv4/ipv6.frag_overlap event).
  bool last_overlapped() const { return last_overlapped_; }
  std::size_t memory_used() const { return memory_; }
  std::size_t trackers() const { return index_.size(); }

 private:
  struct Key {
    std::uint8_t src[16];
    std::uint8_t dst[16];
    std::uint8_t id[4];
    std::uint8_t vlan[6];
    std::uint8_t proto;
    std::uint8_t version;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const;
  };
  struct Range {
    std::uint32_t begin;
    std::uint32_t end;
  };
  struct Tracker {
    Key key{};
    std::int64_t first_seen_us = 0;
    std::uint32_t total = 0;  // datagram data length, known once the last fragment arrived
    bool have_last = false;
    bool have_first = false;
    std::uint8_t first_next_header = 0;  // IPv6: from the offset-0 fragment
    std::size_t next_header_index = 0;
    std::vector<std::uint8_t> header;
    std::vector<std::uint8_t> link;  // the offset-0 fragment's Fragment::link
    std::vector<std::uint8_t> data;
    std::vector<Range> ranges;    // received byte ranges, sorted and merged
    std::size_t charged = 0;      // bytes charged against the memcap
    std::uint32_t older = kNone;  // age list (by first fragment)
    std::uint32_t newer = kNone;
  };
  static constexpr std::uint32_t kNone = 0xffffffffu;

  static Key make_key(const Fragment& frag);
  std::uint32_t create(const Key& key, std::int64_t now_us);
  void release(std::uint32_t index);
  std::size_t cost(const Tracker& t) const;
  void recharge(Tracker& t);
  // Copies the parts of [offset, offset+data.size()) not yet received (first fragment wins);
  // returns true when some bytes were already present.
  static bool insert(Tracker& t, std::uint32_t offset, Bytes data);
  bool build(Tracker& t, std::uint8_t version, Bytes& datagram, Bytes& frame);

  DecoderConfig config_;
  Counters& counters_;
  std::unordered_map<Key, std::uint32_t, KeyHash> index_;
  std::vector<Tracker> pool_;
  std::vector<std::uint32_t> free_;
  std::uint32_t oldest_ = kNone;
  std::uint32_t newest_ = kNone;
  std::size_t memory_ = 0;
  std::vector<std::uint8_t> out_;  // the reassembled datagram, sized once
  bool last_overlapped_ = false;

  CounterId c_v4_fragments_, c_v6_fragments_, c_v4_reassembled_, c_v6_reassembled_;
  CounterId c_memcap_, c_max_trackers_, c_timeout_, c_overlap_, c_beyond_end_;
  CounterId c_too_large_v4_, c_too_large_v6_;
};

}  // namespace wp::decode
