// Rule: one parsed Suricata/Snort rule, as the rule parser produces it and the rule-set
// compiler consumes it. Plain data; immutable once parsed. Built on the cold path only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "detect/address_set.h"

namespace wp::detect {

enum class Action : std::uint8_t { kAlert, kPass, kDrop, kReject };

// Header protocol. kIcmp matches ICMPv4 and ICMPv6 (as in Suricata).
enum class RuleProto : std::uint8_t { kIp, kTcp, kUdp, kIcmp };

// A numeric comparison as written in dsize, ttl, itype, icode, ... :
// "5" (kEq), "!5" (kNe), "<5", "<=5", ">5", ">=5", "1<>9" (kRangeExclusive: 1 < x < 9),
// "1-9" (kRangeInclusive, where the keyword allows it).
struct NumCmp {
  enum class Op : std::uint8_t { kEq, kNe, kLt, kLe, kGt, kGe, kRangeExclusive, kRangeInclusive };
  Op op = Op::kEq;
  std::int64_t a = 0;
  std::int64_t b = 0;  // upper bound of a range

  bool matches(std::int64_t v) const {
    switch (op) {
      case Op::kEq: return v == a;
      case Op::kNe: return v != a;
      case Op::kLt: return v < a;
      case Op::kLe: return v <= a;
      case Op::kGt: return v > a;
      case Op::kGe: return v >= a;
      case Op::kRangeExclusive: return v > a && v < b;
      case Op::kRangeInclusive: return v >= a && v <= b;
    }
    return false;
  }
};

// The buffer a payload match inspects. Only the packet payload exists in this release;
// app-layer buffers (http.uri, dns.query, ...) are recognised by the parser and make the rule
// rejected with a reason naming the buffer.
enum class Buffer : std::uint8_t { kPayload };

struct ContentMatch {
  std::string bytes;  // decoded: |hex| and \; \" \\ \: escapes resolved
  bool nocase = false;
  bool negated = false;
  bool rawbytes = false;
  bool startswith = false;  // == offset 0, depth len
  bool endswith = false;    // match must end at the end of the buffer
  bool fast_pattern = false;
  bool fast_pattern_only = false;
  std::int32_t fp_offset = -1;  // fast_pattern:offset,length (the slice used as pattern)
  std::int32_t fp_length = -1;
  std::optional<std::int32_t> offset;
  std::optional<std::int32_t> depth;
  std::optional<std::int32_t> distance;  // may be negative
  std::optional<std::int32_t> within;
  bool relative() const { return distance.has_value() || within.has_value(); }
};

// A pcre after parsing: the pattern text, its PCRE2 compile options, and the Suricata/Snort
// modifiers that are not PCRE2 options. The parser compiles it once to validate it;
// RuleSet::build() JIT-compiles the code of the rules it loads. The compiled code is shared by
// every copy of the rule.
struct PcreMatch {
  std::string pattern;          // between the slashes
  std::uint32_t options = 0;    // PCRE2_CASELESS, PCRE2_DOTALL, PCRE2_MULTILINE, ...
  bool negated = false;
  bool relative = false;        // R: starts where the previous match ended
  bool rawbytes = false;        // B
  bool anchored_start = false;  // A (PCRE2_ANCHORED at match time)
  std::shared_ptr<void> code;   // pcre2_code* (JIT-compiled once built), freed with pcre2_code_free
};

struct IsDataAt {
  std::int32_t size = 0;
  bool relative = false;
  bool negated = false;
  bool rawbytes = false;
};

struct PayloadItem {
  Buffer buffer = Buffer::kPayload;
  std::variant<ContentMatch, PcreMatch, IsDataAt> match;
};

// flow: keyword.
struct FlowMatch {
  bool established = false;
  bool not_established = false;
  bool stateless = false;
  bool to_server = false;  // also from_client
  bool to_client = false;  // also from_server
  bool only_stream = false;
  bool no_stream = false;
};

// flags: and fragbits: keywords.
struct BitsMatch {
  enum class Mod : std::uint8_t { kExact, kPlus, kAny, kNot };
  std::uint8_t bits = 0;    // bits named in the rule
  std::uint8_t ignore = 0;  // flags: second argument, bits masked off before comparing
  Mod mod = Mod::kExact;
};

// fragbits bit values (in BitsMatch::bits).
inline constexpr std::uint8_t kFragBitM = 0x1;  // more fragments
inline constexpr std::uint8_t kFragBitD = 0x2;  // don't fragment
inline constexpr std::uint8_t kFragBitR = 0x4;  // reserved

// threshold: / detection_filter: (and threshold.config event_filter lines).
struct ThresholdSpec {
  enum class Type : std::uint8_t { kLimit, kThreshold, kBoth, kDetectionFilter };
  enum class Track : std::uint8_t { kBySrc, kByDst, kByRule, kByBoth };
  Type type = Type::kLimit;
  Track track = Track::kBySrc;
  std::uint32_t count = 1;
  std::uint32_t seconds = 60;
};

// flowbits: one operation, e.g. "set,ET.foo" or "isset,a|b" (any) / "isset,a&b" (all).
struct FlowbitsOp {
  enum class Cmd : std::uint8_t { kSet, kIsSet, kIsNotSet, kUnset, kToggle };
  Cmd cmd = Cmd::kSet;
  std::vector<std::string> names;
  bool any = false;  // names joined with '|': any of them (isset/isnotset); '&' or one: all
};

struct Rule {
  // Header
  Action action = Action::kAlert;
  RuleProto proto = RuleProto::kIp;
  std::shared_ptr<const AddressSet> src_addr;
  std::shared_ptr<const PortSet> src_port;
  std::shared_ptr<const AddressSet> dst_addr;
  std::shared_ptr<const PortSet> dst_port;
  bool bidirectional = false;  // "<>"
  // The header's address text names an explicit list rather than a variable or "any": the
  // engine indexes such rules by address (the ET IP-reputation rules).
  bool src_addr_is_list = false;
  bool dst_addr_is_list = false;

  // Identity and presentation
  std::uint32_t gid = 1;
  std::uint32_t sid = 0;
  std::uint32_t rev = 0;
  std::string msg;
  std::string classtype;  // short name; resolved against classification.config by the loader
  std::optional<std::int32_t> priority;  // `priority:` overrides the classtype's
  std::vector<std::pair<std::string, std::string>> references;  // (system, id)
  std::vector<std::pair<std::string, std::string>> metadata;    // (key, value), in order

  // Detection
  std::vector<PayloadItem> payload;  // in rule order
  std::optional<NumCmp> dsize;
  std::optional<NumCmp> ttl;
  std::optional<NumCmp> tos;
  std::optional<NumCmp> ip_id;
  std::optional<NumCmp> ip_proto;
  std::optional<NumCmp> itype;
  std::optional<NumCmp> icode;
  std::optional<NumCmp> icmp_id;
  std::optional<NumCmp> icmp_seq;
  std::optional<NumCmp> tcp_seq;
  std::optional<NumCmp> tcp_ack;
  std::optional<NumCmp> window;
  std::optional<NumCmp> fragoffset;
  std::optional<BitsMatch> flags;
  std::optional<BitsMatch> fragbits;
  std::uint16_t ipopts = 0;  // decode::Ipv4Option bit the packet must carry (0: no check)
  bool sameip = false;
  FlowMatch flow;
  bool noalert = false;             // also set by flowbits:noalert
  std::optional<ThresholdSpec> threshold;         // threshold:
  std::optional<ThresholdSpec> detection_filter;  // detection_filter: (type kDetectionFilter)
  std::vector<FlowbitsOp> flowbits;               // in rule order

  // Where it came from
  std::string file;
  int line = 0;
};

}  // namespace wp::detect
