// The buffer table: every buffer a rule's payload keywords can inspect, with what the parser,
// the compiler and the engine need to know about it. One row per buffer; adding a buffer
// (http.uri, dns.query, ...) is one row here plus the code in the engine that fills it.
//
// Rows: `pkt_data` (the packet payload, or the reassembled stream of a tracked TCP session),
// `base64_data` (what a rule's base64_decode decoded), the packet header buffers (ipv4.hdr,
// ipv6.hdr, tcp.hdr, udp.hdr, icmpv4.hdr, icmpv6.hdr), and the transaction buffers the
// application layer fills (DNS: dns.query, dns.queries.rrname, dns.answer.name; TLS: tls.sni,
// the certificate fields, tls.certs, ja3/ja3s; HTTP: http.uri, ..., file.data; SMTP: smtp.helo,
// smtp.mail_from, smtp.rcpt_to, file.data; FTP: ftp.command, ...; SSH: ssh.proto, ssh.hassh, ...). Legacy names (dns_query, tls_sni, ja3_hash,
// ...) are aliases of their rows. Names recognised from Suricata's and Snort's rule languages
// that have no row yet make a rule "not supported yet" (recognised_buffer()).
//
// Static data; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "applayer/transaction.h"

namespace wp::detect {

// Index of a row of the buffer table.
using BufferId = std::uint8_t;
inline constexpr BufferId kPktData = 0;     // the packet payload / the reassembled stream
inline constexpr BufferId kBase64Data = 1;  // the output of the rule's base64_decode
// Transaction buffers (scope kTransaction), in table order.
inline constexpr BufferId kDnsQuery = 2;          // dns.query: each question's name (request)
inline constexpr BufferId kDnsQueriesRrname = 3;  // dns.queries.rrname: same, both directions
inline constexpr BufferId kDnsAnswerName = 4;     // dns.answer.name: each answer's name
inline constexpr BufferId kTlsSni = 5;
inline constexpr BufferId kJa3Hash = 6;
inline constexpr BufferId kJa3String = 7;
inline constexpr BufferId kJa3sHash = 8;
inline constexpr BufferId kJa3sString = 9;
inline constexpr BufferId kTlsCertSubject = 10;  // of the leaf certificate
inline constexpr BufferId kTlsCertIssuer = 11;
inline constexpr BufferId kTlsCertSerial = 12;
inline constexpr BufferId kTlsCertFingerprint = 13;
inline constexpr BufferId kTlsCerts = 14;  // each certificate's DER
inline constexpr BufferId kHttpUri = 15;  // http.uri: to server, request line: the normalized URI
inline constexpr BufferId kHttpUriRaw = 16;  // http.uri.raw
inline constexpr BufferId kHttpMethod = 17;  // http.method
inline constexpr BufferId kHttpRequestLine = 18;  // http.request_line
inline constexpr BufferId kHttpProtocol = 19;  // http.protocol: both: the request's / the response's
inline constexpr BufferId kHttpHost = 20;  // http.host: to server, request headers
inline constexpr BufferId kHttpHostRaw = 21;  // http.host.raw
inline constexpr BufferId kHttpUserAgent = 22;  // http.user_agent
inline constexpr BufferId kHttpReferer = 23;  // http.referer
inline constexpr BufferId kHttpAccept = 24;  // http.accept
inline constexpr BufferId kHttpAcceptEnc = 25;  // http.accept_enc
inline constexpr BufferId kHttpAcceptLang = 26;  // http.accept_lang
inline constexpr BufferId kHttpCookie = 27;  // http.cookie: both: Cookie / Set-Cookie
inline constexpr BufferId kHttpHeader = 28;  // http.header: both directions, headers point
inline constexpr BufferId kHttpHeaderRaw = 29;  // http.header.raw
inline constexpr BufferId kHttpHeaderNames = 30;  // http.header_names
inline constexpr BufferId kHttpContentType = 31;  // http.content_type
inline constexpr BufferId kHttpContentLen = 32;  // http.content_len
inline constexpr BufferId kHttpConnection = 33;  // http.connection
inline constexpr BufferId kHttpStart = 34;  // http.start
inline constexpr BufferId kHttpRequestBody = 35;  // http.request_body: to server, body point
inline constexpr BufferId kHttpStatCode = 36;  // http.stat_code: to client, response line
inline constexpr BufferId kHttpStatMsg = 37;  // http.stat_msg
inline constexpr BufferId kHttpResponseLine = 38;  // http.response_line
inline constexpr BufferId kHttpLocation = 39;  // http.location: to client, response headers
inline constexpr BufferId kHttpServer = 40;  // http.server
inline constexpr BufferId kHttpResponseBody = 41;  // http.response_body: to client, body point
inline constexpr BufferId kFileData = 42;  // file.data: both: the request's / the response's body
inline constexpr BufferId kSmtpHelo = 43;  // smtp.helo: to server, each command point
inline constexpr BufferId kSmtpMailFrom = 44;  // smtp.mail_from
inline constexpr BufferId kSmtpRcptTo = 45;  // smtp.rcpt_to: each recipient
// file.data in SMTP: the decoded MIME parts of the mail's message (a rule's file.data is
// this row when its protocol is smtp: rule_parser.cc).
inline constexpr BufferId kSmtpFileData = 46;
inline constexpr BufferId kFtpCommand = 47;  // ftp.command: to server, the command's verb
inline constexpr BufferId kFtpCommandData = 48;  // ftp.command_data: its argument
inline constexpr BufferId kFtpCompletionCode = 49;  // ftp.completion_code: to client, each line's code
inline constexpr BufferId kFtpReply = 50;  // ftp.reply: each reply line's text
inline constexpr BufferId kSshProto = 51;  // ssh.proto: both: the client's / the server's
inline constexpr BufferId kSshSoftware = 52;  // ssh.software
inline constexpr BufferId kSshHassh = 53;  // ssh.hassh: to server, the client's KEXINIT
inline constexpr BufferId kSshHasshString = 54;  // ssh.hassh.string
inline constexpr BufferId kSshHasshServer = 55;  // ssh.hassh.server: to client
inline constexpr BufferId kSshHasshServerString = 56;  // ssh.hassh.server.string
// Packet headers (scope kPacket, BufferDef::header): the innermost packet's, per packet.
inline constexpr BufferId kIpv4Hdr = 57;    // ipv4.hdr: the IPv4 header with its options
inline constexpr BufferId kIpv6Hdr = 58;    // ipv6.hdr: the IPv6 header and extension headers
inline constexpr BufferId kTcpHdr = 59;     // tcp.hdr: the TCP header with its options
inline constexpr BufferId kUdpHdr = 60;     // udp.hdr: the 8-byte UDP header
inline constexpr BufferId kIcmpv4Hdr = 61;  // icmpv4.hdr
inline constexpr BufferId kIcmpv6Hdr = 62;  // icmpv6.hdr
inline constexpr BufferId kFirstHeaderBuffer = kIpv4Hdr;
inline constexpr int kHeaderBuffers = 6;

// Which directions of a flow carry the buffer.
enum BufferDirections : std::uint8_t { kToServerOnly = 1, kToClientOnly = 2, kBothDirections = 3 };

// Per packet (the engine fills it for every packet or stream chunk) or per application-layer
// transaction (filled when the parser completes a part of a transaction).
enum class BufferScope : std::uint8_t { kPacket, kTransaction };

// Transforms (dotprefix, to_lowercase, ...: rules/rule.h TransformOp) apply to transaction
// buffers (scope kTransaction); on the packet buffers they are "not supported yet".

// Progress points of a transaction, per direction: applayer/transaction.h.
using applayer::kMaxProgress;
using applayer::kProgressMessage;
using applayer::kTlsCertificate;
using applayer::kTlsClientHello;
using applayer::kTlsServerHello;
using applayer::kHttpBody;
using applayer::kHttpHeaders;
using applayer::kHttpLine;
using applayer::kFtpRequest;
using applayer::kFtpResponse;
using applayer::kSmtpCommand;
using applayer::kSmtpData;
using applayer::kSshBanner;
using applayer::kSshKexinit;

struct BufferDef {
  std::string_view name;       // the sticky-buffer keyword, e.g. "pkt_data", "http.uri"
  std::string_view app_proto;  // the application protocol that fills it; "" for any traffic
  std::uint8_t directions = kBothDirections;
  BufferScope scope = BufferScope::kPacket;
  // The buffer exists before any rule runs, so its contents can be fast patterns (one
  // Hyperscan database per rule group of this buffer). base64_data is produced by the rule
  // itself: its contents are verified, never prefiltered.
  bool prefilter = true;
  // The buffer is produced by a keyword of the rule (base64_decode): the parser allows the
  // sticky keyword only after that keyword.
  std::string_view produced_by = {};
  // Transaction buffers: the progress point (in each of its directions) at which the parser
  // makes it available; it is inspected then, once.
  std::uint8_t progress = 0;
  // Several instances per transaction (each question's name, each certificate): a rule's
  // items of this buffer must all match within one instance.
  bool multi = false;
  // A packet header (ipv4.hdr, tcp.hdr, ...): a rule inspecting it is a packet rule (never a
  // stream rule), and its rule protocol must allow `header_proto` ("" for any), as Suricata.
  bool header = false;
  std::string_view header_proto = {};
};

// Every row, indexed by BufferId.
std::span<const BufferDef> buffer_table();
inline const BufferDef& buffer_def(BufferId id) { return buffer_table()[id]; }
// The row named `name` (the sticky keyword or a legacy alias: dns_query, tls_sni, ...), if any.
std::optional<BufferId> find_buffer(std::string_view name);

// A buffer or buffer modifier of Suricata's or Snort's rule languages without a row yet
// (app-layer and header buffers: http.uri, http_uri, dns.query, tcp.hdr, ...).
bool recognised_buffer(std::string_view name);
// An application-layer protocol Suricata accepts in a rule header ("http", "dns", ...).
bool is_app_layer_protocol(std::string_view name);

// For --list-keywords: the buffer names recognised without a row yet, and the legacy names
// (dns_query, ...) that stand for a row.
std::vector<std::string_view> buffer_names_not_supported();
std::vector<std::string_view> buffer_aliases();

}  // namespace wp::detect
