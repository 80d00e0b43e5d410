// Packet and capture builders for tests and the traffic generator: frames are built by code,
// with correct lengths and checksums unless a test asks to break them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"

namespace wp::testing {

using Frame = std::vector<std::uint8_t>;

struct L4Options {
  std::uint8_t ttl = 64;
  std::uint8_t tos = 0;
  std::uint16_t ip_id = 1;
  bool dont_fragment = false;
  std::vector<std::uint16_t> vlans;   // 802.1Q tags, outer first (two = QinQ)
  bool corrupt_l4_checksum = false;   // flip the TCP/UDP/ICMP checksum
  bool corrupt_ip_checksum = false;   // flip the IPv4 header checksum
  std::vector<std::uint8_t> ipv4_options;  // raw option bytes, padded to 4 by the builder
};

struct TcpSpec {
  std::uint16_t sport = 40000;
  std::uint16_t dport = 80;
  std::uint32_t seq = 1;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0x18;  // PSH|ACK
  std::uint16_t window = 65535;
  std::vector<std::uint8_t> options;  // raw TCP option bytes, padded to 4 by the builder
};

// Builders return a complete Ethernet frame (dst 02:00:00:00:00:02, src 02:00:00:00:00:01)
// unless `ethernet` is false, in which case the frame starts at the IP header.
Frame tcp_packet(const IpAddress& src, const IpAddress& dst, const TcpSpec& tcp,
                 std::string_view payload, const L4Options& opt = {}, bool ethernet = true);
Frame udp_packet(const IpAddress& src, const IpAddress& dst, std::uint16_t sport,
                 std::uint16_t dport, std::string_view payload, const L4Options& opt = {},
                 bool ethernet = true);
// ICMP (IPv4) or ICMPv6 (IPv6), chosen by the address family. id/seq are written into the
// second header word (meaningful for echo).
Frame icmp_packet(const IpAddress& src, const IpAddress& dst, std::uint8_t type,
                  std::uint8_t code, std::uint16_t id, std::uint16_t seq,
                  std::string_view payload, const L4Options& opt = {}, bool ethernet = true);

// Splits an IPv4 or IPv6 frame built above into IP fragments whose payload parts are at most
// `fragment_size` bytes (a multiple of 8), each a complete Ethernet frame.
std::vector<Frame> fragment(const Frame& ethernet_frame, std::size_t fragment_size);

// "192.0.2.1" / "2001:db8::1"; aborts the test program on malformed text.
IpAddress ip(std::string_view text);

}  // namespace wp::testing
