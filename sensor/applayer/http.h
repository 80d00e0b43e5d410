// HTTP/1.x as the application layer reads it: both directions of one connection, fed with
// in-order stream bytes split anywhere. Requests and responses (pipelined requests pair with
// responses in order), keep-alive, content-length, chunked and close-delimited bodies,
// gzip/deflate bodies inflated with zlib, HTTP/0.9 simple requests, 100 Continue, and the
// switch to a tunnel after a successful CONNECT or a 101 (the rest is not parsed). Each
// request/response pair is a transaction with an id counted from 0 per connection; it keeps
// every field the http.* buffers of rules and the EVE `http` object need, normalized as
// Suricata (with libhtp's IDS personality) normalizes them.
//
// Thread: the worker that owns the flow; no shared state. Ownership: the session owns its
// transactions; a transaction stays valid (and its views unchanged, except that fields of a
// part still being parsed grow) until the engine calls release() with its id, or until the
// session must recycle a finished transaction to stay under max_pending_transactions.
//
// Bounds (HttpConfig): one line of at most max_line bytes pending per direction, at most
// max_headers headers and max_header_bytes of header block per message, bodies kept up to
// their limit (the rest is read past), inflated output stopped at the body limit and at a
// ratio bound, at most max_pending_transactions transactions alive. Anomalies are flags named
// as Suricata's http app-layer events (http_event_name()). Allocation: transactions come
// from a per-session pool whose strings keep their capacity, and zlib's state is made once
// per direction, so a session in steady state does not allocate.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wp::applayer {

// Limits are taken below 4 GiB (body offsets in the progress are 32-bit).
struct HttpConfig {
  std::size_t request_body_limit = 100 * 1024;   // Suricata's libhtp default
  std::size_t response_body_limit = 100 * 1024;  // Suricata's libhtp default
  std::size_t max_line = 18000;                  // Suricata's hard field limit
  std::size_t max_headers = 1024;                // Suricata's headers limit
  std::size_t max_header_bytes = 64 * 1024;      // header block kept per message
  std::size_t max_pending_transactions = 512;    // Suricata's max-tx
  // Inflating stops (COMPRESSION_BOMB) when the output exceeds this many times the
  // compressed input once at least decompress_bomb_min_output bytes came out.
  std::size_t decompress_ratio_limit = 512;
  std::size_t decompress_bomb_min_output = 32 * 1024;
};

enum class HttpDir { kToServer, kToClient };

// Anomaly flags; names (http_event_name) are Suricata's http events.
enum HttpEvent : std::uint64_t {
  kHttpRequestFieldMissingColon = 1ull << 0,
  kHttpResponseFieldMissingColon = 1ull << 1,
  kHttpInvalidRequestChunkLen = 1ull << 2,
  kHttpInvalidResponseChunkLen = 1ull << 3,
  kHttpInvalidTransferEncodingInRequest = 1ull << 4,
  kHttpInvalidTransferEncodingInResponse = 1ull << 5,
  kHttpInvalidContentLengthInRequest = 1ull << 6,
  kHttpInvalidContentLengthInResponse = 1ull << 7,
  kHttpDuplicateContentLengthInRequest = 1ull << 8,
  kHttpDuplicateContentLengthInResponse = 1ull << 9,
  kHttp100ContinueAlreadySeen = 1ull << 10,
  kHttpUnableToMatchResponseToRequest = 1ull << 11,
  kHttpRequestHeaderInvalid = 1ull << 12,
  kHttpResponseHeaderInvalid = 1ull << 13,
  kHttpMissingHostHeader = 1ull << 14,
  kHttpHostHeaderAmbiguous = 1ull << 15,
  kHttpInvalidRequestFieldFolding = 1ull << 16,
  kHttpInvalidResponseFieldFolding = 1ull << 17,
  kHttpRequestFieldTooLong = 1ull << 18,
  kHttpResponseFieldTooLong = 1ull << 19,
  kHttpRequestLineInvalid = 1ull << 20,
  kHttpRequestHeaderRepetition = 1ull << 21,
  kHttpResponseHeaderRepetition = 1ull << 22,
  kHttpResponseInvalidProtocol = 1ull << 23,
  kHttpResponseInvalidStatus = 1ull << 24,
  kHttpRequestLineIncomplete = 1ull << 25,
  kHttpCompressionBomb = 1ull << 26,
  kHttpGzipDecompressionFailed = 1ull << 27,
  kHttpRequestChunkExtension = 1ull << 28,
  kHttpRequestLineMissingProtocol = 1ull << 29,
  kHttpRequestTooManyHeaders = 1ull << 30,
  kHttpResponseTooManyHeaders = 1ull << 31,
  kHttpRequestUriHostInvalid = 1ull << 32,
  kHttpRequestHeaderHostInvalid = 1ull << 33,
};
inline constexpr int kHttpEventCount = 34;
// "REQUEST_FIELD_MISSING_COLON", ... for the flag with bit `bit`; "" outside the range.
std::string_view http_event_name(int bit);

// What became available in one feed()/close() call. An interim 1xx response shows its
// kResponseLine and kResponseHeaders too; the final response's then replace them in the
// transaction.
enum class HttpPart : std::uint8_t {
  kRequestLine,
  kRequestHeaders,
  kRequestBody,  // body bytes [offset, offset + length) of request_body()
  kRequestComplete,
  kResponseLine,
  kResponseHeaders,
  kResponseBody,  // body bytes [offset, offset + length) of response_body()
  kResponseComplete,
};
struct HttpProgress {
  std::uint64_t tx_id = 0;
  HttpPart part = HttpPart::kRequestLine;
  std::uint32_t offset = 0;  // body parts only
  std::uint32_t length = 0;
};
// The caller clears it between calls; its capacity is reused.
using HttpProgressList = std::vector<HttpProgress>;

// One header after normalization: duplicates merged with ", ", folded lines joined, leading
// and trailing whitespace of the value removed (as libhtp).
struct HttpHeader {
  std::string_view name;
  std::string_view value;
};

// One request or response. Views returned by its accessors point into its own strings and
// are invalidated by further parsing of this message and by release().
class HttpMessage {
 public:
  std::string_view line() const { return line_; }                // request/status line, no CRLF
  std::string_view raw_headers() const { return raw_headers_; }  // as received, with CRLFs
  std::size_t header_count() const { return merged_.size(); }
  HttpHeader header(std::size_t i) const;
  // The merged value of header `name` (any case); empty when absent.
  std::string_view header(std::string_view name) const;
  bool has_header(std::string_view name) const;
  // Suricata's http.header: "Name: value\r\n" per merged header, Cookie (requests) or
  // Set-Cookie (responses) left out.
  std::string_view normalized_headers() const { return normalized_; }
  // Suricata's http.header_names: "\r\n" + each name + "\r\n" ... + "\r\n".
  std::string_view header_names() const { return names_; }
  // Suricata's http.start: the line, "\r\n", each "Name: value\r\n", "\r\n".
  std::string_view start() const { return start_; }
  // Dechunked and inflated, up to the body limit.
  std::span<const std::uint8_t> body() const {
    return {reinterpret_cast<const std::uint8_t*>(body_.data()), body_.size()};
  }
  std::uint64_t body_length() const { return body_wire_; }  // dechunked, before inflating
  bool body_truncated() const { return body_truncated_; }   // more than the limit came
  bool headers_done() const { return headers_done_; }
  bool complete() const { return complete_; }

 private:
  friend class HttpSession;
  friend class HttpTransaction;
  struct Field {
    std::uint32_t name_at, name_len, value_at, value_len;
  };
  void reset();
  std::string_view name_of(const Field& f, const std::string& store) const;

  std::string line_;
  std::string raw_headers_;
  std::string fields_store_;  // name and value of each header line, folding applied
  std::vector<Field> fields_;
  std::string merged_store_;
  std::vector<Field> merged_;
  std::string normalized_, names_, start_;
  std::string body_;
  std::uint64_t body_wire_ = 0;
  bool body_truncated_ = false;
  bool headers_done_ = false;
  bool complete_ = false;
};

class HttpTransaction {
 public:
  std::uint64_t id() const { return id_; }
  std::uint64_t events() const { return events_; }  // HttpEvent flags

  // Request (http.method, http.uri.raw, http.protocol, ...).
  const HttpMessage& request() const { return request_; }
  bool has_request() const { return has_request_; }  // false: a response nobody asked for
  std::string_view method() const { return slice(request_.line_, method_); }
  std::string_view uri_raw() const { return slice(request_.line_, uri_); }
  std::string_view uri() const { return uri_norm_; }  // http.uri (normalized)
  std::string_view request_protocol() const { return slice(request_.line_, req_proto_); }
  std::string_view host() const { return host_; }  // http.host: lower case, no port
  std::string_view host_raw() const { return request_.header("Host"); }
  std::string_view user_agent() const { return request_.header("User-Agent"); }
  std::string_view cookie() const { return request_.header("Cookie"); }
  std::string_view referer() const { return request_.header("Referer"); }
  std::span<const std::uint8_t> request_body() const { return request_.body(); }

  // Response (http.stat_code, http.server, file.data, ...).
  const HttpMessage& response() const { return response_; }
  std::string_view response_protocol() const { return slice(response_.line_, res_proto_); }
  std::string_view status_code() const { return slice(response_.line_, status_); }
  int status() const { return status_number_; }  // -1 when absent or not a number
  std::string_view status_message() const { return slice(response_.line_, message_); }
  std::string_view location() const { return response_.header("Location"); }
  std::string_view server() const { return response_.header("Server"); }
  std::span<const std::uint8_t> response_body() const { return response_.body(); }

  bool complete() const { return request_.complete_ && response_.complete_; }
  // The connection stopped being HTTP after this transaction (CONNECT or 101).
  bool tunnel() const { return tunnel_; }

 private:
  friend class HttpSession;
  struct Range {
    std::uint32_t at = 0, len = 0;
  };
  static std::string_view slice(const std::string& s, Range r) {
    return r.at <= s.size() ? std::string_view(s).substr(r.at, r.len) : std::string_view();
  }
  void reset(std::uint64_t id);

  std::uint64_t id_ = 0;
  std::uint64_t events_ = 0;
  HttpMessage request_, response_;
  Range method_, uri_, req_proto_, res_proto_, status_, message_;
  std::string uri_norm_, host_;
  int status_number_ = -1;
  bool has_request_ = false;
  bool http09_ = false;
  bool head_ = false;
  bool connect_ = false;
  bool continue_seen_ = false;
  bool response_started_ = false;
  bool tunnel_ = false;
  bool released_ = false;
};

// http.uri from a request target as libhtp's IDS personality and Suricata make it: the path
// percent- and %u-decoded, backslashes made slashes, lower-cased, repeated slashes compressed,
// dot segments removed (RFC 3986 5.2.4 as libhtp implements it), UTF-8 mapped to one byte per
// character; then "?" and the query as sent, "#" and the percent-decoded fragment. The
// scheme and authority of an absolute URI are left out; `host` gets its host name (lower
// case, without port or trailing dot), or is cleared. Appends nothing else to `out` (cleared).
void normalize_uri(std::string_view raw, std::string& out, std::string& host);

class HttpSession {
 public:
  explicit HttpSession(const HttpConfig& config = {});
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  // In-order stream bytes of one direction, any split. Appends to `out` what progressed.
  void feed(HttpDir dir, std::span<const std::uint8_t> data, HttpProgressList& out);
  // Data lost in `dir`: its message in progress is left incomplete and the direction is not
  // parsed any further (a lost byte count cannot be resynchronized safely).
  void gap(HttpDir dir);
  // End of the connection: completes a close-delimited response body; other messages in
  // progress stay incomplete. Appends completions to `out`.
  void close(HttpProgressList& out);
  void close() {
    HttpProgressList ignored;
    close(ignored);
  }

  // nullptr when the id is unknown, released or recycled.
  const HttpTransaction* find(std::uint64_t tx_id) const;
  // The engine is done with it: recycled once the parser is done with it too.
  void release(std::uint64_t tx_id);

  bool tunneled() const { return tunnel_; }  // CONNECT/Upgrade: no more parsing
  // More than max_pending_transactions unanswered requests: requests are no longer parsed.
  bool overloaded() const { return overloaded_; }

 private:
  enum class State : std::uint8_t {
    kLine,
    kHeaders,
    kBodyLength,
    kChunkSize,
    kChunkData,
    kChunkEnd,
    kTrailers,
    kBodyClose,
    kStopped,
  };
  enum class Coding : std::uint8_t { kIdentity, kGzip, kDeflate };
  struct Direction {
    State state = State::kLine;
    std::string line;  // pending line bytes (without the LF)
    bool line_too_long = false;
    std::uint64_t left = 0;         // body or chunk bytes still to come
    HttpTransaction* tx = nullptr;  // message being parsed
    Coding coding = Coding::kIdentity;
    bool inflating = false;          // zlib stream set up for this body
    bool inflate_done = false;       // stopped: end, error, limit or bomb
    bool raw_deflate_retry = false;  // "deflate" sent without the zlib header
    std::uint64_t inflate_in = 0;
    z_stream zs{};
    bool zs_ready = false;
    bool waiting_connect = false;  // to server: CONNECT sent, its answer not yet seen
    bool trailers = false;         // trailer lines came after the last chunk
  };

  void feed_dir(bool to_server, std::span<const std::uint8_t> data, HttpProgressList& out);
  std::size_t take_line(Direction& d, std::span<const std::uint8_t> data, bool& have_line);
  void on_line(bool to_server, Direction& d, HttpProgressList& out);
  void request_line(Direction& d, HttpProgressList& out);
  void response_line(Direction& d, HttpProgressList& out);
  void header_line(bool to_server, Direction& d);
  void headers_done(bool to_server, Direction& d, HttpProgressList& out);
  void merge_headers(bool to_server, HttpTransaction& tx, HttpMessage& m);
  void finish_request_headers(HttpTransaction& tx);
  void start_body(bool to_server, Direction& d, HttpProgressList& out);
  void chunk_size_line(bool to_server, Direction& d);
  void body_bytes(bool to_server, Direction& d, std::span<const std::uint8_t> data,
                  HttpProgressList& out);
  void store_body(bool to_server, Direction& d, const std::uint8_t* p, std::size_t n,
                  HttpProgressList& out);
  void inflate_body(bool to_server, Direction& d, std::span<const std::uint8_t> data,
                    HttpProgressList& out);
  void message_done(bool to_server, Direction& d, HttpProgressList& out);
  HttpTransaction* new_transaction();
  HttpTransaction* next_unanswered();
  void recycle_finished();
  std::size_t body_limit(bool to_server) const {
    return to_server ? config_.request_body_limit : config_.response_body_limit;
  }

  HttpConfig config_;
  Direction dirs_[2];                                   // [0] to client, [1] to server
  std::vector<std::unique_ptr<HttpTransaction>> live_;  // by id
  std::vector<std::unique_ptr<HttpTransaction>> free_;
  std::uint64_t next_id_ = 0;
  bool tunnel_ = false;
  bool overloaded_ = false;
  std::vector<std::uint8_t> merged_flag_;  // scratch of headers_done: header already merged
};

}  // namespace wp::applayer
