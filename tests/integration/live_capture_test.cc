// Live capture for real: each test creates two network namespaces joined by a veth pair,
// runs the sensor binary on one end (-i) and sends crafted frames from the other, then looks
// at the EVE file, stats, the control socket and /metrics. Needs root (CI runs as root);
// skipped with the reason otherwise.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/run_program.h"
#include "support/eve_schema.h"
#include "support/netns.h"
#include "support/packet_builder.h"
#include "support/temp_dir.h"

namespace wp {
namespace {

using nlohmann::json;
using testing::ip;
using Clock = std::chrono::steady_clock;

const std::string kSensor = WP_BINARY_DIR "/sensor/app/watchpost-sensor";

constexpr const char* kRuleAlpha =
    "alert udp any any -> any any (msg:\"alpha seen\"; content:\"alpha\"; sid:1001; rev:1;)\n";
constexpr const char* kRuleBeta =
    "alert udp any any -> any any (msg:\"beta seen\"; content:\"beta\"; sid:1002; rev:1;)\n";

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

testing::Frame udp(std::string_view payload, std::uint16_t sport = 5000) {
  return testing::udp_packet(ip("10.9.0.2"), ip("10.9.0.1"), sport, 53, payload);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

class LiveCapture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    link_ = testing::VethLink::create(why);
    if (!link_) GTEST_SKIP() << why;
    write_rules(kRuleAlpha);
  }
  void TearDown() override {
    if (sensor_.pid > 0 && !waited_) {
      ::kill(sensor_.pid, SIGKILL);
      testing::wait_program(sensor_);
    }
  }

  void write_rules(const std::string& text) { std::ofstream(dir_.file("local.rules")) << text; }

  // Starts the sensor in the capture namespace and waits until it captures. `config`: more
  // entries of the pcap: list.
  void start(std::vector<std::string> extra = {}, const std::string& config = "") {
    std::ofstream(dir_.file("watchpost.yaml"))
        << "pcap:\n  - interface: " << link_->sensor_iface() << "\n    site: nha-trang\n"
        << config  // more pcap: entries
        << "stats:\n  interval: 1s\n"
        << "unix-command:\n  enabled: no\n";
    std::vector<std::string> argv = {kSensor, "-i", link_->sensor_iface(), "-S",
                                     dir_.file("local.rules"), "-l", dir_.path().string(), "-c",
                                     dir_.file("watchpost.yaml"), "--threads", "2",
                                     "--set", "pcap-file.checksum-checks=no"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    std::filesystem::create_directories(dir_.file("run"));
    sensor_ = testing::start_program(link_->in_sensor_ns(argv), dir_.file("run"));
    ASSERT_GT(sensor_.pid, 0);
    ASSERT_TRUE(wait_until([&] { return stderr_text().find("capturing on") != std::string::npos; },
                           std::chrono::seconds(20)))
        << stderr_text();
  }

  testing::ProgramResult stop(int sig = SIGTERM) {
    ::kill(sensor_.pid, sig);
    waited_ = true;
    return testing::wait_program(sensor_, std::chrono::seconds(30));
  }

  std::string stderr_text() const { return testing::read_file(sensor_.err_path); }
  std::string eve_text() const { return testing::read_file(dir_.file("eve.json")); }

  // EVE records of event_type `type` (only whole lines are parsed).
  std::vector<json> events(const std::string& type) const {
    std::vector<json> out;
    const std::string text = eve_text();
    const std::size_t whole = text.rfind('\n');
    if (whole == std::string::npos) return out;
    for (const std::string& line : lines_of(text.substr(0, whole + 1))) {
      json j = json::parse(line, nullptr, false);
      if (j.is_discarded() || j.value("event_type", "") != type) continue;
      for (const std::string& e : testing::eve_schema_errors(j)) ADD_FAILURE() << e << "\n" << line;
      out.push_back(std::move(j));
    }
    return out;
  }
  // Alerts of rule `sid` in the whole lines of the EVE file (a text search: tests poll this
  // while thousands of alerts arrive).
  std::size_t alerts_for(int sid) const {
    const std::string text = eve_text();
    const std::string key = "\"signature_id\":" + std::to_string(sid) + ",";
    const std::size_t whole = text.rfind('\n');
    std::size_t n = 0;
    for (std::size_t at = text.find(key); at != std::string::npos && at < whole;
         at = text.find(key, at + 1)) {
      ++n;
    }
    return n;
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::VethLink> link_;
  testing::RunningProgram sensor_;
  bool waited_ = false;
};

TEST_F(LiveCapture, AlertReachesTheEveFileWithinASecondOfItsPacket) {
  start();
  ASSERT_TRUE(link_->send({udp("hello alpha world")}));
  const auto sent = Clock::now();
  ASSERT_TRUE(wait_until([&] { return alerts_for(1001) == 1; }, std::chrono::seconds(5)))
      << stderr_text();
  const auto latency = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - sent);
  EXPECT_LT(latency.count(), 1000);
  const json a = events("alert").at(0);
  EXPECT_EQ(a["in_iface"], link_->sensor_iface());
  EXPECT_EQ(a["watchpost"]["site"], "nha-trang");  // the interface's site label
  EXPECT_EQ(a["src_ip"], "10.9.0.2");
  EXPECT_EQ(a["dest_port"], 53);
  EXPECT_FALSE(a.contains("pcap_cnt") && a["pcap_cnt"] != 0);
}

TEST_F(LiveCapture, SigtermExitsZeroWithWholeEveLinesAndStats) {
  start();
  std::vector<testing::Frame> frames;
  for (int i = 0; i < 200; ++i) frames.push_back(udp(i % 2 ? "x alpha" : "benign", 1000 + i));
  ASSERT_TRUE(link_->send(frames));
  ASSERT_TRUE(wait_until([&] { return alerts_for(1001) == 100; }, std::chrono::seconds(5)));
  const testing::ProgramResult r = stop(SIGTERM);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::string text = eve_text();
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const auto lines = lines_of(text);
  const auto records = testing::read_eve_file(dir_.file("eve.json"));  // whole, valid lines
  ASSERT_EQ(records.size(), lines.size());
  // The last record is the final stats, with the counters of everything captured: under
  // Suricata's names, and all of ours in the watchpost object.
  const json& last = records.back();
  EXPECT_EQ(last["event_type"], "stats");
  EXPECT_EQ(last["stats"]["decoder"]["pkts"], 200);
  EXPECT_EQ(last["watchpost"]["stats"]["capture"]["packets"], 200);
  EXPECT_EQ(last["watchpost"]["stats"]["capture"]["ring_drops"], 0);
  EXPECT_GE(last["stats"]["capture"]["kernel_packets"].get<std::uint64_t>(), 200u);
  EXPECT_EQ(last["stats"]["detect"]["alert"], 100);
  std::ifstream sf(dir_.file("stats.json"));
  const json stats = json::parse(sf);
  EXPECT_EQ(stats["counters"]["decoder.pkts"], 200);
  EXPECT_EQ(stats["alerts"], 100);
  EXPECT_NE(r.err.find("watchpost: SIGTERM: capture stopped"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("watchpost: 200 packets"), std::string::npos) << r.err;
}

TEST_F(LiveCapture, PeriodicStatsRecordsCarrySuricataCounterNamesAndDeltas) {
  start();
  ASSERT_TRUE(link_->send({udp("one"), udp("two"), udp("three")}));
  ASSERT_TRUE(wait_until(
      [&] {
        for (const json& s : events("stats")) {
          if (s["stats"]["decoder"].value("pkts", 0) == 3) return true;
        }
        return false;
      },
      std::chrono::seconds(5)));
  const json s = events("stats").back();
  EXPECT_TRUE(s["stats"].contains("uptime"));
  EXPECT_TRUE(s["stats"]["capture"].contains("kernel_packets"));
  EXPECT_TRUE(s["stats"]["capture"].contains("kernel_drops"));
  EXPECT_TRUE(s["stats"]["decoder"].contains("ipv4"));
  EXPECT_TRUE(s["stats"]["flow"].contains("total"));
  EXPECT_FALSE(s["stats"]["decoder"].contains("pkts_delta"));  // stats.deltas is off
  stop();
}

TEST_F(LiveCapture, StatsDeltasGiveTheChangeSinceTheLastRecord) {
  start({"--set", "stats.deltas=yes"});
  ASSERT_TRUE(link_->send({udp("one"), udp("two")}));
  ASSERT_TRUE(wait_until([&] {
    for (const json& s : events("stats")) {
      if (s["stats"]["decoder"].value("pkts_delta", 0) == 2) return true;
    }
    return false;
  }, std::chrono::seconds(5)));
  // One interval later nothing new arrived: the delta is back to 0, the total stays.
  ASSERT_TRUE(wait_until([&] {
    const auto all = events("stats");
    return !all.empty() && all.back()["stats"]["decoder"].value("pkts", 0) == 2 &&
           all.back()["stats"]["decoder"].value("pkts_delta", 1) == 0;
  }, std::chrono::seconds(5)));
  stop();
}

TEST_F(LiveCapture, SighupUnderTrafficSwapsRulesAndABrokenFileKeepsTheRunningSet) {
  start();
  std::atomic<bool> sending{true};
  std::atomic<int> sent{0};
  // Traffic all along: each frame carries both words, so every packet alerts with whichever
  // rule set inspects it, exactly once.
  std::thread traffic([&] {
    while (sending) {
      std::vector<testing::Frame> burst;
      for (int i = 0; i < 20; ++i) burst.push_back(udp("alpha beta", static_cast<std::uint16_t>(2000 + (sent + i) % 500)));
      if (!link_->send(burst, 200)) break;
      sent += 20;
    }
  });
  // The traffic ends with the test, also when an assertion returns early.
  struct Join {
    std::atomic<bool>& sending;
    std::thread& traffic;
    ~Join() {
      sending = false;
      if (traffic.joinable()) traffic.join();
    }
  } join{sending, traffic};
  ASSERT_TRUE(wait_until([&] { return alerts_for(1001) > 20; }, std::chrono::seconds(5)));
  write_rules(kRuleBeta);
  ::kill(sensor_.pid, SIGHUP);
  EXPECT_TRUE(wait_until([&] { return alerts_for(1002) > 20; }, std::chrono::seconds(10)))
      << stderr_text();
  const std::size_t alpha_after_reload = alerts_for(1001);
  // A rule file whose only rule fails to parse: the reload is rejected, beta stays.
  write_rules("alert udp any any -> any any (msg:\"broken\"; content:\"gamma\"; nosuchkeyword; sid:1003;)\n");
  ::kill(sensor_.pid, SIGHUP);
  EXPECT_TRUE(wait_until([&] { return stderr_text().find("rule reload rejected") != std::string::npos; },
                         std::chrono::seconds(10)))
      << stderr_text();
  const std::size_t beta_then = alerts_for(1002);
  EXPECT_TRUE(wait_until([&] { return alerts_for(1002) > beta_then + 20; }, std::chrono::seconds(5)));
  // A missing rule file is rejected too.
  std::filesystem::remove(dir_.file("local.rules"));
  ::kill(sensor_.pid, SIGUSR2);
  EXPECT_TRUE(wait_until([&] {
    const std::string e = stderr_text();
    return e.find("rule reload rejected") != e.rfind("rule reload rejected");
  }, std::chrono::seconds(10))) << stderr_text();
  sending = false;
  traffic.join();
  const testing::ProgramResult r = stop();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(alerts_for(1001), alpha_after_reload);  // no old-rule alert after the swap
  std::ifstream sf(dir_.file("stats.json"));
  const json stats = json::parse(sf);
  const auto& c = stats["counters"];
  // No packet lost or inspected twice: every captured frame was decoded once and raised one
  // alert, from one rule set or the other.
  EXPECT_EQ(c["capture.ring_drops"], 0);
  EXPECT_EQ(c["capture.packets"], sent.load());
  EXPECT_EQ(c["decoder.pkts"], sent.load());
  EXPECT_EQ(alerts_for(1001) + alerts_for(1002), static_cast<std::size_t>(sent.load()));
  EXPECT_EQ(c["detect.rule_reloads"], 1);
  EXPECT_EQ(c["detect.rule_reload_failures"], 2);
  EXPECT_NE(r.err.find("none of its 1 rules loaded"), std::string::npos) << r.err;
}

// One request line, one answer line, over the control socket.
std::string ask(const std::string& path, const std::string& line) {
  const int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path.c_str());
  if (::connect(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(s);
    return "connect failed";
  }
  const std::string req = line + "\n";
  if (::write(s, req.data(), req.size()) != static_cast<ssize_t>(req.size())) return "write failed";
  std::string out;
  char buf[4096];
  while (out.find('\n') == std::string::npos) {
    const ssize_t n = ::read(s, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(s);
  return out;
}

TEST_F(LiveCapture, ControlSocketAnswersEachCommand) {
  const std::string sock = dir_.file("watchpost.socket");
  start({"--set", "unix-command.enabled=auto", "--set", "unix-command.filename=" + sock});
  ASSERT_TRUE(link_->send({udp("alpha")}));
  ASSERT_TRUE(wait_until([&] { return alerts_for(1001) == 1; }, std::chrono::seconds(5)));

  json stats = json::parse(ask(sock, R"({"command":"stats"})"));
  EXPECT_EQ(stats["return"], "OK");
  EXPECT_EQ(stats["message"]["stats"]["decoder"]["pkts"], 1);
  EXPECT_EQ(stats["message"]["stats"]["detect"]["alert"], 1);

  json rs = json::parse(ask(sock, R"({"command":"ruleset-stats"})"));
  EXPECT_EQ(rs["return"], "OK");
  EXPECT_EQ(rs["message"]["rules_loaded"], 1);
  EXPECT_EQ(rs["message"]["rules_failed"], 0);
  EXPECT_TRUE(rs["message"].contains("last_reload"));

  write_rules(std::string(kRuleAlpha) + kRuleBeta);
  json reload = json::parse(ask(sock, R"({"command": "reload-rules"})"));
  EXPECT_EQ(reload["return"], "OK") << reload.dump();
  rs = json::parse(ask(sock, R"({"command":"ruleset-stats"})"));
  EXPECT_EQ(rs["message"]["rules_loaded"], 2);
  EXPECT_EQ(rs["message"]["reloads"], 1);

  std::filesystem::remove(dir_.file("local.rules"));
  reload = json::parse(ask(sock, R"({"command":"reload-rules"})"));
  EXPECT_EQ(reload["return"], "NOK");
  EXPECT_NE(reload["message"].get<std::string>().find("local.rules"), std::string::npos);

  // logrotate: the file is moved away, reopen-log-files starts a new one.
  std::filesystem::rename(dir_.file("eve.json"), dir_.file("eve.json.1"));
  EXPECT_EQ(json::parse(ask(sock, R"({"command":"reopen-log-files"})"))["return"], "OK");
  ASSERT_TRUE(link_->send({udp("alpha again")}));
  EXPECT_TRUE(wait_until([&] { return alerts_for(1001) == 1; }, std::chrono::seconds(5)));

  json bad = json::parse(ask(sock, R"({"command":"shutdown-now"})"));
  EXPECT_EQ(bad["return"], "NOK");
  EXPECT_NE(bad["message"].get<std::string>().find("unknown command 'shutdown-now'"), std::string::npos);
  EXPECT_EQ(json::parse(ask(sock, "not json"))["return"], "NOK");
  EXPECT_EQ(stop().exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(sock));  // removed at exit
}

// GET http://ADDR/metrics from inside the sensor's namespace.
std::string scrape(const testing::VethLink& link, const std::string& endpoint, const std::string& out_path) {
  const std::size_t colon = endpoint.rfind(':');
  const std::string host = endpoint.substr(0, colon);
  const int port = std::stoi(endpoint.substr(colon + 1));
  testing::VethLink::in_namespace(link.sensor_ns(), [&] {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, host.c_str(), &sa.sin_addr);
    if (::connect(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return false;
    const std::string req = "GET /metrics HTTP/1.1\r\nHost: " + endpoint + "\r\n\r\n";
    if (::write(s, req.data(), req.size()) < 0) return false;
    std::string out;
    char buf[65536];
    for (ssize_t n; (n = ::read(s, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    std::ofstream(out_path) << out;
    return true;
  });
  return testing::read_file(out_path);
}

// Parses every sample line of a Prometheus text body, NAME{LABELS} VALUE: sums per name and
// the label sets in order.
void parse_metrics(const std::string& body, std::map<std::string, double>& sums,
                   std::map<std::string, std::vector<std::string>>& labels) {
  for (const std::string& line : lines_of(body)) {
    if (line.empty() || line[0] == '#') {
      if (!line.empty()) {
        EXPECT_EQ(line.rfind("# TYPE watchpost_", 0), 0u) << line;
      }
      continue;
    }
    const std::size_t sp = line.rfind(' ');
    ASSERT_NE(sp, std::string::npos) << line;
    std::string name = line.substr(0, sp);
    std::string lab;
    if (const std::size_t brace = name.find('{'); brace != std::string::npos) {
      lab = name.substr(brace);
      name = name.substr(0, brace);
    }
    EXPECT_EQ(name.rfind("watchpost_", 0), 0u) << line;
    EXPECT_EQ(name.substr(name.size() - 6), "_total") << line;
    sums[name] += std::stod(line.substr(sp + 1));
    labels[name].push_back(lab);
  }
}

TEST_F(LiveCapture, MetricsAreScrapedOverHttpInPrometheusFormat) {
  start({"--set", "metrics.enabled=yes", "--set", "metrics.listen=127.0.0.1:0", "--site", "phan-rang"});
  ASSERT_TRUE(link_->send({udp("alpha"), udp("other")}));
  ASSERT_TRUE(wait_until([&] { return alerts_for(1001) == 1; }, std::chrono::seconds(5)));
  const std::string err = stderr_text();
  const std::size_t at = err.find("metrics at http://");
  ASSERT_NE(at, std::string::npos) << err;
  const std::string endpoint = err.substr(at + 18, err.find("/metrics", at + 18) - at - 18);
  std::string response;
  std::map<std::string, double> sums;
  std::map<std::string, std::vector<std::string>> labels;
  // Kernel counters are taken every 250 ms: scrape until they are there.
  const auto deadline = Clock::now() + std::chrono::seconds(3);
  do {
    sums.clear();
    labels.clear();
    response = scrape(*link_, endpoint, dir_.file("scrape.txt"));
    ASSERT_EQ(response.rfind("HTTP/1.1 200", 0), 0u) << response;
    EXPECT_NE(response.find("Content-Type: text/plain; version=0.0.4"), std::string::npos);
    const std::string body = response.substr(response.find("\r\n\r\n") + 4);
    parse_metrics(body, sums, labels);
  } while (sums["watchpost_capture_kernel_packets_total"] < 2 && Clock::now() < deadline);
  EXPECT_EQ(sums["watchpost_decoder_pkts_total"], 2);
  EXPECT_EQ(sums["watchpost_detect_alert_total"], 1);
  EXPECT_EQ(sums["watchpost_capture_kernel_packets_total"] >= 2, true);
  ASSERT_EQ(labels["watchpost_decoder_pkts_total"].size(), 2u);  // one per worker
  EXPECT_EQ(labels["watchpost_decoder_pkts_total"][0], "{worker=\"0\",site=\"phan-rang\"}");
  EXPECT_EQ(labels["watchpost_capture_kernel_packets_total"].at(0),
            "{iface=\"" + link_->sensor_iface() + "\",site=\"nha-trang\"}");
  EXPECT_EQ(stop().exit_code, 0);
}

TEST_F(LiveCapture, DeletedInterfaceIsReportedRetriedAndCapturedAgain) {
  start();
  ASSERT_TRUE(link_->send({udp("alpha 1")}));
  ASSERT_TRUE(wait_until([&] { return alerts_for(1001) == 1; }, std::chrono::seconds(5)));
  ASSERT_TRUE(link_->delete_sensor_iface());
  EXPECT_TRUE(wait_until([&] { return stderr_text().find("capture failed") != std::string::npos; },
                         std::chrono::seconds(5)))
      << stderr_text();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // a retry or two fails
  ASSERT_TRUE(link_->add_veth());
  EXPECT_TRUE(wait_until([&] { return stderr_text().find("capturing again") != std::string::npos; },
                         std::chrono::seconds(5)))
      << stderr_text();
  ASSERT_TRUE(link_->send({udp("alpha 2")}));
  EXPECT_TRUE(wait_until([&] { return alerts_for(1001) == 2; }, std::chrono::seconds(5)));
  const testing::ProgramResult r = stop();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::ifstream sf(dir_.file("stats.json"));
  const json stats = json::parse(sf);
  EXPECT_EQ(stats["counters"]["capture.errors"], 1);
  EXPECT_EQ(stats["counters"]["capture.reopens"], 1);
}

TEST_F(LiveCapture, TwoInterfacesEachGiveTheirAlertsTheirNameAndSite) {
  ASSERT_TRUE(link_->add_pair("wp-sensor2", "wp-traffic2"));
  start({"-i", "wp-sensor2"},
        "  - interface: default\n    site: phan-rang\n");  // appended to the pcap: list
  ASSERT_TRUE(link_->send({udp("alpha one", 1111)}));
  ASSERT_TRUE(link_->send({udp("alpha two", 2222)}, 0, "wp-traffic2"));
  ASSERT_TRUE(wait_until([&] { return alerts_for(1001) == 2; }, std::chrono::seconds(5)))
      << stderr_text();
  std::map<int, std::pair<std::string, std::string>> by_port;
  for (const json& a : events("alert")) {
    by_port[a["src_port"].get<int>()] = {a["in_iface"].get<std::string>(),
                                         a["watchpost"]["site"].get<std::string>()};
  }
  EXPECT_EQ(by_port[1111], std::make_pair(std::string("wp-sensor"), std::string("nha-trang")));
  EXPECT_EQ(by_port[2222], std::make_pair(std::string("wp-sensor2"), std::string("phan-rang")));
  EXPECT_NE(stderr_text().find("capturing on wp-sensor, wp-sensor2 with 2 workers"), std::string::npos);
  EXPECT_EQ(stop().exit_code, 0);
}

TEST_F(LiveCapture, AnInterfaceThatCannotBeOpenedAtStartExitsOneNamingIt) {
  const testing::ProgramResult r = testing::run_program(
      link_->in_sensor_ns({kSensor, "-i", "nosuch0", "-S", dir_.file("local.rules"), "-l",
                           dir_.path().string(), "--set", "unix-command.enabled=no"}),
      dir_.path().string(), std::chrono::seconds(60));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("watchpost: interface nosuch0: cannot capture: No such device exists\n"),
            std::string::npos)
      << r.err;
}

TEST_F(LiveCapture, DropsPrivilegesAfterOpeningAndWritesThePidFile) {
  std::filesystem::permissions(dir_.path(), std::filesystem::perms::all);
  start({"--user", "nobody", "--pidfile", dir_.file("watchpost.pid")});
  const std::string pid = testing::read_file(dir_.file("watchpost.pid"));
  EXPECT_EQ(pid, std::to_string(sensor_.pid) + "\n");
  const std::string status = testing::read_file("/proc/" + std::to_string(sensor_.pid) + "/status");
  const std::size_t uid = status.find("Uid:");
  ASSERT_NE(uid, std::string::npos);
  std::istringstream fields(status.substr(uid + 4));
  unsigned real = 0, effective = 0;
  fields >> real >> effective;
  const passwd* nobody = ::getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  EXPECT_EQ(real, nobody->pw_uid);
  EXPECT_EQ(effective, nobody->pw_uid);
  ASSERT_TRUE(link_->send({udp("alpha")}));
  EXPECT_TRUE(wait_until([&] { return alerts_for(1001) == 1; }, std::chrono::seconds(5)));
  EXPECT_EQ(stop().exit_code, 0);
}

}  // namespace
}  // namespace wp
