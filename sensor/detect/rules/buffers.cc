#include "detect/rules/buffers.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace wp::detect {
namespace {

// The table. A row's position is its BufferId (kPktData, kBase64Data).
constexpr BufferDef kBuffers[] = {
    {.name = "pkt_data",
     .app_proto = "",
     .directions = kBothDirections,
     .scope = BufferScope::kPacket,
     .prefilter = true},
    {.name = "base64_data",
     .app_proto = "",
     .directions = kBothDirections,
     .scope = BufferScope::kPacket,
     .prefilter = false,
     .produced_by = "base64_decode"},
    {.name = "dns.query", .app_proto = "dns", .directions = kToServerOnly,
     .scope = BufferScope::kTransaction, .multi = true},
    {.name = "dns.queries.rrname", .app_proto = "dns", .directions = kBothDirections,
     .scope = BufferScope::kTransaction, .multi = true},
    {.name = "dns.answer.name", .app_proto = "dns", .directions = kToClientOnly,
     .scope = BufferScope::kTransaction, .multi = true},
    {.name = "tls.sni", .app_proto = "tls", .directions = kToServerOnly,
     .scope = BufferScope::kTransaction, .progress = kTlsClientHello},
    {.name = "ja3.hash", .app_proto = "tls", .directions = kToServerOnly,
     .scope = BufferScope::kTransaction, .progress = kTlsClientHello},
    {.name = "ja3.string", .app_proto = "tls", .directions = kToServerOnly,
     .scope = BufferScope::kTransaction, .progress = kTlsClientHello},
    {.name = "ja3s.hash", .app_proto = "tls", .directions = kToClientOnly,
     .scope = BufferScope::kTransaction, .progress = kTlsServerHello},
    {.name = "ja3s.string", .app_proto = "tls", .directions = kToClientOnly,
     .scope = BufferScope::kTransaction, .progress = kTlsServerHello},
    {.name = "tls.cert_subject", .app_proto = "tls", .directions = kToClientOnly,
     .scope = BufferScope::kTransaction, .progress = kTlsCertificate},
    {.name = "tls.cert_issuer", .app_proto = "tls", .directions = kToClientOnly,
     .scope = BufferScope::kTransaction, .progress = kTlsCertificate},
    {.name = "tls.cert_serial", .app_proto = "tls", .directions = kToClientOnly,
     .scope = BufferScope::kTransaction, .progress = kTlsCertificate},
    {.name = "tls.cert_fingerprint", .app_proto = "tls", .directions = kToClientOnly,
     .scope = BufferScope::kTransaction, .progress = kTlsCertificate},
    {.name = "tls.certs", .app_proto = "tls", .directions = kToClientOnly,
     .scope = BufferScope::kTransaction, .progress = kTlsCertificate, .multi = true},
    {.name = "http.uri", .app_proto = "http", .directions = kToServerOnly,
     .scope = BufferScope::kTransaction, .progress = kHttpLine},
    {.name = "http.uri.raw", .app_proto = "http", .directions = kToServerOnly,
     .scope = BufferScope::kTransaction, .progress = kHttpLine},
    {.name = "http.method", .app_proto = "http", .directions = kToServerOnly,
     .scope = BufferScope::kTransaction, .progress = kHttpLine},
    {.name = "http.request_line", .app_proto = "http", .directions = kToServerOnly,
     .scope = BufferScope::kTransaction, .progress = kHttpLine},
    {.name = "http.protocol", .app_proto = "http", .directions = kBothDirections,
     .scope = BufferScope::kTransaction, .progress = kHttpLine},
    {.name = "http.host", .app_proto = "http", .directions = kToServerOnly,
     .scope = BufferScope::kTransaction, .progress = kHttpHeaders},
    {.name = "http.host.raw", .app_proto = "http", .directions = kToServerOnly,
     .scope = BufferScope::kTransaction, .progress = kHttpHeaders},
    {.name = "http.user_agent", .app_proto = "http", .directions = kToServerOnly,
     .scope = BufferScope::kTransaction, .progress = kHttpHeaders},
    {.name = "http.referer", .app_proto = "http", .directions = kToServerOnly,
     .scope = BufferScope::kTransaction, .progress = kHttpHeaders},
    {.name = "http.accept", .app_proto = "http", .directions = kToServerOnly,
     .scope = BufferScope::kTransaction, .progress = kHttpHeaders},
    {.name = "http.accept_enc", .app_proto = "http", .directions = kToServerOnly,
     .scope = BufferScope::kTransaction, .progress = kHttpHeaders},
    {.name = "http.accept_lang", .app_proto = "http", .directions = kToServerOnly,
     .scope = BufferScope::kTransaction, .progress = kHttpHeaders},
    {.name = "http.cookie", .app_proto = "http", .directions = kBothDirections,
     .scope = BufferScope::kTransaction, .progress = kHttpHeaders},
    {.name = "http.header", .app_proto = "http", .directions = kBothDirections,
     .scope = BufferScope::kTransaction, .progress = kHttpHeaders},
    {.name = "http.header.raw", .app_proto = "http", .directions = kBothDirections,
     .scope = BufferScope::kTransaction, .progress = kHttpHeaders},
    {.name = "http.header_names", .app_proto = "http", .directions = kBothDirections,
     .scope = BufferScope::kTransaction, .progress = kHttpHeaders},
    {.name = "http.content_type", .app_proto = "http", .directions = kBothDirections,
     .scope = BufferScope::kTransaction, .progress = kHttpHeaders},
    {.name = "http.content_len", .app_proto = "http", .directions = kBothDirections,
     .scope = BufferScope::kTransaction, .progress = kHttpHeaders},
    {.name = "http.connection", .app_proto = "http", .directions = kBothDirections,
     .scope = BufferScope::kTransaction, .progress = kHttpHeaders},
    {.name = "http.start", .app_proto = "http", .directions = kBothDirections,
     .scope = BufferScope::kTransaction, .progress = kHttpHeaders},
    {.name = "http.request_body", .app_proto = "http", .directions = kToServerOnly,
     .scope = BufferScope::kTransaction, .progress = kHttpBody},
    {.name = "http.stat_code", .app_proto = "http", .directions = kToClientOnly,
     .scope = BufferScope::kTransaction, .progress = kHttpLine},
    {.name = "http.stat_msg", .app_proto = "http", .directions = kToClientOnly,
     .scope = BufferScope::kTransaction, .progress = kHttpLine},
    {.name = "http.response_line", .app_proto = "http", .directions = kToClientOnly,
     .scope = BufferScope::kTransaction, .progress = kHttpLine},
    {.name = "http.location", .app_proto = "http", .directions = kToClientOnly,
     .scope = BufferScope::kTransaction, .progress = kHttpHeaders},
    {.name = "http.server", .app_proto = "http", .directions = kToClientOnly,
     .scope = BufferScope::kTransaction, .progress = kHttpHeaders},
    {.name = "http.response_body", .app_proto = "http", .directions = kToClientOnly,
     .scope = BufferScope::kTransaction, .progress = kHttpBody},
    {.name = "file.data", .app_proto = "http", .directions = kBothDirections,
     .scope = BufferScope::kTransaction, .progress = kHttpBody},
    {.name = "smtp.helo", .app_proto = "smtp", .directions = kToServerOnly,
     .scope = BufferScope::kTransaction, .progress = kSmtpCommand},
    {.name = "smtp.mail_from", .app_proto = "smtp", .directions = kToServerOnly,
     .scope = BufferScope::kTransaction, .progress = kSmtpCommand},
    {.name = "smtp.rcpt_to", .app_proto = "smtp", .directions = kToServerOnly,
     .scope = BufferScope::kTransaction, .progress = kSmtpCommand, .multi = true},
    // Found by id only (find_buffer("file.data") is HTTP's row above).
    {.name = "file.data", .app_proto = "smtp", .directions = kToServerOnly,
     .scope = BufferScope::kTransaction, .progress = kSmtpData, .multi = true},
    {.name = "ftp.command", .app_proto = "ftp", .directions = kToServerOnly,
     .scope = BufferScope::kTransaction, .progress = kFtpRequest},
    {.name = "ftp.command_data", .app_proto = "ftp", .directions = kToServerOnly,
     .scope = BufferScope::kTransaction, .progress = kFtpRequest},
    {.name = "ftp.completion_code", .app_proto = "ftp", .directions = kToClientOnly,
     .scope = BufferScope::kTransaction, .progress = kFtpResponse, .multi = true},
    {.name = "ftp.reply", .app_proto = "ftp", .directions = kToClientOnly,
     .scope = BufferScope::kTransaction, .progress = kFtpResponse, .multi = true},
    {.name = "ssh.proto", .app_proto = "ssh", .directions = kBothDirections,
     .scope = BufferScope::kTransaction, .progress = kSshBanner},
    {.name = "ssh.software", .app_proto = "ssh", .directions = kBothDirections,
     .scope = BufferScope::kTransaction, .progress = kSshBanner},
    {.name = "ssh.hassh", .app_proto = "ssh", .directions = kToServerOnly,
     .scope = BufferScope::kTransaction, .progress = kSshKexinit},
    {.name = "ssh.hassh.string", .app_proto = "ssh", .directions = kToServerOnly,
     .scope = BufferScope::kTransaction, .progress = kSshKexinit},
    {.name = "ssh.hassh.server", .app_proto = "ssh", .directions = kToClientOnly,
     .scope = BufferScope::kTransaction, .progress = kSshKexinit},
    {.name = "ssh.hassh.server.string", .app_proto = "ssh", .directions = kToClientOnly,
     .scope = BufferScope::kTransaction, .progress = kSshKexinit},
    // Packet headers (Suricata's ipv4.hdr, ...): the innermost packet's header bytes.
    {.name = "ipv4.hdr", .header = true},
    {.name = "ipv6.hdr", .header = true},
    {.name = "tcp.hdr", .header = true, .header_proto = "tcp"},
    {.name = "udp.hdr", .header = true, .header_proto = "udp"},
    {.name = "icmpv4.hdr", .header = true, .header_proto = "icmp"},
    {.name = "icmpv6.hdr", .header = true, .header_proto = "icmp"},
};
static_assert(std::size(kBuffers) == kIcmpv6Hdr + 1, "the BufferId constants follow the table");
static_assert(kIcmpv6Hdr + 1 - kFirstHeaderBuffer == kHeaderBuffers);

// Legacy names (Suricata 4/5, Snort-edition ET) of rows above.
constexpr std::pair<std::string_view, std::string_view> kBufferAliases[] = {
    {"dns_query", "dns.query"},
    {"tls_sni", "tls.sni"},
    {"tls_cert_subject", "tls.cert_subject"},
    {"tls_cert_issuer", "tls.cert_issuer"},
    {"tls_cert_serial", "tls.cert_serial"},
    {"tls_cert_fingerprint", "tls.cert_fingerprint"},
    {"ja3_hash", "ja3.hash"},
    {"ja3_string", "ja3.string"},
    {"ja3s_hash", "ja3s.hash"},
    {"ja3s_string", "ja3s.string"},
    // Suricata 5's sticky HTTP buffers in their legacy names (http_uri, http_header, ... are
    // content modifiers instead: keywords_payload.cc).
    {"file_data", "file.data"},
    {"http_request_line", "http.request_line"},
    {"http_response_line", "http.response_line"},
    {"http_accept", "http.accept"},
    {"http_accept_enc", "http.accept_enc"},
    {"http_accept_lang", "http.accept_lang"},
    {"http_start", "http.start"},
    {"http_protocol", "http.protocol"},
    {"http_content_type", "http.content_type"},
    {"http_content_len", "http.content_len"},
    {"http_connection", "http.connection"},
    {"http_referer", "http.referer"},
    {"http_header_names", "http.header_names"},
    // Suricata 5's SSH sticky buffers.
    {"ssh_proto", "ssh.proto"},
    {"ssh_software", "ssh.software"},
};
static_assert(std::size(kBuffers) < 255, "BufferId is 8 bits");

// Sticky buffers and content modifiers of app-layer (and packet-header) buffers, in
// Suricata's dotted names and the legacy underscore names Snort 2.9 rules use.
constexpr std::string_view kBufferKeywords[] = {
    // HTTP buffers without a row (HTTP/2, the raw cookie, response header names)
    "http.request_header", "http.response_header", "http2.header", "http2.header_name",
    "http_raw_cookie", "http.cookie.raw",
    // Files
    "file.name", "file.magic",
    // DNS and TLS buffers not in the table (its rows and their aliases are supported)
    "dns.query.name", "tls.subjectaltname", "tls.random", "tls.random_time", "tls.random_bytes",
    "tls.alpn", "ja4.hash",
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
    "ldap.responses.dn", "websocket.payload", "dnp3_data", "dnp3.data"};

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

}  // namespace

std::span<const BufferDef> buffer_table() { return kBuffers; }

std::optional<BufferId> find_buffer(std::string_view name) {
  for (const auto& [alias, row] : kBufferAliases) {
    if (alias == name) {
      name = row;
      break;
    }
  }
  for (std::size_t i = 0; i < std::size(kBuffers); ++i) {
    if (kBuffers[i].name == name) return static_cast<BufferId>(i);
  }
  return std::nullopt;
}

bool recognised_buffer(std::string_view name) {
  return std::find(std::begin(kBufferKeywords), std::end(kBufferKeywords), name) !=
         std::end(kBufferKeywords);
}

bool is_app_layer_protocol(std::string_view name) {
  return std::find(std::begin(kAppLayerProtocols), std::end(kAppLayerProtocols), name) !=
         std::end(kAppLayerProtocols);
}

std::vector<std::string_view> buffer_names_not_supported() {
  std::vector<std::string_view> out;
  for (std::string_view n : kBufferKeywords) {
    if (!find_buffer(n)) out.push_back(n);
  }
  return out;
}

std::vector<std::string_view> buffer_aliases() {
  std::vector<std::string_view> out;
  for (const auto& alias : kBufferAliases) out.push_back(alias.first);
  return out;
}

}  // namespace wp::detect
