// Rules on application-layer transactions, end to end through the Worker (decode -> flow ->
// stream -> applayer -> detect -> alert): for every DNS and TLS buffer and keyword a rule
// that fires on traffic built here and a near miss that does not; multi-buffer rules within
// one instance and one transaction; one alert per rule and transaction; rule headers with
// app-layer protocols and app-layer-protocol; and the alert's app_proto, tx_id, dns and tls
// fields in the protobuf message and its EVE rendering.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "app/config.h"
#include "app/worker.h"
#include "detect/compile/rule_set.h"
#include "detect/rules/rule_parser.h"
#include "output/eve.h"
#include "support/app_messages.h"
#include "support/packet_builder.h"
#include "support/worker_harness.h"
#include "support/rule_texts.h"

namespace wp::app {
namespace {

using testing::DnsBuilder;
using testing::Frame;
using testing::ip;

using Sensor = testing::WorkerHarness;

const IpAddress kClient = ip("10.0.0.7");
const IpAddress kServer = ip("198.51.100.9");

std::uint64_t dns_udp(Sensor& s, const std::string& msg, bool query, std::uint16_t port = 53) {
  return query ? s.send(testing::udp_packet(kClient, kServer, 40000, port, msg))
               : s.send(testing::udp_packet(kServer, kClient, port, 40000, msg));
}

std::string query(const std::string& name, int type = 1, std::uint16_t id = 0x1111) {
  return DnsBuilder(id, 0x0100, 1, 0).question(name, type).text();
}

// A TCP connection with a handshake; data offsets per direction.
// This suite's connections: kClient:41000 to kServer:`port`.
struct Conn : testing::TcpConnection {
  Conn(Sensor& s, std::uint16_t port) : TcpConnection(s, kClient, 41000, kServer, port) {}
};

// --- DNS ---------------------------------------------------------------------------------

TEST(AppLayerDetection, DnsQueryFiresOnTheQueryNameAndNotOnANearMiss) {
  Sensor s({R"(alert dns $HOME_NET any -> any any (msg:"q"; dns.query; content:"evil.example"; nocase; endswith; sid:1;))",
            R"(alert dns any any -> any any (msg:"legacy"; dns_query; content:"evil"; sid:2;))"});
  dns_udp(s, query("www.EVIL.example"), true);              // 1 (nocase); not 2 (case)
  dns_udp(s, query("evil.example.org", 1, 0x2222), true);  // 2; near miss for 1 (endswith)
  dns_udp(s, query("good.example", 1, 0x3333), true);      // neither
  EXPECT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{1, 2}));
}

TEST(AppLayerDetection, DnsQueryIsAMultiBufferMatchedWithinOneQuestion) {
  Sensor s({R"(alert dns any any -> any any (msg:"both in one name"; dns.query; content:"evil"; content:".top"; distance:0; sid:3;))"});
  // "evil" in one question and ".top" in another: no match.
  dns_udp(s, DnsBuilder(1, 0x0100, 2, 0).question("evil.example", 1).question("x.top", 1).text(), true);
  EXPECT_TRUE(s.sink.alerts.empty());
  dns_udp(s, DnsBuilder(2, 0x0100, 2, 0).question("a.example", 1).question("evil.top", 1).text(), true);
  EXPECT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{3}));
}

TEST(AppLayerDetection, DnsAnswerNameAndQueriesRrnameInResponses) {
  Sensor s({R"(alert dns any any -> any any (msg:"answer"; dns.answer.name; content:"cdn.bad"; sid:4;))",
            R"(alert dns any any -> any any (msg:"rrname"; flow:to_client; dns.queries.rrname; content:"asked.example"; sid:5;))",
            R"(alert dns any any -> any any (msg:"query in response"; flow:to_client; dns.query; content:"asked"; sid:6;))"});
  dns_udp(s, query("asked.example", 1, 9), true);
  dns_udp(s,
          DnsBuilder(9, 0x8180, 1, 1).question("asked.example", 1).answer_a("cdn.bad", 30, 192, 0, 2, 7).text(),
          false);
  dns_udp(s,
          DnsBuilder(10, 0x8180, 1, 1).question("fine.example", 1).answer_a("cdn.good", 30, 192, 0, 2, 8).text(),
          false);
  EXPECT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{4, 5}));  // dns.query is the request's
}

TEST(AppLayerDetection, DnsOpcodeAndRrtypeKeywords) {
  Sensor s({R"(alert dns any any -> any any (msg:"aaaa"; dns.rrtype:28; sid:7;))",
            R"(alert dns any any -> any any (msg:"notify"; dns.opcode:4; sid:8;))",
            R"(alert dns any any -> any any (msg:"not a query"; dns.opcode:!0; sid:9;))"});
  dns_udp(s, query("v6.example", 28, 1), true);                                       // 7
  dns_udp(s, query("v4.example", 1, 2), true);                                        // none
  dns_udp(s, DnsBuilder(3, 0x2000, 1, 0).question("zone.example", 6).text(), true);   // 8, 9
  EXPECT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{7, 8, 9}));
}

TEST(AppLayerDetection, AppLayerEventOnDnsAnomaly) {
  Sensor s({R"(alert dns any any -> any any (msg:"z"; app-layer-event:dns.z_flag_set; sid:10;))"});
  dns_udp(s, query("a.example", 1, 1), true);
  dns_udp(s, DnsBuilder(2, 0x0140, 1, 0).question("a.example", 1).text(), true);
  EXPECT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{10}));
  EXPECT_EQ(s.counters.get("applayer.dns.z_flag_set"), 1u);
}

TEST(AppLayerDetection, DnsRuleAlertsOncePerTransaction) {
  // Query and response are one transaction: a rule on dns.queries.rrname (both directions)
  // alerts on the query only.
  Sensor s({R"(alert dns any any -> any any (msg:"rrname"; dns.queries.rrname; content:"once.example"; sid:11;))"});
  dns_udp(s, query("once.example", 1, 77), true);
  dns_udp(s, DnsBuilder(77, 0x8180, 1, 0).question("once.example", 1).text(), false);
  ASSERT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{11}));
  EXPECT_EQ(s.sink.alerts[0].tx_id(), 0u);
}

TEST(AppLayerDetection, DnsOverTcpSplitMessageAlertsOnThePacketThatCompletesIt) {
  Sensor s({R"(alert dns any any -> any any (msg:"tcp q"; dns.query; content:"split.example"; sid:12;))"});
  Conn c(s, 53);
  const std::string m = DnsBuilder(5, 0x0100, 1, 0).question("split.example", 1).tcp_text();
  c.client(s, m.substr(0, 9));
  const auto last = c.client(s, m.substr(9));
  ASSERT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{12}));
  EXPECT_EQ(s.sink.alerts[0].pcap_cnt(), last);
  EXPECT_EQ(s.sink.alerts[0].app_proto(), "dns");
}

TEST(AppLayerDetection, DnsHeaderRuleWithPacketContentNeedsADnsFlow) {
  Sensor s({R"(alert dns any any -> any any (msg:"raw"; content:"|07|example"; sid:13;))"});
  dns_udp(s, query("www.example", 1, 1), true);
  s.send(testing::udp_packet(kClient, kServer, 40001, 9999, std::string("\x07") + "example, not dns"));
  EXPECT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{13}));
}

TEST(AppLayerDetection, DnsAlertRecordCarriesTheMessageAsSuricata8WritesIt) {
  Sensor s({R"(alert dns any any -> any any (msg:"q"; dns.query; content:"eve.example"; sid:14;))"});
  dns_udp(s, query("eve.example", 1, 0x0abc), true);
  ASSERT_EQ(s.sink.alerts.size(), 1u);
  const auto& a = s.sink.alerts[0];
  EXPECT_EQ(a.app_proto(), "dns");
  ASSERT_TRUE(a.has_tx_id());
  EXPECT_EQ(a.dns().type(), "request");
  EXPECT_EQ(a.dns().id(), 0x0abcu);
  ASSERT_EQ(a.dns().queries_size(), 1);
  EXPECT_EQ(a.dns().queries(0).rrname(), "eve.example");
  EXPECT_EQ(a.dns().queries(0).rrtype(), "A");
  std::string eve;
  output::render_eve_alert(a, output::EveOptions{}, eve);
  EXPECT_NE(eve.find(R"("tx_id":0,"alert":)"), std::string::npos) << eve;
  EXPECT_NE(eve.find(R"("dns":{"version":3,"type":"request","id":2748,"flags":"100","rd":true,"opcode":0,"queries":[{"rrname":"eve.example","rrtype":"A"}]})"),
            std::string::npos)
      << eve;
  EXPECT_NE(eve.find(R"("app_proto":"dns")"), std::string::npos) << eve;
}

// --- TLS ---------------------------------------------------------------------------------

struct TlsSession {
  std::uint64_t hello = 0, server = 0;
};

TlsSession tls_session(Sensor& s, const std::string& sni, const std::string& cn,
                       std::uint16_t port = 443) {
  Conn c(s, port);
  TlsSession t;
  t.hello = c.client(s, testing::tls_client_hello(sni));
  t.server = c.server(s, testing::tls_server_hello() +
                             testing::tls_certificate(testing::make_test_cert(cn)));
  return t;
}

TEST(AppLayerDetection, TlsSniFiresAndANearMissDoesNot) {
  Sensor s({R"(alert tls $HOME_NET any -> any any (msg:"sni"; tls.sni; content:"bad.example"; endswith; sid:20;))",
            R"(alert tls any any -> any any (msg:"legacy"; tls_sni; content:"bad"; sid:21;))"});
  const auto t = tls_session(s, "www.bad.example", "www.bad.example", 8443);
  tls_session(s, "bad.example.org", "x", 8444);  // near miss for 20
  EXPECT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{20, 21, 21}));
  EXPECT_EQ(s.sink.alerts[0].pcap_cnt(), t.hello);
}

TEST(AppLayerDetection, TlsCertificateBuffersAndKeywords) {
  const testing::TestCert probe = testing::make_test_cert("probe");  // any cert: same issuer
  Sensor s({R"(alert tls any any -> $HOME_NET any (msg:"subject"; flow:to_client; tls.cert_subject; content:"CN=evil.example"; sid:30;))",
            R"(alert tls any any -> any any (msg:"issuer"; tls.cert_issuer; content:"Watchpost Test CA"; sid:31;))",
            R"(alert tls any any -> any any (msg:"serial"; tls.cert_serial; content:"0A:1B:2C"; sid:32;))",
            R"(alert tls any any -> any any (msg:"certs"; tls.certs; content:"Khanh Hoa DC"; sid:33;))",
            R"(alert tls any any -> any any (msg:"legacy subject"; tls.subject:"O=Khanh Hoa DC"; sid:34;))",
            R"(alert tls any any -> any any (msg:"legacy issuer"; tls.issuerdn:!"Other CA"; sid:35;))",
            R"(alert tls any any -> any any (msg:"notafter"; tls_cert_notafter:>2026-01-01; sid:36;))",
            R"(alert tls any any -> any any (msg:"expired"; tls_cert_expired; sid:37;))",
            R"(alert tls any any -> any any (msg:"subject miss"; tls.cert_subject; content:"CN=good.example"; sid:38;))"});
  const auto t = tls_session(s, "evil.example", "evil.example");
  EXPECT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{30, 31, 32, 33, 34, 35, 36}));
  for (const auto& a : s.sink.alerts) EXPECT_EQ(a.pcap_cnt(), t.server);
  (void)probe;
}

TEST(AppLayerDetection, TlsFingerprintJa3AndVersionKeywords) {
  const testing::TestCert cert = testing::make_test_cert("fp.example");
  Sensor s({R"(alert tls any any -> any any (msg:"fp"; tls.cert_fingerprint; content:")" + cert.fingerprint + R"("; sid:40;))",
            R"(alert tls any any -> any any (msg:"ja3 string"; ja3.string; content:"771,4865-49199,0-10,29-23,"; startswith; sid:41;))",
            R"(alert tls any any -> any any (msg:"ja3s"; ja3s.string; content:"771,49199,"; sid:42;))",
            R"(alert tls any any -> any any (msg:"version"; tls.version:1.2; sid:43;))",
            R"(alert tls any any -> any any (msg:"state"; ssl_state:server_hello; sid:44;))",
            R"(alert tls any any -> any any (msg:"ssl_version"; ssl_version:tls1.2; sid:45;))",
            R"(alert tls any any -> any any (msg:"version miss"; tls.version:1.3; sid:46;))",
            R"(alert tls any any -> any any (msg:"ja3 hash miss"; ja3.hash; content:"00000000000000000000000000000000"; sid:47;))"});
  Conn c(s, 443);
  c.client(s, testing::tls_client_hello("fp.example"));
  c.server(s, testing::tls_server_hello() + testing::tls_certificate(cert));
  EXPECT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{41, 42, 43, 44, 45, 40}));
}

TEST(AppLayerDetection, TlsRuleWithTwoBuffersMatchesOnlyWithinOneSession) {
  Sensor s({R"(alert tls any any -> any any (msg:"sni+cert"; tls.sni; content:"a.example"; tls.cert_subject; content:"CN=b.example"; sid:50;))"});
  tls_session(s, "a.example", "other.example", 1443);
  tls_session(s, "other.example", "b.example", 1444);
  EXPECT_TRUE(s.sink.alerts.empty());
  tls_session(s, "a.example", "b.example", 1445);
  EXPECT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{50}));
}

TEST(AppLayerDetection, TlsAlertRecordCarriesTheTlsObject) {
  Sensor s({R"(alert tls any any -> any any (msg:"subject"; tls.cert_subject; content:"eve.example"; sid:51;))"});
  tls_session(s, "eve.example", "eve.example");
  ASSERT_EQ(s.sink.alerts.size(), 1u);
  const auto& a = s.sink.alerts[0];
  EXPECT_EQ(a.app_proto(), "tls");
  EXPECT_EQ(a.tx_id(), 0u);
  EXPECT_EQ(a.tls().sni(), "eve.example");
  EXPECT_EQ(a.tls().subject(), "C=VN, O=Khanh Hoa DC, CN=eve.example");
  EXPECT_EQ(a.tls().issuerdn(), "CN=Watchpost Test CA");
  EXPECT_EQ(a.tls().serial(), "0A:1B:2C");
  EXPECT_EQ(a.tls().version(), "TLS 1.2");
  EXPECT_EQ(a.tls().notbefore(), "2023-11-14T22:13:20");
  EXPECT_EQ(a.tls().ja3s().string(), "771,49199,");
  EXPECT_EQ(a.tls().ja3().hash().size(), 32u);
  std::string eve;
  output::render_eve_alert(a, output::EveOptions{}, eve);
  EXPECT_NE(eve.find(R"("tls":{"subject":"C=VN, O=Khanh Hoa DC, CN=eve.example","issuerdn":"CN=Watchpost Test CA","serial":"0A:1B:2C","fingerprint":")"),
            std::string::npos)
      << eve;
  EXPECT_NE(eve.find(R"("sni":"eve.example","version":"TLS 1.2","notbefore":"2023-11-14T22:13:20","notafter":"2027-01-15T08:00:00","ja3":{"hash":")"),
            std::string::npos)
      << eve;
  EXPECT_NE(eve.find(R"("app_proto":"tls")"), std::string::npos) << eve;
}

// --- Headers and app-layer-protocol ----------------------------------------------------

TEST(AppLayerDetection, HttpHeaderRuleInspectsOnlyFlowsDetectedAsHttp) {
  Sensor s({R"(alert http any any -> any any (msg:"http stream"; flow:to_server; content:"/secret"; sid:60;))"});
  Conn http(s, 8080);
  http.client(s, "GET /secret HTTP/1.1\r\nHost: x\r\n\r\n");
  Conn other(s, 8081);
  other.client(s, "XGET /secret HTTP/1.1\r\n\r\n");
  ASSERT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{60}));
  EXPECT_EQ(s.sink.alerts[0].app_proto(), "http");
  EXPECT_FALSE(s.sink.alerts[0].has_tx_id());
}

TEST(AppLayerDetection, AppLayerProtocolKeywordAndFailed) {
  Sensor s({R"(alert tcp any any -> any any (msg:"is tls"; flow:to_server; content:"|16 03|"; app-layer-protocol:tls; sid:61;))",
            R"(alert tcp any any -> any any (msg:"not tls"; flow:to_server; content:"DATA"; app-layer-protocol:!tls; sid:62;))",
            R"(alert tcp any any -> any any (msg:"failed"; flow:to_client; content:"DATA"; app-layer-protocol:failed; sid:63;))"});
  Conn tls(s, 9443);
  tls.client(s, testing::tls_client_hello("x.example"));
  Conn plain(s, 9444);
  plain.client(s, "DATA one\r\n");
  plain.server(s, "DATA two\r\n");
  EXPECT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{61, 63}));
  // sid 62: the client's data came before detection decided (neither form holds then).
  EXPECT_EQ(s.sink.alerts[1].app_proto(), "failed");
}

TEST(AppLayerDetection, UnparsedProtocolsStayNotSupported) {
  detect::RuleParser parser(detect::RuleVars::suricata_defaults());
  auto r = parser.parse(R"(alert smb any any -> any any (msg:"smb"; content:"x"; sid:70;))");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().describe().find("not supported yet"), std::string::npos);
  auto ok = parser.parse(R"(alert smtp any any -> any any (msg:"smtp"; content:"MAIL"; sid:71;))");
  EXPECT_TRUE(ok.ok());
}

}  // namespace
}  // namespace wp::app
