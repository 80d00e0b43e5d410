// Which worker a frame goes to. The hash is symmetric and ignores ports: it covers the
// unordered pair of IP addresses (the outermost IP header; for IPv4 also the protocol), so both
// directions of a flow and every fragment of a datagram (only the first carries the ports)
// reach the same worker, whose decoder reassembles the fragments and whose flow table owns
// the flow. Frames without an IP header (ARP, unknown link types, truncated headers) hash
// to 0 and go to the first worker. Hot path: a few bounds-checked reads, no allocation.
//
// Tunnels (GRE, IP-in-IP, VXLAN, Geneve, Teredo) hash on the outer pair, not the inner flow
// the decoder makes the packet: that keeps an inner flow on one worker as long as both of
// its directions travel between the same two outer endpoints, which holds for a GRE, IPIP,
// VXLAN or Geneve tunnel between two endpoints (and for every fragment of the outer
// datagram). It does not hold for asymmetric tunnels: a Teredo client's traffic goes out
// through one relay and may come back through another, so the two directions of one inner
// IPv6 flow can reach two workers and each sees half of it (with one worker, or with a
// single relay, nothing is lost). MPLS and PPP are skipped to the IP header they carry.
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
