#include "decode/events.h"

#include <algorithm>

namespace wp::decode {
namespace {

bool equal_ascii_nocase(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [&](char x, char y) { return lower(x) == lower(y); });
}

// Suricata 7/8 decoder event names (decode-events.c) that no decoder here detects: layers
// not decoded (PPPoE, SCTP, ESP, NSH, Cisco, VN-Tag, 802.1ah, IEEE 802.1 CHDLC, ...) and
// finer checks not made (IPv6 option contents, ICMP type/code tables, IPv4 option rules).
constexpr std::string_view kUndetected[] = {"ipv4.opt_invalid",
                                            "ipv4.opt_pad_required",
                                            "ipv4.opt_duplicate",
                                            "ipv4.opt_unknown",
                                            "ipv4.frag_ignored",
                                            "icmpv4.unknown_type",
                                            "icmpv4.unknown_code",
                                            "icmpv4.ipv4_trunc_pkt",
                                            "icmpv4.ipv4_unknown_ver",
                                            "icmpv6.unknown_type",
                                            "icmpv6.unknown_code",
                                            "icmpv6.ipv6_unknown_version",
                                            "icmpv6.ipv6_trunc_pkt",
                                            "icmpv6.mld_message_with_invalid_hl",
                                            "icmpv6.unassigned_type",
                                            "icmpv6.experimentation_type",
                                            "ipv6.exthdr_dupl_dh",
                                            "ipv6.exthdr_dupl_ah",
                                            "ipv6.exthdr_dupl_eh",
                                            "ipv6.exthdr_invalid_optlen",
                                            "ipv6.exthdr_ah_res_not_null",
                                            "ipv6.hopopts_unknown_opt",
                                            "ipv6.hopopts_only_padding",
                                            "ipv6.dstopts_unknown_opt",
                                            "ipv6.dstopts_only_padding",
                                            "ipv6.zero_len_padn",
                                            "ipv6.unknown_next_header",
                                            "ipv6.frag_ignored",
                                            "udp.len_invalid",
                                            "pppoe.pkt_too_small",
                                            "pppoe.wrong_code",
                                            "pppoe.malformed_tags",
                                            "vlan.unknown_type",
                                            "ieee8021ah.header_too_small",
                                            "vntag.header_too_small",
                                            "vntag.unknown_type",
                                            "sctp.pkt_too_small",
                                            "esp.pkt_too_small",
                                            "dce.pkt_too_small",
                                            "chdlc.pkt_too_small",
                                            "nsh.header_too_small",
                                            "nsh.unsupported_version",
                                            "nsh.bad_header_length",
                                            "nsh.reserved_type",
                                            "nsh.unsupported_type",
                                            "nsh.unknown_payload",
                                            "arp.pkt_too_small",
                                            "arp.unsupported_hardware",
                                            "arp.unsupported_protocol",
                                            "arp.invalid_pkt",
                                            "arp.invalid_hardware_size",
                                            "arp.invalid_protocol_size",
                                            "arp.unsupported_opcode"};

}  // namespace

std::optional<DecodeEvent> find_decode_event(std::string_view name) {
  for (const DecodeEventInfo& e : kDecodeEvents) {
    if (equal_ascii_nocase(e.name, name)) return e.id;
  }
  return std::nullopt;
}

bool is_undetected_suricata_event(std::string_view name) {
  return std::any_of(std::begin(kUndetected), std::end(kUndetected),
                     [&](std::string_view n) { return equal_ascii_nocase(n, name); });
}

}  // namespace wp::decode
