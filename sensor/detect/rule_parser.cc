#include "detect/rule_parser.h"

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
  kThreshold,
  kDetectionFilter,
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
    {"threshold", Kw::kThreshold},
    {"detection_filter", Kw::kDetectionFilter}};

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
    "ldap.responses.dn", "websocket.payload", "dnp3_data", "dnp3.data", "base64_data",
    // Packet headers as buffers
    "ipv4.hdr", "ipv6.hdr", "tcp.hdr", "udp.hdr", "icmpv4.hdr", "icmpv6.hdr"};

// Recognised keywords this release does not evaluate yet.
constexpr std::string_view kUnsupportedKeywords[] = {
    // Flow and host state, byte math, app-layer keywords, transforms, files, ...
    "flowint",
    "flowvar",
    "pktvar",
    "xbits",
    "hostbits",
    "event_filter",
    "byte_test",
    "byte_jump",
    "byte_extract",
    "byte_math",
    "base64_decode",
    "bsize",
    "urilen",
    "app-layer-event",
    "app-layer-protocol",
    "app-layer-state",
    "stream_size",
    "stream-event",
    "decode-event",
    "engine-event",
    "tag",
    "target",
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
    while (pos_ < s_.size() && s_[pos_] == '!') {
      negated = !negated;
      ++pos_;
      skip_space();
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
  if (!trim(v.substr(i + 1)).empty()) {
    return invalid("content", "unexpected text after the closing quote");
  }
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
  // A byte_extract/byte_math variable where a number is expected: the rule is already
  // rejected for that keyword, so the value is accepted without being used.
  bool names_variable(std::string_view v) const {
    v = trim(v);
    return extracted_vars_ && !v.empty() &&
           (std::isalpha(static_cast<unsigned char>(v[0])) || v[0] == '_') &&
           std::all_of(v.begin(), v.end(), [](char c) {
             return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
           });
  }
  std::optional<Failure> content_modifier(Kw kw, std::string_view name, const Option& opt);
  std::optional<Failure> parse_pcre(std::string_view value);
  std::optional<Failure> parse_isdataat(std::string_view value);
  std::optional<Failure> parse_flow(std::string_view value);
  std::optional<Failure> parse_bits(std::string_view name, std::string_view value, BitsMatch& out);
  std::optional<Failure> parse_ip_proto(std::string_view value);
  std::optional<Failure> parse_flowbits(std::string_view value);
  std::optional<Failure> parse_threshold(std::string_view name, std::string_view value,
                                         std::optional<ThresholdSpec>& out);

  Rule& rule_;
  bool have_sid_ = false;
  bool have_classtype_ = false;
  bool have_fast_pattern_ = false;
  bool have_flow_ = false;
  bool extracted_vars_ = false;  // byte_extract/byte_math seen: modifiers may name variables
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
      rule_.payload.push_back({Buffer::kPayload, std::move(c)});
    }
    return not_supported("buffer " + quoted(name) + " not supported yet");
  }
  if (kw == Kw::kUnsupported) {
    // Later modifiers may name the variables these define instead of numbers.
    if (name == "byte_extract" || name == "byte_math") extracted_vars_ = true;
    return not_supported("unsupported keyword " + quoted(name));
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
      if (opt.has_value) return invalid(name, "takes no value");
      break;
    case Kw::kFastPattern:
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
    field = *c;
    return std::nullopt;
  };

  switch (kw) {
    case Kw::kMsg:
      rule_.msg = unescape(strip_quotes(v));
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
      auto n = number(std::numeric_limits<std::uint32_t>::max());
      if (!n) return bad_number();
      (kw == Kw::kRev ? rule_.rev : rule_.gid) = static_cast<std::uint32_t>(*n);
      return std::nullopt;
    }
    case Kw::kClasstype:
      if (have_classtype_) return invalid(name, "given twice");
      rule_.classtype = std::string(v);
      have_classtype_ = true;
      return std::nullopt;
    case Kw::kPriority: {
      auto n = number(255);
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
      rule_.payload.push_back({Buffer::kPayload, std::move(c)});
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
      return std::nullopt;  // back to the packet payload, the only buffer there is
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
      if (names_variable(v)) return std::nullopt;
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
      if (names_variable(v)) return std::nullopt;
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

std::optional<Failure> OptionBuilder::parse_isdataat(std::string_view value) {
  IsDataAt d;
  std::vector<std::string_view> parts = split(value, ',');
  std::string_view size = parts[0];
  if (!size.empty() && size.front() == '!') {
    d.negated = true;
    size = trim(size.substr(1));
  }
  if (names_variable(size)) return std::nullopt;
  auto n = parse_decimal(size, 65535);
  if (!n) return invalid("isdataat", quoted(parts[0]) + " is not a valid size");
  d.size = static_cast<std::int32_t>(*n);
  for (std::size_t i = 1; i < parts.size(); ++i) {
    if (parts[i] == "relative") {
      d.relative = true;
    } else if (parts[i] == "rawbytes") {
      d.rawbytes = true;
    } else {
      return invalid("isdataat", "unknown modifier " + quoted(parts[i]));
    }
  }
  rule_.payload.push_back({Buffer::kPayload, d});
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
  rule_.payload.push_back({Buffer::kPayload, std::move(m)});
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
      std::string t = to_lower(arg);
      if (t == "limit") {
        spec.type = ThresholdSpec::Type::kLimit;
      } else if (t == "threshold") {
        spec.type = ThresholdSpec::Type::kThreshold;
      } else if (t == "both") {
        spec.type = ThresholdSpec::Type::kBoth;
      } else {
        return invalid(name, "unknown type " + quoted(arg));
      }
    } else if (key == "track") {
      seen = &have_track;
      std::string t = to_lower(arg);
      if (t == "by_src") {
        spec.track = ThresholdSpec::Track::kBySrc;
      } else if (t == "by_dst") {
        spec.track = ThresholdSpec::Track::kByDst;
      } else if (t == "by_rule") {
        spec.track = ThresholdSpec::Track::kByRule;
      } else if (t == "by_both") {
        spec.track = ThresholdSpec::Track::kByBoth;
      } else if (t == "by_flow") {
        return not_supported(std::string(name) + " track 'by_flow' not supported yet");
      } else {
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

  std::string pending;
  int start_line = 0;
  int number = 0;
  std::size_t pos = 0;
  while (pos < data.size()) {
    std::size_t eol = data.find('\n', pos);
    if (eol == std::string::npos) eol = data.size();
    std::string_view line(data.data() + pos, eol - pos);
    pos = eol + 1;
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (pending.empty()) {
      std::string_view t = trim(line);
      if (t.empty() || t.front() == '#') continue;
      start_line = number;
    }
    while (!line.empty() && is_space(line.back())) line.remove_suffix(1);
    if (!line.empty() && line.back() == '\\') {
      line.remove_suffix(1);
      pending.append(line);
      if (pending.empty()) pending.push_back(' ');
      continue;
    }
    if (pending.empty()) {
      handle(line, start_line);
    } else {
      pending.append(line);
      handle(pending, start_line);
      pending.clear();
    }
  }
  if (!pending.empty()) handle(pending, start_line);
  return result;
}

}  // namespace wp::detect
