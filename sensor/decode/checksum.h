// Internet checksums (RFC 1071) for the decoder: IPv4 header, TCP, UDP, ICMP and ICMPv6.
// Used by the decoder and by the checksum rule keywords (ipv4-csum, ...). Pure functions
// over byte spans; no allocation, any thread.
#pragma once

#include <cstdint>

#include "common/byte_reader.h"
#include "common/ip_address.h"

namespace wp::decode {

// Adds `data` to a running one's-complement sum as a sequence of big-endian 16-bit words
// (an odd trailing byte is padded with zero, RFC 1071 section 4.1). Only the last span of a
// sum may have odd length.
std::uint64_t checksum_add(std::uint64_t sum, Bytes data);
// Folds a running sum to 16 bits and complements it: the value a sender writes into the
// checksum field. Over data that includes a correct checksum field the result is 0.
std::uint16_t checksum_finish(std::uint64_t sum);

// Sum of the pseudo header for TCP/UDP/ICMPv6 over IPv4 (RFC 793 section 3.1) or IPv6
// (RFC 8200 section 8.1), chosen by the family of `src`.
std::uint64_t pseudo_header_sum(const IpAddress& src, const IpAddress& dst, std::uint8_t proto,
                                std::uint32_t length);

// True when `header` (the whole IPv4 header with options) carries a correct checksum.
inline bool ipv4_header_checksum_ok(Bytes header) {
  return checksum_finish(checksum_add(0, header)) == 0;
}

// True when the transport segment `segment` (header + data, checksum field included)
// verifies against the pseudo header of src/dst/proto.
inline bool transport_checksum_ok(const IpAddress& src, const IpAddress& dst, std::uint8_t proto,
                                  Bytes segment) {
  std::uint64_t sum =
      pseudo_header_sum(src, dst, proto, static_cast<std::uint32_t>(segment.size()));
  return checksum_finish(checksum_add(sum, segment)) == 0;
}

}  // namespace wp::decode
