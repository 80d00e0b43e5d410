#include "common/counters.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

namespace wp {
namespace {

TEST(Counters, AddReturnsTheSameIdForTheSameName) {
  Counters c;
  const CounterId a = c.add("decoder.pkts");
  EXPECT_EQ(c.add("decoder.pkts"), a);
  c.inc(a, 3);
  EXPECT_EQ(c.get("decoder.pkts"), 3u);
  EXPECT_EQ(c.get("never.registered"), 0u);
}

TEST(Counters, AnomalyKindIsKeptAndMerged) {
  Counters c;
  const CounterId vol = c.add("decoder.pkts");
  const CounterId bad = c.add("decoder.ipv4.trunc_pkt", CounterKind::kAnomaly);
  EXPECT_FALSE(c.is_anomaly(vol));
  EXPECT_TRUE(c.is_anomaly(bad));
  EXPECT_TRUE(c.is_anomaly(c.add("decoder.ipv4.trunc_pkt")));  // a later lookup keeps the kind
  c.inc(bad, 2);
  Counters total;
  total.merge(c);
  total.merge(c);
  EXPECT_EQ(total.get("decoder.ipv4.trunc_pkt"), 4u);
  EXPECT_TRUE(total.is_anomaly(total.add("decoder.ipv4.trunc_pkt")));
  EXPECT_FALSE(total.is_anomaly(total.add("decoder.pkts")));
}

}  // namespace
}  // namespace wp

namespace wp {
namespace {

TEST(Counters, ReaderThreadSeesMonotonicValuesWhileTheOwnerCounts) {
  Counters c;
  const CounterId id = c.add("decoder.pkts");
  std::atomic<bool> done{false};
  std::uint64_t last = 0;
  bool monotonic = true;
  std::thread reader([&] {
    while (!done.load()) {
      const std::uint64_t v = c.get(id);
      monotonic = monotonic && v >= last;
      last = v;
    }
  });
  for (int i = 0; i < 1'000'000; ++i) c.inc(id);
  done = true;
  reader.join();
  EXPECT_TRUE(monotonic);
  EXPECT_EQ(c.get(id), 1'000'000u);
}

TEST(Counters, NamesAddedWhileAnotherThreadMergesStayWholeAndInPlace) {
  Counters c;
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done.load()) {
      Counters snapshot;
      snapshot.merge(c);  // names and values of every published entry
      for (CounterId i = 0; i < snapshot.size(); ++i) {
        ASSERT_EQ(snapshot.name(i).rfind("stage.counter", 0), 0u);
      }
    }
  });
  for (int i = 0; i < 2000; ++i) c.inc(c.add("stage.counter" + std::to_string(i)), i);
  done = true;
  reader.join();
  EXPECT_EQ(c.size(), 2000u);
  EXPECT_EQ(c.get("stage.counter1999"), 1999u);
}

TEST(Counters, CopyIsASnapshotOfNamesKindsAndValues) {
  Counters c;
  c.inc(c.add("a.b"), 5);
  c.add("a.bad", CounterKind::kAnomaly);
  const Counters copy = c;
  c.inc(c.add("a.b"));
  EXPECT_EQ(copy.get("a.b"), 5u);
  EXPECT_EQ(c.get("a.b"), 6u);
  EXPECT_TRUE(copy.is_anomaly(1));
}

}  // namespace
}  // namespace wp
