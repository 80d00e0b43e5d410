// libFuzzer target: the DNS parser (sensor/applayer/dns.h) on one message as a UDP payload,
// and the same bytes as a DNS-over-TCP stream cut into pieces (byte 0 = piece size) through
// DnsTcpFramer, each framed message parsed. Every name read back must lie inside the name
// buffer and be at most kMaxNameLength long; anything else, a crash or a sanitizer report is
// a finding. Seeds: WP_FUZZ_WRITE_SEEDS=DIR writes a query, a compressed response and a loop.
#include <cstdlib>
#include <fstream>
#include <string>

#include "applayer/dns.h"

namespace {

using wp::applayer::DnsMessage;

void check(const DnsMessage& m) {
  const auto ok = [&](wp::applayer::DnsName n) {
    if (std::size_t{n.offset} + n.length > m.names.size() ||
        n.length > wp::applayer::kMaxNameLength) {
      std::abort();
    }
    (void)m.name(n);
  };
  for (const auto& q : m.questions) ok(q.name);
  for (const auto& a : m.answers) {
    ok(a.name);
    ok(a.data_name);
  }
}

void write_seeds(const std::string& dir) {
  const auto seed = [&](const std::string& name, std::initializer_list<int> bytes) {
    std::string s;
    for (int b : bytes) s.push_back(static_cast<char>(b));
    std::ofstream(dir + "/" + name, std::ios::binary) << s;
  };
  // Query for www.example.com A; a response with a compressed CNAME answer; a loop.
  seed("query", {0x12, 0x34, 0x01, 0x00, 0,   1,   0,   0, 0,   0,   0,   0, 3, 'w', 'w', 'w', 7,
                 'e',  'x',  'a',  'm',  'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1,   0,   1});
  seed("response",
       {0x12, 0x34, 0x81, 0x80, 0,   1,   0,   1, 0,   0,   0,   0, 3,   'w', 'w', 'w',  7,
        'e',  'x',  'a',  'm',  'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0,   1,   0,   1,    0xc0,
        12,   0,    5,    0,    1,   0,   0,   0, 60,  0,   6,   3, 'c', 'd', 'n', 0xc0, 16});
  seed("loop", {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1});
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("WP_FUZZ_WRITE_SEEDS")) write_seeds(dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static DnsMessage m;
  const wp::Bytes all(data, size);
  (void)wp::applayer::parse_dns(all, m);
  check(m);
  if (size < 1) return 0;
  const std::size_t piece = data[0] == 0 ? 1 : data[0];
  wp::applayer::DnsTcpFramer framer;
  wp::Bytes rest = all.subspan(1);
  while (!rest.empty()) {
    const std::size_t n = std::min(piece, rest.size());
    framer.feed(rest.first(n), [&](wp::Bytes msg) {
      (void)wp::applayer::parse_dns(msg, m);
      check(m);
    });
    rest = rest.subspan(n);
  }
  if (framer.buffered() > 65537) std::abort();
  return 0;
}
