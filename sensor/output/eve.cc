#include "output/eve.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <span>
#include <vector>

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

void render_eve_alert(const watchpost::v1::Alert& a, const EveOptions& opt, std::string& out) {
  const auto& sig = a.signature();
  out += "{\"timestamp\":\"";
  append_timestamp(out, a.timestamp_us());
  out += "\",\"flow_id\":";
  out += std::to_string(a.flow_id());
  if (a.pcap_cnt() != 0) {
    out += ",\"pcap_cnt\":";
    out += std::to_string(a.pcap_cnt());
  }
  out += ",\"event_type\":\"alert\"";
  if (!a.in_iface().empty()) {
    out += ",";
    key(out, "in_iface");
    append_json_string(out, a.in_iface());
  }
  if (a.vlan_size() > 0) {
    out += ",\"vlan\":[";
    for (int i = 0; i < a.vlan_size(); ++i) {
      if (i) out += ",";
      out += std::to_string(a.vlan(i));
    }
    out += "]";
  }
  out += ",";
  key(out, "src_ip");
  append_json_string(out, a.src_ip());
  if (has_ports(a.ip_proto())) {
    out += ",\"src_port\":" + std::to_string(a.src_port());
  }
  out += ",";
  key(out, "dest_ip");
  append_json_string(out, a.dest_ip());
  if (has_ports(a.ip_proto())) {
    out += ",\"dest_port\":" + std::to_string(a.dest_port());
  }
  out += ",\"proto\":";
  append_json_string(out, proto_name(a.ip_proto()));
  if (a.ip_proto() == 1 || a.ip_proto() == 58) {
    out += ",\"icmp_type\":" + std::to_string(a.icmp_type());
    out += ",\"icmp_code\":" + std::to_string(a.icmp_code());
  }
  if (a.direction() != watchpost::v1::DIRECTION_UNSPECIFIED) {
    out += a.direction() == watchpost::v1::TO_SERVER ? ",\"direction\":\"to_server\""
                                                     : ",\"direction\":\"to_client\"";
  }
  if (a.has_tx_id()) out += ",\"tx_id\":" + std::to_string(a.tx_id());
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
  if (a.has_dns()) render_dns(a.dns(), out);
  if (a.has_tls()) render_tls(a.tls(), out);
  if (a.has_http()) render_http(a.http(), out);
  if (a.has_smtp()) render_smtp(a.smtp(), out);
  if (a.has_ssh()) render_ssh(a.ssh(), out);
  if (a.has_ftp()) render_ftp(a.ftp(), out);
  text_field(out, "app_proto", a.app_proto());
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
    out += "\",\"packet_info\":{\"linktype\":" + std::to_string(a.linktype()) + "}";
  }
  if (!a.sensor_id().empty()) {
    out += ",";
    key(out, "host");
    append_json_string(out, a.sensor_id());
  }
  out += ",\"watchpost\":{\"site\":";
  append_json_string(out, a.site());
  out += ",\"sensor_id\":";
  append_json_string(out, a.sensor_id());
  out += ",\"classtype\":";
  append_json_string(out, sig.classtype());
  out += "}}";
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
  const bool ports = has_ports(a.ip_proto());
  auto endpoint = [&](const std::string& ip, std::uint32_t port) {
    out += ip;
    if (ports) out += ":" + std::to_string(port);
  };
  endpoint(a.src_ip(), a.src_port());
  out += " -> ";
  endpoint(a.dest_ip(), a.dest_port());
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
  StatsNode root;
  for (const auto& [name, value] : stats.counters()) {
    StatsNode& n = root.path(name);
    n.has_value = true;
    n.value = value;
  }
  if (options.stats_deltas) {
    for (const auto& [name, delta] : stats.deltas()) {
      StatsNode& n = root.path(name);
      n.has_delta = true;
      n.delta = delta;
    }
  }
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
  if (!stats.site().empty()) {
    out += ",\"watchpost\":{\"site\":";
    append_json_string(out, stats.site());
    out += ",\"sensor_id\":";
    append_json_string(out, stats.sensor_id());
    out += "}";
  }
  out += "}";
}

}  // namespace wp::output
