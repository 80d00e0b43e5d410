#include "output/event_ring.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "output/output_thread.h"

namespace wp::output {
namespace {

// Records the sids it is given, in order, and how often it was flushed.
class Recorder final : public EventSink {
 public:
  void write(watchpost::v1::Event& e) override { sids.push_back(e.alert().signature().signature_id()); }
  void flush() override { ++flushes; }
  std::vector<std::uint32_t> sids;
  int flushes = 0;
};

watchpost::v1::Alert alert(std::uint32_t sid) {
  watchpost::v1::Alert a;
  a.mutable_signature()->set_signature_id(sid);
  a.set_payload(std::string(100, 'x'));
  return a;
}

TEST(EventRing, HandsMessagesOverInOrderAndReportsFullAndEmpty) {
  EventRing ring(4);
  EXPECT_TRUE(ring.empty());
  EXPECT_EQ(ring.peek(), nullptr);
  for (std::uint32_t sid = 1; sid <= 4; ++sid) {
    auto* e = ring.try_acquire();
    ASSERT_NE(e, nullptr);
    e->mutable_alert()->mutable_signature()->set_signature_id(sid);
    ring.publish();
  }
  EXPECT_EQ(ring.try_acquire(), nullptr) << "four slots, four messages in flight";
  ASSERT_NE(ring.peek(), nullptr);
  EXPECT_EQ(ring.peek()->alert().signature().signature_id(), 1u);
  ring.release();
  auto* reused = ring.try_acquire();
  ASSERT_NE(reused, nullptr);
  EXPECT_FALSE(reused->has_alert()) << "a reused message comes back cleared";
}

TEST(OutputThread, WritesEveryAlertOfSeveralProducersInEachProducersOrderBeforeStopReturns) {
  // Small rings force the producers to wait for the output thread: nothing may be lost.
  constexpr int kProducers = 3;
  constexpr std::uint32_t kAlerts = 20000;
  std::vector<std::unique_ptr<EventRing>> rings;
  std::vector<EventRing*> ring_ptrs;
  Counters counters;
  for (int i = 0; i < kProducers; ++i) {
    rings.push_back(std::make_unique<EventRing>(16));
    ring_ptrs.push_back(rings.back().get());
  }
  Recorder rec;
  OutputThread out(ring_ptrs, {&rec});
  out.start();
  std::vector<std::thread> producers;
  std::vector<std::unique_ptr<Counters>> producer_counters;
  for (int p = 0; p < kProducers; ++p) {
    producer_counters.push_back(std::make_unique<Counters>());
    producers.emplace_back([&, p] {
      RingAlertSink sink(*rings[p], *producer_counters[p]);
      for (std::uint32_t i = 0; i < kAlerts; ++i) sink.on_alert(alert(p * 1000000 + i));
    });
  }
  for (auto& t : producers) t.join();
  out.stop();
  ASSERT_EQ(rec.sids.size(), kProducers * kAlerts);
  EXPECT_EQ(out.events(), kProducers * kAlerts);
  std::vector<std::uint32_t> next(kProducers, 0);
  for (std::uint32_t sid : rec.sids) {
    const std::uint32_t p = sid / 1000000;
    ASSERT_EQ(sid % 1000000, next[p]) << "producer " << p << " out of order";
    ++next[p];
  }
  EXPECT_GE(rec.flushes, 1);
  std::uint64_t waits = 0;
  for (auto& c : producer_counters) waits += c->get("output.queue_full_waits");
  EXPECT_GT(waits, 0u) << "rings of 16 must have filled up";
}

TEST(OutputThread, StopWithNothingPublishedFlushesAndEnds) {
  EventRing ring;
  Recorder rec;
  OutputThread out({&ring}, {&rec});
  out.start();
  out.stop();
  EXPECT_TRUE(rec.sids.empty());
  EXPECT_EQ(rec.flushes, 1);
}

}  // namespace
}  // namespace wp::output
