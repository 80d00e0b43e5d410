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

}  // namespace

struct Decoder::Impl {
  Impl(const DecoderConfig& cfg, Counters& ctrs) : config(cfg), counters(ctrs), defrag(cfg, ctrs) {
    auto add = [&](const char* name) { return counters.add(name); };
    // The anomalies listed in README.md: each marks a malformed packet (kMalformed).
    auto anomaly = [&](const char* name) { return counters.add(name, CounterKind::kAnomaly); };
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
    c.unsupported_linktype = add("decoder.unsupported_linktype");
    c.unsupported_ethertype = add("decoder.unsupported_ethertype");
    c.null_unsupported_family = add("decoder.null.unsupported_family");

    c.ethernet_pkt_too_small = anomaly("decoder.ethernet.pkt_too_small");
    c.sll_pkt_too_small = anomaly("decoder.sll.pkt_too_small");
    c.sll2_pkt_too_small = anomaly("decoder.sll2.pkt_too_small");
    c.null_pkt_too_small = anomaly("decoder.null.pkt_too_small");
    c.ipraw_invalid_ip_version = anomaly("decoder.ipraw.invalid_ip_version");
    c.vlan_pkt_too_small = anomaly("decoder.vlan.pkt_too_small");
    c.vlan_too_many_layers = anomaly("decoder.vlan.too_many_layers");

    c.ipv4_pkt_too_small = anomaly("decoder.ipv4.pkt_too_small");
    c.ipv4_wrong_ip_version = anomaly("decoder.ipv4.wrong_ip_version");
    c.ipv4_hlen_too_small = anomaly("decoder.ipv4.hlen_too_small");
    c.ipv4_iplen_smaller_than_hlen = anomaly("decoder.ipv4.iplen_smaller_than_hlen");
    c.ipv4_trunc_pkt = anomaly("decoder.ipv4.trunc_pkt");
    c.ipv4_opt_invalid = anomaly("decoder.ipv4.opt_invalid");
    c.ipv4_frag_invalid_length = anomaly("decoder.ipv4.frag_invalid_length");
    c.ipv4_frag_pkt_too_large = anomaly("decoder.ipv4.frag_pkt_too_large");
    c.ipv4_truncated = add("decoder.ipv4.truncated");
    c.ipv4_invalid_checksum = add("decoder.ipv4.invalid_checksum");

    c.ipv6_pkt_too_small = anomaly("decoder.ipv6.pkt_too_small");
    c.ipv6_wrong_ip_version = anomaly("decoder.ipv6.wrong_ip_version");
    c.ipv6_trunc_pkt = anomaly("decoder.ipv6.trunc_pkt");
    c.ipv6_exthdr_invalid = anomaly("decoder.ipv6.exthdr_invalid");
    c.ipv6_frag_invalid_length = anomaly("decoder.ipv6.frag_invalid_length");
    c.ipv6_frag_pkt_too_large = anomaly("decoder.ipv6.frag_pkt_too_large");
    c.ipv6_truncated = add("decoder.ipv6.truncated");

    c.tcp_pkt_too_small = anomaly("decoder.tcp.pkt_too_small");
    c.tcp_hlen_too_small = anomaly("decoder.tcp.hlen_too_small");
    c.tcp_opt_invalid = anomaly("decoder.tcp.opt_invalid");
    c.tcp_truncated = add("decoder.tcp.truncated");
    c.tcp_invalid_checksum = add("decoder.tcp.invalid_checksum");
    c.udp_pkt_too_small = anomaly("decoder.udp.pkt_too_small");
    c.udp_hlen_invalid = anomaly("decoder.udp.hlen_invalid");
    c.udp_truncated = add("decoder.udp.truncated");
    c.udp_invalid_checksum = add("decoder.udp.invalid_checksum");
    c.icmpv4_pkt_too_small = anomaly("decoder.icmpv4.pkt_too_small");
    c.icmpv4_truncated = add("decoder.icmpv4.truncated");
    c.icmpv4_invalid_checksum = add("decoder.icmpv4.invalid_checksum");
    c.icmpv6_pkt_too_small = anomaly("decoder.icmpv6.pkt_too_small");
    c.icmpv6_truncated = add("decoder.icmpv6.truncated");
    c.icmpv6_invalid_checksum = add("decoder.icmpv6.invalid_checksum");
  }

  DecodeStatus decode(const capture::RawPacket& raw, Packet& p);
  DecodeStatus link(Packet& p, Bytes frame);
  DecodeStatus ethertype(Packet& p, std::uint16_t type, Bytes data);
  DecodeStatus family(Packet& p, Bytes frame, bool network_order);
  DecodeStatus ipv4(Packet& p, Bytes data, bool reassembled);
  DecodeStatus ipv6(Packet& p, Bytes data, bool reassembled);
  DecodeStatus fragment(Packet& p, const Fragment& frag);
  DecodeStatus transport(Packet& p, Bytes seg, std::size_t claimed, bool short_data);
  DecodeStatus tcp(Packet& p, Bytes seg, std::size_t claimed, bool short_data);
  DecodeStatus udp(Packet& p, Bytes seg, std::size_t claimed, bool short_data);
  DecodeStatus icmp(Packet& p, Bytes seg, bool v6, bool short_data);
  static bool ipv4_options(Packet& p, Bytes opts);
  static bool tcp_options(Packet& p, Bytes opts);

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

  DecoderConfig config;
  Counters& counters;
  Defragmenter defrag;
  bool snapped = false;  // this frame is shorter than it was on the wire (snaplen)
  std::int64_t now_us = 0;

  struct {
    CounterId pkts, bytes, invalid, ethernet, sll, sll2, raw, null, vlan, vlan_qinq, ipv4, ipv6;
    CounterId tcp, udp, icmpv4, icmpv6, unsupported_linktype, unsupported_ethertype;
    CounterId null_unsupported_family;
    CounterId ethernet_pkt_too_small, sll_pkt_too_small, sll2_pkt_too_small, null_pkt_too_small;
    CounterId ipraw_invalid_ip_version, vlan_pkt_too_small, vlan_too_many_layers;
    CounterId ipv4_pkt_too_small, ipv4_wrong_ip_version, ipv4_hlen_too_small;
    CounterId ipv4_iplen_smaller_than_hlen, ipv4_trunc_pkt, ipv4_opt_invalid;
    CounterId ipv4_frag_invalid_length, ipv4_frag_pkt_too_large, ipv4_truncated;
    CounterId ipv4_invalid_checksum;
    CounterId ipv6_pkt_too_small, ipv6_wrong_ip_version, ipv6_trunc_pkt, ipv6_exthdr_invalid;
    CounterId ipv6_frag_invalid_length, ipv6_frag_pkt_too_large, ipv6_truncated;
    CounterId tcp_pkt_too_small, tcp_hlen_too_small, tcp_opt_invalid, tcp_truncated;
    CounterId tcp_invalid_checksum;
    CounterId udp_pkt_too_small, udp_hlen_invalid, udp_truncated, udp_invalid_checksum;
    CounterId icmpv4_pkt_too_small, icmpv4_truncated, icmpv4_invalid_checksum;
    CounterId icmpv6_pkt_too_small, icmpv6_truncated, icmpv6_invalid_checksum;
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
  now_us = raw.ts.micros();
  defrag.expire(now_us);

  DecodeStatus status = link(p, p.frame);
  if (status == DecodeStatus::kMalformed) counters.inc(c.invalid);
  return status;
}

DecodeStatus Decoder::Impl::link(Packet& p, Bytes frame) {
  switch (p.linktype) {
    case static_cast<int>(LinkType::kEthernet):
      counters.inc(c.ethernet);
      if (frame.size() < 14) return malformed(c.ethernet_pkt_too_small);
      return ethertype(p, load_be16(frame.data() + 12), frame.subspan(14));
    case static_cast<int>(LinkType::kLinuxSll):
      // cooked v1: packet type, ARPHRD, address length, 8 address bytes, protocol.
      counters.inc(c.sll);
      if (frame.size() < 16) return malformed(c.sll_pkt_too_small);
      return ethertype(p, load_be16(frame.data() + 14), frame.subspan(16));
    case static_cast<int>(LinkType::kLinuxSll2):
      // cooked v2: protocol, reserved, ifindex, ARPHRD, packet type, address length, address.
      counters.inc(c.sll2);
      if (frame.size() < 20) return malformed(c.sll2_pkt_too_small);
      return ethertype(p, load_be16(frame.data()), frame.subspan(20));
    case static_cast<int>(LinkType::kRaw):
    case kDltRawAlt:
      counters.inc(c.raw);
      if (frame.empty()) return malformed(c.ipraw_invalid_ip_version);
      switch (frame[0] >> 4) {
        case 4:
          return ipv4(p, frame, false);
        case 6:
          return ipv6(p, frame, false);
        default:
          return malformed(c.ipraw_invalid_ip_version);
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
    default:
      return unsupported(c.unsupported_linktype);
  }
}

DecodeStatus Decoder::Impl::family(Packet& p, Bytes frame, bool network_order) {
  counters.inc(c.null);
  if (frame.size() < 4) return malformed(c.null_pkt_too_small);
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
      return unsupported(c.null_unsupported_family);
  }
}

DecodeStatus Decoder::Impl::ethertype(Packet& p, std::uint16_t type, Bytes data) {
  while (type == kEtherVlan || type == kEtherQinq || type == kEtherQinqOld) {
    counters.inc(c.vlan);
    if (data.size() < 4) return malformed(c.vlan_pkt_too_small);
    if (p.vlan_count == 2) return malformed(c.vlan_too_many_layers);
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
    default:
      return unsupported(c.unsupported_ethertype);
  }
}

bool Decoder::Impl::ipv4_options(Packet& p, Bytes opts) {
  // RFC 791 section 3.1: single-byte EOL/NOP, else type, length (covering type and length),
  // data. Route and timestamp options carry a pointer that must lie inside the option.
  std::size_t i = 0;
  while (i < opts.size()) {
    const std::uint8_t type = opts[i];
    if (type == 0) {
      p.ipv4_options |= kIpoptEol;
      return true;
    }
    if (type == 1) {
      p.ipv4_options |= kIpoptNop;
      ++i;
      continue;
    }
    if (i + 1 >= opts.size()) return false;
    const std::uint8_t len = opts[i + 1];
    if (len < 2 || i + len > opts.size()) return false;
    const std::uint8_t ptr = len >= 3 ? opts[i + 2] : 0;
    switch (type) {
      case 7:
      case 131:
      case 137:
        if (len < 3 || ptr < 4 || ptr > len + 1) return false;
        p.ipv4_options |= type == 7 ? kIpoptRr : type == 131 ? kIpoptLsrr : kIpoptSsrr;
        break;
      case 68:
        if (len < 4 || ptr < 5 || ptr > len + 1) return false;
        p.ipv4_options |= kIpoptTs;
        break;
      case 130:
        if (len < 3) return false;
        p.ipv4_options |= kIpoptSec;
        break;
      case 133:
        if (len < 3) return false;
        p.ipv4_options |= kIpoptEsec;
        break;
      case 136:
        if (len != 4) return false;
        p.ipv4_options |= kIpoptSatid;
        break;
      default:
        p.ipv4_options |= kIpoptAny;
        break;
    }
    i += len;
  }
  return true;
}

DecodeStatus Decoder::Impl::ipv4(Packet& p, Bytes data, bool reassembled) {
  if (!reassembled) counters.inc(c.ipv4);
  if (data.size() < 20) return malformed(c.ipv4_pkt_too_small);
  const std::uint8_t* h = data.data();
  if ((h[0] >> 4) != 4) return malformed(c.ipv4_wrong_ip_version);
  const std::size_t hlen = std::size_t{h[0] & 0x0fu} * 4;
  if (hlen < 20) return malformed(c.ipv4_hlen_too_small);
  if (data.size() < hlen) return malformed(c.ipv4_trunc_pkt);
  const std::uint16_t total = load_be16(h + 2);
  if (total < hlen) return malformed(c.ipv4_iplen_smaller_than_hlen);

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
    if (!snapped || reassembled) return malformed(c.ipv4_trunc_pkt);
    counters.inc(c.ipv4_truncated);
    short_data = true;
    avail = data.size();
  }
  p.l3 = data.first(avail);

  if (config.validate_checksums) {
    p.checksum_checked = true;
    if (!ipv4_header_checksum_ok(data.first(hlen))) {
      p.checksum_bad = true;
      counters.inc(c.ipv4_invalid_checksum);
    }
  }
  p.ipv4_options = 0;
  if (hlen > 20 && !ipv4_options(p, data.subspan(20, hlen - 20))) {
    return malformed(c.ipv4_opt_invalid);
  }

  Bytes body = p.l3.subspan(hlen);
  if ((flags_offset & 0x3fff) == 0) return transport(p, body, total - hlen, short_data);

  p.payload = body;
  if (reassembled) return malformed(c.ipv4_trunc_pkt);  // unreachable: rebuilt headers are whole
  // A fragment the capture cut short cannot be reassembled (decoder.ipv4.truncated counted);
  // one with a bad header checksum would be dropped by the receiving host (RFC 1122
  // section 3.2.1.2), so it is not used either (decoder.ipv4.invalid_checksum counted).
  if (short_data || p.checksum_bad) return DecodeStatus::kMalformed;
  const bool more = (flags_offset & 0x2000) != 0;
  const std::size_t offset = std::size_t{flags_offset & 0x1fffu} * 8;
  if (more && body.size() % 8 != 0) return malformed(c.ipv4_frag_invalid_length);
  if (hlen + offset + body.size() > 65535) return malformed(c.ipv4_frag_pkt_too_large);

  Fragment frag;
  frag.version = 4;
  frag.src = p.src;
  frag.dst = p.dst;
  frag.id = p.ip_id;
  frag.proto = p.proto;
  frag.vlan[0] = p.vlan[0];
  frag.vlan[1] = p.vlan[1];
  frag.offset = static_cast<std::uint32_t>(offset);
  frag.more = more;
  frag.header = data.first(hlen);
  frag.data = body;
  return fragment(p, frag);
}

DecodeStatus Decoder::Impl::fragment(Packet& p, const Fragment& frag) {
  Bytes datagram;
  switch (defrag.add(frag, now_us, datagram)) {
    case DefragStatus::kHeld:
      return DecodeStatus::kHeld;
    case DefragStatus::kDropped:
      return DecodeStatus::kMalformed;
    case DefragStatus::kComplete:
      break;
  }
  p.reassembled = true;
  p.payload = {};
  p.checksum_checked = false;
  p.checksum_bad = false;
  return frag.version == 4 ? ipv4(p, datagram, true) : ipv6(p, datagram, true);
}

DecodeStatus Decoder::Impl::ipv6(Packet& p, Bytes data, bool reassembled) {
  if (!reassembled) counters.inc(c.ipv6);
  if (data.size() < 40) return malformed(c.ipv6_pkt_too_small);
  const std::uint8_t* h = data.data();
  if ((h[0] >> 4) != 6) return malformed(c.ipv6_wrong_ip_version);
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
    if (!snapped || reassembled) return malformed(c.ipv6_trunc_pkt);
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
  // Does an extension header of `len` bytes at `off` fit? Past the payload length it is
  // malformed; inside the payload but past the captured bytes the capture was cut short.
  auto fits = [&](std::size_t len, DecodeStatus& bad) {
    if (off + len > claimed) {
      bad = malformed(c.ipv6_exthdr_invalid);
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
        // Hop-by-hop options must come first (RFC 8200 section 4.3).
        if (next == kIp6HopByHop && off != 40) return malformed(c.ipv6_exthdr_invalid);
        if (!fits(2, bad)) return bad;
        const std::size_t len = (std::size_t{h[off + 1]} + 1) * 8;
        if (!fits(len, bad)) return bad;
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
        if (seen_fragment) return malformed(c.ipv6_exthdr_invalid);
        seen_fragment = true;
        const std::uint16_t field = load_be16(h + off + 2);
        const std::uint32_t offset = field & 0xfff8u;
        const bool more = (field & 1) != 0;
        const std::uint32_t id = load_be32(h + off + 4);
        const std::uint8_t frag_next = h[off];
        if (offset == 0 && !more) {
          // An atomic fragment (RFC 6946): not part of any reassembly.
          next = frag_next;
          next_index = off;
          off += 8;
          continue;
        }
        if (reassembled) return malformed(c.ipv6_exthdr_invalid);  // fragment inside a fragment
        p.frag_offset = static_cast<std::uint16_t>(offset >> 3);
        p.frag_mf = more;
        p.ip_id = static_cast<std::uint16_t>(id);
        p.proto = frag_next;
        Bytes body = p.l3.subspan(off + 8);
        p.payload = body;
        if (short_data) return DecodeStatus::kMalformed;  // decoder.ipv6.truncated counted
        // RFC 8200 section 4.5: non-final fragments are multiples of 8 bytes, and the
        // reassembled payload must fit in 65535 bytes.
        if (more && body.size() % 8 != 0) return malformed(c.ipv6_frag_invalid_length);
        if ((off - 40) + offset + body.size() > 65535) return malformed(c.ipv6_frag_pkt_too_large);
        Fragment frag;
        frag.version = 6;
        frag.src = p.src;
        frag.dst = p.dst;
        frag.id = id;
        frag.proto = frag_next;
        frag.vlan[0] = p.vlan[0];
        frag.vlan[1] = p.vlan[1];
        frag.offset = offset;
        frag.more = more;
        frag.header = data.first(off);
        frag.next_header_index = next_index;
        frag.data = body;
        return fragment(p, frag);
      }
      case kIp6Esp:
        p.payload = p.l3.subspan(off);
        return DecodeStatus::kOk;
      case kIp6NoNext:
        return DecodeStatus::kOk;
      default:
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
      return icmp(p, seg, false, short_data);
    case kProtoIcmpv6:
      return icmp(p, seg, true, short_data);
    default:
      p.payload = seg;
      return DecodeStatus::kOk;
  }
}

bool Decoder::Impl::tcp_options(Packet& p, Bytes opts) {
  // RFC 9293 section 3.1: EOL and NOP are one byte; every other option is kind, length, data.
  std::size_t i = 0;
  while (i < opts.size()) {
    const std::uint8_t kind = opts[i];
    if (kind == 0) return true;
    if (kind == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= opts.size()) return false;
    const std::uint8_t len = opts[i + 1];
    if (len < 2 || i + len > opts.size()) return false;
    const std::uint8_t* o = opts.data() + i;
    switch (kind) {
      case 2:  // MSS
        if (len != 4) return false;
        p.tcp_mss = load_be16(o + 2);
        p.tcp_has_mss = true;
        break;
      case 3:  // window scale (RFC 7323 section 2.2)
        if (len != 3) return false;
        p.tcp_wscale = o[2];
        p.tcp_has_wscale = true;
        break;
      case 4:  // SACK permitted (RFC 2018)
        if (len != 2) return false;
        p.tcp_has_sack_permitted = true;
        break;
      case 5:  // SACK blocks
        if (len < 10 || (len - 2) % 8 != 0) return false;
        break;
      case 8:  // timestamps (RFC 7323 section 3.2)
        if (len != 10) return false;
        p.tcp_has_timestamp = true;
        p.tcp_tsval = load_be32(o + 2);
        p.tcp_tsecr = load_be32(o + 6);
        break;
      default:
        break;
    }
    i += len;
  }
  return true;
}

DecodeStatus Decoder::Impl::tcp(Packet& p, Bytes seg, std::size_t claimed, bool short_data) {
  counters.inc(c.tcp);
  if (claimed < 20 || seg.size() < 20) return malformed(c.tcp_pkt_too_small);
  const std::uint8_t* h = seg.data();
  const std::size_t hlen = std::size_t{h[12]} / 16 * 4;
  if (hlen < 20 || hlen > claimed) return malformed(c.tcp_hlen_too_small);
  if (hlen > seg.size()) return malformed(c.tcp_pkt_too_small);  // options cut by the capture
  p.sport = load_be16(h);
  p.dport = load_be16(h + 2);
  p.tcp_seq = load_be32(h + 4);
  p.tcp_ack = load_be32(h + 8);
  p.tcp_flags = h[13];
  p.tcp_window = load_be16(h + 14);
  p.payload = seg.subspan(hlen);
  // A bad option is an anomaly, but receivers (Linux among them) ignore it and deliver the
  // data, so the packet is still inspected: dropping it would be an evasion.
  if (!tcp_options(p, seg.subspan(20, hlen - 20))) {
    counters.inc(c.tcp_opt_invalid);
    counters.inc(c.invalid);
  }
  check_transport(p, seg, short_data, c.tcp_truncated, c.tcp_invalid_checksum);
  return DecodeStatus::kOk;
}

DecodeStatus Decoder::Impl::udp(Packet& p, Bytes seg, std::size_t claimed, bool short_data) {
  counters.inc(c.udp);
  if (claimed < 8 || seg.size() < 8) return malformed(c.udp_pkt_too_small);
  const std::uint8_t* h = seg.data();
  const std::uint16_t len = load_be16(h + 4);
  if (len > claimed) return malformed(c.udp_pkt_too_small);
  if (len < 8 || len != claimed) return malformed(c.udp_hlen_invalid);
  p.sport = load_be16(h);
  p.dport = load_be16(h + 2);
  p.payload = seg.subspan(8);
  // RFC 768: a zero checksum over IPv4 means "none"; RFC 8200 section 8.1 makes it mandatory
  // over IPv6, so a zero there is a bad checksum.
  if (load_be16(h + 6) == 0 && p.ip_version == 4) return DecodeStatus::kOk;
  if (load_be16(h + 6) == 0 && config.validate_checksums && !short_data) {
    p.checksum_checked = true;
    p.checksum_bad = true;
    counters.inc(c.udp_invalid_checksum);
    return DecodeStatus::kOk;
  }
  check_transport(p, seg, short_data, c.udp_truncated, c.udp_invalid_checksum);
  return DecodeStatus::kOk;
}

DecodeStatus Decoder::Impl::icmp(Packet& p, Bytes seg, bool v6, bool short_data) {
  counters.inc(v6 ? c.icmpv6 : c.icmpv4);
  if (seg.size() < 8) return malformed(v6 ? c.icmpv6_pkt_too_small : c.icmpv4_pkt_too_small);
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

Decoder::Decoder(const DecoderConfig& config, Counters& counters)
    : impl_(std::make_unique<Impl>(config, counters)) {}

Decoder::~Decoder() = default;

DecodeStatus Decoder::decode(const capture::RawPacket& raw, Packet& pkt) {
  return impl_->decode(raw, pkt);
}

void Decoder::set_validate_checksums(bool on) { impl_->config.validate_checksums = on; }

bool Decoder::validate_checksums() const { return impl_->config.validate_checksums; }

}  // namespace wp::decode
