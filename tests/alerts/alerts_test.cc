// watchpost-alerts: time and CIDR parsing, and the real tool run on stores written by the
// collector's Store.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "integration/run_program.h"
#include "query.h"
#include "sample.h"
#include "store.h"
#include "support/temp_dir.h"

namespace wp::alerts {
namespace {

using namespace std::chrono_literals;
using testing::ProgramResult;

constexpr std::int64_t kNow = 1751328000000000;  // 2025-07-01T00:00:00Z

TEST(ParseTime, AcceptsDurationsAgoAndIso8601) {
  setenv("TZ", "Asia/Ho_Chi_Minh", 1);  // +07:00, no daylight saving
  tzset();
  struct Case {
    const char* text;
    std::int64_t want;
  };
  const Case cases[] = {
      {"90s", kNow - 90'000'000},
      {"15m", kNow - 900'000'000},
      {"1h", kNow - 3'600'000'000},
      {"2d", kNow - 172'800'000'000},
      {"1w", kNow - 604'800'000'000},
      {"2025-07-01T00:00:00Z", kNow},
      {"2025-07-01T07:00:00+07:00", kNow},
      {"2025-07-01T07:00:00+0700", kNow},
      {"2025-06-30T23:00:00-01", kNow},
      {"2025-07-01T00:00:00.25Z", kNow + 250'000},
      {"2025-07-01 00:00:01.000001Z", kNow + 1'000'001},
      {"2025-07-01T07:00", kNow},  // local time
      {"2025-07-01", kNow - 7 * 3'600'000'000},
  };
  for (const Case& c : cases) {
    auto t = parse_time(c.text, kNow);
    ASSERT_TRUE(t.ok()) << c.text << ": " << t.error().describe();
    EXPECT_EQ(*t, c.want) << c.text;
  }
  setenv("TZ", "UTC", 1);
  tzset();
}

TEST(ParseTime, RejectsWhatItCannotRead) {
  for (const char* text :
       {"", "h", "1y", "-1h", "1.5h", "yesterday", "2025-13-01", "2025-07-01T25:00",
        "2025-07-01T00:00:00+7", "2025-07-01X", "2025/07/01"}) {
    auto t = parse_time(text, kNow);
    ASSERT_FALSE(t.ok()) << text;
    EXPECT_EQ(t.error().message,
              "bad time '" + std::string(text) +
                  "': expected a duration ago (90s, 15m, 1h, 2d, 1w) or ISO 8601 (2025-07-01, "
                  "2025-07-01T03:04:05, 2025-07-01T03:04:05+07:00)");
  }
}

TEST(ParseCidr, GivesTheInclusiveKeyRange) {
  struct Case {
    const char* text;
    const char* low;
    const char* high;
  };
  const Case cases[] = {
      {"192.0.2.7", "192.0.2.7", "192.0.2.7"},
      {"10.0.0.0/8", "10.0.0.0", "10.255.255.255"},
      {"10.1.2.3/16", "10.1.0.0", "10.1.255.255"},
      {"0.0.0.0/0", "0.0.0.0", "255.255.255.255"},
      {"2001:db8::/32", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"::/0", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
  };
  for (const Case& c : cases) {
    auto r = parse_cidr(c.text);
    ASSERT_TRUE(r.ok()) << c.text;
    EXPECT_EQ(r->low, *IpAddress::parse(c.low)) << c.text;
    EXPECT_EQ(r->high, *IpAddress::parse(c.high)) << c.text;
  }
  struct Bad {
    const char* text;
    const char* why;
  };
  const Bad bad[] = {{"10.0.0.0/33", "prefix length must be 0..32"},
                     {"2001:db8::/129", "prefix length must be 0..128"},
                     {"10.0.0.0/", "prefix length must be 0..32"},
                     {"10.0.0/8", "not an IPv4 or IPv6 address"},
                     {"host.example", "not an IPv4 or IPv6 address"}};
  for (const Bad& b : bad) {
    auto r = parse_cidr(b.text);
    ASSERT_FALSE(r.ok()) << b.text;
    EXPECT_EQ(r.error().message, "bad address or CIDR '" + std::string(b.text) + "': " + b.why);
  }
}

// A store with 300 sample alerts from nt-1 (nha-trang) and 100 from pr-1 (phan-rang).
class AlertsTool : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
    std::filesystem::create_directories(dir_.file("run"));
    auto s = store::Store::open({db(), false});
    ASSERT_TRUE(s.ok()) << s.error().describe();
    store_ = std::move(s).value();
    add("nt-1", "nha-trang", 1, 300);
    add("pr-1", "phan-rang", 1, 100);
  }

  void add(const std::string& sensor, const std::string& site, std::uint64_t first, int n) {
    auto b = collector::sample_batch(sensor, site, 1, first, n);
    store::BatchRows rows;
    store::batch_rows(sensor, b, rows);
    ASSERT_TRUE(store_->begin().ok());
    ASSERT_TRUE(store_->add(sensor, "127.0.0.1:1", b, kNow, rows).ok());
    ASSERT_TRUE(store_->commit().ok());
  }

  std::string db() const { return dir_.file("alerts.sqlite"); }

  ProgramResult run(std::vector<std::string> args) {
    std::vector<std::string> argv = {std::string(WP_BINARY_DIR) + "/tools/alerts/watchpost-alerts",
                                     "--db", db()};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::run_program(argv, dir_.file("run"));
  }

  static std::vector<nlohmann::json> json_lines(const std::string& out) {
    std::vector<nlohmann::json> v;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) v.push_back(nlohmann::json::parse(line));
    return v;
  }

  testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(AlertsTool, FiltersSelectExactlyTheMatchingAlerts) {
  // Sample alert i: sid 2000000 + 1000 * (i % 8), severity 1 + i % 3, source 10.1.x.y
  // (2001:db8:: for i % 5 == 4), destination 192.0.2.(i % 250 + 1), 1 ms apart from kNow.
  struct Case {
    std::vector<std::string> args;
    std::size_t count;
    std::function<bool(const nlohmann::json&)> holds;
  };
  const Case cases[] = {
      {{}, 400, [](const auto&) { return true; }},
      {{"--site", "phan-rang"}, 100, [](const auto& j) { return j["site"] == "phan-rang"; }},
      {{"--sensor", "nt-1"}, 300, [](const auto& j) { return j["sensor"] == "nt-1"; }},
      {{"--sid", "2001000"}, 51, [](const auto& j) { return j["sid"] == 2001000; }},
      {{"--sid", "2001000", "--site", "nha-trang"},
       38,
       [](const auto& j) { return j["sid"] == 2001000 && j["site"] == "nha-trang"; }},
      {{"--severity", "1"}, 133, [](const auto& j) { return j["severity"] == 1; }},
      {{"--classtype", "web-application-attack"},
       49,
       [](const auto& j) { return j["classtype"] == "web-application-attack"; }},
      {{"--src", "10.1.0.0/25"},
       182,
       [](const auto& j) {
         return j["src_ip"].template get<std::string>().starts_with("10.1.0.");
       }},
      {{"--src", "2001:db8::/32", "--sensor", "pr-1"},
       20,
       [](const auto& j) {
         return j["src_ip"].template get<std::string>().starts_with("2001:db8::");
       }},
      {{"--dst", "192.0.2.6"}, 3, [](const auto& j) { return j["dest_ip"] == "192.0.2.6"; }},
      {{"--port", "1433"}, 51, [](const auto& j) { return j["dest_port"] == 1433; }},
      {{"--since", "2025-07-01T00:00:00.250Z", "--until", "2025-07-01T00:00:00.260Z"},
       10,
       [](const auto& j) { return j["sensor"] == "nt-1"; }},
      {{"--sid", "1"}, 0, [](const auto&) { return false; }},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = c.args;
    args.insert(args.end(), {"--format", "json"});
    const ProgramResult r = run(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = json_lines(r.out);
    EXPECT_EQ(lines.size(), c.count) << ::testing::PrintToString(c.args);
    for (const auto& j : lines) EXPECT_TRUE(c.holds(j)) << j.dump();
  }
}

TEST_F(AlertsTool, JsonLinesAreFlatObjectsOldestFirst) {
  const ProgramResult r = run({"--format", "json", "--sensor", "nt-1", "--limit", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 2u);
  // The newest two (alerts 299 and 300), oldest first.
  EXPECT_EQ(lines[0]["timestamp"], "2025-07-01T00:00:00.299000+0000");
  EXPECT_EQ(lines[1]["timestamp"], "2025-07-01T00:00:00.300000+0000");
  const nlohmann::json& j = lines[1];
  EXPECT_EQ(j["sensor"], "nt-1");
  EXPECT_EQ(j["site"], "nha-trang");
  EXPECT_EQ(j["gid"], 1);
  EXPECT_EQ(j["sid"], 2004000);
  EXPECT_EQ(j["rev"], 7);
  EXPECT_EQ(j["severity"], 1);
  EXPECT_EQ(j["action"], "allowed");
  EXPECT_EQ(j["classtype"], "bad-unknown");
  EXPECT_EQ(j["category"], "Potentially Bad Traffic");
  EXPECT_EQ(j["msg"], "ET DNS Query for .top TLD - Often Malware Related");
  EXPECT_EQ(j["proto"], "UDP");
  EXPECT_EQ(j["src_ip"], "10.1.1.44");
  EXPECT_EQ(j["src_port"], 1324);
  EXPECT_EQ(j["dest_ip"], "192.0.2.51");
  EXPECT_EQ(j["dest_port"], 53);
  EXPECT_TRUE(j["id"].is_number_integer());
  EXPECT_TRUE(j["flow_id"].is_number_integer());
  // Stored at kNow; the sample events carry no spool time, so "spooled" is left out.
  EXPECT_EQ(j["received"], "2025-07-01T00:00:00.000000+0000");
  EXPECT_FALSE(j.contains("spooled"));
}

TEST_F(AlertsTool, EveLinesCarryTheSensorAsHostAndTheSite) {
  const ProgramResult r = run({"--format", "eve", "--site", "phan-rang"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 100u);  // no default limit for eve
  for (const auto& j : lines) {
    EXPECT_EQ(j["event_type"], "alert");
    EXPECT_EQ(j["host"], "pr-1");
    EXPECT_EQ(j["watchpost"]["site"], "phan-rang");
    EXPECT_TRUE(j["alert"]["metadata"].is_object());
  }
}

TEST_F(AlertsTool, TheTableShowsTheNewestHundredAligned) {
  const ProgramResult r = run({"--sensor", "nt-1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream in(r.out);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 101u);
  EXPECT_EQ(lines[0].substr(0, 31), "TIME                     SITE  ");
  EXPECT_EQ(lines[1].substr(0, 23), "2025-07-01 00:00:00.201");
  EXPECT_EQ(lines[100].substr(0, 23), "2025-07-01 00:00:00.300");
  // Every row's msg starts in the same column as the header's.
  const std::size_t msg = lines[0].find("MSG");
  for (std::size_t i = 1; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i].substr(msg, 3), "ET ") << lines[i];
  }
  EXPECT_NE(lines[100].find("  nha-trang  nt-1    2004000  1    10.1.1.44:1324 -> 192.0.2.51:53 "),
            std::string::npos)
      << lines[100];
  EXPECT_EQ(lines[100].substr(lines[0].find("PROTO"), 3), "UDP");
  const std::string three = run({"--limit", "3"}).out;
  EXPECT_EQ(std::count(three.begin(), three.end(), '\n'), 4);
}

TEST_F(AlertsTool, CountByPrintsOneObjectPerGroupWithAnIntegerCount) {
  ProgramResult r = run({"--count-by", "site", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"site\":\"nha-trang\",\"count\":300}\n{\"site\":\"phan-rang\",\"count\":100}\n");
  r = run({"--count-by", "sid", "--format", "json", "--limit", "1", "--severity", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"sid\":2001000,\"count\":18}\n");
  r = run({"--count-by", "dst", "--format", "json", "--dst", "192.0.2.0/30"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"dst\":\"192.0.2.2\",\"count\":3}\n{\"dst\":\"192.0.2.3\",\"count\":3}\n"
            "{\"dst\":\"192.0.2.1\",\"count\":1}\n");
  r = run({"--count-by", "src", "--format", "json", "--src", "2001:db8::5"});
  EXPECT_EQ(r.out, "{\"src\":\"2001:db8::5\",\"count\":2}\n");
  r = run({"--count-by", "sid", "--sensor", "pr-1", "--limit", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "SID      COUNT  MSG\n"
            "2001000  13     ET SCAN Suspicious inbound to MSSQL port 1433\n"
            "2002000  13     ET EXPLOIT Apache log4j RCE Attempt (http uri) (CVE-2021-44228)\n");
}

TEST_F(AlertsTool, SensorsShowsEachSensorsHealth) {
  ProgramResult r = run({"--sensors", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["sensor"], "nt-1");
  EXPECT_EQ(lines[0]["site"], "nha-trang");
  EXPECT_EQ(lines[0]["last_seq"], 300);
  EXPECT_EQ(lines[0]["events_total"], 300);
  EXPECT_EQ(lines[0]["connected"], false);
  EXPECT_EQ(lines[0]["events_per_second"], 0.0);
  EXPECT_EQ(lines[0]["last_seen"], "2025-07-01T00:00:00.000000+0000");
  EXPECT_EQ(lines[1]["sensor"], "pr-1");
  EXPECT_EQ(lines[1]["last_seq"], 100);
  r = run({"--sensors"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string header = r.out.substr(0, r.out.find('\n'));
  EXPECT_EQ(header.substr(0, 55), "SENSOR  SITE       STATE         PEER         LAST SEEN");
  EXPECT_TRUE(header.ends_with("  EVENTS/S  LAST SEQ  EVENTS  BACKLOG")) << header;
  EXPECT_NE(r.out.find("\nnt-1    nha-trang  disconnected  127.0.0.1:1  2025-07-01 00:00:00 ("),
            std::string::npos)
      << r.out;
}

TEST_F(AlertsTool, UsageErrorsExitTwoAndCreateNothing) {
  struct Case {
    std::vector<std::string> argv;  // after the program name
    std::string message;
  };
  const std::string missing = dir_.file("missing.sqlite");
  const std::string notes = dir_.file("notes.txt");
  std::ofstream(notes) << "not a database\n";
  const Case cases[] = {
      {{"--db", missing}, missing + ": no such database"},
      {{"--db", db(), "--since", "yesterday"},
       "--since: bad time 'yesterday': expected a duration ago (90s, 15m, 1h, 2d, 1w) or ISO "
       "8601 (2025-07-01, 2025-07-01T03:04:05, 2025-07-01T03:04:05+07:00)\n(see "
       "watchpost-alerts --help)"},
      {{"--db", db(), "--src", "10.0.0.0/40"},
       "--src: bad address or CIDR '10.0.0.0/40': prefix length must be 0..32\n(see "
       "watchpost-alerts --help)"},
      {{"--db", db(), "--format", "xml"},
       "--format xml: expected table, json or eve\n(see watchpost-alerts --help)"},
      {{"--db", db(), "--count-by", "port"},
       "--count-by port: expected sid, src, dst or site\n(see watchpost-alerts --help)"},
      {{"--db", db(), "--count-by", "sid", "--follow"},
       "--count-by and --follow do not go together\n(see watchpost-alerts --help)"},
      {{"--db", db(), "--sensors", "--site", "x"},
       "--sensors takes no filters, --count-by, --follow or --limit\n(see watchpost-alerts "
       "--help)"},
      {{"--since", "1h"}, "--db FILE is required\n(see watchpost-alerts --help)"},
      {{"--db", notes}, notes + ": file is not a database"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {std::string(WP_BINARY_DIR) + "/tools/alerts/watchpost-alerts"};
    argv.insert(argv.end(), c.argv.begin(), c.argv.end());
    const ProgramResult r = testing::run_program(argv, dir_.file("run"));
    EXPECT_EQ(r.exit_code, 2) << c.message;
    EXPECT_EQ(r.err, "watchpost-alerts: " + c.message + "\n");
    EXPECT_EQ(r.out, "");
  }
  EXPECT_FALSE(std::filesystem::exists(missing));
}

TEST_F(AlertsTool, FollowPrintsAlertsAsTheyAreStored) {
  const auto p =
      testing::start_program({std::string(WP_BINARY_DIR) + "/tools/alerts/watchpost-alerts", "--db",
                              db(), "--follow", "--format", "json", "--site", "phan-rang"},
                             dir_.file("run"));
  const auto lines_now = [&] {
    const std::string out = testing::read_file(p.out_path);
    return std::count(out.begin(), out.end(), '\n');
  };
  const auto wait_for = [&](long n) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (lines_now() < n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
    }
    return lines_now();
  };
  EXPECT_EQ(wait_for(100), 100);
  add("pr-1", "phan-rang", 101, 5);
  add("nt-1", "nha-trang", 301, 5);  // filtered out
  EXPECT_EQ(wait_for(105), 105);
  add("pr-1", "phan-rang", 106, 1);
  EXPECT_EQ(wait_for(106), 106);
  kill(p.pid, SIGTERM);
  const ProgramResult r = testing::wait_program(p);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto all = json_lines(r.out);
  ASSERT_EQ(all.size(), 106u);
  for (const auto& j : all) EXPECT_EQ(j["site"], "phan-rang");
  EXPECT_EQ(all[105]["timestamp"], "2025-07-01T00:00:00.106000+0000");
}

}  // namespace
}  // namespace wp::alerts
