// What the application-layer stage hands detection: one transaction that progressed (a DNS
// message, a TLS handshake step), with the parser data its buffers are read from, and the
// flow's small record of rules that already alerted on recent transactions.
// Valid during the stage's callback only. Worker-local; no locks.
#pragma once

#include <cstdint>

#include "applayer/dns.h"
#include "applayer/tls.h"
#include "common/app_proto.h"

namespace wp::applayer {

// Progress points of a transaction, per direction, in the order a parser reaches them. DNS:
// each message is one point. TLS: to_server the ClientHello; to_client the ServerHello, then
// the certificates.
inline constexpr std::uint8_t kProgressMessage = 0;
inline constexpr std::uint8_t kTlsClientHello = 0;
inline constexpr std::uint8_t kTlsServerHello = 0;
inline constexpr std::uint8_t kTlsCertificate = 1;
inline constexpr std::uint8_t kMaxProgress = 2;  // points per direction

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
  std::uint32_t events = 0;         // the parser's anomaly flags (DnsEvent / TlsEvent)
  TxAlertLog* alerted = nullptr;    // the flow's record; null: no once-per-tx bookkeeping
};

}  // namespace wp::applayer
