#include "output/eve.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "output/json.h"

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

TEST_F(EveRendering, WritesSuricataAlertFields) {
  std::string line;
  render_eve_alert(sample(), EveOptions{}, line);
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
  EXPECT_EQ(j["host"], "nt-sensor-1");
  EXPECT_EQ(j["watchpost"]["site"], "nha-trang");
  EXPECT_EQ(j["watchpost"]["sensor_id"], "nt-sensor-1");
  EXPECT_EQ(j["watchpost"]["classtype"], "web-application-attack");
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
