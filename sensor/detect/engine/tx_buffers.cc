#include "detect/engine/tx_buffers.h"

#include <algorithm>

namespace wp::detect::txbuf {
namespace {

std::uint32_t ssl_version_bit(std::uint16_t v) {
  switch (v) {
    case 0x0200: return kSslVersionSsl2;
    case 0x0300: return kSslVersionSsl3;
    case 0x0301: return kSslVersionTls10;
    case 0x0302: return kSslVersionTls11;
    case 0x0303: return kSslVersionTls12;
    case 0x0304: return kSslVersionTls13;
    default: return 0;
  }
}

bool dns_holds(const TxTest& t, const applayer::DnsMessage& m) {
  switch (t.kind) {
    case TxTest::Kind::kDnsOpcode:
      return t.cmp.matches(m.opcode);
    case TxTest::Kind::kDnsRrtype:
      for (const applayer::DnsQuestion& q : m.questions) {
        if (t.cmp.matches(q.type)) return true;
      }
      return false;
    default:
      return false;
  }
}

bool tls_holds(const TxTest& t, const applayer::Transaction& tx, std::int64_t now) {
  const applayer::TlsInfo& info = *tx.tls;
  const applayer::TlsCertificate* leaf =
      info.certificates.empty() ? nullptr : &info.certificates[0];
  // The version the session runs: the ServerHello's, else what the client offered.
  const std::uint16_t version = info.server_hello ? info.version : info.client_version;
  switch (t.kind) {
    case TxTest::Kind::kTlsVersion:
      return info.server_hello && info.version == t.cmp.a;
    case TxTest::Kind::kSslVersion: {
      const bool listed = (ssl_version_bit(version) & t.mask) != 0;
      return listed != t.negated;
    }
    case TxTest::Kind::kSslState:
      return ((t.mask & 1) != 0 && info.client_hello) || ((t.mask & 2) != 0 && info.server_hello);
    case TxTest::Kind::kTlsSubject:
      return leaf != nullptr && (leaf->subject.find(t.text) != std::string::npos) != t.negated;
    case TxTest::Kind::kTlsIssuer:
      return leaf != nullptr && (leaf->issuer.find(t.text) != std::string::npos) != t.negated;
    case TxTest::Kind::kCertNotBefore:
      return leaf != nullptr && t.cmp.matches(leaf->not_before);
    case TxTest::Kind::kCertNotAfter:
      return leaf != nullptr && t.cmp.matches(leaf->not_after);
    case TxTest::Kind::kCertExpired:
      return leaf != nullptr && now > leaf->not_after;
    case TxTest::Kind::kCertValid:
      return leaf != nullptr && now >= leaf->not_before && now <= leaf->not_after;
    default:
      return false;
  }
}

// ftpbounce as Suricata: a PORT command (IPv4) whose address is not the client's.
bool ftp_holds(const TxTest& t, const applayer::FtpTransaction& ftp, const IpAddress& client) {
  switch (t.kind) {
    case TxTest::Kind::kFtpBounce:
      return ftp.port_v4 && client.is_v4() &&
             !std::equal(ftp.port_ip, ftp.port_ip + 4, client.bytes.begin() + 12);
    case TxTest::Kind::kFtpDynamicPort:
      return ftp.mode != applayer::FtpMode::kNone && t.cmp.matches(ftp.dynamic_port);
    case TxTest::Kind::kFtpMode:
      return (ftp.mode == applayer::FtpMode::kActive && (t.mask & 1) != 0) ||
             (ftp.mode == applayer::FtpMode::kPassive && (t.mask & 2) != 0);
    case TxTest::Kind::kFtpReplyReceived:
      return ftp.reply_received != t.negated;
    default:
      return false;
  }
}

// The legacy ssh.protoversion / ssh.softwareversion: the side of the point's direction; a
// prefix compare as Suricata's; "2_compat" is 2.0 or 1.99.
bool ssh_holds(const TxTest& t, const applayer::Transaction& tx) {
  const applayer::SshSide& side = tx.to_server ? tx.ssh->client() : tx.ssh->server();
  if (!side.banner) return false;
  switch (t.kind) {
    case TxTest::Kind::kSshProtoVersion:
      if (t.text == "2_compat") return side.proto.starts_with("2.") || side.proto == "1.99";
      return side.proto.starts_with(t.text);
    case TxTest::Kind::kSshSoftwareVersion:
      return side.software.starts_with(t.text);
    default:
      return false;
  }
}

using Span = std::span<const std::uint8_t>;

// The request's or response's part is parsed: its line, its headers, its body (complete, or
// cut at the body limit: the stage reports the body point then).
bool reached(const applayer::HttpMessage& m, std::uint8_t point) {
  switch (point) {
    case applayer::kHttpLine: return !m.line().empty();
    case applayer::kHttpHeaders: return m.headers_done();
    default: return m.complete() || m.body_truncated();
  }
}

Span header_of(const applayer::HttpMessage& m, std::string_view name) {
  return bytes(m.header(name));
}

// The bytes of HTTP buffer `id` from transaction `t`, `m` being the message it reads.
Span http_part(const applayer::HttpTransaction& t, const applayer::HttpMessage& m, bool request,
               BufferId id) {
  switch (id) {
    case kHttpUri: return bytes(t.uri());
    case kHttpUriRaw: return bytes(t.uri_raw());
    case kHttpMethod: return bytes(t.method());
    case kHttpRequestLine:
    case kHttpResponseLine: return bytes(m.line());
    case kHttpProtocol: return bytes(request ? t.request_protocol() : t.response_protocol());
    case kHttpHost: return bytes(t.host());
    case kHttpHostRaw: return bytes(t.host_raw());
    case kHttpUserAgent: return header_of(m, "User-Agent");
    case kHttpReferer: return header_of(m, "Referer");
    case kHttpAccept: return header_of(m, "Accept");
    case kHttpAcceptEnc: return header_of(m, "Accept-Encoding");
    case kHttpAcceptLang: return header_of(m, "Accept-Language");
    case kHttpCookie: return header_of(m, request ? "Cookie" : "Set-Cookie");
    case kHttpHeader: return bytes(m.normalized_headers());
    case kHttpHeaderRaw: return bytes(m.raw_headers());
    case kHttpHeaderNames: return bytes(m.header_names());
    case kHttpContentType: return header_of(m, "Content-Type");
    case kHttpContentLen: return header_of(m, "Content-Length");
    case kHttpConnection: return header_of(m, "Connection");
    case kHttpStart: return bytes(m.start());
    case kHttpStatCode: return bytes(t.status_code());
    case kHttpStatMsg: return bytes(t.status_message());
    case kHttpLocation: return header_of(m, "Location");
    case kHttpServer: return header_of(m, "Server");
    case kHttpRequestBody:
    case kHttpResponseBody:
    case kFileData: return m.body();
    default: return {};
  }
}

}  // namespace

std::optional<Span> http_buffer(const applayer::Transaction& tx, BufferId id) {
  const applayer::HttpTransaction& t = *tx.http;
  const BufferDef& def = buffer_def(id);
  if (def.app_proto != "http") return std::nullopt;
  const bool request =
      def.directions == kToServerOnly || (def.directions == kBothDirections && tx.to_server);
  if (request && !t.has_request()) return std::nullopt;
  const applayer::HttpMessage& m = request ? t.request() : t.response();
  if (!reached(m, def.progress)) return std::nullopt;
  // An absent header or an empty part is no buffer (as in Suricata): no content matches it,
  // not even a negated one.
  const Span data = http_part(t, m, request, id);
  if (data.empty()) return std::nullopt;
  return data;
}

bool holds(const TxTest& test, const applayer::Transaction& tx, std::int64_t now,
           const IpAddress& client) {
  if (test.proto != tx.proto) return false;
  if (test.kind == TxTest::Kind::kAppLayerEvent) return (tx.events & test.mask) != 0;
  if (tx.dns != nullptr) return dns_holds(test, *tx.dns);
  if (tx.ftp != nullptr) return ftp_holds(test, *tx.ftp, client);
  if (tx.ssh != nullptr) return ssh_holds(test, tx);
  if (tx.tls != nullptr) return tls_holds(test, tx, now);
  return false;
}

}  // namespace wp::detect::txbuf
