#include "applayer/http.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "applayer/http_bestfit.h"

namespace wp::applayer {

namespace {

constexpr std::array<std::string_view, kHttpEventCount> kEventNames = {
    "REQUEST_FIELD_MISSING_COLON",
    "RESPONSE_FIELD_MISSING_COLON",
    "INVALID_REQUEST_CHUNK_LEN",
    "INVALID_RESPONSE_CHUNK_LEN",
    "INVALID_TRANSFER_ENCODING_VALUE_IN_REQUEST",
    "INVALID_TRANSFER_ENCODING_VALUE_IN_RESPONSE",
    "INVALID_CONTENT_LENGTH_FIELD_IN_REQUEST",
    "INVALID_CONTENT_LENGTH_FIELD_IN_RESPONSE",
    "DUPLICATE_CONTENT_LENGTH_FIELD_IN_REQUEST",
    "DUPLICATE_CONTENT_LENGTH_FIELD_IN_RESPONSE",
    "100_CONTINUE_ALREADY_SEEN",
    "UNABLE_TO_MATCH_RESPONSE_TO_REQUEST",
    "REQUEST_HEADER_INVALID",
    "RESPONSE_HEADER_INVALID",
    "MISSING_HOST_HEADER",
    "HOST_HEADER_AMBIGUOUS",
    "INVALID_REQUEST_FIELD_FOLDING",
    "INVALID_RESPONSE_FIELD_FOLDING",
    "REQUEST_FIELD_TOO_LONG",
    "RESPONSE_FIELD_TOO_LONG",
    "REQUEST_LINE_INVALID",
    "REQUEST_HEADER_REPETITION",
    "RESPONSE_HEADER_REPETITION",
    "RESPONSE_INVALID_PROTOCOL",
    "RESPONSE_INVALID_STATUS",
    "REQUEST_LINE_INCOMPLETE",
    "COMPRESSION_BOMB",
    "GZIP_DECOMPRESSION_FAILED",
    "REQUEST_CHUNK_EXTENSION",
    "REQUEST_LINE_MISSING_PROTOCOL",
    "REQUEST_TOO_MANY_HEADERS",
    "RESPONSE_TOO_MANY_HEADERS",
    "REQUEST_URI_HOST_INVALID",
    "REQUEST_HEADER_HOST_INVALID",
};

// Largest chunk size accepted: more than any body limit, far from overflow.
constexpr std::uint64_t kMaxChunkSize = std::uint64_t{1} << 40;
constexpr std::uint64_t kMaxContentLength = std::uint64_t{1} << 62;
constexpr std::size_t kInflateStep = 16 * 1024;

bool is_space(char c) { return c == ' ' || c == '\t'; }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
bool is_hex(char c) { return hex_value(c) >= 0; }
int hex_byte(const char* p) { return hex_value(p[0]) * 16 + hex_value(p[1]); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}
bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (iequals(hay.substr(i, needle.size()), needle)) return true;
  }
  return false;
}
bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}
void to_lower(std::string& s) {
  for (char& c : s) c = lower(c);
}

// A token character (RFC 7230 3.2.6): what a header name may hold.
bool is_token(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u <= 32 || u >= 127) return false;
  return std::string_view("()<>@,;:\\\"/[]?={}").find(c) == std::string_view::npos;
}

// Content-Length as libhtp reads it: optional whitespace, digits, optional whitespace.
// -1 when anything else is there or the number is absurd.
std::int64_t parse_content_length(std::string_view v) {
  v = trim(v);
  if (v.empty()) return -1;
  std::uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
    if (n > kMaxContentLength) return -1;
  }
  return static_cast<std::int64_t>(n);
}

// --- URI normalization (libhtp's htp_decode_path_inplace with the IDS personality) ---

// %u encoding of the path: U+00XX is the byte itself (an overlong form), others go through
// libhtp's best-fit map.
char decode_u(const char* p) {
  const int c1 = hex_byte(p);
  const int c2 = hex_byte(p + 2);
  if (c1 == 0) return static_cast<char>(c2);
  return bestfit::lookup(static_cast<std::uint32_t>(c1 * 256 + c2));
}

// Percent and %u decoding, backslash to slash, lower case, one slash of each run.
void decode_path(std::string_view in, std::string& out) {
  bool previous_slash = false;
  std::size_t i = 0;
  while (i < in.size()) {
    char c = in[i];
    if (c == '%') {
      const std::size_t left = in.size() - i;
      if (left > 2 && (in[i + 1] == 'u' || in[i + 1] == 'U')) {
        if (left > 5 && is_hex(in[i + 2]) && is_hex(in[i + 3]) && is_hex(in[i + 4]) &&
            is_hex(in[i + 5])) {
          c = decode_u(in.data() + i + 2);
          i += 6;
        } else {
          ++i;  // invalid: the '%' stays (libhtp's "preserve percent")
        }
      } else if (left > 2 && is_hex(in[i + 1]) && is_hex(in[i + 2])) {
        c = static_cast<char>(hex_byte(in.data() + i + 1));
        i += 3;
      } else {
        ++i;
      }
    } else {
      ++i;
    }
    if (c == '\\') c = '/';
    c = lower(c);
    if (c == '/') {
      if (!previous_slash) out.push_back(c);
      previous_slash = true;
    } else {
      out.push_back(c);
      previous_slash = false;
    }
  }
}

// UTF-8 in the decoded path to one byte per character, in place (libhtp's
// utf8_convert_bestfit): code points below 256 are that byte, others their best fit or '?';
// an invalid sequence is one '?' and a sequence cut by the end is dropped. It runs after the
// slashes were compressed, as libhtp's does, so a decoded '/' may double.
void utf8_bestfit(std::string& s) {
  std::size_t r = 0, w = 0;
  const std::size_t n = s.size();
  while (r < n) {
    const auto b = static_cast<unsigned char>(s[r]);
    if (b < 0x80) {
      s[w++] = s[r++];
      continue;
    }
    std::size_t need = 0;
    std::uint32_t cp = 0;
    // Overlong forms are decoded too (libhtp's decoder accepts them and flags them), so
    // %c0%af is a '/'.
    if (b >= 0xc0 && b <= 0xdf) {
      need = 1, cp = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2, cp = b & 0x0f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3, cp = b & 0x07;
    } else {
      s[w++] = '?';
      ++r;
      continue;
    }
    std::size_t k = 1;
    while (k <= need && r + k < n && (static_cast<unsigned char>(s[r + k]) & 0xc0) == 0x80) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[r + k]) & 0x3f);
      ++k;
    }
    if (k <= need && r + k >= n) {  // cut by the end of the path
      r = n;
      break;
    }
    if (k <= need) {  // a byte that does not continue the sequence: decode it afresh
      s[w++] = '?';
      r += k;
      continue;
    }
    r += k;
    s[w++] = cp < 0x100 ? static_cast<char>(cp) : bestfit::lookup(cp);
  }
  s.resize(w);
}

// RFC 3986 5.2.4 remove_dot_segments, in place, as libhtp implements it
// (htp_normalize_uri_path_inplace): its loop ends with the input, so a slash pending from a
// removed "/." or "/.." at the very end is not written ("/a/./" gives "/a").
void remove_dot_segments(std::string& s) {
  char* data = s.data();
  const std::size_t len = s.size();
  std::size_t r = 0, w = 0;
  int c = -1;
  auto drop_last_segment = [&] {
    while (w > 0 && data[w - 1] != '/') --w;
    if (w > 0) --w;
  };
  while (r < len && w < len) {
    if (c == -1) c = static_cast<unsigned char>(data[r++]);
    if (c == '.') {
      if (r + 1 < len && data[r] == '.' && data[r + 1] == '/') {
        c = -1, r += 2;
        continue;
      }
      if (r < len && data[r] == '/') {
        c = -1, r += 1;
        continue;
      }
    }
    if (c == '/') {
      if (r + 1 < len && data[r] == '.' && data[r + 1] == '/') {
        r += 2;
        continue;
      }
      if (r + 1 == len && data[r] == '.') {
        r += 1;
        continue;
      }
      if (r + 2 < len && data[r] == '.' && data[r + 1] == '.' && data[r + 2] == '/') {
        r += 3;
        drop_last_segment();
        continue;
      }
      if (r + 2 == len && data[r] == '.' && data[r + 1] == '.') {
        r += 2;
        drop_last_segment();
        continue;
      }
    }
    if (c == '.' && r == len) {
      ++r;
      continue;
    }
    if (c == '.' && r + 1 == len && data[r] == '.') {
      r += 2;
      continue;
    }
    data[w++] = static_cast<char>(c);
    while (r < len && data[r] != '/' && w < len) data[w++] = data[r++];
    c = -1;
  }
  s.resize(w);
}

// Percent decoding of the fragment (libhtp's urlencoded decoder as Suricata sets it: no '+'
// to space, invalid escapes kept).
void url_decode(std::string_view in, std::string& out) {
  for (std::size_t i = 0; i < in.size();) {
    if (in[i] == '%' && in.size() - i > 2 && is_hex(in[i + 1]) && is_hex(in[i + 2])) {
      out.push_back(static_cast<char>(hex_byte(in.data() + i + 1)));
      i += 3;
    } else {
      out.push_back(in[i++]);
    }
  }
}

// host[:port] or [v6]:port to the host alone; false when a port is there but not a number.
bool split_host_port(std::string_view hostport, std::string_view& host) {
  std::string_view port;
  if (!hostport.empty() && hostport.front() == '[') {
    const auto close = hostport.find(']');
    if (close == std::string_view::npos) {
      host = hostport;
      return false;
    }
    host = hostport.substr(0, close + 1);
    const auto rest = hostport.substr(close + 1);
    if (rest.empty()) return true;
    if (rest.front() != ':') return false;
    port = rest.substr(1);
  } else {
    const auto colon = hostport.find(':');
    host = hostport.substr(0, colon);
    if (colon == std::string_view::npos) return true;
    port = hostport.substr(colon + 1);
  }
  port = trim(port);
  if (port.empty() || port.size() > 5) return port.empty();
  return std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string_view http_event_name(int bit) {
  if (bit < 0 || bit >= kHttpEventCount) return {};
  return kEventNames[static_cast<std::size_t>(bit)];
}

void normalize_uri(std::string_view raw, std::string& out, std::string& host) {
  out.clear();
  host.clear();
  std::string_view rest = raw;
  if (!rest.empty() && rest.front() != '/') {
    const auto scheme_end = rest.find("://");
    const auto first_delim = rest.find_first_of("/?#");
    if (scheme_end != std::string_view::npos && scheme_end > 0 && scheme_end < first_delim) {
      rest.remove_prefix(scheme_end + 3);
      const auto authority_end = std::min(rest.find_first_of("/?#"), rest.size());
      std::string_view authority = rest.substr(0, authority_end);
      rest.remove_prefix(authority_end);
      const auto at = authority.rfind('@');
      if (at != std::string_view::npos) authority.remove_prefix(at + 1);
      std::string_view name;
      split_host_port(authority, name);
      while (!name.empty() && name.back() == '.') name.remove_suffix(1);
      host.assign(name);
      to_lower(host);
    }
  }
  const auto path_end = std::min(rest.find_first_of("?#"), rest.size());
  decode_path(rest.substr(0, path_end), out);
  utf8_bestfit(out);
  remove_dot_segments(out);
  rest.remove_prefix(path_end);
  if (!rest.empty() && rest.front() == '?') {
    const auto query_end = std::min(rest.find('#'), rest.size());
    out.append(rest.substr(0, query_end));
    rest.remove_prefix(query_end);
  }
  if (!rest.empty() && rest.front() == '#') {
    out.push_back('#');
    url_decode(rest.substr(1), out);
  }
}

// --- HttpMessage ---

void HttpMessage::reset() {
  line_.clear();
  raw_headers_.clear();
  fields_store_.clear();
  fields_.clear();
  merged_store_.clear();
  merged_.clear();
  normalized_.clear();
  names_.clear();
  start_.clear();
  body_.clear();
  body_wire_ = 0;
  body_truncated_ = false;
  headers_done_ = false;
  complete_ = false;
}

std::string_view HttpMessage::name_of(const Field& f, const std::string& store) const {
  return std::string_view(store).substr(f.name_at, f.name_len);
}

HttpHeader HttpMessage::header(std::size_t i) const {
  const Field& f = merged_[i];
  return {name_of(f, merged_store_),
          std::string_view(merged_store_).substr(f.value_at, f.value_len)};
}

std::string_view HttpMessage::header(std::string_view name) const {
  for (const Field& f : merged_) {
    if (iequals(name_of(f, merged_store_), name)) {
      return std::string_view(merged_store_).substr(f.value_at, f.value_len);
    }
  }
  return {};
}

bool HttpMessage::has_header(std::string_view name) const {
  return std::any_of(merged_.begin(), merged_.end(),
                     [&](const Field& f) { return iequals(name_of(f, merged_store_), name); });
}

void HttpTransaction::reset(std::uint64_t id) {
  id_ = id;
  events_ = 0;
  request_.reset();
  response_.reset();
  method_ = uri_ = req_proto_ = res_proto_ = status_ = message_ = Range{};
  uri_norm_.clear();
  host_.clear();
  status_number_ = -1;
  has_request_ = http09_ = head_ = connect_ = continue_seen_ = response_started_ = false;
  tunnel_ = released_ = false;
}

// --- HttpSession ---

namespace {

void emit(HttpProgressList& out, std::uint64_t id, HttpPart part) {
  out.push_back({id, part, 0, 0});
}

void emit_body(HttpProgressList& out, std::uint64_t id, HttpPart part, std::size_t offset,
               std::size_t length) {
  if (length == 0) return;
  if (!out.empty()) {
    HttpProgress& last = out.back();
    if (last.tx_id == id && last.part == part && last.offset + last.length == offset) {
      last.length += static_cast<std::uint32_t>(length);
      return;
    }
  }
  out.push_back({id, part, static_cast<std::uint32_t>(offset), static_cast<std::uint32_t>(length)});
}

}  // namespace

HttpSession::HttpSession(const HttpConfig& config) : config_(config) {
  constexpr std::size_t kMaxLimit = 0xffffffffu;
  config_.request_body_limit = std::min(config_.request_body_limit, kMaxLimit);
  config_.response_body_limit = std::min(config_.response_body_limit, kMaxLimit);
  config_.max_header_bytes = std::min(config_.max_header_bytes, kMaxLimit);
  config_.max_line = std::min(config_.max_line, kMaxLimit);
}

HttpSession::~HttpSession() {
  for (Direction& d : dirs_) {
    if (d.zs_ready) inflateEnd(&d.zs);
  }
}

void HttpSession::feed(HttpDir dir, std::span<const std::uint8_t> data, HttpProgressList& out) {
  feed_dir(dir == HttpDir::kToServer, data, out);
}

void HttpSession::feed_dir(bool to_server, std::span<const std::uint8_t> data,
                           HttpProgressList& out) {
  Direction& d = dirs_[to_server ? 1 : 0];
  while (!data.empty() && d.state != State::kStopped) {
    switch (d.state) {
      case State::kBodyLength:
      case State::kChunkData: {
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(d.left, data.size()));
        body_bytes(to_server, d, data.first(n), out);
        data = data.subspan(n);
        d.left -= n;
        if (d.left == 0) {
          if (d.state == State::kBodyLength) {
            message_done(to_server, d, out);
          } else {
            d.state = State::kChunkEnd;
          }
        }
        break;
      }
      case State::kBodyClose:
        body_bytes(to_server, d, data, out);
        data = {};
        break;
      default: {
        if (!to_server && d.state == State::kLine && d.line.empty()) {
          // An HTTP/0.9 request is answered by the bare body, up to the close.
          HttpTransaction* next = next_unanswered();
          if (next != nullptr && next->http09_) {
            next->response_started_ = true;
            d.tx = next;
            d.coding = Coding::kIdentity;
            d.state = State::kBodyClose;
            continue;
          }
        }
        bool have_line = false;
        const std::size_t used = take_line(d, data, have_line);
        data = data.subspan(used);
        if (have_line) on_line(to_server, d, out);
        break;
      }
    }
  }
}

// Appends the bytes up to the next LF to the pending line (at most max_line of them) and
// returns how many bytes were used.
std::size_t HttpSession::take_line(Direction& d, std::span<const std::uint8_t> data,
                                   bool& have_line) {
  const auto* lf = static_cast<const std::uint8_t*>(std::memchr(data.data(), '\n', data.size()));
  const std::size_t n = lf != nullptr ? static_cast<std::size_t>(lf - data.data()) : data.size();
  const std::size_t room = config_.max_line > d.line.size() ? config_.max_line - d.line.size() : 0;
  const std::size_t keep = std::min(n, room);
  d.line.append(reinterpret_cast<const char*>(data.data()), keep);
  if (keep < n) d.line_too_long = true;
  have_line = lf != nullptr;
  return have_line ? n + 1 : n;
}

void HttpSession::on_line(bool to_server, Direction& d, HttpProgressList& out) {
  const bool had_cr = !d.line.empty() && d.line.back() == '\r';
  if (had_cr) d.line.pop_back();
  switch (d.state) {
    case State::kLine:
      if (!d.line.empty()) {  // empty lines before a request or status line are skipped
        if (to_server) {
          request_line(d, out);
        } else {
          response_line(d, out);
        }
      }
      break;
    case State::kHeaders:
      if (d.tx != nullptr && !d.line.empty()) {
        HttpMessage& m = to_server ? d.tx->request_ : d.tx->response_;
        if (m.raw_headers_.size() + d.line.size() + 2 <= config_.max_header_bytes) {
          m.raw_headers_.append(d.line).append(had_cr ? "\r\n" : "\n");
        }
      }
      if (d.line.empty()) {
        if (d.tx != nullptr) {
          HttpMessage& m = to_server ? d.tx->request_ : d.tx->response_;
          m.raw_headers_.append(had_cr ? "\r\n" : "\n");
        }
        headers_done(to_server, d, out);
      } else {
        header_line(to_server, d);
      }
      break;
    case State::kChunkEnd:
      // The CRLF after a chunk's data; anything else there is read as the next size line.
      if (d.line.empty()) {
        d.state = State::kChunkSize;
      } else {
        chunk_size_line(to_server, d);
      }
      break;
    case State::kChunkSize:
      chunk_size_line(to_server, d);
      break;
    case State::kTrailers:
      if (!d.line.empty()) {
        header_line(to_server, d);
        d.trailers = true;
      } else {
        if (d.trailers && d.tx != nullptr) {
          merge_headers(to_server, *d.tx, to_server ? d.tx->request_ : d.tx->response_);
        }
        message_done(to_server, d, out);
      }
      break;
    default:
      break;
  }
  if (d.line_too_long && d.tx != nullptr) {
    d.tx->events_ |= to_server ? kHttpRequestFieldTooLong : kHttpResponseFieldTooLong;
  }
  d.line.clear();
  d.line_too_long = false;
}

void HttpSession::request_line(Direction& d, HttpProgressList& out) {
  HttpTransaction* tx = new_transaction();
  if (tx == nullptr) {
    d.state = State::kStopped;
    return;
  }
  tx->has_request_ = true;
  d.tx = tx;
  std::string& line = tx->request_.line_;
  line.assign(d.line);
  std::string_view s = line;
  // Leading whitespace is skipped as libhtp does; the fields are ranges of the line.
  std::size_t at = 0;
  while (at < s.size() && is_space(s[at])) ++at;
  std::size_t method_end = at;
  while (method_end < s.size() && !is_space(s[method_end])) ++method_end;
  tx->method_ = {static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(method_end - at)};
  std::size_t uri_at = method_end;
  while (uri_at < s.size() && is_space(s[uri_at])) ++uri_at;
  std::size_t end = s.size();
  while (end > uri_at && is_space(s[end - 1])) --end;
  // The protocol is the last word; a URI may hold spaces (libhtp's allow_space_uri).
  std::size_t last_space = end;
  while (last_space > uri_at && !is_space(s[last_space - 1])) --last_space;
  if (last_space == uri_at) {
    tx->uri_ = {static_cast<std::uint32_t>(uri_at), static_cast<std::uint32_t>(end - uri_at)};
    tx->http09_ = true;
  } else {
    tx->req_proto_ = {static_cast<std::uint32_t>(last_space),
                      static_cast<std::uint32_t>(end - last_space)};
    std::size_t uri_end = last_space;
    while (uri_end > uri_at && is_space(s[uri_end - 1])) --uri_end;
    tx->uri_ = {static_cast<std::uint32_t>(uri_at), static_cast<std::uint32_t>(uri_end - uri_at)};
    if (!istarts_with(tx->request_protocol(), "HTTP/")) tx->events_ |= kHttpRequestLineInvalid;
  }
  const std::string_view method = tx->method();
  if (method.empty() || tx->uri_raw().empty() ||
      !std::all_of(method.begin(), method.end(), is_token)) {
    tx->events_ |= kHttpRequestLineInvalid;
  }
  tx->head_ = tx->method() == "HEAD";
  tx->connect_ = tx->method() == "CONNECT";
  normalize_uri(tx->uri_raw(), tx->uri_norm_, tx->host_);
  emit(out, tx->id_, HttpPart::kRequestLine);
  if (tx->http09_) {
    // A simple request (HTTP/0.9): no headers, no body.
    tx->events_ |= kHttpRequestLineMissingProtocol;
    finish_request_headers(*tx);
    tx->request_.headers_done_ = true;
    emit(out, tx->id_, HttpPart::kRequestHeaders);
    message_done(true, d, out);
    return;
  }
  d.state = State::kHeaders;
}

void HttpSession::response_line(Direction& d, HttpProgressList& out) {
  HttpTransaction* tx = d.tx;  // set when a 1xx came before
  if (tx == nullptr) {
    tx = next_unanswered();
    if (tx == nullptr) {
      tx = new_transaction();
      if (tx == nullptr) {
        d.state = State::kStopped;
        return;
      }
      tx->events_ |= kHttpUnableToMatchResponseToRequest;
      tx->request_.complete_ = true;
    }
    tx->response_started_ = true;
    d.tx = tx;
  }
  std::string& line = tx->response_.line_;
  line.assign(d.line);
  const std::string_view s = line;
  std::size_t at = 0;
  while (at < s.size() && is_space(s[at])) ++at;
  std::size_t proto_end = at;
  while (proto_end < s.size() && !is_space(s[proto_end])) ++proto_end;
  std::size_t status_at = proto_end;
  while (status_at < s.size() && is_space(s[status_at])) ++status_at;
  std::size_t status_end = status_at;
  while (status_end < s.size() && !is_space(s[status_end])) ++status_end;
  std::size_t message_at = status_end;
  while (message_at < s.size() && is_space(s[message_at])) ++message_at;
  tx->res_proto_ = {static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(proto_end - at)};
  tx->status_ = {static_cast<std::uint32_t>(status_at),
                 static_cast<std::uint32_t>(status_end - status_at)};
  tx->message_ = {static_cast<std::uint32_t>(message_at),
                  static_cast<std::uint32_t>(s.size() - message_at)};
  if (!istarts_with(tx->response_protocol(), "HTTP/")) tx->events_ |= kHttpResponseInvalidProtocol;
  const std::string_view code = tx->status_code();
  tx->status_number_ = -1;
  if (code.size() == 3 &&
      std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    tx->status_number_ = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  } else {
    tx->events_ |= kHttpResponseInvalidStatus;
  }
  emit(out, tx->id_, HttpPart::kResponseLine);
  d.state = State::kHeaders;
}

void HttpSession::header_line(bool to_server, Direction& d) {
  if (d.tx == nullptr) return;
  HttpTransaction& tx = *d.tx;
  HttpMessage& m = to_server ? tx.request_ : tx.response_;
  const std::string_view line = d.line;
  if (is_space(line.front())) {
    if (!m.fields_.empty()) {
      // Folding (RFC 7230 3.2.4): libhtp joins the continuation, whitespace and all, to the
      // previous value; the ends are trimmed when the headers are merged.
      if (m.fields_store_.size() + line.size() <= config_.max_header_bytes) {
        m.fields_store_.append(line);
        m.fields_.back().value_len += static_cast<std::uint32_t>(line.size());
      }
      return;
    }
    tx.events_ |= to_server ? kHttpInvalidRequestFieldFolding : kHttpInvalidResponseFieldFolding;
  }
  if (m.fields_.size() >= config_.max_headers ||
      m.fields_store_.size() + line.size() > config_.max_header_bytes) {
    tx.events_ |= to_server ? kHttpRequestTooManyHeaders : kHttpResponseTooManyHeaders;
    return;
  }
  std::string_view name, value;
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) {
    // libhtp keeps such a line as a header with an empty name and the line as its value.
    tx.events_ |= to_server ? kHttpRequestFieldMissingColon : kHttpResponseFieldMissingColon;
    value = line;
  } else {
    name = line.substr(0, colon);
    value = line.substr(colon + 1);
    std::string_view trimmed = trim(name);
    const bool valid = !trimmed.empty() && trimmed.size() == name.size() &&
                       std::all_of(name.begin(), name.end(), is_token);
    if (!valid) tx.events_ |= to_server ? kHttpRequestHeaderInvalid : kHttpResponseHeaderInvalid;
    name = trimmed;
  }
  HttpMessage::Field f;
  f.name_at = static_cast<std::uint32_t>(m.fields_store_.size());
  f.name_len = static_cast<std::uint32_t>(name.size());
  m.fields_store_.append(name);
  f.value_at = static_cast<std::uint32_t>(m.fields_store_.size());
  f.value_len = static_cast<std::uint32_t>(value.size());
  m.fields_store_.append(value);
  m.fields_.push_back(f);
}

void HttpSession::headers_done(bool to_server, Direction& d, HttpProgressList& out) {
  if (d.tx == nullptr) {
    d.state = State::kLine;
    return;
  }
  HttpTransaction& tx = *d.tx;
  HttpMessage& m = to_server ? tx.request_ : tx.response_;
  merge_headers(to_server, tx, m);
  m.headers_done_ = true;
  if (to_server) {
    finish_request_headers(tx);
    emit(out, tx.id_, HttpPart::kRequestHeaders);
    start_body(true, d, out);
    return;
  }
  // Responses: 1xx are interim (RFC 7231 6.2), 101 switches protocols.
  emit(out, tx.id_, HttpPart::kResponseHeaders);
  if (tx.status_number_ == 101) {
    tx.tunnel_ = true;
  } else if (tx.status_number_ >= 100 && tx.status_number_ < 200) {
    if (tx.status_number_ == 100) {
      if (tx.continue_seen_) tx.events_ |= kHttp100ContinueAlreadySeen;
      tx.continue_seen_ = true;
    }
    m.reset();
    tx.res_proto_ = tx.status_ = tx.message_ = HttpTransaction::Range{};
    tx.status_number_ = -1;
    d.state = State::kLine;
    return;
  }
  if (tx.connect_ && tx.status_number_ >= 200 && tx.status_number_ < 300) tx.tunnel_ = true;
  if (tx.tunnel_) {
    tunnel_ = true;
    message_done(false, d, out);
    dirs_[0].state = dirs_[1].state = State::kStopped;
    return;
  }
  if (tx.connect_ && dirs_[1].waiting_connect) {
    // The CONNECT was refused: the client may go on with plain HTTP.
    dirs_[1].waiting_connect = false;
    dirs_[1].state = State::kLine;
  }
  start_body(false, d, out);
}

// Duplicates merged into the first one's place, values joined with ", " (libhtp), and the
// buffers rules inspect composed from them. Run again after trailers: libhtp adds them to
// the headers.
void HttpSession::merge_headers(bool to_server, HttpTransaction& tx, HttpMessage& m) {
  merged_flag_.assign(m.fields_.size(), 0);
  m.merged_store_.clear();
  m.merged_.clear();
  const std::string_view store = m.fields_store_;
  for (std::size_t i = 0; i < m.fields_.size(); ++i) {
    if (merged_flag_[i] != 0) continue;
    const auto& first = m.fields_[i];
    const std::string_view name = store.substr(first.name_at, first.name_len);
    HttpMessage::Field f;
    f.name_at = static_cast<std::uint32_t>(m.merged_store_.size());
    f.name_len = first.name_len;
    m.merged_store_.append(name);
    f.value_at = static_cast<std::uint32_t>(m.merged_store_.size());
    bool repeated = false;
    for (std::size_t j = i; j < m.fields_.size(); ++j) {
      const auto& other = m.fields_[j];
      if (merged_flag_[j] != 0 || !iequals(store.substr(other.name_at, other.name_len), name)) {
        continue;
      }
      merged_flag_[j] = 1;
      if (j != i) {
        m.merged_store_.append(", ");
        repeated = true;
      }
      m.merged_store_.append(trim(store.substr(other.value_at, other.value_len)));
    }
    if (repeated) {
      tx.events_ |= to_server ? kHttpRequestHeaderRepetition : kHttpResponseHeaderRepetition;
    }
    f.value_len = static_cast<std::uint32_t>(m.merged_store_.size() - f.value_at);
    m.merged_.push_back(f);
  }
  // The composed buffers rules inspect (Suricata's http.header, http.header_names,
  // http.start).
  const std::string_view skip = to_server ? "Cookie" : "Set-Cookie";
  m.normalized_.clear();
  m.names_.assign("\r\n");
  m.start_.assign(m.line_).append("\r\n");
  for (std::size_t i = 0; i < m.merged_.size(); ++i) {
    const HttpHeader h = m.header(i);
    m.names_.append(h.name).append("\r\n");
    m.start_.append(h.name).append(": ").append(h.value).append("\r\n");
    if (iequals(h.name, skip)) continue;
    m.normalized_.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  m.names_.append("\r\n");
  m.start_.append("\r\n");
}

void HttpSession::finish_request_headers(HttpTransaction& tx) {
  const std::string_view host_header = tx.request_.header("Host");
  const bool has_host = tx.request_.has_header("Host");
  if (!has_host) {
    if (tx.request_protocol() == "HTTP/1.1") tx.events_ |= kHttpMissingHostHeader;
    return;
  }
  std::string_view name;
  if (!split_host_port(trim(host_header), name)) tx.events_ |= kHttpRequestHeaderHostInvalid;
  if (tx.host_.empty()) {
    tx.host_.assign(name);
    to_lower(tx.host_);
  } else {
    std::string_view header_name = name;
    while (!header_name.empty() && header_name.back() == '.') header_name.remove_suffix(1);
    if (!iequals(header_name, tx.host_)) tx.events_ |= kHttpHostHeaderAmbiguous;
  }
}

void HttpSession::start_body(bool to_server, Direction& d, HttpProgressList& out) {
  HttpTransaction& tx = *d.tx;
  HttpMessage& m = to_server ? tx.request_ : tx.response_;
  const std::uint64_t invalid_te =
      to_server ? kHttpInvalidTransferEncodingInRequest : kHttpInvalidTransferEncodingInResponse;
  const std::uint64_t invalid_cl =
      to_server ? kHttpInvalidContentLengthInRequest : kHttpInvalidContentLengthInResponse;
  const std::uint64_t duplicate_cl =
      to_server ? kHttpDuplicateContentLengthInRequest : kHttpDuplicateContentLengthInResponse;

  const std::string_view encoding = trim(m.header("Content-Encoding"));
  d.coding = Coding::kIdentity;
  if (iequals(encoding, "gzip") || iequals(encoding, "x-gzip")) d.coding = Coding::kGzip;
  if (iequals(encoding, "deflate") || iequals(encoding, "x-deflate")) d.coding = Coding::kDeflate;
  d.inflating = false;
  d.inflate_done = false;
  d.raw_deflate_retry = false;
  d.inflate_in = 0;

  if (!to_server) {
    const int status = tx.status_number_;
    if (tx.head_ || status == 204 || status == 304) {
      message_done(false, d, out);
      return;
    }
  }
  if (m.has_header("Transfer-Encoding")) {
    if (icontains(m.header("Transfer-Encoding"), "chunked")) {
      d.state = State::kChunkSize;
      return;
    }
    tx.events_ |= invalid_te;
  }
  std::int64_t length = -2;  // -2: no Content-Length header
  const std::string_view store = m.fields_store_;
  for (const auto& f : m.fields_) {
    if (!iequals(store.substr(f.name_at, f.name_len), "Content-Length")) continue;
    const std::int64_t v = parse_content_length(store.substr(f.value_at, f.value_len));
    if (v < 0) {
      tx.events_ |= invalid_cl;
    } else if (length >= 0 && v != length) {
      tx.events_ |= duplicate_cl;
    }
    if (length < 0) length = v;
  }
  if (length > 0) {
    d.left = static_cast<std::uint64_t>(length);
    d.state = State::kBodyLength;
    return;
  }
  if (!to_server && length != 0) {
    // No length (or an unreadable one): the body ends with the connection (RFC 7230 3.3.3).
    d.state = State::kBodyClose;
    return;
  }
  message_done(to_server, d, out);
}

void HttpSession::chunk_size_line(bool to_server, Direction& d) {
  const std::uint64_t invalid =
      to_server ? kHttpInvalidRequestChunkLen : kHttpInvalidResponseChunkLen;
  std::string_view s = trim(d.line);
  const auto ext = s.find(';');
  if (ext != std::string_view::npos) {
    if (to_server && d.tx != nullptr) d.tx->events_ |= kHttpRequestChunkExtension;
    s = trim(s.substr(0, ext));
  }
  std::uint64_t size = 0;
  bool valid = !s.empty();
  for (char c : s) {
    const int v = hex_value(c);
    if (v < 0) {
      valid = false;
      break;
    }
    size = size * 16 + static_cast<std::uint64_t>(v);
    if (size > kMaxChunkSize) {
      valid = false;
      break;
    }
  }
  if (!valid) {
    // The body can no longer be delimited: the direction stops here.
    if (d.tx != nullptr) d.tx->events_ |= invalid;
    d.state = State::kStopped;
    return;
  }
  if (size == 0) {
    d.state = State::kTrailers;
    d.trailers = false;
    return;
  }
  d.left = size;
  d.state = State::kChunkData;
}

void HttpSession::body_bytes(bool to_server, Direction& d, std::span<const std::uint8_t> data,
                             HttpProgressList& out) {
  if (d.tx == nullptr || data.empty()) return;
  HttpMessage& m = to_server ? d.tx->request_ : d.tx->response_;
  m.body_wire_ += data.size();
  if (d.coding == Coding::kIdentity) {
    store_body(to_server, d, data.data(), data.size(), out);
  } else {
    inflate_body(to_server, d, data, out);
  }
}

void HttpSession::store_body(bool to_server, Direction& d, const std::uint8_t* p, std::size_t n,
                             HttpProgressList& out) {
  HttpMessage& m = to_server ? d.tx->request_ : d.tx->response_;
  const std::size_t limit = body_limit(to_server);
  const std::size_t room = limit > m.body_.size() ? limit - m.body_.size() : 0;
  const std::size_t keep = std::min(n, room);
  const std::size_t offset = m.body_.size();
  m.body_.append(reinterpret_cast<const char*>(p), keep);
  if (keep < n) m.body_truncated_ = true;
  emit_body(out, d.tx->id_, to_server ? HttpPart::kRequestBody : HttpPart::kResponseBody, offset,
            keep);
}

void HttpSession::inflate_body(bool to_server, Direction& d, std::span<const std::uint8_t> data,
                               HttpProgressList& out) {
  if (d.inflate_done) return;
  HttpTransaction& tx = *d.tx;
  HttpMessage& m = to_server ? tx.request_ : tx.response_;
  const int window = d.coding == Coding::kGzip ? 15 + 16 : (d.raw_deflate_retry ? -15 : 15);
  if (!d.zs_ready) {
    if (inflateInit2(&d.zs, window) != Z_OK) {
      tx.events_ |= kHttpGzipDecompressionFailed;
      d.inflate_done = true;
      return;
    }
    d.zs_ready = true;
    d.inflating = true;
  } else if (!d.inflating) {
    inflateReset2(&d.zs, window);
    d.inflating = true;
  }
  const std::size_t limit = body_limit(to_server);
  d.zs.next_in = const_cast<Bytef*>(data.data());
  d.zs.avail_in = static_cast<uInt>(data.size());
  // Until the input is used up and the last call left room in its output (zlib may hold
  // output back when the output was full).
  bool output_full = false;
  while (d.zs.avail_in > 0 || output_full) {
    const std::size_t offset = m.body_.size();
    const std::size_t room = limit > offset ? limit - offset : 0;
    if (room == 0) {
      m.body_truncated_ = true;
      d.inflate_done = true;
      return;
    }
    const std::size_t step = std::min(room, kInflateStep);
    m.body_.resize(offset + step);
    d.zs.next_out = reinterpret_cast<Bytef*>(m.body_.data() + offset);
    d.zs.avail_out = static_cast<uInt>(step);
    const uInt in_before = d.zs.avail_in;
    const int rc = inflate(&d.zs, Z_NO_FLUSH);
    const std::size_t produced = step - d.zs.avail_out;
    output_full = d.zs.avail_out == 0;
    m.body_.resize(offset + produced);
    d.inflate_in += in_before - d.zs.avail_in;
    emit_body(out, tx.id_, to_server ? HttpPart::kRequestBody : HttpPart::kResponseBody, offset,
              produced);
    if (rc == Z_DATA_ERROR && d.coding == Coding::kDeflate && !d.raw_deflate_retry &&
        m.body_.empty() && d.inflate_in <= 2) {
      // "deflate" is often sent without its zlib header (RFC 9110 8.4.1.2 notes it):
      // read it again as a raw deflate stream.
      d.raw_deflate_retry = true;
      inflateReset2(&d.zs, -15);
      d.inflate_in = 0;
      d.zs.next_in = const_cast<Bytef*>(data.data());
      d.zs.avail_in = static_cast<uInt>(data.size());
      continue;
    }
    if (rc == Z_STREAM_END) {
      d.inflate_done = true;
      return;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      tx.events_ |= kHttpGzipDecompressionFailed;
      d.inflate_done = true;
      return;
    }
    if (m.body_.size() >= config_.decompress_bomb_min_output &&
        m.body_.size() > d.inflate_in * config_.decompress_ratio_limit) {
      tx.events_ |= kHttpCompressionBomb;
      m.body_truncated_ = true;
      d.inflate_done = true;
      return;
    }
    if (produced == 0 && in_before == d.zs.avail_in) return;  // no progress: wait for more
  }
}

void HttpSession::message_done(bool to_server, Direction& d, HttpProgressList& out) {
  HttpTransaction* tx = d.tx;
  d.tx = nullptr;
  d.state = State::kLine;
  d.inflating = false;
  if (tx == nullptr) return;
  HttpMessage& m = to_server ? tx->request_ : tx->response_;
  m.complete_ = true;
  emit(out, tx->id_, to_server ? HttpPart::kRequestComplete : HttpPart::kResponseComplete);
  if (to_server && tx->connect_) {
    // Nothing the client sends is HTTP until the answer says whether the tunnel is up.
    d.state = State::kStopped;
    d.waiting_connect = true;
  }
  if (tx->released_ && tx->complete()) release(tx->id_);
}

HttpTransaction* HttpSession::new_transaction() {
  if (live_.size() >= config_.max_pending_transactions) recycle_finished();
  if (live_.size() >= config_.max_pending_transactions) {
    overloaded_ = true;
    return nullptr;
  }
  std::unique_ptr<HttpTransaction> tx;
  if (free_.empty()) {
    tx = std::make_unique<HttpTransaction>();
  } else {
    tx = std::move(free_.back());
    free_.pop_back();
  }
  tx->reset(next_id_++);
  live_.push_back(std::move(tx));
  return live_.back().get();
}

HttpTransaction* HttpSession::next_unanswered() {
  for (auto& tx : live_) {
    if (tx->has_request_ && !tx->response_started_) return tx.get();
  }
  return nullptr;
}

// Makes room when the engine keeps transactions too long: the oldest finished ones go.
void HttpSession::recycle_finished() {
  for (std::size_t i = 0; i < live_.size() && live_.size() >= config_.max_pending_transactions;) {
    if (live_[i]->complete()) {
      free_.push_back(std::move(live_[i]));
      live_.erase(live_.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
}

void HttpSession::gap(HttpDir dir) {
  Direction& d = dirs_[dir == HttpDir::kToServer ? 1 : 0];
  d.state = State::kStopped;
  d.tx = nullptr;
  d.line.clear();
}

void HttpSession::close(HttpProgressList& out) {
  for (int i = 0; i < 2; ++i) {
    Direction& d = dirs_[i];
    const bool to_server = i == 1;
    if (d.state == State::kBodyClose) {
      message_done(to_server, d, out);
    } else if (to_server && d.state == State::kLine && !d.line.empty()) {
      // A request line cut by the close: there is no transaction to carry the flag but
      // the last one.
      if (!live_.empty()) live_.back()->events_ |= kHttpRequestLineIncomplete;
    }
    d.state = State::kStopped;
    d.line.clear();
  }
}

const HttpTransaction* HttpSession::find(std::uint64_t tx_id) const {
  for (const auto& tx : live_) {
    if (tx->id_ == tx_id) return tx->released_ ? nullptr : tx.get();
  }
  return nullptr;
}

void HttpSession::release(std::uint64_t tx_id) {
  for (std::size_t i = 0; i < live_.size(); ++i) {
    HttpTransaction& tx = *live_[i];
    if (tx.id_ != tx_id) continue;
    tx.released_ = true;
    const bool in_use = dirs_[0].tx == &tx || dirs_[1].tx == &tx;
    if (tx.complete() && !in_use) {
      free_.push_back(std::move(live_[i]));
      live_.erase(live_.begin() + static_cast<std::ptrdiff_t>(i));
    }
    return;
  }
}

}  // namespace wp::applayer
