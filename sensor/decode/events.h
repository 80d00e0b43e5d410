// Decode events: the anomalies the decoder detects, named as Suricata's decoder events (its
// rules/decoder-events.rules writes them `decode-event:ipv4.pkt_too_small;`). The decoder
// records each event it detects in Packet::events (a fixed bitset, no allocation) and bumps
// the event's counter; the `decode-event` rule keyword matches packets carrying an event.
// Everything here is constant data: usable from any thread.
#pragma once

#include <cstdint>
#include <iterator>
#include <optional>
#include <string_view>

namespace wp::decode {

// One id per event this decoder detects. The order is that of kDecodeEvents below.
enum class DecodeEvent : std::uint8_t {
  // link layers
  kEthernetPktTooSmall,
  kSllPktTooSmall,
  kSll2PktTooSmall,
  kLtnullPktTooSmall,
  kLtnullUnsupportedType,
  kIprawInvalidIpVersion,
  kVlanHeaderTooSmall,
  kVlanTooManyLayers,
  kPppPktTooSmall,
  kPppVjuPktTooSmall,
  kPppIp4PktTooSmall,
  kPppIp6PktTooSmall,
  kPppWrongType,
  kPppUnsupProto,
  // IPv4
  kIpv4PktTooSmall,
  kIpv4HlenTooSmall,
  kIpv4IplenSmallerThanHlen,
  kIpv4TruncPkt,
  kIpv4OptInvalidLen,
  kIpv4OptMalformed,
  kIpv4OptEolRequired,
  kIpv4WrongIpVersion,
  kIpv4Icmpv6,
  kIpv4FragPktTooLarge,
  kIpv4FragOverlap,
  // IPv6
  kIpv6PktTooSmall,
  kIpv6TruncPkt,
  kIpv6TruncExthdr,
  kIpv6ExthdrDuplFh,
  kIpv6ExthdrUselessFh,
  kIpv6ExthdrDuplRh,
  kIpv6ExthdrDuplHh,
  kIpv6WrongIpVersion,
  kIpv6RhType0,
  kIpv6FhNonZeroReservedField,
  kIpv6DataAfterNoneHeader,
  kIpv6Icmpv4,
  kIpv6FragPktTooLarge,
  kIpv6FragOverlap,
  kIpv6FragInvalidLength,
  kIpv6Ipv4InIpv6TooSmall,
  kIpv6Ipv4InIpv6WrongVersion,
  kIpv6Ipv6InIpv6TooSmall,
  kIpv6Ipv6InIpv6WrongVersion,
  // transport
  kTcpPktTooSmall,
  kTcpHlenTooSmall,
  kTcpInvalidOptlen,
  kTcpOptInvalidLen,
  kTcpOptDuplicate,
  kUdpPktTooSmall,
  kUdpHlenTooSmall,
  kUdpHlenInvalid,
  kIcmpv4PktTooSmall,
  kIcmpv6PktTooSmall,
  // tunnels
  kGrePktTooSmall,
  kGreWrongVersion,
  kGreVersion0Recur,
  kGreVersion0Flags,
  kGreVersion0HdrTooBig,
  kGreVersion0MalformedSreHdr,
  kGreVersion1Chksum,
  kGreVersion1Route,
  kGreVersion1Ssr,
  kGreVersion1Recur,
  kGreVersion1Flags,
  kGreVersion1NoKey,
  kGreVersion1WrongProtocol,
  kGreVersion1HdrTooBig,
  kErspanHeaderTooSmall,
  kErspanUnsupportedVersion,
  kErspanTooManyVlanLayers,
  kMplsHeaderTooSmall,
  kMplsPktTooSmall,
  kMplsBadLabelRouterAlert,
  kMplsBadLabelImplicitNull,
  kMplsBadLabelReserved,
  kMplsUnknownPayloadType,
  kVxlanUnknownPayloadType,
  kGeneveUnknownPayloadType,
  kTooManyLayers,
  kCount
};
inline constexpr std::size_t kDecodeEventCount = static_cast<std::size_t>(DecodeEvent::kCount);

struct DecodeEventInfo {
  DecodeEvent id;
  std::string_view name;  // Suricata's name, the `decode-event` keyword's value
  // The anomaly counter it bumps (some events share one); empty when another counter counts
  // it already (defrag.overlap, decoder.null.unsupported_family, which are not anomalies).
  std::string_view counter;
  // The packet is malformed (kMalformed): Suricata's "invalid" events. The others are
  // recorded and counted but the packet is decoded on (a bad TCP option, an atomic fragment).
  bool invalid;
};

// In DecodeEvent order (checked below).
inline constexpr DecodeEventInfo kDecodeEvents[] = {
    {DecodeEvent::kEthernetPktTooSmall, "ethernet.pkt_too_small", "decoder.ethernet.pkt_too_small",
     true},
    {DecodeEvent::kSllPktTooSmall, "sll.pkt_too_small", "decoder.sll.pkt_too_small", true},
    {DecodeEvent::kSll2PktTooSmall, "sll2.pkt_too_small", "decoder.sll2.pkt_too_small", true},
    {DecodeEvent::kLtnullPktTooSmall, "ltnull.pkt_too_small", "decoder.null.pkt_too_small", true},
    {DecodeEvent::kLtnullUnsupportedType, "ltnull.unsupported_type", "", false},
    {DecodeEvent::kIprawInvalidIpVersion, "ipraw.invalid_ip_version",
     "decoder.ipraw.invalid_ip_version", true},
    {DecodeEvent::kVlanHeaderTooSmall, "vlan.header_too_small", "decoder.vlan.pkt_too_small", true},
    {DecodeEvent::kVlanTooManyLayers, "vlan.too_many_layers", "decoder.vlan.too_many_layers", true},
    {DecodeEvent::kPppPktTooSmall, "ppp.pkt_too_small", "decoder.ppp.pkt_too_small", true},
    {DecodeEvent::kPppVjuPktTooSmall, "ppp.vju_pkt_too_small", "decoder.ppp.vju_pkt_too_small",
     true},
    {DecodeEvent::kPppIp4PktTooSmall, "ppp.ip4_pkt_too_small", "decoder.ppp.ip4_pkt_too_small",
     true},
    {DecodeEvent::kPppIp6PktTooSmall, "ppp.ip6_pkt_too_small", "decoder.ppp.ip6_pkt_too_small",
     true},
    {DecodeEvent::kPppWrongType, "ppp.wrong_type", "decoder.ppp.wrong_type", true},
    {DecodeEvent::kPppUnsupProto, "ppp.unsup_proto", "decoder.ppp.unsup_proto", false},
    {DecodeEvent::kIpv4PktTooSmall, "ipv4.pkt_too_small", "decoder.ipv4.pkt_too_small", true},
    {DecodeEvent::kIpv4HlenTooSmall, "ipv4.hlen_too_small", "decoder.ipv4.hlen_too_small", true},
    {DecodeEvent::kIpv4IplenSmallerThanHlen, "ipv4.iplen_smaller_than_hlen",
     "decoder.ipv4.iplen_smaller_than_hlen", true},
    {DecodeEvent::kIpv4TruncPkt, "ipv4.trunc_pkt", "decoder.ipv4.trunc_pkt", true},
    {DecodeEvent::kIpv4OptInvalidLen, "ipv4.opt_invalid_len", "decoder.ipv4.opt_invalid", true},
    {DecodeEvent::kIpv4OptMalformed, "ipv4.opt_malformed", "decoder.ipv4.opt_invalid", true},
    {DecodeEvent::kIpv4OptEolRequired, "ipv4.opt_eol_required", "decoder.ipv4.opt_invalid", true},
    {DecodeEvent::kIpv4WrongIpVersion, "ipv4.wrong_ip_version", "decoder.ipv4.wrong_ip_version",
     true},
    {DecodeEvent::kIpv4Icmpv6, "ipv4.icmpv6", "decoder.ipv4.icmpv6", false},
    {DecodeEvent::kIpv4FragPktTooLarge, "ipv4.frag_pkt_too_large",
     "decoder.ipv4.frag_pkt_too_large", true},
    {DecodeEvent::kIpv4FragOverlap, "ipv4.frag_overlap", "", false},
    {DecodeEvent::kIpv6PktTooSmall, "ipv6.pkt_too_small", "decoder.ipv6.pkt_too_small", true},
    {DecodeEvent::kIpv6TruncPkt, "ipv6.trunc_pkt", "decoder.ipv6.trunc_pkt", true},
    {DecodeEvent::kIpv6TruncExthdr, "ipv6.trunc_exthdr", "decoder.ipv6.exthdr_invalid", true},
    {DecodeEvent::kIpv6ExthdrDuplFh, "ipv6.exthdr_dupl_fh", "decoder.ipv6.exthdr_invalid", true},
    {DecodeEvent::kIpv6ExthdrUselessFh, "ipv6.exthdr_useless_fh", "decoder.ipv6.exthdr_useless_fh",
     false},
    {DecodeEvent::kIpv6ExthdrDuplRh, "ipv6.exthdr_dupl_rh", "decoder.ipv6.exthdr_dupl_rh", false},
    {DecodeEvent::kIpv6ExthdrDuplHh, "ipv6.exthdr_dupl_hh", "decoder.ipv6.exthdr_invalid", true},
    {DecodeEvent::kIpv6WrongIpVersion, "ipv6.wrong_ip_version", "decoder.ipv6.wrong_ip_version",
     true},
    {DecodeEvent::kIpv6RhType0, "ipv6.rh_type_0", "decoder.ipv6.rh_type_0", false},
    {DecodeEvent::kIpv6FhNonZeroReservedField, "ipv6.fh_non_zero_reserved_field",
     "decoder.ipv6.fh_non_zero_reserved_field", false},
    {DecodeEvent::kIpv6DataAfterNoneHeader, "ipv6.data_after_none_header",
     "decoder.ipv6.data_after_none_header", false},
    {DecodeEvent::kIpv6Icmpv4, "ipv6.icmpv4", "decoder.ipv6.icmpv4", false},
    {DecodeEvent::kIpv6FragPktTooLarge, "ipv6.frag_pkt_too_large",
     "decoder.ipv6.frag_pkt_too_large", true},
    {DecodeEvent::kIpv6FragOverlap, "ipv6.frag_overlap", "", false},
    {DecodeEvent::kIpv6FragInvalidLength, "ipv6.frag_invalid_length",
     "decoder.ipv6.frag_invalid_length", true},
    {DecodeEvent::kIpv6Ipv4InIpv6TooSmall, "ipv6.ipv4_in_ipv6_too_small",
     "decoder.ipv6.ipv4_in_ipv6_too_small", true},
    {DecodeEvent::kIpv6Ipv4InIpv6WrongVersion, "ipv6.ipv4_in_ipv6_wrong_version",
     "decoder.ipv6.ipv4_in_ipv6_wrong_version", true},
    {DecodeEvent::kIpv6Ipv6InIpv6TooSmall, "ipv6.ipv6_in_ipv6_too_small",
     "decoder.ipv6.ipv6_in_ipv6_too_small", true},
    {DecodeEvent::kIpv6Ipv6InIpv6WrongVersion, "ipv6.ipv6_in_ipv6_wrong_version",
     "decoder.ipv6.ipv6_in_ipv6_wrong_version", true},
    {DecodeEvent::kTcpPktTooSmall, "tcp.pkt_too_small", "decoder.tcp.pkt_too_small", true},
    {DecodeEvent::kTcpHlenTooSmall, "tcp.hlen_too_small", "decoder.tcp.hlen_too_small", true},
    {DecodeEvent::kTcpInvalidOptlen, "tcp.invalid_optlen", "decoder.tcp.opt_invalid", false},
    {DecodeEvent::kTcpOptInvalidLen, "tcp.opt_invalid_len", "decoder.tcp.opt_invalid", false},
    {DecodeEvent::kTcpOptDuplicate, "tcp.opt_duplicate", "decoder.tcp.opt_duplicate", false},
    {DecodeEvent::kUdpPktTooSmall, "udp.pkt_too_small", "decoder.udp.pkt_too_small", true},
    {DecodeEvent::kUdpHlenTooSmall, "udp.hlen_too_small", "decoder.udp.pkt_too_small", true},
    {DecodeEvent::kUdpHlenInvalid, "udp.hlen_invalid", "decoder.udp.hlen_invalid", true},
    {DecodeEvent::kIcmpv4PktTooSmall, "icmpv4.pkt_too_small", "decoder.icmpv4.pkt_too_small", true},
    {DecodeEvent::kIcmpv6PktTooSmall, "icmpv6.pkt_too_small", "decoder.icmpv6.pkt_too_small", true},
    {DecodeEvent::kGrePktTooSmall, "gre.pkt_too_small", "decoder.gre.pkt_too_small", true},
    {DecodeEvent::kGreWrongVersion, "gre.wrong_version", "decoder.gre.wrong_version", true},
    {DecodeEvent::kGreVersion0Recur, "gre.version0_recur", "decoder.gre.version0_recur", true},
    {DecodeEvent::kGreVersion0Flags, "gre.version0_flags", "decoder.gre.version0_flags", true},
    {DecodeEvent::kGreVersion0HdrTooBig, "gre.version0_hdr_too_big",
     "decoder.gre.version0_hdr_too_big", true},
    {DecodeEvent::kGreVersion0MalformedSreHdr, "gre.version0_malformed_sre_hdr",
     "decoder.gre.version0_malformed_sre_hdr", true},
    {DecodeEvent::kGreVersion1Chksum, "gre.version1_chksum", "decoder.gre.version1_chksum", true},
    {DecodeEvent::kGreVersion1Route, "gre.version1_route", "decoder.gre.version1_route", true},
    {DecodeEvent::kGreVersion1Ssr, "gre.version1_ssr", "decoder.gre.version1_ssr", true},
    {DecodeEvent::kGreVersion1Recur, "gre.version1_recur", "decoder.gre.version1_recur", true},
    {DecodeEvent::kGreVersion1Flags, "gre.version1_flags", "decoder.gre.version1_flags", true},
    {DecodeEvent::kGreVersion1NoKey, "gre.version1_no_key", "decoder.gre.version1_no_key", true},
    {DecodeEvent::kGreVersion1WrongProtocol, "gre.version1_wrong_protocol",
     "decoder.gre.version1_wrong_protocol", true},
    {DecodeEvent::kGreVersion1HdrTooBig, "gre.version1_hdr_too_big",
     "decoder.gre.version1_hdr_too_big", true},
    {DecodeEvent::kErspanHeaderTooSmall, "erspan.header_too_small",
     "decoder.erspan.header_too_small", true},
    {DecodeEvent::kErspanUnsupportedVersion, "erspan.unsupported_version",
     "decoder.erspan.unsupported_version", true},
    {DecodeEvent::kErspanTooManyVlanLayers, "erspan.too_many_vlan_layers",
     "decoder.erspan.too_many_vlan_layers", true},
    {DecodeEvent::kMplsHeaderTooSmall, "mpls.header_too_small", "decoder.mpls.header_too_small",
     true},
    {DecodeEvent::kMplsPktTooSmall, "mpls.pkt_too_small", "decoder.mpls.pkt_too_small", true},
    {DecodeEvent::kMplsBadLabelRouterAlert, "mpls.bad_label_router_alert",
     "decoder.mpls.bad_label_router_alert", false},
    {DecodeEvent::kMplsBadLabelImplicitNull, "mpls.bad_label_implicit_null",
     "decoder.mpls.bad_label_implicit_null", false},
    {DecodeEvent::kMplsBadLabelReserved, "mpls.bad_label_reserved",
     "decoder.mpls.bad_label_reserved", false},
    {DecodeEvent::kMplsUnknownPayloadType, "mpls.unknown_payload_type",
     "decoder.mpls.unknown_payload_type", true},
    {DecodeEvent::kVxlanUnknownPayloadType, "vxlan.unknown_payload_type",
     "decoder.vxlan.unknown_payload_type", false},
    {DecodeEvent::kGeneveUnknownPayloadType, "geneve.unknown_payload_type",
     "decoder.geneve.unknown_payload_type", false},
    {DecodeEvent::kTooManyLayers, "too_many_layers", "decoder.too_many_layers", true},
};
static_assert(std::size(kDecodeEvents) == kDecodeEventCount, "one row per DecodeEvent");
static_assert(
    [] {
      for (std::size_t i = 0; i < kDecodeEventCount; ++i) {
        if (static_cast<std::size_t>(kDecodeEvents[i].id) != i) return false;
      }
      return true;
    }(),
    "kDecodeEvents rows in DecodeEvent order");

inline constexpr const DecodeEventInfo& decode_event_info(DecodeEvent e) {
  return kDecodeEvents[static_cast<std::size_t>(e)];
}

// The event named `name` (Suricata's name, ASCII case-insensitive); nullopt when this decoder
// does not detect it.
std::optional<DecodeEvent> find_decode_event(std::string_view name);

// True for a decoder event name Suricata 7/8 defines that this decoder does not detect (a
// rule using it loads in Suricata but could never match here).
bool is_undetected_suricata_event(std::string_view name);

}  // namespace wp::decode
