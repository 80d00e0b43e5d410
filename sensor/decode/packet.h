// Packet: the decoded view of one captured frame, filled by Decoder::decode() and reused
// for every packet (no allocation per packet). All spans point into the capture buffer or,
// for a reassembled IP fragment set, into the decoder's reassembly buffer; they are valid
// until the next call to Decoder::decode() on the same decoder or until the capture slot
// is released, whichever comes first.
#pragma once

#include <cstdint>
#include <span>

#include "common/ip_address.h"
#include "common/timestamp.h"
#include "decode/events.h"

namespace wp::decode {

// DLT_* link types we decode (values from pcap/dlt.h).
enum class LinkType : int {
  kNull = 0,        // BSD loopback, host-order 4-byte family
  kEthernet = 1,
  kPpp = 9,         // PPP, with or without the HDLC address/control bytes
  kRaw = 101,       // raw IPv4/IPv6 (LINKTYPE_RAW; libpcap's DLT_RAW, 12, is accepted too)
  kLoop = 108,      // OpenBSD loopback, network-order family
  kLinuxSll = 113,
  kIpv4 = 228,
  kIpv6 = 229,
  kLinuxSll2 = 276,
};

// IP protocol numbers used on the packet path.
inline constexpr std::uint8_t kProtoIcmp = 1;
inline constexpr std::uint8_t kProtoTcp = 6;
inline constexpr std::uint8_t kProtoUdp = 17;
inline constexpr std::uint8_t kProtoIcmpv6 = 58;

// TCP flag bits as in the header's flags byte (plus ECE/CWR).
inline constexpr std::uint8_t kTcpFin = 0x01;
inline constexpr std::uint8_t kTcpSyn = 0x02;
inline constexpr std::uint8_t kTcpRst = 0x04;
inline constexpr std::uint8_t kTcpPsh = 0x08;
inline constexpr std::uint8_t kTcpAck = 0x10;
inline constexpr std::uint8_t kTcpUrg = 0x20;
inline constexpr std::uint8_t kTcpEce = 0x40;
inline constexpr std::uint8_t kTcpCwr = 0x80;

// Bits of Packet::ipv4_options (which IPv4 options are present), for the `ipopts` keyword.
enum Ipv4Option : std::uint16_t {
  kIpoptRr = 1 << 0,     // record route (7)
  kIpoptEol = 1 << 1,    // end of list (0)
  kIpoptNop = 1 << 2,    // no-op (1)
  kIpoptTs = 1 << 3,     // timestamp (68)
  kIpoptSec = 1 << 4,    // security (130)
  kIpoptEsec = 1 << 5,   // extended security (133)
  kIpoptLsrr = 1 << 6,   // loose source route (131)
  kIpoptSsrr = 1 << 7,   // strict source route (137)
  kIpoptSatid = 1 << 8,  // stream identifier (136)
  kIpoptAny = 1 << 9,    // any other option
};

// How a packet came to be, as Suricata's EVE `pkt_src` tells it: captured, the inner packet
// of a tunnel (named by the decapsulation that produced the innermost packet), or an IP
// datagram rebuilt from fragments.
enum class PacketSource : std::uint8_t {
  kWire,           // "wire/pcap"
  kDecoderGre,     // "gre tunnel" (also PPP, Ethernet and ERSPAN over GRE)
  kDecoderIpv4,    // "ipv4 tunnel": IPv4 or IPv6 inside IPv4 (protocols 4, 41)
  kDecoderIpv6,    // "ipv6 tunnel": IPv4 or IPv6 inside IPv6
  kDecoderTeredo,  // "teredo tunnel"
  kDecoderVxlan,   // "vxlan encapsulation"
  kDecoderGeneve,  // "geneve encapsulation"
  kDefrag,         // "defrag": a reassembled datagram
};

struct Packet {
  // Capture
  Timestamp ts;
  std::uint64_t number = 0;  // pcap_cnt
  int linktype = 1;
  // The whole frame (EVE `packet`): the captured one; for a reassembled datagram the first
  // fragment's link header followed by the rebuilt datagram, in the decoder's buffer.
  std::span<const std::uint8_t> frame;
  std::uint32_t wirelen = 0;
  PacketSource source = PacketSource::kWire;

  // Link layer
  static constexpr int kMaxVlans = 3;
  std::uint16_t vlan[kMaxVlans] = {0, 0, 0};  // outer first (also across tunnels); 0 when absent
  std::uint8_t vlan_count = 0;

  // Tunnels. The fields above and below describe the innermost decoded packet (what flows,
  // streams and detection see, as in Suricata); these describe the outermost IP layer of a
  // tunnelled packet, for the EVE `tunnel` object. All zero when tunnel_depth is 0.
  std::uint8_t tunnel_depth = 0;  // IP encapsulations decoded (GRE, IP-in-IP, VXLAN, ...)
  std::uint8_t tunnel_proto = 0;  // the outermost IP's protocol: 47 GRE, 17 UDP, 4, 41
  IpAddress tunnel_src;
  IpAddress tunnel_dst;
  std::uint16_t tunnel_sport = 0;  // UDP tunnels (VXLAN, Geneve, Teredo); 0 otherwise
  std::uint16_t tunnel_dport = 0;

  // Network layer
  std::uint8_t ip_version = 0;  // 4, 6, or 0 when no IP layer was decoded
  IpAddress src;
  IpAddress dst;
  std::uint8_t proto = 0;        // transport protocol (after IPv6 extension headers)
  std::uint8_t ttl = 0;          // IPv4 TTL / IPv6 hop limit
  std::uint8_t tos = 0;          // IPv4 TOS / IPv6 traffic class
  std::uint16_t ip_id = 0;       // IPv4 identification (IPv6: fragment id low 16 bits)
  std::uint16_t ip_total_len = 0; // IPv4 total length; IPv6 40 + payload length (max 65535)
  bool frag_df = false;          // IPv4 don't-fragment
  bool frag_mf = false;          // more fragments (of the original fragment, if reassembled)
  bool frag_rb = false;          // IPv4 reserved bit
  std::uint16_t frag_offset = 0; // in 8-byte units, of the original fragment
  bool reassembled = false;      // built from IP fragments
  std::uint16_t ipv4_options = 0;  // Ipv4Option bits

  // Transport layer
  std::uint16_t sport = 0;  // TCP/UDP ports; 0 otherwise
  std::uint16_t dport = 0;
  std::uint32_t tcp_seq = 0;
  std::uint32_t tcp_ack = 0;
  std::uint8_t tcp_flags = 0;  // kTcp* bits
  std::uint16_t tcp_window = 0;
  std::uint8_t tcp_wscale = 0;  // window scale option, if present
  bool tcp_has_wscale = false;
  bool tcp_has_sack_permitted = false;
  bool tcp_has_timestamp = false;
  std::uint32_t tcp_tsval = 0;
  std::uint32_t tcp_tsecr = 0;
  std::uint16_t tcp_mss = 0;
  bool tcp_has_mss = false;
  std::uint8_t icmp_type = 0;
  std::uint8_t icmp_code = 0;
  std::uint16_t icmp_id = 0;   // echo request/reply only
  std::uint16_t icmp_seq = 0;
  bool icmp_has_id_seq = false;
  std::uint32_t icmpv6_mtu = 0;  // ICMPv6 Packet Too Big (type 2) only
  bool icmpv6_has_mtu = false;

  // Offsets into `frame` (or the reassembly buffer): start of L3 and L4 headers.
  std::span<const std::uint8_t> l3;       // from the IP header to the end of the datagram
  std::span<const std::uint8_t> l4;       // from the transport header (TCP/UDP/ICMP) on
  std::span<const std::uint8_t> payload;  // application payload (after TCP/UDP/ICMP header)
  // Header lengths, for the ipv4.hdr ... icmpv6.hdr rule buffers: the IP header (IPv4 with
  // options; IPv6 with the extension headers up to the final one) at the start of `l3`, and
  // the transport header (TCP with options, UDP, ICMP) at the start of `l4`, 0 when the
  // transport header did not decode.
  std::uint16_t ip_hdr_len = 0;
  std::uint16_t l4_hdr_len = 0;

  // Checksums: computed only when validation is on; `checksum_bad` is true when the IPv4
  // header or the TCP/UDP/ICMP/ICMPv6 checksum did not verify.
  bool checksum_checked = false;
  bool checksum_bad = false;

  // Stream events (stream/stream_events.h bits) the stream stage found with this packet; the
  // worker sets them for the `stream-event` rule keyword. 0 outside a tracked TCP session.
  std::uint32_t stream_events = 0;

  // Decode events (events.h) detected on any layer of this packet: a fixed bitset.
  std::uint64_t events[2] = {0, 0};
  static_assert(kDecodeEventCount <= 128, "Packet::events holds 128 event bits");

  bool has_ports() const { return proto == kProtoTcp || proto == kProtoUdp; }
  bool has_event(DecodeEvent e) const {
    const auto i = static_cast<unsigned>(e);
    return (events[i / 64] >> (i % 64)) & 1u;
  }
  void set_event(DecodeEvent e) {
    const auto i = static_cast<unsigned>(e);
    events[i / 64] |= std::uint64_t{1} << (i % 64);
  }
  bool has_events() const { return (events[0] | events[1]) != 0; }
};

}  // namespace wp::decode
