// 1 and N worker threads give the same alerts offline (ARCHITECTURE.md, "Live runtime"):
// the real sensor replays captures written by the test with --threads 1 and --threads 4 and
// the EVE alert lines are compared. Identical for rules whose state is per flow or per packet
// (the dispatch hash keeps both directions and all fragments of a flow in one worker; flow
// ids come from the flow's key and start time, not from a per-worker counter).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "integration/run_program.h"
#include "support/eve_schema.h"
#include "support/packet_builder.h"
#include "support/pcap_writer.h"
#include "support/temp_dir.h"

namespace wp {
namespace {

using nlohmann::json;
using testing::ip;

const std::string kSensor = WP_BINARY_DIR "/sensor/app/watchpost-sensor";
const std::string kDemo = WP_SOURCE_DIR "/tools/trafficgen/captures/demo.pcap";
const std::string kBundledRules = WP_SOURCE_DIR "/rules/watchpost.rules";

// Per-flow and per-packet state only: stream content, flowbits across directions, fragments,
// ICMP, IPv6, dsize.
constexpr const char* kPerFlowRules = R"(
alert tcp any any -> any 80 (msg:"attack uri"; flow:established,to_server; content:"GET /attack"; sid:1;)
alert tcp any any -> any 80 (msg:"login"; flow:to_server; content:"login"; flowbits:set,logged; flowbits:noalert; sid:2;)
alert tcp any 80 -> any any (msg:"welcome after login"; flow:to_client; content:"welcome"; flowbits:isset,logged; sid:3;)
alert udp any any -> any 53 (msg:"fragmented secret"; content:"fragmented-secret"; sid:4;)
alert icmp any any -> any any (msg:"marked ping"; itype:8; content:"ping-mark"; sid:5;)
alert tcp any any -> any 80 (msg:"v6 attack"; content:"v6attack"; sid:6;)
alert udp any any -> any any (msg:"big udp"; dsize:>1000; sid:7;)
)";

// Shared by hosts across flows (the servers are shared by clients whose flows go to
// different workers): a threshold and xbits tracked by destination. The xbit is set by TCP
// sessions and tested by UDP packets of other clients a few packets later, so the flows that
// set and test it are on different workers and close together in time.
constexpr const char* kHostRules = R"(
alert tcp any any -> any 80 (msg:"attacked server"; flow:to_server; content:"GET /attack"; threshold:type limit, track by_dst, count 1, seconds 3600; sid:11;)
alert tcp any any -> any 80 (msg:"login seen"; flow:to_server; content:"login"; xbits:set,login_seen,track ip_dst,expire 3600; noalert; sid:12;)
alert udp any any -> any 53 (msg:"dns to a server with logins"; content:"plain dns"; xbits:isset,login_seen,track ip_dst; sid:13;)
)";

struct Traffic {
  testing::PcapWriter w;
  std::int64_t usec = 0;
  explicit Traffic(const std::string& path) : w(path) {}
  void put(const testing::Frame& f) {
    usec += 700;
    w.write({1751339045 + usec / 1000000, static_cast<std::uint32_t>(usec % 1000000)}, f);
  }
  // One TCP session: handshake, a request, a response, FIN close.
  void session(const IpAddress& c, const IpAddress& s, std::uint16_t sport, const std::string& req,
               const std::string& resp) {
    testing::TcpSpec t;
    t.sport = sport;
    t.dport = 80;
    t.flags = 0x02;
    t.seq = 1000;
    put(testing::tcp_packet(c, s, t, ""));
    testing::TcpSpec r;
    r.sport = 80;
    r.dport = sport;
    r.flags = 0x12;
    r.seq = 5000;
    r.ack = 1001;
    put(testing::tcp_packet(s, c, r, ""));
    t.flags = 0x10;
    t.seq = 1001;
    t.ack = 5001;
    put(testing::tcp_packet(c, s, t, ""));
    t.flags = 0x18;
    put(testing::tcp_packet(c, s, t, req));
    r.flags = 0x18;
    r.seq = 5001;
    r.ack = 1001 + static_cast<std::uint32_t>(req.size());
    put(testing::tcp_packet(s, c, r, resp));
    t.flags = 0x11;
    t.seq = 1001 + static_cast<std::uint32_t>(req.size());
    t.ack = 5001 + static_cast<std::uint32_t>(resp.size());
    put(testing::tcp_packet(c, s, t, ""));
    r.flags = 0x11;
    r.seq = 5001 + static_cast<std::uint32_t>(resp.size());
    r.ack = t.seq + 1;
    put(testing::tcp_packet(s, c, r, ""));
  }
};

// Many flows between many address pairs, so four workers all get a share, interleaved as a
// link would carry them.
void write_many_flows(const std::string& path) {
  Traffic t(path);
  for (int round = 0; round < 3; ++round) {
    for (int h = 0; h < 64; ++h) {
      const IpAddress client = ip("10.1." + std::to_string(h) + "." + std::to_string(10 + round));
      const IpAddress server = ip("10.2." + std::to_string(h % 8) + ".80");
      const auto sport = static_cast<std::uint16_t>(20000 + round * 100 + h);
      switch (h % 6) {
        case 0: t.session(client, server, sport, "GET /attack HTTP/1.1\r\n\r\n", "HTTP/1.1 404\r\n\r\n"); break;
        case 1: t.session(client, server, sport, "POST /login HTTP/1.1\r\n\r\n", "HTTP/1.1 200\r\n\r\nwelcome"); break;
        case 2: t.session(client, server, sport, "GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 200\r\n\r\nwelcome"); break;
        case 3: {
          testing::L4Options o;
          o.ip_id = static_cast<std::uint16_t>(h * 10 + round);
          const testing::Frame big = testing::udp_packet(
              client, server, sport, 53, std::string(600, 'a') + "fragmented-secret" + std::string(600, 'b'), o);
          auto frags = testing::fragment(big, 256);
          std::reverse(frags.begin(), frags.end());  // out of order, too
          for (const auto& f : frags) t.put(f);
          t.put(testing::udp_packet(client, server, sport, 53, "plain dns"));
          break;
        }
        case 4:
          t.put(testing::icmp_packet(client, server, 8, 0, static_cast<std::uint16_t>(h), 1, "ping-mark"));
          t.put(testing::icmp_packet(server, client, 0, 0, static_cast<std::uint16_t>(h), 1, "ping-mark"));
          break;
        case 5: {
          const IpAddress c6 = ip("2001:db8:1::" + std::to_string(h + 1));
          const IpAddress s6 = ip("2001:db8:2::80");
          t.session(c6, s6, sport, "GET /v6attack HTTP/1.1\r\n\r\n", "HTTP/1.1 200\r\n\r\n");
          break;
        }
      }
    }
  }
}

struct SensorRun {
  int exit_code = -1;
  std::string err;
  std::vector<std::string> alerts;  // EVE alert lines, sorted
};

SensorRun run_sensor(const testing::TempDir& dir, const std::string& pcap, const std::string& rules,
               int threads, const std::string& tag = "") {
  const std::string out = dir.file("out" + std::to_string(threads) + tag);
  std::filesystem::create_directories(out);
  const auto r = testing::run_program(
      {kSensor, "-r", pcap, "-S", rules, "-l", out, "--threads", std::to_string(threads), "--set",
       "detect.sgh-mpm-caching-path=" + dir.file("hs")},
      out);
  SensorRun run{r.exit_code, r.err, {}};
  for (const json& a : testing::read_eve_alerts(out + "/eve.json")) run.alerts.push_back(a.dump());
  std::sort(run.alerts.begin(), run.alerts.end());
  return run;
}

// The lines only one of two sorted runs has, "<" for `a`'s and ">" for `b`'s: a short
// failure message where whole vectors would print pages.
std::string differences(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> only_a, only_b;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(only_a));
  std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(only_b));
  std::string out;
  for (const std::string& l : only_a) out += "< " + l.substr(0, 300) + "\n";
  for (const std::string& l : only_b) out += "> " + l.substr(0, 300) + "\n";
  return out;
}

std::map<int, int> count_by_sid(const std::vector<std::string>& alerts) {
  std::map<int, int> out;
  for (const std::string& a : alerts) ++out[json::parse(a)["alert"]["signature_id"].get<int>()];
  return out;
}

TEST(Threads, OneAndFourWorkersGiveIdenticalAlertsOnManyFlows) {
  testing::TempDir dir;
  const std::string pcap = dir.file("flows.pcap");
  write_many_flows(pcap);
  std::ofstream(dir.file("flow.rules")) << kPerFlowRules;
  const SensorRun one = run_sensor(dir, pcap, dir.file("flow.rules"), 1);
  const SensorRun four = run_sensor(dir, pcap, dir.file("flow.rules"), 4);
  ASSERT_EQ(one.exit_code, 0) << one.err;
  ASSERT_EQ(four.exit_code, 0) << four.err;
  // Every rule fired, as often as the traffic has it.
  const std::map<int, int> expected = {{1, 33}, {3, 33}, {4, 33}, {5, 30}, {6, 30}, {7, 33}};
  EXPECT_EQ(count_by_sid(one.alerts), expected);
  // Whole lines: timestamps, flow ids, pcap_cnt, ...
  EXPECT_TRUE(four.alerts == one.alerts) << differences(one.alerts, four.alerts);
  EXPECT_NE(four.err.find("; 4 workers (packets "), std::string::npos) << four.err;
}

TEST(Threads, OneAndFourWorkersGiveIdenticalAlertsOnTheDemoCapture) {
  testing::TempDir dir;
  const SensorRun one = run_sensor(dir, kDemo, kBundledRules, 1);
  const SensorRun four = run_sensor(dir, kDemo, kBundledRules, 4);
  ASSERT_EQ(one.exit_code, 0) << one.err;
  ASSERT_EQ(four.exit_code, 0) << four.err;
  EXPECT_GT(one.alerts.size(), 20u);
  EXPECT_TRUE(four.alerts == one.alerts) << differences(one.alerts, four.alerts);
}

// A threshold and xbits shared by hosts across flows: with several workers the host state
// is kept in capture order (app/runtime.h, PacketOrder), so the alerts are the same lines as
// with one worker, including which client's packet gets the one alert of a `limit`.
TEST(Threads, OneAndFourWorkersGiveIdenticalThresholdAndXbitsAlerts) {
  testing::TempDir dir;
  const std::string pcap = dir.file("flows.pcap");
  write_many_flows(pcap);
  std::ofstream(dir.file("host.rules")) << kHostRules;
  const SensorRun one = run_sensor(dir, pcap, dir.file("host.rules"), 1);
  ASSERT_EQ(one.exit_code, 0) << one.err;
  // Four servers attacked, one alert each. Logins (h % 6 == 1) set the xbit on servers 1,
  // 7, 5, 3, ...; the plain DNS packets (h % 6 == 3) go to servers 3, 1, 7, 5, ...: in the
  // first round all but the first find a login before them (server 3's comes at h = 19),
  // in the next two rounds all 11 do: 10 + 11 + 11.
  const std::map<int, int> expected = {{11, 4}, {13, 32}};
  EXPECT_EQ(count_by_sid(one.alerts), expected);
  for (int run = 0; run < 3; ++run) {  // timing differs from run to run; the alerts must not
    const SensorRun four = run_sensor(dir, pcap, dir.file("host.rules"), 4, "-" + std::to_string(run));
    ASSERT_EQ(four.exit_code, 0) << four.err;
    EXPECT_TRUE(four.alerts == one.alerts) << "run " << run << "\n"
                                           << differences(one.alerts, four.alerts);
  }
}

}  // namespace
}  // namespace wp
