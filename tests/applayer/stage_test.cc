// The application-layer stage: protocol detection by content on any port (and not on
// look-alikes), the flow's app_proto, SMTP and FTP banners of any length up to the kept bound
// (split at every byte), DNS over UDP and TCP (split at every byte) reported as
// transactions, TLS progress points, anomaly counters, and the bounded per-flow state pool.
#include "applayer/stage.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/app_messages.h"

namespace wp::applayer {
namespace {

using testing::DnsBuilder;

struct Seen {
  AppProto proto;
  std::uint64_t id;
  bool to_server;
  std::uint8_t progress;
  std::string first_name;  // DNS: the first question's name; FTP: the command, else the first reply
  friend bool operator==(const Seen&, const Seen&) = default;
};

std::ostream& operator<<(std::ostream& os, const Seen& s) {
  return os << "{" << app_proto_name(s.proto) << " tx " << s.id << (s.to_server ? " ts" : " tc")
            << " p" << int(s.progress) << " " << s.first_name << "}";
}

struct Harness {
  Counters counters;
  AppLayer app{AppLayerConfig{}, counters};
  std::vector<Seen> seen;
  std::uint64_t off[2] = {0, 0};

  static void on_tx(void* self, const Transaction& tx) {
    std::string name;
    if (tx.dns != nullptr && !tx.dns->questions.empty()) {
      name = std::string(tx.dns->name(tx.dns->questions[0].name));
    }
    if (tx.ftp != nullptr) {
      name = !tx.ftp->command.empty() ? tx.ftp->command
             : tx.ftp->replies.size() != 0 ? std::string(tx.ftp->replies[0])
                                           : std::string();
    }
    static_cast<Harness*>(self)->seen.push_back(
        {tx.proto, tx.id, tx.to_server, tx.progress, name});
  }
  // In-order stream bytes of one direction.
  void stream(flow::Flow& f, bool to_server, std::string_view data) {
    const int di = to_server ? 0 : 1;
    app.on_stream(f, to_server, off[di],
                  Bytes(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()),
                  &Harness::on_tx, this);
    off[di] += data.size();
  }
};

flow::Flow tcp_flow(std::uint16_t server_port) {
  flow::Flow f;
  f.proto = 6;
  f.key.lo_port = server_port;
  f.key.hi_port = 40000;
  return f;
}

AppProto app_of(const flow::Flow& f) { return static_cast<AppProto>(f.app_proto); }

TEST(AppLayerStage, DetectsEachProtocolByContentOnANonStandardPort) {
  struct Case {
    const char* client;
    const char* server;
    AppProto want;
  };
  const Case cases[] = {
      {"GET /index.html HTTP/1.1\r\n", "HTTP/1.1 200 OK\r\n", AppProto::kHttp},
      {"SSH-2.0-OpenSSH_9.6\r\n", "SSH-2.0-OpenSSH_9.6\r\n", AppProto::kSsh},
      {"EHLO mail.example.com\r\n", "220 mx.example.com ESMTP\r\n", AppProto::kSmtp},
      {"USER anonymous\r\n", "220 ProFTPD Server\r\n", AppProto::kFtp},
  };
  for (const Case& c : cases) {
    Harness h;
    flow::Flow f = tcp_flow(8443);
    // Server-first protocols send their banner before the client speaks.
    if (c.want == AppProto::kSmtp || c.want == AppProto::kFtp) {
      h.stream(f, false, c.server);
      EXPECT_EQ(app_of(f), AppProto::kUnknown) << c.client;
      h.stream(f, true, c.client);
    } else {
      h.stream(f, true, c.client);
    }
    EXPECT_EQ(app_of(f), c.want) << c.client;
  }
  Harness h;
  flow::Flow f = tcp_flow(8080);
  h.stream(f, true, testing::tls_client_hello("www.example.com"));
  EXPECT_EQ(app_of(f), AppProto::kTls);
  ASSERT_EQ(h.seen.size(), 1u);
  EXPECT_EQ(h.seen[0], (Seen{AppProto::kTls, 0, true, kTlsClientHello, ""}));
}

TEST(AppLayerStage, DetectionWaitsForBytesSplitAcrossChunks) {
  Harness h;
  flow::Flow f = tcp_flow(9000);
  h.stream(f, true, "GE");
  EXPECT_EQ(app_of(f), AppProto::kUnknown);
  h.stream(f, true, "T / HTTP/1.1\r\n");
  EXPECT_EQ(app_of(f), AppProto::kHttp);
}

TEST(AppLayerStage, LookAlikesAreNotDetectedAndBothSidesUnknownIsFailed) {
  using namespace std::string_literals;
  const std::string clients[] = {"GETX / HTTP/1.1\r\n", "get / HTTP/1.1\r\n", "SSH 2.0\r\n",
                                 "\x16\x03\x05\x00\x10\x01xxxx"s,  // record version 3.5
                                 "\x16\x03\x01\x00\x10\x02xxxx"s,  // a ServerHello from the client
                                 "EHLO x\r\n"};  // a command without a 220 banner
  for (const std::string& c : clients) {
    Harness h;
    flow::Flow f = tcp_flow(8000);
    h.stream(f, true, c);
    EXPECT_EQ(app_of(f), AppProto::kUnknown) << c;
    h.stream(f, false, "hello there, nothing to see\r\n");
    EXPECT_EQ(app_of(f), AppProto::kFailed) << c;
    EXPECT_TRUE(h.seen.empty());
  }
  // A 220 banner answered by something that is neither SMTP nor FTP.
  Harness h;
  flow::Flow f = tcp_flow(25);
  h.stream(f, false, "220 welcome\r\n");
  h.stream(f, true, "HELLO? anyone\r\n");
  EXPECT_EQ(app_of(f), AppProto::kFailed);
}

TEST(AppLayerStage, DnsOverTcpSplitAtEveryByteGivesOneTransactionPerMessage) {
  const std::string query = DnsBuilder(0x1234, 0x0100, 1, 0).question("evil.example.com", 1).tcp_text();
  const std::string second = DnsBuilder(0x1235, 0x0100, 1, 0).question("two.example", 28).tcp_text();
  const std::string both = query + second;
  for (std::size_t cut = 0; cut <= both.size(); ++cut) {
    Harness h;
    flow::Flow f = tcp_flow(53);
    h.stream(f, true, std::string_view(both).substr(0, cut));
    h.stream(f, true, std::string_view(both).substr(cut));
    EXPECT_EQ(app_of(f), AppProto::kDns) << cut;
    EXPECT_EQ(h.seen, (std::vector<Seen>{{AppProto::kDns, 0, true, 0, "evil.example.com"},
                                         {AppProto::kDns, 1, true, 0, "two.example"}}))
        << "cut at " << cut;
  }
}

TEST(AppLayerStage, DnsOverTcpOnAnotherPortNeedsAWholeCleanMessage) {
  Harness h;
  flow::Flow f = tcp_flow(5353);
  h.stream(f, true, DnsBuilder(7, 0x0100, 1, 0).question("a.example", 1).tcp_text());
  EXPECT_EQ(app_of(f), AppProto::kDns);
  ASSERT_EQ(h.seen.size(), 1u);
  // Bytes that look like a length and a header but with the response bit from a client.
  Harness g;
  flow::Flow f2 = tcp_flow(5353);
  g.stream(f2, true, DnsBuilder(7, 0x8100, 1, 0).question("a.example", 1).tcp_text());
  EXPECT_NE(app_of(f2), AppProto::kDns);
}

decode::Packet udp_packet(std::uint16_t sport, std::uint16_t dport, const std::string& payload) {
  decode::Packet p;
  p.proto = 17;
  p.sport = sport;
  p.dport = dport;
  p.payload = Bytes(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size());
  return p;
}

TEST(AppLayerStage, DnsOverUdpPairsTheResponseWithItsQueryTransaction) {
  Harness h;
  flow::Flow f;
  f.proto = 17;
  const std::string q = DnsBuilder(0x42, 0x0100, 1, 0).question("x.example", 1).text();
  const std::string r =
      DnsBuilder(0x42, 0x8180, 1, 1).question("x.example", 1).answer_a("x.example", 60, 192, 0, 2, 1).text();
  const std::string q2 = DnsBuilder(0x43, 0x0100, 1, 0).question("y.example", 1).text();
  h.app.on_udp(udp_packet(40000, 53, q), {&f, true, true, false}, &Harness::on_tx, &h);
  h.app.on_udp(udp_packet(53, 40000, r), {&f, false, false, true}, &Harness::on_tx, &h);
  h.app.on_udp(udp_packet(40000, 53, q2), {&f, true, false, true}, &Harness::on_tx, &h);
  EXPECT_EQ(h.seen, (std::vector<Seen>{{AppProto::kDns, 0, true, 0, "x.example"},
                                       {AppProto::kDns, 0, false, 0, "x.example"},
                                       {AppProto::kDns, 1, true, 0, "y.example"}}));
  EXPECT_EQ(h.counters.get("applayer.flow.dns"), 1u);
}

TEST(AppLayerStage, UdpOnAnotherPortIsDnsOnlyWhenTheMessageParsesCleanly) {
  Harness h;
  flow::Flow f;
  f.proto = 17;
  const std::string q = DnsBuilder(1, 0x0100, 1, 0).question("z.example", 1).text();
  h.app.on_udp(udp_packet(40000, 5300, q), {&f, true, true, false}, &Harness::on_tx, &h);
  EXPECT_EQ(app_of(f), AppProto::kDns);
  flow::Flow g;
  g.proto = 17;
  std::string junk = q.substr(0, q.size() - 3);  // the question runs past the message
  h.app.on_udp(udp_packet(40001, 5300, junk), {&g, true, true, false}, &Harness::on_tx, &h);
  EXPECT_EQ(app_of(g), AppProto::kUnknown);
  h.app.on_udp(udp_packet(5300, 40001, "some reply"), {&g, false, false, true}, &Harness::on_tx, &h);
  EXPECT_EQ(app_of(g), AppProto::kFailed);
}

TEST(AppLayerStage, DnsAnomaliesRaiseNamedCounters) {
  Harness h;
  flow::Flow f;
  f.proto = 17;
  // Z flag set, and a response sent by the client.
  const std::string q = DnsBuilder(1, 0x0140, 1, 0).question("z.example", 1).text();
  h.app.on_udp(udp_packet(40000, 53, q), {&f, true, true, false}, &Harness::on_tx, &h);
  const std::string r = DnsBuilder(2, 0x8100, 1, 0).question("z.example", 1).text();
  h.app.on_udp(udp_packet(40000, 53, r), {&f, true, false, false}, &Harness::on_tx, &h);
  EXPECT_EQ(h.counters.get("applayer.dns.z_flag_set"), 1u);
  EXPECT_EQ(h.counters.get("applayer.dns.not_a_request"), 1u);
}

TEST(AppLayerStage, TlsReportsClientHelloServerHelloAndCertificatesAsOneTransaction) {
  Harness h;
  flow::Flow f = tcp_flow(443);
  h.stream(f, true, testing::tls_client_hello("www.example.com"));
  const auto cert = testing::make_test_cert("www.example.com");
  h.stream(f, false, testing::tls_server_hello() + testing::tls_certificate(cert));
  EXPECT_EQ(h.seen, (std::vector<Seen>{{AppProto::kTls, 0, true, kTlsClientHello, ""},
                                       {AppProto::kTls, 0, false, kTlsServerHello, ""},
                                       {AppProto::kTls, 0, false, kTlsCertificate, ""}}));
}

TEST(AppLayerStage, StatePoolIsBoundedAndRecycledWhenFlowsLeave) {
  Counters counters;
  AppLayer app(AppLayerConfig{.max_flows = 2}, counters);
  flow::Flow flows[3] = {tcp_flow(80), tcp_flow(80), tcp_flow(80)};
  const std::string get = "GET / HTTP/1.1\r\n";
  const Bytes data(reinterpret_cast<const std::uint8_t*>(get.data()), get.size());
  auto noop = [](void*, const Transaction&) {};
  for (flow::Flow& f : flows) app.on_stream(f, true, 0, data, noop, nullptr);
  EXPECT_EQ(app.states_in_use(), 2u);
  EXPECT_EQ(counters.get("applayer.state_full"), 1u);
  EXPECT_EQ(app_of(flows[2]), AppProto::kUnknown);  // no state: not parsed
  app.release(flows[0]);
  EXPECT_EQ(flows[0].app_state, nullptr);
  flow::Flow next = tcp_flow(80);
  app.on_stream(next, true, 0, data, noop, nullptr);
  EXPECT_EQ(app_of(next), AppProto::kHttp);
  EXPECT_EQ(app.states_in_use(), 2u);
}

// A banner longer than the probe's 16 bytes, as ProFTPD sends it.
const std::string kLongBanner = "220 ProFTPD 1.3.5 Server (Debian) [::ffff:10.0.0.1]\r\n";

TEST(AppLayerStage, FtpBannerOfAnyLengthIsTransactionZeroSplitAtEveryByte) {
  const std::vector<Seen> want = {
      {AppProto::kFtp, 0, false, kFtpResponse, "ProFTPD 1.3.5 Server (Debian) [::ffff:10.0.0.1]"},
      {AppProto::kFtp, 1, true, kFtpRequest, "USER"}};
  for (std::size_t cut = 0; cut <= kLongBanner.size(); ++cut) {
    Harness h;
    flow::Flow f = tcp_flow(21);
    if (cut > 0) h.stream(f, false, kLongBanner.substr(0, cut));
    if (cut < kLongBanner.size()) h.stream(f, false, kLongBanner.substr(cut));
    EXPECT_EQ(app_of(f), AppProto::kUnknown);
    h.stream(f, true, "USER anonymous\r\n");
    EXPECT_EQ(app_of(f), AppProto::kFtp) << cut;
    EXPECT_EQ(h.seen, want) << "cut at " << cut;
  }
  Harness h;
  flow::Flow f = tcp_flow(21);
  for (char c : kLongBanner) h.stream(f, false, std::string(1, c));
  h.stream(f, true, "USER anonymous\r\n");
  EXPECT_EQ(h.seen, want) << "byte by byte";
}

TEST(AppLayerStage, MultiLineFtpWelcomeAndClientCommandFirstReachTheParser) {
  const std::string welcome =
      "220-Welcome to the example.org archive.\r\n"
      "220-All transfers are logged; disconnect now if you do not agree.\r\n"
      "220 FTP server (vsftpd 3.0.5) ready.\r\n";
  Harness h;
  flow::Flow f = tcp_flow(2121);
  h.stream(f, false, welcome.substr(0, 50));
  h.stream(f, false, welcome.substr(50));
  h.stream(f, true, "USER anonymous\r\n");
  EXPECT_EQ(h.seen, (std::vector<Seen>{{AppProto::kFtp, 0, false, kFtpResponse,
                                        "Welcome to the example.org archive."},
                                       {AppProto::kFtp, 1, true, kFtpRequest, "USER"}}));
  // The other order (a client that speaks first, with a command longer than the probe):
  // its command is kept until the banner decides.
  Harness g;
  flow::Flow e = tcp_flow(2121);
  g.stream(e, true, "USER a-rather-long-user-name\r\n");
  g.stream(e, false, kLongBanner);
  EXPECT_EQ(app_of(e), AppProto::kFtp);
  ASSERT_EQ(g.seen.size(), 2u);
  EXPECT_EQ(g.seen[0], (Seen{AppProto::kFtp, 0, true, kFtpRequest, "USER"}));
}

TEST(AppLayerStage, SmtpGreetingLongerThanTheProbeIsParsed) {
  Harness h;
  flow::Flow f = tcp_flow(587);
  h.stream(f, false, "220 mx.example.com ESMTP Postfix (Debian/GNU)\r\n");
  h.stream(f, true, "EHLO client.example.org\r\n");
  ASSERT_EQ(app_of(f), AppProto::kSmtp);
  // The greeting is the first reply (mail 0), before the EHLO command.
  EXPECT_EQ(h.seen, (std::vector<Seen>{{AppProto::kSmtp, 0, false, kSmtpReply, ""},
                                       {AppProto::kSmtp, 0, true, kSmtpCommand, ""}}));
  h.stream(f, false, "250 mx.example.com\r\n");  // answers EHLO: no unmatched reply
  EXPECT_EQ(h.counters.get("applayer.smtp.unable_to_match_reply_with_request"), 0u);
}

TEST(AppLayerStage, BannerBeyondTheKeptBoundIsNotParsedButDetectionStillDecides) {
  // 1,100 bytes of welcome (over the 1,024 kept): detection decides at the client's command,
  // and the parser starts after the banner, as when the sensor missed it.
  std::string welcome;
  while (welcome.size() < 1100) welcome += "220-This service is for authorized users only.\r\n";
  welcome += "220 ready\r\n";
  Harness h;
  flow::Flow f = tcp_flow(21);
  h.stream(f, false, welcome.substr(0, 600));
  h.stream(f, false, welcome.substr(600));
  h.stream(f, true, "USER anonymous\r\n");
  EXPECT_EQ(app_of(f), AppProto::kFtp);
  EXPECT_EQ(h.seen, (std::vector<Seen>{{AppProto::kFtp, 0, true, kFtpRequest, "USER"}}));
  // Just under the bound, it is.
  Harness g;
  flow::Flow e = tcp_flow(21);
  const std::string line = "220-This service is for authorized users only.\r\n";
  std::string fits;
  while (fits.size() + line.size() + 11 <= 1024) fits += line;
  fits += "220 ready\r\n";
  ASSERT_GT(fits.size(), 1000u);
  ASSERT_LE(fits.size(), 1024u);
  g.stream(e, false, fits);
  g.stream(e, true, "USER anonymous\r\n");
  ASSERT_EQ(g.seen.size(), 2u);
  EXPECT_EQ(g.seen[0].id, 0u);
  EXPECT_FALSE(g.seen[0].to_server);
}

TEST(AppLayerStage, GapInAWaitingBannerDropsWhatWasKept) {
  Harness h;
  flow::Flow f = tcp_flow(21);
  h.stream(f, false, kLongBanner.substr(0, 20));
  h.off[1] += 5;  // 5 bytes the sensor never saw
  h.stream(f, false, kLongBanner.substr(25));
  h.stream(f, true, "USER anonymous\r\n");
  EXPECT_EQ(app_of(f), AppProto::kFtp);
  EXPECT_EQ(h.seen, (std::vector<Seen>{{AppProto::kFtp, 0, true, kFtpRequest, "USER"}}));
}

}  // namespace
}  // namespace wp::applayer
