// AppLayer: the application-layer stage of one worker, between stream and detect. For each
// flow it detects the protocol by content (the first bytes of each direction; DNS also by a
// well-formed message), sets Flow::app_proto, runs the flow's parser on UDP payloads and on
// the in-order TCP data of each direction, and calls back with every transaction that
// progressed (detect inspects its buffers then, once).
//
// Per-flow state (detection bytes, the DNS-over-TCP framers, the TLS session, the record of
// rules that alerted per transaction) comes from a pool of at most `max_flows` states, taken
// at a flow's first payload and returned when the flow leaves the table (release()); a flow
// that finds the pool empty is counted (applayer.state_full) and not parsed. No allocation per
// packet once the pool and the parsers' buffers are warm. Not thread-safe.
//
// FTP's control channel announces data connections (PORT/EPRT, the answers to PASV/EPSV):
// they go to the worker's ExpectationTable, and a new TCP flow that matches one is ftp-data
// from its first packet (on_tcp_flow), with no per-flow state.
//
// HTTP is a parser per flow like TLS (HttpSession): fed in-order data per direction, it
// reports which transaction reached which progress point (request/response line, headers,
// body); a transaction is released once its response was reported complete.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "applayer/dns.h"
#include "applayer/expectation.h"
#include "applayer/transaction.h"
#include "common/counters.h"
#include "decode/packet.h"
#include "flow/flow_table.h"

namespace wp::applayer {

struct AppLayerConfig {
  std::size_t max_flows = 65536;  // per-flow states per worker
};

// Called for each transaction that progressed; alerts it raises belong to the packet being
// processed.
using TxFn = void (*)(void* ctx, const Transaction& tx);
// Called for each anomaly a parser raises (Suricata's app-layer event: its name and its
// number within the protocol), on the packet being processed.
using AnomalyFn = void (*)(void* ctx, AppProto proto, int code, std::string_view name);

class AppLayer {
 public:
  AppLayer(const AppLayerConfig& config, Counters& counters);
  ~AppLayer();
  AppLayer(const AppLayer&) = delete;
  AppLayer& operator=(const AppLayer&) = delete;

  // `pkt` created TCP flow `fr`: when a control channel announced it, its protocol is set
  // (ftp-data) and the expectation consumed.
  void on_tcp_flow(const decode::Packet& pkt, const flow::FlowRef& fr);
  // A UDP packet of flow `fr` with its payload.
  void on_udp(const decode::Packet& pkt, const flow::FlowRef& fr, TxFn fn, void* ctx);
  // Newly in-order bytes of one direction of a TCP session; `offset`: the stream offset of
  // data[0] (a jump forward is a gap).
  void on_stream(flow::Flow& f, bool to_server, std::uint64_t offset, Bytes data, TxFn fn,
                 void* ctx);
  // The flow leaves the table: its state goes back to the pool.
  void release(flow::Flow& f);
  // Where raised anomalies go besides their counters (EVE anomaly records); null: only counted.
  void set_anomaly_hook(AnomalyFn fn, void* ctx) {
    anomaly_fn_ = fn;
    anomaly_ctx_ = ctx;
  }

  std::size_t states_in_use() const { return in_use_; }

  struct State;

 private:
  State* state_of(flow::Flow& f);
  void detect_tcp(flow::Flow& f, State& s, int di, Bytes data, TxFn fn, void* ctx);
  void parse_tcp(flow::Flow& f, State& s, int di, Bytes data, TxFn fn, void* ctx);
  void dns_message(flow::Flow& f, State& s, bool to_server, Bytes message, TxFn fn, void* ctx);
  void count_dns_events(std::uint32_t events);
  void count_tls_events(std::uint32_t before, std::uint32_t after);
  void http_data(State& s, int di, Bytes data, TxFn fn, void* ctx);
  void count_http_events(std::uint64_t before, std::uint64_t after);
  void smtp_data(State& s, bool to_server, Bytes data, TxFn fn, void* ctx);
  void ftp_data(flow::Flow& f, State& s, bool to_server, Bytes data, TxFn fn, void* ctx);
  void expect_ftp_data(const flow::Flow& f, const FtpTransaction& t, bool to_server);
  void ssh_data(State& s, bool to_server, Bytes data, TxFn fn, void* ctx);
  // Counts the events raised between `before` and `after` and reports each as an anomaly.
  using EventNameFn = std::string_view (*)(int bit);
  void count_events(AppProto proto, EventNameFn name, CounterId* ids, int count,
                    std::uint64_t before, std::uint64_t after);

  AppLayerConfig config_;
  std::vector<std::unique_ptr<State>> states_;
  std::vector<State*> free_;
  std::size_t in_use_ = 0;
  DnsMessage dns_;  // the message being reported (reused: no allocation once warm)
  ExpectationTable expectations_;
  AnomalyFn anomaly_fn_ = nullptr;
  void* anomaly_ctx_ = nullptr;

  Counters& counters_;
  CounterId c_flows_[kAppProtoCount];  // applayer.flow.<proto>
  CounterId c_dns_events_[kDnsEventCount];
  CounterId c_tls_events_[kTlsEventCount];
  CounterId c_http_events_[kHttpEventCount];
  CounterId c_smtp_events_[kSmtpEventCount];
  CounterId c_ftp_events_[kFtpEventCount];
  CounterId c_ssh_events_[kSshEventCount];
  CounterId c_state_full_, c_tx_;
};

}  // namespace wp::applayer
