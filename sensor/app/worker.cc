#include "app/worker.h"

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
               Counters& counters, std::vector<output::AlertSink*> sinks)
    : decoder_(decoder_config(config), counters),
      flows_(config.flow, counters),
      detector_(rules, config.detect, counters),
      builder_(rules, output::SensorIdentity{config.site, config.sensor_id, {}},
               output::AlertOptions{config.eve.payload || config.eve.payload_printable,
                                    config.eve.packet}),
      sinks_(std::move(sinks)),
      counters_(counters) {
  auto_mode_ = decoder_.validate_checksums() && config.pcap_checksum_checks == ChecksumChecks::kAuto;
  c_skipped_checksum_ = counters_.add("detect.skipped_invalid_checksum");
  c_not_ip_ = counters_.add("decoder.not_inspected");
}

void Worker::process(const capture::RawPacket& raw) {
  std::uint64_t t0 = timing_ ? now_ns() : 0;
  const decode::DecodeStatus st = decoder_.decode(raw, pkt_);
  std::uint64_t t1 = timing_ ? now_ns() : 0;
  if (timing_) stage_ns_[kStageDecode] += t1 - t0;
  if (st != decode::DecodeStatus::kOk || pkt_.ip_version == 0) {
    counters_.inc(c_not_ip_);
    return;
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
  const flow::FlowRef fr = flows_.process(pkt_);
  std::uint64_t t2 = timing_ ? now_ns() : 0;
  if (timing_) stage_ns_[kStageFlow] += t2 - t1;
  if (pkt_.checksum_bad) {
    // The receiving host drops such a packet, so an attack in it does not land.
    counters_.inc(c_skipped_checksum_);
    return;
  }
  const auto matches = detector_.inspect(pkt_, fr);
  std::uint64_t t3 = timing_ ? now_ns() : 0;
  if (timing_) stage_ns_[kStageDetect] += t3 - t2;
  if (matches.empty()) return;
  for (std::uint32_t idx : matches) {
    builder_.build(pkt_, fr, idx, alert_);
    for (output::AlertSink* s : sinks_) s->on_alert(alert_);
  }
  if (timing_) stage_ns_[kStageOutput] += now_ns() - t3;
}

}  // namespace wp::app
