#include "support/eve_schema.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>

namespace wp::testing {
namespace {

using nlohmann::json;

enum class Kind { kString, kUint, kBool, kObject, kArray, kTimestamp, kIp, kAny };

// One object's fields: name -> kind, and which are required.
struct Shape {
  std::map<std::string, Kind> fields;
  std::set<std::string> required;
};

bool is_kind(const json& v, Kind k) {
  static const std::regex kTimestamp(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d{4})");
  // Suricata writes IPv6 in full form with leading zeros.
  static const std::regex kIp(R"((\d{1,3}\.){3}\d{1,3}|([0-9a-f]{4}:){7}[0-9a-f]{4})");
  switch (k) {
    case Kind::kString: return v.is_string();
    case Kind::kUint: return v.is_number_unsigned() || (v.is_number_integer() && v.get<long long>() >= 0);
    case Kind::kBool: return v.is_boolean();
    case Kind::kObject: return v.is_object();
    case Kind::kArray: return v.is_array();
    case Kind::kTimestamp: return v.is_string() && std::regex_match(v.get<std::string>(), kTimestamp);
    case Kind::kIp: return v.is_string() && std::regex_match(v.get<std::string>(), kIp);
    case Kind::kAny: return true;
  }
  return false;
}

void check(const json& obj, const Shape& shape, const std::string& where,
           std::vector<std::string>& errors) {
  if (!obj.is_object()) {
    errors.push_back(where + ": not an object");
    return;
  }
  for (const std::string& r : shape.required) {
    if (!obj.contains(r)) errors.push_back(where + r + ": missing");
  }
  for (const auto& [name, value] : obj.items()) {
    auto it = shape.fields.find(name);
    if (it == shape.fields.end()) {
      errors.push_back(where + name + ": not a Suricata EVE field");
    } else if (!is_kind(value, it->second)) {
      errors.push_back(where + name + ": wrong type (" + value.dump() + ")");
    }
  }
}

// Fields every packet-born record may carry at the top level.
std::map<std::string, Kind> common_fields() {
  return {{"timestamp", Kind::kTimestamp}, {"flow_id", Kind::kUint},     {"pcap_cnt", Kind::kUint},
          {"event_type", Kind::kString},   {"in_iface", Kind::kString},  {"vlan", Kind::kArray},
          {"src_ip", Kind::kIp},           {"src_port", Kind::kUint},    {"dest_ip", Kind::kIp},
          {"dest_port", Kind::kUint},      {"proto", Kind::kString},     {"ip_v", Kind::kUint},
          {"pkt_src", Kind::kString},      {"icmp_type", Kind::kUint},   {"icmp_code", Kind::kUint},
          {"tunnel", Kind::kObject},       {"ether", Kind::kObject},     {"app_proto", Kind::kString},
          {"host", Kind::kString},         {"community_id", Kind::kString}};
}

const Shape& top_shape(const std::string& type) {
  static const std::map<std::string, Shape> shapes = [] {
    std::map<std::string, Shape> s;
    Shape alert{common_fields(), {"timestamp", "event_type", "alert"}};
    for (const auto& [k, v] : std::map<std::string, Kind>{
             {"tx_id", Kind::kUint},       {"alert", Kind::kObject},   {"direction", Kind::kString},
             {"flow", Kind::kObject},      {"payload", Kind::kString}, {"payload_printable", Kind::kString},
             {"stream", Kind::kUint},      {"packet", Kind::kString},  {"packet_info", Kind::kObject},
             {"http", Kind::kObject},      {"dns", Kind::kObject},     {"tls", Kind::kObject},
             {"smtp", Kind::kObject},      {"email", Kind::kObject},   {"ssh", Kind::kObject},
             {"ftp", Kind::kObject},       {"files", Kind::kArray},    {"metadata", Kind::kObject}}) {
      alert.fields[k] = v;
    }
    s["alert"] = alert;
    Shape flow{common_fields(), {"timestamp", "flow_id", "event_type", "src_ip", "dest_ip", "proto", "flow"}};
    flow.fields["flow"] = Kind::kObject;
    flow.fields["tcp"] = Kind::kObject;
    flow.fields["metadata"] = Kind::kObject;
    s["flow"] = flow;
    Shape anomaly{common_fields(), {"timestamp", "event_type", "anomaly"}};
    anomaly.fields["anomaly"] = Kind::kObject;
    anomaly.fields["tx_id"] = Kind::kUint;
    s["anomaly"] = anomaly;
    s["stats"] = Shape{{{"timestamp", Kind::kTimestamp}, {"event_type", Kind::kString},
                        {"host", Kind::kString}, {"stats", Kind::kObject}},
                       {"timestamp", "event_type", "stats"}};
    return s;
  }();
  static const Shape unknown;
  auto it = shapes.find(type);
  return it == shapes.end() ? unknown : it->second;
}

const Shape kAlertObject{{{"action", Kind::kString}, {"gid", Kind::kUint}, {"signature_id", Kind::kUint},
                          {"rev", Kind::kUint}, {"signature", Kind::kString}, {"category", Kind::kString},
                          {"severity", Kind::kUint}, {"metadata", Kind::kObject}, {"source", Kind::kObject},
                          {"target", Kind::kObject}, {"rule", Kind::kString}},
                         {"action", "gid", "signature_id", "rev", "signature", "category", "severity"}};
const Shape kAlertFlow{{{"pkts_toserver", Kind::kUint}, {"pkts_toclient", Kind::kUint},
                        {"bytes_toserver", Kind::kUint}, {"bytes_toclient", Kind::kUint},
                        {"start", Kind::kTimestamp}, {"src_ip", Kind::kIp}, {"dest_ip", Kind::kIp},
                        {"src_port", Kind::kUint}, {"dest_port", Kind::kUint}},
                       {"pkts_toserver", "pkts_toclient", "bytes_toserver", "bytes_toclient", "start"}};
const Shape kFlowFlow{{{"pkts_toserver", Kind::kUint}, {"pkts_toclient", Kind::kUint},
                       {"bytes_toserver", Kind::kUint}, {"bytes_toclient", Kind::kUint},
                       {"start", Kind::kTimestamp}, {"end", Kind::kTimestamp}, {"age", Kind::kUint},
                       {"state", Kind::kString}, {"reason", Kind::kString}, {"alerted", Kind::kBool},
                       {"bypass", Kind::kString}, {"emergency", Kind::kBool}},
                      {"pkts_toserver", "pkts_toclient", "bytes_toserver", "bytes_toclient", "start",
                       "end", "age", "state", "reason", "alerted"}};
const Shape kTcp{{{"tcp_flags", Kind::kString}, {"tcp_flags_ts", Kind::kString},
                  {"tcp_flags_tc", Kind::kString}, {"syn", Kind::kBool}, {"fin", Kind::kBool},
                  {"rst", Kind::kBool}, {"psh", Kind::kBool}, {"ack", Kind::kBool}, {"urg", Kind::kBool},
                  {"ecn", Kind::kBool}, {"cwr", Kind::kBool}, {"state", Kind::kString}},
                 {"tcp_flags", "tcp_flags_ts", "tcp_flags_tc"}};
const Shape kAnomaly{{{"type", Kind::kString}, {"event", Kind::kString}, {"code", Kind::kUint},
                      {"app_proto", Kind::kString}, {"layer", Kind::kString},
                      {"event_no", Kind::kUint}, {"event_total", Kind::kUint}},
                     {"type"}};
const Shape kPacketInfo{{{"linktype", Kind::kUint}, {"linktype_name", Kind::kString}}, {"linktype"}};
const Shape kTunnel{{{"src_ip", Kind::kIp}, {"dest_ip", Kind::kIp}, {"src_port", Kind::kUint},
                     {"dest_port", Kind::kUint}, {"proto", Kind::kString}, {"depth", Kind::kUint},
                     {"pcap_cnt", Kind::kUint}, {"pkt_src", Kind::kString}},
                    {"src_ip", "dest_ip", "proto", "depth"}};
const Shape kEther{{{"src_mac", Kind::kString}, {"dest_mac", Kind::kString}}, {"src_mac", "dest_mac"}};
const Shape kHttp{{{"hostname", Kind::kString}, {"url", Kind::kString}, {"http_user_agent", Kind::kString},
                   {"http_content_type", Kind::kString}, {"http_refer", Kind::kString},
                   {"http_method", Kind::kString}, {"protocol", Kind::kString}, {"status", Kind::kUint},
                   {"redirect", Kind::kString}, {"length", Kind::kUint}, {"http_port", Kind::kUint}},
                  {}};
const Shape kTls{{{"subject", Kind::kString}, {"issuerdn", Kind::kString}, {"serial", Kind::kString},
                  {"fingerprint", Kind::kString}, {"sni", Kind::kString}, {"version", Kind::kString},
                  {"notbefore", Kind::kString}, {"notafter", Kind::kString}, {"ja3", Kind::kObject},
                  {"ja3s", Kind::kObject}, {"session_resumed", Kind::kBool}},
                 {}};
const Shape kDns{{{"version", Kind::kUint}, {"type", Kind::kString}, {"id", Kind::kUint},
                  {"flags", Kind::kString}, {"qr", Kind::kBool}, {"aa", Kind::kBool}, {"tc", Kind::kBool},
                  {"rd", Kind::kBool}, {"ra", Kind::kBool}, {"z", Kind::kBool}, {"opcode", Kind::kUint},
                  {"rcode", Kind::kString}, {"queries", Kind::kArray}, {"answers", Kind::kArray},
                  {"authorities", Kind::kArray}, {"additionals", Kind::kArray}, {"rrname", Kind::kString},
                  {"rrtype", Kind::kString}, {"tx_id", Kind::kUint}},
                 {}};

}  // namespace

std::vector<std::string> eve_schema_errors(const json& record) {
  std::vector<std::string> errors;
  if (!record.is_object() || !record.contains("event_type") || !record["event_type"].is_string()) {
    return {"not an EVE record (no event_type)"};
  }
  const std::string type = record["event_type"];
  json rest = record;
  if (rest.contains("watchpost")) {
    if (!rest["watchpost"].is_object()) errors.push_back("watchpost: not an object");
    rest.erase("watchpost");
  }
  const Shape& shape = top_shape(type);
  if (shape.fields.empty()) return {"event_type '" + type + "' is not one the sensor writes"};
  check(rest, shape, "", errors);
  auto sub = [&](const char* name, const Shape& s) {
    if (rest.contains(name) && rest[name].is_object()) check(rest[name], s, std::string(name) + ".", errors);
  };
  if (type == "alert") {
    sub("alert", kAlertObject);
    sub("flow", kAlertFlow);
    sub("packet_info", kPacketInfo);
    sub("http", kHttp);
    sub("tls", kTls);
    sub("dns", kDns);
  } else if (type == "flow") {
    sub("flow", kFlowFlow);
    sub("tcp", kTcp);
  } else if (type == "anomaly") {
    sub("anomaly", kAnomaly);
  }
  sub("tunnel", kTunnel);
  sub("ether", kEther);
  // Ports only with a protocol that has them; an ICMP record has its type and code.
  if (rest.contains("src_port") && rest.value("proto", "") != "TCP" && rest.value("proto", "") != "UDP" &&
      rest.value("proto", "") != "SCTP") {
    errors.push_back("src_port: on a " + rest.value("proto", std::string("?")) + " record");
  }
  return errors;
}

std::vector<json> read_eve_file(const std::string& path) {
  std::vector<json> out;
  std::ifstream f(path);
  int n = 0;
  for (std::string line; std::getline(f, line);) {
    ++n;
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded()) {
      ADD_FAILURE() << path << ":" << n << ": not JSON: " << line;
      continue;
    }
    for (const std::string& e : eve_schema_errors(j)) {
      ADD_FAILURE() << path << ":" << n << ": " << e << "\n  " << line.substr(0, 400);
    }
    out.push_back(std::move(j));
  }
  return out;
}

std::vector<json> read_eve_alerts(const std::string& path) {
  std::vector<json> out;
  for (json& j : read_eve_file(path)) {
    if (j.value("event_type", "") == "alert") out.push_back(std::move(j));
  }
  return out;
}

}  // namespace wp::testing
