// The payload keywords: content and its modifiers (with the legacy HTTP modifiers http_uri,
// http_header, ... that move the content to an HTTP buffer), pcre (with its HTTP buffer
// flags), isdataat, base64_decode, bsize, uricontent and urilen. The sticky buffer keywords
// (pkt_data, base64_data, http.uri, ...) are rows of the buffer table (buffers.h).
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <limits>

#include "common/text.h"
#include "detect/rules/keyword.h"

namespace wp::detect::lang {
namespace {

constexpr std::int64_t kMaxPosition = std::numeric_limits<std::int32_t>::max();

MaybeFailure parse_content(RuleBuilder& b, const KeywordDef&, const Option& opt) {
  ContentMatch c;
  if (auto f = decode_content(opt.value, c)) return f;
  b.add_item(std::move(c));
  return std::nullopt;
}

// uricontent: a content of its own (later modifiers refer to it), in the http.uri buffer.
MaybeFailure parse_uricontent(RuleBuilder& b, const KeywordDef&, const Option& opt) {
  ContentMatch c;
  if (auto f = decode_content(opt.value, c)) return f;
  b.rule.payload.push_back({kHttpUri, std::move(c)});
  return std::nullopt;
}

// The legacy HTTP content modifiers (Suricata's, Snort 2.9's): the preceding content
// inspects that buffer instead of the sticky one. KeywordDef::data holds the BufferId.
MaybeFailure parse_http_modifier(RuleBuilder& b, const KeywordDef& kw, const Option&) {
  PayloadItem* item = b.last_content_item();
  if (item == nullptr) return invalid(kw.name, "no preceding content");
  if (item->buffer != kPktData) {
    return invalid(kw.name, "the preceding content is already in buffer " +
                                quoted(buffer_def(item->buffer).name));
  }
  item->buffer = *static_cast<const BufferId*>(kw.data);
  return std::nullopt;
}

constexpr BufferId kModUri = kHttpUri, kModRawUri = kHttpUriRaw, kModHeader = kHttpHeader,
                   kModRawHeader = kHttpHeaderRaw, kModClientBody = kHttpRequestBody,
                   kModServerBody = kHttpResponseBody, kModCookie = kHttpCookie,
                   kModMethod = kHttpMethod, kModStatCode = kHttpStatCode,
                   kModStatMsg = kHttpStatMsg, kModUserAgent = kHttpUserAgent,
                   kModHost = kHttpHost, kModRawHost = kHttpHostRaw;

// urilen:[op]N[,raw|norm]: the length of http.uri (or http.uri.raw), as bsize on that buffer.
MaybeFailure parse_urilen(RuleBuilder& b, std::string_view value) {
  std::vector<std::string_view> parts = split(value, ',');
  BufferId buffer = kHttpUri;
  if (parts.size() == 2 && parts[1] == "raw") {
    buffer = kHttpUriRaw;
  } else if (parts.size() > 2 || (parts.size() == 2 && parts[1] != "norm")) {
    return invalid("urilen", "expected N[,raw|norm], got " + quoted(value));
  }
  auto c = parse_numcmp(parts[0], 65535, kAllowAll);
  if (!c) return invalid("urilen", quoted(parts[0]) + " is not a valid length");
  if (never_matches(*c, 65535)) return invalid("urilen", never_matches_message(parts[0]));
  b.rule.payload.push_back({buffer, Bsize{*c}});
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------
// Content modifiers: each applies to the most recent content.

struct Modified {
  ContentMatch* c = nullptr;
  std::string_view name;
  Failure dup() const { return invalid(name, "given twice for the same content"); }
  Failure absolute_vs_relative() const {
    return invalid(name, "cannot mix offset/depth with distance/within on the same content");
  }
  Failure with_startswith() const {
    return invalid(name, "cannot be combined with startswith on the same content");
  }
  std::int64_t len() const { return static_cast<std::int64_t>(c->bytes.size()); }
};

// The content `kw` modifies, or the failure "no preceding content".
std::optional<Modified> modified(RuleBuilder& b, const KeywordDef& kw, MaybeFailure& fail) {
  ContentMatch* c = b.last_content();
  if (c == nullptr) {
    fail = invalid(kw.name, "no preceding content");
    return std::nullopt;
  }
  return Modified{c, kw.name};
}

// offset and depth: an absolute position, a number or a byte variable.
MaybeFailure absolute_position(RuleBuilder& b, const KeywordDef& kw, const Option& opt,
                               bool depth) {
  MaybeFailure fail;
  auto m = modified(b, kw, fail);
  if (!m) return fail;
  ContentMatch* c = m->c;
  std::optional<std::int32_t>& field = depth ? c->depth : c->offset;
  std::string_view v = opt.value;
  if (field) return m->dup();
  if (c->relative()) return m->absolute_vs_relative();
  if (c->startswith) return m->with_startswith();
  if (is_var_name(v)) {
    std::int64_t unused = 0;
    std::int8_t& var = depth ? c->depth_var : c->offset_var;
    if (auto f = b.number_or_var(kw.name, kw.name, v, 0, kMaxPosition, unused, var)) return f;
    field = 0;
    return std::nullopt;
  }
  auto n = parse_decimal(v, kMaxPosition);
  if (!n) return invalid(kw.name, quoted(v) + " is not a non-negative number");
  if (depth && *n < m->len()) {
    return invalid(kw.name, "depth " + std::to_string(*n) + " is smaller than the content length " +
                                std::to_string(m->len()));
  }
  field = static_cast<std::int32_t>(*n);
  return std::nullopt;
}

// distance and within: a position relative to the previous match.
MaybeFailure relative_position(RuleBuilder& b, const KeywordDef& kw, const Option& opt,
                               bool within) {
  MaybeFailure fail;
  auto m = modified(b, kw, fail);
  if (!m) return fail;
  ContentMatch* c = m->c;
  std::optional<std::int32_t>& field = within ? c->within : c->distance;
  std::string_view v = opt.value;
  if (field) return m->dup();
  if (c->offset || c->depth) return m->absolute_vs_relative();
  if (c->startswith) return m->with_startswith();
  if (is_var_name(v)) {
    std::int64_t unused = 0;
    std::int8_t& var = within ? c->within_var : c->distance_var;
    if (auto f = b.number_or_var(kw.name, kw.name, v, 0, kMaxPosition, unused, var)) return f;
    field = 0;
    return std::nullopt;
  }
  std::string_view digits = trim(v);
  bool negative = !digits.empty() && digits.front() == '-';
  auto n = parse_decimal(negative ? digits.substr(1) : digits, kMaxPosition);
  if (n && negative) *n = -*n;
  if (!n) return invalid(kw.name, quoted(v) + " is not a number");
  if (within && *n < m->len()) {
    return invalid(kw.name, "within " + std::to_string(*n) +
                                " is smaller than the content length " + std::to_string(m->len()));
  }
  field = static_cast<std::int32_t>(*n);
  return std::nullopt;
}

MaybeFailure parse_fast_pattern(RuleBuilder& b, const KeywordDef& kw, const Option& opt) {
  MaybeFailure fail;
  auto m = modified(b, kw, fail);
  if (!m) return fail;
  ContentMatch* c = m->c;
  std::string_view v = opt.value;
  if (b.have_fast_pattern) {
    return invalid(kw.name, "only one content of a rule can be the fast pattern");
  }
  b.have_fast_pattern = true;
  c->fast_pattern = true;
  if (!opt.has_value) return std::nullopt;
  if (to_lower(v) == "only") {
    c->fast_pattern_only = true;
    return std::nullopt;
  }
  std::size_t comma = v.find(',');
  auto off = comma == std::string_view::npos ? std::nullopt
                                             : parse_decimal(v.substr(0, comma), kMaxPosition);
  auto flen = comma == std::string_view::npos ? std::nullopt
                                              : parse_decimal(v.substr(comma + 1), kMaxPosition);
  if (!off || !flen || *flen == 0) {
    return invalid(kw.name, "expected 'only' or 'offset,length', got " + quoted(v));
  }
  if (*off + *flen > m->len()) {
    return invalid(kw.name, "offset " + std::to_string(*off) + " + length " +
                                std::to_string(*flen) + " is beyond the content length " +
                                std::to_string(m->len()));
  }
  c->fp_offset = static_cast<std::int32_t>(*off);
  c->fp_length = static_cast<std::int32_t>(*flen);
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------
// pcre, isdataat, base64_decode, bsize

// pcre modifiers that select an HTTP buffer, with the buffer's Suricata name.
std::optional<std::string_view> pcre_http_buffer(char flag) {
  switch (flag) {
    case 'U':
      return "http.uri";
    case 'I':
      return "http.uri.raw";
    case 'P':
      return "http.request_body";
    case 'Q':
      return "http.response_body";  // the server body (file.data from the server)
    case 'H':
      return "http.header";
    case 'D':
      return "http.header.raw";
    case 'M':
      return "http.method";
    case 'C':
      return "http.cookie";
    case 'K':
      return "http.cookie.raw";
    case 'S':
      return "http.stat_code";
    case 'Y':
      return "http.stat_msg";
    case 'V':
      return "http.user_agent";
    case 'W':
      return "http.host";
    case 'Z':
      return "http.host.raw";
    default:
      return std::nullopt;
  }
}

MaybeFailure parse_isdataat(RuleBuilder& b, std::string_view value) {
  IsDataAt d;
  std::vector<std::string_view> parts = split(value, ',');
  std::string_view size = parts[0];
  if (!size.empty() && size.front() == '!') {
    d.negated = true;
    size = trim(size.substr(1));
  }
  if (is_var_name(size)) {
    std::int64_t unused = 0;
    if (auto f = b.number_or_var("isdataat", "size", size, 0, 65535, unused, d.size_var)) return f;
  } else {
    auto n = parse_decimal(size, 65535);
    if (!n) return invalid("isdataat", quoted(parts[0]) + " is not a valid size");
    d.size = static_cast<std::int32_t>(*n);
  }
  for (std::size_t i = 1; i < parts.size(); ++i) {
    if (parts[i] == "relative") {
      d.relative = true;
    } else if (parts[i] == "rawbytes") {
      d.rawbytes = true;
    } else {
      return invalid("isdataat", "unknown modifier " + quoted(parts[i]));
    }
  }
  b.add_item(d);
  return std::nullopt;
}

MaybeFailure parse_pcre(RuleBuilder& b, std::string_view value) {
  PcreMatch m;
  std::string_view v = trim(value);
  if (!v.empty() && v.front() == '!') {
    m.negated = true;
    v = trim(v.substr(1));
  }
  v = strip_quotes(v);
  std::size_t last = v.rfind('/');
  if (v.empty() || v.front() != '/' || last == 0) {
    return invalid("pcre", "expected \"/pattern/flags\"");
  }
  m.pattern = std::string(v.substr(1, last - 1));
  std::optional<BufferId> http_buffer;  // a flag selecting an HTTP buffer (U, H, ...)
  for (char f : v.substr(last + 1)) {
    switch (f) {
      case 'i':
        m.options |= PCRE2_CASELESS;
        break;
      case 's':
        m.options |= PCRE2_DOTALL;
        break;
      case 'm':
        m.options |= PCRE2_MULTILINE;
        break;
      case 'x':
        m.options |= PCRE2_EXTENDED;
        break;
      case 'E':
        m.options |= PCRE2_DOLLAR_ENDONLY;
        break;
      case 'G':
        m.options |= PCRE2_UNGREEDY;
        break;
      case 'A':
        // Compiled in, so the JIT code is anchored (JIT ignores PCRE2_ANCHORED at match time).
        m.options |= PCRE2_ANCHORED;
        m.anchored_start = true;
        break;
      case 'R':
        m.relative = true;
        break;
      case 'B':
        m.rawbytes = true;
        break;
      case 'O':
        break;  // override the configured match limits: the limits are ours to keep
      default: {
        const auto name = pcre_http_buffer(f);
        if (!name) return invalid("pcre", "unknown flag " + quoted(std::string(1, f)));
        const auto id = find_buffer(*name);
        if (!id) {
          return not_supported("buffer " + quoted(*name) + " not supported yet",
                               "buffer " + quoted(*name) + " not supported yet (pcre flag " +
                                   quoted(std::string(1, f)) + ")");
        }
        if (http_buffer && *http_buffer != *id) {
          return invalid("pcre", "flags name two HTTP buffers");
        }
        http_buffer = *id;
      }
    }
  }
  int error = 0;
  PCRE2_SIZE error_offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(m.pattern.data()), m.pattern.size(),
                                   m.options, &error, &error_offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(error, buf, sizeof buf);
    return invalid("pcre", std::string(reinterpret_cast<const char*>(buf)) + " at offset " +
                               std::to_string(error_offset));
  }
  // JIT compilation waits for RuleSet::build(): most rules of a public set are rejected
  // (app-layer), and JIT-compiling their pcres was a tenth of the load time.
  m.code =
      std::shared_ptr<void>(code, [](void* p) { pcre2_code_free(static_cast<pcre2_code*>(p)); });
  if (http_buffer) {
    b.rule.payload.push_back({*http_buffer, std::move(m)});
  } else {
    b.add_item(std::move(m));
  }
  return std::nullopt;
}

// base64_decode[:bytes N][, offset N][, relative]
MaybeFailure parse_base64_decode(RuleBuilder& b, std::string_view value, bool has_value) {
  constexpr std::string_view kKw = "base64_decode";
  if (b.buffer == kBase64Data) return invalid(kKw, "cannot decode the base64_data buffer");
  Base64Decode d;
  std::vector<std::string> seen;
  if (has_value) {
    for (std::string_view part : split(value, ',')) {
      std::size_t space = part.find_first_of(" \t");
      std::string key = to_lower(part.substr(0, space));
      std::string_view arg = space == std::string_view::npos ? "" : trim(part.substr(space));
      if (key == "relative" && arg.empty()) {
        d.relative = true;
      } else if ((key == "bytes" || key == "offset") && !arg.empty()) {
        auto n = parse_c_integer(arg, key == "bytes" ? 1 : 0, 65535);
        if (!n) {
          return invalid(kKw, key + " " + quoted(arg) + " is not a number from " +
                                  (key == "bytes" ? "1" : "0") + " to 65535");
        }
        (key == "bytes" ? d.bytes : d.offset) = static_cast<std::uint32_t>(*n);
      } else {
        return invalid(kKw, "unknown option " + quoted(part));
      }
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
        return invalid(kKw, quoted(key) + " given twice");
      }
      seen.push_back(key);
    }
  }
  b.produced.push_back(kKw);
  b.add_item(d);
  return std::nullopt;
}

// bsize:N, !N, <N, <=N, >N, >=N, N<>M or N-M: the length of the current sticky buffer.
MaybeFailure parse_bsize(RuleBuilder& b, std::string_view value) {
  if (!b.unsupported_buffer.empty()) {
    return not_supported("buffer " + quoted(b.unsupported_buffer) + " not supported yet");
  }
  if (b.buffer == kPktData) {
    return invalid("bsize", "no sticky buffer before it (e.g. base64_data)");
  }
  auto c = parse_numcmp(value, std::numeric_limits<std::uint32_t>::max(), kAllowAll);
  if (!c) return invalid("bsize", quoted(value) + " is not a valid value");
  if (never_matches(*c, std::numeric_limits<std::uint32_t>::max())) {
    return invalid("bsize", never_matches_message(value));
  }
  b.add_item(Bsize{*c});
  return std::nullopt;
}

constexpr KeywordDef kPayloadKeywords[] = {
    {.name = "content",
     .family = KeywordFamily::kPayload,
     .raw_quotes = true,
     .parse = parse_content},
    {.name = "uricontent",
     .family = KeywordFamily::kPayload,
     .raw_quotes = true,
     .parse = parse_uricontent},
    {.name = "nocase",
     .family = KeywordFamily::kPayload,
     .value = ValueForm::kNone,
     .parse = [](RuleBuilder& b, const KeywordDef& kw, const Option&) -> MaybeFailure {
       MaybeFailure fail;
       auto m = modified(b, kw, fail);
       if (!m) return fail;
       if (m->c->nocase) return m->dup();
       m->c->nocase = true;
       return std::nullopt;
     }},
    {.name = "rawbytes",
     .family = KeywordFamily::kPayload,
     .value = ValueForm::kNone,
     .parse = [](RuleBuilder& b, const KeywordDef& kw, const Option&) -> MaybeFailure {
       MaybeFailure fail;
       auto m = modified(b, kw, fail);
       if (!m) return fail;
       m->c->rawbytes = true;  // the buffer is always the raw payload
       return std::nullopt;
     }},
    {.name = "offset",
     .family = KeywordFamily::kPayload,
     .parse = [](RuleBuilder& b, const KeywordDef& kw,
                 const Option& o) { return absolute_position(b, kw, o, false); }},
    {.name = "depth",
     .family = KeywordFamily::kPayload,
     .parse = [](RuleBuilder& b, const KeywordDef& kw,
                 const Option& o) { return absolute_position(b, kw, o, true); }},
    {.name = "distance",
     .family = KeywordFamily::kPayload,
     .parse = [](RuleBuilder& b, const KeywordDef& kw,
                 const Option& o) { return relative_position(b, kw, o, false); }},
    {.name = "within",
     .family = KeywordFamily::kPayload,
     .parse = [](RuleBuilder& b, const KeywordDef& kw,
                 const Option& o) { return relative_position(b, kw, o, true); }},
    {.name = "fast_pattern",
     .family = KeywordFamily::kPayload,
     .value = ValueForm::kOptional,
     .parse = parse_fast_pattern},
    {.name = "startswith",
     .family = KeywordFamily::kPayload,
     .value = ValueForm::kNone,
     .parse = [](RuleBuilder& b, const KeywordDef& kw, const Option&) -> MaybeFailure {
       MaybeFailure fail;
       auto m = modified(b, kw, fail);
       if (!m) return fail;
       ContentMatch* c = m->c;
       if (c->startswith) return m->dup();
       if (c->offset || c->depth || c->relative()) {
         return invalid(kw.name, "cannot be combined with offset, depth, distance or within");
       }
       c->startswith = true;
       return std::nullopt;
     }},
    {.name = "endswith",
     .family = KeywordFamily::kPayload,
     .value = ValueForm::kNone,
     .parse = [](RuleBuilder& b, const KeywordDef& kw, const Option&) -> MaybeFailure {
       MaybeFailure fail;
       auto m = modified(b, kw, fail);
       if (!m) return fail;
       if (m->c->endswith) return m->dup();
       m->c->endswith = true;
       return std::nullopt;
     }},
    {.name = "isdataat", .family = KeywordFamily::kPayload, .parse = with_value<parse_isdataat>},
    {.name = "pcre", .family = KeywordFamily::kPayload, .parse = with_value<parse_pcre>},
    {.name = "base64_decode",
     .family = KeywordFamily::kPayload,
     .value = ValueForm::kOptional,
     .parse = [](RuleBuilder& b, const KeywordDef&,
                 const Option& o) { return parse_base64_decode(b, o.value, o.has_value); }},
    {.name = "bsize", .family = KeywordFamily::kPayload, .parse = with_value<parse_bsize>},
    {.name = "urilen", .family = KeywordFamily::kPayload, .parse = with_value<parse_urilen>},
    {.name = "http_uri", .family = KeywordFamily::kPayload, .value = ValueForm::kNone,
     .parse = parse_http_modifier, .data = &kModUri},
    {.name = "http_raw_uri", .family = KeywordFamily::kPayload, .value = ValueForm::kNone,
     .parse = parse_http_modifier, .data = &kModRawUri},
    {.name = "http_header", .family = KeywordFamily::kPayload, .value = ValueForm::kNone,
     .parse = parse_http_modifier, .data = &kModHeader},
    {.name = "http_raw_header", .family = KeywordFamily::kPayload, .value = ValueForm::kNone,
     .parse = parse_http_modifier, .data = &kModRawHeader},
    {.name = "http_client_body", .family = KeywordFamily::kPayload, .value = ValueForm::kNone,
     .parse = parse_http_modifier, .data = &kModClientBody},
    {.name = "http_server_body", .family = KeywordFamily::kPayload, .value = ValueForm::kNone,
     .parse = parse_http_modifier, .data = &kModServerBody},
    {.name = "http_cookie", .family = KeywordFamily::kPayload, .value = ValueForm::kNone,
     .parse = parse_http_modifier, .data = &kModCookie},
    {.name = "http_method", .family = KeywordFamily::kPayload, .value = ValueForm::kNone,
     .parse = parse_http_modifier, .data = &kModMethod},
    {.name = "http_stat_code", .family = KeywordFamily::kPayload, .value = ValueForm::kNone,
     .parse = parse_http_modifier, .data = &kModStatCode},
    {.name = "http_stat_msg", .family = KeywordFamily::kPayload, .value = ValueForm::kNone,
     .parse = parse_http_modifier, .data = &kModStatMsg},
    {.name = "http_user_agent", .family = KeywordFamily::kPayload, .value = ValueForm::kNone,
     .parse = parse_http_modifier, .data = &kModUserAgent},
    {.name = "http_host", .family = KeywordFamily::kPayload, .value = ValueForm::kNone,
     .parse = parse_http_modifier, .data = &kModHost},
    {.name = "http_raw_host", .family = KeywordFamily::kPayload, .value = ValueForm::kNone,
     .parse = parse_http_modifier, .data = &kModRawHost},
};

}  // namespace

std::span<const KeywordDef> payload_keywords() { return kPayloadKeywords; }

}  // namespace wp::detect::lang
