#include "applayer/stage.h"

#include "applayer/http.h"
#include "common/text.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

namespace wp::applayer {
namespace {

// Bytes of each direction kept while detection is undecided: every signature below decides
// within them (the longest is a DNS-over-TCP length and header, 14 bytes).
constexpr std::size_t kProbeBytes = 16;
// SMTP and FTP are decided by both sides: the server's 220 banner and the client's first
// command. A direction whose start is one of the two halves is kept whole, up to this many
// bytes, until the other side decides, so that its parser reads it from the first byte (the
// banner is FTP's transaction 0, SMTP's greeting). Twice RFC 5321's 512-byte reply line: a
// banner line and the first lines of a multi-line FTP welcome. Beyond it the start is not
// kept: detection still decides, and the parser starts at the bytes that follow.
constexpr std::size_t kKeptBytes = 1024;
constexpr std::uint16_t kDnsPort = 53;
constexpr int kRecentQueries = 4;  // DNS ids remembered per flow to pair responses with queries

enum class Probe : std::uint8_t { kNeedMore, kNone, kMatch };

struct Verdict {
  Probe probe = Probe::kNone;
  AppProto proto = AppProto::kUnknown;
};

// `d` starts with `sig` (kMatch), is a shorter beginning of it (kNeedMore), or neither.
Probe compare(Bytes d, std::string_view sig, bool nocase) {
  const std::size_t n = std::min(d.size(), sig.size());
  for (std::size_t i = 0; i < n; ++i) {
    char c = static_cast<char>(d[i]);
    if (nocase && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != sig[i]) return Probe::kNone;
  }
  return d.size() >= sig.size() ? Probe::kMatch : Probe::kNeedMore;
}

// The first of `sigs` that `d` starts with; kNeedMore when `d` may still become one.
Verdict match_any(Bytes d, std::span<const std::string_view> sigs, AppProto proto, bool nocase) {
  Verdict v;
  for (std::string_view sig : sigs) {
    const Probe p = compare(d, sig, nocase);
    if (p == Probe::kMatch) return {Probe::kMatch, proto};
    if (p == Probe::kNeedMore) v.probe = Probe::kNeedMore;
  }
  return v;
}

// A TLS record header carrying a handshake message of `type` (1: ClientHello, 2: ServerHello):
// 0x16, 0x03, 0x00..0x04, two length bytes, the handshake type.
Probe tls_record(Bytes d, std::uint8_t type) {
  if (d.size() > 0 && d[0] != 0x16) return Probe::kNone;
  if (d.size() > 1 && d[1] != 0x03) return Probe::kNone;
  if (d.size() > 2 && d[2] > 0x04) return Probe::kNone;
  if (d.size() > 5) return d[5] == type ? Probe::kMatch : Probe::kNone;
  return Probe::kNeedMore;
}

constexpr std::string_view kHttpMethods[] = {"GET ",    "POST ",    "HEAD ",  "PUT ",  "DELETE ",
                                             "OPTIONS ", "CONNECT ", "TRACE ", "PATCH "};
constexpr std::string_view kHttpResponse[] = {"HTTP/1."};
constexpr std::string_view kSsh[] = {"SSH-"};
constexpr std::string_view kBanner[] = {"220"};
// A client's first command after a 220 banner (case-insensitive, as both protocols are).
constexpr std::string_view kSmtpCommands[] = {"EHLO", "HELO"};
constexpr std::string_view kFtpCommands[] = {"USER ", "AUTH ", "FEAT", "SYST", "OPTS "};

// The header of a DNS message that a sender in this direction could have sent: a known
// opcode (0-2, 4-6), the QR bit matching the direction, a sane number of questions. `strict`
// (no port 53 to go by): one question and the reserved Z bit clear.
bool plausible_dns(Bytes m, bool to_server, bool strict) {
  if (m.size() < 12) return false;
  const bool response = (m[2] & 0x80) != 0;
  const int opcode = (m[2] >> 3) & 0x0f;
  const std::uint16_t questions = load_be16(m.data() + 4);
  if (opcode == 3 || opcode > 6 || response == to_server) return false;
  if (!strict) return questions <= 64;
  return questions == 1 && (m[3] & 0x40) == 0;
}

}  // namespace

struct AppLayer::State {
  // Detection, while Flow::app_proto is kUnknown.
  std::uint8_t pending[2][kProbeBytes] = {};  // [0] to_server, [1] to_client
  std::uint8_t pending_len[2] = {0, 0};
  Probe verdict[2] = {Probe::kNeedMore, Probe::kNeedMore};
  bool banner = false;                        // a 220 banner from the server
  AppProto client_command = AppProto::kUnknown;  // SMTP or FTP by the client's first command
  std::uint64_t next_off[2] = {0, 0};         // stream offset expected next, per direction
  // A direction holding one half of SMTP/FTP's signature, from its first byte, while the
  // other half is awaited (kKeptBytes; the capacity is kept for the state's next flows).
  bool keeping[2] = {false, false};
  std::vector<std::uint8_t> kept[2];

  // Transactions.
  std::uint64_t next_tx = 0;
  std::uint16_t query_id[kRecentQueries] = {};
  std::uint64_t query_tx[kRecentQueries] = {};
  int queries = 0;
  DnsTcpFramer framer[2];
  std::unique_ptr<TlsSession> tls;  // allocated once per state, reset per flow
  std::unique_ptr<HttpSession> http;  // made at the flow's first HTTP data, kept for reuse
  bool http_used = false;             // `http` has parsed data of the current flow
  HttpProgressList http_progress;     // scratch of one feed (capacity reused)
  // Per direction: the first transaction id whose body point was not reported yet (bodies
  // of one direction complete in id order).
  std::uint64_t http_body_next[2] = {0, 0};
  std::unique_ptr<SmtpSession> smtp;  // made at the flow's first SMTP data, dropped at reset
  std::unique_ptr<FtpSession> ftp;
  std::unique_ptr<SshSession> ssh;
  TxAlertLog alerted;

  void reset() {
    pending_len[0] = pending_len[1] = 0;
    verdict[0] = verdict[1] = Probe::kNeedMore;
    banner = false;
    client_command = AppProto::kUnknown;
    next_off[0] = next_off[1] = 0;
    for (int d = 0; d < 2; ++d) stop_keeping(d);
    next_tx = 0;
    queries = 0;
    framer[0].reset();
    framer[1].reset();
    if (tls) *tls = TlsSession();
    if (http_used) {
      // A session's pool and buffers are per connection; a fresh one keeps the memory bound
      // per flow (the old transactions go with it).
      http = std::make_unique<HttpSession>();
      http_used = false;
    }
    http_body_next[0] = http_body_next[1] = 0;
    // Per-connection parsers: a fresh one per flow keeps the bound per flow.
    smtp.reset();
    ftp.reset();
    ssh.reset();
    alerted.clear();
  }

  // Starts keeping direction `d` from its first byte: `earlier` (the probe's bytes before
  // this chunk, all there were) and `data`.
  void start_keeping(int d, Bytes earlier, Bytes data) {
    if (earlier.size() + data.size() > kKeptBytes) return;
    kept[d].reserve(kKeptBytes);
    kept[d].assign(earlier.begin(), earlier.end());
    kept[d].insert(kept[d].end(), data.begin(), data.end());
    keeping[d] = true;
  }
  // The next bytes of a kept direction; past kKeptBytes it is no longer kept.
  void keep(int d, Bytes data) {
    if (!keeping[d]) return;
    if (data.size() > kKeptBytes - kept[d].size()) {
      stop_keeping(d);
      return;
    }
    kept[d].insert(kept[d].end(), data.begin(), data.end());
  }
  void stop_keeping(int d) {
    keeping[d] = false;
    kept[d].clear();
  }
  // The first bytes of direction `d`, all it sent so far, when they were kept (whole);
  // empty when nothing was sent or its start was not kept.
  Bytes start_of(int d) const {
    if (keeping[d] && kept[d].size() == next_off[d]) return Bytes(kept[d].data(), kept[d].size());
    if (next_off[d] != 0 && next_off[d] == pending_len[d]) return Bytes(pending[d], pending_len[d]);
    return {};
  }

  // The tx of a DNS message: a query opens one; a response joins its query's (by id).
  std::uint64_t dns_tx(const DnsMessage& m) {
    const int n = std::min(queries, kRecentQueries);
    if (m.response) {
      for (int i = 0; i < n; ++i) {
        if (query_id[i] == m.id) return query_tx[i];
      }
      return next_tx++;
    }
    const int slot = queries++ % kRecentQueries;
    query_id[slot] = m.id;
    query_tx[slot] = next_tx;
    return next_tx++;
  }
};

AppLayer::AppLayer(const AppLayerConfig& config, Counters& counters)
    : config_(config), expectations_(counters), counters_(counters) {
  for (int p = 1; p < kAppProtoCount; ++p) {
    c_flows_[p] = counters_.add("applayer.flow." +
                                std::string(app_proto_name(static_cast<AppProto>(p))));
  }
  c_flows_[0] = c_flows_[1];
  for (int b = 0; b < kDnsEventCount; ++b) {
    c_dns_events_[b] = counters_.add("applayer.dns." + std::string(dns_event_name(b)));
  }
  for (int b = 0; b < kTlsEventCount; ++b) {
    c_tls_events_[b] = counters_.add("applayer.tls." + std::string(tls_event_name(b)));
  }
  for (int b = 0; b < kHttpEventCount; ++b) {
    c_http_events_[b] = counters_.add("applayer.http." + to_lower(http_event_name(b)));
  }
  for (int b = 0; b < kSmtpEventCount; ++b) {
    c_smtp_events_[b] = counters_.add("applayer.smtp." + std::string(smtp_event_name(b)));
  }
  for (int b = 0; b < kFtpEventCount; ++b) {
    c_ftp_events_[b] = counters_.add("applayer.ftp." + std::string(ftp_event_name(b)));
  }
  for (int b = 0; b < kSshEventCount; ++b) {
    c_ssh_events_[b] = counters_.add("applayer.ssh." + std::string(ssh_event_name(b)));
  }
  c_state_full_ = counters_.add("applayer.state_full");
  c_tx_ = counters_.add("applayer.tx");
}

AppLayer::~AppLayer() = default;

AppLayer::State* AppLayer::state_of(flow::Flow& f) {
  if (f.app_state != nullptr) return static_cast<State*>(f.app_state);
  State* s = nullptr;
  if (!free_.empty()) {
    s = free_.back();
    free_.pop_back();
  } else if (states_.size() < config_.max_flows) {
    states_.push_back(std::make_unique<State>());
    s = states_.back().get();
  } else {
    counters_.inc(c_state_full_);
    return nullptr;
  }
  ++in_use_;
  f.app_state = s;
  return s;
}

void AppLayer::release(flow::Flow& f) {
  auto* s = static_cast<State*>(f.app_state);
  if (s == nullptr) return;
  s->reset();
  free_.push_back(s);
  f.app_state = nullptr;
  --in_use_;
}

void AppLayer::count_dns_events(std::uint32_t events) {
  for (int b = 0; b < kDnsEventCount; ++b) {
    if (!(events & (1u << b))) continue;
    counters_.inc(c_dns_events_[b]);
    if (anomaly_fn_ != nullptr) anomaly_fn_(anomaly_ctx_, AppProto::kDns, b, dns_event_name(b));
  }
}

void AppLayer::count_tls_events(std::uint32_t before, std::uint32_t after) {
  const std::uint32_t raised = after & ~before;
  for (int b = 0; b < kTlsEventCount; ++b) {
    if (!(raised & (1u << b))) continue;
    counters_.inc(c_tls_events_[b]);
    if (anomaly_fn_ != nullptr) anomaly_fn_(anomaly_ctx_, AppProto::kTls, b, tls_event_name(b));
  }
}

void AppLayer::count_http_events(std::uint64_t before, std::uint64_t after) {
  const std::uint64_t raised = after & ~before;
  for (int b = 0; b < kHttpEventCount; ++b) {
    if (!(raised & (std::uint64_t{1} << b))) continue;
    counters_.inc(c_http_events_[b]);
    if (anomaly_fn_ != nullptr) anomaly_fn_(anomaly_ctx_, AppProto::kHttp, b, http_event_name(b));
  }
}

void AppLayer::dns_message(flow::Flow& f, State& s, bool to_server, Bytes message, TxFn fn,
                           void* ctx) {
  if (parse_dns(message, dns_) == DnsStatus::kTooShort) {
    dns_.events |= kDnsMalformedData;
    count_dns_events(kDnsMalformedData);
    return;
  }
  if (to_server && dns_.response) dns_.events |= kDnsNotARequest;
  if (!to_server && !dns_.response) dns_.events |= kDnsNotAResponse;
  count_dns_events(dns_.events);
  counters_.inc(c_tx_);
  Transaction tx;
  tx.proto = AppProto::kDns;
  tx.id = s.dns_tx(dns_);
  tx.to_server = to_server;
  tx.progress = kProgressMessage;
  tx.dns = &dns_;
  tx.dns_raw = message;
  tx.events = dns_.events;
  tx.alerted = &s.alerted;
  (void)f;
  fn(ctx, tx);
}

void AppLayer::on_udp(const decode::Packet& pkt, const flow::FlowRef& fr, TxFn fn, void* ctx) {
  if (fr.flow == nullptr || pkt.payload.empty()) return;
  flow::Flow& f = *fr.flow;
  const auto app = static_cast<AppProto>(f.app_proto);
  if (app != AppProto::kUnknown && app != AppProto::kDns) return;
  State* s = state_of(f);
  if (s == nullptr) return;
  const int di = fr.to_server ? 0 : 1;
  if (app == AppProto::kUnknown) {
    const bool port53 = pkt.sport == kDnsPort || pkt.dport == kDnsPort;
    bool dns = false;
    if (plausible_dns(pkt.payload, fr.to_server, !port53)) {
      // On port 53 a plausible header is enough; elsewhere the whole message must parse.
      dns = port53 || (parse_dns(pkt.payload, dns_) == DnsStatus::kOk && dns_.events == 0);
    }
    if (!dns) {
      s->verdict[di] = Probe::kNone;
      if (s->verdict[1 - di] == Probe::kNone) {
        f.app_proto = static_cast<std::uint8_t>(AppProto::kFailed);
        counters_.inc(c_flows_[static_cast<int>(AppProto::kFailed)]);
      }
      return;
    }
    f.app_proto = static_cast<std::uint8_t>(AppProto::kDns);
    counters_.inc(c_flows_[static_cast<int>(AppProto::kDns)]);
  }
  dns_message(f, *s, fr.to_server, pkt.payload, fn, ctx);
}

void AppLayer::on_tcp_flow(const decode::Packet& pkt, const flow::FlowRef& fr) {
  if (fr.flow == nullptr || !fr.created) return;
  const IpAddress& initiator = fr.to_server ? pkt.src : pkt.dst;
  const IpAddress& responder = fr.to_server ? pkt.dst : pkt.src;
  const std::uint16_t port = fr.to_server ? pkt.dport : pkt.sport;
  const AppProto proto = expectations_.take(initiator, responder, port, pkt.ts);
  if (proto == AppProto::kUnknown) return;
  fr.flow->app_proto = static_cast<std::uint8_t>(proto);
  counters_.inc(c_flows_[static_cast<int>(proto)]);
}

void AppLayer::on_stream(flow::Flow& f, bool to_server, std::uint64_t offset, Bytes data,
                         TxFn fn, void* ctx) {
  const auto app = static_cast<AppProto>(f.app_proto);
  // ftp-data has no parser: its rules read the stream.
  if (app == AppProto::kFailed || app == AppProto::kFtpData || data.empty()) return;
  State* s = state_of(f);
  if (s == nullptr) return;
  const int di = to_server ? 0 : 1;
  const bool gap = offset != s->next_off[di];
  s->next_off[di] = offset + data.size();
  if (gap) {
    // Data lost to the sensor: detection cannot read this direction's start any more, and
    // the parsers lose their place in it.
    s->verdict[di] = Probe::kNone;
    s->stop_keeping(di);
    s->framer[di].reset();
    if (s->tls) s->tls->gap(to_server);
    if (s->http) s->http->gap(to_server ? HttpDir::kToServer : HttpDir::kToClient);
    if (s->smtp) s->smtp->gap(to_server);
    if (s->ftp) s->ftp->gap(to_server);
    if (s->ssh) s->ssh->gap(to_server);
  }
  if (app == AppProto::kUnknown) {
    if (!gap) detect_tcp(f, *s, di, data, fn, ctx);
    if (s->verdict[0] == Probe::kNone && s->verdict[1] == Probe::kNone &&
        f.app_proto == static_cast<std::uint8_t>(AppProto::kUnknown)) {
      f.app_proto = static_cast<std::uint8_t>(AppProto::kFailed);
      counters_.inc(c_flows_[static_cast<int>(AppProto::kFailed)]);
    }
    return;
  }
  parse_tcp(f, *s, di, data, fn, ctx);
}

// Probes the first bytes of direction `di` (with those kept from earlier chunks); when the
// protocol is decided, the parser gets every byte of both directions so far.
void AppLayer::detect_tcp(flow::Flow& f, State& s, int di, Bytes data, TxFn fn, void* ctx) {
  if (s.verdict[di] != Probe::kNeedMore) {
    s.keep(di, data);  // a banner or a first command awaiting the other side
    return;
  }
  const bool to_server = di == 0;
  const std::size_t had = s.pending_len[di];
  const std::size_t take = std::min(data.size(), kProbeBytes - had);
  std::memcpy(s.pending[di] + had, data.data(), take);
  s.pending_len[di] = static_cast<std::uint8_t>(had + take);
  const Bytes probe(s.pending[di], s.pending_len[di]);

  Verdict v;
  auto consider = [&](Verdict c) {
    if (v.probe == Probe::kMatch) return;
    if (c.probe == Probe::kMatch) {
      v = c;
    } else if (c.probe == Probe::kNeedMore) {
      v.probe = Probe::kNeedMore;
    }
  };
  if (to_server) {
    consider(match_any(probe, kHttpMethods, AppProto::kHttp, false));
    consider({tls_record(probe, 1), AppProto::kTls});
    consider(match_any(probe, kSsh, AppProto::kSsh, false));
    const Verdict smtp = match_any(probe, kSmtpCommands, AppProto::kSmtp, true);
    const Verdict ftp = match_any(probe, kFtpCommands, AppProto::kFtp, true);
    if (smtp.probe == Probe::kMatch) s.client_command = AppProto::kSmtp;
    if (ftp.probe == Probe::kMatch) s.client_command = AppProto::kFtp;
    if (v.probe != Probe::kMatch && (smtp.probe == Probe::kNeedMore || ftp.probe == Probe::kNeedMore)) {
      v.probe = Probe::kNeedMore;
    }
  } else {
    consider(match_any(probe, kHttpResponse, AppProto::kHttp, false));
    consider({tls_record(probe, 2), AppProto::kTls});
    consider(match_any(probe, kSsh, AppProto::kSsh, false));
    const Verdict banner = match_any(probe, kBanner, AppProto::kUnknown, false);
    if (banner.probe == Probe::kMatch) s.banner = true;
    if (v.probe != Probe::kMatch && banner.probe == Probe::kNeedMore) v.probe = Probe::kNeedMore;
  }
  // DNS over TCP: a length and a plausible header on port 53; on any other port, a whole
  // first message that parses cleanly.
  if (v.probe != Probe::kMatch) {
    const bool port53 = f.key.lo_port == kDnsPort || f.key.hi_port == kDnsPort;
    const Bytes first = probe.size() >= 2 ? probe.subspan(2) : Bytes{};
    if (probe.size() < 14 && port53) {
      v.probe = Probe::kNeedMore;
    } else if (port53 && plausible_dns(first, to_server, false)) {
      v = {Probe::kMatch, AppProto::kDns};
    } else if (!port53 && had == 0 && data.size() >= 14) {
      const std::size_t len = load_be16(data.data());
      if (data.size() - 2 >= len && plausible_dns(data.subspan(2, len), to_server, true) &&
          parse_dns(data.subspan(2, len), dns_) == DnsStatus::kOk && dns_.events == 0) {
        v = {Probe::kMatch, AppProto::kDns};
      }
    }
  }
  if (v.probe != Probe::kMatch && s.banner && s.client_command != AppProto::kUnknown) {
    v = {Probe::kMatch, s.client_command};  // a 220 banner answered by SMTP or FTP
  }
  if (v.probe == Probe::kNeedMore && s.pending_len[di] == kProbeBytes) v.probe = Probe::kNone;
  if (v.probe != Probe::kMatch) {
    // Undecided, or nothing by itself (a banner or a client command alone waits for the
    // other side: its bytes decide then, and its parser will read this side from the first
    // byte: while undecided, the probe buffer held all of it).
    s.verdict[di] = v.probe;
    const bool half = to_server ? s.client_command != AppProto::kUnknown : s.banner;
    if (v.probe == Probe::kNone && half) s.start_keeping(di, Bytes(s.pending[di], had), data);
    return;
  }
  s.verdict[0] = s.verdict[1] = Probe::kMatch;
  f.app_proto = static_cast<std::uint8_t>(v.proto);
  counters_.inc(c_flows_[static_cast<int>(v.proto)]);
  // The parser starts from each direction's first byte: the other direction's bytes so far
  // (when they fit the probe buffer, or were kept as a banner or a first command), then this
  // one's (undecided until now, so the probe buffer holds all it sent before).
  const int other = 1 - di;
  const Bytes other_start = s.start_of(other);
  if (!other_start.empty()) parse_tcp(f, s, other, other_start, fn, ctx);
  s.stop_keeping(other);
  if (had != 0) parse_tcp(f, s, di, Bytes(s.pending[di], had), fn, ctx);
  parse_tcp(f, s, di, data, fn, ctx);
}

void AppLayer::parse_tcp(flow::Flow& f, State& s, int di, Bytes data, TxFn fn, void* ctx) {
  const bool to_server = di == 0;
  switch (static_cast<AppProto>(f.app_proto)) {
    case AppProto::kDns:
      s.framer[di].feed(data, [&](Bytes message) { dns_message(f, s, to_server, message, fn, ctx); });
      return;
    case AppProto::kTls: {
      if (!s.tls) s.tls = std::make_unique<TlsSession>();
      const TlsInfo& info = s.tls->info();
      const bool had_client = info.client_hello;
      const bool had_server = info.server_hello;
      const bool had_certs = !info.certificates.empty();
      const std::uint32_t events = info.events;
      if (!s.tls->feed(to_server, data)) {
        count_tls_events(events, info.events);
        return;
      }
      count_tls_events(events, info.events);
      Transaction tx;
      tx.proto = AppProto::kTls;
      tx.id = 0;  // the session is one transaction
      tx.tls = &info;
      tx.events = info.events;
      tx.alerted = &s.alerted;
      auto report = [&](bool dir, std::uint8_t progress) {
        tx.to_server = dir;
        tx.progress = progress;
        counters_.inc(c_tx_);
        fn(ctx, tx);
      };
      if (!had_client && info.client_hello) report(true, kTlsClientHello);
      if (!had_server && info.server_hello) report(false, kTlsServerHello);
      if (!had_certs && !info.certificates.empty()) report(false, kTlsCertificate);
      return;
    }
    case AppProto::kHttp:
      http_data(s, di, data, fn, ctx);
      return;
    case AppProto::kSmtp:
      smtp_data(s, to_server, data, fn, ctx);
      return;
    case AppProto::kFtp:
      ftp_data(f, s, to_server, data, fn, ctx);
      return;
    case AppProto::kSsh:
      ssh_data(s, to_server, data, fn, ctx);
      return;
    default:
      return;
  }
}

void AppLayer::count_events(AppProto proto, EventNameFn name, CounterId* ids, int count,
                            std::uint64_t before, std::uint64_t after) {
  const std::uint64_t raised = after & ~before;
  for (int b = 0; b < count; ++b) {
    if (!(raised & (std::uint64_t{1} << b))) continue;
    counters_.inc(ids[b]);
    if (anomaly_fn_ != nullptr) anomaly_fn_(anomaly_ctx_, proto, b, name(b));
  }
}

namespace {

// What a parser's callback needs to report a transaction to detection.
struct Report {
  Counters* counters;
  CounterId tx_counter;
  TxFn fn;
  void* ctx;
  Transaction tx;

  void send(std::uint64_t id, bool to_server, std::uint8_t progress) {
    tx.id = id;
    tx.to_server = to_server;
    tx.progress = progress;
    counters->inc(tx_counter);
    fn(ctx, tx);
  }
};

}  // namespace

// SMTP: each command reports the current mail at the command point, the end of its message
// at the data point, each final reply at the reply point (app-layer events on replies).
void AppLayer::smtp_data(State& s, bool to_server, Bytes data, TxFn fn, void* ctx) {
  if (!s.smtp) s.smtp = std::make_unique<SmtpSession>();
  SmtpSession& session = *s.smtp;
  Report r{&counters_, c_tx_, fn, ctx, {}};
  r.tx.proto = AppProto::kSmtp;
  r.tx.smtp = &session;
  r.tx.alerted = &s.alerted;
  SmtpSink sink;
  sink.ctx = &r;
  sink.fn = [](void* c, SmtpPoint point) {
    auto& rep = *static_cast<Report*>(c);
    const SmtpSession& smtp = *rep.tx.smtp;
    rep.tx.events = smtp.mail().events;
    if (point == SmtpPoint::kReply) {
      rep.send(smtp.mail_id(), false, kSmtpReply);
    } else {
      rep.send(smtp.mail_id(), true, point == SmtpPoint::kCommand ? kSmtpCommand : kSmtpData);
    }
  };
  const std::uint32_t before = session.events();
  session.feed(to_server, data, sink);
  count_events(AppProto::kSmtp, &smtp_event_name, c_smtp_events_, kSmtpEventCount, before,
               session.events());
}

// The data connection a transaction announced: PORT/EPRT at the command (active: the server
// connects to the client), the 227/229 reply (passive: the client connects to the server).
void AppLayer::expect_ftp_data(const flow::Flow& f, const FtpTransaction& t, bool to_server) {
  const FtpMode announced = to_server ? FtpMode::kActive : FtpMode::kPassive;
  if (t.mode != announced || t.dynamic_port == 0) return;
  const IpAddress& client = f.client_addr;
  const bool client_is_lo = f.key.lo_addr == client && f.key.lo_port == f.client_port;
  const IpAddress& server = client_is_lo ? f.key.hi_addr : f.key.lo_addr;
  if (announced == FtpMode::kActive) {
    expectations_.expect(server, client, t.dynamic_port, AppProto::kFtpData, f.last_seen);
  } else {
    expectations_.expect(client, server, t.dynamic_port, AppProto::kFtpData, f.last_seen);
  }
}

// FTP: each command, then its final reply; the data connections they announce are expected.
void AppLayer::ftp_data(flow::Flow& f, State& s, bool to_server, Bytes data, TxFn fn, void* ctx) {
  if (!s.ftp) s.ftp = std::make_unique<FtpSession>();
  Report r{&counters_, c_tx_, fn, ctx, {}};
  r.tx.proto = AppProto::kFtp;
  r.tx.alerted = &s.alerted;
  struct FtpReport {
    Report* r;
    AppLayer* self;
    const flow::Flow* flow;
  } fr{&r, this, &f};
  FtpSink sink;
  sink.ctx = &fr;
  sink.fn = [](void* c, const FtpTransaction& t, bool dir) {
    auto& rep = *static_cast<FtpReport*>(c);
    rep.r->tx.ftp = &t;
    rep.r->tx.events = t.events;
    // Each flag once: the command's at the command, the reply's at the reply.
    const std::uint32_t mine = dir ? kFtpRequestCommandTooLong : kFtpResponseCommandTooLong;
    rep.self->count_events(AppProto::kFtp, &ftp_event_name, rep.self->c_ftp_events_,
                           kFtpEventCount, 0, t.events & mine);
    rep.self->expect_ftp_data(*rep.flow, t, dir);
    rep.r->send(t.id, dir, dir ? kFtpRequest : kFtpResponse);
  };
  s.ftp->feed(to_server, data, sink);
}

// SSH: the session is transaction 0; each side's banner, then its KEXINIT.
void AppLayer::ssh_data(State& s, bool to_server, Bytes data, TxFn fn, void* ctx) {
  if (!s.ssh) s.ssh = std::make_unique<SshSession>();
  SshSession& session = *s.ssh;
  Report r{&counters_, c_tx_, fn, ctx, {}};
  r.tx.proto = AppProto::kSsh;
  r.tx.ssh = &session;
  r.tx.alerted = &s.alerted;
  SshSink sink;
  sink.ctx = &r;
  sink.fn = [](void* c, bool dir, SshPoint point) {
    auto& rep = *static_cast<Report*>(c);
    rep.tx.events = rep.tx.ssh->events();
    rep.send(0, dir, point == SshPoint::kBanner ? kSshBanner : kSshKexinit);
  };
  const std::uint32_t before = session.events();
  session.feed(to_server, data, sink);
  count_events(AppProto::kSsh, &ssh_event_name, c_ssh_events_, kSshEventCount, before,
               session.events());
}

// Feeds one direction's bytes to the flow's HTTP session and reports each transaction that
// reached a point: the line, the headers, and the body once (when the message is complete or
// its body passed the limit: body buffers are inspected whole, once). A transaction whose
// response was reported complete is released: detection is done with it.
void AppLayer::http_data(State& s, int di, Bytes data, TxFn fn, void* ctx) {
  const bool to_server = di == 0;
  if (!s.http) s.http = std::make_unique<HttpSession>();
  s.http_used = true;
  HttpSession& session = *s.http;
  s.http_progress.clear();
  session.feed(to_server ? HttpDir::kToServer : HttpDir::kToClient, data, s.http_progress);
  for (const HttpProgress& p : s.http_progress) {
    const HttpTransaction* t = session.find(p.tx_id);
    if (t == nullptr) continue;
    const bool request = p.part <= HttpPart::kRequestComplete;
    const int pdi = request ? 0 : 1;
    const HttpMessage& m = request ? t->request() : t->response();
    int point = -1;
    switch (p.part) {
      case HttpPart::kRequestLine:
      case HttpPart::kResponseLine:
        point = kHttpLine;
        break;
      case HttpPart::kRequestHeaders:
      case HttpPart::kResponseHeaders:
        point = kHttpHeaders;
        break;
      case HttpPart::kRequestBody:
      case HttpPart::kResponseBody:
      case HttpPart::kRequestComplete:
      case HttpPart::kResponseComplete: {
        const bool body_ready = m.complete() || m.body_truncated();
        if (body_ready && p.tx_id >= s.http_body_next[pdi]) {
          s.http_body_next[pdi] = p.tx_id + 1;
          point = kHttpBody;
        }
        break;
      }
    }
    if (point >= 0) {
      Transaction tx;
      tx.proto = AppProto::kHttp;
      tx.id = p.tx_id;
      tx.to_server = request;
      tx.progress = static_cast<std::uint8_t>(point);
      tx.http = t;
      tx.events = t->events();
      tx.alerted = &s.alerted;
      counters_.inc(c_tx_);
      fn(ctx, tx);
    }
    if (p.part == HttpPart::kResponseComplete) {
      count_http_events(0, t->events());  // once per transaction, when it is done
      session.release(p.tx_id);
    }
  }
}

}  // namespace wp::applayer
