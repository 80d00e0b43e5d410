#include "detect/rules/rule_parser.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <unordered_map>

#include "common/text.h"
#include "decode/packet.h"

namespace wp::detect {

RuleVars RuleVars::suricata_defaults() {
  RuleVars v;
  v.address_groups = {
      {"HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"},
      {"EXTERNAL_NET", "!$HOME_NET"},
      {"HTTP_SERVERS", "$HOME_NET"},
      {"SMTP_SERVERS", "$HOME_NET"},
      {"SQL_SERVERS", "$HOME_NET"},
      {"DNS_SERVERS", "$HOME_NET"},
      {"TELNET_SERVERS", "$HOME_NET"},
      {"AIM_SERVERS", "$EXTERNAL_NET"},
      {"DC_SERVERS", "$HOME_NET"},
      {"DNP3_SERVER", "$HOME_NET"},
      {"DNP3_CLIENT", "$HOME_NET"},
      {"MODBUS_CLIENT", "$HOME_NET"},
      {"MODBUS_SERVER", "$HOME_NET"},
      {"ENIP_CLIENT", "$HOME_NET"},
      {"ENIP_SERVER", "$HOME_NET"},
      // Snort's snort.conf groups, used by the Snort-edition and community rules.
      {"SSH_SERVERS", "$HOME_NET"},
      {"FTP_SERVERS", "$HOME_NET"},
      {"SIP_SERVERS", "$HOME_NET"},
  };
  v.port_groups = {
      {"HTTP_PORTS", "80"},
      {"SHELLCODE_PORTS", "!80"},
      {"ORACLE_PORTS", "1521"},
      {"SSH_PORTS", "22"},
      {"DNP3_PORTS", "20000"},
      {"MODBUS_PORTS", "502"},
      {"FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"},
      {"FTP_PORTS", "21"},
      {"GENEVE_PORTS", "6081"},
      {"VXLAN_PORTS", "4789"},
      {"TEREDO_PORTS", "3544"},
      // Snort's snort.conf groups.
      {"SIP_PORTS", "[5060,5061,5600]"},
      {"GTP_PORTS", "[2123,2152,3386]"},
  };
  return v;
}

namespace {

// Why a rule was rejected: `reason` is the summary key (RuleError::reason), `message` the
// text shown after "FILE:LINE: [sid N: ]".
struct Failure {
  std::string reason;
  std::string message;
  // Recognised but not supported yet. Parsing goes on after such a failure so that a rule
  // that is also malformed is reported as malformed; otherwise the first one is reported.
  bool not_supported = false;
};

Failure failure(std::string reason, const std::string& detail = {}) {
  std::string message = detail.empty() ? reason : reason + ": " + detail;
  return {std::move(reason), std::move(message)};
}

Failure not_supported(std::string reason, std::string message = {}) {
  if (message.empty()) message = reason;
  return {std::move(reason), std::move(message), true};
}

Failure invalid(std::string_view keyword, const std::string& detail) {
  return failure("invalid " + std::string(keyword), detail);
}

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// ASCII only (what std::isspace does in the "C" locale), without a libc call per byte.
bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A decimal number within [0, max]; no sign, no hex.
std::optional<std::int64_t> parse_decimal(std::string_view s, std::int64_t max) {
  s = trim(s);
  if (!is_digits(s) || s.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  if (v > max) return std::nullopt;
  return v;
}

// An unsigned integer as Suricata reads keyword values (strtoull with base 0): decimal,
// 0x-prefixed hex, or octal with a leading 0. The whole text must be the number.
std::optional<std::uint64_t> parse_c_unsigned(std::string_view s) {
  s = trim(s);
  unsigned base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  } else if (s.size() > 1 && s[0] == '0') {
    base = 8;
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : 99;
    if (d >= static_cast<int>(base)) return std::nullopt;
    if (v > (std::numeric_limits<std::uint64_t>::max() - static_cast<unsigned>(d)) / base) {
      return std::nullopt;
    }
    v = v * base + static_cast<unsigned>(d);
  }
  return v;
}

// parse_c_unsigned with an optional leading '-', within [min, max].
std::optional<std::int64_t> parse_c_integer(std::string_view s, std::int64_t min,
                                            std::int64_t max) {
  s = trim(s);
  bool negative = !s.empty() && s.front() == '-';
  auto mag = parse_c_unsigned(negative ? s.substr(1) : s);
  if (!mag || *mag > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return std::nullopt;
  }
  std::int64_t v = negative ? -static_cast<std::int64_t>(*mag) : static_cast<std::int64_t>(*mag);
  if (v < min || v > max) return std::nullopt;
  return v;
}

// A byte_extract/byte_math variable name where a keyword takes a number: Suricata treats a
// value that starts with a letter as a variable name.
bool is_var_name(std::string_view v) {
  v = trim(v);
  return !v.empty() && (std::isalpha(static_cast<unsigned char>(v[0])) || v[0] == '_');
}

bool valid_var_name(std::string_view v) {
  return is_var_name(v) && std::all_of(v.begin(), v.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
         });
}

// ---------------------------------------------------------------------------------------
// Keywords

enum class Kw : std::uint8_t {
  kMsg,
  kSid,
  kRev,
  kGid,
  kClasstype,
  kPriority,
  kReference,
  kMetadata,
  kContent,
  kNocase,
  kRawbytes,
  kOffset,
  kDepth,
  kDistance,
  kWithin,
  kFastPattern,
  kStartswith,
  kEndswith,
  kIsdataat,
  kPcre,
  kPktData,
  kDsize,
  kFlow,
  kFlags,
  kFragbits,
  kFragoffset,
  kTtl,
  kTos,
  kId,
  kIpProto,
  kSameip,
  kItype,
  kIcode,
  kIcmpId,
  kIcmpSeq,
  kSeq,
  kAck,
  kWindow,
  kIpopts,
  kNoalert,
  kFlowbits,
  kFlowint,
  kXbits,
  kTag,
  kTarget,
  kThreshold,
  kDetectionFilter,
  kByteTest,
  kByteJump,
  kByteExtract,
  kByteMath,
  kBase64Decode,
  kBase64Data,
  kBsize,
  kStreamSize,
  kUrilen,      // needs http.uri: recognised, the rule is rejected naming that buffer
  kBuffer,      // an app-layer (or header) buffer: recognised, not supported yet
  kUnsupported  // recognised, not supported yet
};

constexpr std::pair<std::string_view, Kw> kSupportedKeywords[] = {
    {"msg", Kw::kMsg},
    {"sid", Kw::kSid},
    {"rev", Kw::kRev},
    {"gid", Kw::kGid},
    {"classtype", Kw::kClasstype},
    {"priority", Kw::kPriority},
    {"reference", Kw::kReference},
    {"metadata", Kw::kMetadata},
    {"content", Kw::kContent},
    {"nocase", Kw::kNocase},
    {"rawbytes", Kw::kRawbytes},
    {"offset", Kw::kOffset},
    {"depth", Kw::kDepth},
    {"distance", Kw::kDistance},
    {"within", Kw::kWithin},
    {"fast_pattern", Kw::kFastPattern},
    {"startswith", Kw::kStartswith},
    {"endswith", Kw::kEndswith},
    {"isdataat", Kw::kIsdataat},
    {"pcre", Kw::kPcre},
    {"pkt_data", Kw::kPktData},
    {"dsize", Kw::kDsize},
    {"flow", Kw::kFlow},
    {"flags", Kw::kFlags},
    {"fragbits", Kw::kFragbits},
    {"fragoffset", Kw::kFragoffset},
    {"ttl", Kw::kTtl},
    {"tos", Kw::kTos},
    {"id", Kw::kId},
    {"ip_proto", Kw::kIpProto},
    {"sameip", Kw::kSameip},
    {"itype", Kw::kItype},
    {"icode", Kw::kIcode},
    {"icmp_id", Kw::kIcmpId},
    {"icmp_seq", Kw::kIcmpSeq},
    {"seq", Kw::kSeq},
    {"ack", Kw::kAck},
    {"window", Kw::kWindow},
    {"ipopts", Kw::kIpopts},
    {"noalert", Kw::kNoalert},
    {"flowbits", Kw::kFlowbits},
    {"flowint", Kw::kFlowint},
    {"xbits", Kw::kXbits},
    {"tag", Kw::kTag},
    {"target", Kw::kTarget},
    {"threshold", Kw::kThreshold},
    {"detection_filter", Kw::kDetectionFilter},
    {"byte_test", Kw::kByteTest},
    {"byte_jump", Kw::kByteJump},
    {"byte_extract", Kw::kByteExtract},
    {"byte_math", Kw::kByteMath},
    {"base64_decode", Kw::kBase64Decode},
    {"base64_data", Kw::kBase64Data},
    {"bsize", Kw::kBsize},
    {"stream_size", Kw::kStreamSize},
    {"urilen", Kw::kUrilen}};

// Sticky buffers and content modifiers of app-layer (and packet-header) buffers, in
// Suricata's dotted names and the legacy underscore names Snort 2.9 rules use.
constexpr std::string_view kBufferKeywords[] = {
    // HTTP
    "http.uri", "http.uri.raw", "http.method", "http.request_line", "http.request_body",
    "http.header", "http.header.raw", "http.header_names", "http.cookie", "http.user_agent",
    "http.host", "http.host.raw", "http.accept", "http.accept_enc", "http.accept_lang",
    "http.connection", "http.content_len", "http.content_type", "http.location", "http.referer",
    "http.server", "http.start", "http.protocol", "http.response_line", "http.response_body",
    "http.stat_code", "http.stat_msg", "http.request_header", "http.response_header",
    "http2.header", "http2.header_name", "http_uri", "http_raw_uri", "http_method",
    "http_request_line", "http_client_body", "http_server_body", "http_header", "http_raw_header",
    "http_header_names", "http_cookie", "http_raw_cookie", "http_user_agent", "http_host",
    "http_raw_host", "http_accept", "http_accept_enc", "http_accept_lang", "http_connection",
    "http_content_len", "http_content_type", "http_referer", "http_start", "http_protocol",
    "http_response_line", "http_stat_code", "http_stat_msg", "uricontent",
    // Files
    "file.data", "file_data", "file.name", "file.magic",
    // DNS
    "dns.query", "dns_query", "dns.query.name", "dns.answer.name",
    // TLS and fingerprints
    "tls.sni", "tls_sni", "tls.cert_subject", "tls_cert_subject", "tls.cert_issuer",
    "tls_cert_issuer", "tls.cert_serial", "tls_cert_serial", "tls.cert_fingerprint",
    "tls_cert_fingerprint", "tls.certs", "tls.subjectaltname", "tls.random", "tls.random_time",
    "tls.random_bytes", "tls.alpn", "ja3.hash", "ja3_hash", "ja3.string", "ja3_string", "ja3s.hash",
    "ja3s_hash", "ja3s.string", "ja3s_string", "ja4.hash",
    // SSH
    "ssh.proto", "ssh_proto", "ssh.software", "ssh_software", "ssh.hassh", "ssh.hassh.string",
    "ssh.hassh.server", "ssh.hassh.server.string",
    // SMB, DCE/RPC, Kerberos
    "smb.named_pipe", "smb.share", "smb.ntlmssp_user", "smb.ntlmssp_domain", "dcerpc.stub_data",
    "dce_stub_data", "krb5.cname", "krb5_cname", "krb5.sname", "krb5_sname",
    // SIP, SMTP/email, FTP, other protocols
    "sip.method", "sip.uri", "sip.protocol", "sip.stat_code", "sip.stat_msg", "sip.request_line",
    "sip.response_line", "smtp.helo", "smtp.mail_from", "smtp.rcpt_to", "email.from",
    "email.subject", "email.to", "email.cc", "ftp.command", "ftp.command_data", "quic.sni",
    "quic.ua", "quic.cyu.hash", "quic.cyu.string", "rfb.name", "snmp.community", "snmp.usm",
    "mqtt.connect.clientid", "mqtt.connect.username", "mqtt.connect.password", "mqtt.publish.topic",
    "mqtt.publish.message", "mqtt.subscribe.topic", "mqtt.unsubscribe.topic", "ike.vendor",
    "ike.key_exchange_payload", "ike.nonce_payload", "dhcp.hostname", "ldap.request.dn",
    "ldap.responses.dn", "websocket.payload", "dnp3_data", "dnp3.data",
    // Packet headers as buffers
    "ipv4.hdr", "ipv6.hdr", "tcp.hdr", "udp.hdr", "icmpv4.hdr", "icmpv6.hdr"};

// Recognised keywords this release does not evaluate yet.
constexpr std::string_view kUnsupportedKeywords[] = {
    // Flow and host state, byte math, app-layer keywords, transforms, files, ...
    "flowvar",
    "pktvar",
    "hostbits",
    "event_filter",
    "app-layer-event",
    "app-layer-protocol",
    "app-layer-state",
    "stream-event",
    "decode-event",
    "engine-event",
    "lua",
    "luajit",
    "asn1",
    "ssl_version",
    "ssl_state",
    "tls.version",
    "tls_cert_notbefore",
    "tls_cert_notafter",
    "tls_cert_expired",
    "tls_cert_valid",
    "tls.store",
    "tls_store",
    "dns.opcode",
    "dns.rrtype",
    "ssh.protoversion",
    "ssh_protoversion",
    "ssh.softwareversion",
    "ssh_softwareversion",
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
    "ftpbounce",
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
    "to_lowercase",
    "to_uppercase",
    "dotprefix",
    "strip_whitespace",
    "compress_whitespace",
    "to_md5",
    "to_sha1",
    "to_sha256",
    "pcrexform",
    "url_decode",
    "xor",
    "header_lowercase",
    "strip_pseudo_headers",
    "from_base64",
    "requires",
    "config",
    "replace",
    "prefilter",
    "bypass",
    "tcp.mss",
    "tcp.flags",
    "icmpv6.mtu",
    "l3_proto",
    "ipv4-csum",
    "tcpv4-csum",
    "tcpv6-csum",
    "udpv4-csum",
    "udpv6-csum",
    "icmpv4-csum",
    "icmpv6-csum",
    "flow.age",
    "flow.pkts",
    "flow.bytes",
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

const std::unordered_map<std::string_view, Kw>& keyword_table() {
  static const auto* table = [] {
    auto* t = new std::unordered_map<std::string_view, Kw>();
    for (const auto& [name, kw] : kSupportedKeywords) t->emplace(name, kw);
    for (std::string_view name : kBufferKeywords) t->emplace(name, Kw::kBuffer);
    for (std::string_view name : kUnsupportedKeywords) t->emplace(name, Kw::kUnsupported);
    return t;
  }();
  return *table;
}

// Application-layer protocols Suricata accepts in the header.
constexpr std::string_view kAppLayerProtocols[] = {"http",     "http1",
                                                   "http2",    "dns",
                                                   "tls",      "ssl",
                                                   "smb",      "ftp",
                                                   "ftp-data", "smtp",
                                                   "ssh",      "dcerpc",
                                                   "dhcp",     "nfs",
                                                   "krb5",     "snmp",
                                                   "sip",      "rdp",
                                                   "mqtt",     "modbus",
                                                   "dnp3",     "enip",
                                                   "ntp",      "tftp",
                                                   "ike",      "ikev2",
                                                   "rfb",      "imap",
                                                   "pop3",     "msn",
                                                   "telnet",   "pgsql",
                                                   "quic",     "bittorrent-dht",
                                                   "ldap",     "websocket",
                                                   "doh2",     "template",
                                                   "netbios",  "irc",
                                                   "jabber"};

// ---------------------------------------------------------------------------------------
// Header: address and port groups

// Expands $VARS textually (each value wrapped in [] so negation applies to all of it).
class VarExpander {
 public:
  VarExpander(const std::map<std::string, std::string>& groups, std::string_view kind)
      : groups_(groups), kind_(kind) {}

  std::optional<Failure> expand(std::string_view text, std::string& out) {
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] != '$') {
        // Copy up to the next variable at once (address lists can be thousands of bytes).
        const std::size_t next = std::min(text.find('$', i), text.size());
        out.append(text.substr(i, next - i));
        i = next - 1;
        continue;
      }
      std::size_t end = i + 1;
      while (end < text.size() &&
             (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_')) {
        ++end;
      }
      std::string name(text.substr(i + 1, end - i - 1));
      if (name.empty()) return invalid(kind_, "'$' without a variable name");
      auto it = groups_.find(name);
      if (it == groups_.end()) {
        return Failure{"undefined variable", "undefined variable '$" + name + "'"};
      }
      if (std::find(stack_.begin(), stack_.end(), name) != stack_.end()) {
        return invalid(kind_, "variable '$" + name + "' refers to itself");
      }
      // A variable that is the whole text needs no brackets: "$EXTERNAL_NET" and
      // "!$HOME_NET" then expand to the same text and share one set.
      bool whole = i == 0 && end == text.size();
      stack_.push_back(name);
      if (!whole) out.push_back('[');
      if (auto f = expand(it->second, out)) return f;
      if (!whole) out.push_back(']');
      stack_.pop_back();
      i = end - 1;
    }
    return std::nullopt;
  }

 private:
  const std::map<std::string, std::string>& groups_;
  std::string kind_;
  std::vector<std::string> stack_;
};

// Recursive-descent parser of an expanded address or port group:
//   group := item (',' item)*      item := '!' item | '[' group ']' | 'any' | literal
// A group is the union of its positive items minus its negated items; a group with only
// negated items starts from "any".
template <typename Set, typename Traits>
class GroupParser {
 public:
  explicit GroupParser(std::string_view text) : s_(text) {}

  std::optional<Failure> parse(Set& out) {
    if (auto f = group(out)) return f;
    skip_space();
    if (pos_ != s_.size()) return invalid(Traits::kKind, "unbalanced ']' in " + quoted(s_));
    return std::nullopt;
  }

 private:
  void skip_space() {
    while (pos_ < s_.size() && is_space(s_[pos_])) ++pos_;
  }

  std::optional<Failure> group(Set& out) {
    // Ranges are collected and normalized once: uniting item by item was quadratic in the
    // length of a list (ET's IP-reputation rules list hundreds of addresses).
    std::vector<typename Traits::Range> positive, negative;
    bool any_positive = false;
    while (true) {
      bool negated = false;
      Set item = Set::from_ranges({});
      if (auto f = parse_item(item, negated)) return f;
      auto& into = negated ? negative : positive;
      into.insert(into.end(), item.ranges().begin(), item.ranges().end());
      if (!negated) any_positive = true;
      skip_space();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      break;
    }
    const Set pos = any_positive ? Set::from_ranges(std::move(positive)) : Traits::any();
    out = pos.subtract(Set::from_ranges(std::move(negative)));
    return std::nullopt;
  }

  std::optional<Failure> parse_item(Set& out, bool& negated) {
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == '!') {
      negated = true;
      ++pos_;
      skip_space();
      // Suricata rejects "!!a" (and "!!!a"): a typo more often than a double negative.
      if (pos_ < s_.size() && s_[pos_] == '!') {
        return invalid(Traits::kKind, "multiple negation ('!!') in " + quoted(s_));
      }
    }
    if (pos_ < s_.size() && s_[pos_] == '[') {
      ++pos_;
      if (++depth_ > 64) return invalid(Traits::kKind, "lists nested too deeply");
      if (auto f = group(out)) return f;
      --depth_;
      skip_space();
      if (pos_ >= s_.size() || s_[pos_] != ']') {
        return invalid(Traits::kKind, "unbalanced '[' in " + quoted(s_));
      }
      ++pos_;
      return std::nullopt;
    }
    std::size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != ',' && s_[pos_] != ']' && s_[pos_] != '[' &&
           !is_space(s_[pos_])) {
      ++pos_;
    }
    std::string_view word = s_.substr(start, pos_ - start);
    if (word.empty()) return invalid(Traits::kKind, "empty list item in " + quoted(s_));
    if (word == "any") {
      out = Traits::any();
      return std::nullopt;
    }
    return Traits::literal(word, out);
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  int depth_ = 0;
};

struct AddressTraits {
  using Range = IpRange;
  static constexpr std::string_view kKind = "address";
  static AddressSet any() { return AddressSet::any(); }
  static std::optional<Failure> literal(std::string_view word, AddressSet& out) {
    IpRange r;
    if (!AddressSet::parse_cidr(std::string(word), r)) {
      return invalid(kKind, quoted(word) + " is not an IP address or CIDR block");
    }
    out = AddressSet::from_ranges({r});
    return std::nullopt;
  }
};

struct PortTraits {
  using Range = PortRange;
  static constexpr std::string_view kKind = "port";
  static PortSet any() { return PortSet::any(); }
  static std::optional<Failure> literal(std::string_view word, PortSet& out) {
    std::size_t colon = word.find(':');
    std::string_view lo_text = word.substr(0, colon);
    std::string_view hi_text = colon == std::string_view::npos ? lo_text : word.substr(colon + 1);
    if (colon != std::string_view::npos && lo_text.empty() && hi_text.empty()) {
      return invalid(kKind, quoted(word) + " is not a port or port range");
    }
    std::optional<std::int64_t> lo = lo_text.empty() ? 0 : parse_decimal(lo_text, 65535);
    std::optional<std::int64_t> hi = hi_text.empty() ? 65535 : parse_decimal(hi_text, 65535);
    if (!lo || !hi) {
      bool digits =
          (lo_text.empty() || is_digits(lo_text)) && (hi_text.empty() || is_digits(hi_text));
      return invalid(kKind,
                     quoted(word) + (digits ? " is out of range" : " is not a port or port range"));
    }
    if (*lo > *hi) return invalid(kKind, quoted(word) + " is an empty range");
    out =
        PortSet::from_ranges({{static_cast<std::uint16_t>(*lo), static_cast<std::uint16_t>(*hi)}});
    return std::nullopt;
  }
};

template <typename Set, typename Traits>
std::optional<Failure> resolve_group(std::string_view text,
                                     const std::map<std::string, std::string>& groups,
                                     std::map<std::string, std::shared_ptr<const Set>>& cache,
                                     std::shared_ptr<const Set>& out) {
  std::string expanded;
  VarExpander expander(groups, Traits::kKind);
  if (auto f = expander.expand(text, expanded)) return f;
  if (auto it = cache.find(expanded); it != cache.end()) {
    out = it->second;
    return std::nullopt;
  }
  Set set = Set::from_ranges({});
  if (auto f = GroupParser<Set, Traits>(expanded).parse(set)) return f;
  if (set.empty()) {
    return invalid(Traits::kKind, quoted(text) + " matches no " + std::string(Traits::kKind));
  }
  out = std::make_shared<const Set>(std::move(set));
  cache.emplace(std::move(expanded), out);
  return std::nullopt;
}

bool names_explicit_list(std::string_view text) {
  return text != "any" && text.find('$') == std::string_view::npos;
}

// ---------------------------------------------------------------------------------------
// Option values

// Resolves the escapes Suricata allows in a quoted option value (\" \; \\ \:), leaving other
// backslashes as written.
std::string unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() &&
        (s[i + 1] == '"' || s[i + 1] == ';' || s[i + 1] == '\\' || s[i + 1] == ':')) {
      ++i;
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string_view strip_quotes(std::string_view s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

// As in Suricata, only the ';' that ends the option may follow a quoted value's closing quote.
// Anything else is nearly always a missing ';' that swallowed the next option
// (`msg:"x" flow:established;`).
std::optional<Failure> text_after_quote(std::string_view keyword, std::string_view rest) {
  rest = trim(rest);
  if (rest.empty()) return std::nullopt;
  return invalid(keyword, "unexpected text after the closing quote: " + quoted(rest.substr(0, 40)));
}

// A quoted value (after an optional '!'). `first_quote_closes`: the first unescaped '"' ends
// it (msg, content); otherwise the last one does (a pcre pattern may contain a '"', which
// Suricata allows). Unquoted values are left to the keyword.
std::optional<Failure> check_closing_quote(std::string_view keyword, std::string_view value,
                                           bool first_quote_closes) {
  std::string_view v = trim(value);
  if (!v.empty() && v.front() == '!') v = trim(v.substr(1));
  if (v.empty() || v.front() != '"') return std::nullopt;
  std::size_t close = std::string_view::npos;
  if (first_quote_closes) {
    for (std::size_t i = 1; i < v.size(); ++i) {
      if (v[i] == '\\') {
        ++i;
      } else if (v[i] == '"') {
        close = i;
        break;
      }
    }
  } else if (const std::size_t last = v.rfind('"'); last > 0) {
    close = last;
  }
  if (close == std::string_view::npos) return invalid(keyword, "unterminated string");
  return text_after_quote(keyword, v.substr(close + 1));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// content:"..." with |hex| blocks and escapes.
std::optional<Failure> decode_content(std::string_view value, ContentMatch& out) {
  std::string_view v = trim(value);
  if (!v.empty() && v.front() == '!') {
    out.negated = true;
    v = trim(v.substr(1));
  }
  if (v.empty() || v.front() != '"') return invalid("content", "value must be a quoted string");
  std::string& bytes = out.bytes;
  bool in_hex = false;
  int nibble = -1;  // pending high nibble inside a hex block
  std::size_t i = 1;
  for (; i < v.size(); ++i) {
    char c = v[i];
    if (in_hex) {
      if (c == '|') {
        if (nibble >= 0) return invalid("content", "odd number of hex digits");
        in_hex = false;
      } else if (is_space(c)) {
        continue;  // also between the two digits of a byte, as Suricata allows
      } else if (int h = hex_value(c); h >= 0) {
        if (nibble < 0) {
          nibble = h;
        } else {
          bytes.push_back(static_cast<char>(nibble << 4 | h));
          nibble = -1;
        }
      } else if (c == '"') {
        break;  // reported as an unterminated hex block below
      } else {
        return invalid("content", "invalid hex character " + quoted(std::string(1, c)));
      }
      continue;
    }
    if (c == '"') break;
    if (c == '|') {
      in_hex = true;
    } else if (c == '\\') {
      if (i + 1 >= v.size()) return invalid("content", "unterminated string");
      char e = v[++i];
      if (e != '"' && e != ';' && e != '\\' && e != ':') {
        return invalid("content", "invalid escape " + quoted(std::string("\\") + e));
      }
      bytes.push_back(e);
    } else {
      bytes.push_back(c);
    }
  }
  if (in_hex) return invalid("content", "unterminated hex block");
  if (i >= v.size()) return invalid("content", "unterminated string");
  if (auto f = text_after_quote("content", v.substr(i + 1))) return f;
  if (bytes.empty()) return invalid("content", "empty content");
  return std::nullopt;
}

// Integer comparisons: "N", "!N", "<N", "<=N", ">N", ">=N", "N<>M", "N-M" (both ranges are
// exclusive, as in Suricata). `forms` limits which are allowed for a keyword.
enum NumForms : unsigned {
  kEqOnly = 0,
  kAllowNot = 1,
  kAllowLtGt = 2,
  kAllowRange = 4,
  kAllowAll = 7
};

std::optional<NumCmp> parse_numcmp(std::string_view text, std::int64_t max, unsigned forms) {
  std::string_view v = trim(text);
  NumCmp c;
  auto number = [&](std::string_view s) { return parse_decimal(s, max); };
  if ((forms & kAllowRange) != 0) {
    std::size_t sep = v.find("<>");
    std::size_t sep_len = 2;
    if (sep == std::string_view::npos) {
      sep = v.find('-');
      sep_len = 1;
    }
    if (sep != std::string_view::npos && sep > 0) {
      auto a = number(v.substr(0, sep));
      auto b = number(v.substr(sep + sep_len));
      if (!a || !b || *a >= *b) return std::nullopt;
      c.op = NumCmp::Op::kRangeExclusive;
      c.a = *a;
      c.b = *b;
      return c;
    }
  }
  if (!v.empty() && v[0] == '!' && (forms & kAllowNot) != 0) {
    c.op = NumCmp::Op::kNe;
    v.remove_prefix(1);
  } else if (!v.empty() && (v[0] == '<' || v[0] == '>') && (forms & kAllowLtGt) != 0) {
    bool lt = v[0] == '<';
    bool eq = v.size() > 1 && v[1] == '=';
    v.remove_prefix(eq ? 2 : 1);
    c.op = lt ? (eq ? NumCmp::Op::kLe : NumCmp::Op::kLt) : (eq ? NumCmp::Op::kGe : NumCmp::Op::kGt);
  } else if (v.size() > 1 && v[0] == '=' && (forms & kAllowLtGt) != 0) {
    v.remove_prefix(1);
  }
  auto a = number(v);
  if (!a) return std::nullopt;
  c.a = *a;
  return c;
}

// A comparison that no value in [0, max] satisfies: "<0", ">255" on an 8-bit field, an
// exclusive range with nothing between its ends ("5<>6"). A mistake, not a rule: Suricata
// rejects these too.
bool never_matches(const NumCmp& c, std::int64_t max) {
  switch (c.op) {
    case NumCmp::Op::kLt:
      return c.a <= 0;
    case NumCmp::Op::kGt:
      return c.a >= max;
    case NumCmp::Op::kRangeExclusive:
      return c.b - c.a <= 1;
    case NumCmp::Op::kRangeInclusive:
      return c.a > c.b;
    default:
      return false;
  }
}

std::string never_matches_message(std::string_view text) {
  return quoted(trim(text)) + " can never match";
}

struct IpProtoName {
  std::string_view name;
  int number;
};

constexpr IpProtoName kIpProtoNames[] = {
    {"hopopt", 0},     {"icmp", 1},         {"igmp", 2},       {"ggp", 3},
    {"ipip", 4},       {"ipencap", 4},      {"st", 5},         {"tcp", 6},
    {"egp", 8},        {"igp", 9},          {"pup", 12},       {"udp", 17},
    {"hmp", 20},       {"xns-idp", 22},     {"rdp", 27},       {"iso-tp4", 29},
    {"dccp", 33},      {"xtp", 36},         {"ddp", 37},       {"idpr-cmtp", 38},
    {"ipv6", 41},      {"ipv6-route", 43},  {"ipv6-frag", 44}, {"idrp", 45},
    {"rsvp", 46},      {"gre", 47},         {"esp", 50},       {"ah", 51},
    {"skip", 57},      {"ipv6-icmp", 58},   {"icmpv6", 58},    {"ipv6-nonxt", 59},
    {"ipv6-opts", 60}, {"rspf", 73},        {"vmtp", 81},      {"eigrp", 88},
    {"ospf", 89},      {"ax.25", 93},       {"etherip", 97},   {"encap", 98},
    {"pim", 103},      {"ipcomp", 108},     {"vrrp", 112},     {"l2tp", 115},
    {"isis", 124},     {"sctp", 132},       {"fc", 133},       {"mobility-header", 135},
    {"udplite", 136},  {"mpls-in-ip", 137}, {"manet", 138},    {"hip", 139},
    {"shim6", 140},    {"wesp", 141},       {"rohc", 142}};

constexpr std::pair<std::string_view, std::uint16_t> kIpoptNames[] = {
    {"rr", decode::kIpoptRr},     {"eol", decode::kIpoptEol},   {"nop", decode::kIpoptNop},
    {"ts", decode::kIpoptTs},     {"sec", decode::kIpoptSec},   {"esec", decode::kIpoptEsec},
    {"lsrr", decode::kIpoptLsrr}, {"ssrr", decode::kIpoptSsrr}, {"satid", decode::kIpoptSatid},
    {"any", decode::kIpoptAny}};

// pcre modifiers that select an HTTP buffer, with the buffer's Suricata name.
std::optional<std::string_view> pcre_http_buffer(char flag) {
  switch (flag) {
    case 'U':
      return "http.uri";
    case 'I':
      return "http.uri.raw";
    case 'P':
      return "http.request_body";
    case 'Q':
      return "file.data";
    case 'H':
      return "http.header";
    case 'D':
      return "http.header.raw";
    case 'M':
      return "http.method";
    case 'C':
      return "http.cookie";
    case 'K':
      return "http.cookie.raw";
    case 'S':
      return "http.stat_code";
    case 'Y':
      return "http.stat_msg";
    case 'V':
      return "http.user_agent";
    case 'W':
      return "http.host";
    case 'Z':
      return "http.host.raw";
    default:
      return std::nullopt;
  }
}

// ---------------------------------------------------------------------------------------
// Options

struct Option {
  std::string_view name;   // as written (trimmed)
  std::string_view value;  // trimmed; empty when there is none
  bool has_value = false;
};

// Splits the option list on unescaped ';'. Returns false on an empty option.
bool split_options(std::string_view body, std::vector<Option>& out, Failure& fail) {
  std::size_t start = 0;
  bool escaped = false;
  for (std::size_t i = 0; i <= body.size(); ++i) {
    bool at_end = i == body.size();
    if (!at_end) {
      char c = body[i];
      if (escaped) {
        escaped = false;
        continue;
      }
      if (c == '\\') {
        escaped = true;
        continue;
      }
      if (c != ';') continue;
    }
    std::string_view text = trim(body.substr(start, i - start));
    start = i + 1;
    if (text.empty()) {
      if (at_end) break;  // after the last ';'
      fail = failure("syntax error", "empty option");
      return false;
    }
    Option opt;
    std::size_t colon = text.find(':');
    opt.name = trim(text.substr(0, colon));
    if (colon != std::string_view::npos) {
      opt.value = trim(text.substr(colon + 1));
      opt.has_value = true;
    }
    bool good_name = !opt.name.empty() && std::all_of(opt.name.begin(), opt.name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
    });
    if (!good_name) {
      fail = failure("syntax error", "invalid option " + quoted(text.substr(0, 40)));
      return false;
    }
    out.push_back(opt);
  }
  return true;
}

class OptionBuilder {
 public:
  explicit OptionBuilder(Rule& rule) : rule_(rule) {}

  std::optional<Failure> apply(const Option& opt);
  std::optional<Failure> finish();

 private:
  ContentMatch* last_content() {
    for (auto it = rule_.payload.rbegin(); it != rule_.payload.rend(); ++it) {
      if (auto* c = std::get_if<ContentMatch>(&it->match)) return c;
    }
    return nullptr;
  }
  void add_item(PayloadItem::Match m) { rule_.payload.push_back({buffer_, std::move(m)}); }
  std::optional<std::int8_t> find_var(std::string_view name) const;
  std::optional<Failure> define_var(std::string_view keyword, std::string_view name,
                                    std::int8_t& slot);
  std::optional<Failure> number_or_var(std::string_view keyword, std::string_view what,
                                       std::string_view text, std::int64_t min, std::int64_t max,
                                       std::int64_t& value, std::int8_t& var) const;
  std::optional<Failure> parse_byte_test(std::string_view value);
  std::optional<Failure> parse_byte_jump(std::string_view value);
  std::optional<Failure> parse_byte_extract(std::string_view value);
  std::optional<Failure> parse_byte_math(std::string_view value);
  std::optional<Failure> parse_byte_options(std::string_view keyword,
                                            const std::vector<std::string_view>& parts,
                                            std::size_t first, ByteRead& read, ByteJump* jump,
                                            ByteExtract* extract, bool& dce);
  std::optional<Failure> parse_base64_decode(std::string_view value, bool has_value);
  std::optional<Failure> parse_bsize(std::string_view value);
  std::optional<Failure> parse_stream_size(std::string_view value);
  std::optional<Failure> content_modifier(Kw kw, std::string_view name, const Option& opt);
  std::optional<Failure> parse_pcre(std::string_view value);
  std::optional<Failure> parse_isdataat(std::string_view value);
  std::optional<Failure> parse_flow(std::string_view value);
  std::optional<Failure> parse_bits(std::string_view name, std::string_view value, BitsMatch& out);
  std::optional<Failure> parse_ip_proto(std::string_view value);
  std::optional<Failure> parse_flowbits(std::string_view value);
  std::optional<Failure> parse_flowint(std::string_view value);
  std::optional<Failure> parse_xbits(std::string_view value);
  std::optional<Failure> parse_tag(std::string_view value);
  std::optional<Failure> parse_threshold(std::string_view name, std::string_view value,
                                         std::optional<ThresholdSpec>& out);

  Rule& rule_;
  bool have_sid_ = false;
  bool have_msg_ = false;
  bool have_rev_ = false;
  bool have_gid_ = false;
  bool have_classtype_ = false;
  bool have_priority_ = false;
  bool have_fast_pattern_ = false;
  bool have_flow_ = false;
  Buffer buffer_ = Buffer::kPayload;  // the sticky buffer new payload items inspect
  std::string unsupported_buffer_;    // the last app-layer buffer named, when it is current
  bool have_base64_decode_ = false;
};

std::optional<Failure> OptionBuilder::apply(const Option& opt) {
  std::string name = to_lower(opt.name);
  auto it = keyword_table().find(name);
  if (it == keyword_table().end()) return failure("unknown keyword " + quoted(opt.name));
  Kw kw = it->second;
  if (kw == Kw::kBuffer) {
    if (name == "uricontent") {
      // A content of its own (later modifiers refer to it), in the http.uri buffer.
      ContentMatch c;
      if (auto f = decode_content(opt.value, c)) return f;
      add_item(std::move(c));
    } else {
      unsupported_buffer_ = name;  // sticky: bsize after it applies to it
    }
    return not_supported("buffer " + quoted(name) + " not supported yet");
  }
  if (kw == Kw::kUnsupported) return not_supported("unsupported keyword " + quoted(name));
  if (kw != Kw::kMsg && kw != Kw::kContent) {
    if (auto f = check_closing_quote(name, opt.value, false)) return f;
  }

  // Keywords that take no value, and those that need one.
  switch (kw) {
    case Kw::kNocase:
    case Kw::kRawbytes:
    case Kw::kStartswith:
    case Kw::kEndswith:
    case Kw::kSameip:
    case Kw::kNoalert:
    case Kw::kPktData:
    case Kw::kBase64Data:
      if (opt.has_value) return invalid(name, "takes no value");
      break;
    case Kw::kFastPattern:
    case Kw::kBase64Decode:
      if (opt.has_value && opt.value.empty()) return invalid(name, "missing value");
      break;
    default:
      if (opt.value.empty()) return invalid(name, "missing value");
  }

  std::string_view v = opt.value;
  auto number = [&](std::int64_t max) { return parse_decimal(v, max); };
  auto bad_number = [&]() { return invalid(name, quoted(v) + " is not a valid number"); };
  auto numcmp = [&](std::optional<NumCmp>& field, std::int64_t max,
                    unsigned forms) -> std::optional<Failure> {
    if (field) return invalid(name, "given twice");
    auto c = parse_numcmp(v, max, forms);
    if (!c) return invalid(name, quoted(v) + " is not a valid value");
    if (never_matches(*c, max)) return invalid(name, never_matches_message(v));
    field = *c;
    return std::nullopt;
  };

  switch (kw) {
    case Kw::kMsg:
      if (have_msg_) return invalid(name, "given twice");
      if (auto f = check_closing_quote(name, v, true)) return f;
      rule_.msg = unescape(strip_quotes(v));
      have_msg_ = true;
      return std::nullopt;
    case Kw::kSid: {
      if (have_sid_) return invalid(name, "given twice");
      auto n = number(std::numeric_limits<std::uint32_t>::max());
      if (!n || *n == 0) return bad_number();
      rule_.sid = static_cast<std::uint32_t>(*n);
      have_sid_ = true;
      return std::nullopt;
    }
    case Kw::kRev:
    case Kw::kGid: {
      bool& seen = kw == Kw::kRev ? have_rev_ : have_gid_;
      if (seen) return invalid(name, "given twice");
      auto n = number(std::numeric_limits<std::uint32_t>::max());
      if (!n) return bad_number();
      (kw == Kw::kRev ? rule_.rev : rule_.gid) = static_cast<std::uint32_t>(*n);
      seen = true;
      return std::nullopt;
    }
    case Kw::kClasstype:
      if (have_classtype_) return invalid(name, "given twice");
      rule_.classtype = std::string(v);
      have_classtype_ = true;
      return std::nullopt;
    case Kw::kPriority: {
      if (have_priority_) return invalid(name, "given twice");
      have_priority_ = true;
      auto n = parse_decimal(strip_quotes(v), 255);  // Suricata also takes "1"
      if (!n || *n == 0) return bad_number();
      rule_.priority = static_cast<std::int32_t>(*n);
      return std::nullopt;
    }
    case Kw::kReference: {
      std::size_t comma = v.find(',');
      if (comma == std::string_view::npos || trim(v.substr(0, comma)).empty() ||
          trim(v.substr(comma + 1)).empty()) {
        return invalid(name, "expected 'system,id'");
      }
      rule_.references.emplace_back(std::string(trim(v.substr(0, comma))),
                                    std::string(trim(v.substr(comma + 1))));
      return std::nullopt;
    }
    case Kw::kMetadata:
      for (std::string_view item : split(v, ',')) {
        if (item.empty()) continue;
        std::size_t space = item.find_first_of(" \t");
        std::string_view key = item.substr(0, space);
        std::string_view value = space == std::string_view::npos ? "" : trim(item.substr(space));
        rule_.metadata.emplace_back(std::string(key), std::string(value));
      }
      return std::nullopt;
    case Kw::kContent: {
      ContentMatch c;
      if (auto f = decode_content(v, c)) return f;
      add_item(std::move(c));
      return std::nullopt;
    }
    case Kw::kNocase:
    case Kw::kRawbytes:
    case Kw::kOffset:
    case Kw::kDepth:
    case Kw::kDistance:
    case Kw::kWithin:
    case Kw::kFastPattern:
    case Kw::kStartswith:
    case Kw::kEndswith:
      return content_modifier(kw, name, opt);
    case Kw::kIsdataat:
      return parse_isdataat(v);
    case Kw::kPcre:
      return parse_pcre(v);
    case Kw::kPktData:
      buffer_ = Buffer::kPayload;  // back to the packet payload
      unsupported_buffer_.clear();
      return std::nullopt;
    case Kw::kBase64Data:
      // Suricata: the decoded data exists only after a base64_decode.
      if (!have_base64_decode_) return invalid(name, "no preceding base64_decode");
      buffer_ = Buffer::kBase64;
      unsupported_buffer_.clear();
      return std::nullopt;
    case Kw::kBase64Decode:
      return parse_base64_decode(v, opt.has_value);
    case Kw::kByteTest:
      return parse_byte_test(v);
    case Kw::kByteJump:
      return parse_byte_jump(v);
    case Kw::kByteExtract:
      return parse_byte_extract(v);
    case Kw::kByteMath:
      return parse_byte_math(v);
    case Kw::kBsize:
      return parse_bsize(v);
    case Kw::kStreamSize:
      return parse_stream_size(v);
    case Kw::kUrilen:
      return not_supported("buffer 'http.uri' not supported yet",
                           "buffer 'http.uri' not supported yet (urilen)");
    case Kw::kDsize:
      return numcmp(rule_.dsize, 65535, kAllowAll);
    case Kw::kTtl:
      return numcmp(rule_.ttl, 255, kAllowAll);
    case Kw::kItype:
      return numcmp(rule_.itype, 255, kAllowAll);
    case Kw::kIcode:
      return numcmp(rule_.icode, 255, kAllowAll);
    case Kw::kTos: {
      // Suricata also writes the value in hex as "x10".
      std::string text(v);
      std::size_t digits = text.find_first_not_of('!');
      if (digits != std::string::npos && (text[digits] == 'x' || text[digits] == 'X')) {
        auto hex = parse_uint("0x" + text.substr(digits + 1));
        if (!hex || *hex > 255) return invalid(name, quoted(v) + " is not a valid value");
        text = text.substr(0, digits) + std::to_string(*hex);
      }
      v = text;
      return numcmp(rule_.tos, 255, kAllowNot);
    }
    case Kw::kId:
      return numcmp(rule_.ip_id, 65535, kEqOnly);
    case Kw::kIcmpId:
      return numcmp(rule_.icmp_id, 65535, kEqOnly);
    case Kw::kIcmpSeq:
      return numcmp(rule_.icmp_seq, 65535, kEqOnly);
    case Kw::kSeq:
      return numcmp(rule_.tcp_seq, std::numeric_limits<std::uint32_t>::max(), kEqOnly);
    case Kw::kAck:
      return numcmp(rule_.tcp_ack, std::numeric_limits<std::uint32_t>::max(), kEqOnly);
    case Kw::kWindow:
      return numcmp(rule_.window, 65535, kAllowNot);
    case Kw::kFragoffset:
      return numcmp(rule_.fragoffset, 65535, kAllowNot | kAllowLtGt);
    case Kw::kIpProto:
      return parse_ip_proto(v);
    case Kw::kFlow:
      return parse_flow(v);
    case Kw::kFlags: {
      if (rule_.flags) return invalid(name, "given twice");
      BitsMatch b;
      if (auto f = parse_bits(name, v, b)) return f;
      rule_.flags = b;
      return std::nullopt;
    }
    case Kw::kFragbits: {
      if (rule_.fragbits) return invalid(name, "given twice");
      BitsMatch b;
      if (auto f = parse_bits(name, v, b)) return f;
      rule_.fragbits = b;
      return std::nullopt;
    }
    case Kw::kIpopts: {
      if (rule_.ipopts != 0) return invalid(name, "given twice");
      std::string opt_name = to_lower(v);
      for (const auto& [n, bit] : kIpoptNames) {
        if (n == opt_name) {
          rule_.ipopts = bit;
          return std::nullopt;
        }
      }
      return invalid(name, "unknown option " + quoted(v));
    }
    case Kw::kSameip:
      rule_.sameip = true;
      return std::nullopt;
    case Kw::kNoalert:
      rule_.noalert = true;
      return std::nullopt;
    case Kw::kFlowbits:
      return parse_flowbits(v);
    case Kw::kFlowint:
      return parse_flowint(v);
    case Kw::kXbits:
      return parse_xbits(v);
    case Kw::kTag:
      return parse_tag(v);
    case Kw::kTarget: {
      if (rule_.target != Target::kNone) return invalid(name, "given twice");
      std::string t = to_lower(v);
      if (t == "src_ip") {
        rule_.target = Target::kSrcIp;
      } else if (t == "dest_ip") {
        rule_.target = Target::kDestIp;
      } else {
        return invalid(name, quoted(v) + " (expected src_ip or dest_ip)");
      }
      return std::nullopt;
    }
    case Kw::kThreshold:
      if (rule_.detection_filter) return invalid(name, "cannot be combined with detection_filter");
      return parse_threshold(name, v, rule_.threshold);
    case Kw::kDetectionFilter:
      if (rule_.threshold) return invalid(name, "cannot be combined with threshold");
      return parse_threshold(name, v, rule_.detection_filter);
    case Kw::kBuffer:
    case Kw::kUnsupported:
      break;
  }
  return std::nullopt;
}

std::optional<Failure> OptionBuilder::content_modifier(Kw kw, std::string_view name,
                                                       const Option& opt) {
  ContentMatch* c = last_content();
  if (c == nullptr) return invalid(name, "no preceding content");
  std::string_view v = opt.value;
  auto dup = [&]() { return invalid(name, "given twice for the same content"); };
  auto absolute_vs_relative = [&]() {
    return invalid(name, "cannot mix offset/depth with distance/within on the same content");
  };
  auto with_startswith = [&]() {
    return invalid(name, "cannot be combined with startswith on the same content");
  };
  auto len = static_cast<std::int64_t>(c->bytes.size());
  constexpr std::int64_t kMax = std::numeric_limits<std::int32_t>::max();
  switch (kw) {
    case Kw::kNocase:
      if (c->nocase) return dup();
      c->nocase = true;
      return std::nullopt;
    case Kw::kRawbytes:
      c->rawbytes = true;
      return std::nullopt;
    case Kw::kOffset:
    case Kw::kDepth: {
      std::optional<std::int32_t>& field = kw == Kw::kOffset ? c->offset : c->depth;
      if (field) return dup();
      if (c->relative()) return absolute_vs_relative();
      if (c->startswith) return with_startswith();
      if (is_var_name(v)) {
        std::int64_t unused = 0;
        std::int8_t& var = kw == Kw::kOffset ? c->offset_var : c->depth_var;
        if (auto f = number_or_var(name, name, v, 0, kMax, unused, var)) return f;
        field = 0;
        return std::nullopt;
      }
      auto n = parse_decimal(v, kMax);
      if (!n) return invalid(name, quoted(v) + " is not a non-negative number");
      if (kw == Kw::kDepth && *n < len) {
        return invalid(name, "depth " + std::to_string(*n) +
                                 " is smaller than the content length " + std::to_string(len));
      }
      field = static_cast<std::int32_t>(*n);
      return std::nullopt;
    }
    case Kw::kDistance:
    case Kw::kWithin: {
      std::optional<std::int32_t>& field = kw == Kw::kDistance ? c->distance : c->within;
      if (field) return dup();
      if (c->offset || c->depth) return absolute_vs_relative();
      if (c->startswith) return with_startswith();
      if (is_var_name(v)) {
        std::int64_t unused = 0;
        std::int8_t& var = kw == Kw::kDistance ? c->distance_var : c->within_var;
        if (auto f = number_or_var(name, name, v, 0, kMax, unused, var)) return f;
        field = 0;
        return std::nullopt;
      }
      std::string_view digits = trim(v);
      bool negative = !digits.empty() && digits.front() == '-';
      auto n = parse_decimal(negative ? digits.substr(1) : digits, kMax);
      if (n && negative) *n = -*n;
      if (!n) {
        return invalid(name, quoted(v) + " is not a number");
      }
      if (kw == Kw::kWithin && *n < len) {
        return invalid(name, "within " + std::to_string(*n) +
                                 " is smaller than the content length " + std::to_string(len));
      }
      field = static_cast<std::int32_t>(*n);
      return std::nullopt;
    }
    case Kw::kFastPattern: {
      if (have_fast_pattern_)
        return invalid(name, "only one content of a rule can be the fast pattern");
      have_fast_pattern_ = true;
      c->fast_pattern = true;
      if (!opt.has_value) return std::nullopt;
      if (to_lower(v) == "only") {
        c->fast_pattern_only = true;
        return std::nullopt;
      }
      std::size_t comma = v.find(',');
      auto off =
          comma == std::string_view::npos ? std::nullopt : parse_decimal(v.substr(0, comma), kMax);
      auto flen =
          comma == std::string_view::npos ? std::nullopt : parse_decimal(v.substr(comma + 1), kMax);
      if (!off || !flen || *flen == 0) {
        return invalid(name, "expected 'only' or 'offset,length', got " + quoted(v));
      }
      if (*off + *flen > len) {
        return invalid(name, "offset " + std::to_string(*off) + " + length " +
                                 std::to_string(*flen) + " is beyond the content length " +
                                 std::to_string(len));
      }
      c->fp_offset = static_cast<std::int32_t>(*off);
      c->fp_length = static_cast<std::int32_t>(*flen);
      return std::nullopt;
    }
    case Kw::kStartswith:
      if (c->startswith) return dup();
      if (c->offset || c->depth || c->relative()) {
        return invalid(name, "cannot be combined with offset, depth, distance or within");
      }
      c->startswith = true;
      return std::nullopt;
    case Kw::kEndswith:
      if (c->endswith) return dup();
      c->endswith = true;
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

// ---------------------------------------------------------------------------------------
// byte_test, byte_jump, byte_extract, byte_math, base64_decode, bsize

std::optional<std::int8_t> OptionBuilder::find_var(std::string_view name) const {
  for (std::size_t i = 0; i < rule_.byte_vars.size(); ++i) {
    if (rule_.byte_vars[i] == name) return static_cast<std::int8_t>(i);
  }
  return std::nullopt;
}

// A name defined again refers to the same slot: later items read the value the most recent
// definition (in rule order) stored, as in Suricata.
std::optional<Failure> OptionBuilder::define_var(std::string_view keyword, std::string_view name,
                                                 std::int8_t& slot) {
  if (!valid_var_name(name)) {
    return invalid(keyword, "invalid variable name " + quoted(name));
  }
  if (auto existing = find_var(name)) {
    // byte_math may store into a name again (its value is replaced); a second byte_extract
    // into one name is a copy-and-paste mistake far more often than intended.
    if (keyword == "byte_extract") {
      return invalid(keyword, "variable " + quoted(name) + " already set by an earlier " +
                                  "byte_extract or byte_math");
    }
    slot = *existing;
    return std::nullopt;
  }
  if (rule_.byte_vars.size() >= kMaxByteVars) {
    return invalid(keyword, "more than " + std::to_string(kMaxByteVars) +
                                " byte_extract/byte_math variables in one rule");
  }
  slot = static_cast<std::int8_t>(rule_.byte_vars.size());
  rule_.byte_vars.emplace_back(name);
  return std::nullopt;
}

std::optional<Failure> OptionBuilder::number_or_var(std::string_view keyword, std::string_view what,
                                                    std::string_view text, std::int64_t min,
                                                    std::int64_t max, std::int64_t& value,
                                                    std::int8_t& var) const {
  text = trim(text);
  if (is_var_name(text)) {
    auto slot = find_var(text);
    if (!slot) {
      return invalid(keyword, "unknown variable " + quoted(text) +
                                  " (not set by an earlier byte_extract or byte_math)");
    }
    var = *slot;
    return std::nullopt;
  }
  auto n = parse_c_integer(text, min, max);
  if (!n) {
    return invalid(keyword, std::string(what) + " " + quoted(text) + " is not a number from " +
                                std::to_string(min) + " to " + std::to_string(max));
  }
  value = *n;
  return std::nullopt;
}

// Bytes a keyword may read: binary 1 to 8; as a string, what fits the keyword's conversion
// (Suricata's limits per keyword and base; byte_math: 1 to 10 as a string, else 1, 2, 3, 4 or 8).
std::optional<Failure> check_nbytes(std::string_view keyword, const ByteRead& r, bool zero_ok) {
  const int n = r.nbytes;
  auto base_name = [&]() {
    return std::string(r.base == 16 ? "hex" : r.base == 8 ? "oct" : "dec");
  };
  if (keyword == "byte_math") {
    if (r.base != 0 && (n < 1 || n > 10)) {
      return invalid(keyword, std::to_string(n) + " bytes with 'string' (1 to 10)");
    }
    if (r.base == 0 && n != 1 && n != 2 && n != 3 && n != 4 && n != 8) {
      return invalid(keyword, std::to_string(n) + " bytes without 'string' (1, 2, 3, 4 or 8)");
    }
    return std::nullopt;
  }
  if (r.base == 0) {
    if (n < 1 || n > 8) {
      return invalid(keyword, std::to_string(n) + " bytes without 'string' (1 to 8)");
    }
    return std::nullopt;
  }
  int max = 23;
  if (keyword == "byte_test") max = r.base == 16 ? 16 : r.base == 10 ? 20 : 23;
  if (keyword == "byte_extract") max = r.base == 16 ? 14 : r.base == 10 ? 20 : 23;
  if ((n == 0 && !zero_ok) || n > max) {
    return invalid(keyword, std::to_string(n) + " bytes with 'string " + base_name() + "' (" +
                                (zero_ok ? "0" : "1") + " to " + std::to_string(max) + ")");
  }
  return std::nullopt;
}

std::optional<Failure> parse_nbytes(std::string_view keyword, std::string_view text, ByteRead& r) {
  auto n = parse_decimal(text, 255);
  if (!n) return invalid(keyword, quoted(text) + " is not a valid number of bytes");
  r.nbytes = static_cast<std::uint8_t>(*n);
  return std::nullopt;
}

std::optional<Failure> parse_bitmask(std::string_view keyword, std::string_view text, ByteRead& r) {
  auto m = parse_c_unsigned(text);
  if (!m || *m == 0 || *m > std::numeric_limits<std::uint32_t>::max()) {
    return invalid(keyword, "bitmask " + quoted(text) + " is not a number from 1 to 0xffffffff");
  }
  r.bitmask = static_cast<std::uint32_t>(*m);
  return std::nullopt;
}

Failure dce_not_supported(std::string_view keyword) {
  std::string reason = std::string(keyword) + " option 'dce' not supported yet";
  return not_supported(reason, reason + " (needs the dcerpc parser)");
}

constexpr std::int64_t kMaxByteOffset = 65535;

// The options after the fixed arguments of byte_test, byte_jump and byte_extract.
std::optional<Failure> OptionBuilder::parse_byte_options(std::string_view keyword,
                                                         const std::vector<std::string_view>& parts,
                                                         std::size_t first, ByteRead& read,
                                                         ByteJump* jump, ByteExtract* extract,
                                                         bool& dce) {
  std::vector<std::string> seen;
  std::uint8_t base = 0;
  bool string = false;
  for (std::size_t i = first; i < parts.size(); ++i) {
    std::string_view part = parts[i];
    std::size_t space = part.find_first_of(" \t");
    std::string key = to_lower(part.substr(0, space));
    std::string_view arg = space == std::string_view::npos ? "" : trim(part.substr(space));
    std::string group = key;  // options that exclude each other share a group
    const bool takes_arg = (key == "bitmask" && extract == nullptr) ||
                           (key == "multiplier" && (jump != nullptr || extract != nullptr)) ||
                           (key == "post_offset" && jump != nullptr) ||
                           (key == "align" && extract != nullptr);
    if (takes_arg && arg.empty()) return invalid(keyword, quoted(key) + " needs a value");
    if (!takes_arg && !arg.empty()) return invalid(keyword, "unknown option " + quoted(part));
    if (key == "relative") {
      read.relative = true;
    } else if (key == "big" || key == "little" || key == "dce") {
      group = "endianness";
      read.little_endian = key == "little";
      dce = dce || key == "dce";
    } else if (key == "string") {
      string = true;
    } else if (key == "hex" || key == "dec" || key == "oct") {
      group = "hex/dec/oct";
      base = key == "hex" ? 16 : key == "dec" ? 10 : 8;
    } else if (key == "bitmask" && extract == nullptr) {
      if (auto f = parse_bitmask(keyword, arg, read)) return f;
    } else if (key == "multiplier" && (jump != nullptr || extract != nullptr)) {
      auto m = parse_c_integer(arg, 1, 65535);
      if (!m)
        return invalid(keyword, "multiplier " + quoted(arg) + " is not a number from 1 to 65535");
      (jump != nullptr ? jump->multiplier : extract->multiplier) = static_cast<std::uint32_t>(*m);
    } else if (key == "align" && jump != nullptr) {
      jump->align = true;
    } else if (key == "align" && extract != nullptr) {
      if (arg != "2" && arg != "4")
        return invalid(keyword, "align " + quoted(arg) + " is not 2 or 4");
      extract->align = static_cast<std::uint8_t>(arg[0] - '0');
    } else if ((key == "from_beginning" || key == "from_end") && jump != nullptr) {
      group = "from_beginning/from_end";
      (key == "from_end" ? jump->from_end : jump->from_beginning) = true;
    } else if (key == "post_offset" && jump != nullptr) {
      auto n = parse_c_integer(arg, -kMaxByteOffset, kMaxByteOffset);
      if (!n) {
        return invalid(keyword,
                       "post_offset " + quoted(arg) + " is not a number from -65535 to 65535");
      }
      jump->post_offset = static_cast<std::int32_t>(*n);
    } else {
      return invalid(keyword, "unknown option " + quoted(part));
    }
    if (std::find(seen.begin(), seen.end(), group) != seen.end()) {
      return invalid(keyword, quoted(group) + " given twice");
    }
    seen.push_back(group);
  }
  if (base != 0 && !string) {
    return invalid(keyword, std::string("'") +
                                (base == 16   ? "hex"
                                 : base == 10 ? "dec"
                                              : "oct") +
                                "' needs 'string'");
  }
  if (string) read.base = base != 0 ? base : 10;
  return std::nullopt;
}

// byte_test:bytes, [!]operator, value, offset[, relative][, big|little|dce]
//           [, string[, hex|dec|oct]][, bitmask MASK]
std::optional<Failure> OptionBuilder::parse_byte_test(std::string_view value) {
  constexpr std::string_view kKw = "byte_test";
  std::vector<std::string_view> parts = split(value, ',');
  if (parts.size() < 4) {
    return invalid(kKw, "expected 'bytes, [!]operator, value, offset[, options]'");
  }
  ByteTest t;
  if (auto f = parse_nbytes(kKw, parts[0], t.read)) return f;
  std::string_view op = parts[1];
  if (!op.empty() && op.front() == '!') {
    t.negated = true;
    op = trim(op.substr(1));
  }
  if (op == "<") {
    t.op = ByteTest::Op::kLt;
  } else if (op == ">") {
    t.op = ByteTest::Op::kGt;
  } else if (op == "=" || (op.empty() && t.negated)) {  // a lone "!" means "!="
    t.op = ByteTest::Op::kEq;
  } else if (op == "<=") {
    t.op = ByteTest::Op::kLe;
  } else if (op == ">=") {
    t.op = ByteTest::Op::kGe;
  } else if (op == "&") {
    t.op = ByteTest::Op::kAnd;
  } else if (op == "^") {
    t.op = ByteTest::Op::kXor;
  } else {
    return invalid(kKw, "unknown operator " + quoted(parts[1]));
  }
  if (is_var_name(parts[2])) {
    std::int64_t unused = 0;
    if (auto f = number_or_var(kKw, "value", parts[2], 0, 0, unused, t.value_var)) return f;
  } else {
    auto n = parse_c_unsigned(parts[2]);
    if (!n) return invalid(kKw, "value " + quoted(parts[2]) + " is not a number");
    t.value = *n;
  }
  std::int64_t offset = 0;
  if (auto f = number_or_var(kKw, "offset", parts[3], -kMaxByteOffset, kMaxByteOffset, offset,
                             t.read.offset_var)) {
    return f;
  }
  t.read.offset = static_cast<std::int32_t>(offset);
  bool dce = false;
  if (auto f = parse_byte_options(kKw, parts, 4, t.read, nullptr, nullptr, dce)) return f;
  if (auto f = check_nbytes(kKw, t.read, true)) return f;
  add_item(t);
  if (dce) return dce_not_supported(kKw);
  return std::nullopt;
}

// byte_jump:bytes, offset[, relative][, multiplier N][, big|little|dce][, string[, hex|dec|oct]]
//           [, align][, from_beginning|from_end][, post_offset N][, bitmask MASK]
std::optional<Failure> OptionBuilder::parse_byte_jump(std::string_view value) {
  constexpr std::string_view kKw = "byte_jump";
  std::vector<std::string_view> parts = split(value, ',');
  if (parts.size() < 2) return invalid(kKw, "expected 'bytes, offset[, options]'");
  ByteJump j;
  if (auto f = parse_nbytes(kKw, parts[0], j.read)) return f;
  std::int64_t offset = 0;
  if (auto f = number_or_var(kKw, "offset", parts[1], -kMaxByteOffset, kMaxByteOffset, offset,
                             j.read.offset_var)) {
    return f;
  }
  j.read.offset = static_cast<std::int32_t>(offset);
  bool dce = false;
  if (auto f = parse_byte_options(kKw, parts, 2, j.read, &j, nullptr, dce)) return f;
  if (auto f = check_nbytes(kKw, j.read, false)) return f;
  add_item(j);
  if (dce) return dce_not_supported(kKw);
  return std::nullopt;
}

// byte_extract:bytes, offset, name[, relative][, multiplier N][, big|little|dce]
//              [, string[, hex|dec|oct]][, align 2|4]
std::optional<Failure> OptionBuilder::parse_byte_extract(std::string_view value) {
  constexpr std::string_view kKw = "byte_extract";
  std::vector<std::string_view> parts = split(value, ',');
  if (parts.size() < 3) return invalid(kKw, "expected 'bytes, offset, name[, options]'");
  ByteExtract e;
  if (auto f = parse_nbytes(kKw, parts[0], e.read)) return f;
  auto offset = parse_c_integer(parts[1], -kMaxByteOffset, kMaxByteOffset);
  if (!offset) {
    return invalid(kKw, "offset " + quoted(parts[1]) + " is not a number from -65535 to 65535");
  }
  e.read.offset = static_cast<std::int32_t>(*offset);
  bool dce = false;
  if (auto f = parse_byte_options(kKw, parts, 3, e.read, nullptr, &e, dce)) return f;
  if (auto f = check_nbytes(kKw, e.read, false)) return f;
  if (auto f = define_var(kKw, parts[2], e.var)) return f;
  add_item(e);
  if (dce) return dce_not_supported(kKw);
  return std::nullopt;
}

// byte_math:bytes N, offset N, oper OP, rvalue N|VAR, result NAME[, relative]
//           [, endian big|little|dce][, string hex|dec|oct][, dce][, bitmask MASK]
std::optional<Failure> OptionBuilder::parse_byte_math(std::string_view value) {
  constexpr std::string_view kKw = "byte_math";
  ByteMath m;
  std::vector<std::string> seen;
  std::string_view result;
  bool dce = false;
  for (std::string_view part : split(value, ',')) {
    std::size_t space = part.find_first_of(" \t");
    std::string key = to_lower(part.substr(0, space));
    std::string_view arg = space == std::string_view::npos ? "" : trim(part.substr(space));
    bool flag = key == "relative" || key == "dce";
    if (flag && !arg.empty()) return invalid(kKw, "unknown option " + quoted(part));
    if (!flag && arg.empty()) {
      if (key == "bytes" || key == "offset" || key == "oper" || key == "rvalue" ||
          key == "result" || key == "endian" || key == "string" || key == "bitmask") {
        return invalid(kKw, quoted(key) + " needs a value");
      }
      return invalid(kKw, "unknown option " + quoted(part));
    }
    if (key == "bytes") {
      if (auto f = parse_nbytes(kKw, arg, m.read)) return f;
    } else if (key == "offset") {
      auto n = parse_c_integer(arg, -kMaxByteOffset, kMaxByteOffset);
      if (!n)
        return invalid(kKw, "offset " + quoted(arg) + " is not a number from -65535 to 65535");
      m.read.offset = static_cast<std::int32_t>(*n);
    } else if (key == "oper") {
      if (arg == "+") {
        m.oper = ByteMath::Oper::kAdd;
      } else if (arg == "-") {
        m.oper = ByteMath::Oper::kSub;
      } else if (arg == "*") {
        m.oper = ByteMath::Oper::kMul;
      } else if (arg == "/") {
        m.oper = ByteMath::Oper::kDiv;
      } else if (arg == "<<") {
        m.oper = ByteMath::Oper::kShl;
      } else if (arg == ">>") {
        m.oper = ByteMath::Oper::kShr;
      } else {
        return invalid(kKw, "unknown operator " + quoted(arg) + " (+, -, *, /, << or >>)");
      }
    } else if (key == "rvalue") {
      if (is_var_name(arg)) {
        std::int64_t unused = 0;
        if (auto f = number_or_var(kKw, "rvalue", arg, 0, 0, unused, m.rvalue_var)) return f;
      } else {
        auto n = parse_c_unsigned(arg);
        if (!n || *n > std::numeric_limits<std::uint32_t>::max()) {
          return invalid(kKw, "rvalue " + quoted(arg) + " is not a number from 0 to 4294967295");
        }
        m.rvalue = *n;
      }
    } else if (key == "result") {
      result = arg;
    } else if (key == "relative") {
      m.read.relative = true;
    } else if (key == "endian") {
      std::string e = to_lower(arg);
      if (e == "dce") {
        dce = true;
      } else if (e == "big" || e == "little") {
        m.read.little_endian = e == "little";
      } else {
        return invalid(kKw, "endian " + quoted(arg) + " is not big, little or dce");
      }
    } else if (key == "dce") {
      dce = true;
    } else if (key == "string") {
      std::string b = to_lower(arg);
      m.read.base = b == "hex" ? 16 : b == "dec" ? 10 : b == "oct" ? 8 : 0;
      if (m.read.base == 0)
        return invalid(kKw, "string " + quoted(arg) + " is not hex, dec or oct");
    } else if (key == "bitmask") {
      if (auto f = parse_bitmask(kKw, arg, m.read)) return f;
    } else {
      return invalid(kKw, "unknown option " + quoted(part));
    }
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      return invalid(kKw, quoted(key) + " given twice");
    }
    seen.push_back(key);
  }
  for (const char* required : {"bytes", "offset", "oper", "rvalue", "result"}) {
    if (std::find(seen.begin(), seen.end(), required) == seen.end()) {
      return invalid(kKw, std::string("missing '") + required + "'");
    }
  }
  if (auto f = check_nbytes(kKw, m.read, false)) return f;
  if (m.rvalue_var == kNoVar && m.rvalue == 0 && m.oper == ByteMath::Oper::kDiv) {
    return invalid(kKw, "division by zero");
  }
  if (auto f = define_var(kKw, result, m.result_var)) return f;
  add_item(m);
  if (dce) return dce_not_supported(kKw);
  return std::nullopt;
}

// base64_decode[:bytes N][, offset N][, relative]
std::optional<Failure> OptionBuilder::parse_base64_decode(std::string_view value, bool has_value) {
  constexpr std::string_view kKw = "base64_decode";
  if (buffer_ == Buffer::kBase64) return invalid(kKw, "cannot decode the base64_data buffer");
  Base64Decode d;
  std::vector<std::string> seen;
  if (has_value) {
    for (std::string_view part : split(value, ',')) {
      std::size_t space = part.find_first_of(" \t");
      std::string key = to_lower(part.substr(0, space));
      std::string_view arg = space == std::string_view::npos ? "" : trim(part.substr(space));
      if (key == "relative" && arg.empty()) {
        d.relative = true;
      } else if ((key == "bytes" || key == "offset") && !arg.empty()) {
        auto n = parse_c_integer(arg, key == "bytes" ? 1 : 0, 65535);
        if (!n) {
          return invalid(kKw, key + " " + quoted(arg) + " is not a number from " +
                                  (key == "bytes" ? "1" : "0") + " to 65535");
        }
        (key == "bytes" ? d.bytes : d.offset) = static_cast<std::uint32_t>(*n);
      } else {
        return invalid(kKw, "unknown option " + quoted(part));
      }
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
        return invalid(kKw, quoted(key) + " given twice");
      }
      seen.push_back(key);
    }
  }
  have_base64_decode_ = true;
  add_item(d);
  return std::nullopt;
}

// bsize:N, !N, <N, <=N, >N, >=N, N<>M or N-M: the length of the current sticky buffer.
std::optional<Failure> OptionBuilder::parse_bsize(std::string_view value) {
  if (!unsupported_buffer_.empty()) {
    return not_supported("buffer " + quoted(unsupported_buffer_) + " not supported yet");
  }
  if (buffer_ == Buffer::kPayload) {
    return invalid("bsize", "no sticky buffer before it (e.g. base64_data)");
  }
  auto c = parse_numcmp(value, std::numeric_limits<std::uint32_t>::max(), kAllowAll);
  if (!c) return invalid("bsize", quoted(value) + " is not a valid value");
  if (never_matches(*c, std::numeric_limits<std::uint32_t>::max())) {
    return invalid("bsize", never_matches_message(value));
  }
  add_item(Bsize{*c});
  return std::nullopt;
}

// stream_size:<server|client|both|either>,<op>,<number>, op one of < <= > >= = !=.
std::optional<Failure> OptionBuilder::parse_stream_size(std::string_view value) {
  const std::vector<std::string_view> parts = split(value, ',');
  if (parts.size() != 3) {
    return invalid("stream_size", "expected <server|client|both|either>,<op>,<number>");
  }
  Rule::StreamSize ss;
  const std::string side = to_lower(parts[0]);
  if (side == "client") {
    ss.side = Rule::StreamSize::Side::kClient;
  } else if (side == "server") {
    ss.side = Rule::StreamSize::Side::kServer;
  } else if (side == "both") {
    ss.side = Rule::StreamSize::Side::kBoth;
  } else if (side == "either") {
    ss.side = Rule::StreamSize::Side::kEither;
  } else {
    return invalid("stream_size", "unknown side " + quoted(parts[0]) +
                                      " (expected server, client, both or either)");
  }
  static constexpr std::pair<std::string_view, NumCmp::Op> kOps[] = {
      {"<", NumCmp::Op::kLt}, {"<=", NumCmp::Op::kLe}, {">", NumCmp::Op::kGt},
      {">=", NumCmp::Op::kGe}, {"=", NumCmp::Op::kEq}, {"!=", NumCmp::Op::kNe}};
  bool op_ok = false;
  for (const auto& [text, op] : kOps) {
    if (parts[1] == text) {
      ss.cmp.op = op;
      op_ok = true;
    }
  }
  if (!op_ok) return invalid("stream_size", "unknown operator " + quoted(parts[1]));
  auto n = parse_uint(parts[2]);
  if (!n || *n > std::numeric_limits<std::uint32_t>::max()) {
    return invalid("stream_size", quoted(parts[2]) + " is not a valid size");
  }
  ss.cmp.a = static_cast<std::int64_t>(*n);
  // Stream sizes are 64-bit here: only "<0" can never match.
  if (never_matches(ss.cmp, std::numeric_limits<std::int64_t>::max())) {
    return invalid("stream_size", never_matches_message(value));
  }
  rule_.stream_sizes.push_back(ss);
  return std::nullopt;
}

std::optional<Failure> OptionBuilder::parse_isdataat(std::string_view value) {
  IsDataAt d;
  std::vector<std::string_view> parts = split(value, ',');
  std::string_view size = parts[0];
  if (!size.empty() && size.front() == '!') {
    d.negated = true;
    size = trim(size.substr(1));
  }
  if (is_var_name(size)) {
    std::int64_t unused = 0;
    if (auto f = number_or_var("isdataat", "size", size, 0, 65535, unused, d.size_var)) return f;
  } else {
    auto n = parse_decimal(size, 65535);
    if (!n) return invalid("isdataat", quoted(parts[0]) + " is not a valid size");
    d.size = static_cast<std::int32_t>(*n);
  }
  for (std::size_t i = 1; i < parts.size(); ++i) {
    if (parts[i] == "relative") {
      d.relative = true;
    } else if (parts[i] == "rawbytes") {
      d.rawbytes = true;
    } else {
      return invalid("isdataat", "unknown modifier " + quoted(parts[i]));
    }
  }
  add_item(d);
  return std::nullopt;
}

std::optional<Failure> OptionBuilder::parse_pcre(std::string_view value) {
  PcreMatch m;
  std::string_view v = trim(value);
  if (!v.empty() && v.front() == '!') {
    m.negated = true;
    v = trim(v.substr(1));
  }
  v = strip_quotes(v);
  std::size_t last = v.rfind('/');
  if (v.empty() || v.front() != '/' || last == 0) {
    return invalid("pcre", "expected \"/pattern/flags\"");
  }
  m.pattern = std::string(v.substr(1, last - 1));
  for (char f : v.substr(last + 1)) {
    switch (f) {
      case 'i':
        m.options |= PCRE2_CASELESS;
        break;
      case 's':
        m.options |= PCRE2_DOTALL;
        break;
      case 'm':
        m.options |= PCRE2_MULTILINE;
        break;
      case 'x':
        m.options |= PCRE2_EXTENDED;
        break;
      case 'E':
        m.options |= PCRE2_DOLLAR_ENDONLY;
        break;
      case 'G':
        m.options |= PCRE2_UNGREEDY;
        break;
      case 'A':
        // Compiled in, so the JIT code is anchored (JIT ignores PCRE2_ANCHORED at match time).
        m.options |= PCRE2_ANCHORED;
        m.anchored_start = true;
        break;
      case 'R':
        m.relative = true;
        break;
      case 'B':
        m.rawbytes = true;
        break;
      case 'O':
        break;  // override the configured match limits: the limits are ours to keep
      default:
        if (auto buffer = pcre_http_buffer(f)) {
          return not_supported("buffer " + quoted(*buffer) + " not supported yet",
                               "buffer " + quoted(*buffer) + " not supported yet (pcre flag " +
                                   quoted(std::string(1, f)) + ")");
        }
        return invalid("pcre", "unknown flag " + quoted(std::string(1, f)));
    }
  }
  int error = 0;
  PCRE2_SIZE error_offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(m.pattern.data()), m.pattern.size(),
                                   m.options, &error, &error_offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(error, buf, sizeof buf);
    return invalid("pcre", std::string(reinterpret_cast<const char*>(buf)) + " at offset " +
                               std::to_string(error_offset));
  }
  // JIT compilation waits for RuleSet::build(): most rules of a public set are rejected
  // (app-layer), and JIT-compiling their pcres was a tenth of the load time.
  m.code =
      std::shared_ptr<void>(code, [](void* p) { pcre2_code_free(static_cast<pcre2_code*>(p)); });
  add_item(std::move(m));
  return std::nullopt;
}

std::optional<Failure> OptionBuilder::parse_flow(std::string_view value) {
  FlowMatch& f = rule_.flow;
  bool tcp_pkt_no_stream = f.no_stream && !have_flow_;  // set by the tcp-pkt header
  have_flow_ = true;
  for (std::string_view item : split(value, ',')) {
    std::string word = to_lower(item);
    bool* bit = nullptr;
    if (word == "established") {
      bit = &f.established;
    } else if (word == "not_established") {
      bit = &f.not_established;
    } else if (word == "stateless") {
      bit = &f.stateless;
    } else if (word == "to_server" || word == "from_client") {
      bit = &f.to_server;
    } else if (word == "to_client" || word == "from_server") {
      bit = &f.to_client;
    } else if (word == "only_stream") {
      bit = &f.only_stream;
    } else if (word == "no_stream") {
      bit = &f.no_stream;
    } else if (word.empty()) {
      return invalid("flow", "empty option in " + quoted(value));
    } else {
      return invalid("flow", "unknown option " + quoted(item));
    }
    if (*bit && !(bit == &f.no_stream && tcp_pkt_no_stream)) {
      return invalid("flow", quoted(item) + " given twice");
    }
    *bit = true;
  }
  if (f.established && f.not_established)
    return invalid("flow", "established and not_established conflict");
  if (f.established && f.stateless) return invalid("flow", "established and stateless conflict");
  if (f.to_server && f.to_client) return invalid("flow", "to_server and to_client conflict");
  if (f.only_stream && f.no_stream) return invalid("flow", "only_stream and no_stream conflict");
  return std::nullopt;
}

std::optional<Failure> OptionBuilder::parse_bits(std::string_view name, std::string_view value,
                                                 BitsMatch& out) {
  auto bit_of = [&](char c) -> int {
    if (name == "fragbits") {
      switch (c) {
        case 'M':
          return kFragBitM;
        case 'D':
          return kFragBitD;
        case 'R':
          return kFragBitR;
        default:
          return -1;
      }
    }
    switch (c) {
      case 'F':
        return decode::kTcpFin;
      case 'S':
        return decode::kTcpSyn;
      case 'R':
        return decode::kTcpRst;
      case 'P':
        return decode::kTcpPsh;
      case 'A':
        return decode::kTcpAck;
      case 'U':
        return decode::kTcpUrg;
      case 'C':
      case '1':
        return decode::kTcpCwr;  // '1': Snort's old name for CWR
      case 'E':
      case '2':
        return decode::kTcpEce;  // '2': Snort's old name for ECE
      default:
        return -1;
    }
  };
  std::size_t comma = value.find(',');
  std::string_view main = trim(value.substr(0, comma));
  bool have_mod = false;
  bool zero = false;
  bool any_bit = false;
  for (char c : main) {
    if (is_space(c)) continue;
    if (c == '+' || c == '*' || c == '!') {
      if (have_mod) return invalid(name, "more than one modifier in " + quoted(value));
      have_mod = true;
      out.mod = c == '+'   ? BitsMatch::Mod::kPlus
                : c == '*' ? BitsMatch::Mod::kAny
                           : BitsMatch::Mod::kNot;
      continue;
    }
    if (c == '0' && name == "flags") {
      zero = true;
      continue;
    }
    int bit = bit_of(c);
    if (bit < 0) return invalid(name, "unknown flag " + quoted(std::string(1, c)));
    out.bits |= static_cast<std::uint8_t>(bit);
    any_bit = true;
  }
  if (zero && any_bit) return invalid(name, "'0' (no flags) cannot be combined with flags");
  if (!zero && !any_bit) return invalid(name, "no flags in " + quoted(value));
  if (comma != std::string_view::npos) {
    if (name != "flags") return invalid(name, "unexpected ',' in " + quoted(value));
    std::string_view mask = trim(value.substr(comma + 1));
    if (mask.empty()) return invalid(name, "empty mask in " + quoted(value));
    for (char c : mask) {
      if (is_space(c)) continue;
      int bit = bit_of(c);
      if (bit < 0) return invalid(name, "unknown flag " + quoted(std::string(1, c)) + " in mask");
      out.ignore |= static_cast<std::uint8_t>(bit);
    }
  }
  return std::nullopt;
}

std::optional<Failure> OptionBuilder::parse_ip_proto(std::string_view value) {
  if (rule_.ip_proto) return invalid("ip_proto", "given twice");
  std::string_view v = trim(value);
  NumCmp c;
  if (!v.empty() && (v[0] == '!' || v[0] == '<' || v[0] == '>')) {
    c.op = v[0] == '!' ? NumCmp::Op::kNe : v[0] == '<' ? NumCmp::Op::kLt : NumCmp::Op::kGt;
    v = trim(v.substr(1));
  }
  if (auto n = parse_decimal(v, 255)) {
    c.a = *n;
  } else {
    std::string lower = to_lower(v);
    auto it = std::find_if(std::begin(kIpProtoNames), std::end(kIpProtoNames),
                           [&](const IpProtoName& p) { return p.name == lower; });
    if (it == std::end(kIpProtoNames)) return invalid("ip_proto", "unknown protocol " + quoted(v));
    c.a = it->number;
  }
  if (never_matches(c, 255)) return invalid("ip_proto", never_matches_message(value));
  rule_.ip_proto = c;
  return std::nullopt;
}

std::optional<Failure> OptionBuilder::parse_flowbits(std::string_view value) {
  std::vector<std::string_view> parts = split(value, ',');
  std::string cmd = to_lower(parts[0]);
  if (cmd == "noalert") {
    if (parts.size() != 1) return invalid("flowbits", "'noalert' takes no name");
    rule_.noalert = true;
    return std::nullopt;
  }
  FlowbitsOp op;
  if (cmd == "set") {
    op.cmd = FlowbitsOp::Cmd::kSet;
  } else if (cmd == "isset") {
    op.cmd = FlowbitsOp::Cmd::kIsSet;
  } else if (cmd == "isnotset") {
    op.cmd = FlowbitsOp::Cmd::kIsNotSet;
  } else if (cmd == "unset") {
    op.cmd = FlowbitsOp::Cmd::kUnset;
  } else if (cmd == "toggle") {
    op.cmd = FlowbitsOp::Cmd::kToggle;
  } else {
    return invalid("flowbits", "unknown command " + quoted(parts[0]));
  }
  if (parts.size() != 2 || parts[1].empty()) {
    return invalid("flowbits", quoted(cmd) + " needs one name (or names joined by | or &)");
  }
  std::string_view names = parts[1];
  bool any = names.find('|') != std::string_view::npos;
  bool all = names.find('&') != std::string_view::npos;
  if (any && all) return invalid("flowbits", "cannot mix '|' and '&' in " + quoted(names));
  if (any && op.cmd != FlowbitsOp::Cmd::kIsSet && op.cmd != FlowbitsOp::Cmd::kIsNotSet) {
    return invalid("flowbits", "'|' (any of) is only for isset and isnotset");
  }
  op.any = any;
  for (std::string_view n : split(names, any ? '|' : '&')) {
    bool good = !n.empty() && std::none_of(n.begin(), n.end(), [](char c) { return is_space(c); });
    if (!good) return invalid("flowbits", "invalid name in " + quoted(names));
    op.names.emplace_back(n);
  }
  rule_.flowbits.push_back(std::move(op));
  return std::nullopt;
}

// A flowint name: a letter, then letters, digits, '_', '.' or '/' (Suricata's names).
bool is_flowint_name(std::string_view n) {
  return !n.empty() && std::isalpha(static_cast<unsigned char>(n[0])) &&
         std::all_of(n.begin(), n.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '/';
         });
}

// flowint: name, modifier[, value]  where value is a number or another flowint's name.
std::optional<Failure> OptionBuilder::parse_flowint(std::string_view value) {
  std::vector<std::string_view> parts = split(value, ',');
  if (parts.size() < 2 || parts.size() > 3) {
    return invalid("flowint", "expected 'name,modifier[,value]', got " + quoted(value));
  }
  FlowintOp op;
  if (!is_flowint_name(parts[0]))
    return invalid("flowint", quoted(parts[0]) + " is not a valid name");
  op.name = std::string(parts[0]);
  static constexpr std::pair<std::string_view, FlowintOp::Op> kModifiers[] = {
      {"=", FlowintOp::Op::kSet},           {"+", FlowintOp::Op::kAdd},
      {"-", FlowintOp::Op::kSub},           {"==", FlowintOp::Op::kEq},
      {"!=", FlowintOp::Op::kNe},           {"<", FlowintOp::Op::kLt},
      {"<=", FlowintOp::Op::kLe},           {">", FlowintOp::Op::kGt},
      {">=", FlowintOp::Op::kGe},           {"isset", FlowintOp::Op::kIsSet},
      {"notset", FlowintOp::Op::kIsNotSet}, {"isnotset", FlowintOp::Op::kIsNotSet}};
  std::string modifier = to_lower(parts[1]);
  auto it = std::find_if(std::begin(kModifiers), std::end(kModifiers),
                         [&](const auto& m) { return m.first == modifier; });
  if (it == std::end(kModifiers)) return invalid("flowint", "unknown modifier " + quoted(parts[1]));
  op.op = it->second;
  const bool takes_value = op.op != FlowintOp::Op::kIsSet && op.op != FlowintOp::Op::kIsNotSet;
  if (!takes_value) {
    if (parts.size() == 3) return invalid("flowint", quoted(parts[1]) + " takes no value");
  } else {
    if (parts.size() < 3 || parts[2].empty()) {
      return invalid("flowint", quoted(parts[1]) + " needs a value");
    }
    std::string_view target = parts[2];
    if (std::isdigit(static_cast<unsigned char>(target[0]))) {
      auto n = parse_decimal(target, std::numeric_limits<std::uint32_t>::max());
      if (!n) {
        return invalid("flowint", quoted(target) + " is not a number from 0 to 4294967295");
      }
      op.value = static_cast<std::uint32_t>(*n);
    } else if (is_flowint_name(target)) {
      op.target_var = std::string(target);
    } else {
      return invalid("flowint", quoted(target) + " is not a number or a flowint name");
    }
  }
  rule_.flowints.push_back(std::move(op));
  return std::nullopt;
}

// xbits: cmd, name, track ip_src|ip_dst|ip_pair[, expire N]; or noalert.
std::optional<Failure> OptionBuilder::parse_xbits(std::string_view value) {
  std::vector<std::string_view> parts = split(value, ',');
  std::string cmd = to_lower(parts[0]);
  if (cmd == "noalert") {
    if (parts.size() != 1) return invalid("xbits", "'noalert' takes no name");
    rule_.noalert = true;
    return std::nullopt;
  }
  XbitsOp op;
  if (cmd == "set") {
    op.cmd = XbitsOp::Cmd::kSet;
  } else if (cmd == "unset") {
    op.cmd = XbitsOp::Cmd::kUnset;
  } else if (cmd == "toggle") {
    op.cmd = XbitsOp::Cmd::kToggle;
  } else if (cmd == "isset") {
    op.cmd = XbitsOp::Cmd::kIsSet;
  } else if (cmd == "isnotset") {
    op.cmd = XbitsOp::Cmd::kIsNotSet;
  } else {
    return invalid("xbits", "unknown command " + quoted(parts[0]));
  }
  if (parts.size() < 2 || parts[1].empty()) return invalid("xbits", quoted(cmd) + " needs a name");
  std::string_view bit = parts[1];
  if (std::any_of(bit.begin(), bit.end(),
                  [](char c) { return is_space(c) || c == '|' || c == '&'; })) {
    return invalid("xbits", "invalid name " + quoted(bit) + " (one name per xbits)");
  }
  op.name = std::string(bit);
  bool have_track = false;
  bool have_expire = false;
  for (std::size_t i = 2; i < parts.size(); ++i) {
    std::string_view item = parts[i];
    std::size_t space = item.find_first_of(" \t");
    std::string key = to_lower(item.substr(0, space));
    std::string_view arg = space == std::string_view::npos ? "" : trim(item.substr(space));
    if (key == "track") {
      if (have_track) return invalid("xbits", "'track' given twice");
      have_track = true;
      std::string t = to_lower(arg);
      if (t == "ip_src") {
        op.track = XbitsOp::Track::kIpSrc;
      } else if (t == "ip_dst") {
        op.track = XbitsOp::Track::kIpDst;
      } else if (t == "ip_pair") {
        op.track = XbitsOp::Track::kIpPair;
      } else if (t == "tx") {
        return not_supported("xbits track 'tx' not supported yet");
      } else {
        return invalid("xbits",
                       "unknown track " + quoted(arg) + " (expected ip_src, ip_dst or ip_pair)");
      }
    } else if (key == "expire") {
      if (have_expire) return invalid("xbits", "'expire' given twice");
      have_expire = true;
      auto n = parse_decimal(arg, std::numeric_limits<std::uint32_t>::max());
      if (!n || *n == 0)
        return invalid("xbits", "expire " + quoted(arg) + " is not a positive number");
      op.expire = static_cast<std::uint32_t>(*n);
    } else {
      return invalid("xbits", "unknown option " + quoted(item));
    }
  }
  if (!have_track) return invalid("xbits", "missing 'track ip_src|ip_dst|ip_pair'");
  rule_.xbits.push_back(std::move(op));
  return std::nullopt;
}

// tag: session|host[, count, packets|bytes|seconds[, src|dst]]
std::optional<Failure> OptionBuilder::parse_tag(std::string_view value) {
  std::vector<std::string_view> parts = split(value, ',');
  if (parts.size() == 2 || parts.size() > 4) {
    return invalid("tag", "expected 'session|host[,count,packets|bytes|seconds[,src|dst]]', got " +
                              quoted(value));
  }
  TagSpec tag;
  std::string type = to_lower(parts[0]);
  if (type == "session") {
    tag.type = TagSpec::Type::kSession;
  } else if (type == "host") {
    tag.type = TagSpec::Type::kHost;
  } else {
    return invalid("tag", "unknown type " + quoted(parts[0]) + " (expected session or host)");
  }
  if (parts.size() >= 3) {
    auto n = parse_decimal(parts[1], std::numeric_limits<std::uint32_t>::max());
    if (!n) return invalid("tag", "count " + quoted(parts[1]) + " is not a number");
    tag.count = static_cast<std::uint32_t>(*n);
    std::string metric = to_lower(parts[2]);
    if (metric == "packets") {
      tag.metric = TagSpec::Metric::kPackets;
    } else if (metric == "bytes") {
      tag.metric = TagSpec::Metric::kBytes;
    } else if (metric == "seconds") {
      tag.metric = TagSpec::Metric::kSeconds;
    } else {
      return invalid(
          "tag", "unknown metric " + quoted(parts[2]) + " (expected packets, bytes or seconds)");
    }
  }
  if (parts.size() == 4) {
    std::string dir = to_lower(parts[3]);
    if (dir == "src") {
      tag.direction = TagSpec::Direction::kSrc;
    } else if (dir == "dst") {
      tag.direction = TagSpec::Direction::kDst;
    } else {
      return invalid("tag", "unknown direction " + quoted(parts[3]) + " (expected src or dst)");
    }
  }
  rule_.tags.push_back(tag);
  return std::nullopt;
}

// threshold: type limit|threshold|both, track by_src|by_dst|by_rule|by_both, count N,
// seconds N (any order). detection_filter: the same without type.
std::optional<Failure> OptionBuilder::parse_threshold(std::string_view name, std::string_view value,
                                                      std::optional<ThresholdSpec>& out) {
  if (out) return invalid(name, "given twice");
  bool filter = name == "detection_filter";
  ThresholdSpec spec;
  if (filter) spec.type = ThresholdSpec::Type::kDetectionFilter;
  bool have_type = false;
  bool have_track = false;
  bool have_count = false;
  bool have_seconds = false;
  for (std::string_view item : split(value, ',')) {
    std::size_t space = item.find_first_of(" \t");
    std::string key = to_lower(item.substr(0, space));
    std::string_view arg = space == std::string_view::npos ? "" : trim(item.substr(space));
    bool* seen = nullptr;
    if (key == "type" && !filter) {
      seen = &have_type;
      if (!ThresholdSpec::parse_type(arg, spec.type)) {
        return invalid(name, "unknown type " + quoted(arg));
      }
    } else if (key == "track") {
      seen = &have_track;
      if (!ThresholdSpec::parse_track(arg, spec.track)) {
        if (to_lower(arg) == "by_flow") {
          return not_supported(std::string(name) + " track 'by_flow' not supported yet");
        }
        return invalid(name, "unknown track " + quoted(arg));
      }
    } else if (key == "count" || key == "seconds") {
      seen = key == "count" ? &have_count : &have_seconds;
      auto n = parse_decimal(arg, std::numeric_limits<std::uint32_t>::max());
      if (!n || *n == 0)
        return invalid(name, key + " " + quoted(arg) + " is not a positive number");
      (key == "count" ? spec.count : spec.seconds) = static_cast<std::uint32_t>(*n);
    } else {
      return invalid(name, "unknown option " + quoted(item));
    }
    if (*seen) return invalid(name, quoted(key) + " given twice");
    *seen = true;
  }
  const char* missing = !have_type && !filter ? "type"
                        : !have_track         ? "track"
                        : !have_count         ? "count"
                        : !have_seconds       ? "seconds"
                                              : nullptr;
  if (missing != nullptr) return invalid(name, std::string("missing '") + missing + "'");
  out = spec;
  return std::nullopt;
}

std::optional<Failure> OptionBuilder::finish() {
  for (const PayloadItem& item : rule_.payload) {
    const auto* c = std::get_if<ContentMatch>(&item.match);
    if (c == nullptr || !c->fast_pattern_only) continue;
    if (c->negated || c->offset || c->depth || c->relative() || c->startswith || c->endswith) {
      return invalid("fast_pattern",
                     "'only' cannot be combined with negation, offset, depth, distance, within, "
                     "startswith or endswith");
    }
  }
  if (!have_sid_) return failure("missing sid");
  return std::nullopt;
}

// Finds the sid before anything else so that every later message can name it.
std::optional<std::uint32_t> scan_sid(const std::vector<Option>& options) {
  for (const Option& o : options) {
    if (o.name.size() == 3 && to_lower(o.name) == "sid") {
      auto n = parse_decimal(o.value, std::numeric_limits<std::uint32_t>::max());
      if (n && *n > 0) return static_cast<std::uint32_t>(*n);
      return std::nullopt;
    }
  }
  return std::nullopt;
}

// Splits the header on whitespace outside brackets.
std::vector<std::string_view> header_fields(std::string_view header) {
  std::vector<std::string_view> out;
  std::size_t start = std::string_view::npos;
  int depth = 0;
  for (std::size_t i = 0; i <= header.size(); ++i) {
    bool end = i == header.size() || (depth <= 0 && is_space(header[i]));
    if (end) {
      if (start != std::string_view::npos) out.push_back(header.substr(start, i - start));
      start = std::string_view::npos;
      continue;
    }
    if (start == std::string_view::npos) start = i;
    if (header[i] == '[') ++depth;
    if (header[i] == ']') --depth;
  }
  return out;
}

std::string location_of(std::string_view file, int line) {
  std::string where(file);
  if (line > 0) where += ":" + std::to_string(line);
  return where;
}

}  // namespace

RuleParser::RuleParser(RuleVars vars) : vars_(std::move(vars)) {}

Result<Rule> RuleParser::parse(std::string_view text, std::string_view file, int line) {
  return parse_rule(text, file, line, nullptr);
}

Result<Rule> RuleParser::parse_rule(std::string_view text, std::string_view file, int line,
                                    RuleError* detail) {
  Rule rule;
  std::optional<std::uint32_t> sid;
  std::optional<Failure> deferred;  // the first "not supported yet"
  auto run = [&]() -> std::optional<Failure> {
    text = trim(text);
    std::size_t open = text.find('(');
    if (open == std::string_view::npos)
      return failure("syntax error", "missing '(' before the options");
    if (text.back() != ')') return failure("syntax error", "rule does not end with ')'");
    std::vector<Option> options;
    Failure fail;
    if (!split_options(text.substr(open + 1, text.size() - open - 2), options, fail)) return fail;
    sid = scan_sid(options);

    // Header: action proto src_addr src_port direction dst_addr dst_port
    std::vector<std::string_view> h = header_fields(text.substr(0, open));
    if (h.empty()) return failure("syntax error", "missing rule header");
    std::string action = to_lower(h[0]);
    if (action == "alert") {
      rule.action = Action::kAlert;
    } else if (action == "pass") {
      rule.action = Action::kPass;
    } else if (action == "drop") {
      rule.action = Action::kDrop;
    } else if (action == "reject" || action == "rejectsrc" || action == "rejectdst" ||
               action == "rejectboth") {
      rule.action = Action::kReject;
    } else {
      return invalid("action", quoted(h[0]) + " (expected alert, pass, drop or reject)");
    }
    if (h.size() < 2) return failure("syntax error", "missing protocol");
    std::string proto = to_lower(h[1]);
    if (proto == "ip" || proto == "pkthdr") {
      rule.proto = RuleProto::kIp;
    } else if (proto == "tcp" || proto == "tcp-pkt" || proto == "tcp-stream") {
      rule.proto = RuleProto::kTcp;
      rule.flow.no_stream = proto == "tcp-pkt";
      rule.flow.only_stream = proto == "tcp-stream";
    } else if (proto == "udp" || proto == "udp-pkt") {
      rule.proto = RuleProto::kUdp;
    } else if (proto == "icmp" || proto == "icmpv4" || proto == "icmpv6") {
      rule.proto = RuleProto::kIcmp;
    } else if (std::find(std::begin(kAppLayerProtocols), std::end(kAppLayerProtocols), proto) !=
               std::end(kAppLayerProtocols)) {
      deferred = not_supported("app-layer protocol " + quoted(proto) + " not supported yet");
    } else if (proto == "sctp") {
      deferred = not_supported("protocol 'sctp' not supported yet");
    } else {
      return invalid("protocol", quoted(h[1]));
    }
    if (h.size() != 7) {
      return failure("syntax error",
                     "expected 'action protocol address port direction address port' "
                     "before '(', found " +
                         std::to_string(h.size()) + " fields");
    }
    if (h[4] == "<>") {
      rule.bidirectional = true;
    } else if (h[4] != "->") {
      return invalid("direction", quoted(h[4]) + " (expected -> or <>)");
    }
    if (auto f = resolve_group<AddressSet, AddressTraits>(h[2], vars_.address_groups,
                                                          address_cache_, rule.src_addr))
      return f;
    if (auto f =
            resolve_group<PortSet, PortTraits>(h[3], vars_.port_groups, port_cache_, rule.src_port))
      return f;
    if (auto f = resolve_group<AddressSet, AddressTraits>(h[5], vars_.address_groups,
                                                          address_cache_, rule.dst_addr))
      return f;
    if (auto f =
            resolve_group<PortSet, PortTraits>(h[6], vars_.port_groups, port_cache_, rule.dst_port))
      return f;
    rule.src_addr_is_list = names_explicit_list(h[2]);
    rule.dst_addr_is_list = names_explicit_list(h[5]);

    OptionBuilder builder(rule);
    for (const Option& o : options) {
      if (auto f = builder.apply(o)) {
        if (!f->not_supported) return f;
        if (!deferred) deferred = std::move(f);
      }
    }
    if (auto f = builder.finish()) return f;
    return deferred;
  };
  std::optional<Failure> fail = run();
  if (fail) {
    if (detail != nullptr) {
      detail->reason = fail->reason;
      detail->not_supported = fail->not_supported;
    }
    std::string message = sid ? "sid " + std::to_string(*sid) + ": " : std::string();
    message += fail->message + "; rule skipped";
    return make_error(std::move(message), location_of(file, line));
  }
  rule.file = std::string(file);
  rule.line = line;
  return rule;
}

Result<std::shared_ptr<const AddressSet>> RuleParser::parse_address(std::string_view text) {
  std::shared_ptr<const AddressSet> out;
  if (auto f = resolve_group<AddressSet, AddressTraits>(trim(text), vars_.address_groups,
                                                        address_cache_, out)) {
    return make_error(f->message);
  }
  return out;
}

RuleFileResult RuleParser::parse_file(const std::string& path) {
  RuleFileResult result;
  std::string data;
  {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
      std::string message = path + ": cannot open: " + std::strerror(errno);
      result.errors.push_back({path, 0, std::move(message), "cannot open"});
      return result;
    }
    char buf[65536];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) data.append(buf, n);
    bool failed = std::ferror(f) != 0;
    int err = errno;
    std::fclose(f);
    if (failed) {
      std::string message = path + ": cannot read: " + std::strerror(err);
      result.errors.push_back({path, 0, std::move(message), "cannot open"});
      return result;
    }
  }

  // (gid, sid) -> index into result.rules
  std::unordered_map<std::uint64_t, std::size_t> seen;
  auto handle = [&](std::string_view text, int line) {
    RuleError error{path, line, {}, {}};
    Result<Rule> r = parse_rule(text, path, line, &error);
    if (!r.ok()) {
      error.message = r.error().describe();
      result.errors.push_back(std::move(error));
      return;
    }
    std::uint64_t key = (std::uint64_t{r->gid} << 32) | r->sid;
    auto [it, inserted] = seen.emplace(key, result.rules.size());
    if (!inserted) {
      const Rule& first = result.rules[it->second];
      std::string message = location_of(path, line) + ": sid " + std::to_string(r->sid) +
                            ": duplicate sid (first at " + location_of(first.file, first.line) +
                            "); rule skipped";
      result.errors.push_back({path, line, std::move(message), "duplicate sid"});
      return;
    }
    result.rules.push_back(std::move(r).value());
  };

  for_each_logical_line(data, "", handle);
  return result;
}

}  // namespace wp::detect
