// The transaction buffers and keywords as the engine reads them from the application layer's
// parsers (private to engine/): which instances a row of the buffer table has in a
// transaction, and whether a transaction keyword (rules/rule.h TxTest) holds. No allocation;
// the spans point into the parser's data, valid during the stage's callback.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "applayer/transaction.h"
#include "common/ip_address.h"
#include "detect/rules/rule.h"

namespace wp::detect::txbuf {

inline std::span<const std::uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// The HTTP buffer `id` of `tx` (one instance); nullopt while the part that makes it has not
// been parsed (a rule evaluated before never sees an empty stand-in). A buffer of both
// directions is the request's on a to_server point, the response's on a to_client point;
// the others are their message's whatever the point (a rule evaluated at the response also
// reads the request's http.uri).
std::optional<std::span<const std::uint8_t>> http_buffer(const applayer::Transaction& tx,
                                                         BufferId id);

// SMTP: smtp.helo is the session's (the last HELO/EHLO), the others the current mail's;
// file.data each decoded part once the message ended.
template <typename Fn>
bool smtp_instances(const applayer::SmtpSession& session, BufferId id, Fn&& fn) {
  const applayer::SmtpMail& m = session.mail();
  auto one = [&](std::string_view s) { return !s.empty() && fn(bytes(s)); };
  switch (id) {
    case kSmtpHelo: return one(session.helo());
    case kSmtpMailFrom: return one(m.mail_from);
    case kSmtpRcptTo:
      for (const std::string& r : m.rcpt_to) {
        if (one(r)) return true;
      }
      return false;
    case kSmtpFileData:
      if (!m.data_done) return false;
      for (const applayer::SmtpPart& p : m.parts) {
        if (one(m.part(p))) return true;
      }
      return false;
    default: return false;
  }
}

// FTP: the transaction's command and argument, each reply line's code and text.
template <typename Fn>
bool ftp_instances(const applayer::FtpTransaction& t, BufferId id, Fn&& fn) {
  auto one = [&](std::string_view s) { return !s.empty() && fn(bytes(s)); };
  auto each = [&](const applayer::TextList& v) {
    for (const std::string& s : v) {
      if (one(s)) return true;
    }
    return false;
  };
  switch (id) {
    case kFtpCommand: return one(t.command);
    case kFtpCommandData: return one(t.command_data);
    case kFtpCompletionCode: return each(t.completion_codes);
    case kFtpReply: return each(t.replies);
    default: return false;
  }
}

// SSH: ssh.proto / ssh.software are the client's at to_server points and the server's at
// to_client points; the HASSH buffers their side's once its KEXINIT was read.
template <typename Fn>
bool ssh_instances(const applayer::Transaction& tx, BufferId id, Fn&& fn) {
  const applayer::SshSession& s = *tx.ssh;
  auto one = [&](bool present, std::string_view v) { return present && !v.empty() && fn(bytes(v)); };
  const applayer::SshSide& side = tx.to_server ? s.client() : s.server();
  switch (id) {
    case kSshProto: return one(side.banner, side.proto);
    case kSshSoftware: return one(side.banner, side.software);
    case kSshHassh: return one(s.client().kexinit, s.client().hassh);
    case kSshHasshString: return one(s.client().kexinit, s.client().hassh_string);
    case kSshHasshServer: return one(s.server().kexinit, s.server().hassh);
    case kSshHasshServerString: return one(s.server().kexinit, s.server().hassh_string);
    default: return false;
  }
}

// Calls fn(span) on each instance of buffer `id` in `tx` until fn returns true; returns
// whether one did. DNS buffers are those of the event's message (a response's questions are
// dns.queries.rrname, not dns.query: that buffer is the request's); TLS buffers are the
// session's so far (the SNI stays available at the certificates).
template <typename Fn>
bool any_instance(const applayer::Transaction& tx, BufferId id, Fn&& fn) {
  if (tx.http != nullptr) {
    const auto data = http_buffer(tx, id);
    return data && fn(*data);
  }
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
  if (tx.smtp != nullptr) return smtp_instances(*tx.smtp, id, fn);
  if (tx.ftp != nullptr) return ftp_instances(*tx.ftp, id, fn);
  if (tx.ssh != nullptr) return ssh_instances(tx, id, fn);
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

// Whether `test` holds on `tx`; `now`: the packet's time in seconds (tls_cert_expired);
// `client`: the flow's client address (ftpbounce).
bool holds(const TxTest& test, const applayer::Transaction& tx, std::int64_t now,
           const IpAddress& client);

}  // namespace wp::detect::txbuf
