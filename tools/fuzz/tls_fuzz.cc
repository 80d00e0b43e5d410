// libFuzzer target: the TLS handshake parser (sensor/applayer/tls.h) on a session's two
// directions. Byte 0 = piece size (1..255), byte 1 = a direction pattern (bit i of it, cycling,
// says whether piece i goes to the server); the rest is cut into pieces fed to one TlsSession.
// Looks for crashes, hangs and sanitizer reports; the parsed fields must stay within bounds.
// Seeds: WP_FUZZ_WRITE_SEEDS=DIR writes a ClientHello with SNI and a TLS 1.2 ServerHello.
#include <cstdlib>
#include <fstream>
#include <string>

#include "applayer/tls.h"
#include "pieces.h"

namespace {

void write_seeds(const std::string& dir) {
  // piece 64, pattern 0x01 (first piece to the server), then records.
  const std::string client =
      std::string("\x40\x01", 2) +
      std::string("\x16\x03\x01\x00\x47\x01\x00\x00\x43\x03\x03", 11) + std::string(32, '\x11') +
      std::string("\x00\x00\x04\x13\x01\xc0\x2b\x01\x00\x00\x16\x00\x00\x00\x12\x00\x10\x00\x00"
                  "\x0dwww.example.ab\x00\x0b\x00\x02\x01\x00",
                  36);
  std::ofstream(dir + "/client-hello", std::ios::binary) << client;
  const std::string server =
      std::string("\xff\x00", 2) + std::string("\x16\x03\x03\x00\x2a\x02\x00\x00\x26\x03\x03", 11) +
      std::string(32, '\x22') + std::string("\x00\xc0\x2b\x00", 4);
  std::ofstream(dir + "/server-hello", std::ios::binary) << server;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("WP_FUZZ_WRITE_SEEDS")) write_seeds(dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  wp::applayer::TlsSession s;
  wp::fuzz::feed_in_pieces(data, size, [&](bool to_server, wp::Bytes piece) {
    s.feed(to_server, piece);
  });
  const auto& info = s.info();
  if (info.certificates.size() > wp::applayer::kMaxCertificates) std::abort();
  if (info.sni.size() > 65535) std::abort();
  return 0;
}
