#include "output/eve.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <span>
#include <vector>

#include "common/ip_address.h"
#include "output/json.h"

namespace wp::output {
namespace {

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

bool has_ports(std::uint32_t proto) { return proto == 6 || proto == 17 || proto == 132; }

void key(std::string& out, const char* name) {
  out.push_back('"');
  out += name;
  out += "\":";
}

// `,"name":"value"` when the value is not empty.
void text_field(std::string& out, const char* name, const std::string& value) {
  if (value.empty()) return;
  out += ",";
  key(out, name);
  append_json_string(out, value);
}

// Suricata 8's alert dns object (version 3): the message's header, queries and answers.
void render_dns(const watchpost::v1::DnsInfo& d, std::string& out) {
  out += ",\"dns\":{\"version\":3";
  text_field(out, "type", d.type());
  out += ",\"id\":" + std::to_string(d.id());
  text_field(out, "flags", d.flags());
  if (d.qr()) out += ",\"qr\":true";
  if (d.aa()) out += ",\"aa\":true";
  if (d.tc()) out += ",\"tc\":true";
  if (d.rd()) out += ",\"rd\":true";
  if (d.ra()) out += ",\"ra\":true";
  out += ",\"opcode\":" + std::to_string(d.opcode());
  text_field(out, "rcode", d.rcode());
  if (d.queries_size() > 0) {
    out += ",\"queries\":[";
    for (int i = 0; i < d.queries_size(); ++i) {
      if (i) out += ",";
      out += "{\"rrname\":";
      append_json_string(out, d.queries(i).rrname());
      out += ",\"rrtype\":";
      append_json_string(out, d.queries(i).rrtype());
      out += "}";
    }
    out += "]";
  }
  if (d.answers_size() > 0) {
    out += ",\"answers\":[";
    for (int i = 0; i < d.answers_size(); ++i) {
      const auto& a = d.answers(i);
      if (i) out += ",";
      out += "{\"rrname\":";
      append_json_string(out, a.rrname());
      out += ",\"rrtype\":";
      append_json_string(out, a.rrtype());
      out += ",\"ttl\":" + std::to_string(a.ttl());
      text_field(out, "rdata", a.rdata());
      out += "}";
    }
    out += "]";
  }
  out += "}";
}

void render_ja3(const char* name, const watchpost::v1::Ja3& j, std::string& out) {
  if (j.hash().empty()) return;
  out += ",";
  key(out, name);
  out += "{\"hash\":";
  append_json_string(out, j.hash());
  out += ",\"string\":";
  append_json_string(out, j.string());
  out += "}";
}

// Suricata's alert tls object; fields the handshake has not shown are left out.
void render_tls(const watchpost::v1::TlsInfo& t, std::string& out) {
  out += ",\"tls\":{";
  const std::size_t start = out.size();
  text_field(out, "subject", t.subject());
  text_field(out, "issuerdn", t.issuerdn());
  text_field(out, "serial", t.serial());
  text_field(out, "fingerprint", t.fingerprint());
  text_field(out, "sni", t.sni());
  text_field(out, "version", t.version());
  text_field(out, "notbefore", t.notbefore());
  text_field(out, "notafter", t.notafter());
  render_ja3("ja3", t.ja3(), out);
  render_ja3("ja3s", t.ja3s(), out);
  if (out.size() > start) out.erase(start, 1);  // the first field's comma
  out += "}";
}

// Suricata's alert http object; fields not seen are left out (length is always there once
// the object is: 0 before a response body).
void render_http(const watchpost::v1::HttpInfo& h, std::string& out) {
  out += ",\"http\":{";
  const std::size_t start = out.size();
  text_field(out, "hostname", h.hostname());
  text_field(out, "url", h.url());
  text_field(out, "http_user_agent", h.http_user_agent());
  text_field(out, "http_content_type", h.http_content_type());
  text_field(out, "http_refer", h.http_refer());
  text_field(out, "http_method", h.http_method());
  text_field(out, "protocol", h.protocol());
  if (h.status() != 0) out += ",\"status\":" + std::to_string(h.status());
  text_field(out, "redirect", h.redirect());
  out += ",\"length\":" + std::to_string(h.length());
  out.erase(start, 1);  // the first field's comma
  out += "}";
}

// `,"name":["a","b"]` when there are values.
void text_list(std::string& out, const char* name,
               const google::protobuf::RepeatedPtrField<std::string>& values) {
  if (values.empty()) return;
  out += ",";
  key(out, name);
  out += "[";
  for (int i = 0; i < values.size(); ++i) {
    if (i != 0) out += ",";
    append_json_string(out, values[i]);
  }
  out += "]";
}

// Suricata's alert smtp object.
void render_smtp(const watchpost::v1::SmtpInfo& m, std::string& out) {
  out += ",\"smtp\":{";
  const std::size_t start = out.size();
  text_field(out, "helo", m.helo());
  text_field(out, "mail_from", m.mail_from());
  text_list(out, "rcpt_to", m.rcpt_to());
  if (out.size() > start) out.erase(start, 1);  // the first field's comma
  out += "}";
}

void render_ssh_side(const char* name, const watchpost::v1::SshSide& side, std::string& out) {
  out += ",";
  key(out, name);
  out += "{";
  const std::size_t start = out.size();
  text_field(out, "proto_version", side.proto_version());
  text_field(out, "software_version", side.software_version());
  if (side.has_hassh()) {
    out += ",\"hassh\":{\"hash\":";
    append_json_string(out, side.hassh().hash());
    out += ",\"string\":";
    append_json_string(out, side.hassh().string());
    out += "}";
  }
  if (out.size() > start) out.erase(start, 1);
  out += "}";
}

// Suricata's alert ssh object: client and server as far as seen.
void render_ssh(const watchpost::v1::SshInfo& s, std::string& out) {
  out += ",\"ssh\":{";
  const std::size_t start = out.size();
  if (s.has_client()) render_ssh_side("client", s.client(), out);
  if (s.has_server()) render_ssh_side("server", s.server(), out);
  if (out.size() > start) out.erase(start, 1);
  out += "}";
}

// Suricata 8's alert ftp object.
void render_ftp(const watchpost::v1::FtpInfo& f, std::string& out) {
  out += ",\"ftp\":{";
  const std::size_t start = out.size();
  text_field(out, "command", f.command());
  text_field(out, "command_data", f.command_data());
  text_list(out, "reply", f.reply());
  text_list(out, "completion_code", f.completion_code());
  if (!f.mode().empty()) out += ",\"dynamic_port\":" + std::to_string(f.dynamic_port());
  text_field(out, "mode", f.mode());
  out += f.reply_received() ? ",\"reply_received\":\"yes\"" : ",\"reply_received\":\"no\"";
  out.erase(start, 1);  // the first field's comma (reply_received is always there)
  out += "}";
}

}  // namespace

std::string linktype_name(std::int32_t linktype) {
  switch (linktype) {
    case 0: return "NULL";
    case 1: return "EN10MB";
    case 9: return "PPP";
    case 12: return "RAW";
    case 101: return "RAW";
    case 108: return "LOOP";
    case 113: return "LINUX_SLL";
    case 228: return "IPV4";
    case 229: return "IPV6";
    case 276: return "LINUX_SLL2";
    default: return "DLT_" + std::to_string(linktype);
  }
}

std::string proto_name(std::uint32_t proto) {
  switch (proto) {
    case 1: return "ICMP";
    case 2: return "IGMP";
    case 6: return "TCP";
    case 17: return "UDP";
    case 41: return "IPv6";
    case 47: return "GRE";
    case 50: return "ESP";
    case 51: return "AH";
    case 58: return "IPv6-ICMP";
    case 103: return "PIM";
    case 132: return "SCTP";
    default: return std::to_string(proto);
  }
}

namespace {

// An address as Suricata writes it: IPv6 in full form with leading zeros.
void append_ip(std::string& out, const std::string& text) {
  if (text.find(':') == std::string::npos) {
    append_json_string(out, text);
    return;
  }
  const auto addr = IpAddress::parse(text);
  if (!addr) {
    append_json_string(out, text);
    return;
  }
  char buf[48];
  const auto& b = addr->bytes;
  std::snprintf(buf, sizeof buf, "\"%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x\"",
                b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
                b[13], b[14], b[15]);
  out += buf;
}

void number_field(std::string& out, const char* name, std::uint64_t value) {
  out += ",\"";
  out += name;
  out += "\":";
  out += std::to_string(value);
}

void time_field(std::string& out, const char* name, std::int64_t micros) {
  out += ",\"";
  out += name;
  out += "\":\"";
  append_timestamp(out, micros);
  out += "\"";
}

// The common head of every packet-born record: timestamp, flow_id, pcap_cnt, event_type,
// in_iface, vlan, the 5-tuple, proto and ip_v (Suricata's order).
struct Head {
  std::int64_t timestamp_us;
  std::uint64_t flow_id;
  std::uint64_t pcap_cnt;
  const char* event_type;
  const std::string& in_iface;
  const google::protobuf::RepeatedField<std::uint32_t>& vlan;
  const std::string& src_ip;
  std::uint32_t src_port;
  const std::string& dest_ip;
  std::uint32_t dest_port;
  std::uint32_t ip_proto;
  std::uint32_t ip_v;
};

void render_head(const Head& h, std::string& out) {
  out += "{\"timestamp\":\"";
  append_timestamp(out, h.timestamp_us);
  out += "\"";
  if (h.flow_id != 0) number_field(out, "flow_id", h.flow_id);
  if (h.pcap_cnt != 0) number_field(out, "pcap_cnt", h.pcap_cnt);
  out += ",\"event_type\":\"";
  out += h.event_type;
  out += "\"";
  text_field(out, "in_iface", h.in_iface);
  if (h.vlan.size() > 0) {
    out += ",\"vlan\":[";
    for (int i = 0; i < h.vlan.size(); ++i) {
      if (i) out += ",";
      out += std::to_string(h.vlan.Get(i));
    }
    out += "]";
  }
  // A packet whose IP layer did not decode has no addresses (as Suricata writes it).
  if (h.src_ip.empty()) return;
  out += ",\"src_ip\":";
  append_ip(out, h.src_ip);
  if (has_ports(h.ip_proto)) number_field(out, "src_port", h.src_port);
  out += ",\"dest_ip\":";
  append_ip(out, h.dest_ip);
  if (has_ports(h.ip_proto)) number_field(out, "dest_port", h.dest_port);
  out += ",\"proto\":";
  append_json_string(out, proto_name(h.ip_proto));
  if (h.ip_v != 0) number_field(out, "ip_v", h.ip_v);
}

// `,"name":"1b"`: a TCP flags byte in hex, as Suricata's flow records write it.
void hex_field(std::string& out, const char* name, std::uint32_t value) {
  char buf[48];
  std::snprintf(buf, sizeof buf, ",\"%s\":\"%x\"", name, value);
  out += buf;
}

// `,"syn":true` for each flag set in `flags`.
void tcp_flag_fields(std::string& out, std::uint32_t flags) {
  static constexpr const char* kNames[] = {"fin", "syn", "rst", "psh", "ack", "urg", "ecn", "cwr"};
  for (int bit = 0; bit < 8; ++bit) {
    if (flags & (1u << bit)) {
      out += ",\"";
      out += kNames[bit];
      out += "\":true";
    }
  }
}

void render_flow_counters(const watchpost::v1::FlowCounters& f, std::string& out) {
  out += "\"pkts_toserver\":" + std::to_string(f.pkts_toserver());
  number_field(out, "pkts_toclient", f.pkts_toclient());
  number_field(out, "bytes_toserver", f.bytes_toserver());
  number_field(out, "bytes_toclient", f.bytes_toclient());
  time_field(out, "start", f.start_us());
}

void render_flow_endpoints(const watchpost::v1::FlowCounters& f, std::uint32_t ip_proto,
                           std::string& out) {
  out += ",\"src_ip\":";
  append_ip(out, f.src_ip());
  out += ",\"dest_ip\":";
  append_ip(out, f.dest_ip());
  if (has_ports(ip_proto)) {
    number_field(out, "src_port", f.src_port());
    number_field(out, "dest_port", f.dest_port());
  }
}

void render_tunnel(const watchpost::v1::TunnelInfo& t, std::string& out) {
  out += ",\"tunnel\":{\"src_ip\":";
  append_ip(out, t.src_ip());
  if (t.src_port() != 0) number_field(out, "src_port", t.src_port());
  out += ",\"dest_ip\":";
  append_ip(out, t.dest_ip());
  if (t.dest_port() != 0) number_field(out, "dest_port", t.dest_port());
  out += ",\"proto\":";
  append_json_string(out, proto_name(t.ip_proto()));
  number_field(out, "depth", t.depth());
  out += "}";
}

void render_alert_object(const watchpost::v1::Signature& sig, const EveOptions& opt,
                         std::string& out) {
  out += ",\"alert\":{\"action\":";
  append_json_string(out, sig.action());
  out += ",\"gid\":" + std::to_string(sig.gid());
  out += ",\"signature_id\":" + std::to_string(sig.signature_id());
  out += ",\"rev\":" + std::to_string(sig.rev());
  out += ",\"signature\":";
  append_json_string(out, sig.signature());
  out += ",\"category\":";
  append_json_string(out, sig.category());
  out += ",\"severity\":" + std::to_string(sig.severity());
  if (opt.metadata && sig.metadata_size() > 0) {
    std::vector<const std::string*> keys;
    for (const auto& [k, v] : sig.metadata()) keys.push_back(&k);
    std::sort(keys.begin(), keys.end(), [](auto* x, auto* y) { return *x < *y; });
    out += ",\"metadata\":{";
    bool first = true;
    for (const std::string* k : keys) {
      if (!first) out += ",";
      first = false;
      append_json_string(out, *k);
      out += ":[";
      const auto& values = sig.metadata().at(*k).values();
      for (int i = 0; i < values.size(); ++i) {
        if (i) out += ",";
        append_json_string(out, values[i]);
      }
      out += "]";
    }
    out += "}";
  }
  out += "}";
}

// `,"watchpost":{"site":..,"sensor_id":..` without the closing brace (callers add theirs).
void open_watchpost(const std::string& site, const std::string& sensor_id, std::string& out) {
  out += ",\"watchpost\":{\"site\":";
  append_json_string(out, site);
  out += ",\"sensor_id\":";
  append_json_string(out, sensor_id);
}

}  // namespace

void render_eve_alert(const watchpost::v1::Alert& a, const EveOptions& opt, std::string& out) {
  const auto& sig = a.signature();
  render_head({a.timestamp_us(), a.flow_id(), a.pcap_cnt(), "alert", a.in_iface(), a.vlan(),
               a.src_ip(), a.src_port(), a.dest_ip(), a.dest_port(), a.ip_proto(), a.ip_v()},
              out);
  text_field(out, "pkt_src", a.pkt_src());
  if (!a.src_ip().empty() && (a.ip_proto() == 1 || a.ip_proto() == 58)) {
    number_field(out, "icmp_type", a.icmp_type());
    number_field(out, "icmp_code", a.icmp_code());
  }
  if (a.has_tunnel()) render_tunnel(a.tunnel(), out);
  if (a.has_ether()) {
    out += ",\"ether\":{\"src_mac\":";
    append_json_string(out, a.ether().src_mac());
    out += ",\"dest_mac\":";
    append_json_string(out, a.ether().dest_mac());
    out += "}";
  }
  if (a.has_tx_id()) number_field(out, "tx_id", a.tx_id());
  render_alert_object(sig, opt, out);
  if (a.has_dns()) render_dns(a.dns(), out);
  if (a.has_tls()) render_tls(a.tls(), out);
  if (a.has_http()) render_http(a.http(), out);
  if (a.has_smtp()) render_smtp(a.smtp(), out);
  if (a.has_ssh()) render_ssh(a.ssh(), out);
  if (a.has_ftp()) render_ftp(a.ftp(), out);
  text_field(out, "app_proto", a.app_proto());
  if (a.direction() != watchpost::v1::DIRECTION_UNSPECIFIED) {
    out += a.direction() == watchpost::v1::TO_SERVER ? ",\"direction\":\"to_server\""
                                                     : ",\"direction\":\"to_client\"";
  }
  if (opt.metadata && a.has_flow()) {
    out += ",\"flow\":{";
    render_flow_counters(a.flow(), out);
    render_flow_endpoints(a.flow(), a.ip_proto(), out);
    out += "}";
  }
  if (opt.payload) {
    out += ",\"payload\":\"";
    append_base64(out, bytes_of(a.payload()));
    out += "\"";
  }
  if (opt.payload_printable) {
    out += ",\"payload_printable\":";
    append_printable(out, bytes_of(a.payload()));
  }
  if (opt.payload || opt.payload_printable) {
    out += a.stream() ? ",\"stream\":1" : ",\"stream\":0";
  }
  if (opt.packet && !a.packet().empty()) {
    out += ",\"packet\":\"";
    append_base64(out, bytes_of(a.packet()));
    out += "\",\"packet_info\":{\"linktype\":" + std::to_string(a.linktype());
    out += ",\"linktype_name\":";
    append_json_string(out, linktype_name(a.linktype()));
    out += "}";
  }
  text_field(out, "host", a.sensor_id());
  if (opt.watchpost) {
    open_watchpost(a.site(), a.sensor_id(), out);
    out += ",\"classtype\":";
    append_json_string(out, sig.classtype());
    out += "}";
  }
  out += "}";
}

void render_eve_flow(const watchpost::v1::FlowRecord& f, const EveOptions& opt,
                     std::string& out) {
  static const std::string kNone;
  const auto& c = f.counters();
  render_head({f.timestamp_us(), f.flow_id(), 0, "flow", kNone, f.vlan(), c.src_ip(),
               c.src_port(), c.dest_ip(), c.dest_port(), f.ip_proto(), f.ip_v()},
              out);
  text_field(out, "app_proto", f.app_proto());
  out += ",\"flow\":{";
  render_flow_counters(c, out);
  time_field(out, "end", f.end_us());
  // Suricata's age: whole seconds between the first and the last packet.
  number_field(out, "age", static_cast<std::uint64_t>(
                               std::max<std::int64_t>(0, f.end_us() / 1000000 - c.start_us() / 1000000)));
  text_field(out, "state", f.state());
  text_field(out, "reason", f.reason());
  out += f.alerted() ? ",\"alerted\":true}" : ",\"alerted\":false}";
  if (f.ip_proto() == 6) {
    out += ",\"tcp\":{";
    const std::size_t start = out.size();
    hex_field(out, "tcp_flags", f.tcp_flags_ts() | f.tcp_flags_tc());
    out.erase(start, 1);  // the first field's comma
    hex_field(out, "tcp_flags_ts", f.tcp_flags_ts());
    hex_field(out, "tcp_flags_tc", f.tcp_flags_tc());
    tcp_flag_fields(out, f.tcp_flags_ts() | f.tcp_flags_tc());
    out += "}";
  }
  text_field(out, "host", f.sensor_id());
  if (opt.watchpost) {
    open_watchpost(f.site(), f.sensor_id(), out);
    out += "}";
  }
  out += "}";
}

void render_eve_anomaly(const watchpost::v1::Anomaly& a, const EveOptions& opt,
                        std::string& out) {
  render_head({a.timestamp_us(), a.flow_id(), a.pcap_cnt(), "anomaly", a.in_iface(), a.vlan(),
               a.src_ip(), a.src_port(), a.dest_ip(), a.dest_port(), a.ip_proto(), a.ip_v()},
              out);
  if (!a.app_proto().empty() && a.type() != "applayer") text_field(out, "app_proto", a.app_proto());
  out += ",\"anomaly\":{";
  const std::size_t start = out.size();
  if (a.type() == "applayer") text_field(out, "app_proto", a.app_proto());
  text_field(out, "type", a.type());
  text_field(out, "event", a.event());
  if (a.type() == "applayer") text_field(out, "layer", a.layer());
  if (out.size() > start) out.erase(start, 1);
  out += "}";
  text_field(out, "host", a.sensor_id());
  if (opt.watchpost) {
    open_watchpost(a.site(), a.sensor_id(), out);
    out += "}";
  }
  out += "}";
}

void render_fast_alert(const watchpost::v1::Alert& a, std::string& out) {
  // 07/01/2025-03:04:05.123456  [**] [1:2000001:1] msg [**] [Classification: x] [Priority: 1] {TCP} a:p -> b:q
  std::int64_t sec = a.timestamp_us() / 1000000;
  std::time_t t = static_cast<std::time_t>(sec);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%m/%d/%Y-%H:%M:%S", &tm);
  out += buf;
  std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(a.timestamp_us() % 1000000));
  out += buf;
  const auto& sig = a.signature();
  out += "  [**] [" + std::to_string(sig.gid()) + ":" + std::to_string(sig.signature_id()) + ":" +
         std::to_string(sig.rev()) + "] " + sig.signature() + " [**] [Classification: " +
         sig.category() + "] [Priority: " + std::to_string(sig.severity()) + "] {" +
         proto_name(a.ip_proto()) + "} ";
  // Suricata prints a port on every line: an ICMP alert's "ports" are its type and code, and
  // protocols without ports show 0.
  const bool icmp = a.ip_proto() == 1 || a.ip_proto() == 58;
  const bool ports = has_ports(a.ip_proto());
  auto endpoint = [&](const std::string& ip, std::uint32_t port) {
    out += ip;
    out += ":" + std::to_string(port);
  };
  endpoint(a.src_ip(), ports ? a.src_port() : icmp ? a.icmp_type() : 0);
  out += " -> ";
  endpoint(a.dest_ip(), ports ? a.dest_port() : icmp ? a.icmp_code() : 0);
}

}  // namespace wp::output

namespace wp::output {
namespace {

// Counters nested by the dots of their names, for the EVE stats record. (Children are a
// struct declared here and defined below, not a std::pair: a pair of an incomplete type is
// instantiated too early for clang.)
struct StatsChild;
struct StatsNode {
  bool has_value = false;
  std::uint64_t value = 0;
  bool has_delta = false;
  std::uint64_t delta = 0;
  std::vector<StatsChild> children;  // sorted by name

  StatsNode& child(std::string_view name);
  StatsNode& path(std::string_view name);
};

struct StatsChild {
  std::string first;  // the name
  StatsNode second;
};

StatsNode& StatsNode::child(std::string_view name) {
  auto it = std::lower_bound(children.begin(), children.end(), name,
                             [](const auto& c, std::string_view n) { return c.first < n; });
  if (it == children.end() || it->first != name) {
    it = children.insert(it, StatsChild{std::string(name), StatsNode{}});
  }
  return it->second;
}

StatsNode& StatsNode::path(std::string_view name) {
  StatsNode* n = this;
  while (true) {
    const std::size_t dot = name.find('.');
    n = &n->child(name.substr(0, dot));
    if (dot == std::string_view::npos) return *n;
    name.remove_prefix(dot + 1);
  }
}

// The members of `node`, without braces; `first`: nothing was written before them.
void render_stats_members(const StatsNode& node, std::string& out, bool first) {
  auto sep = [&] {
    if (!first) out.push_back(',');
    first = false;
  };
  for (const auto& [name, c] : node.children) {
    if (c.has_value) {
      sep();
      append_json_string(out, name);
      out += ":" + std::to_string(c.value);
      if (c.has_delta) {
        out.push_back(',');
        append_json_string(out, name + "_delta");
        out += ":" + std::to_string(c.delta);
      }
    }
    if (!c.children.empty()) {
      sep();
      append_json_string(out, c.has_value ? name + "_" : name);
      out += ":{";
      render_stats_members(c, out, true);
      out.push_back('}');
    }
  }
}

}  // namespace

void render_eve_stats(const watchpost::v1::Stats& stats, const EveOptions& options,
                      std::string& out) {
  using Map = google::protobuf::Map<std::string, std::uint64_t>;
  auto tree = [&](const Map& counters, const Map& deltas) {
    StatsNode root;
    for (const auto& [name, value] : counters) {
      StatsNode& n = root.path(name);
      n.has_value = true;
      n.value = value;
    }
    if (options.stats_deltas) {
      for (const auto& [name, delta] : deltas) {
        StatsNode& n = root.path(name);
        n.has_delta = true;
        n.delta = delta;
      }
    }
    return root;
  };
  // `stats` holds the counters under Suricata's names; a message from a sensor that did not
  // name them (older) shows its own.
  const bool named = !stats.suricata_counters().empty();
  const StatsNode root = named ? tree(stats.suricata_counters(), stats.suricata_deltas())
                               : tree(stats.counters(), stats.deltas());
  out += "{\"timestamp\":\"";
  append_timestamp(out, stats.timestamp_us());
  out += "\",\"event_type\":\"stats\"";
  if (!stats.sensor_id().empty()) {
    out += ",\"host\":";
    append_json_string(out, stats.sensor_id());
  }
  out += ",\"stats\":{\"uptime\":" + std::to_string(stats.uptime_us() / 1000000);
  render_stats_members(root, out, false);
  out += "}";
  if (options.watchpost) {
    // Every counter under its own name (docs/stats.md), beside the identity.
    out += ",\"watchpost\":{\"site\":";
    append_json_string(out, stats.site());
    out += ",\"sensor_id\":";
    append_json_string(out, stats.sensor_id());
    if (named) {
      out += ",\"stats\":{";
      render_stats_members(tree(stats.counters(), stats.deltas()), out, true);
      out += "}";
    }
    out += "}";
  }
  out += "}";
}

}  // namespace wp::output
