#include "decode/decoder.h"

#include <algorithm>

#include "decode/checksum.h"
#include "decode/defrag.h"

namespace wp::decode {

namespace {

constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherIpv6 = 0x86dd;
constexpr std::uint16_t kEtherVlan = 0x8100;
constexpr std::uint16_t kEtherQinq = 0x88a8;
constexpr std::uint16_t kEtherQinqOld = 0x9100;  // pre-802.1ad QinQ, still seen in captures
constexpr std::uint16_t kEtherMplsUnicast = 0x8847;
constexpr std::uint16_t kEtherMplsMulticast = 0x8848;
constexpr std::uint16_t kEtherArp = 0x0806;
// GRE protocol types beyond the ethertypes above.
constexpr std::uint16_t kGreTeb = 0x6558;      // transparent Ethernet bridging
constexpr std::uint16_t kGreErspan2 = 0x88be;  // ERSPAN type I (no sequence bit) and II
constexpr std::uint16_t kGreErspan3 = 0x22eb;
constexpr std::uint16_t kGrePpp = 0x880b;

constexpr std::uint8_t kProtoIpip = 4;
constexpr std::uint8_t kProtoIpv6InIp = 41;
constexpr std::uint8_t kProtoGre = 47;

constexpr std::uint16_t kPortVxlan = 4789;   // RFC 7348 section 5
constexpr std::uint16_t kPortGeneve = 6081;  // RFC 8926 section 3.3
constexpr std::uint16_t kPortTeredo = 3544;  // RFC 4380 section 2.6

// Encapsulations of IP (GRE, IP-in-IP, VXLAN, Geneve, Teredo) decoded per frame; deeper is
// decoder.too_many_layers. Link-layer nesting (VLAN, MPLS pseudowires, ERSPAN) has its own
// bound, as Suricata's decoder.max-layers.
constexpr std::uint8_t kMaxTunnelDepth = 8;
constexpr int kMaxLayers = 16;

constexpr int kDltRawAlt = 12;  // DLT_RAW as libpcap reports LINKTYPE_RAW (101) on Linux

constexpr std::uint8_t kIp6HopByHop = 0;
constexpr std::uint8_t kIp6Routing = 43;
constexpr std::uint8_t kIp6Fragment = 44;
constexpr std::uint8_t kIp6Esp = 50;
constexpr std::uint8_t kIp6Ah = 51;
constexpr std::uint8_t kIp6NoNext = 59;
constexpr std::uint8_t kIp6DestOpts = 60;
constexpr std::uint8_t kIp6Mobility = 135;
constexpr std::uint8_t kIp6Hip = 139;
constexpr std::uint8_t kIp6Shim6 = 140;

// Address family values a DLT_NULL/DLT_LOOP header may carry: AF_INET is 2 everywhere;
// AF_INET6 is 24 (NetBSD, OpenBSD), 28 (FreeBSD), 30 (macOS) or 10 (Linux).
int ip_version_of_family(std::uint32_t family) {
  switch (family) {
    case 2:
      return 4;
    case 10:
    case 24:
    case 28:
    case 30:
      return 6;
    default:
      return 0;
  }
}

// The ICMPv4 header as Suricata's icmpv4.hdr buffer takes it: 8 bytes, but the fixed fields
// of timestamp (13, 14: 20 bytes) and address mask (17, 18: 12 bytes) messages too
// (RFC 792, RFC 950), as far as the segment holds them.
std::uint16_t icmpv4_header_length(std::uint8_t type, std::size_t seg_len) {
  std::size_t len = 8;
  if (type == 13 || type == 14) len = 20;
  if (type == 17 || type == 18) len = 12;
  return static_cast<std::uint16_t>(std::min(len, seg_len));
}

// The bytes of the frame before the IP header `ip` (link header, VLAN tags, outer tunnel
// layers), or nothing when `ip` is not inside the frame (a datagram itself rebuilt).
Bytes link_before(const Packet& p, Bytes ip) {
  const auto frame = reinterpret_cast<std::uintptr_t>(p.frame.data());
  const auto at = reinterpret_cast<std::uintptr_t>(ip.data());
  if (p.frame.empty() || at < frame || at - frame > p.frame.size()) return {};
  return p.frame.first(static_cast<std::size_t>(at - frame));
}

// What a tunnel carries: how its payload is decoded.
enum class Inner { kIpv4, kIpv6, kEthernet, kPpp, kErspan2, kErspan3, kEthertype };

// Starts the inner packet of a tunnel: the network and transport fields are the inner
// packet's to fill; the capture, the VLAN ids, the tunnel and the events stay.
void start_inner_packet(Packet& p) {
  Packet inner;
  inner.ts = p.ts;
  inner.number = p.number;
  inner.linktype = p.linktype;
  inner.frame = p.frame;
  inner.wirelen = p.wirelen;
  std::copy(std::begin(p.vlan), std::end(p.vlan), std::begin(inner.vlan));
  inner.vlan_count = p.vlan_count;
  inner.tunnel_depth = p.tunnel_depth;
  inner.tunnel_proto = p.tunnel_proto;
  inner.tunnel_src = p.tunnel_src;
  inner.tunnel_dst = p.tunnel_dst;
  inner.tunnel_sport = p.tunnel_sport;
  inner.tunnel_dport = p.tunnel_dport;
  inner.reassembled = p.reassembled;
  // A host that decapsulates drops a packet whose outer checksum is bad, so the inner one
  // is marked too.
  inner.checksum_checked = p.checksum_checked;
  inner.checksum_bad = p.checksum_bad;
  std::copy(std::begin(p.events), std::end(p.events), std::begin(inner.events));
  p = inner;
}

}  // namespace

struct Decoder::Impl {
  Impl(const DecoderConfig& cfg, Counters& ctrs) : config(cfg), counters(ctrs), defrag(cfg, ctrs) {
    auto add = [&](const char* name) { return counters.add(name); };
    // The anomalies listed in README.md: each marks a malformed packet (kMalformed).
    auto anomaly = [&](std::string_view name) { return counters.add(name, CounterKind::kAnomaly); };
    c.pkts = add("decoder.pkts");
    c.bytes = add("decoder.bytes");
    c.invalid = add("decoder.invalid");
    c.ethernet = add("decoder.ethernet");
    c.sll = add("decoder.sll");
    c.sll2 = add("decoder.sll2");
    c.raw = add("decoder.raw");
    c.null = add("decoder.null");
    c.vlan = add("decoder.vlan");
    c.vlan_qinq = add("decoder.vlan_qinq");
    c.ipv4 = add("decoder.ipv4");
    c.ipv6 = add("decoder.ipv6");
    c.tcp = add("decoder.tcp");
    c.udp = add("decoder.udp");
    c.icmpv4 = add("decoder.icmpv4");
    c.icmpv6 = add("decoder.icmpv6");
    c.ppp = add("decoder.ppp");
    c.gre = add("decoder.gre");
    c.erspan = add("decoder.erspan");
    c.mpls = add("decoder.mpls");
    c.vxlan = add("decoder.vxlan");
    c.geneve = add("decoder.geneve");
    c.teredo = add("decoder.teredo");
    c.ipip = add("decoder.ipv4_in_ip");
    c.ipv6_in_ip = add("decoder.ipv6_in_ip");
    c.tunnels = add("decoder.tunnel");
    c.unsupported_linktype = add("decoder.unsupported_linktype");
    c.unsupported_ethertype = add("decoder.unsupported_ethertype");
    c.null_unsupported_family = add("decoder.null.unsupported_family");

    // The anomalies listed in README.md, one counter per Suricata decoder event (events.h).
    for (const DecodeEventInfo& e : kDecodeEvents) {
      event_counter[static_cast<std::size_t>(e.id)] =
          e.counter.empty() ? kNoCounter : anomaly(e.counter);
    }
    c.ipv4_frag_invalid_length = anomaly("decoder.ipv4.frag_invalid_length");
    c.ipv6_exthdr_invalid = anomaly("decoder.ipv6.exthdr_invalid");
    c.ipv4_truncated = add("decoder.ipv4.truncated");
    c.ipv4_invalid_checksum = add("decoder.ipv4.invalid_checksum");
    c.ipv6_truncated = add("decoder.ipv6.truncated");
    c.tcp_truncated = add("decoder.tcp.truncated");
    c.tcp_invalid_checksum = add("decoder.tcp.invalid_checksum");
    c.udp_truncated = add("decoder.udp.truncated");
    c.udp_invalid_checksum = add("decoder.udp.invalid_checksum");
    c.icmpv4_truncated = add("decoder.icmpv4.truncated");
    c.icmpv4_invalid_checksum = add("decoder.icmpv4.invalid_checksum");
    c.icmpv6_truncated = add("decoder.icmpv6.truncated");
    c.icmpv6_invalid_checksum = add("decoder.icmpv6.invalid_checksum");
  }

  DecodeStatus decode(const capture::RawPacket& raw, Packet& p);
  DecodeStatus link(Packet& p, Bytes frame);
  DecodeStatus ethernet(Packet& p, Bytes frame);
  DecodeStatus ethertype(Packet& p, std::uint16_t type, Bytes data);
  DecodeStatus family(Packet& p, Bytes frame, bool network_order);
  DecodeStatus ppp(Packet& p, Bytes data);
  DecodeStatus mpls(Packet& p, Bytes data);
  DecodeStatus erspan(Packet& p, Bytes data, bool type3);
  DecodeStatus ipv4(Packet& p, Bytes data, bool reassembled);
  DecodeStatus ipv6(Packet& p, Bytes data, bool reassembled);
  DecodeStatus fragment(Packet& p, const Fragment& frag);
  DecodeStatus transport(Packet& p, Bytes seg, std::size_t claimed, bool short_data);
  DecodeStatus ip_in_ip(Packet& p, Bytes seg, int version);
  DecodeStatus gre(Packet& p, Bytes seg);
  DecodeStatus udp_tunnel(Packet& p);
  DecodeStatus tunnel(Packet& p, PacketSource source, Inner inner, Bytes data,
                      std::uint16_t type = 0);
  DecodeStatus tcp(Packet& p, Bytes seg, std::size_t claimed, bool short_data);
  DecodeStatus udp(Packet& p, Bytes seg, std::size_t claimed, bool short_data);
  DecodeStatus icmp(Packet& p, Bytes seg, bool v6, bool short_data);
  static DecodeEvent ipv4_options(Packet& p, Bytes opts);
  DecodeEvent tcp_options(Packet& p, Bytes opts);

  // Records event `e` on the packet and counts it.
  void event(Packet& p, DecodeEvent e) {
    p.set_event(e);
    const CounterId id = event_counter[static_cast<std::size_t>(e)];
    if (id != kNoCounter) counters.inc(id);
  }
  DecodeStatus malformed(Packet& p, DecodeEvent e) {
    event(p, e);
    return DecodeStatus::kMalformed;
  }
  // An anomaly Suricata has no decoder event for: counted only.
  DecodeStatus malformed(CounterId id) {
    counters.inc(id);
    return DecodeStatus::kMalformed;
  }
  DecodeStatus unsupported(CounterId id) {
    counters.inc(id);
    return DecodeStatus::kUnsupported;
  }
  // Verifies a transport checksum unless validation is off or the capture cut the data short.
  void check_transport(Packet& p, Bytes seg, bool short_data, CounterId truncated, CounterId bad) {
    if (short_data) {
      counters.inc(truncated);
      return;
    }
    if (!config.validate_checksums) return;
    p.checksum_checked = true;
    if (!transport_checksum_ok(p.src, p.dst, p.proto, seg)) {
      p.checksum_bad = true;
      counters.inc(bad);
    }
  }

  static constexpr CounterId kNoCounter = ~CounterId{0};
  static constexpr DecodeEvent kNoEvent = DecodeEvent::kCount;

  DecoderConfig config;
  Counters& counters;
  Defragmenter defrag;
  bool snapped = false;  // this frame is shorter than it was on the wire (snaplen)
  int layers = 0;        // ethertype dispatches (link layers) entered in this frame
  std::int64_t now_us = 0;
  CounterId event_counter[kDecodeEventCount];
  Packet completed;             // the fragment that completed a datagram in this decode()
  bool has_completed = false;

  struct {
    CounterId pkts, bytes, invalid, ethernet, sll, sll2, raw, null, vlan, vlan_qinq, ipv4, ipv6;
    CounterId tcp, udp, icmpv4, icmpv6, unsupported_linktype, unsupported_ethertype;
    CounterId null_unsupported_family;
    CounterId ppp, gre, erspan, mpls, vxlan, geneve, teredo, ipip, ipv6_in_ip, tunnels;
    CounterId ipv4_frag_invalid_length, ipv6_exthdr_invalid;
    CounterId ipv4_truncated, ipv4_invalid_checksum, ipv6_truncated;
    CounterId tcp_truncated, tcp_invalid_checksum, udp_truncated, udp_invalid_checksum;
    CounterId icmpv4_truncated, icmpv4_invalid_checksum, icmpv6_truncated, icmpv6_invalid_checksum;
  } c;
};

DecodeStatus Decoder::Impl::decode(const capture::RawPacket& raw, Packet& p) {
  p = Packet{};
  p.ts = raw.ts;
  p.number = raw.number;
  p.linktype = raw.linktype;
  p.wirelen = raw.wirelen;
  if (raw.data != nullptr) p.frame = Bytes(raw.data, raw.caplen);
  counters.inc(c.pkts);
  counters.inc(c.bytes, raw.caplen);
  snapped = raw.caplen < raw.wirelen;
  layers = 0;
  has_completed = false;
  now_us = raw.ts.micros();
  defrag.expire(now_us);

  DecodeStatus status = link(p, p.frame);
  if (status == DecodeStatus::kMalformed) counters.inc(c.invalid);
  return status;
}

DecodeStatus Decoder::Impl::link(Packet& p, Bytes frame) {
  switch (p.linktype) {
    case static_cast<int>(LinkType::kEthernet):
      return ethernet(p, frame);
    case static_cast<int>(LinkType::kLinuxSll):
      // cooked v1: packet type, ARPHRD, address length, 8 address bytes, protocol.
      counters.inc(c.sll);
      if (frame.size() < 16) return malformed(p, DecodeEvent::kSllPktTooSmall);
      return ethertype(p, load_be16(frame.data() + 14), frame.subspan(16));
    case static_cast<int>(LinkType::kLinuxSll2):
      // cooked v2: protocol, reserved, ifindex, ARPHRD, packet type, address length, address.
      counters.inc(c.sll2);
      if (frame.size() < 20) return malformed(p, DecodeEvent::kSll2PktTooSmall);
      return ethertype(p, load_be16(frame.data()), frame.subspan(20));
    case static_cast<int>(LinkType::kRaw):
    case kDltRawAlt:
      counters.inc(c.raw);
      if (frame.empty()) return malformed(p, DecodeEvent::kIprawInvalidIpVersion);
      switch (frame[0] >> 4) {
        case 4:
          return ipv4(p, frame, false);
        case 6:
          return ipv6(p, frame, false);
        default:
          return malformed(p, DecodeEvent::kIprawInvalidIpVersion);
      }
    case static_cast<int>(LinkType::kIpv4):
      counters.inc(c.raw);
      return ipv4(p, frame, false);
    case static_cast<int>(LinkType::kIpv6):
      counters.inc(c.raw);
      return ipv6(p, frame, false);
    case static_cast<int>(LinkType::kNull):
      return family(p, frame, false);
    case static_cast<int>(LinkType::kLoop):
      return family(p, frame, true);
    case static_cast<int>(LinkType::kPpp):
      return ppp(p, frame);
    default:
      return unsupported(c.unsupported_linktype);
  }
}

DecodeStatus Decoder::Impl::ethernet(Packet& p, Bytes frame) {
  counters.inc(c.ethernet);
  if (frame.size() < 14) return malformed(p, DecodeEvent::kEthernetPktTooSmall);
  return ethertype(p, load_be16(frame.data() + 12), frame.subspan(14));
}

DecodeStatus Decoder::Impl::family(Packet& p, Bytes frame, bool network_order) {
  counters.inc(c.null);
  if (frame.size() < 4) return malformed(p, DecodeEvent::kLtnullPktTooSmall);
  const std::uint32_t be = load_be32(frame.data());
  int version = ip_version_of_family(network_order ? be : load_le32(frame.data()));
  // DLT_NULL is in the capturing host's byte order, which need not be ours.
  if (version == 0 && !network_order) version = ip_version_of_family(be);
  switch (version) {
    case 4:
      return ipv4(p, frame.subspan(4), false);
    case 6:
      return ipv6(p, frame.subspan(4), false);
    default:
      event(p, DecodeEvent::kLtnullUnsupportedType);
      return unsupported(c.null_unsupported_family);
  }
}

DecodeStatus Decoder::Impl::ethertype(Packet& p, std::uint16_t type, Bytes data) {
  if (++layers > kMaxLayers) return malformed(p, DecodeEvent::kTooManyLayers);
  while (type == kEtherVlan || type == kEtherQinq || type == kEtherQinqOld) {
    counters.inc(c.vlan);
    if (data.size() < 4) return malformed(p, DecodeEvent::kVlanHeaderTooSmall);
    if (p.vlan_count == Packet::kMaxVlans) return malformed(p, DecodeEvent::kVlanTooManyLayers);
    p.vlan[p.vlan_count++] = load_be16(data.data()) & 0x0fff;
    if (p.vlan_count == 2) counters.inc(c.vlan_qinq);
    type = load_be16(data.data() + 2);
    data = data.subspan(4);
  }
  switch (type) {
    case kEtherIpv4:
      return ipv4(p, data, false);
    case kEtherIpv6:
      return ipv6(p, data, false);
    case kEtherMplsUnicast:
    case kEtherMplsMulticast:
      return mpls(p, data);
    default:
      return unsupported(c.unsupported_ethertype);
  }
}

DecodeStatus Decoder::Impl::ppp(Packet& p, Bytes data) {
  counters.inc(c.ppp);
  std::size_t off = 0;
  // RFC 1662 section 3.1: the HDLC address and control bytes, absent when compressed away
  // (RFC 1661 section 6.6) and in PPTP's GRE.
  if (!data.empty() && data[0] == 0xff) {
    if (data.size() < 4) return malformed(p, DecodeEvent::kPppPktTooSmall);
    if (data[1] != 0x03) return malformed(p, DecodeEvent::kPppWrongType);
    off = 2;
  }
  if (data.size() < off + 1) return malformed(p, DecodeEvent::kPppPktTooSmall);
  std::uint16_t proto = data[off];
  if ((proto & 1) != 0) {
    off += 1;  // a compressed one-byte protocol field (RFC 1661 section 6.5)
  } else {
    if (data.size() < off + 2) return malformed(p, DecodeEvent::kPppPktTooSmall);
    proto = load_be16(data.data() + off);
    off += 2;
  }
  Bytes body = data.subspan(off);
  switch (proto) {
    case 0x0021:  // IPv4
      if (body.size() < 20) return malformed(p, DecodeEvent::kPppIp4PktTooSmall);
      return ipv4(p, body, false);
    case 0x0057:  // IPv6
      if (body.size() < 40) return malformed(p, DecodeEvent::kPppIp6PktTooSmall);
      return ipv6(p, body, false);
    case 0x002f:  // Van Jacobson uncompressed TCP/IP (RFC 1144): an IPv4 header, as Suricata
      if (body.size() < 20) return malformed(p, DecodeEvent::kPppVjuPktTooSmall);
      return ipv4(p, body, false);
    case 0x002d:  // VJ compressed, then network and link control protocols: not IP
    case 0x0029:
    case 0x002b:
    case 0x0031:
    case 0x003d:
    case 0x00fd:
    case 0x8021:
    case 0x8029:
    case 0x802b:
    case 0x8031:
    case 0x803d:
    case 0x8057:
    case 0x80fd:
    case 0xc021:
    case 0xc023:
    case 0xc025:
    case 0xc223:
      event(p, DecodeEvent::kPppUnsupProto);
      return DecodeStatus::kUnsupported;
    default:
      return malformed(p, DecodeEvent::kPppWrongType);
  }
}

DecodeStatus Decoder::Impl::mpls(Packet& p, Bytes data) {
  counters.inc(c.mpls);
  // RFC 3032 section 2.1: 4-byte label stack entries down to the bottom-of-stack bit.
  std::uint32_t entry = 0;
  do {
    if (data.size() < 4) return malformed(p, DecodeEvent::kMplsHeaderTooSmall);
    entry = load_be32(data.data());
    data = data.subspan(4);
  } while ((entry & 0x100) == 0);
  const std::uint32_t label = entry >> 12;
  switch (label) {
    case 0:  // IPv4 explicit null
      return ipv4(p, data, false);
    case 2:  // IPv6 explicit null
      return ipv6(p, data, false);
    case 1:  // router alert, never at the bottom of the stack (RFC 3032 section 2.1)
      event(p, DecodeEvent::kMplsBadLabelRouterAlert);
      break;
    case 3:  // implicit null is never sent (RFC 3032 section 2.1)
      event(p, DecodeEvent::kMplsBadLabelImplicitNull);
      break;
    default:
      if (label < 16) event(p, DecodeEvent::kMplsBadLabelReserved);
      break;
  }
  // The payload type is not in the stack: guess from the first nibble, as Suricata.
  if (data.empty()) return malformed(p, DecodeEvent::kMplsPktTooSmall);
  switch (data[0] >> 4) {
    case 4:
      return ipv4(p, data, false);
    case 6:
      return ipv6(p, data, false);
    case 0:  // an Ethernet pseudowire after its control word (RFC 4448 section 3)
      if (data.size() < 4) return malformed(p, DecodeEvent::kMplsPktTooSmall);
      return ethernet(p, data.subspan(4));
    default:
      return malformed(p, DecodeEvent::kMplsUnknownPayloadType);
  }
}

DecodeStatus Decoder::Impl::erspan(Packet& p, Bytes data, bool type3) {
  counters.inc(c.erspan);
  // Type II: version 1, VLAN, ..., 8 bytes. Type III: version 2, 12 bytes, then an 8-byte
  // platform-specific subheader when the O bit is set (draft-foschiano-erspan section 4).
  const std::size_t hlen = type3 ? 12 : 8;
  if (data.size() < hlen) return malformed(p, DecodeEvent::kErspanHeaderTooSmall);
  if ((data[0] >> 4) != (type3 ? 2 : 1))
    return malformed(p, DecodeEvent::kErspanUnsupportedVersion);
  std::size_t off = hlen;
  if (type3) {
    if ((data[11] & 1) != 0) off += 8;
    if (data.size() < off) return malformed(p, DecodeEvent::kErspanHeaderTooSmall);
    if (((data[10] >> 2) & 0x1f) != 0) return DecodeStatus::kUnsupported;  // not an Ethernet frame
  }
  // The mirrored frame's VLAN, when it had one, as Suricata counts it.
  if (const std::uint16_t vlan = load_be16(data.data()) & 0x0fff; vlan != 0) {
    if (p.vlan_count == Packet::kMaxVlans)
      return malformed(p, DecodeEvent::kErspanTooManyVlanLayers);
    p.vlan[p.vlan_count++] = vlan;
  }
  return ethernet(p, data.subspan(off));
}

DecodeEvent Decoder::Impl::ipv4_options(Packet& p, Bytes opts) {
  // RFC 791 section 3.1: single-byte EOL/NOP, else type, length (covering type and length),
  // data. Route and timestamp options carry a pointer that must lie inside the option.
  std::size_t i = 0;
  while (i < opts.size()) {
    const std::uint8_t type = opts[i];
    if (type == 0) {
      p.ipv4_options |= kIpoptEol;
      return kNoEvent;
    }
    if (type == 1) {
      p.ipv4_options |= kIpoptNop;
      ++i;
      continue;
    }
    if (i + 1 >= opts.size()) return DecodeEvent::kIpv4OptEolRequired;
    const std::uint8_t len = opts[i + 1];
    if (len < 2 || i + len > opts.size()) return DecodeEvent::kIpv4OptInvalidLen;
    const std::uint8_t ptr = len >= 3 ? opts[i + 2] : 0;
    constexpr DecodeEvent kBad = DecodeEvent::kIpv4OptMalformed;
    switch (type) {
      case 7:
      case 131:
      case 137:
        if (len < 3 || ptr < 4 || ptr > len + 1) return kBad;
        p.ipv4_options |= type == 7 ? kIpoptRr : type == 131 ? kIpoptLsrr : kIpoptSsrr;
        break;
      case 68:
        if (len < 4 || ptr < 5 || ptr > len + 1) return kBad;
        p.ipv4_options |= kIpoptTs;
        break;
      case 130:
        if (len < 3) return kBad;
        p.ipv4_options |= kIpoptSec;
        break;
      case 133:
        if (len < 3) return kBad;
        p.ipv4_options |= kIpoptEsec;
        break;
      case 136:
        if (len != 4) return kBad;
        p.ipv4_options |= kIpoptSatid;
        break;
      default:
        p.ipv4_options |= kIpoptAny;
        break;
    }
    i += len;
  }
  return kNoEvent;
}

DecodeStatus Decoder::Impl::ipv4(Packet& p, Bytes data, bool reassembled) {
  if (!reassembled) counters.inc(c.ipv4);
  if (data.size() < 20) return malformed(p, DecodeEvent::kIpv4PktTooSmall);
  const std::uint8_t* h = data.data();
  if ((h[0] >> 4) != 4) return malformed(p, DecodeEvent::kIpv4WrongIpVersion);
  const std::size_t hlen = std::size_t{h[0] & 0x0fu} * 4;
  if (hlen < 20) return malformed(p, DecodeEvent::kIpv4HlenTooSmall);
  if (data.size() < hlen) return malformed(p, DecodeEvent::kIpv4TruncPkt);
  const std::uint16_t total = load_be16(h + 2);
  if (total < hlen) return malformed(p, DecodeEvent::kIpv4IplenSmallerThanHlen);

  const std::uint16_t flags_offset = load_be16(h + 6);
  p.ip_version = 4;
  p.tos = h[1];
  p.ip_total_len = total;
  p.ip_id = load_be16(h + 4);
  p.ttl = h[8];
  p.proto = h[9];
  p.src = IpAddress::v4_from_wire(h + 12);
  p.dst = IpAddress::v4_from_wire(h + 16);
  if (!reassembled) {
    // The fragment fields describe the captured fragment, also after reassembly.
    p.frag_rb = (flags_offset & 0x8000) != 0;
    p.frag_df = (flags_offset & 0x4000) != 0;
    p.frag_mf = (flags_offset & 0x2000) != 0;
    p.frag_offset = flags_offset & 0x1fff;
  }

  bool short_data = false;
  std::size_t avail = total;
  if (total > data.size()) {
    // Shorter than the header claims: a snaplen cut is legitimate, anything else is not.
    if (!snapped || reassembled) return malformed(p, DecodeEvent::kIpv4TruncPkt);
    counters.inc(c.ipv4_truncated);
    short_data = true;
    avail = data.size();
  }
  p.l3 = data.first(avail);
  p.ip_hdr_len = static_cast<std::uint16_t>(hlen);

  if (config.validate_checksums) {
    p.checksum_checked = true;
    if (!ipv4_header_checksum_ok(data.first(hlen))) {
      p.checksum_bad = true;
      counters.inc(c.ipv4_invalid_checksum);
    }
  }
  p.ipv4_options = 0;
  if (hlen > 20) {
    if (const DecodeEvent bad = ipv4_options(p, data.subspan(20, hlen - 20)); bad != kNoEvent) {
      return malformed(p, bad);
    }
  }

  Bytes body = p.l3.subspan(hlen);
  if ((flags_offset & 0x3fff) == 0) return transport(p, body, total - hlen, short_data);

  p.payload = body;
  if (reassembled)
    return malformed(p, DecodeEvent::kIpv4TruncPkt);  // unreachable: rebuilt headers are whole
  // A fragment the capture cut short cannot be reassembled (decoder.ipv4.truncated counted);
  // one with a bad header checksum would be dropped by the receiving host (RFC 1122
  // section 3.2.1.2), so it is not used either (decoder.ipv4.invalid_checksum counted).
  if (short_data || p.checksum_bad) return DecodeStatus::kMalformed;
  const bool more = (flags_offset & 0x2000) != 0;
  const std::size_t offset = std::size_t{flags_offset & 0x1fffu} * 8;
  // Suricata has no event for this one (it checks the 8-byte rule for IPv6 only).
  if (more && body.size() % 8 != 0) return malformed(c.ipv4_frag_invalid_length);
  if (hlen + offset + body.size() > 65535) return malformed(p, DecodeEvent::kIpv4FragPktTooLarge);

  Fragment frag;
  frag.version = 4;
  frag.src = p.src;
  frag.dst = p.dst;
  frag.id = p.ip_id;
  frag.proto = p.proto;
  std::copy(std::begin(p.vlan), std::end(p.vlan), std::begin(frag.vlan));
  frag.offset = static_cast<std::uint32_t>(offset);
  frag.more = more;
  frag.header = data.first(hlen);
  frag.link = link_before(p, data);
  frag.data = body;
  return fragment(p, frag);
}

DecodeStatus Decoder::Impl::fragment(Packet& p, const Fragment& frag) {
  Bytes datagram;
  Bytes frame;
  const DefragStatus st = defrag.add(frag, now_us, datagram, frame);
  if (defrag.last_overlapped()) {
    event(p, frag.version == 4 ? DecodeEvent::kIpv4FragOverlap : DecodeEvent::kIpv6FragOverlap);
  }
  switch (st) {
    case DefragStatus::kHeld:
      return DecodeStatus::kHeld;
    case DefragStatus::kDropped:
      return DecodeStatus::kMalformed;
    case DefragStatus::kComplete:
      break;
  }
  // The fragment that completed the datagram is a packet of its own too (Decoder::
  // completed_fragment()); the datagram is decoded into `p` from the rebuilt frame.
  completed = p;
  has_completed = true;
  p.frame = frame;
  p.source = PacketSource::kDefrag;
  p.reassembled = true;
  p.payload = {};
  p.checksum_checked = false;
  p.checksum_bad = false;
  return frag.version == 4 ? ipv4(p, datagram, true) : ipv6(p, datagram, true);
}

DecodeStatus Decoder::Impl::ipv6(Packet& p, Bytes data, bool reassembled) {
  if (!reassembled) counters.inc(c.ipv6);
  if (data.size() < 40) return malformed(p, DecodeEvent::kIpv6PktTooSmall);
  const std::uint8_t* h = data.data();
  if ((h[0] >> 4) != 6) return malformed(p, DecodeEvent::kIpv6WrongIpVersion);
  const std::size_t claimed = 40 + std::size_t{load_be16(h + 4)};
  p.ip_version = 6;
  p.tos = static_cast<std::uint8_t>(((h[0] & 0x0f) << 4) | (h[1] >> 4));
  p.ttl = h[7];
  p.ip_total_len = static_cast<std::uint16_t>(std::min<std::size_t>(claimed, 0xffff));
  p.src = IpAddress::v6_from_wire(h + 8);
  p.dst = IpAddress::v6_from_wire(h + 24);

  bool short_data = false;
  std::size_t avail = claimed;
  if (claimed > data.size()) {
    if (!snapped || reassembled) return malformed(p, DecodeEvent::kIpv6TruncPkt);
    counters.inc(c.ipv6_truncated);
    short_data = true;
    avail = data.size();
  }
  p.l3 = data.first(avail);

  // RFC 8200 section 4: walk the extension header chain to the upper-layer header.
  std::uint8_t next = h[6];
  std::size_t next_index = 6;  // where the byte naming `next` sits
  std::size_t off = 40;
  bool seen_fragment = false;
  bool seen_hop_by_hop = false;
  bool seen_routing = false;
  // Does an extension header of `len` bytes at `off` fit? Past the payload length it is
  // malformed; inside the payload but past the captured bytes the capture was cut short.
  auto fits = [&](std::size_t len, DecodeStatus& bad) {
    if (off + len > claimed) {
      bad = malformed(p, DecodeEvent::kIpv6TruncExthdr);
      return false;
    }
    if (off + len > avail) {
      bad = DecodeStatus::kMalformed;  // decoder.ipv6.truncated already counted
      return false;
    }
    return true;
  };
  DecodeStatus bad = DecodeStatus::kMalformed;
  while (true) {
    p.proto = next;
    switch (next) {
      case kIp6HopByHop:
      case kIp6Routing:
      case kIp6DestOpts:
      case kIp6Mobility:
      case kIp6Hip:
      case kIp6Shim6: {
        if (next == kIp6HopByHop) {
          // Hop-by-hop options must come first (RFC 8200 section 4.3); a second one is
          // Suricata's exthdr_dupl_hh, one after another header has no Suricata event.
          if (seen_hop_by_hop) return malformed(p, DecodeEvent::kIpv6ExthdrDuplHh);
          if (off != 40) return malformed(c.ipv6_exthdr_invalid);
          seen_hop_by_hop = true;
        }
        if (!fits(2, bad)) return bad;
        const std::size_t len = (std::size_t{h[off + 1]} + 1) * 8;
        if (!fits(len, bad)) return bad;
        if (next == kIp6Routing) {
          if (seen_routing) event(p, DecodeEvent::kIpv6ExthdrDuplRh);
          seen_routing = true;
          // Type 0 is deprecated for its amplification attack (RFC 5095).
          if (len >= 8 && h[off + 2] == 0) event(p, DecodeEvent::kIpv6RhType0);
        }
        next = h[off];
        next_index = off;
        off += len;
        continue;
      }
      case kIp6Ah: {
        // RFC 4302 section 2.2: length in 4-byte units, minus 2.
        if (!fits(2, bad)) return bad;
        const std::size_t len = (std::size_t{h[off + 1]} + 2) * 4;
        if (!fits(len, bad)) return bad;
        next = h[off];
        next_index = off;
        off += len;
        continue;
      }
      case kIp6Fragment: {
        if (!fits(8, bad)) return bad;
        if (seen_fragment) return malformed(p, DecodeEvent::kIpv6ExthdrDuplFh);
        seen_fragment = true;
        const std::uint16_t field = load_be16(h + off + 2);
        const std::uint32_t offset = field & 0xfff8u;
        const bool more = (field & 1) != 0;
        const std::uint32_t id = load_be32(h + off + 4);
        const std::uint8_t frag_next = h[off];
        // RFC 8200 section 4.5: the reserved byte and the two reserved bits are zero.
        if (h[off + 1] != 0 || (field & 6) != 0) event(p, DecodeEvent::kIpv6FhNonZeroReservedField);
        if (offset == 0 && !more) {
          // An atomic fragment (RFC 6946): not part of any reassembly.
          event(p, DecodeEvent::kIpv6ExthdrUselessFh);
          next = frag_next;
          next_index = off;
          off += 8;
          continue;
        }
        // A fragment inside a reassembled datagram: a second fragment header in effect.
        if (reassembled) return malformed(p, DecodeEvent::kIpv6ExthdrDuplFh);
        p.ip_hdr_len = static_cast<std::uint16_t>(off + 8);
        p.frag_offset = static_cast<std::uint16_t>(offset >> 3);
        p.frag_mf = more;
        p.ip_id = static_cast<std::uint16_t>(id);
        p.proto = frag_next;
        Bytes body = p.l3.subspan(off + 8);
        p.payload = body;
        if (short_data) return DecodeStatus::kMalformed;  // decoder.ipv6.truncated counted
        // RFC 8200 section 4.5: non-final fragments are multiples of 8 bytes, and the
        // reassembled payload must fit in 65535 bytes.
        if (more && body.size() % 8 != 0) return malformed(p, DecodeEvent::kIpv6FragInvalidLength);
        if ((off - 40) + offset + body.size() > 65535) {
          return malformed(p, DecodeEvent::kIpv6FragPktTooLarge);
        }
        Fragment frag;
        frag.version = 6;
        frag.src = p.src;
        frag.dst = p.dst;
        frag.id = id;
        frag.proto = frag_next;
        std::copy(std::begin(p.vlan), std::end(p.vlan), std::begin(frag.vlan));
        frag.offset = offset;
        frag.more = more;
        frag.header = data.first(off);
        frag.link = link_before(p, data);
        frag.next_header_index = next_index;
        frag.data = body;
        return fragment(p, frag);
      }
      case kIp6Esp:
        p.ip_hdr_len = static_cast<std::uint16_t>(off);
        p.payload = p.l3.subspan(off);
        return DecodeStatus::kOk;
      case kIp6NoNext:
        p.ip_hdr_len = static_cast<std::uint16_t>(off);
        if (off < claimed) event(p, DecodeEvent::kIpv6DataAfterNoneHeader);
        return DecodeStatus::kOk;
      default:
        p.ip_hdr_len = static_cast<std::uint16_t>(off);
        return transport(p, p.l3.subspan(off), claimed - off, short_data);
    }
  }
}

DecodeStatus Decoder::Impl::transport(Packet& p, Bytes seg, std::size_t claimed, bool short_data) {
  p.l4 = seg;
  switch (p.proto) {
    case kProtoTcp:
      return tcp(p, seg, claimed, short_data);
    case kProtoUdp:
      return udp(p, seg, claimed, short_data);
    case kProtoIcmp:
      if (p.ip_version == 6) event(p, DecodeEvent::kIpv6Icmpv4);
      return icmp(p, seg, false, short_data);
    case kProtoIcmpv6:
      if (p.ip_version == 4) event(p, DecodeEvent::kIpv4Icmpv6);
      return icmp(p, seg, true, short_data);
    case kProtoIpip:
      p.payload = seg;
      return ip_in_ip(p, seg, 4);
    case kProtoIpv6InIp:
      p.payload = seg;
      return ip_in_ip(p, seg, 6);
    case kProtoGre:
      return gre(p, seg);
    default:
      p.payload = seg;
      return DecodeStatus::kOk;
  }
}

DecodeStatus Decoder::Impl::ip_in_ip(Packet& p, Bytes seg, int version) {
  counters.inc(version == 4 ? c.ipip : c.ipv6_in_ip);
  if (p.ip_version == 6) {
    // Suricata's checks of IPv4-in-IPv6 and IPv6-in-IPv6 before the inner decode.
    if (version == 4 && seg.size() < 20) return malformed(p, DecodeEvent::kIpv6Ipv4InIpv6TooSmall);
    if (version == 4 && (seg[0] >> 4) != 4)
      return malformed(p, DecodeEvent::kIpv6Ipv4InIpv6WrongVersion);
    if (version == 6 && seg.size() < 40) return malformed(p, DecodeEvent::kIpv6Ipv6InIpv6TooSmall);
    if (version == 6 && (seg[0] >> 4) != 6)
      return malformed(p, DecodeEvent::kIpv6Ipv6InIpv6WrongVersion);
  }
  const PacketSource source =
      p.ip_version == 4 ? PacketSource::kDecoderIpv4 : PacketSource::kDecoderIpv6;
  return tunnel(p, source, version == 4 ? Inner::kIpv4 : Inner::kIpv6, seg);
}

DecodeStatus Decoder::Impl::gre(Packet& p, Bytes seg) {
  counters.inc(c.gre);
  if (seg.size() < 4) return malformed(p, DecodeEvent::kGrePktTooSmall);
  const std::uint8_t f0 = seg[0];
  const std::uint8_t f1 = seg[1];
  const std::uint16_t type = load_be16(seg.data() + 2);
  const bool checksum = (f0 & 0x80) != 0;
  const bool routing = (f0 & 0x40) != 0;
  const bool key = (f0 & 0x20) != 0;
  const bool sequence = (f0 & 0x10) != 0;
  const bool strict_route = (f0 & 0x08) != 0;
  const bool recursion = (f0 & 0x07) != 0;
  const bool flags = (f1 & 0x78) != 0;
  std::size_t hlen = 4;
  switch (f1 & 0x07) {
    case 0:
      // RFC 1701 (routing, recursion), RFC 2784 (checksum), RFC 2890 (key, sequence).
      if (recursion) return malformed(p, DecodeEvent::kGreVersion0Recur);
      if (flags) return malformed(p, DecodeEvent::kGreVersion0Flags);
      if (checksum || routing) hlen += 4;
      if (key) hlen += 4;
      if (sequence) hlen += 4;
      if (seg.size() < hlen) return malformed(p, DecodeEvent::kGreVersion0HdrTooBig);
      if (routing) {
        // RFC 1701 section 2.2: source route entries (family, offset, length, data) up to
        // a NULL entry.
        while (true) {
          if (seg.size() - hlen < 4) return malformed(p, DecodeEvent::kGreVersion0MalformedSreHdr);
          const std::uint16_t family = load_be16(seg.data() + hlen);
          const std::uint8_t length = seg[hlen + 3];
          hlen += 4;
          if (family == 0 && length == 0) break;
          if (seg.size() - hlen < length)
            return malformed(p, DecodeEvent::kGreVersion0MalformedSreHdr);
          hlen += length;
        }
      }
      break;
    case 1:
      // PPTP's enhanced GRE (RFC 2637 section 4.1): key (payload length, call id) always,
      // sequence and acknowledgment optional, PPP inside.
      if (checksum) return malformed(p, DecodeEvent::kGreVersion1Chksum);
      if (routing) return malformed(p, DecodeEvent::kGreVersion1Route);
      if (strict_route) return malformed(p, DecodeEvent::kGreVersion1Ssr);
      if (recursion) return malformed(p, DecodeEvent::kGreVersion1Recur);
      if (flags) return malformed(p, DecodeEvent::kGreVersion1Flags);
      if (type != kGrePpp) return malformed(p, DecodeEvent::kGreVersion1WrongProtocol);
      if (!key) return malformed(p, DecodeEvent::kGreVersion1NoKey);
      hlen = 8;
      if (sequence) hlen += 4;
      if ((f1 & 0x80) != 0) hlen += 4;  // acknowledgment number
      if (seg.size() < hlen) return malformed(p, DecodeEvent::kGreVersion1HdrTooBig);
      break;
    default:
      return malformed(p, DecodeEvent::kGreWrongVersion);
  }
  Bytes inner = seg.subspan(hlen);
  p.payload = inner;
  constexpr PacketSource kGre = PacketSource::kDecoderGre;
  if (inner.empty()) return DecodeStatus::kOk;  // e.g. a PPTP acknowledgment alone
  switch (type) {
    case kEtherIpv4:
      return tunnel(p, kGre, Inner::kIpv4, inner);
    case kEtherIpv6:
      return tunnel(p, kGre, Inner::kIpv6, inner);
    case kGrePpp:
      return tunnel(p, kGre, Inner::kPpp, inner);
    case kGreTeb:
      return tunnel(p, kGre, Inner::kEthernet, inner);
    case kGreErspan2:
      // Type I has no ERSPAN header and no sequence number; type II has both.
      return tunnel(p, kGre, sequence ? Inner::kErspan2 : Inner::kEthernet, inner);
    case kGreErspan3:
      return tunnel(p, kGre, Inner::kErspan3, inner);
    case kEtherVlan:
    case kEtherQinq:
    case kEtherQinqOld:
    case kEtherMplsUnicast:
    case kEtherMplsMulticast:
      return tunnel(p, kGre, Inner::kEthertype, inner, type);
    default:
      return DecodeStatus::kOk;  // the GRE packet is the packet
  }
}

DecodeStatus Decoder::Impl::udp_tunnel(Packet& p) {
  const Bytes d = p.payload;
  if (p.dport == kPortVxlan && d.size() >= 8 + 14 && (d[0] & 0x08) != 0 && d[7] == 0) {
    // RFC 7348 section 5: the I flag set, then an Ethernet frame.
    counters.inc(c.vxlan);
    switch (load_be16(d.data() + 8 + 12)) {
      case kEtherIpv4:
      case kEtherIpv6:
      case kEtherVlan:
      case kEtherQinq:
      case kEtherQinqOld:
      case kEtherMplsUnicast:
      case kEtherMplsMulticast:
        return tunnel(p, PacketSource::kDecoderVxlan, Inner::kEthernet, d.subspan(8));
      case kEtherArp:
        return DecodeStatus::kOk;
      default:
        event(p, DecodeEvent::kVxlanUnknownPayloadType);
        return DecodeStatus::kOk;
    }
  }
  if (p.dport == kPortGeneve && d.size() >= 8 && (d[0] >> 6) == 0) {
    // RFC 8926 section 3.4: version 0, options length in 4-byte units, protocol type.
    const std::size_t hlen = 8 + std::size_t{d[0] & 0x3fu} * 4;
    if (d.size() < hlen) return DecodeStatus::kOk;
    counters.inc(c.geneve);
    switch (load_be16(d.data() + 2)) {
      case kGreTeb:
        return tunnel(p, PacketSource::kDecoderGeneve, Inner::kEthernet, d.subspan(hlen));
      case kEtherIpv4:
        return tunnel(p, PacketSource::kDecoderGeneve, Inner::kIpv4, d.subspan(hlen));
      case kEtherIpv6:
        return tunnel(p, PacketSource::kDecoderGeneve, Inner::kIpv6, d.subspan(hlen));
      default:
        event(p, DecodeEvent::kGeneveUnknownPayloadType);
        return DecodeStatus::kOk;
    }
  }
  if (p.sport == kPortTeredo || p.dport == kPortTeredo) {
    // RFC 4380 section 5.1.1: an origin indication may precede the IPv6 packet; packets with
    // an authentication indicator are not decoded (as Suricata). Only a payload that is
    // exactly one plausible IPv6 packet is taken as Teredo.
    std::size_t off = 0;
    if (d.size() >= 2 && d[0] == 0) {
      if (d[1] != 0) return DecodeStatus::kOk;
      off = 8;
    }
    if (d.size() < off + 40) return DecodeStatus::kOk;
    const std::uint8_t* h = d.data() + off;
    const std::size_t plen = load_be16(h + 4);
    if ((h[0] >> 4) != 6 || (h[6] == kIp6HopByHop && plen < 8)) return DecodeStatus::kOk;
    if (d.size() - off != 40 + plen) return DecodeStatus::kOk;
    counters.inc(c.teredo);
    return tunnel(p, PacketSource::kDecoderTeredo, Inner::kIpv6, d.subspan(off));
  }
  return DecodeStatus::kOk;
}

DecodeStatus Decoder::Impl::tunnel(Packet& p, PacketSource source, Inner inner, Bytes data,
                                   std::uint16_t type) {
  if (p.tunnel_depth >= kMaxTunnelDepth) return malformed(p, DecodeEvent::kTooManyLayers);
  counters.inc(c.tunnels);
  // Kept to fall back on when the payload is not IP after all (ARP bridged over GRE, an
  // ERSPAN capture of something else): then the outer packet is the packet, as in Suricata.
  const Packet outer = p;
  if (p.tunnel_depth == 0) {
    p.tunnel_proto = p.proto;
    p.tunnel_src = p.src;
    p.tunnel_dst = p.dst;
    p.tunnel_sport = p.sport;
    p.tunnel_dport = p.dport;
  }
  ++p.tunnel_depth;
  start_inner_packet(p);
  p.source = source;  // the innermost decapsulation names the packet's source
  DecodeStatus st = DecodeStatus::kOk;
  switch (inner) {
    case Inner::kIpv4:
      st = ipv4(p, data, false);
      break;
    case Inner::kIpv6:
      st = ipv6(p, data, false);
      break;
    case Inner::kEthernet:
      st = ethernet(p, data);
      break;
    case Inner::kPpp:
      st = ppp(p, data);
      break;
    case Inner::kErspan2:
      st = erspan(p, data, false);
      break;
    case Inner::kErspan3:
      st = erspan(p, data, true);
      break;
    case Inner::kEthertype:
      st = ethertype(p, type, data);
      break;
  }
  if (st != DecodeStatus::kUnsupported) return st;
  const std::uint64_t events[2] = {p.events[0], p.events[1]};
  p = outer;
  p.events[0] |= events[0];
  p.events[1] |= events[1];
  return DecodeStatus::kOk;
}

DecodeEvent Decoder::Impl::tcp_options(Packet& p, Bytes opts) {
  // RFC 9293 section 3.1: EOL and NOP are one byte; every other option is kind, length, data.
  // A length byte that does not fit is Suricata's tcp.invalid_optlen, a wrong length for
  // the kind its tcp.opt_invalid_len; an option given twice is recorded and parsing goes on.
  std::size_t i = 0;
  while (i < opts.size()) {
    const std::uint8_t kind = opts[i];
    if (kind == 0) return kNoEvent;
    if (kind == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= opts.size()) return DecodeEvent::kTcpInvalidOptlen;
    const std::uint8_t len = opts[i + 1];
    if (len < 2 || i + len > opts.size()) return DecodeEvent::kTcpInvalidOptlen;
    const std::uint8_t* o = opts.data() + i;
    constexpr DecodeEvent kBad = DecodeEvent::kTcpOptInvalidLen;
    auto once = [&](bool seen) {
      if (seen) event(p, DecodeEvent::kTcpOptDuplicate);
    };
    switch (kind) {
      case 2:  // MSS
        if (len != 4) return kBad;
        once(p.tcp_has_mss);
        p.tcp_mss = load_be16(o + 2);
        p.tcp_has_mss = true;
        break;
      case 3:  // window scale (RFC 7323 section 2.2)
        if (len != 3) return kBad;
        once(p.tcp_has_wscale);
        p.tcp_wscale = o[2];
        p.tcp_has_wscale = true;
        break;
      case 4:  // SACK permitted (RFC 2018)
        if (len != 2) return kBad;
        once(p.tcp_has_sack_permitted);
        p.tcp_has_sack_permitted = true;
        break;
      case 5:  // SACK blocks
        if (len < 10 || (len - 2) % 8 != 0) return kBad;
        break;
      case 8:  // timestamps (RFC 7323 section 3.2)
        if (len != 10) return kBad;
        once(p.tcp_has_timestamp);
        p.tcp_has_timestamp = true;
        p.tcp_tsval = load_be32(o + 2);
        p.tcp_tsecr = load_be32(o + 6);
        break;
      default:
        break;
    }
    i += len;
  }
  return kNoEvent;
}

DecodeStatus Decoder::Impl::tcp(Packet& p, Bytes seg, std::size_t claimed, bool short_data) {
  counters.inc(c.tcp);
  if (claimed < 20 || seg.size() < 20) return malformed(p, DecodeEvent::kTcpPktTooSmall);
  const std::uint8_t* h = seg.data();
  const std::size_t hlen = std::size_t{h[12]} / 16 * 4;
  if (hlen < 20 || hlen > claimed) return malformed(p, DecodeEvent::kTcpHlenTooSmall);
  // Options cut by the capture.
  if (hlen > seg.size()) return malformed(p, DecodeEvent::kTcpPktTooSmall);
  p.sport = load_be16(h);
  p.dport = load_be16(h + 2);
  p.tcp_seq = load_be32(h + 4);
  p.tcp_ack = load_be32(h + 8);
  p.tcp_flags = h[13];
  p.tcp_window = load_be16(h + 14);
  p.payload = seg.subspan(hlen);
  p.l4_hdr_len = static_cast<std::uint16_t>(hlen);
  // A bad option is an anomaly, but receivers (Linux among them) ignore it and deliver the
  // data, so the packet is still inspected: dropping it would be an evasion.
  if (const DecodeEvent bad = tcp_options(p, seg.subspan(20, hlen - 20)); bad != kNoEvent) {
    event(p, bad);
    counters.inc(c.invalid);
  }
  check_transport(p, seg, short_data, c.tcp_truncated, c.tcp_invalid_checksum);
  return DecodeStatus::kOk;
}

DecodeStatus Decoder::Impl::udp(Packet& p, Bytes seg, std::size_t claimed, bool short_data) {
  counters.inc(c.udp);
  if (claimed < 8 || seg.size() < 8) return malformed(p, DecodeEvent::kUdpHlenTooSmall);
  const std::uint8_t* h = seg.data();
  const std::uint16_t len = load_be16(h + 4);
  if (len > claimed) return malformed(p, DecodeEvent::kUdpPktTooSmall);
  if (len < 8 || len != claimed) return malformed(p, DecodeEvent::kUdpHlenInvalid);
  p.sport = load_be16(h);
  p.dport = load_be16(h + 2);
  p.payload = seg.subspan(8);
  p.l4_hdr_len = 8;
  // RFC 768: a zero checksum over IPv4 means "none"; RFC 8200 section 8.1 makes it mandatory
  // over IPv6, so a zero there is a bad checksum.
  if (load_be16(h + 6) == 0 && p.ip_version == 4) return udp_tunnel(p);
  if (load_be16(h + 6) == 0 && config.validate_checksums && !short_data) {
    p.checksum_checked = true;
    p.checksum_bad = true;
    counters.inc(c.udp_invalid_checksum);
    return udp_tunnel(p);
  }
  check_transport(p, seg, short_data, c.udp_truncated, c.udp_invalid_checksum);
  return udp_tunnel(p);
}

DecodeStatus Decoder::Impl::icmp(Packet& p, Bytes seg, bool v6, bool short_data) {
  counters.inc(v6 ? c.icmpv6 : c.icmpv4);
  if (seg.size() < 8) {
    return malformed(p, v6 ? DecodeEvent::kIcmpv6PktTooSmall : DecodeEvent::kIcmpv4PktTooSmall);
  }
  const std::uint8_t* h = seg.data();
  p.icmp_type = h[0];
  p.icmp_code = h[1];
  // Echo request/reply carry an identifier and sequence number (RFC 792, RFC 4443 4.1-4.2).
  const bool echo = v6 ? (h[0] == 128 || h[0] == 129) : (h[0] == 0 || h[0] == 8);
  if (echo) {
    p.icmp_id = load_be16(h + 4);
    p.icmp_seq = load_be16(h + 6);
    p.icmp_has_id_seq = true;
  }
  if (v6 && h[0] == 2) {  // Packet Too Big (RFC 4443 section 3.2)
    p.icmpv6_mtu = load_be32(h + 4);
    p.icmpv6_has_mtu = true;
  }
  p.payload = seg.subspan(8);
  p.l4_hdr_len = v6 ? 8 : icmpv4_header_length(h[0], seg.size());
  if (v6) {
    check_transport(p, seg, short_data, c.icmpv6_truncated, c.icmpv6_invalid_checksum);
    return DecodeStatus::kOk;
  }
  // ICMPv4 has no pseudo header (RFC 792).
  if (short_data) {
    counters.inc(c.icmpv4_truncated);
  } else if (config.validate_checksums) {
    p.checksum_checked = true;
    if (checksum_finish(checksum_add(0, seg)) != 0) {
      p.checksum_bad = true;
      counters.inc(c.icmpv4_invalid_checksum);
    }
  }
  return DecodeStatus::kOk;
}

bool is_decoded_linktype(int linktype) {
  switch (linktype) {
    case static_cast<int>(LinkType::kNull):
    case static_cast<int>(LinkType::kEthernet):
    case static_cast<int>(LinkType::kPpp):
    case static_cast<int>(LinkType::kRaw):
    case kDltRawAlt:
    case static_cast<int>(LinkType::kLoop):
    case static_cast<int>(LinkType::kLinuxSll):
    case static_cast<int>(LinkType::kIpv4):
    case static_cast<int>(LinkType::kIpv6):
    case static_cast<int>(LinkType::kLinuxSll2):
      return true;
    default:
      return false;
  }
}

Decoder::Decoder(const DecoderConfig& config, Counters& counters)
    : impl_(std::make_unique<Impl>(config, counters)) {}

Decoder::~Decoder() = default;

DecodeStatus Decoder::decode(const capture::RawPacket& raw, Packet& pkt) {
  return impl_->decode(raw, pkt);
}

const Packet* Decoder::completed_fragment() const {
  return impl_->has_completed ? &impl_->completed : nullptr;
}

void Decoder::set_validate_checksums(bool on) { impl_->config.validate_checksums = on; }

bool Decoder::validate_checksums() const { return impl_->config.validate_checksums; }

}  // namespace wp::decode
