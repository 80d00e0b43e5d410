#include "output/spool.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace wp::output {
namespace {

namespace fs = std::filesystem;
using wp::testing::read_file;
using wp::testing::TempDir;

std::unique_ptr<Spool> open_spool(const TempDir& tmp, std::uint64_t max_size = 1 << 20,
                                  std::vector<std::string>* warnings = nullptr) {
  std::vector<std::string> w;
  auto s = Spool::open(SpoolConfig{tmp.path().string(), "nt-01", max_size, false},
                       warnings != nullptr ? *warnings : w);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().describe());
  return s.ok() ? std::move(s.value()) : nullptr;
}

watchpost::v1::Event alert(std::uint32_t sid, std::size_t payload = 10) {
  watchpost::v1::Event e;
  e.mutable_alert()->mutable_signature()->set_signature_id(sid);
  e.mutable_alert()->set_payload(std::string(payload, 'x'));
  return e;
}

// Appends alerts with sids first..last (their seqs when the spool was empty).
void append_alerts(Spool& s, std::uint32_t first, std::uint32_t last, std::size_t payload = 10) {
  for (std::uint32_t sid = first; sid <= last; ++sid) {
    auto e = alert(sid, payload);
    ASSERT_TRUE(s.append(e));
  }
}

std::pair<std::uint64_t, std::uint32_t> seq_sid(std::uint64_t seq, std::uint32_t sid) {
  return {seq, sid};
}

// Everything readable from `seq` on, as (seq, sid) pairs, batch by batch.
std::vector<std::pair<std::uint64_t, std::uint32_t>> read_all(Spool& s, std::uint64_t seq) {
  std::vector<std::pair<std::uint64_t, std::uint32_t>> out;
  s.rewind(seq);
  for (;;) {
    std::vector<std::string> payloads;
    const std::uint64_t first = s.read(3, 1 << 20, payloads);
    if (first == 0) break;
    for (std::size_t i = 0; i < payloads.size(); ++i) {
      watchpost::v1::Event e;
      EXPECT_TRUE(e.ParseFromString(payloads[i]));
      EXPECT_EQ(e.seq(), first + i);  // a batch is consecutive
      out.emplace_back(e.seq(), e.alert().signature().signature_id());
    }
  }
  return out;
}

std::vector<std::string> segments(const TempDir& tmp) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(tmp.path() / "nt-01")) {
    const std::string n = e.path().filename().string();
    if (n.starts_with("seg-")) names.push_back(n);
  }
  std::sort(names.begin(), names.end());
  return names;
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

TEST(Crc32c, MatchesTheCastagnoliCheckValueAndContinuesARunningValue) {
  const std::string text = "123456789";
  const auto* p = reinterpret_cast<const std::uint8_t*>(text.data());
  EXPECT_EQ(crc32c({p, 9}), 0xE3069283u);
  EXPECT_EQ(crc32c({p + 4, 5}, crc32c({p, 4})), 0xE3069283u);
}

TEST(Spool, NumbersAppendedEventsFromOneAndReadsThemBackInOrder) {
  TempDir tmp;
  auto s = open_spool(tmp);
  for (std::uint32_t sid = 1; sid <= 7; ++sid) {
    auto e = alert(sid);
    ASSERT_TRUE(s->append(e));
    EXPECT_EQ(e.seq(), sid);
    EXPECT_GT(e.spooled_us(), 0);
  }
  EXPECT_EQ(s->last_seq(), 7u);
  EXPECT_EQ(s->backlog(), 7u);
  const auto got = read_all(*s, 1);
  ASSERT_EQ(got.size(), 7u);
  for (std::uint32_t i = 0; i < 7; ++i) EXPECT_EQ(got[i], seq_sid(i + 1, i + 1));
  // Reading from the middle, and past the end.
  EXPECT_EQ(read_all(*s, 5).front().first, 5u);
  EXPECT_TRUE(read_all(*s, 8).empty());
}

TEST(Spool, ReadStopsAtTheByteBudgetButAlwaysReturnsOneEvent) {
  TempDir tmp;
  auto s = open_spool(tmp);
  append_alerts(*s, 1, 3, 1000);
  std::vector<std::string> payloads;
  s->rewind(1);
  EXPECT_EQ(s->read(10, 100, payloads), 1u);
  EXPECT_EQ(payloads.size(), 1u);
  payloads.clear();
  EXPECT_EQ(s->read(10, 2100, payloads), 2u);
  EXPECT_EQ(payloads.size(), 2u);
}

TEST(Spool, RestartKeepsTheEpochAndContinuesTheSequenceAfterTheUnacknowledgedEvents) {
  TempDir tmp;
  std::uint64_t epoch = 0;
  {
    auto s = open_spool(tmp);
    epoch = s->epoch();
    EXPECT_NE(epoch, 0u);
    append_alerts(*s, 1, 5);
    s->ack(2);
  }
  auto s = open_spool(tmp);
  EXPECT_EQ(s->epoch(), epoch);
  EXPECT_EQ(s->acked(), 2u);
  EXPECT_EQ(s->last_seq(), 5u);
  EXPECT_EQ(s->backlog(), 3u);
  auto e = alert(6);
  ASSERT_TRUE(s->append(e));
  EXPECT_EQ(e.seq(), 6u);
  const auto got = read_all(*s, s->acked() + 1);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got.front(), seq_sid(3, 3));
  EXPECT_EQ(got.back(), seq_sid(6, 6));
}

TEST(Spool, ANewSpoolHasANewEpoch) {
  TempDir a, b;
  EXPECT_NE(open_spool(a)->epoch(), open_spool(b)->epoch());
}

TEST(Spool, AckDeletesSegmentsHoldingOnlyAcknowledgedEvents) {
  TempDir tmp;
  auto s = open_spool(tmp, kMinSpoolSize);  // segments of 8 KiB
  append_alerts(*s, 1, 60, 400);
  const auto before = segments(tmp);
  ASSERT_GE(before.size(), 3u);
  s->ack(30);
  const auto middle = segments(tmp);
  EXPECT_LT(middle.size(), before.size());
  EXPECT_EQ(read_all(*s, 31).front().first, 31u);  // nothing unacknowledged went
  EXPECT_EQ(s->backlog(), 30u);
  s->ack(60);
  EXPECT_EQ(segments(tmp).size(), 1u);  // the one being written stays
  EXPECT_EQ(s->backlog(), 0u);
  EXPECT_EQ(s->dropped_events(), 0u);
  // A restart with everything acknowledged starts with no segment and goes on numbering.
  s.reset();
  s = open_spool(tmp, kMinSpoolSize);
  EXPECT_TRUE(segments(tmp).empty());
  auto e = alert(61);
  ASSERT_TRUE(s->append(e));
  EXPECT_EQ(e.seq(), 61u);
}

TEST(Spool, AFullSpoolDropsTheOldestEventsAndCountsThem) {
  TempDir tmp;
  auto s = open_spool(tmp, kMinSpoolSize);
  for (std::uint32_t sid = 1; sid <= 400; ++sid) {
    auto e = alert(sid, 400);
    ASSERT_TRUE(s->append(e));
    EXPECT_LE(s->size(), kMinSpoolSize);
  }
  const std::uint64_t dropped = s->dropped_events();
  EXPECT_GT(dropped, 0u);
  const auto got = read_all(*s, 1);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.size() + dropped, 400u);      // every event either spooled or counted
  EXPECT_EQ(got.front().first, dropped + 1);  // the oldest went
  EXPECT_EQ(got.back().first, 400u);
  EXPECT_EQ(s->backlog(), got.size());
}

TEST(Spool, AcknowledgedEventsDroppedForRoomAreNotCounted) {
  TempDir tmp;
  auto s = open_spool(tmp, kMinSpoolSize);
  for (std::uint32_t sid = 1; sid <= 400; ++sid) {
    auto e = alert(sid, 400);
    ASSERT_TRUE(s->append(e));
    s->ack(sid);
  }
  EXPECT_EQ(s->dropped_events(), 0u);
}

TEST(Spool, ATornLastRecordIsSkippedCountedAndCutOffSoTheNextAppendIsClean) {
  TempDir tmp;
  {
    auto s = open_spool(tmp);
    append_alerts(*s, 1, 3);
  }
  const std::string seg = (tmp.path() / "nt-01" / segments(tmp).back()).string();
  std::string bytes = read_file(seg);
  const std::size_t whole = bytes.size();
  std::string torn;
  append_record(4, std::string(50, 'y'), torn);
  bytes += torn.substr(0, 30);  // a write cut short by SIGKILL or power loss
  write_bytes(seg, bytes);

  std::vector<std::string> warnings;
  auto s = open_spool(tmp, 1 << 20, &warnings);
  EXPECT_EQ(s->corrupt_records(), 1u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(
      warnings[0].find("1 corrupt or torn spool record(s) skipped; torn tail cut off at byte " +
                       std::to_string(whole)),
      std::string::npos)
      << warnings[0];
  EXPECT_EQ(fs::file_size(seg), whole);
  EXPECT_EQ(s->last_seq(), 3u);
  auto e = alert(4);
  ASSERT_TRUE(s->append(e));
  EXPECT_EQ(e.seq(), 4u);
  const auto got = read_all(*s, 1);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got.back(), seq_sid(4, 4));
  EXPECT_EQ(s->corrupt_records(), 1u);  // reading does not count it again
  s.reset();
  EXPECT_EQ(open_spool(tmp)->corrupt_records(), 0u);  // the repaired spool is clean
}

TEST(Spool, ACorruptRecordInTheMiddleIsSkippedAndCountedOnce) {
  TempDir tmp;
  std::size_t second_record_payload = 0;
  {
    auto s = open_spool(tmp);
    auto e1 = alert(1);
    ASSERT_TRUE(s->append(e1));
    second_record_payload =
        kSegmentHeaderSize + kRecordHeaderSize + e1.ByteSizeLong() + kRecordHeaderSize;
    append_alerts(*s, 2, 4);
  }
  const std::string seg = (tmp.path() / "nt-01" / segments(tmp).back()).string();
  std::string bytes = read_file(seg);
  bytes[second_record_payload + 2] ^= 0x40;  // a flipped bit in event 2
  write_bytes(seg, bytes);

  auto s = open_spool(tmp);
  EXPECT_EQ(s->corrupt_records(), 1u);
  EXPECT_EQ(s->last_seq(), 4u);
  const auto got = read_all(*s, 1);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].first, 1u);
  EXPECT_EQ(got[1].first, 3u);
  EXPECT_EQ(got[2].first, 4u);
  read_all(*s, 1);
  EXPECT_EQ(s->corrupt_records(), 1u);
}

TEST(Spool, ADamagedMetaFileKeepsTheSegmentsEpochAndResendsEverything) {
  TempDir tmp;
  std::uint64_t epoch = 0;
  {
    auto s = open_spool(tmp);
    epoch = s->epoch();
    append_alerts(*s, 1, 3);
    s->ack(1);
  }
  write_bytes((tmp.path() / "nt-01" / "meta").string(), "garbage");
  std::vector<std::string> warnings;
  auto s = open_spool(tmp, 1 << 20, &warnings);
  EXPECT_EQ(s->epoch(), epoch);
  EXPECT_EQ(s->acked(), 0u);
  EXPECT_EQ(read_all(*s, 1).size(), 3u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("meta: damaged"), std::string::npos);
}

TEST(Spool, ASegmentWithABadHeaderIsRemovedAndCounted) {
  TempDir tmp;
  {
    auto s = open_spool(tmp);
    auto e = alert(1);
    ASSERT_TRUE(s->append(e));
  }
  const std::string seg = (tmp.path() / "nt-01" / segments(tmp).back()).string();
  write_bytes(seg, "not a segment at all, just text");
  auto s = open_spool(tmp);
  EXPECT_EQ(s->corrupt_records(), 1u);
  EXPECT_TRUE(segments(tmp).empty());
}

TEST(Spool, ASecondProcessIsRefusedNamingTheLockHolder) {
  TempDir tmp;
  auto s = open_spool(tmp);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    std::vector<std::string> w;
    auto other = Spool::open(SpoolConfig{tmp.path().string(), "nt-01", 1 << 20, false}, w);
    const std::string msg = other.ok() ? "opened" : other.error().describe();
    ssize_t ignored = write(fds[1], msg.data(), msg.size());
    (void)ignored;
    _exit(0);
  }
  close(fds[1]);
  std::string msg;
  char buf[512];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) msg.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  waitpid(child, nullptr, 0);
  EXPECT_EQ(msg, (tmp.path() / "nt-01").string() + ": spool is in use by another process (pid " +
                     std::to_string(getpid()) +
                     "): another sensor with sensor id 'nt-01' and this collector.spool-dir is "
                     "running");
  // Another sensor id has its own spool.
  std::vector<std::string> w;
  EXPECT_TRUE(Spool::open(SpoolConfig{tmp.path().string(), "pr-01", 1 << 20, false}, w).ok());
}

TEST(Spool, ASensorIdCannotEscapeTheSpoolDirectory) {
  TempDir tmp;
  std::vector<std::string> w;
  auto s = Spool::open(SpoolConfig{tmp.file("spool"), "../x/..", 1 << 20, false}, w);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s.value()->dir(), tmp.file("spool") + "/..%2Fx%2F..");
}

TEST(SpoolDir, FallsBackToXdgStateHomeWhenTheConfiguredDirectoryIsNotUsable) {
  TempDir tmp;
  write_bytes(tmp.file("file"), "x");
  const char* old = std::getenv("XDG_STATE_HOME");
  const std::string saved = old != nullptr ? old : "";
  setenv("XDG_STATE_HOME", tmp.file("state").c_str(), 1);
  std::vector<std::string> warnings;
  auto dir = choose_spool_dir(tmp.file("file") + "/spool", warnings);
  if (old != nullptr) {
    setenv("XDG_STATE_HOME", saved.c_str(), 1);
  } else {
    unsetenv("XDG_STATE_HOME");
  }
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(dir.value(), tmp.file("state") + "/watchpost/spool");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], "collector spool directory " + tmp.file("file") +
                             "/spool: cannot create it: Not a directory; trying the next one");
}

TEST(SpoolRecords, ParseRecordTellsTornFromCorruptFromNonsense) {
  std::string r;
  append_record(9, "payload", r);
  auto view = [](const std::string& b) {
    return parse_record({reinterpret_cast<const std::uint8_t*>(b.data()), b.size()});
  };
  EXPECT_EQ(view(r).status, RecordStatus::kOk);
  EXPECT_EQ(view(r).seq, 9u);
  EXPECT_EQ(view(r).size, r.size());
  EXPECT_EQ(view(r.substr(0, r.size() - 1)).status, RecordStatus::kTruncated);
  EXPECT_EQ(view(r.substr(0, 5)).status, RecordStatus::kTruncated);
  std::string flipped = r;
  flipped.back() ^= 1;
  EXPECT_EQ(view(flipped).status, RecordStatus::kCorrupt);
  std::string huge = r;
  huge[3] = '\x7f';  // length far above the frame limit
  EXPECT_EQ(view(huge).status, RecordStatus::kBadLength);
}

}  // namespace
}  // namespace wp::output
