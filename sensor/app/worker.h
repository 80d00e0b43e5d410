// Worker: the per-thread packet path (decode -> flow -> stream -> detect -> alert build ->
// its AlertSink, in the sensor the ring to the output thread). It owns its Decoder, FlowTable, StreamEngine, Detector and AlertBuilder; nothing is shared with other
// workers except the immutable RuleSet. process() does no allocation once warmed up (alert
// rendering reuses its buffers). Stage timing, for the benchmark, is off by default.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "app/config.h"
#include "applayer/stage.h"
#include "capture/raw_packet.h"
#include "common/counters.h"
#include "decode/decoder.h"
#include "detect/engine/detector.h"
#include "flow/flow_table.h"
#include "output/alert_builder.h"
#include "output/sinks.h"
#include "stream/stream.h"

namespace wp::app {

// Where a worker's time goes (stage timing, for the benchmarks): applayer is the parsers
// alone; the transaction rules they trigger count as detect, their alerts as output.
enum Stage {
  kStageDecode,
  kStageFlow,
  kStageStream,
  kStageApplayer,
  kStageDetect,
  kStageOutput,
  kStages
};

// Where a live packet came from, for its alerts: EVE in_iface and the interface's site label
// (empty: the sensor's site).
struct SourceIdentity {
  std::string interface;
  std::string site;

  // Sets `record`'s in_iface, and its site when the interface has one (an Alert, an Anomaly).
  template <typename Record>
  void stamp(Record& record) const {
    record.set_in_iface(interface);
    if (!site.empty()) record.set_site(site);
  }
};

// A rule's alerts over the worker's life, across rule reloads (stats.json rules_hit).
struct RuleHits {
  std::uint32_t gid = 0, sid = 0, rev = 0;
  std::string msg;
  std::uint64_t hits = 0;
};

class Worker {
 public:
  // Alerts go to `sink` (nullptr: nowhere; the counters still count them).
  // `host`: the host state (thresholds, xbits) shared by all workers; null: the Detector's
  // own (one worker).
  Worker(const Config& config, std::shared_ptr<const detect::RuleSet> rules, Counters& counters,
         output::AlertSink* sink, std::shared_ptr<detect::HostState> host = nullptr);

  void process(const capture::RawPacket& raw);
  // The capture ended or the sensor stops: every flow ends (flow records with reason
  // "shutdown", at the last packet's time).
  void finish();

  // Live capture: the identity of each RawPacket::source (alerts get in_iface and the
  // interface's site). Empty (offline): alerts carry no in_iface.
  void set_sources(std::vector<SourceIdentity> sources) { sources_ = std::move(sources); }

  // Moves to the next generation between two packets (a rule reload): the Detector switches
  // (Detector::switch_to; flow variables, remembered stream hits and the shared host state
  // stay valid: ids come from the same NameTable) and the AlertBuilder is rebuilt for the
  // new rule indexes. Allocates; cold path.
  void swap_rules(std::shared_ptr<const detect::RuleSet> rules);
  // Alerts per rule over this worker's life, summed by (gid, sid) across swaps.
  std::vector<RuleHits> rule_hits() const;

  // Offline with several workers: host-state operations wait for their packet's turn.
  void set_host_order(detect::HostOrder* order) { detector_->set_host_order(order); }

  // Checksum validation (the pcap-file `auto` mode turns it off on the fly).
  decode::Decoder& decoder() { return decoder_; }
  const detect::Detector& detector() const { return *detector_; }
  // Per-rule cost in detector().profile() (watchpost-rulecheck --pcap).
  void enable_rule_profiling() { detector_->enable_profiling(); }
  const stream::StreamEngine& stream() const { return stream_; }

  // pcap-file.checksum-checks=auto turned validation off after sampling the capture.
  bool checksum_auto_disabled() const { return auto_disabled_; }

  void enable_stage_timing() { timing_ = true; }
  // Nanoseconds spent per Stage (only with stage timing on).
  const std::array<std::uint64_t, kStages>& stage_ns() const { return stage_ns_; }

 private:
  static void on_chunk(void* self, const stream::StreamChunk& chunk);
  static void on_tx(void* self, const applayer::Transaction& tx);
  static void release_flow(void* self, flow::Flow& f, flow::FlowEndReason reason,
                           const Timestamp& now);
  static void on_app_anomaly(void* self, AppProto proto, int code, std::string_view name);
  // EVE anomaly records of the packet's decoder events (eve-log.anomaly.decode).
  void report_decode_events(const flow::FlowRef& fr);
  // eve-log.anomaly.stream: one anomaly record per stream event of pkt_ (type "stream").
  void report_stream_events(const flow::FlowRef& fr);
  // The anomaly record's packet fields, from pkt_ and `fr`.
  void fill_anomaly(const flow::FlowRef& fr);
  void emit(std::span<const std::uint32_t> matches, const flow::FlowRef& fr,
            std::span<const std::uint8_t> stream_data, bool reversed,
            const applayer::Transaction* tx = nullptr);
  // pkt_ without a flow and without its transport layer: a malformed packet, an IP fragment
  // (which has no transport layer, as in Suricata), or decoder events alone. A fragment keeps
  // its IP protocol (ip_proto, and rules of that protocol without ports can match it); a
  // malformed packet does not (only ip and decode-event rules match it).
  void inspect_without_transport(bool keep_proto);

  decode::Decoder decoder_;
  stream::StreamEngine stream_;  // before flows_: the flow table releases sessions into it
  applayer::AppLayer app_;       // before flows_ too: it takes back the flows' parser state
  std::span<const std::uint8_t> tx_data_;  // what transaction rules' pkt_data items read
  flow::FlowTable flows_;
  detect::DetectorConfig detect_config_;
  output::SensorIdentity identity_;
  output::AlertOptions alert_options_;
  std::unique_ptr<detect::Detector> detector_;
  std::unique_ptr<output::AlertBuilder> builder_;
  std::vector<RuleHits> retired_hits_;  // of rule sets swapped out
  std::vector<SourceIdentity> sources_;
  std::uint32_t source_ = 0;            // RawPacket::source of the packet in process()
  output::AlertSink* sink_;
  decode::Packet pkt_;
  decode::Packet datagram_;  // a reassembled datagram while its last fragment is inspected
  flow::FlowRef fr_;
  std::uint64_t chunk_ns_ = 0;  // detect + output time spent inside stream callbacks
  std::uint64_t tx_ns_ = 0;     // detect + output time spent inside transaction callbacks
  watchpost::v1::Alert alert_;
  watchpost::v1::FlowRecord flow_record_;  // reused
  watchpost::v1::Anomaly anomaly_;         // reused
  bool flow_records_ = false;              // eve-log.flow
  bool decode_anomalies_ = false;          // eve-log.anomaly (.decode)
  bool stream_anomalies_ = false;          // eve-log.anomaly (.stream)
  bool auto_mode_ = false;     // sampling the first packets for offloaded checksums
  bool auto_disabled_ = false;
  std::uint32_t sampled_ = 0;
  std::uint32_t sampled_bad_ = 0;
  bool timing_ = false;
  std::array<std::uint64_t, kStages> stage_ns_{};

  Counters& counters_;
  CounterId c_skipped_checksum_, c_not_ip_;
};

}  // namespace wp::app
