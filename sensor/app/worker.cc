#include "app/worker.h"

#include <algorithm>
#include <chrono>

namespace wp::app {
namespace {

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::steady_clock::now().time_since_epoch().count());
}

decode::DecoderConfig decoder_config(const Config& c) {
  decode::DecoderConfig d = c.decoder;
  d.validate_checksums = c.checksum_validation && c.pcap_checksum_checks != ChecksumChecks::kNo;
  return d;
}

constexpr std::uint32_t kChecksumSample = 1000;

}  // namespace

Worker::Worker(const Config& config, std::shared_ptr<const detect::RuleSet> rules,
               Counters& counters, output::AlertSink* sink,
               std::shared_ptr<detect::HostState> host)
    : decoder_(decoder_config(config), counters),
      stream_(config.stream, counters),
      app_(applayer::AppLayerConfig{}, counters),
      flows_(config.flow, counters),
      detect_config_(config.detect),
      identity_{config.site, config.sensor_id, {}},
      alert_options_{config.eve.payload || config.eve.payload_printable, config.eve.packet,
                     config.eve.ethernet},
      detector_(std::make_unique<detect::Detector>(rules, detect_config_, counters, std::move(host))),
      builder_(std::make_unique<output::AlertBuilder>(rules, identity_, alert_options_)),
      sink_(sink),
      counters_(counters) {
  auto_mode_ = decoder_.validate_checksums() && config.pcap_checksum_checks == ChecksumChecks::kAuto;
  flows_.set_release_hook(&Worker::release_flow, this);
  flow_records_ = config.eve.flow;
  decode_anomalies_ = config.eve.anomaly && config.eve.anomaly_decode;
  stream_anomalies_ = config.eve.anomaly && config.eve.anomaly_stream;
  if (config.eve.anomaly && config.eve.anomaly_applayer) {
    app_.set_anomaly_hook(&Worker::on_app_anomaly, this);
  }
  c_skipped_checksum_ = counters_.add("stream.skipped_invalid_checksum");
  c_not_ip_ = counters_.add("decoder.not_inspected");
}

void Worker::release_flow(void* self, flow::Flow& f, flow::FlowEndReason reason,
                          const Timestamp& now) {
  auto* w = static_cast<Worker*>(self);
  if (w->flow_records_ && w->sink_ != nullptr) {
    watchpost::v1::FlowRecord& r = w->flow_record_;
    r.Clear();
    r.set_timestamp_us(now.micros());
    r.set_site(w->identity_.site);
    r.set_sensor_id(w->identity_.sensor_id);
    r.set_flow_id(f.flow_id);
    r.set_ip_proto(f.proto);
    r.set_ip_v(f.client_addr.is_v4() ? 4 : 6);
    for (std::uint16_t v : {f.key.vlan0, f.key.vlan1, f.key.vlan2}) {
      if (v != 0) r.add_vlan(v);
    }
    if (f.app_proto != 0) {
      r.set_app_proto(std::string(app_proto_name(static_cast<AppProto>(f.app_proto))));
    }
    output::fill_flow_counters(f, *r.mutable_counters());
    r.set_end_us(f.last_seen.micros());
    r.set_state(f.state == flow::FlowState::kNew           ? "new"
                : f.state == flow::FlowState::kEstablished ? "established"
                                                           : "closed");
    r.set_reason(flow::flow_end_reason_name(reason));
    r.set_alerted(f.alerted);
    r.set_tcp_flags_ts(f.tcp_flags_ts);
    r.set_tcp_flags_tc(f.tcp_flags_tc);
    w->sink_->on_flow(r);
  }
  w->stream_.release(f);
  w->app_.release(f);
}

void Worker::finish() { flows_.release_all(pkt_.ts); }

void Worker::fill_anomaly(const flow::FlowRef& fr) {
  watchpost::v1::Anomaly& a = anomaly_;
  a.Clear();
  a.set_timestamp_us(pkt_.ts.micros());
  a.set_site(identity_.site);
  a.set_sensor_id(identity_.sensor_id);
  if (source_ < sources_.size()) sources_[source_].stamp(a);
  a.set_pcap_cnt(pkt_.number);
  for (int i = 0; i < pkt_.vlan_count && i < decode::Packet::kMaxVlans; ++i) a.add_vlan(pkt_.vlan[i]);
  if (fr.flow != nullptr) a.set_flow_id(fr.flow->flow_id);
  if (pkt_.ip_version == 0) return;  // no addresses, as Suricata's record
  a.set_src_ip(pkt_.src.to_string());
  a.set_dest_ip(pkt_.dst.to_string());
  a.set_src_port(pkt_.sport);
  a.set_dest_port(pkt_.dport);
  a.set_ip_proto(pkt_.proto);
  a.set_ip_v(pkt_.ip_version);
}

void Worker::report_decode_events(const flow::FlowRef& fr) {
  if (!decode_anomalies_ || sink_ == nullptr || !pkt_.has_events()) return;
  for (const decode::DecodeEventInfo& e : decode::kDecodeEvents) {
    if (!pkt_.has_event(e.id)) continue;
    fill_anomaly(fr);
    anomaly_.set_type("decode");
    anomaly_.set_event("decoder." + std::string(e.name));
    sink_->on_anomaly(anomaly_);
  }
}

void Worker::report_stream_events(const flow::FlowRef& fr) {
  if (!stream_anomalies_ || sink_ == nullptr || pkt_.stream_events == 0) return;
  for (const stream::StreamEventInfo& e : stream::kStreamEvents) {
    if ((pkt_.stream_events & stream::stream_event_bit(e.id)) == 0) continue;
    fill_anomaly(fr);
    anomaly_.set_type("stream");
    anomaly_.set_event("stream." + std::string(e.name));
    sink_->on_anomaly(anomaly_);
  }
}

void Worker::on_app_anomaly(void* self, AppProto proto, int code, std::string_view name) {
  auto* w = static_cast<Worker*>(self);
  if (w->sink_ == nullptr) return;
  w->fill_anomaly(w->fr_);
  w->anomaly_.set_type("applayer");
  w->anomaly_.set_event(std::string(name));
  w->anomaly_.set_app_proto(std::string(app_proto_name(proto)));
  w->anomaly_.set_layer("proto_parser");
  w->anomaly_.set_event_code(static_cast<std::uint32_t>(code));
  w->sink_->on_anomaly(w->anomaly_);
}

void Worker::swap_rules(std::shared_ptr<const detect::RuleSet> rules) {
  retired_hits_ = rule_hits();  // switch_to() starts the per-rule hits from zero
  detector_->switch_to(rules);
  builder_ = std::make_unique<output::AlertBuilder>(rules, identity_, alert_options_);
}

std::vector<RuleHits> Worker::rule_hits() const {
  std::vector<RuleHits> out = retired_hits_;
  const auto& rules = detector_->rule_set().rules();
  const auto& hits = detector_->hits();
  for (std::size_t i = 0; i < rules.size(); ++i) {
    if (hits[i] == 0) continue;
    const auto& r = rules[i].rule;
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const RuleHits& h) { return h.gid == r.gid && h.sid == r.sid; });
    if (it == out.end()) {
      out.push_back({r.gid, r.sid, r.rev, r.msg, hits[i]});
    } else {
      it->hits += hits[i];
      it->rev = r.rev;
      it->msg = r.msg;
    }
  }
  return out;
}

void Worker::process(const capture::RawPacket& raw) {
  source_ = raw.source;
  std::uint64_t t0 = timing_ ? now_ns() : 0;
  const decode::DecodeStatus st = decoder_.decode(raw, pkt_);
  std::uint64_t t1 = timing_ ? now_ns() : 0;
  if (timing_) stage_ns_[kStageDecode] += t1 - t0;
  if (st != decode::DecodeStatus::kOk || pkt_.ip_version == 0) {
    // A malformed packet, a held IP fragment, or a packet with decoder events only is still
    // inspected, without a flow and its transport layer, as Suricata: ip and decode-event
    // rules see it. Neither IP nor events: nothing to inspect.
    if (pkt_.ip_version == 0 && !pkt_.has_events()) {
      counters_.inc(c_not_ip_);
      return;
    }
    fr_ = {};
    report_decode_events(fr_);
    inspect_without_transport(st == decode::DecodeStatus::kHeld);
    return;
  }
  if (const decode::Packet* fragment = decoder_.completed_fragment()) {
    // The fragment that completed a datagram is a packet of its own, inspected before the
    // datagram (which Suricata too injects after it).
    datagram_ = pkt_;
    pkt_ = *fragment;
    inspect_without_transport(true);
    pkt_ = datagram_;
  }
  if (auto_mode_ && pkt_.checksum_checked) {
    // Suricata's rule: more than 10% bad checksums in the first 1000 packets means the
    // capture was taken with checksum offloading; validation is then turned off.
    ++sampled_;
    if (pkt_.checksum_bad) ++sampled_bad_;
    if (sampled_ == kChecksumSample) {
      auto_mode_ = false;
      if (sampled_bad_ * 10 > sampled_) {
        decoder_.set_validate_checksums(false);
        auto_disabled_ = true;
      }
    }
  }
  flow::FlowRef fr = flows_.process(pkt_);
  // A data connection an FTP control channel announced is ftp-data from its first packet.
  if (fr.created && pkt_.proto == decode::kProtoTcp) app_.on_tcp_flow(pkt_, fr);
  if (pkt_.has_events()) report_decode_events(fr);
  std::uint64_t t2 = timing_ ? now_ns() : 0;
  if (timing_) stage_ns_[kStageFlow] += t2 - t1;
  if (pkt_.checksum_bad) {
    // The receiving host drops such a packet, so it stays out of the stream (its valid
    // retransmission is used) but, as Suricata does, it is still inspected as a packet:
    // rules on it (tcpv4-csum:invalid, an attack sent with a broken checksum) see it.
    counters_.inc(c_skipped_checksum_);
    // The stream stage does not see it: `flow:established` is the session's state before it.
    if (fr.flow != nullptr && pkt_.proto == decode::kProtoTcp) fr.established = fr.flow->established();
    fr_ = fr;
    const auto matches = detector_->inspect(pkt_, fr, false);
    if (!matches.empty()) emit(matches, fr, {}, false);
    return;
  }
  // The stream stage owns the TCP session state: it decides (for this packet) whether the
  // flow is established before the packet rules run. Packet rules first (a pass rule there
  // passes the session before its stream is inspected), then the stream rules on the data
  // this packet put in order.
  const bool tcp = pkt_.proto == decode::kProtoTcp;
  const bool tracked = tcp && stream_.track(pkt_, fr) == stream::StreamVerdict::kTracked;
  if (tcp) pkt_.stream_events = stream_.events();
  fr_ = fr;
  if (pkt_.proto == decode::kProtoUdp) {
    // The application layer before the packet rules: `alert dns` rules need the flow's
    // protocol, and the message's transaction rules run on this packet.
    tx_data_ = pkt_.payload;
    tx_ns_ = 0;
    app_.on_udp(pkt_, fr, &Worker::on_tx, this);
    if (timing_) {
      // on_tx counted the transaction rules and their alerts; the rest is the parser's.
      const std::uint64_t now = now_ns();
      stage_ns_[kStageApplayer] += now - t2 - tx_ns_;
      t2 = now;
    }
  }
  const auto matches = detector_->inspect(pkt_, fr, tracked);
  std::uint64_t t3 = timing_ ? now_ns() : 0;
  if (timing_) stage_ns_[kStageDetect] += t3 - t2;
  if (!matches.empty()) {
    emit(matches, fr, {}, false);
    if (timing_) {
      const std::uint64_t now = now_ns();
      stage_ns_[kStageOutput] += now - t3;
      t3 = now;
    }
  }
  if (tracked && !fr.flow->passed) {
    chunk_ns_ = 0;
    stream_.reassemble(pkt_, fr, &Worker::on_chunk, this);
    if (timing_) stage_ns_[kStageStream] += now_ns() - t3 - chunk_ns_;
  }
  if (tracked) {
    // The stream-event rules of a tracked packet run once reassembly has added its events.
    pkt_.stream_events = stream_.events();
    const auto late = detector_->inspect_stream_events(pkt_, fr);
    if (!late.empty()) emit(late, fr, {}, false);
  }
  if (tcp) report_stream_events(fr);
  if (tcp && fr.flow != nullptr) flows_.refile(*fr.flow);  // the stream may have changed its state
}

void Worker::inspect_without_transport(bool keep_proto) {
  if (!keep_proto) pkt_.proto = 0;
  pkt_.sport = pkt_.dport = 0;
  pkt_.tcp_flags = 0;
  pkt_.l4 = {};
  pkt_.l4_hdr_len = 0;
  pkt_.payload = {};
  pkt_.icmp_has_id_seq = false;
  pkt_.icmpv6_has_mtu = false;
  pkt_.tcp_has_mss = pkt_.tcp_has_wscale = pkt_.tcp_has_timestamp = false;
  pkt_.tcp_has_sack_permitted = false;
  fr_ = {};
  const auto matches = detector_->inspect(pkt_, fr_, false);
  if (!matches.empty()) emit(matches, fr_, {}, false);
}

void Worker::on_chunk(void* self, const stream::StreamChunk& chunk) {
  auto* w = static_cast<Worker*>(self);
  const std::uint64_t t0 = w->timing_ ? now_ns() : 0;
  // The application layer first: it detects the protocol the stream rules may require and
  // runs the transaction rules of what the new bytes completed.
  w->tx_data_ = chunk.message();
  w->tx_ns_ = 0;
  w->app_.on_stream(*w->fr_.flow, chunk.to_server, chunk.base + chunk.new_from,
                    chunk.data.subspan(chunk.new_from), &Worker::on_tx, w);
  const std::uint64_t ta = w->timing_ ? now_ns() : 0;
  const auto matches = w->detector_->inspect_stream(w->pkt_, w->fr_, chunk);
  const std::uint64_t t1 = w->timing_ ? now_ns() : 0;
  if (!matches.empty()) {
    const flow::FlowRef fr{w->fr_.flow, chunk.to_server, w->fr_.created, true};
    w->emit(matches, fr, chunk.message(), chunk.to_server != w->fr_.to_server);
  }
  if (w->timing_) {
    const std::uint64_t t2 = now_ns();
    // on_tx counted the transaction rules and their alerts; the rest is the parser's.
    w->stage_ns_[kStageApplayer] += ta - t0 - w->tx_ns_;
    w->stage_ns_[kStageDetect] += t1 - ta;
    w->stage_ns_[kStageOutput] += t2 - t1;
    w->chunk_ns_ += t2 - t0;
  }
}

void Worker::on_tx(void* self, const applayer::Transaction& tx) {
  auto* w = static_cast<Worker*>(self);
  const std::uint64_t t0 = w->timing_ ? now_ns() : 0;
  const auto matches = w->detector_->inspect_tx(w->pkt_, w->fr_, tx, w->tx_data_);
  const std::uint64_t t1 = w->timing_ ? now_ns() : 0;
  if (!matches.empty()) {
    const bool tcp = w->pkt_.proto == decode::kProtoTcp;
    const flow::FlowRef fr{w->fr_.flow, tx.to_server, w->fr_.created, w->fr_.established};
    w->emit(matches, fr, tcp ? w->tx_data_ : std::span<const std::uint8_t>{},
            tx.to_server != w->fr_.to_server, &tx);
  }
  if (w->timing_) {
    const std::uint64_t t2 = matches.empty() ? t1 : now_ns();
    w->stage_ns_[kStageDetect] += t1 - t0;
    w->stage_ns_[kStageOutput] += t2 - t1;
    w->tx_ns_ += t2 - t0;
  }
}

void Worker::emit(std::span<const std::uint32_t> matches, const flow::FlowRef& fr,
                  std::span<const std::uint8_t> stream_data, bool reversed,
                  const applayer::Transaction* tx) {
  if (fr.flow != nullptr) fr.flow->alerted = true;
  for (std::uint32_t idx : matches) {
    builder_->build(pkt_, fr, idx, alert_, stream_data, reversed, tx);
    if (source_ < sources_.size()) sources_[source_].stamp(alert_);
    if (sink_ != nullptr) sink_->on_alert(alert_);
  }
}

}  // namespace wp::app
