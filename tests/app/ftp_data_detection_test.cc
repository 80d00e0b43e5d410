// FTP data connections end to end through the Worker (decode -> flow -> stream -> applayer
// -> detect -> alert): a control connection announces a data connection (PORT, EPRT, or the
// 227/229 answer to PASV/EPSV) and the next TCP flow between those endpoints on that port is
// app_proto ftp-data; `alert ftp-data` rules inspect its stream, and do not fire on the same
// bytes in a flow nobody announced, on another port, or on a second connection to a port
// already used. ET Open 2024's one ftp-data rule (sid 2034695) as written.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "output/eve.h"
#include "support/packet_builder.h"
#include "support/worker_harness.h"

namespace wp::app {
namespace {

using testing::ip;

using Sensor = testing::WorkerHarness;

// A client in HOME_NET, a server outside it (ET's ftp-data rule is $EXTERNAL_NET -> $HOME_NET,
// to_client: a file downloaded from outside).
const IpAddress kClient = ip("10.0.0.25");
const IpAddress kServer = ip("203.0.113.5");

// One TCP connection (its opener is the client: an active data connection's is the server).
using Tcp = testing::TcpConnection;

// A logged-in FTP control connection from kClient to kServer:21.
Tcp control(Sensor& s) {
  Tcp c(s, kClient, 40001, kServer, 21);
  c.server(s, "220 ProFTPD 1.3.5 Server (Debian) [::ffff:203.0.113.5]\r\n");
  c.client(s, "USER anonymous\r\n");
  c.server(s, "331 Anonymous login ok.\r\n");
  c.client(s, "PASS guest@\r\n");
  c.server(s, "230 Anonymous access granted.\r\n");
  return c;
}

const char* kDataRule =
    R"(alert ftp-data any any -> any any (msg:"secret in a transfer"; content:"TOP-SECRET"; sid:40;))";

// ET Open 2024 sid 2034695 as written.
const char* kEtFtpData =
    R"rule(alert ftp-data $EXTERNAL_NET any -> $HOME_NET any (msg:"ET HUNTING Possible Kimsuky Related Malicious VBScript Inbound"; flow:established,to_client; content:"CreateObject(|22|WScript.Shell|22|)"; content:"reg add"; nocase; fast_pattern; content:"ftp://"; distance:0; within:200; pcre:"/[a-z]{8}.[a-z]{3}/Ri"; reference:url,github.com/eset/malware-ioc/tree/master/kimsuky/hotdoge_donutcat_case; classtype:trojan-activity; sid:2034695; rev:1; metadata:affected_product Windows_XP_Vista_7_8_10_Server_32_64_Bit, attack_target Client_Endpoint, created_at 2021_12_13, deployment Perimeter, former_category HUNTING, performance_impact Low, signature_severity Major, updated_at 2021_12_13;))rule";

const std::string kVbs =
    "Set s = CreateObject(\"WScript.Shell\")\r\n"
    "s.Run \"cmd /c REG ADD HKCU\\Software\\x /d ftp://files.example.net/abcdefgh.vbs\"\r\n";

TEST(FtpDataDetection, PassiveDataConnectionIsFtpDataAndItsRuleFires) {
  Sensor s({kDataRule});
  Tcp c = control(s);
  c.client(s, "PASV\r\n");
  c.server(s, "227 Entering Passive Mode (203,0,113,5,195,81).\r\n");  // 50001
  c.client(s, "RETR report.txt\r\n");
  Tcp d(s, kClient, 40002, kServer, 50001);
  d.server(s, "page 1: TOP-SECRET figures\r\n");
  ASSERT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{40}));
  EXPECT_EQ(s.sink.alerts[0].app_proto(), "ftp-data");
  EXPECT_EQ(s.counters.get("applayer.flow.ftp-data"), 1u);
  EXPECT_EQ(s.counters.get("applayer.expectations.created"), 1u);
  EXPECT_EQ(s.counters.get("applayer.expectations.used"), 1u);
  std::string eve;
  output::render_eve_alert(s.sink.alerts[0], output::EveOptions{}, eve);
  EXPECT_NE(eve.find(R"("app_proto":"ftp-data")"), std::string::npos) << eve;
  // The expectation was consumed: a second connection to that port is not ftp-data.
  Tcp again(s, kClient, 40003, kServer, 50001);
  again.server(s, "TOP-SECRET again\r\n");
  EXPECT_EQ(s.sink.alerts.size(), 1u);
  // Flow records carry the protocol.
  s.worker->finish();
  int data_flows = 0;
  for (const auto& f : s.sink.flows) data_flows += f.app_proto() == "ftp-data";
  EXPECT_EQ(data_flows, 1);
}

TEST(FtpDataDetection, ActiveDataConnectionFromTheServerIsFtpData) {
  Sensor s({kDataRule,
            R"(alert tcp any any -> any any (msg:"by protocol"; app-layer-protocol:ftp-data; content:"TOP"; sid:41;))"});
  Tcp c = control(s);
  c.client(s, "PORT 10,0,0,25,195,80\r\n");  // 50000
  c.server(s, "200 PORT command successful.\r\n");
  c.client(s, "STOR upload.txt\r\n");
  // Active: the server connects to the client's announced port, from port 20.
  Tcp d(s, kServer, 20, kClient, 50000);
  EXPECT_TRUE(s.sink.alerts.empty());
  d.client(s, "TOP-SECRET upload\r\n");
  EXPECT_EQ(s.sink.sorted_sids(), (std::vector<std::uint32_t>{40, 41}));
}

TEST(FtpDataDetection, ExtendedModesEprtAndEpsvAreExpectedToo) {
  Sensor s({kDataRule});
  Tcp c = control(s);
  c.client(s, "EPSV\r\n");
  c.server(s, "229 Entering Extended Passive Mode (|||50010|)\r\n");
  Tcp d(s, kClient, 40010, kServer, 50010);
  d.server(s, "TOP-SECRET via EPSV\r\n");
  c.client(s, "EPRT |1|10.0.0.25|50011|\r\n");
  c.server(s, "200 EPRT command successful.\r\n");
  Tcp e(s, kServer, 20, kClient, 50011);
  e.client(s, "TOP-SECRET via EPRT\r\n");
  EXPECT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{40, 40}));
}

TEST(FtpDataDetection, SameBytesOnFlowsNobodyAnnouncedDoNotFire) {
  Sensor s({kDataRule});
  // No control connection at all.
  Tcp lone(s, kClient, 40020, kServer, 50001);
  lone.server(s, "TOP-SECRET\r\n");
  // A control connection announcing 50001, then a connection to another port, one from
  // another client, and one in the wrong direction (the server connecting for passive).
  Tcp c = control(s);
  c.client(s, "PASV\r\n");
  c.server(s, "227 Entering Passive Mode (203,0,113,5,195,81).\r\n");
  Tcp other_port(s, kClient, 40021, kServer, 50002);
  other_port.server(s, "TOP-SECRET\r\n");
  Tcp other_client(s, ip("10.0.0.99"), 40022, kServer, 50001);
  other_client.server(s, "TOP-SECRET\r\n");
  Tcp reversed(s, kServer, 40023, kClient, 50001);
  reversed.client(s, "TOP-SECRET\r\n");
  EXPECT_TRUE(s.sink.alerts.empty());
  EXPECT_EQ(s.counters.get("applayer.flow.ftp-data"), 0u);
  // The announced one still fires after all these.
  Tcp d(s, kClient, 40024, kServer, 50001);
  d.server(s, "TOP-SECRET\r\n");
  EXPECT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{40}));
}

TEST(FtpDataDetection, ExpectationExpiresAfterThirtySeconds) {
  Sensor s({kDataRule});
  Tcp c = control(s);
  c.client(s, "PASV\r\n");
  c.server(s, "227 Entering Passive Mode (203,0,113,5,195,81).\r\n");
  // The data connection comes 31 s of packet time later.
  const std::int64_t late = Sensor::kStart + 31;
  s.send(testing::tcp_packet(kClient, kServer, {40030, 50001, 1000, 0, 0x02}, ""), late);
  s.send(testing::tcp_packet(kServer, kClient, {50001, 40030, 5000, 1001, 0x12}, ""), late);
  s.send(testing::tcp_packet(kClient, kServer, {40030, 50001, 1001, 5001, 0x10}, ""), late);
  s.send(testing::tcp_packet(kServer, kClient, {50001, 40030, 5001, 1001, 0x18}, "TOP-SECRET"), late);
  EXPECT_TRUE(s.sink.alerts.empty());
  EXPECT_EQ(s.counters.get("applayer.expectations.expired"), 1u);
}

TEST(FtpDataDetection, EtKimsukyRuleFiresOnTheDownloadAndNotOnTheControlChannel) {
  Sensor s({kEtFtpData});
  Tcp c = control(s);
  c.client(s, "PASV\r\n");
  c.server(s, "227 Entering Passive Mode (203,0,113,5,195,81).\r\n");
  c.client(s, "RETR readme.vbs\r\n");
  c.server(s, "150 Opening BINARY mode data connection. " + kVbs);  // not ftp-data
  EXPECT_TRUE(s.sink.alerts.empty());
  Tcp d(s, kClient, 40040, kServer, 50001);
  d.server(s, kVbs);
  ASSERT_EQ(s.sink.sids(), (std::vector<std::uint32_t>{2034695}));
  // A near miss: the same script uploaded (to_server) on a data connection.
  Sensor up({kEtFtpData});
  Tcp u = control(up);
  u.client(up, "PASV\r\n");
  u.server(up, "227 Entering Passive Mode (203,0,113,5,195,82).\r\n");
  Tcp ud(up, kClient, 40041, kServer, 50002);
  ud.client(up, kVbs);
  EXPECT_TRUE(up.sink.alerts.empty());
}

}  // namespace
}  // namespace wp::app
