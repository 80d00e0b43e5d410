#include "detect/engine/transforms.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <openssl/evp.h>
#include <pcre2.h>

namespace wp::detect {
namespace {

bool is_space(std::uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

int hex_value(std::uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::uint8_t lower(std::uint8_t c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }
std::uint8_t upper(std::uint8_t c) { return c >= 'a' && c <= 'z' ? c - ('a' - 'A') : c; }

void digest(const EVP_MD* md, std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(in.data(), in.size(), d, &n, md, nullptr) != 1) return;
  out.assign(d, d + n);
}

// %HH decoded, '+' a space; an invalid escape is kept as written (Suricata's url_decode).
void url_decode(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out) {
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out.push_back(' ');
    } else if (in[i] == '%' && in.size() - i > 2 && hex_value(in[i + 1]) >= 0 &&
               hex_value(in[i + 2]) >= 0) {
      out.push_back(static_cast<std::uint8_t>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2])));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
}

// Each line's text before its first ':' lower-cased (header names in "Name: value" lines).
void header_lowercase(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out) {
  bool in_name = true;
  for (std::uint8_t c : in) {
    if (c == '\n') {
      in_name = true;
    } else if (c == ':' && in_name && !out.empty() && out.back() != '\n') {
      in_name = false;
    }
    out.push_back(in_name ? lower(c) : c);
  }
}

// Lines that start with ':' (HTTP/2 pseudo headers) left out.
void strip_pseudo_headers(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out) {
  std::size_t start = 0;
  while (start < in.size()) {
    std::size_t end = start;
    while (end < in.size() && in[end] != '\n') ++end;
    if (end < in.size()) ++end;  // the line with its LF
    if (in[start] != ':') out.insert(out.end(), in.begin() + start, in.begin() + end);
    start = end;
  }
}

void pcrexform(const TransformOp& op, std::span<const std::uint8_t> in,
               std::vector<std::uint8_t>& out, pcre2_match_data* md) {
  const auto* code = static_cast<const pcre2_code*>(op.code.get());
  const int rc = pcre2_match(code, in.data(), in.size(), 0, 0, md, nullptr);
  if (rc <= 0) {
    out.assign(in.begin(), in.end());  // no match: the buffer unchanged
    return;
  }
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
  const int group = rc > 1 ? 1 : 0;
  const PCRE2_SIZE from = ov[2 * group], to = ov[2 * group + 1];
  if (from == PCRE2_UNSET || to < from || to > in.size()) return;
  out.assign(in.begin() + static_cast<std::ptrdiff_t>(from),
             in.begin() + static_cast<std::ptrdiff_t>(to));
}

}  // namespace

void apply_transform(const TransformOp& op, std::span<const std::uint8_t> in,
                     std::vector<std::uint8_t>& out, pcre2_real_match_data_8* md) {
  out.clear();
  using K = TransformOp::Kind;
  switch (op.kind) {
    case K::kDotPrefix:
      out.push_back('.');
      out.insert(out.end(), in.begin(), in.end());
      return;
    case K::kToLowercase:
      for (std::uint8_t c : in) out.push_back(lower(c));
      return;
    case K::kToUppercase:
      for (std::uint8_t c : in) out.push_back(upper(c));
      return;
    case K::kStripWhitespace:
      for (std::uint8_t c : in) {
        if (!is_space(c)) out.push_back(c);
      }
      return;
    case K::kCompressWhitespace:
      for (std::size_t i = 0; i < in.size(); ++i) {
        if (is_space(in[i]) && i > 0 && is_space(in[i - 1])) continue;
        out.push_back(in[i]);
      }
      return;
    case K::kUrlDecode:
      url_decode(in, out);
      return;
    case K::kToMd5:
      digest(EVP_md5(), in, out);
      return;
    case K::kToSha1:
      digest(EVP_sha1(), in, out);
      return;
    case K::kToSha256:
      digest(EVP_sha256(), in, out);
      return;
    case K::kPcrexform:
      pcrexform(op, in, out, md);
      return;
    case K::kXor:
      for (std::size_t i = 0; i < in.size(); ++i) {
        out.push_back(in[i] ^ static_cast<std::uint8_t>(op.arg[i % op.arg.size()]));
      }
      return;
    case K::kHeaderLowercase:
      header_lowercase(in, out);
      return;
    case K::kStripPseudoHeaders:
      strip_pseudo_headers(in, out);
      return;
  }
}

TransformScratch::TransformScratch() : md_(pcre2_match_data_create(16, nullptr)) {}

TransformScratch::~TransformScratch() { pcre2_match_data_free(md_); }

std::span<const std::uint8_t> TransformScratch::apply(const TransformChain& chain,
                                                      std::span<const std::uint8_t> in) {
  int cur = 0;
  for (const TransformOp& op : chain) {
    apply_transform(op, in, buf_[cur], md_);
    in = buf_[cur];
    cur ^= 1;
  }
  return in;
}

}  // namespace wp::detect
