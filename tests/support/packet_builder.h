// Packet and capture builders for tests and the traffic generator: frames are built by code,
// with correct lengths and checksums unless a test asks to break them.
#pragma once

#include <cstdint>
#include <optional>
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

// Encapsulations, for tunnel tests. Each returns the bytes of its layer followed by `inner`;
// wrap the result with ip_packet() (GRE, IP-in-IP), udp_packet() via as_text() (VXLAN,
// Geneve, Teredo) or ethernet_frame() (MPLS).

// An IP packet (in Ethernet unless `ethernet` is false) of protocol `proto` whose payload is
// `payload` as is: GRE (47), IPv4 (4) or IPv6 (41) inside.
Frame ip_packet(const IpAddress& src, const IpAddress& dst, std::uint8_t proto,
                const Frame& payload, const L4Options& opt = {}, bool ethernet = true);
// An Ethernet frame of `ethertype` carrying `payload` (no VLAN tags).
Frame ethernet_frame(std::uint16_t ethertype, const Frame& payload);
// The IP packet of a builder frame: what follows its Ethernet header and VLAN tags.
Frame ip_part(const Frame& ethernet_frame);

struct GreOptions {
  std::uint8_t version = 0;  // 0, or 1 (PPTP: key always present, protocol PPP)
  bool checksum = false;     // version 0: checksum and reserved word (RFC 2784)
  std::optional<std::uint32_t> key;       // RFC 2890 (version 1: payload length and call id)
  std::optional<std::uint32_t> sequence;  // RFC 2890
};
// A GRE header of protocol type `protocol` (0x0800, 0x86dd, 0x6558, 0x880b, 0x88be, ...)
// followed by `inner`; the checksum, when asked for, covers header and payload.
Frame gre(std::uint16_t protocol, const Frame& inner, const GreOptions& opt = {});
// ERSPAN type II (version 1, 8 bytes) or type III (version 2, 12 bytes) before `ethernet`.
Frame erspan2(std::uint16_t vlan, std::uint16_t session, const Frame& ethernet);
Frame erspan3(std::uint16_t vlan, std::uint16_t session, const Frame& ethernet);
// An MPLS label stack (outer label first, bottom of stack set on the last) before `inner`.
Frame mpls(const std::vector<std::uint32_t>& labels, const Frame& inner);
// A PPP frame: HDLC address/control (when `address_control`), the 2-byte protocol, `inner`.
Frame ppp(std::uint16_t protocol, const Frame& inner, bool address_control = true);
// A VXLAN header (RFC 7348, the I flag and `vni`) before an Ethernet frame.
Frame vxlan(std::uint32_t vni, const Frame& ethernet);
// A Geneve header (RFC 8926) of `protocol` with `option_words` 4-byte words of options.
Frame geneve(std::uint16_t protocol, std::uint32_t vni, const Frame& inner,
             std::uint8_t option_words = 0);
// A Teredo origin indication (RFC 4380 section 5.1.1) before an IPv6 packet.
Frame teredo_origin(std::uint16_t port, const IpAddress& address, const Frame& ipv6);
// The bytes of `f` as a payload for tcp_packet()/udp_packet().
std::string as_text(const Frame& f);

// Splits an IPv4 or IPv6 frame built above into IP fragments whose payload parts are at most
// `fragment_size` bytes (a multiple of 8), each a complete Ethernet frame.
std::vector<Frame> fragment(const Frame& ethernet_frame, std::size_t fragment_size);

// "192.0.2.1" / "2001:db8::1"; aborts the test program on malformed text.
IpAddress ip(std::string_view text);

}  // namespace wp::testing
