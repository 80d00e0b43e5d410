#include "output/eve.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "output/json.h"
#include "support/eve_schema.h"

namespace wp::output {
namespace {

class EveRendering : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }

  watchpost::v1::Alert sample() {
    watchpost::v1::Alert a;
    a.set_timestamp_us(1751339045123456);  // 2025-07-01T03:04:05.123456Z
    a.set_site("nha-trang");
    a.set_sensor_id("nt-sensor-1");
    a.set_flow_id(1234567890123);
    a.set_pcap_cnt(7);
    a.set_src_ip("203.0.113.5");
    a.set_src_port(40000);
    a.set_dest_ip("10.20.0.10");
    a.set_dest_port(80);
    a.set_ip_proto(6);
    a.set_direction(watchpost::v1::TO_SERVER);
    auto* s = a.mutable_signature();
    s->set_action("allowed");
    s->set_gid(1);
    s->set_signature_id(9000001);
    s->set_rev(2);
    s->set_signature("WATCHPOST test \"quoted\"");
    s->set_category("Web Application Attack");
    s->set_severity(1);
    s->set_classtype("web-application-attack");
    (*s->mutable_metadata())["created_at"].add_values("2025_07_01");
    (*s->mutable_metadata())["tag"].add_values("a");
    (*s->mutable_metadata())["tag"].add_values("b");
    a.set_payload(std::string("GET /\x01\r\n", 8));
    a.set_packet(std::string("\x00\x01\x02", 3));
    a.set_linktype(1);
    return a;
  }
};

EveOptions with_payload_and_packet() {
  EveOptions o;
  o.payload = o.payload_printable = o.packet = true;
  return o;
}

TEST_F(EveRendering, WritesSuricataAlertFields) {
  std::string line;
  render_eve_alert(sample(), with_payload_and_packet(), line);
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["timestamp"], "2025-07-01T03:04:05.123456+0000");
  EXPECT_EQ(j["flow_id"], 1234567890123);
  EXPECT_EQ(j["pcap_cnt"], 7);
  EXPECT_EQ(j["event_type"], "alert");
  EXPECT_EQ(j["src_ip"], "203.0.113.5");
  EXPECT_EQ(j["src_port"], 40000);
  EXPECT_EQ(j["dest_ip"], "10.20.0.10");
  EXPECT_EQ(j["dest_port"], 80);
  EXPECT_EQ(j["proto"], "TCP");
  EXPECT_EQ(j["direction"], "to_server");
  EXPECT_EQ(j["alert"]["action"], "allowed");
  EXPECT_EQ(j["alert"]["gid"], 1);
  EXPECT_EQ(j["alert"]["signature_id"], 9000001);
  EXPECT_EQ(j["alert"]["rev"], 2);
  EXPECT_EQ(j["alert"]["signature"], "WATCHPOST test \"quoted\"");
  EXPECT_EQ(j["alert"]["category"], "Web Application Attack");
  EXPECT_EQ(j["alert"]["severity"], 1);
  EXPECT_EQ(j["alert"]["metadata"]["created_at"], nlohmann::json({"2025_07_01"}));
  EXPECT_EQ(j["alert"]["metadata"]["tag"], nlohmann::json({"a", "b"}));
  EXPECT_EQ(j["payload"], "R0VUIC8BDQo=");
  EXPECT_EQ(j["payload_printable"], "GET /.\r\n");
  EXPECT_EQ(j["stream"], 0);
  EXPECT_EQ(j["packet"], "AAEC");
  EXPECT_EQ(j["packet_info"]["linktype"], 1);
  EXPECT_EQ(j["packet_info"]["linktype_name"], "EN10MB");
  EXPECT_EQ(j["host"], "nt-sensor-1");
  EXPECT_EQ(j["watchpost"]["site"], "nha-trang");
  EXPECT_EQ(j["watchpost"]["sensor_id"], "nt-sensor-1");
  EXPECT_EQ(j["watchpost"]["classtype"], "web-application-attack");
}

TEST_F(EveRendering, PayloadAndPacketAreOffByDefaultAsInSuricata) {
  std::string line;
  render_eve_alert(sample(), EveOptions{}, line);
  auto j = nlohmann::json::parse(line);
  EXPECT_FALSE(j.contains("payload"));
  EXPECT_FALSE(j.contains("payload_printable"));
  EXPECT_FALSE(j.contains("packet"));
  EXPECT_FALSE(j.contains("stream"));
  EXPECT_TRUE(j["alert"].contains("metadata"));
  EXPECT_TRUE(testing::eve_schema_errors(j).empty());
}

TEST_F(EveRendering, PayloadPacketAndMetadataCanBeTurnedOff) {
  std::string line;
  EveOptions opt;
  opt.payload = opt.payload_printable = opt.packet = opt.metadata = false;
  render_eve_alert(sample(), opt, line);
  auto j = nlohmann::json::parse(line);
  EXPECT_FALSE(j.contains("payload"));
  EXPECT_FALSE(j.contains("payload_printable"));
  EXPECT_FALSE(j.contains("packet"));
  EXPECT_FALSE(j.contains("stream"));
  EXPECT_FALSE(j["alert"].contains("metadata"));
}

TEST_F(EveRendering, IcmpAlertHasTypeAndCodeButNoPorts) {
  auto a = sample();
  a.set_ip_proto(58);
  a.set_icmp_type(128);
  a.set_icmp_code(0);
  std::string line;
  render_eve_alert(a, EveOptions{}, line);
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["proto"], "IPv6-ICMP");
  EXPECT_EQ(j["icmp_type"], 128);
  EXPECT_FALSE(j.contains("src_port"));
  EXPECT_FALSE(j.contains("dest_port"));
}

TEST_F(EveRendering, AlertCarriesFlowIpVersionAndPacketSourceAsSuricata8) {
  auto a = sample();
  a.set_ip_v(4);
  a.set_pkt_src("wire/pcap");
  auto& f = *a.mutable_flow();
  f.set_pkts_toserver(3);
  f.set_pkts_toclient(2);
  f.set_bytes_toserver(300);
  f.set_bytes_toclient(200);
  f.set_start_us(1751339040000000);
  f.set_src_ip("203.0.113.5");
  f.set_src_port(40000);
  f.set_dest_ip("10.20.0.10");
  f.set_dest_port(80);
  std::string line;
  render_eve_alert(a, EveOptions{}, line);
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["ip_v"], 4);
  EXPECT_EQ(j["pkt_src"], "wire/pcap");
  EXPECT_EQ(j["flow"], nlohmann::json::parse(
                           R"({"pkts_toserver":3,"pkts_toclient":2,"bytes_toserver":300,)"
                           R"("bytes_toclient":200,"start":"2025-07-01T03:04:00.000000+0000",)"
                           R"("src_ip":"203.0.113.5","dest_ip":"10.20.0.10","src_port":40000,)"
                           R"("dest_port":80})"));
  EXPECT_EQ(testing::eve_schema_errors(j), std::vector<std::string>{});
}

TEST_F(EveRendering, WithoutTheWatchpostObjectTheLineHasOnlySuricataFields) {
  auto a = sample();
  a.mutable_ether()->set_src_mac("00:11:22:33:44:55");
  a.mutable_ether()->set_dest_mac("66:77:88:99:aa:bb");
  auto& t = *a.mutable_tunnel();
  t.set_src_ip("192.0.2.1");
  t.set_dest_ip("192.0.2.2");
  t.set_ip_proto(47);
  t.set_depth(1);
  EveOptions o = with_payload_and_packet();
  o.watchpost = false;
  std::string line;
  render_eve_alert(a, o, line);
  const auto j = nlohmann::json::parse(line);
  EXPECT_FALSE(j.contains("watchpost"));
  EXPECT_EQ(j["ether"]["src_mac"], "00:11:22:33:44:55");
  EXPECT_EQ(j["tunnel"]["proto"], "GRE");
  EXPECT_EQ(j["tunnel"]["depth"], 1);
  EXPECT_EQ(testing::eve_schema_errors(j), std::vector<std::string>{});
}

TEST_F(EveRendering, Ipv6AddressesAreWrittenInFullFormAsSuricataDoes) {
  auto a = sample();
  a.set_src_ip("2001:db8::1");
  a.set_dest_ip("fe80::a:b");
  std::string line;
  render_eve_alert(a, EveOptions{}, line);
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["src_ip"], "2001:0db8:0000:0000:0000:0000:0000:0001");
  EXPECT_EQ(j["dest_ip"], "fe80:0000:0000:0000:0000:0000:000a:000b");
}

TEST_F(EveRendering, DropAndRejectRulesAreLoggedBlocked) {
  auto a = sample();
  a.mutable_signature()->set_action("blocked");
  std::string line;
  render_eve_alert(a, EveOptions{}, line);
  EXPECT_EQ(nlohmann::json::parse(line)["alert"]["action"], "blocked");
}

TEST_F(EveRendering, FlowRecordHasSuricataFlowAndTcpObjects) {
  watchpost::v1::FlowRecord f;
  f.set_timestamp_us(1751339100000000);
  f.set_site("nha-trang");
  f.set_sensor_id("nt-1");
  f.set_flow_id(77);
  f.set_ip_proto(6);
  f.set_ip_v(4);
  f.set_app_proto("http");
  auto& c = *f.mutable_counters();
  c.set_pkts_toserver(5);
  c.set_pkts_toclient(4);
  c.set_bytes_toserver(500);
  c.set_bytes_toclient(4000);
  c.set_start_us(1751339040000000);
  c.set_src_ip("203.0.113.5");
  c.set_src_port(40000);
  c.set_dest_ip("10.20.0.10");
  c.set_dest_port(80);
  f.set_end_us(1751339043500000);
  f.set_state("closed");
  f.set_reason("timeout");
  f.set_alerted(true);
  f.set_tcp_flags_ts(0x1b);
  f.set_tcp_flags_tc(0x1b);
  for (bool watchpost : {true, false}) {
    EveOptions o;
    o.watchpost = watchpost;
    std::string line;
    render_eve_flow(f, o, line);
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["event_type"], "flow");
    EXPECT_EQ(j["src_ip"], "203.0.113.5");
    EXPECT_EQ(j["dest_port"], 80);
    EXPECT_EQ(j["app_proto"], "http");
    EXPECT_EQ(j["flow"]["end"], "2025-07-01T03:04:03.500000+0000");
    EXPECT_EQ(j["flow"]["age"], 3);
    EXPECT_EQ(j["flow"]["state"], "closed");
    EXPECT_EQ(j["flow"]["reason"], "timeout");
    EXPECT_EQ(j["flow"]["alerted"], true);
    EXPECT_EQ(j["tcp"]["tcp_flags"], "1b");
    EXPECT_EQ(j["tcp"]["syn"], true);
    EXPECT_FALSE(j["tcp"].contains("rst"));
    EXPECT_EQ(j.contains("watchpost"), watchpost);
    EXPECT_EQ(testing::eve_schema_errors(j), std::vector<std::string>{});
  }
}

TEST_F(EveRendering, AnomalyRecordsNameTheirTypeAndEvent) {
  watchpost::v1::Anomaly a;
  a.set_timestamp_us(1751339045123456);
  a.set_pcap_cnt(9);
  a.set_type("decode");
  a.set_event("decoder.ipv4.trunc_pkt");
  std::string line;
  render_eve_anomaly(a, EveOptions{}, line);
  auto j = nlohmann::json::parse(line);
  EXPECT_FALSE(j.contains("src_ip")) << "no IP layer decoded: no addresses, as Suricata";
  EXPECT_EQ(j["anomaly"], nlohmann::json::parse(R"({"type":"decode","event":"decoder.ipv4.trunc_pkt"})"));
  EXPECT_EQ(testing::eve_schema_errors(j), std::vector<std::string>{});

  a.set_src_ip("203.0.113.5");
  a.set_dest_ip("10.20.0.10");
  a.set_src_port(40000);
  a.set_dest_port(80);
  a.set_ip_proto(6);
  a.set_ip_v(4);
  a.set_type("applayer");
  a.set_event("REQUEST_FIELD_MISSING_COLON");
  a.set_app_proto("http");
  a.set_layer("proto_parser");
  line.clear();
  render_eve_anomaly(a, EveOptions{}, line);
  j = nlohmann::json::parse(line);
  EXPECT_EQ(j["anomaly"], nlohmann::json::parse(R"({"app_proto":"http","type":"applayer",)"
                                                R"("event":"REQUEST_FIELD_MISSING_COLON",)"
                                                R"("layer":"proto_parser"})"));
  EXPECT_EQ(testing::eve_schema_errors(j), std::vector<std::string>{});
}

TEST_F(EveRendering, FastLogIcmpLineShowsTypeAndCodeAsPorts) {
  auto a = sample();
  a.set_ip_proto(1);
  a.set_icmp_type(8);
  a.set_icmp_code(0);
  std::string line;
  render_fast_alert(a, line);
  EXPECT_NE(line.find("{ICMP} 203.0.113.5:8 -> 10.20.0.10:0"), std::string::npos) << line;
}

TEST_F(EveRendering, FastLogLineHasSuricataLayout) {
  std::string line;
  render_fast_alert(sample(), line);
  EXPECT_EQ(line,
            "07/01/2025-03:04:05.123456  [**] [1:9000001:2] WATCHPOST test \"quoted\" [**] "
            "[Classification: Web Application Attack] [Priority: 1] {TCP} 203.0.113.5:40000 -> "
            "10.20.0.10:80");
}

TEST(Json, EscapesControlCharactersAndInvalidUtf8) {
  std::string out;
  append_json_string(out, std::string("a\"b\\c\n\x01\xff\xc3\xa9", 10));
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001\\u00ff\xc3\xa9\"");
  EXPECT_NO_THROW(nlohmann::json::parse(out));
}

TEST(Json, PrintablePayloadKeepsTextAndDotsTheRest) {
  std::string out;
  const std::string in("say \"hi\" \\ \r\n\t\x00\xe9", 16);
  append_printable(out, {reinterpret_cast<const std::uint8_t*>(in.data()), in.size()});
  EXPECT_EQ(out, "\"say \\\"hi\\\" \\\\ \\r\\n...\"");
  EXPECT_EQ(nlohmann::json::parse(out).get<std::string>(), "say \"hi\" \\ \r\n...");
}

TEST(Json, Base64MatchesRfc4648Vectors) {
  struct Case { const char* in; const char* out; };
  for (Case c : {Case{"", ""}, Case{"f", "Zg=="}, Case{"fo", "Zm8="}, Case{"foo", "Zm9v"},
                 Case{"foob", "Zm9vYg=="}, Case{"fooba", "Zm9vYmE="}, Case{"foobar", "Zm9vYmFy"}}) {
    std::string out;
    std::string in = c.in;
    append_base64(out, {reinterpret_cast<const std::uint8_t*>(in.data()), in.size()});
    EXPECT_EQ(out, c.out) << c.in;
  }
}

TEST(Json, TimestampUsesLocalZoneOffset) {
  setenv("TZ", "ICT-7", 1);  // POSIX form: no tzdata needed
  tzset();
  std::string out;
  append_timestamp(out, 1751339045000001);
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(out, "2025-07-01T10:04:05.000001+0700");
}

}  // namespace
}  // namespace wp::output

namespace wp::output {
namespace {

watchpost::v1::Stats sample_stats() {
  watchpost::v1::Stats st;
  st.set_timestamp_us(1751339045123456);
  st.set_sensor_id("nt-1");
  st.set_site("nha-trang");
  st.set_uptime_us(17'900'000);
  auto& c = *st.mutable_counters();
  c["capture.kernel_packets"] = 100;
  c["capture.kernel_drops"] = 2;
  c["decoder.pkts"] = 98;
  c["decoder.event.ipv4.trunc_pkt"] = 1;
  c["detect.alert"] = 3;
  return st;
}

TEST(EveStats, SuricataNamedCountersFillStatsAndOursGoInTheWatchpostObject) {
  watchpost::v1::Stats st = sample_stats();
  auto& s = *st.mutable_suricata_counters();
  s["decoder.pkts"] = 98;
  s["tcp.sessions"] = 4;
  (*st.mutable_counters())["stream.sessions"] = 4;
  std::string out;
  render_eve_stats(st, EveOptions{}, out);
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["stats"]["tcp"]["sessions"], 4);
  EXPECT_FALSE(j["stats"].contains("stream")) << "our own names only inside watchpost";
  EXPECT_EQ(j["watchpost"]["stats"]["stream"]["sessions"], 4);
  EXPECT_EQ(testing::eve_schema_errors(j), std::vector<std::string>{});
  EveOptions off;
  off.watchpost = false;
  out.clear();
  render_eve_stats(st, off, out);
  j = nlohmann::json::parse(out);
  EXPECT_FALSE(j.contains("watchpost"));
  EXPECT_EQ(j["stats"]["decoder"]["pkts"], 98);
}

TEST(EveStats, CountersNestByTheDotsOfTheirNamesAsSuricataWritesThem) {
  std::string out;
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  render_eve_stats(sample_stats(), EveOptions{}, out);
  EXPECT_EQ(out,
            "{\"timestamp\":\"2025-07-01T03:04:05.123456+0000\",\"event_type\":\"stats\","
            "\"host\":\"nt-1\",\"stats\":{\"uptime\":17,"
            "\"capture\":{\"kernel_drops\":2,\"kernel_packets\":100},"
            "\"decoder\":{\"event\":{\"ipv4\":{\"trunc_pkt\":1}},\"pkts\":98},"
            "\"detect\":{\"alert\":3}},"
            "\"watchpost\":{\"site\":\"nha-trang\",\"sensor_id\":\"nt-1\"}}");
}

TEST(EveStats, DeltasSitBesideTheirCountersWhenAskedFor) {
  watchpost::v1::Stats st = sample_stats();
  (*st.mutable_deltas())["decoder.pkts"] = 10;
  (*st.mutable_deltas())["detect.alert"] = 0;
  std::string out;
  EveOptions o;
  o.stats_deltas = true;
  render_eve_stats(st, o, out);
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["stats"]["decoder"]["pkts"], 98);
  EXPECT_EQ(j["stats"]["decoder"]["pkts_delta"], 10);
  EXPECT_EQ(j["stats"]["detect"]["alert_delta"], 0);
  out.clear();
  render_eve_stats(st, EveOptions{}, out);
  EXPECT_FALSE(nlohmann::json::parse(out)["stats"]["decoder"].contains("pkts_delta"));
}

TEST(EveStats, ACounterThatIsAlsoAPrefixKeepsBothAsValidJson) {
  watchpost::v1::Stats st;
  (*st.mutable_counters())["flow.total"] = 4;
  (*st.mutable_counters())["flow.total.tcp"] = 3;
  std::string out;
  render_eve_stats(st, EveOptions{}, out);
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["stats"]["flow"]["total"], 4);
  EXPECT_EQ(j["stats"]["flow"]["total_"]["tcp"], 3);
}

}  // namespace
}  // namespace wp::output
