// PacketRing: the bounded single-producer/single-consumer queue of frames between a capture
// thread (or the pcap file reader) and one worker. The producer copies each frame, with its
// RawPacket fields, into a preallocated byte ring (the one copy a frame makes between the
// capture buffer and the worker); the consumer reads it in place and releases it. Records
// are variable-sized, so a ring of N bytes holds many small frames or a few jumbo ones.
// Lock-free: two byte positions, acquire/release; nothing is allocated after construction.
//
// Threads: push() on the producer thread only; peek()/pop() on the consumer thread only.
// Lifetimes: the RawPacket peek() fills points into the ring and is valid until pop().
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "capture/raw_packet.h"

namespace wp::capture {

class PacketRing {
 public:
  // `bytes` is rounded up to a power of two, at least 1 MiB.
  explicit PacketRing(std::size_t bytes);
  PacketRing(const PacketRing&) = delete;
  PacketRing& operator=(const PacketRing&) = delete;

  // The largest caplen a push() can take (a quarter of the ring).
  std::size_t max_caplen() const { return max_caplen_; }

  // Producer. Copies `p` (its caplen bytes and fields) into the ring; false when the ring
  // has no room for it now (the caller drops and counts it, or waits: offline replay), or
  // when its caplen exceeds max_caplen() (it never fits: the caller counts it).
  bool push(const RawPacket& p);

  // Consumer. The oldest frame, or false when the ring is empty. `out.data` is valid until
  // pop().
  bool peek(RawPacket& out);
  void pop();
  bool empty() const;

  struct Record;  // the header of each frame in the ring (packet_ring.cc)

 private:
  std::unique_ptr<std::uint8_t[]> buf_;
  std::size_t size_ = 0;
  std::size_t mask_ = 0;
  std::size_t max_caplen_ = 0;
  // Consumer side.
  alignas(64) std::atomic<std::uint64_t> head_{0};  // bytes consumed
  std::uint64_t peeked_end_ = 0;                    // head after the peeked record
  // Producer side.
  alignas(64) std::atomic<std::uint64_t> tail_{0};  // bytes published
  std::uint64_t head_cache_ = 0;                    // producer's last view of head_
};

}  // namespace wp::capture
