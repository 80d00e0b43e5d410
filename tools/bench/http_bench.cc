// watchpost-bench-http: the HTTP/1.x parser (sensor/applayer/http.h) against libhtp, the
// parser Suricata uses, on the same generated traffic in the same run. Connections of
// keep-alive transactions: a browser GET with 10 headers (one segment), a response with 8
// headers and a gzip body sent chunked, cut into 1448-byte segments. Both parsers keep bodies
// up to 100 KiB and inflate them (libhtp configured as Suricata's IDS personality, body hooks
// copying into a buffer as Suricata's do). Prints MB/s and transactions/s of each, their
// ratio, and the heap allocations each made (malloc and operator new are counted here), per
// transaction and in steady state (a second pass over sessions already warmed up).
//
// usage: watchpost-bench-http [--connections N] [--transactions-per-connection T]
//                             [--body-bytes B] [--repeat R]
#include <htp/htp.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "applayer/http.h"

// --- Allocation counting: every malloc-family call and operator new in this process. ---
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void __libc_free(void*);
}
namespace {
std::atomic<std::uint64_t> g_allocations{0};
}
extern "C" void* malloc(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(n);
}
extern "C" void* calloc(std::size_t a, std::size_t b) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_calloc(a, b);
}
extern "C" void* realloc(void* p, std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_realloc(p, n);
}
extern "C" void free(void* p) { __libc_free(p); }
void* operator new(std::size_t n) {
  void* p = malloc(n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void operator delete(void* p) noexcept { free(p); }
void operator delete(void* p, std::size_t) noexcept { free(p); }

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kSegment = 1448;
constexpr std::size_t kBodyLimit = 100 * 1024;

struct Segment {
  bool to_server;
  std::string data;
};
using Connection = std::vector<Segment>;

std::string gzip(const std::string& plain) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, plain.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  zs.avail_in = static_cast<uInt>(plain.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// A page that compresses like HTML (repeated markup, varying text).
std::string page(std::size_t bytes, unsigned seed) {
  std::string s = "<!DOCTYPE html><html><head><title>Page</title></head><body>\n";
  unsigned x = seed * 2654435761u + 1;
  while (s.size() < bytes) {
    x = x * 1103515245u + 12345u;
    s += "<div class=\"item\"><a href=\"/article/" + std::to_string(x % 100000) + "\">Story " +
         std::to_string((x >> 8) % 997) + "</a><p>Lorem ipsum dolor sit amet " +
         std::to_string(x >> 16) + "</p></div>\n";
  }
  s.resize(bytes);
  return s;
}

std::string request(unsigned i) {
  return "GET /news/section-" + std::to_string(i % 17) + "/article.php?id=" + std::to_string(i) +
         "&ref=home HTTP/1.1\r\n"
         "Host: www.example.com\r\n"
         "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0\r\n"
         "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
         "Accept-Language: en-US,en;q=0.5\r\n"
         "Accept-Encoding: gzip, deflate\r\n"
         "Referer: http://www.example.com/news/\r\n"
         "Cookie: session=" +
         std::to_string(i * 7919u) +
         "; theme=dark; consent=1\r\n"
         "Connection: keep-alive\r\n"
         "Upgrade-Insecure-Requests: 1\r\n"
         "Cache-Control: max-age=0\r\n\r\n";
}

std::string response(const std::string& body_gz) {
  std::string r =
      "HTTP/1.1 200 OK\r\n"
      "Date: Mon, 01 Jan 2024 00:00:00 GMT\r\n"
      "Server: nginx/1.24.0\r\n"
      "Content-Type: text/html; charset=utf-8\r\n"
      "Transfer-Encoding: chunked\r\n"
      "Connection: keep-alive\r\n"
      "Vary: Accept-Encoding\r\n"
      "Cache-Control: private\r\n"
      "Content-Encoding: gzip\r\n\r\n";
  char size[32];
  for (std::size_t at = 0; at < body_gz.size(); at += 4096) {
    const std::size_t n = std::min<std::size_t>(4096, body_gz.size() - at);
    std::snprintf(size, sizeof size, "%zx\r\n", n);
    r.append(size).append(body_gz, at, n).append("\r\n");
  }
  return r + "0\r\n\r\n";
}

std::vector<Connection> make_traffic(unsigned connections, unsigned per_connection,
                                     std::size_t body_bytes, std::uint64_t& total_bytes) {
  std::vector<std::string> bodies;
  for (unsigned i = 0; i < 8; ++i) bodies.push_back(gzip(page(body_bytes, i)));
  std::vector<Connection> out(connections);
  total_bytes = 0;
  unsigned n = 0;
  for (auto& c : out) {
    for (unsigned t = 0; t < per_connection; ++t, ++n) {
      const std::string req = request(n);
      c.push_back({true, req});
      const std::string res = response(bodies[n % bodies.size()]);
      for (std::size_t at = 0; at < res.size(); at += kSegment) {
        c.push_back({false, res.substr(at, kSegment)});
      }
      total_bytes += req.size() + res.size();
    }
  }
  return out;
}

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// --- Ours ---
struct OwnResult {
  std::uint64_t transactions = 0, body_bytes = 0;
};
OwnResult run_own(const std::vector<Connection>& traffic,
                  std::vector<wp::applayer::HttpSession*>& sessions) {
  OwnResult r;
  wp::applayer::HttpProgressList out;
  out.reserve(64);
  for (std::size_t i = 0; i < traffic.size(); ++i) {
    wp::applayer::HttpSession& s = *sessions[i];
    for (const Segment& seg : traffic[i]) {
      out.clear();
      s.feed(seg.to_server ? wp::applayer::HttpDir::kToServer : wp::applayer::HttpDir::kToClient,
             bytes(seg.data), out);
      for (const auto& p : out) {
        if (p.part == wp::applayer::HttpPart::kResponseBody) r.body_bytes += p.length;
        if (p.part == wp::applayer::HttpPart::kResponseComplete) {
          ++r.transactions;
          s.release(p.tx_id);
        }
      }
    }
  }
  return r;
}

// --- libhtp, as Suricata sets it up ---
struct HtpUser {
  std::vector<char> body;
  std::size_t used = 0;
  std::uint64_t transactions = 0, body_bytes = 0;
};
HtpUser* g_user = nullptr;

int on_response_body(htp_tx_data_t* d) {
  if (d->data == nullptr) return HTP_OK;
  g_user->body_bytes += d->len;
  const std::size_t room = kBodyLimit > g_user->used ? kBodyLimit - g_user->used : 0;
  const std::size_t n = std::min(room, d->len);
  std::memcpy(g_user->body.data() + g_user->used, d->data, n);
  g_user->used += n;
  return HTP_OK;
}
int on_response_complete(htp_tx_t*) {
  ++g_user->transactions;
  g_user->used = 0;
  return HTP_OK;
}

htp_cfg_t* suricata_like_config() {
  htp_cfg_t* cfg = htp_config_create();
  htp_config_set_server_personality(cfg, HTP_SERVER_IDS);
  htp_config_set_parse_request_cookies(cfg, 0);
  htp_config_set_plusspace_decode(cfg, HTP_DECODER_URLENCODED, 0);
  htp_config_set_request_decompression(cfg, 1);
  htp_config_set_response_decompression(cfg, 1);
  htp_config_set_allow_space_uri(cfg, 1);
  htp_config_set_field_limits(cfg, 9000, 18000);
  htp_config_set_compression_bomb_limit(cfg, 1024 * 1024);
  htp_config_set_tx_auto_destroy(cfg, 1);
  htp_config_register_response_body_data(cfg, on_response_body);
  htp_config_register_response_complete(cfg, on_response_complete);
  return cfg;
}

void run_htp(const std::vector<Connection>& traffic, htp_cfg_t* cfg) {
  for (const Connection& c : traffic) {
    htp_connp_t* connp = htp_connp_create(cfg);
    htp_connp_open(connp, "10.0.0.1", 40000, "10.0.0.2", 80, nullptr);
    for (const Segment& seg : c) {
      if (seg.to_server) {
        htp_connp_req_data(connp, nullptr, seg.data.data(), seg.data.size());
      } else {
        htp_connp_res_data(connp, nullptr, seg.data.data(), seg.data.size());
      }
    }
    htp_connp_destroy_all(connp);
  }
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  unsigned connections = 200, per_connection = 20, repeat = 5;
  std::size_t body_bytes = 20000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const unsigned long v = std::strtoul(argv[i + 1], nullptr, 10);
    if (a == "--connections")
      connections = static_cast<unsigned>(v);
    else if (a == "--transactions-per-connection")
      per_connection = static_cast<unsigned>(v);
    else if (a == "--body-bytes")
      body_bytes = v;
    else if (a == "--repeat")
      repeat = static_cast<unsigned>(v);
    else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  std::uint64_t total = 0;
  const auto traffic = make_traffic(connections, per_connection, body_bytes, total);
  const double mb = static_cast<double>(total) * repeat / 1e6;
  const double txs = static_cast<double>(connections) * per_connection * repeat;
  std::printf(
      "traffic: %u connections x %u transactions, %.1f MB per pass (bodies %zu bytes "
      "before gzip), %u passes\n",
      connections, per_connection, static_cast<double>(total) / 1e6, body_bytes, repeat);

  // Ours: sessions made once (as a flow's session lives as long as the flow); the first pass
  // warms their pools up, the timed passes are steady state.
  std::vector<wp::applayer::HttpSession*> sessions;
  const std::uint64_t a0 = g_allocations.load();
  for (unsigned i = 0; i < connections; ++i) sessions.push_back(new wp::applayer::HttpSession());
  OwnResult warm = run_own(traffic, sessions);
  const std::uint64_t own_first = g_allocations.load() - a0;
  const std::uint64_t a1 = g_allocations.load();
  auto t = Clock::now();
  OwnResult own;
  for (unsigned r = 0; r < repeat; ++r) {
    const OwnResult o = run_own(traffic, sessions);
    own.transactions += o.transactions;
    own.body_bytes += o.body_bytes;
  }
  const double own_s = seconds_since(t);
  const std::uint64_t own_steady = g_allocations.load() - a1;

  htp_cfg_t* cfg = suricata_like_config();
  HtpUser user;
  user.body.resize(kBodyLimit);
  g_user = &user;
  run_htp(traffic, cfg);  // warm-up, as ours
  user.transactions = user.body_bytes = 0;
  const std::uint64_t h0 = g_allocations.load();
  t = Clock::now();
  for (unsigned r = 0; r < repeat; ++r) run_htp(traffic, cfg);
  const double htp_s = seconds_since(t);
  const std::uint64_t htp_allocs = g_allocations.load() - h0;

  std::printf("own:    %8.1f MB/s %10.0f tx/s  (%llu tx, %llu inflated body bytes)\n", mb / own_s,
              txs / own_s, static_cast<unsigned long long>(own.transactions),
              static_cast<unsigned long long>(own.body_bytes));
  std::printf("libhtp: %8.1f MB/s %10.0f tx/s  (%llu tx, %llu inflated body bytes)\n", mb / htp_s,
              txs / htp_s, static_cast<unsigned long long>(user.transactions),
              static_cast<unsigned long long>(user.body_bytes));
  std::printf("ratio own/libhtp: %.2fx\n", htp_s / own_s);
  std::printf(
      "allocations: own %.2f per tx on first use of a session (%llu), %.4f per tx in "
      "steady state (%llu); libhtp %.1f per tx (%llu)\n",
      static_cast<double>(own_first) / (txs / repeat), static_cast<unsigned long long>(own_first),
      static_cast<double>(own_steady) / txs, static_cast<unsigned long long>(own_steady),
      static_cast<double>(htp_allocs) / txs, static_cast<unsigned long long>(htp_allocs));
  if (warm.transactions == 0 || own.transactions != user.transactions ||
      own.body_bytes != user.body_bytes) {
    std::printf("MISMATCH: the parsers did not see the same transactions or bodies\n");
    return 1;
  }
  for (auto* s : sessions) delete s;
  htp_config_destroy(cfg);
  return 0;
}
