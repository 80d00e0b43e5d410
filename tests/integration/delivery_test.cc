// Delivery end to end: real sensors (watchpost-sensor --collector) and the real collector
// (watchpost-collector) on 127.0.0.1, certificates made by tools/pki/make-certs.sh in a
// temporary directory, captures written by the test. What the collector stored (its SQLite
// store) is compared with what each sensor wrote to its own EVE file: every alert once,
// with its sensor and site, whatever was killed on the way.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include "integration/collector_process.h"
#include "integration/run_program.h"
#include "support/eve_schema.h"
#include "support/packet_builder.h"
#include "support/pcap_writer.h"
#include "support/temp_dir.h"
#include "watchpost/v1/event.pb.h"

namespace wp {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using testing::ip;
using testing::read_file;

const std::string kSensor = WP_BINARY_DIR "/sensor/app/watchpost-sensor";

// One stored or written alert: who, where, which packet, which rule.
using AlertKey = std::tuple<std::string, std::string, std::uint64_t, std::uint32_t>;

// A capture of `n` UDP packets, each raising one alert ("evil <i>"), with distinct ports.
void write_capture(const std::string& path, int n, int first = 0) {
  testing::PcapWriter w(path);
  for (int i = first; i < first + n; ++i) {
    w.write(
        {1751339045 + i / 1000, static_cast<std::uint32_t>(i % 1000) * 1000},
        testing::udp_packet(ip("203.0.113.5"), ip("10.0.0.2"), static_cast<std::uint16_t>(1024 + i),
                            53, "evil " + std::to_string(i) + std::string(40, '.')));
  }
}

// The byte offset in a classic pcap file after its first `packets` records.
std::size_t pcap_offset_after(const std::string& bytes, int packets) {
  std::size_t pos = 24;
  for (int i = 0; i < packets && pos + 16 <= bytes.size(); ++i) {
    std::uint32_t incl = 0;
    std::memcpy(&incl, bytes.data() + pos + 8, 4);
    pos += 16 + incl;
  }
  return pos;
}

// Opens a FIFO for writing without blocking: fails when no reader came within 20 s.
int open_fifo_writer(const std::string& path) {
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  for (;;) {
    const int fd = open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);  // not into children
    if (fd >= 0 || errno != ENXIO || Clock::now() > deadline) return fd;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// Writes all of `data` to a non-blocking FIFO; false when the reader took none of it for 20 s.
bool write_fifo(int fd, std::string_view data) {
  auto deadline = Clock::now() + std::chrono::seconds(20);
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      deadline = Clock::now() + std::chrono::seconds(20);
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return false;
    } else if (Clock::now() > deadline) {
      return false;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  return true;
}

// Kills a started program that the test did not wait for (a failed assertion returned
// early), so no sensor outlives its test.
struct KillOnExit {
  testing::RunningProgram& p;
  bool waited = false;
  testing::ProgramResult wait() {
    waited = true;
    return testing::wait_program(p);
  }
  ~KillOnExit() {
    if (waited || p.pid <= 0) return;
    kill(p.pid, SIGKILL);
    testing::wait_program(p);
  }
};

std::map<std::string, std::uint64_t> stats_counters(const std::string& path) {
  std::map<std::string, std::uint64_t> out;
  const std::string text = read_file(path);
  if (text.empty()) return out;
  const auto j = nlohmann::json::parse(text);
  for (const auto& [k, v] : j.at("counters").items()) out[k] = v.get<std::uint64_t>();
  return out;
}

std::vector<AlertKey> eve_alerts(const std::string& path) {
  std::vector<AlertKey> out;
  for (const auto& j : testing::read_eve_alerts(path)) {
    out.emplace_back(j.at("host").get<std::string>(),
                     j.at("watchpost").at("site").get<std::string>(),
                     j.at("pcap_cnt").get<std::uint64_t>(),
                     j.at("alert").at("signature_id").get<std::uint32_t>());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::size_t line_count(const std::string& path) {
  const std::string t = read_file(path);
  return static_cast<std::size_t>(std::count(t.begin(), t.end(), '\n'));
}

// What the collector's store holds (read-only; WAL lets us read while it writes).
struct Stored {
  std::vector<AlertKey> alerts;                                       // sorted
  std::set<std::tuple<std::string, std::int64_t, std::int64_t>> ids;  // (sensor, epoch, seq)
  std::size_t rows = 0;                                               // alert rows
  std::size_t stats = 0;                                              // stats rows
  std::size_t flow_records = 0;                                       // records rows, kind flow
  std::set<std::tuple<std::string, std::int64_t, std::int64_t>> record_ids;
  bool ok = false;
};

Stored read_store(const std::string& db_path) {
  Stored s;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return s;
  }
  sqlite3_busy_timeout(db, 2000);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT sensor, site, epoch, seq, alert FROM alerts", -1, &st,
                         nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW) {
      const std::string sensor = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
      const std::string site = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
      watchpost::v1::Alert a;
      a.ParseFromArray(sqlite3_column_blob(st, 4), sqlite3_column_bytes(st, 4));
      s.alerts.emplace_back(sensor, site, a.pcap_cnt(), a.signature().signature_id());
      s.ids.emplace(sensor, sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3));
      ++s.rows;
    }
    s.ok = true;
  }
  sqlite3_finalize(st);
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM stats", -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    s.stats = static_cast<std::size_t>(sqlite3_column_int64(st, 0));
  }
  sqlite3_finalize(st);
  if (sqlite3_prepare_v2(db, "SELECT sensor, epoch, seq FROM records WHERE kind = 'flow'", -1, &st,
                         nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW) {
      s.record_ids.emplace(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
                           sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2));
      ++s.flow_records;
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  std::sort(s.alerts.begin(), s.alerts.end());
  return s;
}

// The EVE file's flow records by the reason their flow ended.
std::map<std::string, std::size_t> eve_flow_reasons(const std::string& path) {
  std::map<std::string, std::size_t> n;
  for (const auto& j : testing::read_eve_file(path)) {
    if (j["event_type"] == "flow") ++n[j["flow"]["reason"].get<std::string>()];
  }
  return n;
}

// The real collector (integration/collector_process.h), addressed as the sensors see it.
class Collector {
 public:
  Collector(const std::string& dir, const std::string& pki, int port = 0) : p_(dir, pki, port) {}
  bool started() const { return p_.started(); }
  std::string port() const { return std::to_string(p_.port()); }
  std::string address() const { return "127.0.0.1:" + port(); }
  std::string db() const { return p_.db(); }
  std::string eve() const { return p_.eve(); }
  std::string log() const { return p_.err(); }
  testing::ProgramResult stop() { return p_.stop(); }  // SIGTERM: commit, acknowledge, exit 0
  void kill_now() { p_.stop(SIGKILL); }

 private:
  testing::CollectorProcess p_;
};

class Delivery : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(rules_) << "alert udp any any -> any any (msg:\"evil\"; content:\"evil\"; "
                             "classtype:trojan-activity; sid:1001; rev:1;)\n";
    ASSERT_TRUE(testing::make_certs(
        pki_, {"--san", "127.0.0.1", "--sensor", "nt-01", "--sensor", "pr-01"}));
  }

  // A sensor's command line: its own log directory and spool under the test's directory.
  std::vector<std::string> sensor_argv(const std::string& id, const std::string& site,
                                       const std::string& pcap, const std::string& collector,
                                       const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> argv = {
        kSensor,
        "-r",
        pcap,
        "-S",
        rules_,
        "-l",
        log_dir(id),
        "--sensor-id",
        id,
        "--site",
        site,
        "--collector",
        collector,
        "--set",
        "collector.ca-file=" + pki_ + "/ca.pem",
        "--set",
        "collector.cert-file=" + pki_ + "/" + (id == "pr-01" ? "pr-01" : "nt-01") + ".pem",
        "--set",
        "collector.key-file=" + pki_ + "/" + (id == "pr-01" ? "pr-01" : "nt-01") + ".key",
        "--set",
        "collector.spool-dir=" + spool_,
        "--set",
        "collector.drain-timeout=20s",
        "--set",
        "detect.sgh-mpm-caching=no",
        // The tests count alert and stats events; FlowRecordsReachTheCollector turns these on.
        "--set",
        "eve-log.flow=no"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }
  std::string log_dir(const std::string& id) const { return tmp_.file("logs-" + id); }
  std::string eve(const std::string& id) const { return log_dir(id) + "/eve.json"; }
  std::string stats(const std::string& id) const { return log_dir(id) + "/stats.json"; }
  std::string scratch(const std::string& name) const {
    fs::create_directories(tmp_.file(name));
    return tmp_.file(name);
  }
  // A port nothing listens on: a collector's, killed.
  std::string closed_port() {
    Collector c(scratch("probe"), pki_);
    const std::string port = c.port();
    c.kill_now();
    return port;
  }

  testing::TempDir tmp_;
  std::string pki_ = tmp_.file("pki");
  std::string rules_ = tmp_.file("local.rules");
  std::string spool_ = tmp_.file("spool");
};

TEST_F(Delivery, TwoSensorsOfTwoSitesStoreEveryAlertOnceWithItsSite) {
  Collector collector(scratch("collector"), pki_);
  ASSERT_TRUE(collector.started()) << collector.log();
  write_capture(tmp_.file("nt.pcap"), 300);
  write_capture(tmp_.file("pr.pcap"), 200, 5000);
  auto nt = testing::start_program(
      sensor_argv("nt-01", "nha-trang", tmp_.file("nt.pcap"), collector.address(),
                  {"--set", "collector.batch-events=50"}),
      scratch("run-nt"));
  auto pr = testing::start_program(
      sensor_argv("pr-01", "phan-rang", tmp_.file("pr.pcap"), collector.address(),
                  {"--set", "collector.batch-events=50"}),
      scratch("run-pr"));
  KillOnExit nt_guard{nt}, pr_guard{pr};
  const auto nt_result = nt_guard.wait();
  const auto pr_result = pr_guard.wait();
  ASSERT_EQ(nt_result.exit_code, 0) << nt_result.err;
  ASSERT_EQ(pr_result.exit_code, 0) << pr_result.err;
  EXPECT_NE(nt_result.err.find("collector: 301 events delivered, 0 still spooled in " + spool_ +
                               "/nt-01\n"),
            std::string::npos)
      << nt_result.err;
  EXPECT_NE(pr_result.err.find("collector: 201 events delivered, 0 still spooled in " + spool_ +
                               "/pr-01\n"),
            std::string::npos)
      << pr_result.err;

  std::vector<AlertKey> expected = eve_alerts(eve("nt-01"));
  const auto pr_alerts = eve_alerts(eve("pr-01"));
  ASSERT_EQ(expected.size(), 300u);
  ASSERT_EQ(pr_alerts.size(), 200u);
  EXPECT_EQ(std::get<1>(expected.front()), "nha-trang");
  EXPECT_EQ(std::get<1>(pr_alerts.front()), "phan-rang");
  expected.insert(expected.end(), pr_alerts.begin(), pr_alerts.end());
  std::sort(expected.begin(), expected.end());
  const Stored stored = read_store(collector.db());
  ASSERT_TRUE(stored.ok);
  EXPECT_EQ(stored.alerts, expected);
  EXPECT_EQ(stored.ids.size(), stored.rows);  // (sensor, epoch, seq) once each
  EXPECT_EQ(stored.stats, 2u);                // each sensor's final Stats event

  const auto counters = stats_counters(stats("nt-01"));
  EXPECT_EQ(counters.at("collector.events_acked"), 301u);
  EXPECT_EQ(counters.at("collector.connects"), 1u);
  EXPECT_EQ(counters.at("spool.backlog"), 0u);
  EXPECT_EQ(collector.stop().exit_code, 0);
}

TEST_F(Delivery, FlowRecordsReachTheCollectorAreStoredAndWrittenToItsEveFile) {
  Collector collector(scratch("collector"), pki_);
  ASSERT_TRUE(collector.started()) << collector.log();
  write_capture(tmp_.file("nt.pcap"), 50);  // 50 flows (a source port each), 50 alerts
  auto nt = testing::start_program(sensor_argv("nt-01", "nha-trang", tmp_.file("nt.pcap"),
                                               collector.address(), {"--set", "eve-log.flow=yes"}),
                                   scratch("run-nt"));
  KillOnExit guard{nt};
  const auto result = guard.wait();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("collector: 101 events delivered, 0 still spooled"), std::string::npos)
      << result.err << "\ncollector:\n" << collector.log();
  std::size_t stored = 0;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(collector.db().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM records WHERE kind = 'flow'", -1, &st,
                               nullptr),
            SQLITE_OK);
  if (sqlite3_step(st) == SQLITE_ROW) stored = static_cast<std::size_t>(sqlite3_column_int64(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  EXPECT_EQ(stored, 50u);
  std::size_t flow_lines = 0;
  for (const auto& j : testing::read_eve_file(collector.eve())) {
    if (j["event_type"] != "flow") continue;
    ++flow_lines;
    EXPECT_EQ(j["watchpost"]["site"], "nha-trang");
    EXPECT_EQ(j["flow"]["reason"], "shutdown");
    EXPECT_EQ(j["flow"]["alerted"], true);
  }
  EXPECT_EQ(flow_lines, 50u);
}

TEST_F(Delivery, ARuleMessageThatIsNotUtf8IsDeliveredAsValidText) {
  // "café" in Latin-1 (0xE9): a protobuf string must be UTF-8, and a batch the collector
  // cannot parse would be refused and resent forever.
  std::ofstream(rules_) << "alert udp any any -> any any (msg:\"caf\xe9 \xff\"; content:\"evil\"; "
                           "metadata:owner r\xe9seau; sid:1001; rev:1;)\n";
  Collector collector(scratch("collector"), pki_);
  ASSERT_TRUE(collector.started()) << collector.log();
  write_capture(tmp_.file("nt.pcap"), 5);
  const auto r = testing::run_program(
      sensor_argv("nt-01", "nha-trang", tmp_.file("nt.pcap"), collector.address()), scratch("run"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("collector: 6 events delivered, 0 still spooled"), std::string::npos)
      << r.err;
  EXPECT_EQ(collector.stop().exit_code, 0);
  const Stored stored = read_store(collector.db());
  ASSERT_EQ(stored.rows, 5u);
  // The sensor's EVE file and the store say the same: U+00E9 and U+00FF.
  const std::string eve_text = read_file(eve("nt-01"));
  EXPECT_NE(eve_text.find("\"signature\":\"caf\xc3\xa9 \xc3\xbf\""), std::string::npos) << eve_text;
  EXPECT_NE(eve_text.find("\"owner\":[\"r\xc3\xa9seau\"]"), std::string::npos);
  const auto q = testing::run_program({WP_BINARY_DIR "/tools/alerts/watchpost-alerts", "--db",
                                       collector.db(), "--format", "json", "--limit", "1"},
                                      scratch("query"));
  ASSERT_EQ(q.exit_code, 0) << q.err;
  const auto j = nlohmann::json::parse(q.out);
  EXPECT_EQ(j["msg"], "caf\u00e9 \u00ff");
}

TEST_F(Delivery, CollectorKilledMidStreamAndRestartedLosesNothingAndDoublesNothing) {
  auto collector = std::make_unique<Collector>(scratch("collector"), pki_);
  ASSERT_TRUE(collector->started()) << collector->log();
  const std::string address = collector->address();
  const std::string port = collector->port();
  const int kPackets = 3000;
  write_capture(tmp_.file("all.pcap"), kPackets);
  const std::string bytes = read_file(tmp_.file("all.pcap"));
  const std::size_t half = pcap_offset_after(bytes, kPackets / 2);
  // The sensor reads a FIFO, so the test decides when packets arrive.
  const std::string fifo = tmp_.file("in.fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  // Flow records too, ending during the replay (UDP flows time out after 1 s of capture
  // time, which spans 3 s), so they travel between the alerts through the kill.
  auto sensor = testing::start_program(
      sensor_argv("nt-01", "nha-trang", fifo, address,
                  {"--set", "collector.batch-events=20", "--set", "collector.max-in-flight=2",
                   "--set", "eve-log.flow=yes", "--set", "flow-timeouts.udp.new=1"}),
      scratch("run"));
  KillOnExit guard{sensor};
  const int w = open_fifo_writer(fifo);
  ASSERT_GE(w, 0);
  ASSERT_TRUE(write_fifo(w, std::string_view(bytes).substr(0, half)));
  // Once the first alerts are stored, the rest arrives and the collector dies under it.
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (read_store(collector->db()).rows == 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_GT(read_store(collector->db()).rows, 0u);
  ASSERT_TRUE(write_fifo(w, std::string_view(bytes).substr(half)));
  collector->kill_now();
  const std::size_t stored_before_restart =
      read_store(tmp_.file("collector") + "/store.sqlite").rows;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  collector = std::make_unique<Collector>(scratch("collector"), pki_, std::stoi(port));
  ASSERT_EQ(collector->address(), address) << collector->log();
  close(w);  // end of the capture: the sensor drains
  const auto result = guard.wait();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("0 still spooled"), std::string::npos) << result.err;

  const auto written = eve_alerts(eve("nt-01"));
  ASSERT_EQ(written.size(), static_cast<std::size_t>(kPackets));
  const Stored stored = read_store(collector->db());
  EXPECT_LT(stored_before_restart, stored.rows);  // it was killed mid-stream
  EXPECT_EQ(stored.alerts, written);
  EXPECT_EQ(stored.ids.size(), stored.rows);
  EXPECT_EQ(stored.stats, 1u);
  const auto reasons = eve_flow_reasons(eve("nt-01"));
  EXPECT_GE(reasons.count("timeout") ? reasons.at("timeout") : 0, 1000u) << "ended mid-stream";
  std::size_t flow_records = 0;
  for (const auto& [reason, n] : reasons) flow_records += n;
  EXPECT_EQ(flow_records, static_cast<std::size_t>(kPackets));
  EXPECT_EQ(stored.flow_records, static_cast<std::size_t>(kPackets));
  EXPECT_EQ(stored.record_ids.size(), stored.flow_records);
  EXPECT_GE(stats_counters(stats("nt-01")).at("collector.connects"), 2u);
  EXPECT_EQ(collector->stop().exit_code, 0);
}

TEST_F(Delivery, SensorKilledWhileTheCollectorIsDownSendsItsSpoolOnRestart) {
  const std::string port = closed_port();
  const std::string address = "127.0.0.1:" + port;
  write_capture(tmp_.file("all.pcap"), 400);
  const std::string fifo = tmp_.file("in.fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  auto sensor =
      testing::start_program(sensor_argv("nt-01", "nha-trang", fifo, address), scratch("run1"));
  KillOnExit guard{sensor};
  const int w = open_fifo_writer(fifo);
  ASSERT_GE(w, 0);
  ASSERT_TRUE(write_fifo(w, read_file(tmp_.file("all.pcap"))));
  // Every alert reached the EVE file (so the spool); the capture is still open.
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (line_count(eve("nt-01")) < 400 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(line_count(eve("nt-01")), 400u);
  kill(sensor.pid, SIGKILL);
  guard.wait();
  close(w);
  const auto written = eve_alerts(eve("nt-01"));

  Collector collector(scratch("collector"), pki_, std::stoi(port));
  ASSERT_EQ(collector.address(), address) << collector.log();
  write_capture(tmp_.file("empty.pcap"), 0);
  const auto result = testing::run_program(
      sensor_argv("nt-01", "nha-trang", tmp_.file("empty.pcap"), address), scratch("run2"));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("collector: 400 unacknowledged events in " + spool_ +
                            "/nt-01 from an earlier run; sending them first\n"),
            std::string::npos)
      << result.err;
  EXPECT_NE(
      result.err.find("collector: 401 events delivered, 0 still spooled in " + spool_ + "/nt-01\n"),
      std::string::npos)
      << result.err;
  const Stored stored = read_store(collector.db());
  EXPECT_EQ(stored.alerts, written);
  EXPECT_EQ(stored.ids.size(), stored.rows);
}

TEST_F(Delivery, AFullSpoolDropsTheOldestEventsAndSaysHowMany) {
  const std::string address = "127.0.0.1:" + closed_port();
  write_capture(tmp_.file("all.pcap"), 2000);
  const auto result = testing::run_program(
      sensor_argv(
          "nt-01", "nha-trang", tmp_.file("all.pcap"), address,
          {"--set", "collector.spool-max-size=64kb", "--set", "collector.drain-timeout=300ms"}),
      scratch("run"));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto c = stats_counters(stats("nt-01"));
  const std::uint64_t dropped = c.at("spool.dropped_events");
  EXPECT_GT(dropped, 0u);
  EXPECT_EQ(dropped + c.at("spool.backlog"), 2001u);  // every event spooled or counted
  EXPECT_LE(c.at("spool.bytes"), 64u * 1024);
  EXPECT_NE(result.err.find("warning: collector spool " + spool_ +
                            "/nt-01 is full (collector.spool-max-size 65536 bytes): dropped the "),
            std::string::npos)
      << result.err;
  EXPECT_NE(
      result.err.find("collector: 0 events delivered, " + std::to_string(c.at("spool.backlog")) +
                      " still spooled in " + spool_ + "/nt-01; cannot connect to " + address +
                      ": Connection refused; " + std::to_string(dropped) +
                      " events dropped because the spool was full "
                      "(collector.spool-max-size 64 KiB)\n"),
      std::string::npos)
      << result.err;
  // The local file has them all: 2000 alerts and the final stats record.
  EXPECT_EQ(line_count(eve("nt-01")), 2001u);
}

TEST_F(Delivery, ASpoolOnAFullDiskIsReportedAndExitsOneWhileTheEveFileKeepsEveryAlert) {
  if (geteuid() != 0) GTEST_SKIP() << "mounting a small tmpfs as the full disk needs root";
  const std::string disk = scratch("disk");
  ASSERT_EQ(mount("tmpfs", disk.c_str(), "tmpfs", 0, "size=64k"), 0) << std::strerror(errno);
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{disk};
  write_capture(tmp_.file("nt.pcap"), 2000);
  auto argv =
      sensor_argv("nt-01", "nha-trang", tmp_.file("nt.pcap"), "127.0.0.1:" + closed_port(),
                  {"--set", "collector.drain-timeout=0", "--set", "collector.spool-dir=" + disk});
  const auto r = testing::run_program(argv, scratch("run"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("spool write errors (cannot write " + disk + "/nt-01/seg-"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" spool write errors in " + disk + "/nt-01; "), std::string::npos) << r.err;
  EXPECT_EQ(eve_alerts(eve("nt-01")).size(), 2000u);  // the local file lost nothing
  EXPECT_GT(stats_counters(stats("nt-01")).at("spool.write_errors"), 0u);
}

TEST_F(Delivery, ATornLastSpoolRecordIsSkippedAndCountedOnRestart) {
  const std::string port = closed_port();
  const std::string address = "127.0.0.1:" + port;
  write_capture(tmp_.file("all.pcap"), 100);
  auto first =
      testing::run_program(sensor_argv("nt-01", "nha-trang", tmp_.file("all.pcap"), address,
                                       {"--set", "collector.drain-timeout=100ms"}),
                           scratch("run1"));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto written = eve_alerts(eve("nt-01"));
  // A write cut short: a record header announcing 200 bytes, 37 of them on disk.
  std::string last_segment;
  for (const auto& e : fs::directory_iterator(spool_ + "/nt-01")) {
    const std::string n = e.path().string();
    if (e.path().filename().string().starts_with("seg-")) last_segment = std::max(last_segment, n);
  }
  ASSERT_FALSE(last_segment.empty());
  const auto whole = fs::file_size(last_segment);
  {
    std::ofstream f(last_segment, std::ios::binary | std::ios::app);
    const char header[16] = {'\xc8', 0, 0, 0, 1, 2, 3, 4, 102, 0, 0, 0, 0, 0, 0, 0};
    f.write(header, 16);
    f << std::string(37, 'z');
  }

  Collector collector(scratch("collector"), pki_, std::stoi(port));
  ASSERT_EQ(collector.address(), address) << collector.log();
  write_capture(tmp_.file("empty.pcap"), 0);
  fs::remove(stats("nt-01"));
  const auto second = testing::run_program(
      sensor_argv("nt-01", "nha-trang", tmp_.file("empty.pcap"), address), scratch("run2"));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.err.find("warning: " + last_segment +
                            ": 1 corrupt or torn spool record(s) skipped; torn tail cut off at "
                            "byte " +
                            std::to_string(whole) + "\n"),
            std::string::npos)
      << second.err;
  EXPECT_NE(second.err.find("collector: 102 events delivered, 0 still spooled in " + spool_ +
                            "/nt-01; 1 corrupt spool records skipped\n"),
            std::string::npos)
      << second.err;
  EXPECT_EQ(stats_counters(stats("nt-01")).at("spool.corrupt_records"), 1u);
  const Stored stored = read_store(collector.db());
  EXPECT_EQ(stored.alerts, written);
  EXPECT_EQ(stored.stats, 2u);  // both runs' final stats
}

TEST_F(Delivery, ASensorWhoseCertificateIsFromAnotherCaIsRefusedAndKeepsItsEvents) {
  Collector collector(scratch("collector"), pki_);
  ASSERT_TRUE(collector.started()) << collector.log();
  const std::string other = tmp_.file("other-pki");
  ASSERT_TRUE(testing::make_certs(other, {"--sensor", "nt-01"}));
  write_capture(tmp_.file("all.pcap"), 10);
  const auto started = Clock::now();
  const auto result = testing::run_program(
      sensor_argv("nt-01", "nha-trang", tmp_.file("all.pcap"), collector.address(),
                  {"--set", "collector.cert-file=" + other + "/nt-01.pem", "--set",
                   "collector.key-file=" + other + "/nt-01.key", "--set",
                   "collector.drain-timeout=1500ms"}),
      scratch("run"));
  const auto took = Clock::now() - started;
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_GE(took, std::chrono::milliseconds(1500));
  EXPECT_NE(result.err.find("collector: 0 events delivered, 11 still spooled in " + spool_ +
                            "/nt-01; collector " + collector.address() +
                            " ended the connection before acknowledging anything: "),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("(does it accept this sensor's certificate?)\n"), std::string::npos)
      << result.err;
  EXPECT_EQ(read_store(collector.db()).rows, 0u);
  EXPECT_EQ(stats_counters(stats("nt-01")).at("spool.backlog"), 11u);
}

TEST_F(Delivery, ASensorClaimingAnotherIdThanItsCertificatesIsRefusedAndSaysWhy) {
  Collector collector(scratch("collector"), pki_);
  ASSERT_TRUE(collector.started()) << collector.log();
  write_capture(tmp_.file("all.pcap"), 10);
  // pr-01 presenting nt-01's certificate.
  const auto result = testing::run_program(
      sensor_argv(
          "pr-01", "phan-rang", tmp_.file("all.pcap"), collector.address(),
          {"--set", "collector.cert-file=" + pki_ + "/nt-01.pem", "--set",
           "collector.key-file=" + pki_ + "/nt-01.key", "--set", "collector.drain-timeout=1s"}),
      scratch("run"));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("collector: 0 events delivered, 11 still spooled in " + spool_ +
                            "/pr-01; collector refused this sensor: "),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("'pr-01'"), std::string::npos) << result.err;
  const auto c = stats_counters(stats("pr-01"));
  EXPECT_GE(c.at("collector.refused"), 1u);
  EXPECT_EQ(c.at("spool.backlog"), 11u);
  EXPECT_EQ(read_store(collector.db()).rows, 0u);
}

TEST_F(Delivery, ACollectorWhoseCertificateDoesNotNameTheHostIsNotTrusted) {
  Collector collector(scratch("collector"), pki_);
  ASSERT_TRUE(collector.started()) << collector.log();
  write_capture(tmp_.file("all.pcap"), 3);
  // The certificate names IP 127.0.0.1 only, not "localhost".
  const auto result = testing::run_program(
      sensor_argv("nt-01", "nha-trang", tmp_.file("all.pcap"), "localhost:" + collector.port(),
                  {"--set", "collector.drain-timeout=700ms"}),
      scratch("run"));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("collector: 0 events delivered, 4 still spooled in " + spool_ +
                            "/nt-01; TLS handshake with localhost:" + collector.port() +
                            " failed: certificate verify failed (the collector's certificate is "
                            "not valid for localhost)\n"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(read_store(collector.db()).rows, 0u);
}

TEST_F(Delivery, DrainSaysWhatWasDeliveredAndExitsZeroEvenWhenTheCollectorIsDown) {
  write_capture(tmp_.file("all.pcap"), 10);
  {
    Collector collector(scratch("collector"), pki_);
    ASSERT_TRUE(collector.started()) << collector.log();
    const auto result = testing::run_program(
        sensor_argv("nt-01", "nha-trang", tmp_.file("all.pcap"), collector.address()),
        scratch("run1"));
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.err.find("\ncollector: 11 events delivered, 0 still spooled in " + spool_ +
                              "/nt-01\n"),
              std::string::npos)
        << result.err;
    EXPECT_EQ(read_store(collector.db()).rows, 10u);
  }
  const std::string address = "127.0.0.1:" + closed_port();
  const auto started = Clock::now();
  const auto result =
      testing::run_program(sensor_argv("nt-01", "nha-trang", tmp_.file("all.pcap"), address,
                                       {"--set", "collector.drain-timeout=1s"}),
                           scratch("run2"));
  const auto took = Clock::now() - started;
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_GE(took, std::chrono::seconds(1));
  EXPECT_LT(took, std::chrono::seconds(10));
  EXPECT_NE(result.err.find("\ncollector: 0 events delivered, 11 still spooled in " + spool_ +
                            "/nt-01; cannot connect to " + address + ": Connection refused\n"),
            std::string::npos)
      << result.err;
  const auto c = stats_counters(stats("nt-01"));
  EXPECT_GE(c.at("collector.connect_failures"), 1u);
  EXPECT_EQ(c.at("collector.events_acked"), 0u);
}

TEST_F(Delivery, ASecondSensorWithTheSameSpoolExitsTwoNamingTheHolder) {
  const std::string address = "127.0.0.1:" + closed_port();
  const std::string fifo = tmp_.file("in.fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  auto first = testing::start_program(
      sensor_argv("nt-01", "nha-trang", fifo, address, {"--set", "collector.drain-timeout=100ms"}),
      scratch("run1"));
  KillOnExit guard{first};
  const int w = open_fifo_writer(fifo);  // the first sensor is running
  ASSERT_GE(w, 0);
  // Its spool is locked once it has opened its capture.
  write_capture(tmp_.file("empty.pcap"), 0);
  const std::string header = read_file(tmp_.file("empty.pcap"));
  ASSERT_TRUE(write_fifo(w, header));
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (read_file(spool_ + "/nt-01/lock").empty() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto second = testing::run_program(
      sensor_argv("nt-01", "nha-trang", tmp_.file("empty.pcap"), address), scratch("run2"));
  close(w);
  const auto first_result = guard.wait();
  EXPECT_EQ(second.exit_code, 2);
  EXPECT_NE(
      second.err.find("watchpost: " + spool_ + "/nt-01: spool is in use by another process (pid " +
                      std::to_string(first.pid) +
                      "): another sensor with sensor id 'nt-01' and this "
                      "collector.spool-dir is running\n"),
      std::string::npos)
      << second.err;
  EXPECT_EQ(first_result.exit_code, 0) << first_result.err;
}

TEST_F(Delivery, TlsFilesThatCannotBeLoadedExitTwoNamingTheKeyAndTheFile) {
  write_capture(tmp_.file("all.pcap"), 1);
  const auto missing = testing::run_program(
      sensor_argv("nt-01", "nha-trang", tmp_.file("all.pcap"), "127.0.0.1:9",
                  {"--set", "collector.cert-file=" + tmp_.file("missing.pem")}),
      scratch("run1"));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("watchpost: " + tmp_.file("missing.pem") +
                             ": collector.cert-file: cannot read it: No such file or directory\n"),
            std::string::npos)
      << missing.err;
  // pr-01's key with nt-01's certificate.
  const auto mismatch =
      testing::run_program(sensor_argv("nt-01", "nha-trang", tmp_.file("all.pcap"), "127.0.0.1:9",
                                       {"--set", "collector.key-file=" + pki_ + "/pr-01.key"}),
                           scratch("run2"));
  EXPECT_EQ(mismatch.exit_code, 2);
  EXPECT_NE(mismatch.err.find("watchpost: " + pki_ +
                              "/pr-01.key: collector.key-file: key values "
                              "mismatch (it must be the key of " +
                              pki_ + "/nt-01.pem)\n"),
            std::string::npos)
      << mismatch.err;
  EXPECT_FALSE(fs::exists(eve("nt-01")) && line_count(eve("nt-01")) > 0);
}

}  // namespace
}  // namespace wp
