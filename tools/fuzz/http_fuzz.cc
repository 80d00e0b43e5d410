// libFuzzer target: the HTTP/1.x parser (sensor/applayer/http.h) on a connection's two
// directions. Byte 0 = piece size (1..255), byte 1 = a direction pattern (bit i of it, cycling,
// says whether piece i goes to the server), byte 2 = small limits when odd (so the line, header,
// body and transaction bounds are reached by short inputs), bit 1 of it = a gap in the middle.
// The rest is cut into pieces fed to one HttpSession, which is then closed; every transaction
// seen in the progress is read whole and released. Looks for crashes, hangs and sanitizer
// reports; the kept bodies must stay within their limits.
// Seeds: WP_FUZZ_WRITE_SEEDS=DIR writes pipelined requests with a chunked gzip response.
#include <cstdlib>
#include <fstream>
#include <string>

#include "applayer/http.h"
#include "support/app_messages.h"

namespace {

void write_seeds(const std::string& dir) {
  // piece 255, pattern 0x01: the first piece (both requests) to the server, the rest back.
  const std::string requests =
      "GET /a/../b%41?x=1 HTTP/1.1\r\nHost: Example.COM:80\r\nUser-Agent: ua\r\nCookie: c=1\r\n"
      "X-Fold: a\r\n b\r\n\r\n"
      "POST /up HTTP/1.1\r\nHost: e\r\nTransfer-Encoding: chunked\r\n\r\n3;x\r\nabc\r\n0\r\n\r\n";
  const std::string body = wp::testing::gzip("<html>" + std::string(300, 'x') + "</html>");
  char size[16];
  std::snprintf(size, sizeof size, "%zx\r\n", body.size());
  const std::string responses =
      "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n" +
      std::string(size) + body +
      "\r\n0\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
  std::string seed = std::string("\xff\x01\x00", 3) + requests;
  seed.resize(3 + 255, ' ');  // the first piece holds the requests
  std::ofstream(dir + "/pipelined", std::ios::binary) << seed + responses;
  std::ofstream(dir + "/http09", std::ios::binary)
      << std::string("\x0c\x01\x01", 3) + "GET /old\r\n\r\n" + "<html>hello</html>";
}

void inspect(const wp::applayer::HttpSession& s, std::uint64_t id,
             const wp::applayer::HttpConfig& c) {
  const auto* tx = s.find(id);
  if (tx == nullptr) return;
  if (tx->request_body().size() > c.request_body_limit) std::abort();
  if (tx->response_body().size() > c.response_body_limit) std::abort();
  std::size_t sum = tx->uri().size() + tx->host().size() + tx->method().size() +
                    tx->status_code().size() + tx->status_message().size();
  for (const auto* m : {&tx->request(), &tx->response()}) {
    for (std::size_t i = 0; i < m->header_count(); ++i) sum += m->header(i).value.size();
    sum += m->normalized_headers().size() + m->header_names().size() + m->start().size();
    if (m->raw_headers().size() > c.max_header_bytes + 2) std::abort();
  }
  if (sum == ~std::size_t{0}) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("WP_FUZZ_WRITE_SEEDS")) write_seeds(dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const std::size_t piece = data[0] == 0 ? 1 : data[0];
  const std::uint8_t pattern = data[1];
  wp::applayer::HttpConfig config;
  if ((data[2] & 1) != 0) {
    config.request_body_limit = 64;
    config.response_body_limit = 100;
    config.max_line = 80;
    config.max_headers = 4;
    config.max_header_bytes = 256;
    config.max_pending_transactions = 3;
    config.decompress_bomb_min_output = 50;
    config.decompress_ratio_limit = 4;
  }
  const bool gap = (data[2] & 2) != 0;
  wp::applayer::HttpSession s(config);
  wp::applayer::HttpProgressList out;
  std::span<const std::uint8_t> rest(data + 3, size - 3);
  const std::size_t gap_at = rest.size() / 2;
  std::size_t fed = 0;
  for (int i = 0; !rest.empty(); ++i) {
    const std::size_t n = std::min(piece, rest.size());
    const bool to_server = ((pattern >> (i % 8)) & 1) != 0;
    const auto dir =
        to_server ? wp::applayer::HttpDir::kToServer : wp::applayer::HttpDir::kToClient;
    if (gap && fed <= gap_at && fed + n > gap_at) s.gap(dir);
    out.clear();
    s.feed(dir, rest.first(n), out);
    for (const auto& p : out) {
      inspect(s, p.tx_id, config);
      if (p.part == wp::applayer::HttpPart::kResponseComplete) s.release(p.tx_id);
    }
    fed += n;
    rest = rest.subspan(n);
  }
  out.clear();
  s.close(out);
  for (const auto& p : out) inspect(s, p.tx_id, config);
  return 0;
}
