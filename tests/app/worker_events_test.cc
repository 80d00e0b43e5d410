// The Worker's flow records and anomaly records (EVE event_type flow / anomaly), built from
// traffic made here: a record per flow when it leaves the table, with the reason it left,
// its counters, TCP flags and whether it alerted; anomaly records for decoder events
// (eve-log.anomaly.decode) and application-layer parser events (eve-log.anomaly.applayer),
// each only when configured.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "app/config.h"
#include "app/worker.h"
#include "detect/compile/rule_set.h"
#include "detect/rules/rule_parser.h"
#include "output/eve.h"
#include "support/eve_schema.h"
#include "support/packet_builder.h"
#include "support/worker_harness.h"
#include "support/rule_texts.h"

namespace wp::app {
namespace {

using testing::Frame;
using testing::ip;

// Checksums sampled as by default: these tests are about records, not checksums.
struct Sensor : testing::WorkerHarness {
  explicit Sensor(const std::vector<std::string>& rules, Config c = {})
      : WorkerHarness(rules, std::move(c)) {}
};

const IpAddress kClient = ip("10.0.0.7");
const IpAddress kServer = ip("198.51.100.9");
constexpr std::int64_t kT0 = 1751338800;
constexpr std::uint8_t kSyn = 0x02, kAck = 0x10, kPshAck = 0x18, kFinAck = 0x11;

std::string eve_of(const watchpost::v1::FlowRecord& f) {
  std::string line;
  output::render_eve_flow(f, output::EveOptions{}, line);
  return line;
}

TEST(WorkerEvents, AFlowThatTimesOutIsRecordedWithItsCountersAndReason) {
  Sensor s({R"(alert udp any any -> any any (msg:"x"; content:"evil"; sid:1;))"});
  s.send(testing::udp_packet(kClient, kServer, 40000, 53, "evil"), kT0);
  s.send(testing::udp_packet(kServer, kClient, 53, 40000, "answer"), kT0 + 1);
  ASSERT_TRUE(s.sink.flows.empty()) << "the flow is still open";
  // A packet of another flow after the UDP established timeout (300 s) expires it.
  s.send(testing::udp_packet(kClient, kServer, 40001, 53, "later"), kT0 + 400);
  ASSERT_EQ(s.sink.flows.size(), 1u);
  const watchpost::v1::FlowRecord& f = s.sink.flows[0];
  EXPECT_EQ(f.reason(), "timeout");
  EXPECT_EQ(f.state(), "established");
  EXPECT_TRUE(f.alerted());
  EXPECT_EQ(f.counters().pkts_toserver(), 1u);
  EXPECT_EQ(f.counters().pkts_toclient(), 1u);
  EXPECT_EQ(f.counters().src_ip(), "10.0.0.7");
  EXPECT_EQ(f.counters().dest_port(), 53u);
  EXPECT_EQ(f.counters().start_us(), kT0 * 1000000);
  EXPECT_EQ(f.end_us(), (kT0 + 1) * 1000000);
  EXPECT_EQ(f.timestamp_us(), (kT0 + 400) * 1000000) << "when it left the table";
  EXPECT_EQ(f.ip_v(), 4u);
  EXPECT_EQ(testing::eve_schema_errors(nlohmann::json::parse(eve_of(f))),
            std::vector<std::string>{});
}

TEST(WorkerEvents, FinishEndsEveryOpenFlowWithReasonShutdownAndTcpFlagsPerDirection) {
  Sensor s({});
  testing::TcpSpec syn{40000, 80, 100, 0, kSyn};
  testing::TcpSpec synack{80, 40000, 500, 101, kSyn | kAck};
  testing::TcpSpec ack{40000, 80, 101, 501, kAck};
  testing::TcpSpec data{40000, 80, 101, 501, kPshAck};
  testing::TcpSpec fin{80, 40000, 501, 106, kFinAck};
  s.send(testing::tcp_packet(kClient, kServer, syn, ""), kT0);
  s.send(testing::tcp_packet(kServer, kClient, synack, ""), kT0);
  s.send(testing::tcp_packet(kClient, kServer, ack, ""), kT0);
  s.send(testing::tcp_packet(kClient, kServer, data, "hello"), kT0 + 1);
  s.send(testing::tcp_packet(kServer, kClient, fin, ""), kT0 + 2);
  s.send(testing::udp_packet(kClient, kServer, 5000, 5001, "u"), kT0 + 2);
  s.worker->finish();
  ASSERT_EQ(s.sink.flows.size(), 2u);
  for (const auto& f : s.sink.flows) EXPECT_EQ(f.reason(), "shutdown");
  const auto& tcp = s.sink.flows[0].ip_proto() == 6 ? s.sink.flows[0] : s.sink.flows[1];
  EXPECT_EQ(tcp.tcp_flags_ts(), kSyn | kAck | kPshAck);
  EXPECT_EQ(tcp.tcp_flags_tc(), kSyn | kAck | kFinAck);
  EXPECT_FALSE(tcp.alerted());
  const auto j = nlohmann::json::parse(eve_of(tcp));
  EXPECT_EQ(j["tcp"]["tcp_flags_ts"], "1a");
  EXPECT_EQ(j["tcp"]["fin"], true);
  EXPECT_EQ(testing::eve_schema_errors(j), std::vector<std::string>{});
}

TEST(WorkerEvents, FlowRecordsCanBeTurnedOff) {
  Config c;
  c.eve.flow = false;
  Sensor s({}, c);
  s.send(testing::udp_packet(kClient, kServer, 40000, 53, "x"), kT0);
  s.worker->finish();
  EXPECT_TRUE(s.sink.flows.empty());
}

TEST(WorkerEvents, DecoderEventsBecomeAnomalyRecordsOnlyWhenAskedFor) {
  // A UDP header whose length field says 4 (less than its own 8 bytes): udp.hlen_invalid.
  Frame bad = testing::udp_packet(kClient, kServer, 40000, 53, "abcd");
  bad[14 + 20 + 4] = 0;
  bad[14 + 20 + 5] = 4;
  {
    Sensor s({});
    s.send(bad, kT0);
    EXPECT_TRUE(s.sink.anomalies.empty()) << "decode anomalies are off by default";
  }
  Config c;
  c.eve.anomaly_decode = true;
  Sensor s({}, c);
  s.send(bad, kT0);
  ASSERT_FALSE(s.sink.anomalies.empty());
  const auto& a = s.sink.anomalies[0];
  EXPECT_EQ(a.type(), "decode");
  EXPECT_EQ(a.event().rfind("decoder.udp.", 0), 0u) << a.event();
  EXPECT_EQ(a.pcap_cnt(), 1u);
  std::string line;
  output::render_eve_anomaly(a, output::EveOptions{}, line);
  EXPECT_EQ(testing::eve_schema_errors(nlohmann::json::parse(line)), std::vector<std::string>{});
}

TEST(WorkerEvents, AnAlertOnAPacketWithoutAnIpLayerHasNoAddresses) {
  Sensor s({R"(alert pkthdr any any -> any any (msg:"short"; decode-event:ipv4.pkt_too_small; sid:9;))"});
  s.send(testing::ethernet_frame(0x0800, Frame(10, 0x45)), kT0);  // 10 bytes of "IPv4"
  ASSERT_EQ(s.sink.alerts.size(), 1u);
  EXPECT_TRUE(s.sink.alerts[0].src_ip().empty());
  std::string line;
  output::render_eve_alert(s.sink.alerts[0], output::EveOptions{}, line);
  const auto j = nlohmann::json::parse(line);
  EXPECT_FALSE(j.contains("src_ip")) << line;
  EXPECT_FALSE(j.contains("dest_ip")) << line;
  EXPECT_EQ(testing::eve_schema_errors(j), std::vector<std::string>{});
}

TEST(WorkerEvents, AnHttpParserEventIsAnApplayerAnomalyOnItsFlow) {
  Sensor s({});
  testing::TcpSpec syn{40000, 80, 100, 0, kSyn};
  testing::TcpSpec synack{80, 40000, 500, 101, kSyn | kAck};
  testing::TcpSpec ack{40000, 80, 101, 501, kAck};
  const std::string request = "GET / HTTP/1.1\r\nHost: a\r\nNoColonHere\r\n\r\n";
  testing::TcpSpec data{40000, 80, 101, 501, kPshAck};
  s.send(testing::tcp_packet(kClient, kServer, syn, ""), kT0);
  s.send(testing::tcp_packet(kServer, kClient, synack, ""), kT0);
  s.send(testing::tcp_packet(kClient, kServer, ack, ""), kT0);
  s.send(testing::tcp_packet(kClient, kServer, data, request), kT0);
  const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  testing::TcpSpec reply{80, 40000, 501, static_cast<std::uint32_t>(101 + request.size()), kPshAck};
  s.send(testing::tcp_packet(kServer, kClient, reply, response), kT0);
  ASSERT_EQ(s.sink.anomalies.size(), 1u);
  const auto& a = s.sink.anomalies[0];
  EXPECT_EQ(a.type(), "applayer");
  EXPECT_EQ(a.app_proto(), "http");
  EXPECT_EQ(a.event(), "REQUEST_FIELD_MISSING_COLON");
  EXPECT_EQ(a.layer(), "proto_parser");
  EXPECT_NE(a.flow_id(), 0u);
  EXPECT_EQ(a.src_ip(), "198.51.100.9") << "the packet that completed the transaction";
}

}  // namespace
}  // namespace wp::app
