#include "output/eve_writer.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "output/alert_builder.h"
#include "output/json.h"
#include "support/temp_dir.h"

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

TEST(LineFile, WritesWholeLinesAndAppends) {
  testing::TempDir dir;
  const std::string path = dir.file("eve.json");
  for (const char* line : {"{\"a\":1}", "{\"b\":2}"}) {
    auto f = LineFile::open(path);
    ASSERT_TRUE(f.ok()) << f.error().describe();
    (*f)->write_line(line);
    EXPECT_TRUE((*f)->close());
    EXPECT_EQ((*f)->lines_written(), 1u);
  }
  EXPECT_EQ(testing::read_file(path), "{\"a\":1}\n{\"b\":2}\n");
}

TEST(LineFile, CountsTheLinesAFullDiskRefusedAndKeepsTheError) {
  auto f = LineFile::open("/dev/full");
  ASSERT_TRUE(f.ok()) << f.error().describe();
  for (int i = 0; i < 3; ++i) (*f)->write_line("{\"alert\":1}");
  EXPECT_FALSE((*f)->flush());
  EXPECT_EQ((*f)->lines_written(), 0u);
  EXPECT_EQ((*f)->lines_not_written(), 3u);
  EXPECT_EQ((*f)->write_errors(), 1u);
  EXPECT_EQ((*f)->first_error(), "No space left on device");
  EXPECT_EQ((*f)->path(), "/dev/full");
}

TEST(LineFile, StartsOnANewLineWhenTheFileEndsInAPartialLine) {
  testing::TempDir dir;
  const std::string path = dir.file("eve.json");
  std::ofstream(path) << "{\"a\":1}\n{\"cut short";
  auto f = LineFile::open(path);
  ASSERT_TRUE(f.ok());
  (*f)->write_line("{\"b\":2}");
  ASSERT_TRUE((*f)->close());
  EXPECT_EQ(testing::read_file(path), "{\"a\":1}\n{\"cut short\n{\"b\":2}\n");
}

// A file size limit (RLIMIT_FSIZE, which binds root too) makes write(2) stop part-way
// through the buffer, as a disk filling up does: the line cut there must not stay in the
// file with the next line glued to it.
TEST(LineFile, RemovesALineCutShortByAFailedWrite) {
  testing::TempDir dir;
  const std::string path = dir.file("eve.json");
  const std::string line(99, 'x');  // 100 bytes with its newline
  auto f = LineFile::open(path);
  ASSERT_TRUE(f.ok());
  for (int i = 0; i < 10; ++i) (*f)->write_line(line);

  struct sigaction ignore {
  }, old_action{};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(sigaction(SIGXFSZ, &ignore, &old_action), 0);
  rlimit old_limit{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  rlimit limit = old_limit;
  limit.rlim_cur = 550;  // room for 5.5 lines
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limit), 0);
  const bool flushed = (*f)->flush();
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old_limit), 0);
  sigaction(SIGXFSZ, &old_action, nullptr);

  EXPECT_FALSE(flushed);
  EXPECT_EQ((*f)->lines_written(), 5u);
  EXPECT_EQ((*f)->lines_not_written(), 5u);
  EXPECT_EQ((*f)->first_error(), "File too large");
  std::string expected;
  for (int i = 0; i < 5; ++i) expected += line + "\n";
  EXPECT_EQ(testing::read_file(path), expected);

  // Once there is room again, lines go on at a line boundary.
  (*f)->write_line("{\"next\":1}");
  EXPECT_FALSE((*f)->close());  // the earlier error still counts
  EXPECT_EQ((*f)->lines_written(), 6u);
  EXPECT_EQ(testing::read_file(path), expected + "{\"next\":1}\n");
}

}  // namespace
}  // namespace wp::output
