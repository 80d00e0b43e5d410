// AlertBuilder: turns (packet, flow, rule) into a watchpost.v1.Alert — the one place an alert
// is built. The EVE writer and the collector stream both render this message. One builder per
// worker; it caches each rule's Signature message on first use. The Alert it fills is owned by
// the caller and reused (Clear() keeps its capacity).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "applayer/transaction.h"
#include "decode/packet.h"
#include "detect/compile/rule_set.h"
#include "flow/flow_table.h"
#include "watchpost/v1/event.pb.h"

namespace wp::output {

struct SensorIdentity {
  std::string site;
  std::string sensor_id;
  std::string in_iface;  // live capture only
};

struct AlertOptions {
  bool payload = false;   // eve-log.payload / payload-printable need the payload bytes
  bool packet = false;    // eve-log.packet
  bool ethernet = false;  // eve-log.ethernet: the frame's MAC addresses
};

// How a packet was produced, as EVE's pkt_src names it.
const char* packet_source_name(const decode::Packet& pkt);

// The flow's counters and endpoints from its initiator (EVE `flow`).
void fill_flow_counters(const flow::Flow& f, watchpost::v1::FlowCounters& out);

class AlertBuilder {
 public:
  AlertBuilder(std::shared_ptr<const detect::RuleSet> rules, SensorIdentity identity,
               AlertOptions options);

  // `stream_data`: the reassembled stream data the rule matched (EVE stream: 1, payload:
  // that data); empty for a match on the packet's own payload. `reversed`: that data
  // travels opposite to `pkt` (the alert's addresses and ports are then the data's).
  // `tx`: the application-layer transaction a transaction rule matched (tx_id and the
  // protocol's object); every alert of a flow whose protocol is known gets app_proto.
  void build(const decode::Packet& pkt, const flow::FlowRef& flow, std::uint32_t rule_index,
             watchpost::v1::Alert& out, std::span<const std::uint8_t> stream_data = {},
             bool reversed = false, const applayer::Transaction* tx = nullptr);

 private:
  const watchpost::v1::Signature& signature(std::uint32_t rule_index);

  std::shared_ptr<const detect::RuleSet> rules_;
  SensorIdentity identity_;
  AlertOptions options_;
  std::vector<std::unique_ptr<watchpost::v1::Signature>> signatures_;
};


}  // namespace wp::output
