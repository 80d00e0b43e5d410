#include "output/alert_builder.h"

#include <arpa/inet.h>

#include <cstdio>
#include <ctime>
#include <iterator>
#include <string>

#include "common/text.h"

namespace wp::output {
namespace {

std::string dns_type_name(std::uint16_t type) {
  switch (type) {
    case 1: return "A";
    case 2: return "NS";
    case 5: return "CNAME";
    case 6: return "SOA";
    case 12: return "PTR";
    case 15: return "MX";
    case 16: return "TXT";
    case 28: return "AAAA";
    case 33: return "SRV";
    case 64: return "SVCB";
    case 65: return "HTTPS";
    case 255: return "ANY";
    default: return std::to_string(type);
  }
}

std::string dns_rcode_name(std::uint8_t rcode) {
  static constexpr const char* kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                           "NOTIMP",  "REFUSED"};
  return rcode < std::size(kNames) ? kNames[rcode] : std::to_string(rcode);
}

// An answer's data as Suricata shows it: addresses as text, names dotted; else empty.
std::string dns_rdata(const applayer::DnsMessage& m, const applayer::DnsAnswer& a, Bytes raw) {
  if (a.data_name.length != 0) return valid_utf8(m.name(a.data_name));
  if (a.rdata_offset > raw.size() || raw.size() - a.rdata_offset < a.rdata_length) return {};
  const std::uint8_t* p = raw.data() + a.rdata_offset;
  char text[INET6_ADDRSTRLEN] = {};
  if (a.type == 1 && a.rdata_length == 4 && inet_ntop(AF_INET, p, text, sizeof text)) return text;
  if (a.type == 28 && a.rdata_length == 16 && inet_ntop(AF_INET6, p, text, sizeof text)) return text;
  return {};
}

void fill_dns(const applayer::Transaction& tx, watchpost::v1::DnsInfo& d) {
  const applayer::DnsMessage& m = *tx.dns;
  d.set_type(m.response ? "response" : "request");
  d.set_id(m.id);
  char flags[8];
  std::snprintf(flags, sizeof flags, "%x", m.flags);
  d.set_flags(flags);
  d.set_qr(m.response);
  d.set_aa((m.flags & 0x0400) != 0);
  d.set_tc((m.flags & 0x0200) != 0);
  d.set_rd((m.flags & 0x0100) != 0);
  d.set_ra((m.flags & 0x0080) != 0);
  d.set_opcode(m.opcode);
  if (m.response) d.set_rcode(dns_rcode_name(m.rcode));
  for (const applayer::DnsQuestion& q : m.questions) {
    auto* out = d.add_queries();
    out->set_rrname(valid_utf8(m.name(q.name)));
    out->set_rrtype(dns_type_name(q.type));
  }
  for (const applayer::DnsAnswer& a : m.answers) {
    auto* out = d.add_answers();
    out->set_rrname(valid_utf8(m.name(a.name)));
    out->set_rrtype(dns_type_name(a.type));
    out->set_ttl(a.ttl);
    out->set_rdata(dns_rdata(m, a, tx.dns_raw));
  }
}

// "2024-01-01T00:00:00", UTC, as Suricata writes certificate dates.
std::string utc_time(std::int64_t seconds) {
  const auto t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return buf;
}

// Suricata's alert http object: the request's fields, and the response's once it came.
void fill_http(const applayer::HttpTransaction& t, watchpost::v1::HttpInfo& h) {
  auto text = [](std::string_view v) { return valid_utf8(std::string(v)); };
  h.set_hostname(text(t.host()));
  h.set_url(text(t.uri_raw()));
  h.set_http_user_agent(text(t.user_agent()));
  h.set_http_content_type(text(t.response().header("Content-Type")));
  h.set_http_refer(text(t.referer()));
  h.set_http_method(text(t.method()));
  h.set_protocol(text(t.request_protocol()));
  if (t.status() > 0) h.set_status(static_cast<std::uint32_t>(t.status()));
  h.set_redirect(text(t.location()));
  h.set_length(t.response().body_length());
}

void fill_tls(const applayer::TlsInfo& info, watchpost::v1::TlsInfo& t) {
  if (!info.certificates.empty()) {
    const applayer::TlsCertificate& leaf = info.certificates[0];
    t.set_subject(valid_utf8(leaf.subject));
    t.set_issuerdn(valid_utf8(leaf.issuer));
    t.set_serial(leaf.serial);
    t.set_fingerprint(leaf.fingerprint);
    t.set_notbefore(utc_time(leaf.not_before));
    t.set_notafter(utc_time(leaf.not_after));
  }
  t.set_sni(valid_utf8(info.sni));
  const std::uint16_t version = info.server_hello ? info.version : info.client_version;
  t.set_version(std::string(applayer::tls_version_name(version)));
  if (info.client_hello) {
    t.mutable_ja3()->set_hash(info.ja3_hash);
    t.mutable_ja3()->set_string(info.ja3);
  }
  if (info.server_hello) {
    t.mutable_ja3s()->set_hash(info.ja3s_hash);
    t.mutable_ja3s()->set_string(info.ja3s);
  }
}

std::string mac_text(const std::uint8_t* m) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
                m[5]);
  return buf;
}

// Suricata's alert smtp object: the session's HELO and the mail's envelope.
void fill_smtp(const applayer::SmtpSession& session, watchpost::v1::SmtpInfo& m) {
  m.set_helo(valid_utf8(std::string(session.helo())));
  m.set_mail_from(valid_utf8(session.mail().mail_from));
  for (const std::string& r : session.mail().rcpt_to) m.add_rcpt_to(valid_utf8(r));
}

void fill_ssh_side(const applayer::SshSide& side, watchpost::v1::SshSide& out) {
  out.set_proto_version(valid_utf8(side.proto));
  out.set_software_version(valid_utf8(side.software));
  if (side.kexinit) {
    out.mutable_hassh()->set_hash(side.hassh);
    out.mutable_hassh()->set_string(valid_utf8(side.hassh_string));
  }
}

// Suricata's alert ssh object: each side seen so far.
void fill_ssh(const applayer::SshSession& session, watchpost::v1::SshInfo& s) {
  if (session.client().banner) fill_ssh_side(session.client(), *s.mutable_client());
  if (session.server().banner) fill_ssh_side(session.server(), *s.mutable_server());
}

// Suricata 8's alert ftp object.
void fill_ftp(const applayer::FtpTransaction& t, watchpost::v1::FtpInfo& f) {
  f.set_command(valid_utf8(t.command));
  f.set_command_data(valid_utf8(t.command_data));
  for (const std::string& r : t.replies) f.add_reply(valid_utf8(r));
  for (const std::string& c : t.completion_codes) f.add_completion_code(c);
  if (t.mode != applayer::FtpMode::kNone) {
    f.set_dynamic_port(t.dynamic_port);
    f.set_mode(t.mode == applayer::FtpMode::kActive ? "active" : "passive");
  }
  f.set_reply_received(t.reply_received);
}

}  // namespace

const char* packet_source_name(const decode::Packet& pkt) {
  switch (pkt.source) {
    case decode::PacketSource::kWire: return "wire/pcap";
    case decode::PacketSource::kDecoderGre: return "gre tunnel";
    case decode::PacketSource::kDecoderIpv4: return "ipv4 tunnel";
    case decode::PacketSource::kDecoderIpv6: return "ipv6 tunnel";
    case decode::PacketSource::kDecoderTeredo: return "teredo tunnel";
    case decode::PacketSource::kDecoderVxlan: return "vxlan encapsulation";
    case decode::PacketSource::kDecoderGeneve: return "geneve encapsulation";
    case decode::PacketSource::kDefrag: return "defrag";
  }
  return "wire/pcap";
}

void fill_flow_counters(const flow::Flow& f, watchpost::v1::FlowCounters& out) {
  out.set_pkts_toserver(f.pkts_to_server);
  out.set_pkts_toclient(f.pkts_to_client);
  out.set_bytes_toserver(f.bytes_to_server);
  out.set_bytes_toclient(f.bytes_to_client);
  out.set_start_us(f.first_seen.micros());
  // The server is the key's other end: the endpoint that is not the initiator.
  const bool client_lo = f.key.lo_addr == f.client_addr && f.key.lo_port == f.client_port;
  out.set_src_ip(f.client_addr.to_string());
  out.set_src_port(f.client_port);
  out.set_dest_ip((client_lo ? f.key.hi_addr : f.key.lo_addr).to_string());
  out.set_dest_port(client_lo ? f.key.hi_port : f.key.lo_port);
}

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
  // Suricata writes "blocked" for drop and reject rules in IDS mode too; SIEM rules key on it.
  const bool blocks = r.action == detect::Action::kDrop || r.action == detect::Action::kReject;
  slot->set_action(blocks ? "blocked" : "allowed");
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
                         std::span<const std::uint8_t> stream_data, bool reversed,
                         const applayer::Transaction* tx) {
  a.Clear();
  a.set_timestamp_us(pkt.ts.micros());
  a.set_site(identity_.site);
  a.set_sensor_id(identity_.sensor_id);
  if (!identity_.in_iface.empty()) a.set_in_iface(identity_.in_iface);
  if (fr.flow != nullptr) a.set_flow_id(fr.flow->flow_id);
  a.set_pcap_cnt(pkt.number);
  // A packet whose IP layer did not decode (a decode-event rule on a broken frame) has no
  // addresses: the EVE record leaves them out, as Suricata's.
  if (pkt.ip_version != 0) {
    a.set_src_ip((reversed ? pkt.dst : pkt.src).to_string());
    a.set_dest_ip((reversed ? pkt.src : pkt.dst).to_string());
  }
  a.set_src_port(reversed ? pkt.dport : pkt.sport);
  a.set_dest_port(reversed ? pkt.sport : pkt.dport);
  a.set_ip_proto(pkt.proto);
  a.set_ip_v(pkt.ip_version);
  a.set_pkt_src(packet_source_name(pkt));
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
  if (options_.ethernet && pkt.linktype == static_cast<int>(decode::LinkType::kEthernet) &&
      pkt.frame.size() >= 14) {
    a.mutable_ether()->set_dest_mac(mac_text(pkt.frame.data()));
    a.mutable_ether()->set_src_mac(mac_text(pkt.frame.data() + 6));
  }
  if (pkt.tunnel_depth > 0) {
    auto& t = *a.mutable_tunnel();
    t.set_src_ip(pkt.tunnel_src.to_string());
    t.set_dest_ip(pkt.tunnel_dst.to_string());
    t.set_src_port(pkt.tunnel_sport);
    t.set_dest_port(pkt.tunnel_dport);
    t.set_ip_proto(pkt.tunnel_proto);
    t.set_depth(pkt.tunnel_depth);
  }
  if (fr.flow != nullptr) fill_flow_counters(*fr.flow, *a.mutable_flow());
  if (fr.flow != nullptr && fr.flow->app_proto != 0) {
    a.set_app_proto(std::string(app_proto_name(static_cast<AppProto>(fr.flow->app_proto))));
  }
  if (tx != nullptr) {
    a.set_tx_id(tx->id);
    if (tx->dns != nullptr) fill_dns(*tx, *a.mutable_dns());
    if (tx->tls != nullptr) fill_tls(*tx->tls, *a.mutable_tls());
    if (tx->http != nullptr) fill_http(*tx->http, *a.mutable_http());
    if (tx->smtp != nullptr) fill_smtp(*tx->smtp, *a.mutable_smtp());
    if (tx->ssh != nullptr) fill_ssh(*tx->ssh, *a.mutable_ssh());
    if (tx->ftp != nullptr) fill_ftp(*tx->ftp, *a.mutable_ftp());
  }
}

}  // namespace wp::output
