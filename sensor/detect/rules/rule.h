// Rule: one parsed Suricata/Snort rule, as the rule parser produces it and the rule-set
// compiler consumes it. Plain data; immutable once parsed. Built on the cold path only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/app_proto.h"
#include "decode/packet.h"
#include "detect/rules/address_set.h"
#include "detect/rules/buffers.h"

namespace wp::detect {

enum class Action : std::uint8_t { kAlert, kPass, kDrop, kReject };

// Header protocol. kIcmp matches ICMPv4 and ICMPv6 (as in Suricata).
enum class RuleProto : std::uint8_t { kIp, kTcp, kUdp, kIcmp };

// A numeric comparison as written in dsize, ttl, itype, icode, ... :
// "5" (kEq), "!5" (kNe), "<5", "<=5", ">5", ">=5", "1<>9" (kRangeExclusive: 1 < x < 9),
// "1-9" (kRangeInclusive, where the keyword allows it).
struct NumCmp {
  enum class Op : std::uint8_t {
    kEq, kNe, kLt, kLe, kGt, kGe, kRangeExclusive, kRangeInclusive,
    kNotRangeExclusive  // Suricata's "!N-M": outside the exclusive range
  };
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
      case Op::kNotRangeExclusive: return !(v > a && v < b);
    }
    return false;
  }
};

// At most this many byte_extract / byte_math variables per rule (Suricata sets no fixed limit;
// ET Open uses at most two). A variable is a slot number 0..kMaxByteVars-1.
inline constexpr int kMaxByteVars = 16;
inline constexpr std::int8_t kNoVar = -1;

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
  // A modifier written as a byte_extract/byte_math variable name: the optional above holds 0
  // as a placeholder and the value is read from this variable slot at match time.
  std::int8_t offset_var = kNoVar;
  std::int8_t depth_var = kNoVar;
  std::int8_t distance_var = kNoVar;
  std::int8_t within_var = kNoVar;
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
  std::int8_t size_var = kNoVar;  // size from a byte_extract/byte_math variable
  bool relative = false;
  bool negated = false;
  bool rawbytes = false;
};

// How byte_test, byte_jump, byte_extract and byte_math read a number from the buffer:
// `nbytes` bytes at `offset` (from the start, or with `relative` from the end of the previous
// match), binary (big or little endian) or as text in base 8, 10 or 16 ("string").
struct ByteRead {
  std::uint8_t nbytes = 0;  // 0 only with string (byte_test): the digits up to the buffer end
  // byte_jump and byte_math (Suricata 8): the count from a byte_extract/byte_math variable,
  // checked when the keyword runs (ByteRead::max_nbytes()).
  std::int8_t nbytes_var = kNoVar;
  std::uint8_t base = 0;    // 0: binary; 8, 10, 16: string with that base
  bool little_endian = false;
  bool relative = false;
  std::int32_t offset = 0;
  std::int8_t offset_var = kNoVar;
  std::uint32_t bitmask = 0;  // 0: none; else value = (value & bitmask) >> trailing zeros

  // The largest count a variable may give (Suricata 8's check for a variable count): 8
  // bytes binary, 10 as a string. A value of 0 or above it makes the keyword not match.
  std::uint8_t max_nbytes() const { return base == 0 ? 8 : 10; }
};

struct ByteTest {
  enum class Op : std::uint8_t { kLt, kGt, kEq, kLe, kGe, kAnd, kXor };
  ByteRead read;
  Op op = Op::kEq;
  bool negated = false;  // "!" before the operator
  std::uint64_t value = 0;
  std::int8_t value_var = kNoVar;
};

struct ByteJump {
  ByteRead read;
  std::uint32_t multiplier = 1;
  bool align = false;  // round the jump up to a multiple of 4
  bool from_beginning = false;
  bool from_end = false;
  std::int32_t post_offset = 0;
};

struct ByteExtract {
  ByteRead read;
  std::uint32_t multiplier = 1;
  std::uint8_t align = 0;  // 0, 2 or 4: round the value up to a multiple of it
  std::int8_t var = 0;     // slot the value is stored in
};

struct ByteMath {
  enum class Oper : std::uint8_t { kAdd, kSub, kMul, kDiv, kShl, kShr };
  ByteRead read;
  Oper oper = Oper::kAdd;
  std::uint64_t rvalue = 0;
  std::int8_t rvalue_var = kNoVar;
  std::int8_t result_var = 0;
};

// base64_decode: decodes `bytes` (0: all) bytes from `offset` into the base64_data buffer.
struct Base64Decode {
  std::uint32_t bytes = 0;
  std::uint32_t offset = 0;
  bool relative = false;
};

// bsize: the length of the item's buffer (base64_data in this release).
struct Bsize {
  NumCmp size;
};

// One payload keyword, in the buffer it inspects (a row of the buffer table: the packet
// payload, or the data the rule's base64_decode decoded). App-layer buffers without a row
// (http.uri, dns.query, ...) are recognised by the parser and make the rule rejected with a
// reason naming the buffer.
struct PayloadItem {
  using Match = std::variant<ContentMatch, PcreMatch, IsDataAt, ByteTest, ByteJump, ByteExtract,
                             ByteMath, Base64Decode, Bsize>;
  BufferId buffer = kPktData;
  Match match;
  // The transform chain its buffer goes through first: 0 none, else Rule::transforms[chain-1].
  std::uint8_t chain = 0;
};

// One transform of a chain after a sticky buffer (Suricata 8 semantics): the rule's items of
// that buffer inspect the transformed bytes.
struct TransformOp {
  enum class Kind : std::uint8_t {
    kDotPrefix,          // "." before the buffer
    kToLowercase,        // ASCII
    kToUppercase,        // ASCII
    kStripWhitespace,    // every whitespace byte removed
    kCompressWhitespace, // each run of whitespace cut to its first byte
    kUrlDecode,          // %HH decoded, '+' a space
    kToMd5,              // the digest's raw bytes
    kToSha1,
    kToSha256,
    kPcrexform,          // the first capture group (or the whole match) of `code`
    kXor,                // each byte XORed with `arg`, repeated
    kHeaderLowercase,    // header names ("Name:" at each line start) lower-cased
    kStripPseudoHeaders, // lines starting with ':' removed
  };
  Kind kind = Kind::kDotPrefix;
  std::string arg;             // xor: the key bytes; pcrexform: the pattern
  std::shared_ptr<void> code;  // pcrexform: pcre2_code*
  // The transform keeps every byte of a match of the original (a content found in the
  // output has its bytes, up to case, in the input): its contents may prefilter there.
  bool prefilter_safe() const {
    return kind == Kind::kDotPrefix || kind == Kind::kToLowercase || kind == Kind::kToUppercase;
  }
};
using TransformChain = std::vector<TransformOp>;

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

struct HeaderTest;

// A header keyword's verifier (dsize, ttl, flags, ...), defined with its parser in the
// keyword's table row (rules/keywords_header.cc) and run by the engine on each candidate.
struct HeaderCheck {
  std::string_view keyword;
  // Whether the packet passes the test; false when the packet lacks the field (a ttl test
  // on a packet without IP, flags on a non-TCP packet).
  bool (*matches)(const HeaderTest& test, const decode::Packet& pkt);
  // A rule with this keyword is inspected per packet, never on the reassembled stream
  // (dsize: the size of one packet's payload).
  bool packet_only = false;
  // stream-event: decided by the stream stage, so in a tracked session the rule is evaluated
  // after the packet's reassembly (Detector::inspect_stream_events), as Suricata runs its
  // stream engine before detection.
  bool stream_event = false;
};

// One header keyword of a rule with its parsed value.
struct HeaderTest {
  const HeaderCheck* check = nullptr;  // static: the keyword's row
  NumCmp cmp;                          // numeric keywords (ipopts: the option bit in cmp.a)
  BitsMatch bits;                      // flags, fragbits
  std::int32_t arg = 0;                // keyword-specific: vlan.id's layer, *-csum's valid/invalid
  bool matches(const decode::Packet& pkt) const { return check->matches(*this, pkt); }
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

// threshold: / detection_filter: (and threshold.config event_filter lines).
struct ThresholdSpec {
  // kBackoff (Suricata 7+): alerts on the count-th match, then on count * multiplier,
  // count * multiplier^2, ... (no time window).
  enum class Type : std::uint8_t { kLimit, kThreshold, kBoth, kDetectionFilter, kBackoff };
  // kByFlow: one counter per flow (its flow id).
  enum class Track : std::uint8_t { kBySrc, kByDst, kByRule, kByBoth, kByFlow };
  Type type = Type::kLimit;
  Track track = Track::kBySrc;
  std::uint32_t count = 1;
  std::uint32_t seconds = 60;
  std::uint32_t multiplier = 0;  // kBackoff

  // The names used by rules and threshold.config (case-insensitive); false when unknown.
  static bool parse_type(std::string_view name, Type& out);    // limit, threshold, both, backoff
  // by_src, by_dst, by_rule, by_both, by_flow
  static bool parse_track(std::string_view name, Track& out);
};

// flowbits: one operation, e.g. "set,ET.foo" or "isset,a|b" (any) / "isset,a&b" (all).
struct FlowbitsOp {
  enum class Cmd : std::uint8_t { kSet, kIsSet, kIsNotSet, kUnset, kToggle };
  Cmd cmd = Cmd::kSet;
  std::vector<std::string> names;
  bool any = false;  // names joined with '|': any of them (isset/isnotset); '&' or one: all
};

// flowint: one operation on a per-flow unsigned 32-bit integer, e.g. "count,+,1",
// "count,>,limit" (compared with another flowint) or "count,isset". Set, add and subtract
// run after the rule matched; the others are conditions of the match (as in Suricata).
struct FlowintOp {
  enum class Op : std::uint8_t {
    kSet,      // "=" (action)
    kAdd,      // "+" (action)
    kSub,      // "-" (action)
    kEq,       // "=="
    kNe,       // "!="
    kLt,       // "<"
    kLe,       // "<="
    kGt,       // ">"
    kGe,       // ">="
    kIsSet,    // "isset"
    kIsNotSet  // "notset", "isnotset"
  };
  Op op = Op::kSet;
  std::string name;
  std::string target_var;  // the value is this flowint's (0 when unset) when non-empty
  std::uint32_t value = 0;
  bool is_action() const { return op == Op::kSet || op == Op::kAdd || op == Op::kSub; }
};

// xbits: a named bit on a host (the packet's source or destination) or on an address pair,
// with an expiry in packet time, e.g. "set,ET.scan,track ip_src,expire 300".
struct XbitsOp {
  enum class Cmd : std::uint8_t { kSet, kUnset, kToggle, kIsSet, kIsNotSet };
  enum class Track : std::uint8_t { kIpSrc, kIpDst, kIpPair };
  static constexpr std::uint32_t kDefaultExpire = 30;  // seconds, Suricata's default
  Cmd cmd = Cmd::kSet;
  std::string name;
  Track track = Track::kIpSrc;
  std::uint32_t expire = kDefaultExpire;
  bool is_check() const { return cmd == Cmd::kIsSet || cmd == Cmd::kIsNotSet; }
};

// tag: parsed and kept; the engine does not tag (log further packets) yet.
struct TagSpec {
  enum class Type : std::uint8_t { kSession, kHost };
  enum class Metric : std::uint8_t { kPackets, kBytes, kSeconds };
  enum class Direction : std::uint8_t { kUnspecified, kSrc, kDst };
  static constexpr std::uint32_t kDefaultCount = 256;  // packets, Suricata's default
  Type type = Type::kSession;
  std::uint32_t count = kDefaultCount;
  Metric metric = Metric::kPackets;
  Direction direction = Direction::kUnspecified;
};

// app-layer-protocol:[!]NAME: the flow's detected protocol is (not) NAME. Like Suricata, it
// holds only once detection decided (a flow still being detected matches neither form);
// "failed" names flows on which detection gave up.
struct AppProtoTest {
  AppProto proto = AppProto::kUnknown;
  bool negated = false;
};

// A keyword evaluated on an application-layer transaction, not on a buffer (rules/
// keywords_applayer.cc parses them, the engine evaluates them on the parser's data).
struct TxTest {
  enum class Kind : std::uint8_t {
    kDnsOpcode,      // dns.opcode:[!]N  (cmp on the message's opcode)
    kDnsRrtype,      // dns.rrtype:[!]N  (cmp on each question's type: one must hold)
    kTlsVersion,     // tls.version:1.2 / 0x0303 (cmp.a: the negotiated version)
    kSslVersion,     // ssl_version:sslv3,tls1.0 (mask: bits of kSslVersion*; negated: none)
    kSslState,       // ssl_state:client_hello|server_hello (mask: the progress points)
    kTlsSubject,     // tls.subject:"CN=..." (text in the leaf's subject; negated: not in)
    kTlsIssuer,      // tls.issuerdn:"..."
    kCertNotBefore,  // tls_cert_notbefore:<2020-01-01 (cmp on seconds since the epoch)
    kCertNotAfter,   // tls_cert_notafter:...
    kCertExpired,    // tls_cert_expired (packet time after notAfter)
    kCertValid,      // tls_cert_valid (packet time within the validity)
    kAppLayerEvent,  // app-layer-event:dns.malformed_data (mask: the parser's event bit)
    kFtpBounce,          // ftpbounce: a PORT command's address is not the client's
    kFtpDynamicPort,     // ftp.dynamic_port:[!]N / ranges (cmp on the announced port)
    kFtpMode,            // ftp.mode:active|passive (mask: 1 active, 2 passive)
    kFtpReplyReceived,   // ftp.reply_received:yes|no (negated: no)
    kSshProtoVersion,    // ssh.protoversion:2.0 / 2_compat (text: a prefix of ssh.proto)
    kSshSoftwareVersion, // ssh.softwareversion:OpenSSH (text: a prefix of ssh.software)
  };
  Kind kind = Kind::kDnsOpcode;
  AppProto proto = AppProto::kUnknown;  // the protocol whose transactions it reads
  NumCmp cmp;
  std::uint64_t mask = 0;
  bool negated = false;
  std::string text;
};
// ssl_version bits (TxTest::mask).
inline constexpr std::uint32_t kSslVersionSsl2 = 1, kSslVersionSsl3 = 2, kSslVersionTls10 = 4,
                               kSslVersionTls11 = 8, kSslVersionTls12 = 16,
                               kSslVersionTls13 = 32;

// target: which side of the alert is the target of the attack (kept; not in EVE yet).
enum class Target : std::uint8_t { kNone, kSrcIp, kDestIp };

struct Rule {
  // Header
  Action action = Action::kAlert;
  RuleProto proto = RuleProto::kIp;
  std::shared_ptr<const AddressSet> src_addr;
  std::shared_ptr<const PortSet> src_port;
  std::shared_ptr<const AddressSet> dst_addr;
  std::shared_ptr<const PortSet> dst_port;
  bool bidirectional = false;  // "<>"
  // An application-layer protocol in the header (`alert dns ...`): the rule matches only in
  // flows detected as it. kUnknown: the header named a transport protocol.
  AppProto app_proto = AppProto::kUnknown;
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
  std::vector<TransformChain> transforms;  // PayloadItem::chain - 1 indexes it
  // Header keywords (dsize, ttl, tos, id, ip_proto, flags, ...), in rule order.
  std::vector<HeaderTest> header;
  // stream_size: bytes a TCP session's client and/or server sent (Suricata counts the SYN as
  // one), compared with `cmp`; never matches outside a tracked session. Repeatable: all must
  // hold.
  struct StreamSize {
    enum class Side : std::uint8_t { kClient, kServer, kBoth, kEither };
    Side side = Side::kClient;
    NumCmp cmp;
  };
  std::vector<StreamSize> stream_sizes;
  // flow.pkts / flow.bytes (Suricata 8: `flow.pkts:toserver,>5`; 7: `flow.pkts_toserver:>5`)
  // and flow.age (seconds since the flow's first packet), counted with this packet. Without
  // a flow they never match. Repeatable: all must hold.
  struct FlowCounter {
    enum class What : std::uint8_t { kPkts, kBytes, kAge };
    enum class Dir : std::uint8_t { kToServer, kToClient, kEither, kBoth };
    What what = What::kPkts;
    Dir dir = Dir::kEither;
    NumCmp cmp;
  };
  std::vector<FlowCounter> flow_counters;
  FlowMatch flow;
  bool noalert = false;             // also set by flowbits:noalert
  std::optional<ThresholdSpec> threshold;         // threshold:
  std::optional<ThresholdSpec> detection_filter;  // detection_filter: (type kDetectionFilter)
  std::vector<FlowbitsOp> flowbits;               // in rule order
  std::vector<FlowintOp> flowints;                // in rule order
  std::vector<XbitsOp> xbits;                     // in rule order
  std::vector<TagSpec> tags;                      // tag: (kept, not acted on yet)
  Target target = Target::kNone;                  // target:
  std::vector<std::string> byte_vars;             // byte_extract/byte_math variable names, by slot
  std::vector<AppProtoTest> app_proto_tests;      // app-layer-protocol:, all must hold
  std::vector<TxTest> tx_tests;                   // transaction keywords, all must hold

  // Where it came from
  std::string file;
  int line = 0;

  // The header test of `keyword` ("ttl", "flags", ...), or null.
  const HeaderTest* header_test(std::string_view keyword) const {
    for (const HeaderTest& t : header) {
      if (t.check->keyword == keyword) return &t;
    }
    return nullptr;
  }
  // Inspects an application-layer transaction: it has a transaction buffer or keyword.
  bool on_transaction() const {
    if (!tx_tests.empty()) return true;
    for (const PayloadItem& p : payload) {
      if (buffer_def(p.buffer).scope == BufferScope::kTransaction) return true;
    }
    return false;
  }
  bool has_stream_event() const {
    for (const HeaderTest& t : header) {
      if (t.check->stream_event) return true;
    }
    return false;
  }
  // Inspected per packet only (a header keyword such as dsize, or a header buffer such as
  // tcp.hdr, says so).
  bool packet_only() const {
    for (const HeaderTest& t : header) {
      if (t.check->packet_only) return true;
    }
    for (const PayloadItem& p : payload) {
      if (buffer_def(p.buffer).header) return true;
    }
    return false;
  }
};

}  // namespace wp::detect
