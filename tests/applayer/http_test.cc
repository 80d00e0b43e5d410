// The HTTP/1.x parser: messages split at every byte, pipelining and keep-alive, chunked and
// content-length bodies, gzip and deflate (made here with zlib), bounds, malformed input, and
// the normalized values against libhtp's (when libhtp is installed: WP_HAVE_LIBHTP).
#include "applayer/http.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>
#include <vector>

#ifdef WP_HAVE_LIBHTP
#include <htp/htp.h>
#endif

namespace wp::applayer {
namespace {

std::span<const std::uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
std::string text(std::span<const std::uint8_t> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

// Feeds `data` to one direction in pieces of `piece` bytes; returns the progress.
HttpProgressList feed(HttpSession& s, HttpDir dir, std::string_view data, std::size_t piece = 0) {
  HttpProgressList out;
  if (piece == 0) piece = data.size() == 0 ? 1 : data.size();
  for (std::size_t at = 0; at < data.size(); at += piece) {
    s.feed(dir, bytes(data.substr(at, piece)), out);
  }
  return out;
}
HttpProgressList req(HttpSession& s, std::string_view d, std::size_t piece = 0) {
  return feed(s, HttpDir::kToServer, d, piece);
}
HttpProgressList res(HttpSession& s, std::string_view d, std::size_t piece = 0) {
  return feed(s, HttpDir::kToClient, d, piece);
}
bool has(const HttpProgressList& l, std::uint64_t id, HttpPart part) {
  for (const auto& p : l) {
    if (p.tx_id == id && p.part == part) return true;
  }
  return false;
}

// format = 31: gzip, 15: zlib ("deflate"), -15: raw deflate.
std::string compress(std::string_view plain, int window) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, window, 9, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, plain.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  zs.avail_in = static_cast<uInt>(plain.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}
std::string chunked(std::string_view body, std::size_t chunk) {
  std::string out;
  char size[32];
  for (std::size_t at = 0; at < body.size(); at += chunk) {
    const auto part = body.substr(at, chunk);
    std::snprintf(size, sizeof size, "%zx\r\n", part.size());
    out.append(size).append(part).append("\r\n");
  }
  return out + "0\r\n\r\n";
}

const std::string kRequest =
    "GET /search/../Index.php?q=%41+b HTTP/1.1\r\n"
    "Host: WWW.Example.COM:8080\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n"
    "Accept: text/html\r\n"
    "Accept-Encoding: gzip, deflate\r\n"
    "Accept-Language: en-US\r\n"
    "Referer: http://example.com/\r\n"
    "Cookie: a=1\r\n"
    "Connection: keep-alive\r\n"
    "\r\n";

TEST(HttpParser, ParsesRequestFieldsSplitAtEveryByte) {
  for (std::size_t cut = 1; cut < kRequest.size(); ++cut) {
    HttpSession s;
    HttpProgressList out;
    s.feed(HttpDir::kToServer, bytes(std::string_view(kRequest).substr(0, cut)), out);
    s.feed(HttpDir::kToServer, bytes(std::string_view(kRequest).substr(cut)), out);
    ASSERT_TRUE(has(out, 0, HttpPart::kRequestComplete)) << cut;
    const HttpTransaction* tx = s.find(0);
    ASSERT_NE(tx, nullptr);
    EXPECT_EQ(tx->method(), "GET");
    EXPECT_EQ(tx->uri_raw(), "/search/../Index.php?q=%41+b");
    EXPECT_EQ(tx->uri(), "/index.php?q=%41+b");
    EXPECT_EQ(tx->request_protocol(), "HTTP/1.1");
    EXPECT_EQ(tx->host(), "www.example.com");
    EXPECT_EQ(tx->host_raw(), "WWW.Example.COM:8080");
    EXPECT_EQ(tx->user_agent(), "Mozilla/5.0 (X11; Linux x86_64)");
    EXPECT_EQ(tx->cookie(), "a=1");
    EXPECT_EQ(tx->referer(), "http://example.com/");
    EXPECT_EQ(tx->request().header("accept-encoding"), "gzip, deflate");
    EXPECT_EQ(tx->request().line(), "GET /search/../Index.php?q=%41+b HTTP/1.1");
    EXPECT_EQ(tx->request().raw_headers(), kRequest.substr(kRequest.find("\r\n") + 2));
    EXPECT_EQ(tx->events(), 0u) << cut;
  }
}

TEST(HttpParser, ComposesSuricataHeaderBuffers) {
  HttpSession s;
  req(s, "GET / HTTP/1.1\r\nHost: h\r\nCookie: c=1\r\nX-A:  v  \r\n\r\n");
  const HttpTransaction* tx = s.find(0);
  ASSERT_NE(tx, nullptr);
  EXPECT_EQ(tx->request().normalized_headers(), "Host: h\r\nX-A: v\r\n");
  EXPECT_EQ(tx->request().header_names(), "\r\nHost\r\nCookie\r\nX-A\r\n\r\n");
  EXPECT_EQ(tx->request().start(), "GET / HTTP/1.1\r\nHost: h\r\nCookie: c=1\r\nX-A: v\r\n\r\n");
}

TEST(HttpParser, MergesDuplicateAndFoldedHeaders) {
  HttpSession s;
  req(s, "GET / HTTP/1.1\r\nHost: h\r\nX-Dup: a\r\nX-Fold: one\r\n\t two\r\nx-dup: b\r\n\r\n");
  const HttpTransaction* tx = s.find(0);
  ASSERT_NE(tx, nullptr);
  EXPECT_EQ(tx->request().header("X-Dup"), "a, b");
  EXPECT_EQ(tx->request().header("X-Fold"), "one\t two");
  EXPECT_EQ(tx->request().header_count(), 3u);
  EXPECT_NE(tx->events() & kHttpRequestHeaderRepetition, 0u);
}

TEST(HttpParser, PairsPipelinedRequestsWithResponsesInOrder) {
  HttpSession s;
  const auto out = req(s,
                       "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
                       "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
                       "HEAD /3 HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_TRUE(has(out, 2, HttpPart::kRequestComplete));
  res(s,
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"
      "HTTP/1.1 201 Created\r\nContent-Length: 3\r\n\r\ntwo"
      "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"  // HEAD: no body follows
      "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  for (std::uint64_t id = 0; id < 3; ++id) {
    const HttpTransaction* tx = s.find(id);
    ASSERT_NE(tx, nullptr);
    EXPECT_TRUE(tx->complete()) << id;
  }
  EXPECT_EQ(text(s.find(0)->response_body()), "one");
  EXPECT_EQ(text(s.find(1)->request_body()), "hello");
  EXPECT_EQ(text(s.find(1)->response_body()), "two");
  EXPECT_EQ(s.find(1)->status(), 201);
  EXPECT_EQ(s.find(1)->status_message(), "Created");
  EXPECT_TRUE(s.find(2)->response_body().empty());
  // The fourth response answers nothing.
  ASSERT_NE(s.find(3), nullptr);
  EXPECT_FALSE(s.find(3)->has_request());
  EXPECT_NE(s.find(3)->events() & kHttpUnableToMatchResponseToRequest, 0u);
}

TEST(HttpParser, KeepAliveTransactionsGetIncreasingIdsAndRecycle) {
  HttpSession s;
  for (std::uint64_t i = 0; i < 50; ++i) {
    const auto a = req(s, "GET /x" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\n\r\n");
    ASSERT_TRUE(has(a, i, HttpPart::kRequestComplete));
    const auto b = res(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    ASSERT_TRUE(has(b, i, HttpPart::kResponseComplete));
    ASSERT_EQ(s.find(i)->uri(), "/x" + std::to_string(i));
    s.release(i);
    EXPECT_EQ(s.find(i), nullptr);
  }
}

TEST(HttpParser, DecodesChunkedBodyWithExtensionsAndTrailersSplitAtEveryByte) {
  const std::string body = "The quick brown fox jumps over the lazy dog";
  const std::string wire =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value\r\nThe q\r\n"
      "C\r\nuick brown f\r\n"
      "1a  \r\nox jumps over the lazy dog\r\n"
      "0\r\nX-Trailer: t\r\n\r\n";
  for (std::size_t piece = 1; piece <= wire.size(); ++piece) {
    HttpSession s;
    req(s, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    const auto out = res(s, wire, piece);
    ASSERT_TRUE(has(out, 0, HttpPart::kResponseComplete)) << piece;
    EXPECT_EQ(text(s.find(0)->response_body()), body) << piece;
    // Body progress covers the body exactly once.
    std::size_t covered = 0;
    for (const auto& p : out) {
      if (p.part != HttpPart::kResponseBody) continue;
      EXPECT_EQ(p.offset, covered);
      covered += p.length;
    }
    EXPECT_EQ(covered, body.size());
    EXPECT_EQ(s.find(0)->response().header("X-Trailer"), "t");
  }
}

TEST(HttpParser, InflatesGzipAndDeflateBodies) {
  std::string plain;
  for (int i = 0; i < 2000; ++i) plain += "line " + std::to_string(i) + "\n";
  struct Case {
    const char* encoding;
    int window;
  } cases[] = {{"gzip", 31}, {"deflate", 15}, {"deflate", -15}};
  for (const auto& c : cases) {
    const std::string z = compress(plain, c.window);
    HttpSession s;
    req(s, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    res(s,
        std::string("HTTP/1.1 200 OK\r\nContent-Encoding: ") + c.encoding +
            "\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(z, 100),
        37);
    const HttpTransaction* tx = s.find(0);
    ASSERT_TRUE(tx->complete()) << c.window;
    EXPECT_EQ(text(tx->response_body()), plain) << c.window;
    EXPECT_EQ(tx->response().body_length(), z.size());
    EXPECT_EQ(tx->events(), 0u) << c.window;
  }
}

TEST(HttpParser, InflatesABodyThatArrivesInOneSegment) {
  // One call whose output is many times the inflate step: zlib holds output back when the
  // output buffer fills, and it must still come out although no more input follows.
  std::string plain;
  for (int i = 0; i < 9000; ++i) plain += "row " + std::to_string(i % 10) + "\n";
  const std::string z = compress(plain, 31);
  HttpConfig config;
  config.decompress_ratio_limit = 1000000;  // this body is not a bomb
  HttpSession s(config);
  req(s, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  res(s, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " +
             std::to_string(z.size()) + "\r\n\r\n" + z);
  const HttpTransaction* tx = s.find(0);
  ASSERT_TRUE(tx->complete());
  EXPECT_EQ(text(tx->response_body()), plain);
  EXPECT_EQ(tx->events(), 0u);
}

TEST(HttpParser, FlagsDecompressionBombAndStopsInflating) {
  const std::string z = compress(std::string(10 * 1024 * 1024, 'A'), 31);
  HttpSession s;
  req(s, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  res(s, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " +
             std::to_string(z.size()) + "\r\n\r\n" + z);
  const HttpTransaction* tx = s.find(0);
  ASSERT_TRUE(tx->complete());
  EXPECT_NE(tx->events() & kHttpCompressionBomb, 0u);
  EXPECT_LE(tx->response_body().size(), HttpConfig{}.response_body_limit);
  EXPECT_TRUE(tx->response().body_truncated());
}

TEST(HttpParser, KeepsBodiesUpToTheLimit) {
  HttpConfig config;
  config.request_body_limit = 10;
  config.response_body_limit = 4;
  HttpSession s(config);
  req(s,
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 26\r\n\r\nabcdefghijklmnopqrstuvwxyz"
      "GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
  res(s, "HTTP/1.1 200 OK\r\n\r\n0123456789");
  s.close();
  EXPECT_EQ(text(s.find(0)->request_body()), "abcdefghij");
  EXPECT_TRUE(s.find(0)->request().body_truncated());
  EXPECT_EQ(s.find(0)->request().body_length(), 26u);
  EXPECT_EQ(s.find(1)->uri(), "/next");
  // A close-delimited body ends with the connection.
  EXPECT_TRUE(s.find(0)->response().complete());
  EXPECT_EQ(text(s.find(0)->response_body()), "0123");
}

TEST(HttpParser, SkipsInterim100ContinueAndFlagsASecondOne) {
  HttpSession s;
  req(s, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nhi");
  res(s,
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  const HttpTransaction* tx = s.find(0);
  EXPECT_EQ(tx->status(), 200);
  EXPECT_EQ(text(tx->response_body()), "ok");
  EXPECT_TRUE(tx->complete());
  EXPECT_NE(tx->events() & kHttp100ContinueAlreadySeen, 0u);
}

TEST(HttpParser, ClearsTheInterimStatusWhileTheFinalResponseIsAwaited) {
  HttpSession s;
  req(s, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  res(s, "HTTP/1.1 100 Continue with a long message\r\n\r\n");
  const HttpTransaction* tx = s.find(0);
  EXPECT_EQ(tx->status(), -1);
  EXPECT_EQ(tx->status_code(), "");
  EXPECT_EQ(tx->status_message(), "");
  res(s, "HTTP/1.1 204 No Content\r\n\r\n");
  EXPECT_EQ(tx->status_code(), "204");
  EXPECT_TRUE(tx->complete());
}

TEST(HttpParser, StopsAfterSuccessfulConnectAndUpgrade) {
  {
    HttpSession s;
    req(s, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01");
    res(s, "HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03");
    EXPECT_TRUE(s.tunneled());
    EXPECT_TRUE(s.find(0)->tunnel());
    req(s, "GET / HTTP/1.1\r\n\r\n");
    EXPECT_EQ(s.find(1), nullptr);
  }
  {
    HttpSession s;
    req(s, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
    res(s, "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n");
    EXPECT_FALSE(s.tunneled());
    req(s, "GET /after HTTP/1.1\r\nHost: h\r\n\r\n");
    ASSERT_NE(s.find(1), nullptr);
    EXPECT_EQ(s.find(1)->uri(), "/after");
  }
  {
    HttpSession s;
    req(s, "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    res(s, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello");
    EXPECT_TRUE(s.tunneled());
    EXPECT_TRUE(s.find(0)->complete());
  }
}

TEST(HttpParser, ParsesHttp09SimpleRequestAndItsBareResponse) {
  HttpSession s;
  const auto out = req(s, "GET /old\r\n");
  EXPECT_TRUE(has(out, 0, HttpPart::kRequestComplete));
  res(s, "<html>hello</html>");
  s.close();
  const HttpTransaction* tx = s.find(0);
  EXPECT_EQ(tx->uri(), "/old");
  EXPECT_EQ(tx->request_protocol(), "");
  EXPECT_NE(tx->events() & kHttpRequestLineMissingProtocol, 0u);
  EXPECT_EQ(text(tx->response_body()), "<html>hello</html>");
  EXPECT_TRUE(tx->complete());
}

TEST(HttpParser, StopsADirectionAfterAGap) {
  HttpSession s;
  req(s, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nabc");
  s.gap(HttpDir::kToServer);
  req(s, "GET /lost HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(s.find(1), nullptr);
  EXPECT_FALSE(s.find(0)->request().complete());
  res(s, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(s.find(0)->response().complete());
}

struct Malformed {
  const char* name;
  std::string request;
  std::string response;
  std::uint64_t event;
};

TEST(HttpParser, FlagsMalformedInputAndKeepsGoing) {
  HttpConfig config;
  config.max_line = 200;
  config.max_headers = 8;
  std::string many_headers = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 20; ++i) many_headers += "X-" + std::to_string(i) + ": v\r\n";
  const std::string ok_response = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  const Malformed cases[] = {
      {"missing colon", "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", ok_response,
       kHttpRequestFieldMissingColon},
      {"response missing colon", "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
       "HTTP/1.1 200 OK\r\nBroken\r\nContent-Length: 0\r\n\r\n", kHttpResponseFieldMissingColon},
      {"bad content-length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 12x\r\n\r\n",
       ok_response, kHttpInvalidContentLengthInRequest},
      {"negative content-length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -5\r\n\r\n",
       ok_response, kHttpInvalidContentLengthInRequest},
      {"duplicate content-length",
       "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx", ok_response,
       kHttpDuplicateContentLengthInRequest},
      {"bad response content-length", "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
       "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
       kHttpInvalidContentLengthInResponse},
      {"negative chunk size", "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nabc\r\n",
       kHttpInvalidResponseChunkLen},
      {"huge chunk size", "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nabc\r\n",
       kHttpInvalidResponseChunkLen},
      {"request chunk garbage",
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", ok_response,
       kHttpInvalidRequestChunkLen},
      {"chunk extension",
       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1;a=b\r\nx\r\n0\r\n\r\n",
       ok_response, kHttpRequestChunkExtension},
      {"bad transfer-encoding", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
       ok_response, kHttpInvalidTransferEncodingInRequest},
      {"header line too long",
       "GET / HTTP/1.1\r\nHost: h\r\nX-Long: " + std::string(1000, 'a') + "\r\n\r\n", ok_response,
       kHttpRequestFieldTooLong},
      {"too many headers", many_headers + "\r\n", ok_response, kHttpRequestTooManyHeaders},
      {"invalid header name", "GET / HTTP/1.1\r\nHost: h\r\nBad Name: v\r\n\r\n", ok_response,
       kHttpRequestHeaderInvalid},
      {"folding on first header", "GET / HTTP/1.1\r\n folded: v\r\nHost: h\r\n\r\n", ok_response,
       kHttpInvalidRequestFieldFolding},
      {"missing host", "GET / HTTP/1.1\r\n\r\n", ok_response, kHttpMissingHostHeader},
      {"ambiguous host", "GET http://a.com/ HTTP/1.1\r\nHost: b.com\r\n\r\n", ok_response,
       kHttpHostHeaderAmbiguous},
      {"bad host port", "GET / HTTP/1.1\r\nHost: h:port\r\n\r\n", ok_response,
       kHttpRequestHeaderHostInvalid},
      {"bad status", "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
       "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n", kHttpResponseInvalidStatus},
      {"bad response protocol", "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
       "XTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", kHttpResponseInvalidProtocol},
      {"bad gzip", "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
       "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 10\r\n\r\nnot-a-gzip",
       kHttpGzipDecompressionFailed},
      {"binary garbage", std::string("\x01\x02\xff\xfe garbage\x00\x7f\r\n", 16), "",
       kHttpRequestLineInvalid},
  };
  for (const auto& c : cases) {
    for (std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{0}}) {
      HttpSession s(config);
      req(s, c.request, piece);
      res(s, c.response, piece);
      const HttpTransaction* tx = s.find(0);
      ASSERT_NE(tx, nullptr) << c.name;
      EXPECT_NE(tx->events() & c.event, 0u) << c.name << " piece " << piece;
      // The session goes on or has stopped cleanly: more bytes never crash it.
      req(s, "GET /after HTTP/1.1\r\nHost: h\r\n\r\n", piece);
      res(s, ok_response, piece);
      s.close();
    }
  }
}

TEST(HttpParser, NamesEveryEvent) {
  for (int bit = 0; bit < kHttpEventCount; ++bit) EXPECT_FALSE(http_event_name(bit).empty());
  EXPECT_EQ(http_event_name(0), "REQUEST_FIELD_MISSING_COLON");
  EXPECT_EQ(http_event_name(kHttpEventCount), "");
}

TEST(HttpParser, BoundsPendingTransactions) {
  HttpConfig config;
  config.max_pending_transactions = 4;
  HttpSession s(config);
  std::string many;
  for (int i = 0; i < 10; ++i) many += "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  req(s, many);
  EXPECT_TRUE(s.overloaded());
  EXPECT_NE(s.find(3), nullptr);
  EXPECT_EQ(s.find(4), nullptr);
}

// --- Normalization: own table, then the same inputs against libhtp ---

struct UriCase {
  std::string_view raw;
  std::string_view uri;   // http.uri
  std::string_view host;  // from an absolute URI
};
const UriCase kUriCases[] = {
    {"/a/./b/../c//d%41%u0042\\e?x=%41+b#fr%41", "/a/c/dab/e?x=%41+b#frA", ""},
    {"/../../x", "/x", ""},
    {"/a/b/..", "/a", ""},
    {"/a/./", "/a", ""},
    {"//x/.", "/x", ""},
    {"/%2e%2e/%2fetc%5cpasswd", "/etc/passwd", ""},
    {"/a%zz%u12%7", "/a%zz%u12%7", ""},
    {"/%uff0fwin%u0041", "/wina", ""},
    {"/%u0100%u2215x", "/a/x", ""},
    {"/caf%c3%a9", "/caf\xe9", ""},
    {"/a/%c0%af", "/a//", ""},
    {"http://Host.Com:80/p?q", "/p?q", "host.com"},
    {"http://user:pw@www.B.org./x/../y", "/y", "www.b.org"},
    {"/Mixed/CASE.html?Q=Up", "/mixed/case.html?Q=Up", ""},
    {"/a?", "/a?", ""},
    {"/%00z", std::string_view("/\0z", 3), ""},
};

TEST(HttpNormalize, MatchesTheTable) {
  std::string out, host;
  for (const auto& c : kUriCases) {
    normalize_uri(c.raw, out, host);
    EXPECT_EQ(out, c.uri) << c.raw;
    EXPECT_EQ(host, c.host) << c.raw;
  }
}

#ifdef WP_HAVE_LIBHTP
// libhtp configured as Suricata configures it (app-layer-htp.c: IDS personality, no cookie
// parsing, no '+' to space, request decompression).
class Libhtp {
 public:
  Libhtp() {
    cfg_ = htp_config_create();
    htp_config_set_server_personality(cfg_, HTP_SERVER_IDS);
    htp_config_set_parse_request_cookies(cfg_, 0);
    htp_config_set_plusspace_decode(cfg_, HTP_DECODER_URLENCODED, 0);
    htp_config_set_request_decompression(cfg_, 1);
    htp_config_set_allow_space_uri(cfg_, 1);
    htp_config_register_response_body_data(cfg_, [](htp_tx_data_t* d) {
      if (d->data != nullptr && body_ != nullptr) {
        body_->append(reinterpret_cast<const char*>(d->data), d->len);
      }
      return HTP_OK;
    });
  }
  ~Libhtp() { htp_config_destroy(cfg_); }
  // Parses one request; returns its first transaction's values.
  struct Values {
    bool parsed = false;
    std::string uri, host;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  struct ResponseValues {
    bool parsed = false;
    int status = 0;
    std::string message, body;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  // Parses one request and its response; the body as libhtp's body hook sees it (dechunked,
  // inflated).
  ResponseValues parse_response(const std::string& request, const std::string& response) {
    ResponseValues v;
    body_ = &v.body;
    htp_connp_t* c = htp_connp_create(cfg_);
    htp_connp_open(c, "10.0.0.1", 40000, "10.0.0.2", 80, nullptr);
    htp_connp_req_data(c, nullptr, request.data(), request.size());
    htp_connp_res_data(c, nullptr, response.data(), response.size());
    htp_connp_close(c, nullptr);
    htp_tx_t* tx =
        static_cast<htp_tx_t*>(htp_list_get(htp_connp_get_connection(c)->transactions, 0));
    if (tx != nullptr && tx->response_message != nullptr) {
      v.parsed = true;
      v.status = tx->response_status_number;
      v.message = str(tx->response_message);
      for (std::size_t i = 0; i < htp_table_size(tx->response_headers); ++i) {
        auto* h = static_cast<htp_header_t*>(htp_table_get_index(tx->response_headers, i, nullptr));
        v.headers.emplace_back(str(h->name), str(h->value));
      }
    }
    htp_connp_destroy_all(c);
    body_ = nullptr;
    return v;
  }
  Values parse(const std::string& request) {
    Values v;
    htp_connp_t* c = htp_connp_create(cfg_);
    htp_connp_open(c, "10.0.0.1", 40000, "10.0.0.2", 80, nullptr);
    htp_connp_req_data(c, nullptr, request.data(), request.size());
    htp_tx_t* tx =
        static_cast<htp_tx_t*>(htp_list_get(htp_connp_get_connection(c)->transactions, 0));
    if (tx != nullptr && tx->parsed_uri != nullptr) {
      v.parsed = true;
      // Suricata's http.uri: path, "?" query, "#" fragment of the normalized URI.
      const htp_uri_t* u = tx->parsed_uri;
      if (u->path != nullptr) v.uri += str(u->path);
      if (u->query != nullptr) v.uri += "?" + str(u->query);
      if (u->fragment != nullptr) v.uri += "#" + str(u->fragment);
      if (tx->request_hostname != nullptr) v.host = str(tx->request_hostname);
      for (std::size_t i = 0; i < htp_table_size(tx->request_headers); ++i) {
        auto* h = static_cast<htp_header_t*>(htp_table_get_index(tx->request_headers, i, nullptr));
        v.headers.emplace_back(str(h->name), str(h->value));
      }
    }
    htp_connp_destroy_all(c);
    return v;
  }

 private:
  static std::string str(const bstr* b) {
    return std::string(reinterpret_cast<const char*>(bstr_ptr(b)), bstr_len(b));
  }
  static inline std::string* body_ = nullptr;  // where the body hook appends
  htp_cfg_t* cfg_;
};

std::string lower_copy(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

TEST(HttpNormalize, UriAndHostEqualLibhtps) {
  Libhtp htp;
  for (const auto& c : kUriCases) {
    const std::string request = "GET " + std::string(c.raw) + " HTTP/1.1\r\nHost: h\r\n\r\n";
    const auto want = htp.parse(request);
    ASSERT_TRUE(want.parsed) << c.raw;
    HttpSession s;
    req(s, request);
    const HttpTransaction* tx = s.find(0);
    ASSERT_NE(tx, nullptr);
    EXPECT_EQ(tx->uri(), want.uri) << c.raw;
    EXPECT_EQ(tx->host(), want.host) << c.raw;
  }
}

// More request targets, checked against libhtp only.
const char* kParityTargets[] = {
    "/a/%2e%2e/b",
    "/./a",
    "/a/..",
    "/..",
    "/a/b/../../..",
    "/a//b/./c",
    "/x%20y",
    "/%u002e%u002e/etc",
    "/a#frag?x",
    "/a?b#c#d",
    "/A%2FB%5Cc",
    "/%41%42%43?%41",
    "/%",
    "/%4",
    "/%u",
    "/%u004",
    "/a.b/c..d/...",
    "/a/.../b",
    "/.hidden/./x",
    "/a/b/c/../../d",
    "/%e2%82%ac",
    "/%c0%af",
    "/%ff",
    "/Ab%u0043",
    "/tail/.",
    "/tail/..",
    "/\\server\\share",
    "http://EXAMPLE.com",
    "http://example.com?x=1",
    "https://h:8443/a/../b#F%41",
    "/ab%u00",
    "/%uFF21%uff41",
};

TEST(HttpNormalize, MoreTargetsEqualLibhtps) {
  Libhtp htp;
  for (const char* target : kParityTargets) {
    const std::string request = "GET " + std::string(target) + " HTTP/1.1\r\nHost: h\r\n\r\n";
    const auto want = htp.parse(request);
    ASSERT_TRUE(want.parsed) << target;
    HttpSession s;
    req(s, request);
    const HttpTransaction* tx = s.find(0);
    ASSERT_NE(tx, nullptr);
    EXPECT_EQ(tx->uri(), want.uri) << target;
    EXPECT_EQ(tx->host(), lower_copy(want.host)) << target;
  }
}

TEST(HttpNormalize, EveryUEscapeAndUtf8CharacterEqualsLibhtps) {
  // libhtp's best-fit map (http_bestfit.h) for every code point above U+00FF, as %uXXXX and
  // as UTF-8 (surrogates have no UTF-8 form).
  Libhtp htp;
  char target[64];
  for (unsigned cp = 0x100; cp <= 0xffff; ++cp) {
    std::snprintf(target, sizeof target, "/a%%u%04xb", cp);
    std::string request = "GET " + std::string(target) + " HTTP/1.1\r\nHost: h\r\n\r\n";
    HttpSession s;
    req(s, request);
    ASSERT_EQ(s.find(0)->uri(), htp.parse(request).uri) << target;
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    if (cp < 0x800) {
      std::snprintf(target, sizeof target, "/a%%%02x%%%02xb", 0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    } else {
      std::snprintf(target, sizeof target, "/a%%%02x%%%02x%%%02xb", 0xe0 | (cp >> 12),
                    0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    }
    request = "GET " + std::string(target) + " HTTP/1.1\r\nHost: h\r\n\r\n";
    HttpSession s2;
    req(s2, request);
    ASSERT_EQ(s2.find(0)->uri(), htp.parse(request).uri) << target;
  }
}

TEST(HttpNormalize, HostAndHeadersEqualLibhtps) {
  const std::string requests[] = {
      "GET / HTTP/1.1\r\nHost: WWW.Example.COM:8080\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nX-Fold: a\r\n  b\r\n\tc \r\nX-Dup: 1\r\nx-dup: 2\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nSpaces:    v  w   \r\nEmpty:\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\nOther: x\r\n\r\n",
      "GET http://Abs.Example/p HTTP/1.1\r\nHost: abs.example\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nName : v\r\nTight:v\r\n:novalue\r\nBad Name: w\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nLong: " + std::string(300, 'x') + "\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h.example.\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\nUnix: lf only\n\n",
  };
  Libhtp htp;
  for (const std::string& r : requests) {
    const auto want = htp.parse(r);
    ASSERT_TRUE(want.parsed) << r;
    HttpSession s;
    req(s, r);
    const HttpTransaction* tx = s.find(0);
    ASSERT_NE(tx, nullptr);
    // Deliberate difference: libhtp 0.5 keeps the case of a Host header's name; http.host
    // is lower case in Suricata (its rules must use lower case), so ours is lower-cased.
    EXPECT_EQ(tx->host(), lower_copy(want.host)) << r;
    ASSERT_EQ(tx->request().header_count(), want.headers.size()) << r;
    for (std::size_t i = 0; i < want.headers.size(); ++i) {
      EXPECT_EQ(tx->request().header(i).name, want.headers[i].first) << r;
      EXPECT_EQ(tx->request().header(i).value, want.headers[i].second) << r;
    }
  }
}

TEST(HttpNormalize, ResponsesEqualLibhtps) {
  std::string page;
  for (int i = 0; i < 500; ++i) page += "<p>item " + std::to_string(i) + "</p>\n";
  const std::string gz = compress(page, 31);
  const std::string request = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string responses[] = {
      "HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 5\r\n\r\nhello",
      "HTTP/1.1 404   Not  Found  \r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Fold: a\r\n b\r\n\r\n"
      "3;ext\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: t\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + std::to_string(gz.size()) +
          "\r\n\r\n" + gz,
      "HTTP/1.0 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nuntil the close",
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
      "HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: " +
          std::to_string(compress(page, 15).size()) + "\r\n\r\n" + compress(page, 15),
      "HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: " +
          std::to_string(compress(page, -15).size()) + "\r\n\r\n" + compress(page, -15),
      "HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n",
  };
  Libhtp htp;
  for (const auto& r : responses) {
    const auto want = htp.parse_response(request, r);
    ASSERT_TRUE(want.parsed) << r;
    HttpSession s;
    req(s, request);
    res(s, r);
    s.close();
    const HttpTransaction* tx = s.find(0);
    ASSERT_NE(tx, nullptr);
    EXPECT_EQ(tx->status(), want.status) << r;
    EXPECT_EQ(tx->status_message(), want.message) << r;
    EXPECT_EQ(text(tx->response_body()), want.body) << r;
    ASSERT_EQ(tx->response().header_count(), want.headers.size()) << r;
    for (std::size_t i = 0; i < want.headers.size(); ++i) {
      EXPECT_EQ(tx->response().header(i).name, want.headers[i].first) << r;
      EXPECT_EQ(tx->response().header(i).value, want.headers[i].second) << r;
    }
  }
}
#endif

}  // namespace
}  // namespace wp::applayer
