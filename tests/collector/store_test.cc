// The collector's store: de-duplication by (sensor, epoch) high-water mark, rows and keys,
// health, and the store thread's group commit and EVE file.
#include "store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <nlohmann/json.hpp>
#include <sstream>

#include "rows.h"
#include "sample.h"
#include "schema.h"
#include "store_thread.h"
#include "support/temp_dir.h"

namespace wp::store {
namespace {

using collector::sample_batch;
using watchpost::v1::Batch;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }

  void reopen() {
    store_.reset();
    auto s = Store::open({dir_.file("store.sqlite"), false});
    ASSERT_TRUE(s.ok()) << s.error().describe();
    store_ = std::move(s).value();
  }

  // Adds `b` in its own transaction; returns what the store made of it.
  BatchRows add(Batch b, const std::string& sensor = "nt-1") {
    BatchRows rows;
    batch_rows(sensor, b, rows);
    EXPECT_TRUE(store_->begin().ok());
    auto r = store_->add(sensor, "127.0.0.1:5000", b, 1'000'000, rows);
    EXPECT_TRUE(r.ok()) << r.error().describe();
    EXPECT_TRUE(store_->commit().ok());
    return rows;
  }

  std::int64_t count(const std::string& sql) {
    auto n = store_->database().query_int(sql);
    EXPECT_TRUE(n.ok()) << n.error().describe();
    return n.ok() ? *n : -1;
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, StoresABatchResentAfterItsCommitOnlyOnce) {
  const BatchRows first = add(sample_batch("nt-1", "nha-trang", 7, 1, 10));
  EXPECT_EQ(first.alerts.size(), 10u);
  EXPECT_EQ(first.last_seq, 10u);
  const BatchRows again = add(sample_batch("nt-1", "nha-trang", 7, 1, 10));
  EXPECT_EQ(again.alerts.size(), 0u);
  EXPECT_EQ(again.duplicates, 10u);
  EXPECT_EQ(again.last_seq, 10u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM alerts"), 10);
  EXPECT_EQ(*store_->mark("nt-1", 7), 10u);
}

TEST_F(StoreTest, StoresOnlyTheNewSuffixOfAnOverlappingBatch) {
  add(sample_batch("nt-1", "nha-trang", 7, 1, 10));
  const BatchRows overlap = add(sample_batch("nt-1", "nha-trang", 7, 6, 10));  // 6..15
  EXPECT_EQ(overlap.duplicates, 5u);
  ASSERT_EQ(overlap.alerts.size(), 5u);
  EXPECT_EQ(overlap.alerts.front().seq, 11u);
  EXPECT_EQ(count("SELECT COUNT(DISTINCT seq) FROM alerts"), 15);
  EXPECT_EQ(count("SELECT MAX(seq) FROM alerts"), 15);
  EXPECT_EQ(*store_->mark("nt-1", 7), 15u);
}

TEST_F(StoreTest, KeepsOneMarkPerSensorAndEpoch) {
  add(sample_batch("nt-1", "nha-trang", 7, 1, 10));
  // A new spool (epoch) starts again at 1: new events, not duplicates.
  const BatchRows new_epoch = add(sample_batch("nt-1", "nha-trang", 8, 1, 4));
  EXPECT_EQ(new_epoch.alerts.size(), 4u);
  // Another sensor with the same epoch number is not a duplicate either.
  const BatchRows other = add(sample_batch("pr-1", "phan-rang", 7, 1, 3), "pr-1");
  EXPECT_EQ(other.alerts.size(), 3u);
  EXPECT_EQ(*store_->mark("nt-1", 7), 10u);
  EXPECT_EQ(*store_->mark("nt-1", 8), 4u);
  EXPECT_EQ(*store_->mark("pr-1", 7), 3u);
  EXPECT_EQ(*store_->mark("pr-1", 8), 0u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM alerts"), 17);
}

TEST_F(StoreTest, MarksSurviveAReopen) {
  add(sample_batch("nt-1", "nha-trang", 7, 1, 10));
  reopen();
  EXPECT_EQ(*store_->mark("nt-1", 7), 10u);
  EXPECT_EQ(add(sample_batch("nt-1", "nha-trang", 7, 1, 12)).alerts.size(), 2u);
}

TEST_F(StoreTest, RollbackForgetsTheEventsAndTheirMark) {
  Batch b = sample_batch("nt-1", "nha-trang", 7, 1, 10);
  BatchRows rows;
  batch_rows("nt-1", b, rows);
  ASSERT_TRUE(store_->begin().ok());
  ASSERT_TRUE(store_->add("nt-1", "peer", b, 1, rows).ok());
  EXPECT_EQ(*store_->mark("nt-1", 7), 10u);
  store_->rollback();
  EXPECT_EQ(*store_->mark("nt-1", 7), 0u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM alerts"), 0);
  EXPECT_EQ(add(sample_batch("nt-1", "nha-trang", 7, 1, 10)).alerts.size(), 10u);
}

TEST_F(StoreTest, CountsTheSequenceNumbersASensorNeverSent) {
  add(sample_batch("nt-1", "nha-trang", 7, 1, 10));
  const BatchRows after_gap = add(sample_batch("nt-1", "nha-trang", 7, 21, 5));
  EXPECT_EQ(after_gap.gap, 10u);
  EXPECT_EQ(after_gap.alerts.size(), 5u);
  EXPECT_EQ(*store_->mark("nt-1", 7), 25u);
}

TEST_F(StoreTest, RowsCarryTheAuthenticatedSensorAndTheEventsOwnSite) {
  Batch b = sample_batch("claimed", "nha-trang", 7, 1, 2);
  b.mutable_events(1)->mutable_alert()->set_site("nha-trang-dmz");  // an interface's label
  b.mutable_events(0)->mutable_alert()->set_sensor_id("forged");
  add(b, "nt-1");
  auto st = store_->database().prepare("SELECT sensor, site, alert FROM alerts ORDER BY seq");
  ASSERT_TRUE(st.ok());
  std::vector<std::pair<std::string, std::string>> got;
  while (*st->step()) {
    watchpost::v1::Alert a;
    ASSERT_TRUE(a.ParseFromArray(st->blob(2).data(), static_cast<int>(st->blob(2).size())));
    EXPECT_EQ(a.sensor_id(), st->text(0));
    EXPECT_EQ(a.site(), st->text(1));
    got.emplace_back(st->text(0), st->text(1));
  }
  EXPECT_EQ(got, (std::vector<std::pair<std::string, std::string>>{{"nt-1", "nha-trang"},
                                                                   {"nt-1", "nha-trang-dmz"}}));
}

TEST_F(StoreTest, AddressKeysPutIpv4InsideTheMappedRangeInNumericOrder) {
  // Keys compare as SQLite compares blobs (memcmp), so a CIDR is a BETWEEN range.
  const auto key = [](const char* text) { return address_key(text)->bytes; };
  EXPECT_LT(key("10.0.0.255"), key("10.0.1.0"));
  EXPECT_LT(key("9.255.255.255"), key("10.0.0.0"));
  EXPECT_LT(key("255.255.255.255"), key("2001:db8::1"));
  EXPECT_LT(key("::1"), key("0.0.0.0"));
  EXPECT_EQ(key("192.0.2.1"), key("::ffff:192.0.2.1"));
  EXPECT_FALSE(address_key("not-an-address").has_value());

  add(sample_batch("nt-1", "nha-trang", 7, 1, 10));  // alerts 1..10: 10.1.0.1 .. 10.1.0.10,
                                                     // alert 4 and 9 from 2001:db8::
  auto st = store_->database().prepare("SELECT COUNT(*) FROM alerts WHERE src BETWEEN ?1 AND ?2");
  ASSERT_TRUE(st.ok());
  const auto low = key("10.1.0.0"), high = key("10.1.0.7");
  st->bind_blob(1, low);
  st->bind_blob(2, high);
  ASSERT_TRUE(*st->step());
  EXPECT_EQ(st->integer(0), 6);  // 1, 2, 3, 5, 6, 7
}

TEST_F(StoreTest, StoresStatsInTheirOwnTable) {
  Batch b = sample_batch("nt-1", "nha-trang", 7, 1, 1);
  auto* e = b.add_events();
  e->set_seq(2);
  (*e->mutable_stats()->mutable_counters())["decoder.pkts"] = 42;
  const BatchRows rows = add(b);
  EXPECT_EQ(rows.alerts.size(), 1u);
  EXPECT_EQ(rows.stats.size(), 1u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM stats WHERE seq = 2 AND sensor = 'nt-1'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM alerts"), 1);
}

TEST_F(StoreTest, HealthFollowsBatchesHeartbeatsAndConnections) {
  ASSERT_TRUE(store_->begin().ok());
  ASSERT_TRUE(store_->set_connected("nt-1", "127.0.0.1:5000", true, 1).ok());
  Batch hb = sample_batch("nt-1", "nha-trang", 7, 0, 0);
  hb.mutable_heartbeat()->set_spool_backlog(1234);
  BatchRows rows;
  batch_rows("nt-1", hb, rows);
  ASSERT_TRUE(store_->add("nt-1", "127.0.0.1:5000", hb, 2'000'000, rows).ok());
  ASSERT_TRUE(store_->commit().ok());
  add(sample_batch("nt-1", "nha-trang", 7, 1, 5));
  EXPECT_EQ(count("SELECT connected FROM sensors WHERE sensor = 'nt-1'"), 1);
  // The heartbeat's backlog less the 5 events stored since.
  EXPECT_EQ(count("SELECT spool_backlog FROM sensors WHERE sensor = 'nt-1'"), 1229);
  EXPECT_EQ(count("SELECT last_seq FROM sensors WHERE sensor = 'nt-1'"), 5);
  EXPECT_EQ(count("SELECT events_total FROM sensors WHERE sensor = 'nt-1'"), 5);
  ASSERT_TRUE(store_->begin().ok());
  ASSERT_TRUE(store_->set_connected("nt-1", "127.0.0.1:5000", false, 3).ok());
  ASSERT_TRUE(store_->commit().ok());
  EXPECT_EQ(count("SELECT connected FROM sensors WHERE sensor = 'nt-1'"), 0);
}

TEST_F(StoreTest, TheBacklogOfAHeartbeatReadsZeroOnceTheSensorHasCaughtUp) {
  Batch hb = sample_batch("nt-1", "nha-trang", 7, 0, 0);
  hb.mutable_heartbeat()->set_spool_backlog(3);
  add(hb);
  EXPECT_EQ(count("SELECT spool_backlog FROM sensors WHERE sensor = 'nt-1'"), 3);
  add(sample_batch("nt-1", "nha-trang", 7, 1, 5));
  EXPECT_EQ(count("SELECT spool_backlog FROM sensors WHERE sensor = 'nt-1'"), 0);
}

TEST_F(StoreTest, AlertRowsKeepWhenTheSensorSpooledThemAndWhenTheyWereStored) {
  Batch b = sample_batch("nt-1", "nha-trang", 7, 1, 2);
  b.mutable_events(0)->set_spooled_us(400'000);
  add(b);  // stored at 1,000,000 µs
  EXPECT_EQ(count("SELECT spooled FROM alerts WHERE seq = 1"), 400'000);
  EXPECT_EQ(count("SELECT spooled FROM alerts WHERE seq = 2"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM alerts WHERE received = 1000000"), 2);
}

TEST_F(StoreTest, OpeningAVersionOneStoreAddsTheDeliveryTimeColumns) {
  add(sample_batch("nt-1", "nha-trang", 7, 1, 3));
  ASSERT_TRUE(store_->database()
                  .exec("ALTER TABLE alerts DROP COLUMN spooled;"
                        "ALTER TABLE alerts DROP COLUMN received; PRAGMA user_version = 1")
                  .ok());
  reopen();
  EXPECT_EQ(count("PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(count("SELECT COUNT(*) FROM alerts WHERE spooled = 0 AND received = 0"), 3);
  add(sample_batch("nt-1", "nha-trang", 7, 4, 1));
  EXPECT_EQ(count("SELECT received FROM alerts WHERE seq = 4"), 1'000'000);
}

TEST_F(StoreTest, TheQueryToolAcceptsTheSchemaAndRejectsOtherDatabases) {
  EXPECT_TRUE(check_schema(store_->database()).ok());
  auto other = Database::open(dir_.file("other.sqlite"), Database::Mode::kReadWriteCreate);
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(other->exec("CREATE TABLE t (x)").ok());
  const auto r = check_schema(*other);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().describe(), dir_.file("other.sqlite") + ": not a watchpost store");
  const auto missing = Database::open(dir_.file("missing.sqlite"), Database::Mode::kReadOnly);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().describe(), dir_.file("missing.sqlite") + ": no such database");
  EXPECT_FALSE(std::filesystem::exists(dir_.file("missing.sqlite")));
}

// ---- the store thread ----

class StoreThreadTest : public ::testing::Test {
 protected:
  std::unique_ptr<collector::StoreThread> make(bool eve) {
    auto s = Store::open({dir_.file("store.sqlite"), false});
    EXPECT_TRUE(s.ok());
    std::unique_ptr<output::LineFile> file;
    if (eve) file = std::move(output::LineFile::open(dir_.file("eve.json"))).value();
    return std::make_unique<collector::StoreThread>(std::move(s).value(), std::move(file));
  }

  static collector::ParsedBatch parsed(const Batch& b) {
    collector::ParsedBatch p(b.ByteSizeLong());
    p.batch->CopyFrom(b);
    return p;
  }

  std::int64_t count(const std::string& sql) {
    auto db = Database::open(dir_.file("store.sqlite"), Database::Mode::kReadOnly);
    EXPECT_TRUE(db.ok());
    auto n = db->query_int(sql);
    EXPECT_TRUE(n.ok()) << n.error().describe();
    return n.ok() ? *n : -1;
  }

  testing::TempDir dir_;
};

TEST_F(StoreThreadTest, CommitsEverythingQueuedInGroupsOfWholeBatches) {
  auto t = make(false);
  std::vector<collector::Outcome> outcomes;
  // 25 batches of 1,000 events queued before the thread runs: three transactions of at most
  // kGroupEvents (10,000) events each, and each batch acknowledged with its last seq.
  for (int i = 0; i < 25; ++i) {
    t->submit_batch("nt-1", "peer",
                    parsed(sample_batch("nt-1", "nha-trang", 7, 1 + 1000 * i, 1000)),
                    [&](const collector::Outcome& o) { outcomes.push_back(o); });
  }
  t->start();
  t->stop();
  EXPECT_EQ(t->totals().transactions, 3u);
  EXPECT_EQ(t->totals().alerts, 25000u);
  ASSERT_EQ(outcomes.size(), 25u);
  for (int i = 0; i < 25; ++i) {
    EXPECT_EQ(outcomes[i].acked_seq, 1000u * (i + 1));
    EXPECT_EQ(outcomes[i].epoch, 7u);
    EXPECT_TRUE(outcomes[i].error.empty());
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM alerts"), 25000);
}

TEST_F(StoreThreadTest, AcknowledgesOnlyWhatAnotherConnectionCanAlreadyRead) {
  auto t = make(false);
  t->start();
  std::atomic<std::int64_t> visible{-1};
  std::atomic<bool> done{false};
  t->submit_batch("nt-1", "peer", parsed(sample_batch("nt-1", "nha-trang", 7, 1, 50)),
                  [&](const collector::Outcome&) {
                    visible = count("SELECT COUNT(*) FROM alerts");
                    done = true;
                  });
  t->stop();
  ASSERT_TRUE(done);
  EXPECT_EQ(visible, 50);
}

TEST_F(StoreThreadTest, AnswersAHeartbeatWithTheMarkOfItsEpoch) {
  auto t = make(false);
  std::vector<std::uint64_t> acked;
  const auto record = [&](const collector::Outcome& o) { acked.push_back(o.acked_seq); };
  t->submit_batch("nt-1", "peer", parsed(sample_batch("nt-1", "nha-trang", 7, 0, 0)), record);
  t->submit_batch("nt-1", "peer", parsed(sample_batch("nt-1", "nha-trang", 7, 1, 30)), record);
  t->submit_batch("nt-1", "peer", parsed(sample_batch("nt-1", "nha-trang", 7, 0, 0)), record);
  t->submit_batch("nt-1", "peer", parsed(sample_batch("nt-1", "nha-trang", 9, 0, 0)), record);
  t->start();
  t->stop();
  EXPECT_EQ(acked, (std::vector<std::uint64_t>{0, 30, 30, 0}));
}

TEST_F(StoreThreadTest, WritesEachStoredAlertToTheEveFileOnce) {
  auto t = make(true);
  t->submit_batch("nt-1", "peer", parsed(sample_batch("nt-1", "nha-trang", 7, 1, 10)), {});
  t->submit_batch("nt-1", "peer", parsed(sample_batch("nt-1", "nha-trang", 7, 5, 10)), {});
  t->start();
  t->stop();
  std::istringstream lines(testing::read_file(dir_.file("eve.json")));
  std::string line;
  std::vector<std::uint64_t> pcap_cnt;
  while (std::getline(lines, line)) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["host"], "nt-1");
    EXPECT_EQ(j["watchpost"]["site"], "nha-trang");
    pcap_cnt.push_back(j["pcap_cnt"].get<std::uint64_t>());  // sample alert i: pcap_cnt i + 1
  }
  ASSERT_EQ(pcap_cnt.size(), 14u);
  for (std::size_t i = 0; i < pcap_cnt.size(); ++i) EXPECT_EQ(pcap_cnt[i], i + 2);
  EXPECT_EQ(t->totals().duplicates, 6u);
}

TEST_F(StoreThreadTest, ASighupAfterAFailedReopenOpensTheEveFileAgain) {
  const std::string logs = dir_.file("logs");
  std::filesystem::create_directories(logs);
  auto s = Store::open({dir_.file("store.sqlite"), false});
  ASSERT_TRUE(s.ok());
  auto t = std::make_unique<collector::StoreThread>(
      std::move(s).value(), std::move(output::LineFile::open(logs + "/eve.json")).value());
  t->start();
  std::filesystem::remove_all(logs);  // the directory is gone: the reopen fails
  t->reopen_eve();
  std::promise<void> first;
  t->submit_batch("nt-1", "peer", parsed(sample_batch("nt-1", "nha-trang", 7, 1, 3)),
                  [&](const collector::Outcome&) { first.set_value(); });
  first.get_future().wait();  // stored while there was no EVE file
  std::filesystem::create_directories(logs);
  t->reopen_eve();
  t->submit_batch("nt-1", "peer", parsed(sample_batch("nt-1", "nha-trang", 7, 4, 2)), {});
  t->stop();
  EXPECT_EQ(t->totals().alerts, 5u);  // all stored
  const std::string eve = testing::read_file(logs + "/eve.json");
  EXPECT_EQ(std::count(eve.begin(), eve.end(), '\n'), 2);  // those after the second reopen
}

}  // namespace
}  // namespace wp::store
