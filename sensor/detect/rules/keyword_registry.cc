// The keyword registry: the family tables joined into one lookup (keyword.h), and the
// keywords recognised from Suricata's and Snort's rule languages that this release does not
// evaluate yet (a rule using one is "not supported yet", not malformed).
#include <algorithm>
#include <iterator>
#include <unordered_map>

#include "detect/rules/keyword.h"
#include "detect/rules/buffers.h"
#include "detect/rules/rule_parser.h"

namespace wp::detect::lang {
namespace {

// Recognised keywords this release does not evaluate yet.
constexpr std::string_view kUnsupportedKeywords[] = {
    // Flow and host state, byte math, app-layer keywords, transforms, files, ...
    "flowvar",
    "pktvar",
    "hostbits",
    "event_filter",
    "app-layer-state",
    "engine-event",
    "lua",
    "luajit",
    "asn1",
    "tls.store",
    "tls_store",
    "http2.frametype",
    "http2.errorcode",
    "http2.priority",
    "http2.window",
    "http2.size_update",
    "http2.settings",
    "dcerpc.iface",
    "dce_iface",
    "dcerpc.opnum",
    "dce_opnum",
    "krb5_msg_type",
    "krb5_err_code",
    "krb5.weak_encryption",
    "snmp.version",
    "snmp.pdu_type",
    "modbus",
    "dnp3_func",
    "dnp3_ind",
    "dnp3_obj",
    "enip_command",
    "cip_service",
    "ftpdata_command",
    "filename",
    "fileext",
    "filemagic",
    "filemd5",
    "filesha1",
    "filesha256",
    "filesize",
    "filestore",
    "iprep",
    "geoip",
    "dataset",
    "datarep",
    "from_base64",
    "config",
    "replace",
    "bypass",
    "l3_proto",
    "entropy",
    "rpc",
    "nfs_procedure",
    "nfs.version",
    "template",
    "template2",
    "react",
    "resp",
    "session",
    "logto",
    "activate",
    "dynamic",
    "activated_by",
    "count",
    "cvs",
    "sip_method",
    "sip_stat_code",
    "http_encode",
    "ssl.version",
    "ttl.hdr",
    "ike.exchtype",
    "ike.spi.initiator",
    "ike.spi.responder",
    "ike.chosen_sa_attribute",
    "ike.key_exchange_payload_length",
    "ike.nonce_payload_length",
    "mqtt.type",
    "mqtt.flags",
    "mqtt.qos",
    "mqtt.protocol_version",
    "mqtt.reason_code",
    "rfb.secresult",
    "rfb.sectype",
    "smb.version",
    "sip.method.raw",
    "quic.version",
    "http.response_header.names",
    "ja4",
    "ike.vendor_id"};

using Registry = std::unordered_map<std::string_view, const KeywordDef*>;

const Registry& registry() {
  static const auto* table = [] {
    auto* t = new Registry();
    for (auto family : {meta_keywords(), payload_keywords(), byte_keywords(), header_keywords(),
                        flow_keywords(), threshold_keywords(),
                        applayer_keywords(), transform_keywords()}) {
      for (const KeywordDef& kw : family) t->emplace(kw.name, &kw);
    }
    return t;
  }();
  return *table;
}

}  // namespace

const KeywordDef* find_keyword(std::string_view name) {
  auto it = registry().find(name);
  return it == registry().end() ? nullptr : it->second;
}

bool recognised_unsupported_keyword(std::string_view name) {
  return std::find(std::begin(kUnsupportedKeywords), std::end(kUnsupportedKeywords), name) !=
         std::end(kUnsupportedKeywords);
}

std::vector<KeywordListing> list_keywords() {
  std::vector<KeywordListing> out;
  auto family_name = [](KeywordFamily f) -> std::string_view {
    switch (f) {
      case KeywordFamily::kMeta: return "meta";
      case KeywordFamily::kPayload: return "payload";
      case KeywordFamily::kByte: return "byte";
      case KeywordFamily::kHeader: return "header";
      case KeywordFamily::kFlowState: return "flow";
      case KeywordFamily::kThreshold: return "threshold";
      default: return "other";
    }
  };
  for (const auto& [name, kw] : registry()) out.push_back({std::string(name), std::string(family_name(kw->family)), true});
  for (const BufferDef& b : buffer_table()) {
    out.push_back({std::string(b.name), b.app_proto.empty() ? "buffer" : "buffer (" + std::string(b.app_proto) + ")", true});
  }
  for (std::string_view a : buffer_aliases()) out.push_back({std::string(a), "buffer (legacy name)", true});
  for (std::string_view n : kUnsupportedKeywords) out.push_back({std::string(n), "", false});
  for (std::string_view n : buffer_names_not_supported()) out.push_back({std::string(n), "buffer", false});
  std::sort(out.begin(), out.end(), [](const KeywordListing& a, const KeywordListing& b) {
    return a.supported != b.supported ? a.supported : a.name < b.name;
  });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const KeywordListing& a, const KeywordListing& b) {
                          return a.name == b.name && a.supported == b.supported;
                        }),
            out.end());
  return out;
}

}  // namespace wp::detect::lang
