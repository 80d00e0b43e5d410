// The application-layer keywords: app-layer-protocol, app-layer-event, and the transaction
// keywords of DNS (dns.opcode, dns.rrtype), TLS (tls.version, ssl_version, ssl_state,
// tls.subject, tls.issuerdn, tls_cert_notbefore/notafter/expired/valid), FTP (ftpbounce,
// ftp.dynamic_port, ftp.mode, ftp.reply_received) and SSH (ssh.protoversion,
// ssh.softwareversion, legacy). The sticky buffers
// of these protocols are rows of buffers.h.
#include <ctime>
#include <limits>

#include "applayer/dns.h"
#include "applayer/ftp.h"
#include "applayer/http.h"
#include "applayer/smtp.h"
#include "applayer/ssh.h"
#include "applayer/tls.h"
#include "common/text.h"
#include "detect/rules/keyword.h"

namespace wp::detect::lang {
namespace {

// A protocol the header or app-layer-protocol names: detected ones are supported; the other
// protocols Suricata knows are "not supported yet".
MaybeFailure app_proto_of(std::string_view keyword, std::string_view name, AppProto& out) {
  if (auto p = parse_app_proto(name)) {
    out = *p;
    return std::nullopt;
  }
  if (is_app_layer_protocol(name)) {
    return not_supported("app-layer protocol " + quoted(name) + " not supported yet");
  }
  return invalid(keyword, "unknown protocol " + quoted(name));
}

// app-layer-protocol:[!]NAME[,MODE] (MODE: Suricata 7's final/original/either/to_server/
// to_client/direction; the flow has one protocol here, so they all read it).
MaybeFailure parse_app_layer_protocol(RuleBuilder& b, std::string_view value) {
  const std::vector<std::string_view> parts = split(value, ',');
  std::string_view name = parts[0];
  AppProtoTest t;
  if (!name.empty() && name[0] == '!') {
    t.negated = true;
    name = trim(name.substr(1));
  }
  if (parts.size() > 2) return invalid("app-layer-protocol", "too many values in " + quoted(value));
  if (auto f = app_proto_of("app-layer-protocol", to_lower(name), t.proto)) return f;
  b.rule.app_proto_tests.push_back(t);
  return std::nullopt;
}

// app-layer-event:PROTO.EVENT, for the events the DNS, TLS, HTTP, SMTP, FTP and SSH parsers
// raise.
MaybeFailure parse_app_layer_event(RuleBuilder& b, std::string_view value) {
  const std::string v = to_lower(value);
  const std::size_t dot = v.find('.');
  if (dot == std::string::npos) {
    return not_supported("app-layer-event " + quoted(value) + " not supported yet");
  }
  const std::string_view proto = std::string_view(v).substr(0, dot);
  const std::string_view event = std::string_view(v).substr(dot + 1);
  TxTest t;
  t.kind = TxTest::Kind::kAppLayerEvent;
  if (proto == "dns") {
    t.proto = AppProto::kDns;
    for (int bit = 0; bit < applayer::kDnsEventCount; ++bit) {
      if (applayer::dns_event_name(bit) == event) t.mask = 1u << bit;
    }
  } else if (proto == "tls") {
    t.proto = AppProto::kTls;
    for (int bit = 0; bit < applayer::kTlsEventCount; ++bit) {
      if (applayer::tls_event_name(bit) == event) t.mask = 1u << bit;
    }
  } else if (proto == "http") {
    t.proto = AppProto::kHttp;
    for (int bit = 0; bit < applayer::kHttpEventCount; ++bit) {
      if (to_lower(applayer::http_event_name(bit)) == event) t.mask = std::uint64_t{1} << bit;
    }
  } else if (proto == "smtp") {
    t.proto = AppProto::kSmtp;
    for (int bit = 0; bit < applayer::kSmtpEventCount; ++bit) {
      if (applayer::smtp_event_name(bit) == event) t.mask = 1u << bit;
    }
  } else if (proto == "ftp") {
    t.proto = AppProto::kFtp;
    for (int bit = 0; bit < applayer::kFtpEventCount; ++bit) {
      if (applayer::ftp_event_name(bit) == event) t.mask = 1u << bit;
    }
  } else if (proto == "ssh") {
    t.proto = AppProto::kSsh;
    for (int bit = 0; bit < applayer::kSshEventCount; ++bit) {
      if (applayer::ssh_event_name(bit) == event) t.mask = 1u << bit;
    }
  }
  if (t.mask == 0) return not_supported("app-layer-event " + quoted(value) + " not supported yet");
  b.rule.tx_tests.push_back(std::move(t));
  return std::nullopt;
}

MaybeFailure numeric_test(RuleBuilder& b, std::string_view keyword, TxTest::Kind kind,
                          AppProto proto, std::string_view value, std::int64_t max) {
  auto c = parse_numcmp(value, max, kAllowAll);
  if (!c) return invalid(keyword, quoted(value) + " is not a valid value");
  if (never_matches(*c, max)) return invalid(keyword, never_matches_message(value));
  TxTest t;
  t.kind = kind;
  t.proto = proto;
  t.cmp = *c;
  b.rule.tx_tests.push_back(std::move(t));
  return std::nullopt;
}

MaybeFailure parse_dns_opcode(RuleBuilder& b, std::string_view value) {
  return numeric_test(b, "dns.opcode", TxTest::Kind::kDnsOpcode, AppProto::kDns, value, 15);
}

MaybeFailure parse_dns_rrtype(RuleBuilder& b, std::string_view value) {
  return numeric_test(b, "dns.rrtype", TxTest::Kind::kDnsRrtype, AppProto::kDns, value, 65535);
}

// tls.version:1.0|1.1|1.2|1.3 or a 16-bit number (0x0303).
MaybeFailure parse_tls_version(RuleBuilder& b, std::string_view value) {
  static constexpr std::pair<std::string_view, std::int64_t> kNames[] = {
      {"1.0", 0x0301}, {"1.1", 0x0302}, {"1.2", 0x0303}, {"1.3", 0x0304}};
  TxTest t;
  t.kind = TxTest::Kind::kTlsVersion;
  t.proto = AppProto::kTls;
  bool found = false;
  for (const auto& [name, number] : kNames) {
    if (value == name) {
      t.cmp.a = number;
      found = true;
    }
  }
  if (!found) {
    auto n = parse_c_unsigned(value);
    if (!n || *n > 0xffff) return invalid("tls.version", quoted(value) + " is not a TLS version");
    t.cmp.a = static_cast<std::int64_t>(*n);
  }
  b.rule.tx_tests.push_back(std::move(t));
  return std::nullopt;
}

// ssl_version:sslv3,tls1.0 (any of them) or !sslv2,!sslv3 (none of them).
MaybeFailure parse_ssl_version(RuleBuilder& b, std::string_view value) {
  static constexpr std::pair<std::string_view, std::uint32_t> kNames[] = {
      {"sslv2", kSslVersionSsl2},   {"sslv3", kSslVersionSsl3},   {"tls1.0", kSslVersionTls10},
      {"tls1.1", kSslVersionTls11}, {"tls1.2", kSslVersionTls12}, {"tls1.3", kSslVersionTls13}};
  TxTest t;
  t.kind = TxTest::Kind::kSslVersion;
  t.proto = AppProto::kTls;
  int negated = 0, items = 0;
  for (std::string_view item : split(value, ',')) {
    ++items;
    if (!item.empty() && item[0] == '!') {
      ++negated;
      item = trim(item.substr(1));
    }
    const std::string name = to_lower(item);
    std::uint32_t bit = 0;
    for (const auto& [n, v] : kNames) {
      if (n == name) bit = v;
    }
    if (bit == 0) return invalid("ssl_version", "unknown version " + quoted(item));
    t.mask |= bit;
  }
  if (negated != 0 && negated != items) {
    return not_supported("ssl_version mixing negated and plain versions not supported yet");
  }
  t.negated = negated != 0;
  b.rule.tx_tests.push_back(std::move(t));
  return std::nullopt;
}

// ssl_state:client_hello|server_hello: the handshake reached one of them. mask bit 0: the
// ClientHello, bit 1: the ServerHello.
MaybeFailure parse_ssl_state(RuleBuilder& b, std::string_view value) {
  TxTest t;
  t.kind = TxTest::Kind::kSslState;
  t.proto = AppProto::kTls;
  for (std::string_view item : split(value, '|')) {
    const std::string name = to_lower(item);
    if (name == "client_hello") {
      t.mask |= 1;
    } else if (name == "server_hello") {
      t.mask |= 2;
    } else if (name == "client_keyx" || name == "server_keyx" || name == "unknown" ||
               (!name.empty() && name[0] == '!')) {
      return not_supported("ssl_state " + quoted(item) + " not supported yet");
    } else {
      return invalid("ssl_state", "unknown state " + quoted(item));
    }
  }
  b.rule.tx_tests.push_back(std::move(t));
  return std::nullopt;
}

MaybeFailure text_test(RuleBuilder& b, std::string_view keyword, TxTest::Kind kind,
                       std::string_view value) {
  TxTest t;
  t.kind = kind;
  t.proto = AppProto::kTls;
  if (!value.empty() && value[0] == '!') {
    t.negated = true;
    value = trim(value.substr(1));
  }
  t.text = unescape(strip_quotes(value));
  if (t.text.empty()) return invalid(keyword, "empty value");
  b.rule.tx_tests.push_back(std::move(t));
  return std::nullopt;
}

MaybeFailure parse_tls_subject(RuleBuilder& b, std::string_view value) {
  return text_test(b, "tls.subject", TxTest::Kind::kTlsSubject, value);
}

MaybeFailure parse_tls_issuerdn(RuleBuilder& b, std::string_view value) {
  return text_test(b, "tls.issuerdn", TxTest::Kind::kTlsIssuer, value);
}

// A date as Suricata's tls_cert_notbefore/notafter take it: YYYY[-MM[-DD[THH:MM[:SS]]]] (UTC)
// or seconds since the epoch; seconds since the epoch.
std::optional<std::int64_t> parse_date(std::string_view s) {
  s = trim(s);
  if (is_digits(s) && s.size() > 4) return parse_decimal(s, std::numeric_limits<std::int32_t>::max());
  int fields[6] = {0, 1, 1, 0, 0, 0};
  const char seps[] = {'-', '-', 'T', ':', ':'};
  std::size_t pos = 0;
  int n = 0;
  while (n < 6) {
    std::size_t end = pos;
    while (end < s.size() && s[end] >= '0' && s[end] <= '9') ++end;
    if (end == pos) return std::nullopt;
    auto v = parse_decimal(s.substr(pos, end - pos), 9999);
    if (!v) return std::nullopt;
    fields[n++] = static_cast<int>(*v);
    if (end == s.size()) break;
    if (n == 6 || s[end] != seps[n - 1]) return std::nullopt;
    pos = end + 1;
  }
  if (fields[1] < 1 || fields[1] > 12 || fields[2] < 1 || fields[2] > 31 || fields[3] > 23 ||
      fields[4] > 59 || fields[5] > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = fields[0] - 1900;
  tm.tm_mon = fields[1] - 1;
  tm.tm_mday = fields[2];
  tm.tm_hour = fields[3];
  tm.tm_min = fields[4];
  tm.tm_sec = fields[5];
  return static_cast<std::int64_t>(timegm(&tm));
}

// tls_cert_notbefore / notafter: DATE (equal), <DATE, >DATE, DATE<>DATE (between).
MaybeFailure date_test(RuleBuilder& b, std::string_view keyword, TxTest::Kind kind,
                       std::string_view value) {
  TxTest t;
  t.kind = kind;
  t.proto = AppProto::kTls;
  const std::size_t range = value.find("<>");
  std::optional<std::int64_t> a, c;
  if (range != std::string_view::npos) {
    a = parse_date(value.substr(0, range));
    c = parse_date(value.substr(range + 2));
    t.cmp.op = NumCmp::Op::kRangeExclusive;
  } else if (!value.empty() && (value[0] == '<' || value[0] == '>')) {
    a = parse_date(value.substr(1));
    t.cmp.op = value[0] == '<' ? NumCmp::Op::kLt : NumCmp::Op::kGt;
    c = 0;
  } else {
    a = parse_date(value);
    c = 0;
  }
  if (!a || !c) return invalid(keyword, quoted(value) + " is not a date");
  t.cmp.a = *a;
  t.cmp.b = *c;
  b.rule.tx_tests.push_back(std::move(t));
  return std::nullopt;
}

MaybeFailure parse_notbefore(RuleBuilder& b, std::string_view value) {
  return date_test(b, "tls_cert_notbefore", TxTest::Kind::kCertNotBefore, value);
}

MaybeFailure parse_notafter(RuleBuilder& b, std::string_view value) {
  return date_test(b, "tls_cert_notafter", TxTest::Kind::kCertNotAfter, value);
}

template <TxTest::Kind K>
MaybeFailure flag_test(RuleBuilder& b, const KeywordDef&, const Option&) {
  TxTest t;
  t.kind = K;
  t.proto = AppProto::kTls;
  b.rule.tx_tests.push_back(std::move(t));
  return std::nullopt;
}

// ftpbounce (no value): a PORT command announcing another address than the client's.
MaybeFailure parse_ftpbounce(RuleBuilder& b, const KeywordDef&, const Option&) {
  TxTest t;
  t.kind = TxTest::Kind::kFtpBounce;
  t.proto = AppProto::kFtp;
  b.rule.tx_tests.push_back(std::move(t));
  return std::nullopt;
}

MaybeFailure parse_ftp_dynamic_port(RuleBuilder& b, std::string_view value) {
  return numeric_test(b, "ftp.dynamic_port", TxTest::Kind::kFtpDynamicPort, AppProto::kFtp, value,
                      65535);
}

// ftp.mode:active|passive.
MaybeFailure parse_ftp_mode(RuleBuilder& b, std::string_view value) {
  TxTest t;
  t.kind = TxTest::Kind::kFtpMode;
  t.proto = AppProto::kFtp;
  const std::string v = to_lower(trim(value));
  if (v == "active") {
    t.mask = 1;
  } else if (v == "passive") {
    t.mask = 2;
  } else {
    return invalid("ftp.mode", quoted(value) + " is not active or passive");
  }
  b.rule.tx_tests.push_back(std::move(t));
  return std::nullopt;
}

// ftp.reply_received:yes|no.
MaybeFailure parse_ftp_reply_received(RuleBuilder& b, std::string_view value) {
  TxTest t;
  t.kind = TxTest::Kind::kFtpReplyReceived;
  t.proto = AppProto::kFtp;
  const std::string v = to_lower(trim(value));
  if (v != "yes" && v != "no") return invalid("ftp.reply_received", quoted(value) + " is not yes or no");
  t.negated = v == "no";
  b.rule.tx_tests.push_back(std::move(t));
  return std::nullopt;
}

// The legacy ssh.protoversion:2.0|2_compat and ssh.softwareversion:TEXT (prefix compares).
MaybeFailure ssh_text_test(RuleBuilder& b, std::string_view keyword, TxTest::Kind kind,
                           std::string_view value) {
  TxTest t;
  t.kind = kind;
  t.proto = AppProto::kSsh;
  t.text = unescape(strip_quotes(trim(value)));
  if (t.text.empty()) return invalid(keyword, "empty value");
  b.rule.tx_tests.push_back(std::move(t));
  return std::nullopt;
}

MaybeFailure parse_ssh_protoversion(RuleBuilder& b, std::string_view value) {
  return ssh_text_test(b, "ssh.protoversion", TxTest::Kind::kSshProtoVersion, value);
}

MaybeFailure parse_ssh_softwareversion(RuleBuilder& b, std::string_view value) {
  return ssh_text_test(b, "ssh.softwareversion", TxTest::Kind::kSshSoftwareVersion, value);
}

constexpr KeywordDef kAppLayerKeywords[] = {
    {.name = "app-layer-protocol",
     .family = KeywordFamily::kAppLayer,
     .parse = with_value<parse_app_layer_protocol>},
    {.name = "app-layer-event",
     .family = KeywordFamily::kAppLayer,
     .parse = with_value<parse_app_layer_event>},
    {.name = "dns.opcode", .family = KeywordFamily::kAppLayer, .parse = with_value<parse_dns_opcode>},
    {.name = "dns.rrtype", .family = KeywordFamily::kAppLayer, .parse = with_value<parse_dns_rrtype>},
    {.name = "tls.version",
     .family = KeywordFamily::kAppLayer,
     .parse = with_value<parse_tls_version>},
    {.name = "ssl_version",
     .family = KeywordFamily::kAppLayer,
     .parse = with_value<parse_ssl_version>},
    {.name = "ssl_state", .family = KeywordFamily::kAppLayer, .parse = with_value<parse_ssl_state>},
    {.name = "tls.subject",
     .family = KeywordFamily::kAppLayer,
     .parse = with_value<parse_tls_subject>},
    {.name = "tls.issuerdn",
     .family = KeywordFamily::kAppLayer,
     .parse = with_value<parse_tls_issuerdn>},
    {.name = "tls_cert_notbefore",
     .family = KeywordFamily::kAppLayer,
     .parse = with_value<parse_notbefore>},
    {.name = "tls_cert_notafter",
     .family = KeywordFamily::kAppLayer,
     .parse = with_value<parse_notafter>},
    {.name = "tls_cert_expired",
     .family = KeywordFamily::kAppLayer,
     .value = ValueForm::kNone,
     .parse = flag_test<TxTest::Kind::kCertExpired>},
    {.name = "ftpbounce",
     .family = KeywordFamily::kAppLayer,
     .value = ValueForm::kNone,
     .parse = parse_ftpbounce},
    {.name = "ftp.dynamic_port",
     .family = KeywordFamily::kAppLayer,
     .parse = with_value<parse_ftp_dynamic_port>},
    {.name = "ftp.mode", .family = KeywordFamily::kAppLayer, .parse = with_value<parse_ftp_mode>},
    {.name = "ftp.reply_received",
     .family = KeywordFamily::kAppLayer,
     .parse = with_value<parse_ftp_reply_received>},
    {.name = "ssh.protoversion",
     .family = KeywordFamily::kAppLayer,
     .parse = with_value<parse_ssh_protoversion>},
    {.name = "ssh_protoversion",
     .family = KeywordFamily::kAppLayer,
     .parse = with_value<parse_ssh_protoversion>},
    {.name = "ssh.softwareversion",
     .family = KeywordFamily::kAppLayer,
     .parse = with_value<parse_ssh_softwareversion>},
    {.name = "ssh_softwareversion",
     .family = KeywordFamily::kAppLayer,
     .parse = with_value<parse_ssh_softwareversion>},
    {.name = "tls_cert_valid",
     .family = KeywordFamily::kAppLayer,
     .value = ValueForm::kNone,
     .parse = flag_test<TxTest::Kind::kCertValid>},
};

}  // namespace

MaybeFailure header_app_proto(std::string_view name, AppProto& out) {
  return app_proto_of("protocol", name, out);
}

std::span<const KeywordDef> applayer_keywords() { return kAppLayerKeywords; }

}  // namespace wp::detect::lang
