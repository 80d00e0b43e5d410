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
     .transforms = kNoTransforms,
     .prefilter = true},
    {.name = "base64_data",
     .app_proto = "",
     .directions = kBothDirections,
     .scope = BufferScope::kPacket,
     .transforms = kNoTransforms,
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
};
static_assert(std::size(kBuffers) == kTlsCerts + 1, "the BufferId constants follow the table");

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
};
static_assert(std::size(kBuffers) < 255, "BufferId is 8 bits");

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
    "ldap.responses.dn", "websocket.payload", "dnp3_data", "dnp3.data",
    // Packet headers as buffers
    "ipv4.hdr", "ipv6.hdr", "tcp.hdr", "udp.hdr", "icmpv4.hdr", "icmpv6.hdr"};

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
