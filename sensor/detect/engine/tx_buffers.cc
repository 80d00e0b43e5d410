#include "detect/engine/tx_buffers.h"

namespace wp::detect::txbuf {
namespace {

std::uint32_t ssl_version_bit(std::uint16_t v) {
  switch (v) {
    case 0x0200: return kSslVersionSsl2;
    case 0x0300: return kSslVersionSsl3;
    case 0x0301: return kSslVersionTls10;
    case 0x0302: return kSslVersionTls11;
    case 0x0303: return kSslVersionTls12;
    case 0x0304: return kSslVersionTls13;
    default: return 0;
  }
}

bool dns_holds(const TxTest& t, const applayer::DnsMessage& m) {
  switch (t.kind) {
    case TxTest::Kind::kDnsOpcode:
      return t.cmp.matches(m.opcode);
    case TxTest::Kind::kDnsRrtype:
      for (const applayer::DnsQuestion& q : m.questions) {
        if (t.cmp.matches(q.type)) return true;
      }
      return false;
    default:
      return false;
  }
}

bool tls_holds(const TxTest& t, const applayer::Transaction& tx, std::int64_t now) {
  const applayer::TlsInfo& info = *tx.tls;
  const applayer::TlsCertificate* leaf =
      info.certificates.empty() ? nullptr : &info.certificates[0];
  // The version the session runs: the ServerHello's, else what the client offered.
  const std::uint16_t version = info.server_hello ? info.version : info.client_version;
  switch (t.kind) {
    case TxTest::Kind::kTlsVersion:
      return info.server_hello && info.version == t.cmp.a;
    case TxTest::Kind::kSslVersion: {
      const bool listed = (ssl_version_bit(version) & t.mask) != 0;
      return listed != t.negated;
    }
    case TxTest::Kind::kSslState:
      return ((t.mask & 1) != 0 && info.client_hello) || ((t.mask & 2) != 0 && info.server_hello);
    case TxTest::Kind::kTlsSubject:
      return leaf != nullptr && (leaf->subject.find(t.text) != std::string::npos) != t.negated;
    case TxTest::Kind::kTlsIssuer:
      return leaf != nullptr && (leaf->issuer.find(t.text) != std::string::npos) != t.negated;
    case TxTest::Kind::kCertNotBefore:
      return leaf != nullptr && t.cmp.matches(leaf->not_before);
    case TxTest::Kind::kCertNotAfter:
      return leaf != nullptr && t.cmp.matches(leaf->not_after);
    case TxTest::Kind::kCertExpired:
      return leaf != nullptr && now > leaf->not_after;
    case TxTest::Kind::kCertValid:
      return leaf != nullptr && now >= leaf->not_before && now <= leaf->not_after;
    default:
      return false;
  }
}

}  // namespace

bool holds(const TxTest& test, const applayer::Transaction& tx, std::int64_t now) {
  if (test.proto != tx.proto) return false;
  if (test.kind == TxTest::Kind::kAppLayerEvent) return (tx.events & test.mask) != 0;
  if (tx.dns != nullptr) return dns_holds(test, *tx.dns);
  if (tx.tls != nullptr) return tls_holds(test, tx, now);
  return false;
}

}  // namespace wp::detect::txbuf
