#include "app/dispatch.h"

#include <algorithm>
#include <cstring>

#include "common/byte_reader.h"

namespace wp::app {
namespace {

constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherIpv6 = 0x86dd;
constexpr std::uint16_t kEtherVlan = 0x8100;
constexpr std::uint16_t kEtherQinq = 0x88a8;
constexpr std::uint16_t kEtherQinqOld = 0x9100;
constexpr std::uint16_t kEtherMplsUnicast = 0x8847;
constexpr std::uint16_t kEtherMplsMulticast = 0x8848;
constexpr int kMaxPseudowires = 4;  // MPLS-in-Ethernet nesting followed before giving up

std::uint64_t mix64(std::uint64_t x) {  // splitmix64 finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

// Hash of the unordered pair of `len`-byte addresses a and b, and the protocol.
std::uint64_t pair_hash(const std::uint8_t* a, const std::uint8_t* b, std::size_t len,
                        std::uint8_t proto) {
  if (std::memcmp(a, b, len) > 0) std::swap(a, b);
  std::uint64_t h = 0x9e3779b97f4a7c15ull ^ proto;
  for (const std::uint8_t* addr : {a, b}) {
    for (std::size_t i = 0; i < len; i += 8) {
      std::uint64_t w = 0;
      std::memcpy(&w, addr + i, std::min<std::size_t>(8, len - i));
      h = mix64(h ^ w) + 0x632be59bd9b4e019ull;
    }
  }
  return h == 0 ? 1 : h;
}

std::uint64_t ip_hash(Bytes ip) {
  if (ip.empty()) return 0;
  switch (ip[0] >> 4) {
    case 4:
      if (ip.size() < 20) return 0;
      return pair_hash(ip.data() + 12, ip.data() + 16, 4, ip[9]);
    case 6:
      // Not the next header: a fragmented datagram of a TCP flow says 44 (fragment) where
      // its unfragmented packets say 6, and extension headers vary too.
      if (ip.size() < 40) return 0;
      return pair_hash(ip.data() + 8, ip.data() + 24, 16, 0);
    default:
      return 0;
  }
}

std::uint64_t ether_hash(std::uint16_t type, Bytes data, int depth = 0);

// MPLS (RFC 3032): the label stack, then IP by its version nibble or an Ethernet pseudowire
// after its control word, as the decoder guesses.
std::uint64_t mpls_hash(Bytes data, int depth) {
  std::uint32_t entry = 0;
  do {
    if (data.size() < 4) return 0;
    entry = load_be32(data.data());
    data = data.subspan(4);
  } while ((entry & 0x100) == 0);
  if (data.empty()) return 0;
  if ((data[0] >> 4) != 0) return ip_hash(data);
  if (data.size() < 4 + 14 || depth >= kMaxPseudowires) return 0;
  return ether_hash(load_be16(data.data() + 4 + 12), data.subspan(4 + 14), depth + 1);
}

std::uint64_t ether_hash(std::uint16_t type, Bytes data, int depth) {
  while (type == kEtherVlan || type == kEtherQinq || type == kEtherQinqOld) {
    if (data.size() < 4) return 0;
    type = load_be16(data.data() + 2);
    data = data.subspan(4);
  }
  if (type == kEtherMplsUnicast || type == kEtherMplsMulticast) return mpls_hash(data, depth);
  return type == kEtherIpv4 || type == kEtherIpv6 ? ip_hash(data) : 0;
}

// PPP (DLT 9): optional HDLC address/control bytes, a 1- or 2-byte protocol, then IP.
std::uint64_t ppp_hash(Bytes data) {
  if (data.size() >= 2 && data[0] == 0xff && data[1] == 0x03) data = data.subspan(2);
  if (data.empty()) return 0;
  std::uint16_t proto = data[0];
  if ((proto & 1) != 0) {
    data = data.subspan(1);
  } else {
    if (data.size() < 2) return 0;
    proto = load_be16(data.data());
    data = data.subspan(2);
  }
  return proto == 0x0021 || proto == 0x0057 || proto == 0x002f ? ip_hash(data) : 0;
}

}  // namespace

std::uint64_t dispatch_hash(const capture::RawPacket& p) {
  const Bytes frame(p.data, p.caplen);
  switch (p.linktype) {
    case 1:  // Ethernet
      return frame.size() < 14 ? 0 : ether_hash(load_be16(frame.data() + 12), frame.subspan(14));
    case 113:  // Linux cooked v1
      return frame.size() < 16 ? 0 : ether_hash(load_be16(frame.data() + 14), frame.subspan(16));
    case 276:  // Linux cooked v2
      return frame.size() < 20 ? 0 : ether_hash(load_be16(frame.data()), frame.subspan(20));
    case 101:  // raw IP
    case 12:
    case 228:  // IPv4
    case 229:  // IPv6
      return ip_hash(frame);
    case 9:  // PPP
      return ppp_hash(frame);
    case 0:    // BSD loopback: a 4-byte family, then IP
    case 108:
      return frame.size() < 4 ? 0 : ip_hash(frame.subspan(4));
    default:
      return 0;
  }
}

}  // namespace wp::app
