// The TLS handshake parser: ClientHello (SNI, JA3), ServerHello (JA3S, version), certificates
// in clear, records split and coalesced, messages spanning records, and malformed input.
// Every message and record is built here; certificates with OpenSSL (here and in tests/support).
#include "applayer/tls.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <vector>

#include "support/app_messages.h"

namespace wp::applayer {
namespace {

using Buf = std::vector<std::uint8_t>;

void put8(Buf& b, unsigned v) { b.push_back(static_cast<std::uint8_t>(v)); }
void put16(Buf& b, unsigned v) {
  put8(b, v >> 8);
  put8(b, v & 0xff);
}
void put24(Buf& b, std::size_t v) {
  put8(b, static_cast<unsigned>(v >> 16));
  put16(b, static_cast<unsigned>(v & 0xffff));
}
void append(Buf& b, const Buf& more) { b.insert(b.end(), more.begin(), more.end()); }
Buf with16(const Buf& body) {
  Buf b;
  put16(b, static_cast<unsigned>(body.size()));
  append(b, body);
  return b;
}
Buf extension(unsigned type, const Buf& data) {
  Buf b;
  put16(b, type);
  append(b, with16(data));
  return b;
}
Buf handshake(unsigned type, const Buf& body) {
  Buf b;
  put8(b, type);
  put24(b, body.size());
  append(b, body);
  return b;
}
// `payload` as records of `type`, at most `max` bytes each.
Buf records(unsigned type, const Buf& payload, std::size_t max = 16384) {
  Buf b;
  for (std::size_t at = 0; at < payload.size(); at += max) {
    const std::size_t n = std::min(max, payload.size() - at);
    put8(b, type);
    put16(b, 0x0303);
    put16(b, static_cast<unsigned>(n));
    b.insert(b.end(), payload.begin() + static_cast<std::ptrdiff_t>(at),
             payload.begin() + static_cast<std::ptrdiff_t>(at + n));
  }
  return b;
}

Buf sni_extension(const std::string& host) {
  Buf entry;
  put8(entry, 0);
  append(entry, with16(Buf(host.begin(), host.end())));
  return extension(0, with16(entry));
}

// Ciphers GREASE, 4865, 4866, 49195; extensions GREASE, SNI, groups (GREASE, 29, 23), point
// formats (0), supported_versions: JA3 "771,4865-4866-49195,0-10-11-43,29-23,0".
Buf client_hello(const std::vector<Buf>& extensions) {
  Buf b;
  put16(b, 0x0303);
  b.insert(b.end(), 32, 0x11);  // random
  put8(b, 0);                   // session id
  Buf ciphers;
  for (unsigned c : {0x0a0au, 0x1301u, 0x1302u, 0xc02bu}) put16(ciphers, c);
  append(b, with16(ciphers));
  put8(b, 1);
  put8(b, 0);  // compression: null
  Buf ext;
  for (const Buf& e : extensions) append(ext, e);
  append(b, with16(ext));
  return handshake(1, b);
}
Buf usual_client_hello(const std::string& host = "www.example.com") {
  Buf groups;
  for (unsigned g : {0x2a2au, 29u, 23u}) put16(groups, g);
  Buf formats = {1, 0};
  Buf versions = {4, 0x03, 0x04, 0x03, 0x03};
  return client_hello({extension(0x1a1a, {}), sni_extension(host), extension(10, with16(groups)),
                       extension(11, formats), extension(43, versions)});
}
Buf server_hello(unsigned cipher, const std::vector<Buf>& extensions) {
  Buf b;
  put16(b, 0x0303);
  b.insert(b.end(), 32, 0x22);
  put8(b, 0);
  put16(b, cipher);
  put8(b, 0);
  if (!extensions.empty()) {
    Buf ext;
    for (const Buf& e : extensions) append(ext, e);
    append(b, with16(ext));
  }
  return handshake(2, b);
}

// The certificate of tests/support/app_messages.h: subject C=VN, O=Khanh Hoa DC,
// CN=www.example.com, issuer CN=Watchpost Test CA, serial 0x0A1B2C, valid 1700000000..1800000000.
testing::TestCert make_cert() { return testing::make_test_cert("www.example.com"); }
Buf certificate_message(const std::vector<Buf>& ders) {
  Buf list;
  for (const Buf& d : ders) {
    put24(list, d.size());
    append(list, d);
  }
  Buf body;
  put24(body, list.size());
  append(body, list);
  return handshake(11, body);
}

TEST(Tls, ClientHelloSplitAtEveryByteGivesSniAndJa3) {
  const Buf stream = records(22, usual_client_hello());
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    TlsSession s;
    const Bytes all(stream);
    const bool first = s.feed(true, all.first(cut));
    const bool second = s.feed(true, all.subspan(cut));
    EXPECT_TRUE(first != second || cut == stream.size()) << cut;
    const TlsInfo& i = s.info();
    ASSERT_TRUE(i.client_hello) << cut;
    EXPECT_EQ(i.sni, "www.example.com");
    EXPECT_EQ(i.client_version, 0x0303);
    EXPECT_EQ(i.ja3, "771,4865-4866-49195,0-10-11-43,29-23,0");
    EXPECT_EQ(i.ja3_hash, "fd17f1f9b9c56d4bfda8900c8900ec06");
    EXPECT_EQ(i.events, 0u);
  }
}

TEST(Tls, AMessageSpanningRecordsAndRecordsCoalescedInOneChunkAreReassembled) {
  Buf stream = records(22, usual_client_hello("split.example"), 7);  // many 7-byte records
  TlsSession s;
  EXPECT_TRUE(s.feed(true, stream));
  EXPECT_EQ(s.info().sni, "split.example");
}

TEST(Tls, Tls13ServerHelloGivesTheNegotiatedVersionAndJa3sThenNothingIsParsed) {
  TlsSession s;
  s.feed(true, records(22, usual_client_hello()));
  Buf key_share(36, 0x33);
  Buf hello = server_hello(0x1301, {extension(43, {0x03, 0x04}), extension(51, key_share)});
  // The ServerHello and, in the same record, what would be a certificate in clear.
  append(hello, certificate_message({make_cert().der}));
  EXPECT_TRUE(s.feed(false, records(22, hello)));
  const TlsInfo& i = s.info();
  ASSERT_TRUE(i.server_hello);
  EXPECT_EQ(i.version, 0x0304);
  EXPECT_EQ(tls_version_name(i.version), "TLS 1.3");
  EXPECT_EQ(i.cipher, 0x1301);
  EXPECT_EQ(i.ja3s, "771,4865,43-51");
  EXPECT_EQ(i.ja3s_hash, "f4febc55ea12b31ae17cfb7e614afda8");
  EXPECT_TRUE(i.certificates.empty());
}

TEST(Tls, Tls12CertificatesGiveSubjectIssuerSerialFingerprintAndValidity) {
  const testing::TestCert cert = make_cert();
  TlsSession s;
  Buf flight = server_hello(0xc02b, {});
  append(flight, certificate_message({cert.der, cert.der}));
  const Buf stream = records(22, flight, 1000);
  // Fed in pieces of 100 bytes: the certificate message spans records and chunks.
  for (std::size_t at = 0; at < stream.size(); at += 100) {
    s.feed(false, Bytes(stream).subspan(at, std::min<std::size_t>(100, stream.size() - at)));
  }
  const TlsInfo& i = s.info();
  ASSERT_TRUE(i.server_hello);
  EXPECT_EQ(i.version, 0x0303);
  EXPECT_EQ(i.ja3s, "771,49195,");
  ASSERT_EQ(i.certificates.size(), 2u);
  const TlsCertificate& c = i.certificates[0];
  EXPECT_EQ(c.subject, "C=VN, O=Khanh Hoa DC, CN=www.example.com");
  EXPECT_EQ(c.issuer, "CN=Watchpost Test CA");
  EXPECT_EQ(c.serial, "0A:1B:2C");
  EXPECT_EQ(c.fingerprint, cert.fingerprint);
  EXPECT_EQ(c.not_before, 1700000000);
  EXPECT_EQ(c.not_after, 1800000000);
  EXPECT_EQ(i.events, 0u);
}

TEST(Tls, ChangeCipherSpecEndsTheClearHandshakeOfItsDirection) {
  TlsSession s;
  Buf stream = records(20, {1});
  append(stream, records(22, usual_client_hello()));  // encrypted from here: not parsed
  EXPECT_FALSE(s.feed(true, stream));
  EXPECT_FALSE(s.info().client_hello);
}

TEST(Tls, BadRecordHeadersAreFlaggedAndStopTheDirection) {
  struct Case {
    Buf header;
    std::uint32_t event;
  };
  const Case cases[] = {{{0x17 + 10, 3, 3, 0, 5}, kTlsInvalidRecordType},
                        {{22, 9, 9, 0, 5}, kTlsInvalidRecordVersion},
                        {{22, 3, 3, 0x50, 0x01}, kTlsInvalidRecordLength}};
  for (const Case& c : cases) {
    TlsSession s;
    Buf stream = c.header;
    append(stream, records(22, usual_client_hello()));
    EXPECT_FALSE(s.feed(true, stream));
    EXPECT_EQ(s.info().events, c.event);
    EXPECT_FALSE(s.info().client_hello);
    EXPECT_FALSE(s.feed(true, records(22, usual_client_hello())));  // stays stopped
  }
}

TEST(Tls, ATruncatedClientHelloAtEveryLengthIsAnInvalidMessageNotACrash) {
  const Buf full = usual_client_hello();
  const Buf body(full.begin() + 4, full.end());
  for (std::size_t n = 0; n < body.size(); ++n) {
    const Buf cut = handshake(1, Buf(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(n)));
    TlsSession s;
    s.feed(true, records(22, cut));
    // Whole extensions may parse (a shorter but valid hello); a cut inside one may not.
    if (!s.info().client_hello) {
      EXPECT_NE(s.info().events & kTlsInvalidHandshakeMessage, 0u) << n;
    }
  }
}

TEST(Tls, TwoSniExtensionsAreFlaggedAndTheFirstIsKept) {
  TlsSession s;
  s.feed(
      true,
      records(22, client_hello({sni_extension("first.example"), sni_extension("second.example")})));
  EXPECT_EQ(s.info().sni, "first.example");
  EXPECT_NE(s.info().events & kTlsMultipleSniExtensions, 0u);
}

TEST(Tls, AHandshakeMessageOverTheBoundIsFlaggedAndNotBuffered) {
  TlsSession s;
  Buf huge;
  put8(huge, 11);
  put24(huge, kMaxHandshake + 1);
  s.feed(false, records(22, huge));
  EXPECT_NE(s.info().events & kTlsHandshakeTooLong, 0u);
}

// What a certificate's fields are when OpenSSL reads the whole certificate (d2i_X509): the
// reference for the parser's own walk of the structure. Empty subject: OpenSSL rejects it.
TlsCertificate openssl_reading(const Buf& der) {
  TlsCertificate c;
  const unsigned char* p = der.data();
  std::unique_ptr<X509, decltype(&X509_free)> x(d2i_X509(nullptr, &p, static_cast<long>(der.size())),
                                                X509_free);
  if (!x || p != der.data() + der.size()) return c;
  auto text = [](const X509_NAME* name) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    X509_NAME_print_ex(bio.get(), name, 0,
                       XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN | ASN1_STRFLGS_UTF8_CONVERT |
                           ASN1_STRFLGS_ESC_CTRL);
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
  };
  c.subject = text(X509_get_subject_name(x.get()));
  c.issuer = text(X509_get_issuer_name(x.get()));
  const ASN1_INTEGER* serial = X509_get0_serialNumber(x.get());
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (int i = 0; i < ASN1_STRING_length(serial); ++i) {
    if (i) c.serial += ':';
    c.serial += kHex[ASN1_STRING_get0_data(serial)[i] >> 4];
    c.serial += kHex[ASN1_STRING_get0_data(serial)[i] & 15];
  }
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notBefore(x.get()), &tm) == 1) c.not_before = timegm(&tm);
  if (ASN1_TIME_to_tm(X509_get0_notAfter(x.get()), &tm) == 1) c.not_after = timegm(&tm);
  return c;
}

// The parser's reading of one certificate sent in a Certificate message; `flagged`: it
// raised invalid_certificate.
TlsCertificate parser_reading(const Buf& der, bool& flagged) {
  TlsSession s;
  Buf flight = server_hello(0xc02b, {});
  append(flight, certificate_message({der}));
  s.feed(false, records(22, flight, 16384));
  flagged = (s.info().events & kTlsInvalidCertificate) != 0;
  return s.info().certificates.empty() ? TlsCertificate{} : s.info().certificates[0];
}

// Certificates unlike make_cert's: version 1 (no [0] version, no extensions), serials with
// the high bit set (a DER 00 pad), of 20 bytes and negative, GeneralizedTime validity (after
// 2049), UTF-8 and control characters in names, and v3 extensions.
std::vector<Buf> varied_certs() {
  std::vector<Buf> out;
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  const char* serials[] = {"80", "00FF", "7F1122334455667788990011223344556677889900", "-1234"};
  const std::int64_t times[][2] = {{0, 86400}, {1700000000, 2600000000}, {2524608000, 4102444800}};
  const char* common_names[] = {"Kh\xc3\xa1" "nh H\xc3\xb2" "a", "ctl\x01" "char", "a, b+c=d"};
  for (int i = 0; i < 12; ++i) {
    std::unique_ptr<X509, decltype(&X509_free)> x(X509_new(), X509_free);
    X509_set_version(x.get(), i % 2 == 0 ? 0 : 2);
    BIGNUM* bn = nullptr;
    BN_hex2bn(&bn, serials[i % 4]);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x.get()));
    BN_free(bn);
    ASN1_TIME_set(X509_getm_notBefore(x.get()), static_cast<time_t>(times[i % 3][0]));
    ASN1_TIME_set(X509_getm_notAfter(x.get()), static_cast<time_t>(times[i % 3][1]));
    X509_NAME* subject = X509_get_subject_name(x.get());
    X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>("Watchpost"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(common_names[i % 3]), -1,
                               -1, 0);
    X509_NAME* issuer = X509_get_issuer_name(x.get());
    X509_NAME_add_entry_by_txt(issuer, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(common_names[(i + 1) % 3]),
                               -1, -1, 0);
    X509_set_pubkey(x.get(), key.get());
    if (i % 2 == 1) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name,
                                                "DNS:www.example.com,DNS:example.com");
      X509_add_ext(x.get(), ext, -1);
      X509_EXTENSION_free(ext);
    }
    X509_sign(x.get(), key.get(), EVP_sha256());
    unsigned char* p = nullptr;
    const int n = i2d_X509(x.get(), &p);
    out.emplace_back(p, p + n);
    OPENSSL_free(p);
  }
  return out;
}

void expect_same_fields(const TlsCertificate& got, const TlsCertificate& want,
                        const std::string& what) {
  EXPECT_EQ(got.subject, want.subject) << what;
  EXPECT_EQ(got.issuer, want.issuer) << what;
  EXPECT_EQ(got.serial, want.serial) << what;
  EXPECT_EQ(got.not_before, want.not_before) << what;
  EXPECT_EQ(got.not_after, want.not_after) << what;
}

TEST(Tls, CertificateFieldsAreWhatOpenSslReadsInTheWholeCertificate) {
  int index = 0;
  for (const Buf& der : varied_certs()) {
    const TlsCertificate want = openssl_reading(der);
    ASSERT_FALSE(want.subject.empty()) << index;
    bool flagged = false;
    const TlsCertificate got = parser_reading(der, flagged);
    EXPECT_FALSE(flagged) << index;
    expect_same_fields(got, want, "certificate " + std::to_string(index++));
  }
}

TEST(Tls, ACertificateWithAnyByteChangedIsReadAsOpenSslReadsItOrFlagged) {
  // Every byte changed two ways, and every truncation: wherever OpenSSL still reads the
  // certificate, the parser gives the same fields; elsewhere it may flag it (or read the
  // fields it can, where only the key, extensions or signature broke); it never crashes.
  const Buf der = varied_certs()[1];
  for (std::size_t at = 0; at < der.size(); ++at) {
    for (std::uint8_t change : {std::uint8_t{0x01}, std::uint8_t{0x80}}) {
      Buf mutated = der;
      mutated[at] ^= change;
      const TlsCertificate want = openssl_reading(mutated);
      bool flagged = false;
      const TlsCertificate got = parser_reading(mutated, flagged);
      if (!want.subject.empty()) {
        EXPECT_FALSE(flagged) << "byte " << at;
        expect_same_fields(got, want, "byte " + std::to_string(at));
      }
    }
  }
  for (std::size_t len = 0; len < der.size(); ++len) {
    bool flagged = false;
    parser_reading(Buf(der.begin(), der.begin() + static_cast<long>(len)), flagged);
    EXPECT_TRUE(flagged) << "truncated to " << len;
  }
}

TEST(Tls, VersionAndEventNamesAreSuricatas) {
  EXPECT_EQ(tls_version_name(0x0303), "TLS 1.2");
  EXPECT_EQ(tls_version_name(0x0301), "TLSv1");
  EXPECT_EQ(tls_version_name(0x9999), "");
  EXPECT_EQ(tls_event_name(0), "invalid_record_type");
  EXPECT_EQ(tls_event_name(kTlsEventCount), "");
}

}  // namespace
}  // namespace wp::applayer
