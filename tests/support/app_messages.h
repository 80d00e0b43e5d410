// Application-layer messages built by code for tests: DNS messages, TLS handshakes (hellos,
// a certificate made with OpenSSL) and HTTP/1.1 messages (bodies chunked or gzipped with
// zlib), as bytes ready to put in packets or stream segments.
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

// An HTTP/1.1 request: the request line, each header line as given ("Name: value"), a
// Content-Length for a non-empty body, the body.
std::string http_request(std::string_view method, std::string_view target,
                         const std::vector<std::string>& headers, std::string_view body = {});
// A response with status line "HTTP/1.1 <code> <reason>"; `body` gets a Content-Length unless
// a Transfer-Encoding header is among `headers` (the body is then sent as given).
std::string http_response(int code, std::string_view reason, const std::vector<std::string>& headers,
                          std::string_view body = {});
// `data` in chunks of `size` bytes, with the last chunk.
std::string http_chunked(std::string_view data, std::size_t size);
// `data` gzip-compressed (zlib).
std::string gzip(std::string_view data);

// An SSH binary packet (RFC 4253 6) carrying `payload`, 4 bytes of padding, no MAC.
std::string ssh_packet(std::string_view payload);
// An SSH KEXINIT packet with the ten name-lists given in order (kex, host key, encryption
// c2s/s2c, MAC c2s/s2c, compression c2s/s2c, languages c2s/s2c).
std::string ssh_kexinit(const std::vector<std::string>& lists);
// `data` in base64 (RFC 4648), lines of 76 characters ending in CRLF, as MIME writes it.
std::string base64_mime(std::string_view data);

}  // namespace wp::testing
