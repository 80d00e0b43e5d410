// The transform keywords (Suricata 8): dotprefix, to_lowercase, to_uppercase,
// strip_whitespace, compress_whitespace, url_decode, to_md5, to_sha1, to_sha256,
// pcrexform, xor, header_lowercase, strip_pseudo_headers. A chain of them follows a sticky
// buffer of the application layer and applies to that buffer for this rule: the payload items
// after it inspect the transformed bytes (engine/transforms.h computes them).
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "common/text.h"
#include "detect/rules/keyword.h"

namespace wp::detect::lang {
namespace {

// Suricata allows at most this many transforms per buffer.
constexpr std::size_t kMaxTransforms = 16;

// Appends `op` to the chain of the current sticky buffer (a new chain at the first one). As
// in Suricata, where a transform belongs to the buffer's whole list, one written after the
// buffer's first items applies to them too (ET has such a rule: sid 2044076).
MaybeFailure add_transform(RuleBuilder& b, std::string_view keyword, TransformOp op) {
  if (buffer_def(b.buffer).scope != BufferScope::kTransaction) {
    return not_supported("transform " + quoted(keyword) + " on buffer " +
                         quoted(buffer_def(b.buffer).name) + " not supported yet");
  }
  if (b.chain == 0) {
    if (b.rule.transforms.size() >= 255) return invalid(keyword, "too many transform chains");
    b.rule.transforms.emplace_back();
    b.chain = static_cast<std::uint8_t>(b.rule.transforms.size());
    for (std::size_t i = b.sticky_start; i < b.rule.payload.size(); ++i) {
      PayloadItem& item = b.rule.payload[i];
      if (item.buffer == b.buffer && item.chain == 0) item.chain = b.chain;
    }
  }
  TransformChain& chain = b.rule.transforms[b.chain - 1];
  if (chain.size() == kMaxTransforms) return invalid(keyword, "more than 16 transforms");
  chain.push_back(std::move(op));
  return std::nullopt;
}

template <TransformOp::Kind K>
MaybeFailure plain(RuleBuilder& b, const KeywordDef& kw, const Option&) {
  TransformOp op;
  op.kind = K;
  return add_transform(b, kw.name, std::move(op));
}

// pcrexform:"<regex>": the output is the first capture group (or the whole match).
MaybeFailure parse_pcrexform(RuleBuilder& b, std::string_view value) {
  TransformOp op;
  op.kind = TransformOp::Kind::kPcrexform;
  op.arg = unescape(strip_quotes(value));
  if (op.arg.empty()) return invalid("pcrexform", "empty pattern");
  int error = 0;
  PCRE2_SIZE at = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(op.arg.data()), op.arg.size(), 0,
                                   &error, &at, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(error, buf, sizeof buf);
    return invalid("pcrexform", std::string(reinterpret_cast<const char*>(buf)) + " at offset " +
                                    std::to_string(at));
  }
  op.code =
      std::shared_ptr<void>(code, [](void* p) { pcre2_code_free(static_cast<pcre2_code*>(p)); });
  return add_transform(b, "pcrexform", std::move(op));
}

// xor:"<hex key>": an even number of hex digits, at least one byte.
MaybeFailure parse_xor(RuleBuilder& b, std::string_view value) {
  const std::string_view hex = strip_quotes(trim(value));
  if (hex.empty() || hex.size() % 2 != 0 || hex.size() > 510) {
    return invalid("xor", "expected an even number of hex digits, got " + quoted(value));
  }
  TransformOp op;
  op.kind = TransformOp::Kind::kXor;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int v = 0;
    for (std::size_t k = i; k < i + 2; ++k) {
      const char c = hex[k];
      const int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
      if (d < 0) return invalid("xor", quoted(value) + " is not hex");
      v = v * 16 + d;
    }
    op.arg.push_back(static_cast<char>(v));
  }
  return add_transform(b, "xor", std::move(op));
}

using K = TransformOp::Kind;

constexpr KeywordDef kTransformKeywords[] = {
    {.name = "dotprefix", .family = KeywordFamily::kPayload, .value = ValueForm::kNone,
     .parse = plain<K::kDotPrefix>},
    {.name = "to_lowercase", .family = KeywordFamily::kPayload, .value = ValueForm::kNone,
     .parse = plain<K::kToLowercase>},
    {.name = "to_uppercase", .family = KeywordFamily::kPayload, .value = ValueForm::kNone,
     .parse = plain<K::kToUppercase>},
    {.name = "strip_whitespace", .family = KeywordFamily::kPayload, .value = ValueForm::kNone,
     .parse = plain<K::kStripWhitespace>},
    {.name = "compress_whitespace", .family = KeywordFamily::kPayload, .value = ValueForm::kNone,
     .parse = plain<K::kCompressWhitespace>},
    {.name = "url_decode", .family = KeywordFamily::kPayload, .value = ValueForm::kNone,
     .parse = plain<K::kUrlDecode>},
    {.name = "to_md5", .family = KeywordFamily::kPayload, .value = ValueForm::kNone,
     .parse = plain<K::kToMd5>},
    {.name = "to_sha1", .family = KeywordFamily::kPayload, .value = ValueForm::kNone,
     .parse = plain<K::kToSha1>},
    {.name = "to_sha256", .family = KeywordFamily::kPayload, .value = ValueForm::kNone,
     .parse = plain<K::kToSha256>},
    {.name = "header_lowercase", .family = KeywordFamily::kPayload, .value = ValueForm::kNone,
     .parse = plain<K::kHeaderLowercase>},
    {.name = "strip_pseudo_headers", .family = KeywordFamily::kPayload, .value = ValueForm::kNone,
     .parse = plain<K::kStripPseudoHeaders>},
    {.name = "pcrexform", .family = KeywordFamily::kPayload, .parse = with_value<parse_pcrexform>},
    {.name = "xor", .family = KeywordFamily::kPayload, .parse = with_value<parse_xor>},
};

}  // namespace

std::span<const KeywordDef> transform_keywords() { return kTransformKeywords; }

}  // namespace wp::detect::lang
