// Which worker a frame goes to. The hash is symmetric and ignores ports: it covers the
// unordered pair of IP addresses (the outermost IP header; for IPv4 also the protocol), so both
// directions of a flow and every fragment of a datagram (only the first carries the ports)
// reach the same worker, whose decoder reassembles the fragments and whose flow table owns
// the flow. Frames without an IP header (ARP, unknown link types, truncated headers) hash
// to 0 and go to the first worker. Hot path: a few bounds-checked reads, no allocation.
#pragma once

#include <cstdint>

#include "capture/raw_packet.h"

namespace wp::app {

// The dispatch hash of `p` (see above).
std::uint64_t dispatch_hash(const capture::RawPacket& p);

// The worker (0 .. workers - 1) for `p`.
inline std::uint32_t dispatch_worker(const capture::RawPacket& p, std::uint32_t workers) {
  if (workers <= 1) return 0;
  return static_cast<std::uint32_t>(dispatch_hash(p) % workers);
}

}  // namespace wp::app
