#include "support/app_messages.h"

#include <openssl/evp.h>
#include <zlib.h>
#include <openssl/x509.h>

#include <cstdio>
#include <memory>

namespace wp::testing {
namespace {

void put8(Bytes8& b, unsigned v) { b.push_back(static_cast<std::uint8_t>(v)); }
void put16(Bytes8& b, unsigned v) {
  put8(b, v >> 8);
  put8(b, v & 0xff);
}
void put24(Bytes8& b, std::size_t v) {
  put8(b, static_cast<unsigned>(v >> 16));
  put16(b, static_cast<unsigned>(v & 0xffff));
}
void append(Bytes8& b, const Bytes8& more) { b.insert(b.end(), more.begin(), more.end()); }
Bytes8 with16(const Bytes8& body) {
  Bytes8 b;
  put16(b, static_cast<unsigned>(body.size()));
  append(b, body);
  return b;
}
// One handshake message of `type` in one record.
std::string record(unsigned type, const Bytes8& body) {
  Bytes8 hs;
  put8(hs, type);
  put24(hs, body.size());
  append(hs, body);
  Bytes8 r = {0x16, 0x03, 0x03};
  put16(r, static_cast<unsigned>(hs.size()));
  append(r, hs);
  return std::string(r.begin(), r.end());
}

}  // namespace

DnsBuilder::DnsBuilder(std::uint16_t id, std::uint16_t flags, std::uint16_t questions,
                       std::uint16_t answers) {
  u16(id).u16(flags).u16(questions).u16(answers).u16(0).u16(0);
}
DnsBuilder& DnsBuilder::u8(int v) {
  b.push_back(static_cast<std::uint8_t>(v));
  return *this;
}
DnsBuilder& DnsBuilder::u16(int v) { return u8(v >> 8).u8(v & 0xff); }
DnsBuilder& DnsBuilder::u32(std::uint32_t v) {
  return u16(static_cast<int>(v >> 16)).u16(static_cast<int>(v & 0xffff));
}
DnsBuilder& DnsBuilder::name(std::string_view dotted) {
  std::size_t start = 0;
  while (start < dotted.size()) {
    std::size_t dot = dotted.find('.', start);
    if (dot == std::string_view::npos) dot = dotted.size();
    u8(static_cast<int>(dot - start));
    for (std::size_t i = start; i < dot; ++i) u8(dotted[i]);
    start = dot + 1;
  }
  return u8(0);
}
DnsBuilder& DnsBuilder::question(std::string_view n, int type) { return name(n).u16(type).u16(1); }
DnsBuilder& DnsBuilder::answer_a(std::string_view n, std::uint32_t ttl, std::uint8_t a,
                                 std::uint8_t bb, std::uint8_t c, std::uint8_t d) {
  return name(n).u16(1).u16(1).u32(ttl).u16(4).u8(a).u8(bb).u8(c).u8(d);
}
std::string DnsBuilder::tcp_text() const {
  std::string out;
  out.push_back(static_cast<char>(b.size() >> 8));
  out.push_back(static_cast<char>(b.size() & 0xff));
  return out + text();
}

// Ciphers 0x1301, 0xc02f; extensions SNI and supported groups (29, 23).
std::string tls_client_hello(std::string_view sni) {
  Bytes8 b;
  put16(b, 0x0303);
  b.insert(b.end(), 32, 0x11);
  put8(b, 0);
  Bytes8 ciphers;
  for (unsigned c : {0x1301u, 0xc02fu}) put16(ciphers, c);
  append(b, with16(ciphers));
  put8(b, 1);
  put8(b, 0);
  Bytes8 entry;
  put8(entry, 0);
  append(entry, with16(Bytes8(sni.begin(), sni.end())));
  Bytes8 ext;
  put16(ext, 0);
  append(ext, with16(with16(entry)));
  Bytes8 groups;
  for (unsigned g : {29u, 23u}) put16(groups, g);
  put16(ext, 10);
  append(ext, with16(with16(groups)));
  append(b, with16(ext));
  return record(1, b);
}

std::string tls_server_hello() {
  Bytes8 b;
  put16(b, 0x0303);
  b.insert(b.end(), 32, 0x22);
  put8(b, 0);
  put16(b, 0xc02f);
  put8(b, 0);
  return record(2, b);
}

TestCert make_test_cert(std::string_view cn) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> x(X509_new(), X509_free);
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 0x0a1b2c);
  ASN1_TIME_set(X509_getm_notBefore(x.get()), 1700000000);
  ASN1_TIME_set(X509_getm_notAfter(x.get()), 1800000000);
  auto add = [](X509_NAME* n, const char* field, std::string_view v) {
    const std::string s(v);
    X509_NAME_add_entry_by_txt(n, field, MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(s.c_str()), -1, -1, 0);
  };
  X509_NAME* subject = X509_get_subject_name(x.get());
  add(subject, "C", "VN");
  add(subject, "O", "Khanh Hoa DC");
  add(subject, "CN", cn);
  add(X509_get_issuer_name(x.get()), "CN", "Watchpost Test CA");
  X509_set_pubkey(x.get(), key.get());
  X509_sign(x.get(), key.get(), EVP_sha256());
  TestCert c;
  unsigned char* p = nullptr;
  const int n = i2d_X509(x.get(), &p);
  c.der.assign(p, p + n);
  OPENSSL_free(p);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  X509_digest(x.get(), EVP_sha1(), md, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < len; ++i) {
    if (i) c.fingerprint += ':';
    c.fingerprint += kHex[md[i] >> 4];
    c.fingerprint += kHex[md[i] & 15];
  }
  return c;
}

std::string tls_certificate(const TestCert& cert) {
  Bytes8 list;
  put24(list, cert.der.size());
  append(list, cert.der);
  Bytes8 body;
  put24(body, list.size());
  append(body, list);
  return record(11, body);
}

std::string http_request(std::string_view method, std::string_view target,
                         const std::vector<std::string>& headers, std::string_view body) {
  std::string m = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\n";
  for (const std::string& h : headers) m += h + "\r\n";
  if (!body.empty()) m += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  m += "\r\n";
  m += body;
  return m;
}

std::string http_response(int code, std::string_view reason, const std::vector<std::string>& headers,
                          std::string_view body) {
  std::string m = "HTTP/1.1 " + std::to_string(code) + " " + std::string(reason) + "\r\n";
  bool chunked = false;
  for (const std::string& h : headers) {
    m += h + "\r\n";
    chunked = chunked || h.rfind("Transfer-Encoding:", 0) == 0;
  }
  if (!chunked) m += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  m += "\r\n";
  m += body;
  return m;
}

std::string http_chunked(std::string_view data, std::size_t size) {
  std::string out;
  for (std::size_t at = 0; at < data.size(); at += size) {
    const std::string_view piece = data.substr(at, size);
    char len[20];
    std::snprintf(len, sizeof len, "%zx\r\n", piece.size());
    out += len;
    out += piece;
    out += "\r\n";
  }
  out += "0\r\n\r\n";
  return out;
}

std::string gzip(std::string_view data) {
  z_stream zs{};
  deflateInit2(&zs, 9, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY);  // 31: gzip framing
  std::string out(deflateBound(&zs, data.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

namespace {
void put_be32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}
}  // namespace

std::string ssh_packet(std::string_view payload) {
  std::string out;
  put_be32(out, static_cast<std::uint32_t>(1 + payload.size() + 4));
  out.push_back(4);
  out += payload;
  out += std::string(4, '\0');
  return out;
}

std::string ssh_kexinit(const std::vector<std::string>& lists) {
  std::string p(1, 20);
  p += std::string(16, 'C');  // cookie
  for (const std::string& l : lists) {
    put_be32(p, static_cast<std::uint32_t>(l.size()));
    p += l;
  }
  p.push_back(0);  // first_kex_packet_follows
  put_be32(p, 0);
  return ssh_packet(p);
}

std::string base64_mime(std::string_view data) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string flat;
  for (std::size_t i = 0; i < data.size(); i += 3) {
    std::uint32_t v = static_cast<std::uint8_t>(data[i]) << 16;
    if (i + 1 < data.size()) v |= static_cast<std::uint8_t>(data[i + 1]) << 8;
    if (i + 2 < data.size()) v |= static_cast<std::uint8_t>(data[i + 2]);
    flat.push_back(kAlphabet[(v >> 18) & 63]);
    flat.push_back(kAlphabet[(v >> 12) & 63]);
    flat.push_back(i + 1 < data.size() ? kAlphabet[(v >> 6) & 63] : '=');
    flat.push_back(i + 2 < data.size() ? kAlphabet[v & 63] : '=');
  }
  std::string out;
  for (std::size_t i = 0; i < flat.size(); i += 76) out += flat.substr(i, 76) + "\r\n";
  return out;
}

}  // namespace wp::testing
