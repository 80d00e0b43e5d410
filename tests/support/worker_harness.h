// A Worker (decode -> flow -> stream -> applayer -> detect -> alert) fed frames a test built,
// collecting everything it emits: alerts, flow records and anomalies. Header-only: tests
// that include it link wp_app.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "app/config.h"
#include "app/worker.h"
#include "detect/compile/rule_set.h"
#include "detect/rules/rule_parser.h"
#include "support/packet_builder.h"
#include "support/rule_texts.h"

namespace wp::testing {

class CollectingSink final : public output::AlertSink {
 public:
  void on_alert(const watchpost::v1::Alert& a) override { alerts.push_back(a); }
  void on_flow(const watchpost::v1::FlowRecord& f) override { flows.push_back(f); }
  void on_anomaly(const watchpost::v1::Anomaly& a) override { anomalies.push_back(a); }
  // The alerts' sids in the order they were raised.
  std::vector<std::uint32_t> sids() const {
    std::vector<std::uint32_t> out;
    for (const auto& a : alerts) out.push_back(a.signature().signature_id());
    return out;
  }
  std::vector<std::uint32_t> sorted_sids() const {
    std::vector<std::uint32_t> out = sids();
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<watchpost::v1::Alert> alerts;
  std::vector<watchpost::v1::FlowRecord> flows;
  std::vector<watchpost::v1::Anomaly> anomalies;
};

// Checksums are validated (not sampled), so a test's corrupted checksum always counts.
inline app::Config checked_config() {
  app::Config c;
  c.pcap_checksum_checks = app::ChecksumChecks::kYes;
  return c;
}

struct WorkerHarness {
  static constexpr std::int64_t kStart = 1751338800;  // 2025-07-01T03:00:00Z

  explicit WorkerHarness(const std::vector<std::string>& rule_texts,
                         app::Config c = checked_config())
      : config(std::move(c)) {
    detect::RuleParser parser(config.vars);
    auto rules = parse_rule_texts(parser, rule_texts);
    EXPECT_EQ(rules.size(), rule_texts.size()) << "a rule did not parse";
    auto set = detect::RuleSet::build(std::move(rules), detect::ClassificationTable::defaults(),
                                      nullptr);
    EXPECT_TRUE(set.ok());
    worker = std::make_unique<app::Worker>(config, set.value(), counters, &sink);
  }
  // Feeds one frame captured at `sec`; returns its pcap_cnt.
  std::uint64_t send(const Frame& f, std::int64_t sec = kStart) {
    capture::RawPacket raw;
    raw.ts = Timestamp{sec, 0};
    raw.data = f.data();
    raw.caplen = raw.wirelen = static_cast<std::uint32_t>(f.size());
    raw.number = ++number;
    worker->process(raw);
    return number;
  }

  app::Config config;
  Counters counters;
  CollectingSink sink;
  std::unique_ptr<app::Worker> worker;
  std::uint64_t number = 0;
};

// One TCP connection through a WorkerHarness: the handshake when made, then each side's
// data in order, with sequence and acknowledgement numbers following the bytes sent. The
// client is the side that opened it (an FTP server opening an active data connection too).
struct TcpConnection {
  TcpConnection(WorkerHarness& s, IpAddress client_ip, std::uint16_t client_port,
                IpAddress server_ip, std::uint16_t server_port)
      : client_ip(client_ip), server_ip(server_ip), cport(client_port), sport(server_port) {
    s.send(tcp_packet(client_ip, server_ip, {cport, sport, 1000, 0, 0x02}, ""));
    s.send(tcp_packet(server_ip, client_ip, {sport, cport, 5000, 1001, 0x12}, ""));
    s.send(tcp_packet(client_ip, server_ip, {cport, sport, 1001, 5001, 0x10}, ""));
  }
  // Data from the client (the opener); returns the packet's pcap_cnt.
  std::uint64_t client(WorkerHarness& s, const std::string& data) {
    const auto n =
        s.send(tcp_packet(client_ip, server_ip, {cport, sport, 1001 + coff, 5001 + soff, 0x18}, data));
    coff += static_cast<std::uint32_t>(data.size());
    return n;
  }
  // Data from the server; returns the packet's pcap_cnt.
  std::uint64_t server(WorkerHarness& s, const std::string& data) {
    const auto n =
        s.send(tcp_packet(server_ip, client_ip, {sport, cport, 5001 + soff, 1001 + coff, 0x18}, data));
    soff += static_cast<std::uint32_t>(data.size());
    return n;
  }

  IpAddress client_ip, server_ip;
  std::uint16_t cport, sport;
  std::uint32_t coff = 0, soff = 0;  // bytes each side sent
};

}  // namespace wp::testing
