// The header keywords: each row carries its parser and its verifier (HeaderCheck), so a
// header keyword is defined here and nowhere else (keyword.h). The engine runs
// Rule::header's tests on every candidate.
#include <algorithm>
#include <iterator>
#include <limits>

#include "common/text.h"
#include "decode/checksum.h"
#include "detect/rules/keyword.h"
#include "stream/stream_events.h"

namespace wp::detect::lang {
namespace {

using decode::Packet;

struct IpProtoName {
  std::string_view name;
  int number;
};

constexpr IpProtoName kIpProtoNames[] = {
    {"hopopt", 0},     {"icmp", 1},         {"igmp", 2},       {"ggp", 3},
    {"ipip", 4},       {"ipencap", 4},      {"st", 5},         {"tcp", 6},
    {"egp", 8},        {"igp", 9},          {"pup", 12},       {"udp", 17},
    {"hmp", 20},       {"xns-idp", 22},     {"rdp", 27},       {"iso-tp4", 29},
    {"dccp", 33},      {"xtp", 36},         {"ddp", 37},       {"idpr-cmtp", 38},
    {"ipv6", 41},      {"ipv6-route", 43},  {"ipv6-frag", 44}, {"idrp", 45},
    {"rsvp", 46},      {"gre", 47},         {"esp", 50},       {"ah", 51},
    {"skip", 57},      {"ipv6-icmp", 58},   {"icmpv6", 58},    {"ipv6-nonxt", 59},
    {"ipv6-opts", 60}, {"rspf", 73},        {"vmtp", 81},      {"eigrp", 88},
    {"ospf", 89},      {"ax.25", 93},       {"etherip", 97},   {"encap", 98},
    {"pim", 103},      {"ipcomp", 108},     {"vrrp", 112},     {"l2tp", 115},
    {"isis", 124},     {"sctp", 132},       {"fc", 133},       {"mobility-header", 135},
    {"udplite", 136},  {"mpls-in-ip", 137}, {"manet", 138},    {"hip", 139},
    {"shim6", 140},    {"wesp", 141},       {"rohc", 142}};

constexpr std::pair<std::string_view, std::uint16_t> kIpoptNames[] = {
    {"rr", decode::kIpoptRr},     {"eol", decode::kIpoptEol},   {"nop", decode::kIpoptNop},
    {"ts", decode::kIpoptTs},     {"sec", decode::kIpoptSec},   {"esec", decode::kIpoptEsec},
    {"lsrr", decode::kIpoptLsrr}, {"ssrr", decode::kIpoptSsrr}, {"satid", decode::kIpoptSatid},
    {"any", decode::kIpoptAny}};

MaybeFailure parse_bits(std::string_view name, std::string_view value, BitsMatch& out) {
  auto bit_of = [&](char c) -> int {
    if (name == "fragbits") {
      switch (c) {
        case 'M':
          return kFragBitM;
        case 'D':
          return kFragBitD;
        case 'R':
          return kFragBitR;
        default:
          return -1;
      }
    }
    switch (c) {
      case 'F':
        return decode::kTcpFin;
      case 'S':
        return decode::kTcpSyn;
      case 'R':
        return decode::kTcpRst;
      case 'P':
        return decode::kTcpPsh;
      case 'A':
        return decode::kTcpAck;
      case 'U':
        return decode::kTcpUrg;
      case 'C':
      case '1':
        return decode::kTcpCwr;  // '1': Snort's old name for CWR
      case 'E':
      case '2':
        return decode::kTcpEce;  // '2': Snort's old name for ECE
      default:
        return -1;
    }
  };
  std::size_t comma = value.find(',');
  std::string_view main = trim(value.substr(0, comma));
  bool have_mod = false;
  bool zero = false;
  bool any_bit = false;
  for (char c : main) {
    if (is_space(c)) continue;
    if (c == '+' || c == '*' || c == '!') {
      if (have_mod) return invalid(name, "more than one modifier in " + quoted(value));
      have_mod = true;
      out.mod = c == '+'   ? BitsMatch::Mod::kPlus
                : c == '*' ? BitsMatch::Mod::kAny
                           : BitsMatch::Mod::kNot;
      continue;
    }
    if (c == '0' && (name == "flags" || name == "tcp.flags")) {
      zero = true;
      continue;
    }
    int bit = bit_of(c);
    if (bit < 0) return invalid(name, "unknown flag " + quoted(std::string(1, c)));
    out.bits |= static_cast<std::uint8_t>(bit);
    any_bit = true;
  }
  if (zero && any_bit) return invalid(name, "'0' (no flags) cannot be combined with flags");
  if (!zero && !any_bit) return invalid(name, "no flags in " + quoted(value));
  if (comma != std::string_view::npos) {
    if (name != "flags" && name != "tcp.flags") {
      return invalid(name, "unexpected ',' in " + quoted(value));
    }
    std::string_view mask = trim(value.substr(comma + 1));
    if (mask.empty()) return invalid(name, "empty mask in " + quoted(value));
    for (char c : mask) {
      if (is_space(c)) continue;
      int bit = bit_of(c);
      if (bit < 0) return invalid(name, "unknown flag " + quoted(std::string(1, c)) + " in mask");
      out.ignore |= static_cast<std::uint8_t>(bit);
    }
  }
  return std::nullopt;
}

MaybeFailure parse_ip_proto(std::string_view value, NumCmp& out) {
  std::string_view v = trim(value);
  NumCmp c;
  if (!v.empty() && (v[0] == '!' || v[0] == '<' || v[0] == '>')) {
    c.op = v[0] == '!' ? NumCmp::Op::kNe : v[0] == '<' ? NumCmp::Op::kLt : NumCmp::Op::kGt;
    v = trim(v.substr(1));
  }
  if (auto n = parse_decimal(v, 255)) {
    c.a = *n;
  } else {
    std::string lower = to_lower(v);
    auto it = std::find_if(std::begin(kIpProtoNames), std::end(kIpProtoNames),
                           [&](const IpProtoName& p) { return p.name == lower; });
    if (it == std::end(kIpProtoNames)) return invalid("ip_proto", "unknown protocol " + quoted(v));
    c.a = it->number;
  }
  if (never_matches(c, 255)) return invalid("ip_proto", never_matches_message(value));
  out = c;
  return std::nullopt;
}

bool bits_match(const BitsMatch& m, std::uint8_t value) {
  const std::uint8_t v = value & static_cast<std::uint8_t>(~m.ignore);
  switch (m.mod) {
    case BitsMatch::Mod::kExact:
      return v == m.bits;
    case BitsMatch::Mod::kPlus:
      return (v & m.bits) == m.bits;
    case BitsMatch::Mod::kAny:
      return (v & m.bits) != 0;
    case BitsMatch::Mod::kNot:
      return (v & m.bits) == 0;
  }
  return false;
}

// A numeric header keyword: the field it reads and the forms of comparison it accepts.
// `read` returns false when the packet has no such field (the test fails).
struct NumericHeader {
  HeaderCheck check;
  bool (*read)(const Packet& p, std::int64_t& v);
  std::int64_t max;
  unsigned forms;
};

const NumericHeader& numeric_of(const HeaderTest& t) {
  // `check` is the first member: a HeaderCheck of a numeric keyword is its NumericHeader.
  return *reinterpret_cast<const NumericHeader*>(t.check);
}

bool numeric_matches(const HeaderTest& t, const Packet& p) {
  std::int64_t v = 0;
  return numeric_of(t).read(p, v) && t.cmp.matches(v);
}

// dsize: as Suricata, a greater-than test never matches a packet without payload (a
// `dsize:>=0` rule is not a rule on every packet).
bool dsize_matches(const HeaderTest& t, const Packet& p) {
  if (p.payload.empty() && (t.cmp.op == NumCmp::Op::kGt || t.cmp.op == NumCmp::Op::kGe)) {
    return false;
  }
  return numeric_matches(t, p);
}

bool is_tcp(const Packet& p) { return p.proto == decode::kProtoTcp; }
bool is_icmp(const Packet& p) {
  return p.proto == decode::kProtoIcmp || p.proto == decode::kProtoIcmpv6;
}

constexpr std::int64_t kU32 = std::numeric_limits<std::uint32_t>::max();

// The numeric header keywords. dsize is the payload's size: a rule with it stays on packets.
constexpr NumericHeader kNumeric[] = {
    {{"dsize", dsize_matches, true},
     [](const Packet& p, std::int64_t& v) {
       v = static_cast<std::int64_t>(p.payload.size());
       return true;
     },
     65535,
     kSuricataUint},
    {{"ttl", numeric_matches},
     [](const Packet& p, std::int64_t& v) {
       v = p.ttl;
       return true;
     },
     255,
     kSuricataUint},
    {{"tos", numeric_matches},
     [](const Packet& p, std::int64_t& v) {
       v = p.tos;
       return true;
     },
     255,
     kAllowNot},
    {{"id", numeric_matches},
     [](const Packet& p, std::int64_t& v) {
       v = p.ip_id;
       return p.ip_version == 4;
     },
     65535,
     kSuricataUint},
    {{"ip_proto", numeric_matches},
     [](const Packet& p, std::int64_t& v) {
       v = p.proto;
       return true;
     },
     255,
     kEqOnly},
    {{"itype", numeric_matches},
     [](const Packet& p, std::int64_t& v) {
       v = p.icmp_type;
       return is_icmp(p);
     },
     255,
     kSuricataUint},
    {{"icode", numeric_matches},
     [](const Packet& p, std::int64_t& v) {
       v = p.icmp_code;
       return is_icmp(p);
     },
     255,
     kSuricataUint},
    {{"icmp_id", numeric_matches},
     [](const Packet& p, std::int64_t& v) {
       v = p.icmp_id;
       return is_icmp(p) && p.icmp_has_id_seq;
     },
     65535,
     kSuricataUint},
    {{"icmp_seq", numeric_matches},
     [](const Packet& p, std::int64_t& v) {
       v = p.icmp_seq;
       return is_icmp(p) && p.icmp_has_id_seq;
     },
     65535,
     kSuricataUint},
    {{"seq", numeric_matches},
     [](const Packet& p, std::int64_t& v) {
       v = p.tcp_seq;
       return is_tcp(p);
     },
     kU32,
     kEqOnly},
    {{"ack", numeric_matches},
     [](const Packet& p, std::int64_t& v) {
       v = p.tcp_ack;
       return is_tcp(p);
     },
     kU32,
     kEqOnly},
    {{"window", numeric_matches},
     [](const Packet& p, std::int64_t& v) {
       v = p.tcp_window;
       return is_tcp(p);
     },
     65535,
     kAllowNot},
    {{"fragoffset", numeric_matches},
     [](const Packet& p, std::int64_t& v) {
       v = p.frag_offset * 8;
       return p.ip_version == 4;
     },
     65535,
     kAllowNot | kAllowLtGt},
};

// Suricata 8's header keywords on integer fields (its generic integer syntax).
constexpr NumericHeader kNumeric8[] = {
    {{"tcp.mss", numeric_matches},
     [](const Packet& p, std::int64_t& v) {
       v = p.tcp_mss;
       return is_tcp(p) && p.tcp_has_mss;
     },
     65535,
     kSuricataUint},
    {{"tcp.wscale", numeric_matches},
     [](const Packet& p, std::int64_t& v) {
       v = p.tcp_wscale;
       return is_tcp(p) && p.tcp_has_wscale;
     },
     255,
     kSuricataUint},
    {{"icmpv6.mtu", numeric_matches},
     [](const Packet& p, std::int64_t& v) {
       v = p.icmpv6_mtu;
       return p.proto == decode::kProtoIcmpv6 && p.icmpv6_has_mtu;
     },
     kU32,
     kSuricataUint},
    {{"vlan.layers", numeric_matches},
     [](const Packet& p, std::int64_t& v) {
       v = p.vlan_count;
       return true;
     },
     255,
     kSuricataUint},
};

// vlan.id:[op]N[,layer]: the id of one VLAN layer (0 the outermost, -1 the innermost, as
// Suricata counts them) or, without a layer, of any layer. HeaderTest::arg holds the layer,
// kAnyLayer for none.
constexpr std::int32_t kAnyLayer = 1000;
constexpr HeaderCheck kVlanId{"vlan.id", [](const HeaderTest& t, const Packet& p) {
                                const int n = p.vlan_count;
                                if (t.arg == kAnyLayer) {
                                  for (int i = 0; i < n; ++i) {
                                    if (t.cmp.matches(p.vlan[i])) return true;
                                  }
                                  return false;
                                }
                                const int layer = t.arg < 0 ? n + t.arg : t.arg;
                                return layer >= 0 && layer < n && t.cmp.matches(p.vlan[layer]);
                              }};

// The checksum keywords (ipv4-csum:valid|invalid, ...): computed here, whether or not the
// decoder validates checksums; a packet of another protocol or family does not match.
// HeaderTest::arg is 1 for "valid", 0 for "invalid".
bool transport_csum_valid(const Packet& p) {
  return decode::transport_checksum_ok(p.src, p.dst, p.proto, p.l4);
}
template <int Version, std::uint8_t Proto>
bool csum_matches(const HeaderTest& t, const Packet& p) {
  if (p.ip_version != Version || p.proto != Proto || p.l4.empty()) return false;
  bool valid = false;
  if constexpr (Proto == decode::kProtoIcmp) {
    valid = decode::checksum_finish(decode::checksum_add(0, p.l4)) == 0;  // no pseudo header
  } else {
    valid = transport_csum_valid(p);
  }
  return valid == (t.arg == 1);
}
bool ipv4_csum_matches(const HeaderTest& t, const Packet& p) {
  if (p.ip_version != 4 || p.l3.size() < 20) return false;
  const std::size_t hlen = std::size_t{p.l3[0] & 0x0fu} * 4;
  if (hlen < 20 || hlen > p.l3.size()) return false;
  return decode::ipv4_header_checksum_ok(p.l3.first(hlen)) == (t.arg == 1);
}
constexpr HeaderCheck kCsum[] = {
    {"ipv4-csum", ipv4_csum_matches},
    {"tcpv4-csum", csum_matches<4, decode::kProtoTcp>},
    {"tcpv6-csum", csum_matches<6, decode::kProtoTcp>},
    {"udpv4-csum", csum_matches<4, decode::kProtoUdp>},
    {"udpv6-csum", csum_matches<6, decode::kProtoUdp>},
    {"icmpv4-csum", csum_matches<4, decode::kProtoIcmp>},
    {"icmpv6-csum", csum_matches<6, decode::kProtoIcmpv6>},
};

// decode-event:NAME: the packet carries Suricata's decoder event NAME (decode/events.h).
// HeaderTest::arg holds the event id.
constexpr HeaderCheck kDecodeEvent{"decode-event", [](const HeaderTest& t, const Packet& p) {
                                     return p.has_event(static_cast<decode::DecodeEvent>(t.arg));
                                   }};

// stream-event:NAME: the stream stage found Suricata's stream event NAME with this packet
// (stream/stream_events.h). HeaderTest::arg holds the event id.
constexpr HeaderCheck kStreamEvent{"stream-event",
                                   [](const HeaderTest& t, const Packet& p) {
                                     return ((p.stream_events >> t.arg) & 1u) != 0;
                                   },
                                   /*packet_only=*/true, /*stream_event=*/true};

constexpr HeaderCheck kFlags{"flags", [](const HeaderTest& t, const Packet& p) {
                               return is_tcp(p) && bits_match(t.bits, p.tcp_flags);
                             }};
constexpr HeaderCheck kFragbits{"fragbits", [](const HeaderTest& t, const Packet& p) {
                                  const std::uint8_t bits = (p.frag_mf ? kFragBitM : 0) |
                                                            (p.frag_df ? kFragBitD : 0) |
                                                            (p.frag_rb ? kFragBitR : 0);
                                  return p.ip_version == 4 && bits_match(t.bits, bits);
                                }};
// ipopts:any means "any option present"; other names need that option.
constexpr HeaderCheck kIpopts{"ipopts", [](const HeaderTest& t, const Packet& p) {
                                const auto bit = static_cast<std::uint16_t>(t.cmp.a);
                                const bool present = bit == decode::kIpoptAny
                                                         ? p.ipv4_options != 0
                                                         : (p.ipv4_options & bit) != 0;
                                return p.ip_version == 4 && present;
                              }};
constexpr HeaderCheck kSameip{"sameip",
                              [](const HeaderTest&, const Packet& p) { return p.src == p.dst; }};

void add_test(RuleBuilder& b, const HeaderCheck& check, const NumCmp& cmp,
              const BitsMatch& bits = {}, std::int32_t arg = 0) {
  b.rule.header.push_back(HeaderTest{&check, cmp, bits, arg});
}

MaybeFailure parse_vlan_id(RuleBuilder& b, const KeywordDef& kw, const Option& opt) {
  std::string_view v = opt.value;
  std::int32_t layer = kAnyLayer;
  if (const std::size_t comma = v.find(','); comma != std::string_view::npos) {
    std::string_view l = trim(v.substr(comma + 1));
    const bool minus = !l.empty() && l[0] == '-';
    auto n = parse_decimal(minus ? l.substr(1) : l, 3);
    if (!n || (minus && *n == 0) || (!minus && *n > 2)) {
      return invalid(kw.name, "layer " + quoted(l) + " is not 0, 1, 2, -1, -2 or -3");
    }
    layer = static_cast<std::int32_t>(minus ? -*n : *n);
    v = trim(v.substr(0, comma));
  }
  auto c = parse_numcmp(v, 4095, kSuricataUint);
  if (!c) return invalid(kw.name, quoted(v) + " is not a valid VLAN id (0-4095)");
  if (never_matches(*c, 4095)) return invalid(kw.name, never_matches_message(v));
  add_test(b, kVlanId, *c, {}, layer);
  return std::nullopt;
}

// Suricata names its decoder events "decoder.NAME" internally and the keyword takes NAME;
// either spelling is accepted.
MaybeFailure parse_decode_event(RuleBuilder& b, const KeywordDef& kw, const Option& opt) {
  const std::string_view name = trim(opt.value);
  constexpr std::string_view kPrefix = "decoder.";
  std::optional<decode::DecodeEvent> e = decode::find_decode_event(name);
  if (!e && name.size() > kPrefix.size() && to_lower(name.substr(0, kPrefix.size())) == kPrefix) {
    e = decode::find_decode_event(name.substr(kPrefix.size()));
  }
  if (e) {
    add_test(b, kDecodeEvent, NumCmp{}, {}, static_cast<std::int32_t>(*e));
    return std::nullopt;
  }
  if (decode::is_undetected_suricata_event(name)) {
    return not_supported("decode-event " + std::string(name),
                         "decode-event " + quoted(name) + " is not detected by this decoder");
  }
  return invalid(kw.name, "unknown decoder event " + quoted(name));
}

// Suricata's stream-events.rules write the name without its "stream." prefix; either
// spelling is accepted.
MaybeFailure parse_stream_event(RuleBuilder& b, const KeywordDef& kw, const Option& opt) {
  std::string_view name = trim(opt.value);
  constexpr std::string_view kPrefix = "stream.";
  if (name.size() > kPrefix.size() && to_lower(name.substr(0, kPrefix.size())) == kPrefix) {
    name = name.substr(kPrefix.size());
  }
  if (const auto e = stream::find_stream_event(name)) {
    add_test(b, kStreamEvent, NumCmp{}, {}, static_cast<std::int32_t>(*e));
    return std::nullopt;
  }
  if (stream::is_undetected_stream_event(name)) {
    return not_supported("stream-event " + std::string(name),
                         "stream-event " + quoted(name) + " is not detected by this stream engine");
  }
  return invalid(kw.name, "unknown stream event " + quoted(trim(opt.value)));
}

MaybeFailure parse_csum(RuleBuilder& b, const KeywordDef& kw, const Option& opt) {
  const std::string v = to_lower(trim(opt.value));
  if (v != "valid" && v != "invalid") {
    return invalid(kw.name, quoted(opt.value) + ": expected \"valid\" or \"invalid\"");
  }
  add_test(b, *static_cast<const HeaderCheck*>(kw.data), NumCmp{}, {}, v == "valid" ? 1 : 0);
  return std::nullopt;
}

constexpr KeywordDef csum_row(const HeaderCheck& h) {
  return {.name = h.keyword,
          .family = KeywordFamily::kHeader,
          .once = true,
          .parse = parse_csum,
          .data = &h};
}

MaybeFailure parse_numeric(RuleBuilder& b, const KeywordDef& kw, const Option& opt) {
  const auto& h = *static_cast<const NumericHeader*>(kw.data);
  std::string_view v = opt.value;
  std::string text;
  if (kw.name == "tos") {
    // Suricata also writes the value in hex as "x10".
    text = std::string(v);
    std::size_t digits = text.find_first_not_of('!');
    if (digits != std::string::npos && (text[digits] == 'x' || text[digits] == 'X')) {
      auto hex = parse_uint("0x" + text.substr(digits + 1));
      if (!hex || *hex > 255) return invalid(kw.name, quoted(v) + " is not a valid value");
      text = text.substr(0, digits) + std::to_string(*hex);
    }
    v = text;
  }
  std::optional<NumCmp> c;
  if (kw.name == "ip_proto") {
    NumCmp p;
    if (auto f = parse_ip_proto(v, p)) return f;
    c = p;
  } else {
    c = parse_numcmp(v, h.max, h.forms);
    if (!c) return invalid(kw.name, quoted(v) + " is not a valid value");
    if (never_matches(*c, h.max)) return invalid(kw.name, never_matches_message(v));
  }
  add_test(b, h.check, *c);
  return std::nullopt;
}

MaybeFailure parse_bits_keyword(RuleBuilder& b, const KeywordDef& kw, const Option& opt) {
  BitsMatch bits;
  if (auto f = parse_bits(kw.name, opt.value, bits)) return f;
  add_test(b, *static_cast<const HeaderCheck*>(kw.data), NumCmp{}, bits);
  return std::nullopt;
}

constexpr KeywordDef numeric_row(const NumericHeader& h) {
  return {.name = h.check.keyword,
          .family = KeywordFamily::kHeader,
          .once = true,
          .parse = parse_numeric,
          .data = &h};
}

constexpr KeywordDef kHeaderKeywords[] = {
    numeric_row(kNumeric[0]),
    numeric_row(kNumeric[1]),
    numeric_row(kNumeric[2]),
    numeric_row(kNumeric[3]),
    numeric_row(kNumeric[4]),
    numeric_row(kNumeric[5]),
    numeric_row(kNumeric[6]),
    numeric_row(kNumeric[7]),
    numeric_row(kNumeric[8]),
    numeric_row(kNumeric[9]),
    numeric_row(kNumeric[10]),
    numeric_row(kNumeric[11]),
    numeric_row(kNumeric[12]),
    {.name = "flags",
     .family = KeywordFamily::kHeader,
     .once = true,
     .parse = parse_bits_keyword,
     .data = &kFlags},
    // Suricata 8's name for flags.
    {.name = "tcp.flags",
     .family = KeywordFamily::kHeader,
     .once = true,
     .parse = parse_bits_keyword,
     .data = &kFlags},
    numeric_row(kNumeric8[0]),
    numeric_row(kNumeric8[1]),
    numeric_row(kNumeric8[2]),
    numeric_row(kNumeric8[3]),
    {.name = "vlan.id", .family = KeywordFamily::kHeader, .once = true, .parse = parse_vlan_id},
    csum_row(kCsum[0]),
    csum_row(kCsum[1]),
    csum_row(kCsum[2]),
    csum_row(kCsum[3]),
    csum_row(kCsum[4]),
    csum_row(kCsum[5]),
    csum_row(kCsum[6]),
    {.name = "decode-event",
     .family = KeywordFamily::kHeader,
     .once = false,
     .parse = parse_decode_event},
    {.name = "stream-event",
     .family = KeywordFamily::kHeader,
     .once = false,
     .parse = parse_stream_event},
    {.name = "fragbits",
     .family = KeywordFamily::kHeader,
     .once = true,
     .parse = parse_bits_keyword,
     .data = &kFragbits},
    {.name = "ipopts",
     .family = KeywordFamily::kHeader,
     .once = true,
     .parse = [](RuleBuilder& b, const KeywordDef& kw, const Option& opt) -> MaybeFailure {
       std::string opt_name = to_lower(opt.value);
       for (const auto& [n, bit] : kIpoptNames) {
         if (n == opt_name) {
           add_test(b, kIpopts, NumCmp{NumCmp::Op::kEq, bit, 0});
           return std::nullopt;
         }
       }
       return invalid(kw.name, "unknown option " + quoted(opt.value));
     }},
    {.name = "sameip",
     .family = KeywordFamily::kHeader,
     .value = ValueForm::kNone,
     .parse = [](RuleBuilder& b, const KeywordDef&, const Option&) -> MaybeFailure {
       add_test(b, kSameip, NumCmp{});
       return std::nullopt;
     }},
};
static_assert(std::size(kNumeric) == 13, "one numeric_row() per kNumeric entry");
static_assert(std::size(kNumeric8) == 4, "one numeric_row() per kNumeric8 entry");
static_assert(std::size(kCsum) == 7, "one csum_row() per kCsum entry");

// The IP version a rule header's protocol asks for (ipv4/ip4/icmpv4: 4; ipv6/ip6/icmpv6: 6):
// a header test like the keywords' (HeaderTest::arg is the version).
constexpr HeaderCheck kIpVersion{"ip-version", [](const HeaderTest& t, const Packet& p) {
                                   return p.ip_version == t.arg;
                                 }};

}  // namespace

std::span<const KeywordDef> header_keywords() { return kHeaderKeywords; }

void require_ip_version(Rule& rule, int version) {
  rule.header.push_back(HeaderTest{&kIpVersion, NumCmp{}, BitsMatch{}, version});
}

}  // namespace wp::detect::lang
