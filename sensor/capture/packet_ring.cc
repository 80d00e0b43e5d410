#include "capture/packet_ring.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace wp::capture {

// A record: this header, then caplen bytes, padded to 16 bytes. A header whose `bytes` is 0
// marks the ring's end: the next record starts at offset 0.
struct PacketRing::Record {
  std::uint32_t bytes;  // whole record, padded; 0: wrap marker
  std::uint32_t caplen;
  std::uint32_t wirelen;
  std::int32_t linktype;
  std::int64_t sec;
  std::uint32_t usec;
  std::uint32_t source;
  std::uint64_t number;
  std::uint64_t reserved;
};
static_assert(sizeof(PacketRing::Record) % 16 == 0);

namespace {
constexpr std::size_t kAlign = 16;
std::size_t padded(std::size_t n) { return (n + kAlign - 1) & ~(kAlign - 1); }
}  // namespace

PacketRing::PacketRing(std::size_t bytes) {
  size_ = std::bit_ceil(std::max<std::size_t>(bytes, 1u << 20));
  mask_ = size_ - 1;
  max_caplen_ = size_ / 4 - sizeof(Record);
  buf_ = std::make_unique<std::uint8_t[]>(size_);
}

bool PacketRing::push(const RawPacket& p) {
  if (p.caplen > max_caplen_) return false;
  const std::size_t need = sizeof(Record) + padded(p.caplen);
  const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
  const std::size_t pos = tail & mask_;
  // Records never straddle the end: skip to the start when this one would.
  const std::size_t skip = size_ - pos < need ? size_ - pos : 0;
  if (tail + skip + need - head_cache_ > size_) {
    head_cache_ = head_.load(std::memory_order_acquire);
    if (tail + skip + need - head_cache_ > size_) return false;
  }
  if (skip != 0) {
    // At least one 16-byte slot remains before the end (records are multiples of 16), and a
    // Record header is 48 bytes: mark the end only when a header fits, else the consumer
    // sees too little room and wraps by itself.
    if (skip >= sizeof(Record)) {
      Record marker{};
      std::memcpy(buf_.get() + pos, &marker, sizeof marker);
    }
  }
  std::uint8_t* at = buf_.get() + ((tail + skip) & mask_);
  Record r{static_cast<std::uint32_t>(need), p.caplen, p.wirelen, p.linktype, p.ts.sec,
           p.ts.usec, p.source, p.number, 0};
  std::memcpy(at, &r, sizeof r);
  if (p.caplen != 0) std::memcpy(at + sizeof r, p.data, p.caplen);
  tail_.store(tail + skip + need, std::memory_order_release);
  return true;
}

bool PacketRing::peek(RawPacket& out) {
  std::uint64_t head = head_.load(std::memory_order_relaxed);
  const std::uint64_t tail = tail_.load(std::memory_order_acquire);
  if (head == tail) return false;
  std::size_t pos = head & mask_;
  Record r;
  if (size_ - pos < sizeof(Record)) {
    head += size_ - pos;
    pos = 0;
  } else {
    std::memcpy(&r, buf_.get() + pos, sizeof r);
    if (r.bytes == 0) {
      head += size_ - pos;
      pos = 0;
    }
  }
  if (pos == 0) std::memcpy(&r, buf_.get(), sizeof r);
  out.ts = Timestamp{r.sec, r.usec};
  out.data = buf_.get() + pos + sizeof(Record);
  out.caplen = r.caplen;
  out.wirelen = r.wirelen;
  out.linktype = r.linktype;
  out.number = r.number;
  out.source = r.source;
  peeked_end_ = head + r.bytes;
  return true;
}

void PacketRing::pop() { head_.store(peeked_end_, std::memory_order_release); }

bool PacketRing::empty() const {
  return head_.load(std::memory_order_acquire) == tail_.load(std::memory_order_acquire);
}

}  // namespace wp::capture
