#include "output/alert_builder.h"

#include "common/text.h"

namespace wp::output {

AlertBuilder::AlertBuilder(std::shared_ptr<const detect::RuleSet> rules, SensorIdentity identity,
                           AlertOptions options)
    : rules_(std::move(rules)), identity_(std::move(identity)), options_(options) {
  signatures_.resize(rules_->rules().size());
  for (std::string* s : {&identity_.site, &identity_.sensor_id, &identity_.in_iface}) {
    *s = valid_utf8(*s);
  }
}

const watchpost::v1::Signature& AlertBuilder::signature(std::uint32_t idx) {
  auto& slot = signatures_[idx];
  if (slot) return *slot;
  const detect::CompiledRule& cr = rules_->rules()[idx];
  const detect::Rule& r = cr.rule;
  slot = std::make_unique<watchpost::v1::Signature>();
  slot->set_action("allowed");
  slot->set_gid(r.gid);
  slot->set_signature_id(r.sid);
  slot->set_rev(r.rev);
  // Rule files are not always UTF-8 (old rules in Latin-1): every text is made valid, so
  // the alert serializes into a message the collector can parse.
  slot->set_signature(valid_utf8(r.msg));
  slot->set_category(valid_utf8(cr.category));
  slot->set_severity(cr.severity);
  slot->set_classtype(valid_utf8(r.classtype));
  for (const auto& [key, value] : r.metadata) {
    (*slot->mutable_metadata())[valid_utf8(key)].add_values(valid_utf8(value));
  }
  for (const auto& [system, id] : r.references) {
    slot->add_references(valid_utf8(system + "," + id));
  }
  return *slot;
}

void AlertBuilder::build(const decode::Packet& pkt, const flow::FlowRef& fr,
                         std::uint32_t rule_index, watchpost::v1::Alert& a,
                         std::span<const std::uint8_t> stream_data, bool reversed) {
  a.Clear();
  a.set_timestamp_us(pkt.ts.micros());
  a.set_site(identity_.site);
  a.set_sensor_id(identity_.sensor_id);
  if (!identity_.in_iface.empty()) a.set_in_iface(identity_.in_iface);
  if (fr.flow != nullptr) a.set_flow_id(fr.flow->flow_id);
  a.set_pcap_cnt(pkt.number);
  a.set_src_ip((reversed ? pkt.dst : pkt.src).to_string());
  a.set_dest_ip((reversed ? pkt.src : pkt.dst).to_string());
  a.set_src_port(reversed ? pkt.dport : pkt.sport);
  a.set_dest_port(reversed ? pkt.sport : pkt.dport);
  a.set_ip_proto(pkt.proto);
  a.set_direction(fr.to_server ? watchpost::v1::TO_SERVER : watchpost::v1::TO_CLIENT);
  *a.mutable_signature() = signature(rule_index);
  const bool stream = !stream_data.empty();
  const std::span<const std::uint8_t> payload = stream ? stream_data : pkt.payload;
  if (options_.payload) a.set_payload(payload.data(), payload.size());
  a.set_stream(stream);
  if (options_.packet) a.set_packet(pkt.frame.data(), pkt.frame.size());
  a.set_linktype(pkt.linktype);
  for (int i = 0; i < pkt.vlan_count && i < decode::Packet::kMaxVlans; ++i) a.add_vlan(pkt.vlan[i]);
  if (pkt.proto == decode::kProtoIcmp || pkt.proto == decode::kProtoIcmpv6) {
    a.set_icmp_type(pkt.icmp_type);
    a.set_icmp_code(pkt.icmp_code);
  }
}

}  // namespace wp::output
