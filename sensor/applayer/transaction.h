// What the application-layer stage hands detection: one transaction that progressed (a DNS
// message, a TLS handshake step, a part of an HTTP request or response), with the parser data its buffers are read from, and the
// flow's small record of rules that already alerted on recent transactions.
// Valid during the stage's callback only. Worker-local; no locks.
#pragma once

#include <cstdint>

#include "applayer/dns.h"
#include "applayer/ftp.h"
#include "applayer/http.h"
#include "applayer/smtp.h"
#include "applayer/ssh.h"
#include "applayer/tls.h"
#include "common/app_proto.h"

namespace wp::applayer {

// Progress points of a transaction, per direction, in the order a parser reaches them. DNS:
// each message is one point. TLS: to_server the ClientHello; to_client the ServerHello, then
// the certificates. HTTP: to_server the request line, the request headers, the request body
// (complete, or cut at the body limit); to_client the same three of the response.
inline constexpr std::uint8_t kProgressMessage = 0;
inline constexpr std::uint8_t kTlsClientHello = 0;
inline constexpr std::uint8_t kTlsServerHello = 0;
inline constexpr std::uint8_t kTlsCertificate = 1;
inline constexpr std::uint8_t kHttpLine = 0;
inline constexpr std::uint8_t kHttpHeaders = 1;
inline constexpr std::uint8_t kHttpBody = 2;
// SMTP: to_server each command of the mail (HELO/EHLO, MAIL FROM, RCPT TO, ...), then the
// end of its message; to_client each final reply. FTP: to_server the command, to_client its
// final reply. SSH (the session is transaction 0): per direction the banner, then the KEXINIT.
inline constexpr std::uint8_t kSmtpCommand = 0;
inline constexpr std::uint8_t kSmtpData = 1;
inline constexpr std::uint8_t kSmtpReply = 0;
inline constexpr std::uint8_t kFtpRequest = 0;   // the command
inline constexpr std::uint8_t kFtpResponse = 0;  // its final reply
inline constexpr std::uint8_t kSshBanner = 0;
inline constexpr std::uint8_t kSshKexinit = 1;
inline constexpr std::uint8_t kMaxProgress = 3;  // points per direction

// The rules that alerted on a flow's recent transactions, so a rule alerts at most once per
// transaction: (tx id, rule identity gid << 32 | sid) pairs, the oldest replaced when full.
class TxAlertLog {
 public:
  static constexpr int kSize = 16;

  bool contains(std::uint64_t tx, std::uint64_t rule) const {
    for (int i = 0; i < count_; ++i) {
      if (tx_[i] == tx && rule_[i] == rule) return true;
    }
    return false;
  }
  void add(std::uint64_t tx, std::uint64_t rule) {
    const int slot = count_ < kSize ? count_++ : next_;
    if (slot == next_) next_ = (next_ + 1) % kSize;
    tx_[slot] = tx;
    rule_[slot] = rule;
  }
  void clear() { count_ = next_ = 0; }

 private:
  std::uint64_t tx_[kSize] = {};
  std::uint64_t rule_[kSize] = {};
  int count_ = 0;
  int next_ = 0;
};

struct Transaction {
  AppProto proto = AppProto::kUnknown;
  std::uint64_t id = 0;           // per flow, from 0 (EVE tx_id)
  bool to_server = true;          // the direction whose data made the progress
  std::uint8_t progress = 0;      // the point reached in that direction (detect/rules/buffers.h)
  const DnsMessage* dns = nullptr;  // DNS: this event's message (request or response)
  Bytes dns_raw;                    // DNS: the message's bytes (answers' rdata point into it)
  const TlsInfo* tls = nullptr;     // TLS: the session so far
  const HttpTransaction* http = nullptr;  // HTTP: the request/response pair so far
  const SmtpSession* smtp = nullptr;      // SMTP: the session; its current mail is this tx
  const FtpTransaction* ftp = nullptr;    // FTP: the command and its replies so far
  const SshSession* ssh = nullptr;        // SSH: both sides so far
  std::uint64_t events = 0;         // the parser's anomaly flags (DnsEvent / TlsEvent / HttpEvent / SmtpEvent / FtpEvent / SshEvent)
  TxAlertLog* alerted = nullptr;    // the flow's record; null: no once-per-tx bookkeeping
};

}  // namespace wp::applayer
