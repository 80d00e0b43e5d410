// The transaction buffers and keywords as the engine reads them from the application layer's
// parsers (private to engine/): which instances a row of the buffer table has in a
// transaction, and whether a transaction keyword (rules/rule.h TxTest) holds. No allocation;
// the spans point into the parser's data, valid during the stage's callback.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "applayer/transaction.h"
#include "detect/rules/rule.h"

namespace wp::detect::txbuf {

inline std::span<const std::uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Calls fn(span) on each instance of buffer `id` in `tx` until fn returns true; returns
// whether one did. DNS buffers are those of the event's message (a response's questions are
// dns.queries.rrname, not dns.query: that buffer is the request's); TLS buffers are the
// session's so far (the SNI stays available at the certificates).
template <typename Fn>
bool any_instance(const applayer::Transaction& tx, BufferId id, Fn&& fn) {
  if (tx.dns != nullptr) {
    const applayer::DnsMessage& m = *tx.dns;
    const std::uint8_t dir = tx.to_server ? kToServerOnly : kToClientOnly;
    if ((buffer_def(id).directions & dir) == 0) return false;
    if (id == kDnsQuery || id == kDnsQueriesRrname) {
      for (const applayer::DnsQuestion& q : m.questions) {
        if (fn(bytes(m.name(q.name)))) return true;
      }
    } else if (id == kDnsAnswerName) {
      for (const applayer::DnsAnswer& a : m.answers) {
        if (fn(bytes(m.name(a.name)))) return true;
      }
    }
    return false;
  }
  if (tx.tls == nullptr) return false;
  const applayer::TlsInfo& t = *tx.tls;
  auto one = [&](bool present, std::string_view s) { return present && !s.empty() && fn(bytes(s)); };
  const applayer::TlsCertificate* leaf = t.certificates.empty() ? nullptr : &t.certificates[0];
  switch (id) {
    case kTlsSni: return one(t.client_hello, t.sni);
    case kJa3Hash: return one(t.client_hello, t.ja3_hash);
    case kJa3String: return one(t.client_hello, t.ja3);
    case kJa3sHash: return one(t.server_hello, t.ja3s_hash);
    case kJa3sString: return one(t.server_hello, t.ja3s);
    case kTlsCertSubject: return one(leaf != nullptr, leaf ? leaf->subject : "");
    case kTlsCertIssuer: return one(leaf != nullptr, leaf ? leaf->issuer : "");
    case kTlsCertSerial: return one(leaf != nullptr, leaf ? leaf->serial : "");
    case kTlsCertFingerprint: return one(leaf != nullptr, leaf ? leaf->fingerprint : "");
    case kTlsCerts:
      for (const applayer::TlsCertificate& c : t.certificates) {
        if (!c.der.empty() && fn(std::span<const std::uint8_t>(c.der))) return true;
      }
      return false;
    default: return false;
  }
}

// Whether `test` holds on `tx`; `now`: the packet's time in seconds (tls_cert_expired).
bool holds(const TxTest& test, const applayer::Transaction& tx, std::int64_t now);

}  // namespace wp::detect::txbuf
