// Application-layer messages built by code for tests: DNS messages and TLS handshakes (hellos,
// a certificate made with OpenSSL), as bytes ready to put in packets or stream segments.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wp::testing {

using Bytes8 = std::vector<std::uint8_t>;

// A DNS message under construction: header, then questions and answers in order.
struct DnsBuilder {
  Bytes8 b;

  DnsBuilder(std::uint16_t id, std::uint16_t flags, std::uint16_t questions,
             std::uint16_t answers);
  DnsBuilder& u8(int v);
  DnsBuilder& u16(int v);
  DnsBuilder& u32(std::uint32_t v);
  DnsBuilder& name(std::string_view dotted);  // labels then the root label
  DnsBuilder& question(std::string_view name, int type);
  // An A record answer for `name` with address a.b.c.d.
  DnsBuilder& answer_a(std::string_view name, std::uint32_t ttl, std::uint8_t a, std::uint8_t b,
                       std::uint8_t c, std::uint8_t d);
  std::string text() const { return std::string(b.begin(), b.end()); }
  // With the 2-byte length DNS over TCP puts before each message.
  std::string tcp_text() const;
};

// TLS handshake messages wrapped in one handshake record each.
std::string tls_client_hello(std::string_view sni);
std::string tls_server_hello();  // TLS 1.2, cipher 0xc02f, no extensions
// A Certificate message carrying one certificate: subject C=VN, O=Khanh Hoa DC,
// CN=<cn>, issuer CN=Watchpost Test CA, serial 0A:1B:2C, valid 1700000000..1800000000 (the
// DER in `der`, its SHA-1 fingerprint "aa:bb:.." in `fingerprint`).
struct TestCert {
  Bytes8 der;
  std::string fingerprint;
};
TestCert make_test_cert(std::string_view cn);
std::string tls_certificate(const TestCert& cert);

}  // namespace wp::testing
