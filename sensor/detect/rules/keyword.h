// The keyword registry of the rule language (private to rules/). Every keyword is one row of
// its family's table: its name, whether it takes a value, whether it may be given once, and
// its parse function, which fills the Rule; header keywords carry their verifier in the same
// row (HeaderCheck). The families:
//   keywords_meta.cc       msg, sid, rev, gid, classtype, priority, reference, metadata,
//                          noalert, tag, target
//   keywords_payload.cc    content and its modifiers, pcre, isdataat, base64_decode, bsize,
//                          urilen, uricontent (sticky buffers are rows of buffers.h)
//   keywords_byte.cc       byte_test, byte_jump, byte_extract, byte_math
//   keywords_header.cc     dsize, ttl, tos, id, ip_proto, itype, icode, icmp_id, icmp_seq,
//                          seq, ack, window, fragoffset, flags, fragbits, ipopts, sameip
//   keywords_flow.cc       flow, flowbits, flowint, xbits, stream_size
//   keywords_threshold.cc  threshold, detection_filter
//   keywords_applayer.cc   app-layer-protocol, app-layer-event, dns.opcode, dns.rrtype,
//                          tls.version, ssl_version, ssl_state, tls.subject, tls.issuerdn,
//                          tls_cert_notbefore/notafter/expired/valid
//   keyword_registry.cc    the tables joined, and the keywords recognised but not supported
// Cold path.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "detect/rules/rule.h"

namespace wp::detect::lang {

// Why a rule was rejected: `reason` is the summary key (RuleError::reason), `message` the
// text shown after "FILE:LINE: [sid N: ]".
struct Failure {
  std::string reason;
  std::string message;
  // Recognised but not supported yet. Parsing goes on after such a failure so that a rule
  // that is also malformed is reported as malformed; otherwise the first one is reported.
  bool not_supported = false;
};
using MaybeFailure = std::optional<Failure>;

Failure failure(std::string reason, const std::string& detail = {});
// A rule written in Snort 3's syntax (content options after a comma, `service:`, sticky
// `http_uri;` before its content): rejected with reason "Snort 3 syntax" and what gave it
// away, instead of a confusing syntax error.
Failure snort3_syntax(const std::string& what);
// A keyword only Snort 3 has (service, bufferlen, js_data, ...).
bool snort3_keyword(std::string_view name);
Failure not_supported(std::string reason, std::string message = {});
Failure invalid(std::string_view keyword, const std::string& detail);
std::string quoted(std::string_view s);

// ASCII only (what std::isspace does in the "C" locale), without a libc call per byte.
inline bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
bool is_digits(std::string_view s);
// A decimal number within [0, max]; no sign, no hex.
std::optional<std::int64_t> parse_decimal(std::string_view s, std::int64_t max);
// An unsigned integer as Suricata reads keyword values (strtoull with base 0): decimal,
// 0x-prefixed hex, or octal with a leading 0. The whole text must be the number.
std::optional<std::uint64_t> parse_c_unsigned(std::string_view s);
// parse_c_unsigned with an optional leading '-', within [min, max].
std::optional<std::int64_t> parse_c_integer(std::string_view s, std::int64_t min, std::int64_t max);
// A byte_extract/byte_math variable name where a keyword takes a number: Suricata treats a
// value that starts with a letter as a variable name.
bool is_var_name(std::string_view v);
bool valid_var_name(std::string_view v);

// Resolves the escapes Suricata allows in a quoted option value (\" \; \\ \:), leaving other
// backslashes as written.
std::string unescape(std::string_view s);
std::string_view strip_quotes(std::string_view s);
// A quoted value (after an optional '!'). `first_quote_closes`: the first unescaped '"' ends
// it (msg, content); otherwise the last one does (a pcre pattern may contain a '"', which
// Suricata allows). Unquoted values are left to the keyword.
MaybeFailure check_closing_quote(std::string_view keyword, std::string_view value,
                                 bool first_quote_closes);

// Integer comparisons: "N", "!N", "<N", "<=N", ">N", ">=N", "N<>M", "N-M" (both ranges are
// exclusive, as in Suricata). `forms` limits which are allowed for a keyword.
enum NumForms : unsigned {
  kEqOnly = 0,
  kAllowNot = 1,
  kAllowLtGt = 2,
  kAllowRange = 4,
  kAllowAll = 7,
  // Suricata 8's integer keywords (its generic uint parser): also "!=N", "!N-M" (outside
  // the range) and numbers in hex ("0x1f").
  kAllowHex = 8,
  kAllowNotRange = 16,
  kSuricataUint = kAllowAll | kAllowHex | kAllowNotRange,
};
std::optional<NumCmp> parse_numcmp(std::string_view text, std::int64_t max, unsigned forms);
// A comparison that no value in [0, max] satisfies: "<0", ">255" on an 8-bit field, an
// exclusive range with nothing between its ends ("5<>6"). A mistake, not a rule: Suricata
// rejects these too.
bool never_matches(const NumCmp& c, std::int64_t max);
std::string never_matches_message(std::string_view text);

// content:"..." with |hex| blocks and escapes (content and uricontent).
MaybeFailure decode_content(std::string_view value, ContentMatch& out);

// One option of a rule's option list.
struct Option {
  std::string_view name;   // as written (trimmed)
  std::string_view value;  // trimmed; empty when there is none
  bool has_value = false;
};

// The state of one rule being parsed, shared by the keyword parse functions.
struct RuleBuilder {
  explicit RuleBuilder(Rule& r) : rule(r) {}

  // The content the modifiers (nocase, offset, ...) apply to: the most recent one.
  ContentMatch* last_content() {
    for (auto it = rule.payload.rbegin(); it != rule.payload.rend(); ++it) {
      if (auto* c = std::get_if<ContentMatch>(&it->match)) return c;
    }
    return nullptr;
  }
  // Appends a payload item in the current sticky buffer.
  void add_item(PayloadItem::Match m) { rule.payload.push_back({buffer, std::move(m)}); }
  // byte_extract / byte_math variables, by name -> slot.
  std::optional<std::int8_t> find_var(std::string_view name) const;
  MaybeFailure define_var(std::string_view keyword, std::string_view name, std::int8_t& slot);
  // A number within [min, max] or the name of a variable defined earlier.
  MaybeFailure number_or_var(std::string_view keyword, std::string_view what, std::string_view text,
                             std::int64_t min, std::int64_t max, std::int64_t& value,
                             std::int8_t& var) const;

  Rule& rule;
  BufferId buffer = kPktData;              // the sticky buffer new payload items inspect
  std::string unsupported_buffer;          // the last app-layer buffer named, when it is current
  std::vector<std::string_view> produced;  // keywords seen that produce a buffer (base64_decode)
  bool have_fast_pattern = false;
  bool have_flow = false;
  bool have_sid = false;
};

enum class KeywordFamily : std::uint8_t {
  kMeta,
  kPayload,
  kByte,
  kHeader,
  kFlowState,
  kThreshold,
  kAppLayer,
  kNotSupported,
};

enum class ValueForm : std::uint8_t {
  kRequired,  // "missing value" without one
  kNone,      // "takes no value" with one
  kOptional,  // either; an empty value after ':' is "missing value"
};

struct KeywordDef;
using KeywordParse = MaybeFailure (*)(RuleBuilder& b, const KeywordDef& kw, const Option& opt);

struct KeywordDef {
  std::string_view name;
  KeywordFamily family = KeywordFamily::kMeta;
  ValueForm value = ValueForm::kRequired;
  bool once = false;        // a second occurrence is "given twice"
  bool raw_quotes = false;  // checks its own quoting (msg, content)
  KeywordParse parse = nullptr;
  const void* data = nullptr;  // family-specific (the header keywords' HeaderCheck rows)
};

// A KeywordParse for a parse function that needs only the option's value.
template <MaybeFailure (*Parse)(RuleBuilder&, std::string_view)>
MaybeFailure with_value(RuleBuilder& b, const KeywordDef&, const Option& opt) {
  return Parse(b, opt.value);
}

// The family tables (each in its keywords_*.cc).
std::span<const KeywordDef> meta_keywords();
std::span<const KeywordDef> payload_keywords();
std::span<const KeywordDef> byte_keywords();
std::span<const KeywordDef> header_keywords();
std::span<const KeywordDef> flow_keywords();
std::span<const KeywordDef> threshold_keywords();
std::span<const KeywordDef> applayer_keywords();

// The application-layer protocol of a rule header (`alert dns ...`): detected protocols are
// supported, the others Suricata knows are "not supported yet".
MaybeFailure header_app_proto(std::string_view name, AppProto& out);

// Restricts `rule` to packets of IP version `version` (the header protocols ipv4, ipv6, ...).
void require_ip_version(Rule& rule, int version);

// The keyword named `name` (lower case), or null.
const KeywordDef* find_keyword(std::string_view name);
// Recognised and not supported yet (not a buffer: see recognised_buffer()).
bool recognised_unsupported_keyword(std::string_view name);

}  // namespace wp::detect::lang
