// watchpost-collector as a real process on 127.0.0.1, with sensors played by
// collector::SensorClient (TLS client certificates from tools/pki/make-certs.sh).
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "client.h"
#include "support/eve_schema.h"
#include "integration/collector_process.h"
#include "output/wire.h"
#include "sample.h"
#include "sqlite.h"

namespace wp::testing {
namespace {

using collector::ClientOptions;
using collector::sample_batch;
using collector::SensorClient;
using namespace std::chrono_literals;

class CollectorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new TempDir();
    ASSERT_TRUE(make_certs(pki_->file("ca"),
                           {"--san", "127.0.0.1", "--sensor", "nt-1", "--sensor", "pr-1"}));
    ASSERT_TRUE(make_certs(pki_->file("other-ca"), {"--sensor", "nt-1"}));
  }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }
  static std::string certs() { return pki_->file("ca"); }

  std::unique_ptr<SensorClient> connect(const CollectorProcess& c, const std::string& id) {
    auto client = SensorClient::connect(c.client(id));
    EXPECT_TRUE(client.ok()) << client.error().describe();
    return client.ok() ? std::move(client).value() : nullptr;
  }

  // Sends batch `b` and expects the ack of its last sequence number (or of `want` for a
  // heartbeat).
  static void deliver(SensorClient& client, const watchpost::v1::Batch& b, std::uint64_t want) {
    ASSERT_TRUE(client.send(b).ok());
    auto ack = client.read_ack(10s);
    ASSERT_TRUE(ack.ok()) << ack.error().describe();
    EXPECT_EQ(ack->error(), "");
    EXPECT_EQ(ack->epoch(), b.epoch());
    EXPECT_EQ(ack->acked_seq(), want);
  }

  static std::int64_t count(const std::string& db, const std::string& sql) {
    auto d = store::Database::open(db, store::Database::Mode::kReadOnly);
    EXPECT_TRUE(d.ok()) << d.error().describe();
    if (!d.ok()) return -1;
    auto n = d->query_int(sql);
    EXPECT_TRUE(n.ok()) << n.error().describe();
    return n.ok() ? *n : -1;
  }

  // Waits until `text` appears in the collector's log.
  static bool log_has(const CollectorProcess& c, const std::string& text) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (c.err().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  TempDir dir_;
  static TempDir* pki_;
};

TempDir* CollectorTest::pki_ = nullptr;

TEST_F(CollectorTest, StoresEveryAlertOfTwoSensorsOnceWithTheirSites) {
  CollectorProcess c(dir_.file("c"), certs());
  ASSERT_TRUE(c.started()) << c.err();
  EXPECT_TRUE(std::regex_match(c.first_line(), std::regex(R"(listening on 127\.0\.0\.1:[0-9]+)")));
  auto nt = connect(c, "nt-1");
  auto pr = connect(c, "pr-1");
  ASSERT_TRUE(nt && pr);
  deliver(*nt, sample_batch("nt-1", "nha-trang", 11, 0, 0), 0);
  deliver(*pr, sample_batch("pr-1", "phan-rang", 22, 0, 0), 0);
  for (int i = 0; i < 5; ++i) {
    deliver(*nt, sample_batch("nt-1", "nha-trang", 11, 1 + 200 * i, 200), 200 * (i + 1));
    deliver(*pr, sample_batch("pr-1", "phan-rang", 22, 1 + 200 * i, 200), 200 * (i + 1));
  }
  // A batch sent again (its ack was lost, say) is acknowledged and not stored twice.
  deliver(*nt, sample_batch("nt-1", "nha-trang", 11, 401, 200), 600);
  deliver(*nt, sample_batch("nt-1", "nha-trang", 11, 0, 0), 1000);
  nt->close();
  pr->close();
  const ProgramResult r = c.stop(SIGTERM);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, c.first_line() + "\n");  // the only standard output

  EXPECT_EQ(count(c.db(), "SELECT COUNT(*) FROM alerts"), 2000);
  EXPECT_EQ(
      count(c.db(),
            "SELECT COUNT(DISTINCT seq) FROM alerts WHERE sensor = 'nt-1' AND site = 'nha-trang'"),
      1000);
  EXPECT_EQ(
      count(c.db(),
            "SELECT COUNT(DISTINCT seq) FROM alerts WHERE sensor = 'pr-1' AND site = 'phan-rang'"),
      1000);
  EXPECT_EQ(count(c.db(), "SELECT duplicates FROM sensors WHERE sensor = 'nt-1'"), 200);
  std::map<std::string, int> per_host;
  for (const auto& j : read_eve_file(c.eve())) {  // each line held to the schema
    const std::string host = j["host"];
    EXPECT_EQ(j["watchpost"]["site"], host == "nt-1" ? "nha-trang" : "phan-rang");
    ++per_host[host];
  }
  EXPECT_EQ(per_host, (std::map<std::string, int>{{"nt-1", 1000}, {"pr-1", 1000}}));
}

TEST_F(CollectorTest, RefusesAClientCertificateFromAnotherCa) {
  CollectorProcess c(dir_.file("c"), certs());
  ASSERT_TRUE(c.started()) << c.err();
  ClientOptions o = c.client("nt-1");
  o.cert = pki_->file("other-ca") + "/nt-1.pem";
  o.key = pki_->file("other-ca") + "/nt-1.key";
  // With TLS 1.3 the client may finish its handshake before the server checks its
  // certificate; either way nothing it sends is acknowledged or stored.
  auto client = SensorClient::connect(o);
  if (client.ok()) {
    (void)(*client)->send(sample_batch("nt-1", "nha-trang", 1, 1, 10));
    EXPECT_FALSE((*client)->read_ack(5s).ok());
  }
  EXPECT_TRUE(log_has(c, "127.0.0.1:"));
  EXPECT_TRUE(log_has(c, "TLS handshake failed")) << c.err();
  // A sensor of the right CA still delivers.
  auto good = connect(c, "nt-1");
  ASSERT_TRUE(good);
  deliver(*good, sample_batch("nt-1", "nha-trang", 1, 1, 10), 10);
  EXPECT_EQ(c.stop().exit_code, 0);
  EXPECT_EQ(count(c.db(), "SELECT COUNT(*) FROM alerts"), 10);
}

TEST_F(CollectorTest, RefusesASensorClaimingAnotherIdWhileTheOtherKeepsDelivering) {
  CollectorProcess c(dir_.file("c"), certs());
  ASSERT_TRUE(c.started()) << c.err();
  auto nt = connect(c, "nt-1");
  auto pr = connect(c, "pr-1");
  ASSERT_TRUE(nt && pr);
  deliver(*nt, sample_batch("nt-1", "nha-trang", 5, 1, 100), 100);
  ASSERT_TRUE(pr->send(sample_batch("nt-1", "nha-trang", 5, 101, 100)).ok());
  auto refused = pr->read_ack(10s);
  ASSERT_TRUE(refused.ok()) << refused.error().describe();
  EXPECT_EQ(refused->error(), "sensor_id 'nt-1' does not match the certificate's CN 'pr-1'");
  EXPECT_FALSE(pr->read_ack(5s).ok());  // then closed
  deliver(*nt, sample_batch("nt-1", "nha-trang", 5, 101, 100), 200);
  EXPECT_TRUE(log_has(c, "refused sensor pr-1 (127.0.0.1:")) << c.err();
  EXPECT_EQ(c.stop().exit_code, 0);
  EXPECT_EQ(count(c.db(), "SELECT COUNT(*) FROM alerts WHERE sensor = 'nt-1'"), 200);
  EXPECT_EQ(count(c.db(), "SELECT COUNT(*) FROM alerts WHERE sensor = 'pr-1'"), 0);
}

TEST_F(CollectorTest, ABadFrameClosesOnlyItsOwnConnection) {
  struct Case {
    const char* name;
    std::string bytes;      // what the bad client sends
    bool close_after;       // then it closes its side
    std::string ack_error;  // the refusal it gets ("" when none is owed)
    std::string logged;     // in the collector's log
  };
  std::string undecodable = std::string("\0\0\0\5", 4) + "\xff\xff\xff\xff\xff";
  std::string truncated;
  ASSERT_TRUE(
      output::wire::append_frame(sample_batch("pr-1", "phan-rang", 1, 1, 50), truncated).ok());
  truncated.resize(truncated.size() / 2);
  const Case cases[] = {
      {"garbage", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", false,
       "bad frame: frame of 1195725856 bytes exceeds the limit of 16777216",
       "bad frame: frame of 1195725856 bytes exceeds the limit of 16777216"},
      {"oversized length prefix", std::string("\x7f\xff\xff\xff", 4), false,
       "bad frame: frame of 2147483647 bytes exceeds the limit of 16777216",
       "bad frame: frame of 2147483647 bytes exceeds the limit of 16777216"},
      {"undecodable batch", undecodable, false,
       "bad batch: batch does not parse as watchpost.v1.Batch",
       "bad batch: batch does not parse as watchpost.v1.Batch"},
      {"truncated frame", truncated, true, "",
       "connection closed in the middle of a frame (truncated frame)"},
  };
  CollectorProcess c(dir_.file("c"), certs());
  ASSERT_TRUE(c.started()) << c.err();
  auto nt = connect(c, "nt-1");
  ASSERT_TRUE(nt);
  std::uint64_t seq = 1;
  for (const Case& k : cases) {
    SCOPED_TRACE(k.name);
    auto bad = connect(c, "pr-1");
    ASSERT_TRUE(bad);
    deliver(*nt, sample_batch("nt-1", "nha-trang", 3, seq, 10), seq + 9);
    seq += 10;
    ASSERT_TRUE(bad->send_bytes(k.bytes).ok());
    if (k.close_after) {
      bad->close();
    } else {
      auto ack = bad->read_ack(10s);
      ASSERT_TRUE(ack.ok()) << ack.error().describe();
      EXPECT_EQ(ack->error(), k.ack_error);
      EXPECT_FALSE(bad->read_ack(5s).ok());  // then closed
    }
    EXPECT_TRUE(log_has(c, k.logged)) << c.err();
    deliver(*nt, sample_batch("nt-1", "nha-trang", 3, seq, 10), seq + 9);
    seq += 10;
  }
  EXPECT_EQ(c.stop().exit_code, 0);
  EXPECT_EQ(count(c.db(), "SELECT COUNT(*) FROM alerts"), 80);
  EXPECT_EQ(count(c.db(), "SELECT COUNT(*) FROM alerts WHERE sensor = 'pr-1'"), 0);
}

TEST_F(CollectorTest, SigtermStoresAndAcknowledgesWhatWasReceivedThenExitsZero) {
  CollectorProcess c(dir_.file("c"), certs());
  ASSERT_TRUE(c.started()) << c.err();
  auto nt = connect(c, "nt-1");
  ASSERT_TRUE(nt);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(nt->send(sample_batch("nt-1", "nha-trang", 4, 1 + 100 * i, 100)).ok());
  }
  std::this_thread::sleep_for(300ms);
  c.signal(SIGTERM);
  std::uint64_t acked = 0;
  for (;;) {
    auto ack = nt->read_ack(10s);
    if (!ack.ok()) break;
    EXPECT_EQ(ack->error(), "");
    EXPECT_EQ(ack->acked_seq(), acked + 100);
    acked = ack->acked_seq();
  }
  const ProgramResult r = c.stop(0);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(acked, 0u);
  // Everything acknowledged is stored, and nothing else.
  EXPECT_EQ(count(c.db(), "SELECT COUNT(*) FROM alerts"), static_cast<std::int64_t>(acked));
  EXPECT_EQ(count(c.db(), "SELECT MAX(seq) FROM alerts"), static_cast<std::int64_t>(acked));
  EXPECT_NE(r.err.find("SIGTERM: stopping"), std::string::npos) << r.err;
}

TEST_F(CollectorTest, AfterSigkillARestartOnTheSamePortDropsTheResentDuplicates) {
  int port = 0;
  {
    CollectorProcess c(dir_.file("c"), certs());
    ASSERT_TRUE(c.started()) << c.err();
    port = c.port();
    auto nt = connect(c, "nt-1");
    ASSERT_TRUE(nt);
    for (int i = 0; i < 5; ++i) {
      deliver(*nt, sample_batch("nt-1", "nha-trang", 9, 1 + 100 * i, 100), 100 * (i + 1));
    }
    for (int i = 5; i < 8; ++i) {
      ASSERT_TRUE(nt->send(sample_batch("nt-1", "nha-trang", 9, 1 + 100 * i, 100)).ok());
    }
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(c.stop(SIGKILL).exit_code, -1);
  }
  CollectorProcess c(dir_.file("c"), certs(), port);
  ASSERT_TRUE(c.started()) << c.err();
  EXPECT_EQ(c.port(), port);
  auto nt = connect(c, "nt-1");
  ASSERT_TRUE(nt);
  // The sensor did not see acks for 6..8 (or lost all of them): it sends everything again.
  for (int i = 0; i < 10; ++i) {
    deliver(*nt, sample_batch("nt-1", "nha-trang", 9, 1 + 100 * i, 100), 100 * (i + 1));
  }
  EXPECT_EQ(c.stop().exit_code, 0);
  EXPECT_EQ(count(c.db(), "SELECT COUNT(*) FROM alerts"), 1000);
  EXPECT_EQ(count(c.db(), "SELECT COUNT(DISTINCT seq) FROM alerts"), 1000);
  EXPECT_EQ(count(c.db(), "SELECT MIN(seq) FROM alerts"), 1);
}

TEST_F(CollectorTest, SighupReopensTheEveFile) {
  CollectorProcess c(dir_.file("c"), certs());
  ASSERT_TRUE(c.started()) << c.err();
  auto nt = connect(c, "nt-1");
  ASSERT_TRUE(nt);
  deliver(*nt, sample_batch("nt-1", "nha-trang", 2, 1, 7), 7);
  std::filesystem::rename(c.eve(), c.eve() + ".1");  // logrotate
  c.signal(SIGHUP);
  ASSERT_TRUE(log_has(c, "reopened the EVE file")) << c.err();
  deliver(*nt, sample_batch("nt-1", "nha-trang", 2, 8, 5), 12);
  EXPECT_EQ(c.stop().exit_code, 0);
  const auto lines = [](const std::string& text) {
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  };
  EXPECT_EQ(lines(read_file(c.eve() + ".1")), 7);
  EXPECT_EQ(lines(read_file(c.eve())), 5);
}

TEST_F(CollectorTest, InPlaintextTheClaimedSensorIdIsTakenAsIs) {
  CollectorProcess c(dir_.file("c"), "");
  ASSERT_TRUE(c.started()) << c.err();
  auto lab = connect(c, "lab-1");
  ASSERT_TRUE(lab);
  deliver(*lab, sample_batch("lab-1", "lab", 1, 1, 3), 3);
  EXPECT_EQ(c.stop().exit_code, 0);
  EXPECT_EQ(count(c.db(), "SELECT COUNT(*) FROM alerts WHERE sensor = 'lab-1' AND site = 'lab'"),
            3);
  EXPECT_NE(c.err().find("INSECURE PLAINTEXT"), std::string::npos);
}

TEST_F(CollectorTest, BadUsageAndConfigurationExitTwoWithAMessage) {
  const std::string pki = certs();
  const std::string db = dir_.file("x.sqlite");  // never created: every case fails first
  const std::vector<std::string> tls = {
      "--ca", pki + "/ca.pem", "--cert", pki + "/collector.pem", "--key", pki + "/collector.key"};
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const Case cases[] = {
      {{"--db", db}, "--listen ADDR:PORT is required"},
      {{"--listen", "127.0.0.1:0"}, "--db FILE is required"},
      {{"--listen", "localhost:9000", "--db", db},
       "--listen localhost:9000: 'localhost' is not an IP address (expected ADDR:PORT or "
       "[ADDR]:PORT)"},
      {{"--listen", "127.0.0.1:99999", "--db", db},
       "--listen 127.0.0.1:99999: '99999' is not a port number (expected ADDR:PORT or "
       "[ADDR]:PORT)"},
      {{"--listen", "127.0.0.1:0", "--db", db, "--ca", pki + "/ca.pem", "--cert",
        pki + "/missing.pem", "--key", pki + "/collector.key"},
       "--cert " + pki + "/missing.pem: cannot be read"},
      {{"--listen", "127.0.0.1:0", "--db", db}, "--ca FILE is required (or --insecure-plaintext)"},
      {{"--listen", "127.0.0.1:0", "--db", db, "--ca", pki + "/ca.pem", "--cert",
        pki + "/collector.pem", "--key", pki + "/nt-1.key"},
       pki + "/nt-1.key: private key does not match the certificate " + pki + "/collector.pem"},
      {{"--listen", "127.0.0.1:0", "--db", db, "--sync", "often"},
       "--sync often: expected normal or full"},
      {{"--frobnicate"}, "unknown option --frobnicate"},
  };
  std::filesystem::create_directories(dir_.file("run"));
  for (const Case& k : cases) {
    std::vector<std::string> argv = {collector_binary()};
    argv.insert(argv.end(), k.args.begin(), k.args.end());
    const ProgramResult r = run_program(argv, dir_.file("run"));
    EXPECT_EQ(r.exit_code, 2) << k.message;
    EXPECT_EQ(r.err, "watchpost-collector: " + k.message + "\n(see watchpost-collector --help)\n");
    EXPECT_EQ(r.out, "");
  }
  EXPECT_FALSE(std::filesystem::exists(db));
  const ProgramResult help = run_program({collector_binary(), "--help"}, dir_.file("run"));
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--insecure-plaintext"), std::string::npos);
}

TEST_F(CollectorTest, RuntimeErrorsExitOne) {
  CollectorProcess first(dir_.file("a"), certs());
  ASSERT_TRUE(first.started()) << first.err();
  // The same port while the first one listens.
  CollectorProcess second(dir_.file("b"), certs(), first.port());
  const ProgramResult busy = second.stop();
  EXPECT_EQ(busy.exit_code, 1);
  EXPECT_EQ(busy.err, "watchpost-collector: 127.0.0.1:" + std::to_string(first.port()) +
                          ": cannot bind: Address already in use\n");
  EXPECT_EQ(first.stop().exit_code, 0);

  std::filesystem::create_directories(dir_.file("run"));
  const ProgramResult no_db =
      run_program({collector_binary(), "--listen", "127.0.0.1:0", "--db",
                   dir_.file("missing/dir/x.sqlite"), "--insecure-plaintext"},
                  dir_.file("run"));
  EXPECT_EQ(no_db.exit_code, 1);
  EXPECT_EQ(no_db.err, "watchpost-collector: " + dir_.file("missing/dir/x.sqlite") +
                           ": cannot open database: unable to open database file\n");
}

}  // namespace
}  // namespace wp::testing
