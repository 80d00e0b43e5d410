#include "applayer/tls.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <memory>

namespace wp::applayer {

namespace {

enum : std::uint8_t {
  kChangeCipherSpec = 20,
  kAlert = 21,
  kHandshake = 22,
  kApplicationData = 23,
  kHeartbeat = 24,
};
enum : std::uint8_t { kClientHello = 1, kServerHello = 2, kCertificate = 11 };
enum : std::uint16_t {
  kExtServerName = 0,
  kExtSupportedGroups = 10,
  kExtEcPointFormats = 11,
  kExtSupportedVersions = 43,
};
constexpr std::size_t kMaxRecordLength = 16384 + 2048;

// RFC 8701 GREASE values (0x0a0a, 0x1a1a, ..., 0xfafa): left out of JA3 as its authors do.
bool grease(std::uint16_t v) { return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff); }

std::uint32_t load_be24(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 16) | (std::uint32_t{p[1]} << 8) | p[2];
}

// A length-prefixed vector of `prefix` bytes (1 or 2) from `r`.
bool read_vector(ByteReader& r, int prefix, Bytes& out) {
  std::size_t len = 0;
  if (prefix == 1) {
    std::uint8_t n = 0;
    if (!r.u8(n)) return false;
    len = n;
  } else {
    std::uint16_t n = 0;
    if (!r.be16(n)) return false;
    len = n;
  }
  if (!r.has(len)) return false;
  out = r.rest().first(len);
  return r.skip(len);
}

// The extensions block that ends a hello (absent: none), read from `r`: each extension's
// type is appended to `types` as JA3 lists them (decimal, '-' between, GREASE left out) and
// fn(type, data) is called. False when the block or an extension runs past the message.
template <typename Fn>
bool for_each_extension(ByteReader& r, std::string& types, Fn&& fn) {
  Bytes all;
  if (r.remaining() != 0 && !read_vector(r, 2, all)) return false;
  ByteReader e(all);
  while (e.remaining() != 0) {
    std::uint16_t type = 0;
    Bytes data;
    if (!e.be16(type) || !read_vector(e, 2, data)) return false;
    if (!grease(type)) {
      if (!types.empty()) types.push_back('-');
      types += std::to_string(type);
    }
    fn(type, data);
  }
  return true;
}

void append_u16_list(std::string& out, Bytes list, bool skip_grease) {
  bool first = true;
  for (std::size_t i = 0; i + 1 < list.size(); i += 2) {
    const std::uint16_t v = load_be16(list.data() + i);
    if (skip_grease && grease(v)) continue;
    if (!first) out.push_back('-');
    out += std::to_string(v);
    first = false;
  }
}

std::string hex(const unsigned char* p, std::size_t n, bool upper, char sep) {
  static constexpr char kLower[] = "0123456789abcdef";
  static constexpr char kUpper[] = "0123456789ABCDEF";
  const char* digits = upper ? kUpper : kLower;
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    if (i != 0 && sep != 0) s.push_back(sep);
    s.push_back(digits[p[i] >> 4]);
    s.push_back(digits[p[i] & 15]);
  }
  return s;
}

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};

// "C=US, O=Example, CN=host" in certificate order, UTF-8, control characters escaped.
std::string name_text(const X509_NAME* name) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  if (!bio) return {};
  const unsigned long flags =
      XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN | ASN1_STRFLGS_UTF8_CONVERT | ASN1_STRFLGS_ESC_CTRL;
  if (X509_NAME_print_ex(bio.get(), name, 0, flags) < 0) return {};
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

std::int64_t epoch_seconds(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&tm));
}

// One DER element (tag, length, contents) at the front of `in`, which moves past it; `whole`
// is the element with its header. Single-byte tags and definite lengths of up to 4 bytes,
// as DER certificates use; anything else, or a length past the input, fails.
struct Der {
  std::uint8_t tag = 0;
  Bytes content;
  Bytes whole;
};
bool read_der(Bytes& in, Der& out) {
  if (in.size() < 2 || (in[0] & 0x1f) == 0x1f) return false;
  std::size_t header = 2;
  std::size_t len = in[1];
  if (len & 0x80) {
    const std::size_t bytes = len & 0x7f;
    if (bytes == 0 || bytes > 4 || in.size() < 2 + bytes) return false;
    len = 0;
    for (std::size_t i = 0; i < bytes; ++i) len = len << 8 | in[2 + i];
    header += bytes;
  }
  if (in.size() - header < len) return false;
  out.tag = in[0];
  out.content = in.subspan(header, len);
  out.whole = in.first(header + len);
  in = in.subspan(header + len);
  return true;
}

template <typename T, void (*Free)(T*)>
struct OpenSslFree {
  void operator()(T* p) const { Free(p); }
};

// An element OpenSSL decodes on its own (a Name, an INTEGER, a Time): d2i over its bytes.
template <typename T, T* (*D2i)(T**, const unsigned char**, long), void (*Free)(T*)>
std::unique_ptr<T, OpenSslFree<T, Free>> decode(Bytes whole) {
  const unsigned char* p = whole.data();
  std::unique_ptr<T, OpenSslFree<T, Free>> v(D2i(nullptr, &p, static_cast<long>(whole.size())));
  if (v && p != whole.data() + whole.size()) v.reset();  // trailing bytes: not one element
  return v;
}

// The fields the tls.cert_* buffers and EVE need, from an X.509 certificate (RFC 5280 4.1):
// the structure is walked here, and only the issuer and subject Names, the serial number
// and the validity times are handed to OpenSSL. d2i_X509 would also decode the public key
// (OpenSSL 3 runs its provider decoders for it), which nothing here uses and which was most
// of the application layer's certificate time. Fails when the certificate's outer structure
// (certificate, TBSCertificate up to the subject public key, signature) does not parse.
bool parse_certificate(Bytes der, TlsCertificate& c) {
  Bytes in = der;
  Der cert, tbs, alg, sig;
  if (!read_der(in, cert) || cert.tag != 0x30 || !in.empty()) return false;
  Bytes body = cert.content;
  if (!read_der(body, tbs) || tbs.tag != 0x30 || !read_der(body, alg) || alg.tag != 0x30 ||
      !read_der(body, sig) || sig.tag != 0x03 || !body.empty()) {
    return false;
  }
  Bytes t = tbs.content;
  Der serial, sig_alg, issuer, validity, subject, spki;
  if (!read_der(t, serial)) return false;
  if (serial.tag == 0xa0 && !read_der(t, serial)) return false;  // [0] version, then serial
  if (serial.tag != 0x02 || !read_der(t, sig_alg) || sig_alg.tag != 0x30 ||
      !read_der(t, issuer) || issuer.tag != 0x30 || !read_der(t, validity) ||
      validity.tag != 0x30 || !read_der(t, subject) || subject.tag != 0x30 ||
      !read_der(t, spki) || spki.tag != 0x30) {
    return false;
  }
  while (!t.empty()) {  // issuer/subject unique ids, extensions
    Der optional;
    if (!read_der(t, optional)) return false;
  }
  Bytes times = validity.content;
  Der not_before, not_after;
  if (!read_der(times, not_before) || !read_der(times, not_after) || !times.empty()) return false;
  auto issuer_name = decode<X509_NAME, d2i_X509_NAME, X509_NAME_free>(issuer.whole);
  auto subject_name = decode<X509_NAME, d2i_X509_NAME, X509_NAME_free>(subject.whole);
  auto number = decode<ASN1_INTEGER, d2i_ASN1_INTEGER, ASN1_INTEGER_free>(serial.whole);
  auto from = decode<ASN1_TIME, d2i_ASN1_TIME, ASN1_TIME_free>(not_before.whole);
  auto until = decode<ASN1_TIME, d2i_ASN1_TIME, ASN1_TIME_free>(not_after.whole);
  if (!issuer_name || !subject_name || !number || !from || !until) return false;
  c.subject = name_text(subject_name.get());
  c.issuer = name_text(issuer_name.get());
  c.serial = hex(ASN1_STRING_get0_data(number.get()),
                 static_cast<std::size_t>(ASN1_STRING_length(number.get())), true, ':');
  c.not_before = epoch_seconds(from.get());
  c.not_after = epoch_seconds(until.get());
  return true;
}

}  // namespace

std::string md5_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &n, EVP_md5(), nullptr) != 1) return {};
  return hex(digest, n, false, 0);
}

std::string_view tls_event_name(int bit) {
  static constexpr std::array<std::string_view, kTlsEventCount> kNames = {
      "invalid_record_type",       "invalid_record_version", "invalid_record_length",
      "invalid_handshake_message", "invalid_sni_type",       "invalid_sni_length",
      "multiple_sni_extensions",   "invalid_x509_cert",      "handshake_too_long"};
  return bit >= 0 && bit < kTlsEventCount ? kNames[static_cast<std::size_t>(bit)] : "";
}

std::string_view tls_version_name(std::uint16_t version) {
  switch (version) {
    case 0x0200:
      return "SSLv2";
    case 0x0300:
      return "SSLv3";
    case 0x0301:
      return "TLSv1";
    case 0x0302:
      return "TLS 1.1";
    case 0x0303:
      return "TLS 1.2";
    case 0x0304:
      return "TLS 1.3";
    default:
      return "";
  }
}

bool TlsSession::feed(bool to_server, Bytes data) {
  Direction& d = dirs_[to_server ? 1 : 0];
  bool news = false;
  while (!data.empty() && !d.lost) {
    if (d.record_left == 0) {
      const std::size_t take = std::min(sizeof d.header - d.header_have, data.size());
      std::copy_n(data.begin(), take, d.header + d.header_have);
      d.header_have += take;
      data = data.subspan(take);
      if (d.header_have < sizeof d.header) break;
      d.header_have = 0;
      const std::uint8_t type = d.header[0];
      const std::size_t len = load_be16(d.header + 3);
      std::uint32_t bad = 0;
      if (type < kChangeCipherSpec || type > kHeartbeat) {
        bad = kTlsInvalidRecordType;
      } else if (d.header[1] != 3) {
        bad = kTlsInvalidRecordVersion;
      } else if (len > kMaxRecordLength) {
        bad = kTlsInvalidRecordLength;
      }
      if (bad != 0) {
        // Records can no longer be delimited: this direction is not parsed any further.
        info_.events |= bad;
        d.lost = true;
        d.handshake.clear();
        break;
      }
      d.type = type;
      d.record_left = len;
      if (type == kChangeCipherSpec) {
        d.encrypted = true;
        d.handshake.clear();
      }
      continue;
    }
    const std::size_t n = std::min(d.record_left, data.size());
    const Bytes body = data.first(n);
    data = data.subspan(n);
    d.record_left -= n;
    if (d.type == kHandshake && !d.encrypted) news |= on_handshake_bytes(to_server, d, body);
  }
  return news;
}

void TlsSession::gap(bool to_server) {
  Direction& d = dirs_[to_server ? 1 : 0];
  d.lost = true;
  d.handshake.clear();
}

bool TlsSession::on_handshake_bytes(bool to_server, Direction& d, Bytes body) {
  if (d.handshake.size() + body.size() > kMaxHandshake + 4) {
    info_.events |= kTlsHandshakeTooLong;
    d.encrypted = true;  // stop looking at this direction's handshake
    d.handshake.clear();
    return false;
  }
  d.handshake.insert(d.handshake.end(), body.begin(), body.end());
  bool news = false;
  std::size_t at = 0;
  while (d.handshake.size() - at >= 4 && !d.encrypted) {
    const std::uint8_t* h = d.handshake.data() + at;
    const std::size_t len = load_be24(h + 1);
    if (len > kMaxHandshake) {
      info_.events |= kTlsHandshakeTooLong;
      d.encrypted = true;
      d.handshake.clear();
      return news;
    }
    if (d.handshake.size() - at - 4 < len) break;
    news |= on_message(to_server, h[0], Bytes(h + 4, len));
    at += 4 + len;
  }
  if (!d.encrypted) {
    d.handshake.erase(d.handshake.begin(), d.handshake.begin() + static_cast<std::ptrdiff_t>(at));
  } else {
    d.handshake.clear();
  }
  return news;
}

bool TlsSession::on_message(bool to_server, std::uint8_t type, Bytes body) {
  if (to_server && type == kClientHello && !info_.client_hello) {
    client_hello(body);
    return info_.client_hello;
  }
  if (!to_server && type == kServerHello && !info_.server_hello) {
    server_hello(body);
    if (info_.version == 0x0304) {
      // TLS 1.3: everything after the ServerHello is encrypted, both ways.
      dirs_[0].encrypted = dirs_[1].encrypted = true;
    }
    return info_.server_hello;
  }
  if (!to_server && type == kCertificate && info_.certificates.empty()) {
    certificates(body);
    return !info_.certificates.empty();
  }
  return false;
}

void TlsSession::client_hello(Bytes body) {
  ByteReader r(body);
  std::uint16_t version = 0;
  Bytes session_id, ciphers, compression;
  if (!r.be16(version) || !r.skip(32) || !read_vector(r, 1, session_id) ||
      !read_vector(r, 2, ciphers) || !read_vector(r, 1, compression)) {
    info_.events |= kTlsInvalidHandshakeMessage;
    return;
  }
  std::string ja3 = std::to_string(version) + ",";
  append_u16_list(ja3, ciphers, true);
  ja3.push_back(',');
  std::string extensions, groups, formats, sni;
  bool sni_seen = false;
  const bool whole = for_each_extension(r, extensions, [&](std::uint16_t type, Bytes data) {
    if (type == kExtServerName) {
      if (sni_seen) {
        info_.events |= kTlsMultipleSniExtensions;
        return;
      }
      sni_seen = true;
      ByteReader s(data);
      Bytes list;
      if (!read_vector(s, 2, list)) {
        info_.events |= kTlsInvalidSniLength;
        return;
      }
      ByteReader l(list);
      while (l.remaining() != 0) {
        std::uint8_t name_type = 0;
        Bytes name;
        if (!l.u8(name_type) || !read_vector(l, 2, name)) {
          info_.events |= kTlsInvalidSniLength;
          break;
        }
        if (name_type != 0) {
          info_.events |= kTlsInvalidSniType;
          continue;
        }
        if (sni.empty()) sni.assign(reinterpret_cast<const char*>(name.data()), name.size());
      }
    } else if (type == kExtSupportedGroups) {
      ByteReader g(data);
      Bytes list;
      if (read_vector(g, 2, list)) append_u16_list(groups, list, true);
    } else if (type == kExtEcPointFormats) {
      ByteReader f(data);
      Bytes list;
      if (read_vector(f, 1, list)) {
        for (std::size_t i = 0; i < list.size(); ++i) {
          if (i != 0) formats.push_back('-');
          formats += std::to_string(list[i]);
        }
      }
    }
  });
  if (!whole) {
    info_.events |= kTlsInvalidHandshakeMessage;
    return;
  }
  ja3 += extensions + "," + groups + "," + formats;
  info_.client_hello = true;
  info_.client_version = version;
  info_.sni = std::move(sni);
  info_.ja3_hash = md5_hex(ja3);
  info_.ja3 = std::move(ja3);
}

void TlsSession::server_hello(Bytes body) {
  ByteReader r(body);
  std::uint16_t version = 0, cipher = 0;
  std::uint8_t compression = 0;
  Bytes session_id;
  if (!r.be16(version) || !r.skip(32) || !read_vector(r, 1, session_id) || !r.be16(cipher) ||
      !r.u8(compression)) {
    info_.events |= kTlsInvalidHandshakeMessage;
    return;
  }
  std::string extensions;
  std::uint16_t negotiated = version;
  const bool whole = for_each_extension(r, extensions, [&](std::uint16_t type, Bytes data) {
    if (type == kExtSupportedVersions && data.size() == 2) negotiated = load_be16(data.data());
  });
  if (!whole) {
    info_.events |= kTlsInvalidHandshakeMessage;
    return;
  }
  info_.server_hello = true;
  info_.version = negotiated;
  info_.cipher = cipher;
  info_.ja3s = std::to_string(version) + "," + std::to_string(cipher) + "," + extensions;
  info_.ja3s_hash = md5_hex(info_.ja3s);
}

void TlsSession::certificates(Bytes body) {
  if (body.size() < 3 || load_be24(body.data()) != body.size() - 3) {
    info_.events |= kTlsInvalidHandshakeMessage;
    return;
  }
  Bytes list = body.subspan(3);
  while (list.size() >= 3 && info_.certificates.size() < kMaxCertificates) {
    const std::size_t len = load_be24(list.data());
    if (list.size() - 3 < len) {
      info_.events |= kTlsInvalidHandshakeMessage;
      return;
    }
    const Bytes der = list.subspan(3, len);
    list = list.subspan(3 + len);
    TlsCertificate c;
    if (!parse_certificate(der, c)) {
      info_.events |= kTlsInvalidCertificate;
      continue;
    }
    c.der.assign(der.begin(), der.end());
    unsigned char sha1[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_Digest(der.data(), der.size(), sha1, &n, EVP_sha1(), nullptr) == 1) {
      c.fingerprint = hex(sha1, n, false, ':');
    }
    info_.certificates.push_back(std::move(c));
  }
}

}  // namespace wp::applayer
