// IpAddress: an IPv4 or IPv6 address in 16 bytes (IPv4 stored as ::ffff:a.b.c.d) so that
// one type, one comparison and one hash serve both families on the packet path.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace wp {

// A 128-bit unsigned number (GCC/Clang extension) for address arithmetic and ordering.
__extension__ typedef unsigned __int128 IpKey;

struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};

  static IpAddress v4(std::uint32_t host_order) {
    IpAddress a;
    a.bytes[10] = 0xff;
    a.bytes[11] = 0xff;
    a.bytes[12] = static_cast<std::uint8_t>(host_order >> 24);
    a.bytes[13] = static_cast<std::uint8_t>(host_order >> 16);
    a.bytes[14] = static_cast<std::uint8_t>(host_order >> 8);
    a.bytes[15] = static_cast<std::uint8_t>(host_order);
    return a;
  }
  static IpAddress v4_from_wire(const std::uint8_t* p) {
    IpAddress a;
    a.bytes[10] = 0xff;
    a.bytes[11] = 0xff;
    std::memcpy(a.bytes.data() + 12, p, 4);
    return a;
  }
  static IpAddress v6_from_wire(const std::uint8_t* p) {
    IpAddress a;
    std::memcpy(a.bytes.data(), p, 16);
    return a;
  }

  bool is_v4() const {
    static constexpr std::uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::memcmp(bytes.data(), kPrefix, 12) == 0;
  }
  std::uint32_t v4_host_order() const {
    return (std::uint32_t{bytes[12]} << 24) | (std::uint32_t{bytes[13]} << 16) |
           (std::uint32_t{bytes[14]} << 8) | bytes[15];
  }
  // The address as one 128-bit number (network order = numeric order): one comparison
  // instead of a memcmp in range lookups.
  IpKey key() const {
    std::uint64_t h, l;
    std::memcpy(&h, bytes.data(), 8);
    std::memcpy(&l, bytes.data() + 8, 8);
    return (static_cast<IpKey>(__builtin_bswap64(h)) << 64) | __builtin_bswap64(l);
  }
  // The address as two big-endian 64-bit halves, for ordered range lookups.
  std::uint64_t hi() const;
  std::uint64_t lo() const;

  // "192.0.2.1" or "2001:db8::1" (inet_ntop form).
  std::string to_string() const;
  // Parses dotted IPv4 or IPv6 text; nullopt when malformed.
  static std::optional<IpAddress> parse(std::string_view text);

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
};

// A 64-bit hash of two addresses and a seed, for the packet-path hash tables keyed by
// addresses (thresholds, xbits).
inline std::uint64_t hash_addresses(std::uint64_t seed, const IpAddress& a, const IpAddress& b) {
  std::uint64_t h = 0x9e3779b97f4a7c15ull ^ seed;
  auto mix = [&h](std::uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
  };
  mix(a.hi());
  mix(a.lo());
  mix(b.hi());
  mix(b.lo());
  return h;
}

}  // namespace wp
