// libFuzzer target: the TLS handshake parser (sensor/applayer/tls.h) on a session's two
// directions. Byte 0 = piece size (1..255), byte 1 = a direction pattern (bit i of it, cycling,
// says whether piece i goes to the server); the rest is cut into pieces fed to one TlsSession.
// Looks for crashes, hangs and sanitizer reports; the parsed fields must stay within bounds.
// Seeds: WP_FUZZ_WRITE_SEEDS=DIR writes a ClientHello with SNI, a TLS 1.2 ServerHello, and a
// ServerHello with a Certificate message.
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "applayer/tls.h"
#include "pieces.h"

namespace {

std::string be24(std::size_t v) {
  return {static_cast<char>(v >> 16 & 0xff), static_cast<char>(v >> 8 & 0xff),
          static_cast<char>(v & 0xff)};
}

// A signed X.509 v3 certificate (subject and issuer names, serial, validity), DER.
std::string certificate_der() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1234);
  ASN1_TIME_set(X509_getm_notBefore(x), 1700000000);
  ASN1_TIME_set(X509_getm_notAfter(x), 1800000000);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("fuzz.example"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(X509_get_issuer_name(x), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Fuzz CA"), -1, -1, 0);
  X509_set_pubkey(x, key);
  X509_sign(x, key, EVP_sha256());
  unsigned char* p = nullptr;
  const int n = i2d_X509(x, &p);
  std::string der(reinterpret_cast<const char*>(p), n > 0 ? static_cast<std::size_t>(n) : 0);
  OPENSSL_free(p);
  X509_free(x);
  EVP_PKEY_free(key);
  return der;
}

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
  // The ServerHello and a Certificate message with a certificate made here, in one record:
  // the seed that reaches the DER walk of certificates.
  std::string der = certificate_der();
  std::string list = be24(der.size()) + der;
  std::string message = std::string("\x0b", 1) + be24(list.size() + 3) + be24(list.size()) + list;
  std::string hello = std::string("\x02\x00\x00\x26\x03\x03", 6) + std::string(32, '\x22') +
                      std::string("\x00\xc0\x2b\x00", 4);
  const std::string flight = hello + message;
  std::ofstream(dir + "/server-certificate", std::ios::binary)
      << std::string("\xff\x00", 2) + std::string("\x16\x03\x03", 3) +
             std::string(1, static_cast<char>(flight.size() >> 8)) +
             std::string(1, static_cast<char>(flight.size() & 0xff)) + flight;
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
