#include "output/event_ring.h"

#include <bit>
#include <chrono>
#include <thread>

namespace wp::output {

EventRing::EventRing(std::size_t capacity) {
  const std::size_t n = std::bit_ceil(std::max<std::size_t>(capacity, 2));
  slots_.reserve(n);
  for (std::size_t i = 0; i < n; ++i) slots_.push_back(std::make_unique<watchpost::v1::Event>());
  mask_ = n - 1;
}

watchpost::v1::Event* EventRing::try_acquire() {
  const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
  if (tail - head_.load(std::memory_order_acquire) == slots_.size()) return nullptr;
  watchpost::v1::Event* e = slots_[tail & mask_].get();
  e->Clear();
  return e;
}

void EventRing::publish() { tail_.store(tail_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

watchpost::v1::Event* EventRing::peek() {
  const std::uint64_t head = head_.load(std::memory_order_relaxed);
  if (head == tail_.load(std::memory_order_acquire)) return nullptr;
  return slots_[head & mask_].get();
}

void EventRing::release() { head_.store(head_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

bool EventRing::empty() const {
  return head_.load(std::memory_order_acquire) == tail_.load(std::memory_order_acquire);
}

RingAlertSink::RingAlertSink(EventRing& ring, Counters& counters)
    : ring_(ring), counters_(counters), c_waits_(counters.add("output.queue_full_waits")) {}

watchpost::v1::Event& RingAlertSink::acquire() {
  watchpost::v1::Event* e = ring_.try_acquire();
  if (e == nullptr) {
    counters_.inc(c_waits_);
    // The output thread is behind (a slow disk): wait for it rather than lose the alert.
    for (int spins = 0; (e = ring_.try_acquire()) == nullptr; ++spins) {
      if (spins < 64) {
        std::this_thread::yield();
      } else {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
    }
  }
  return *e;
}

void RingAlertSink::on_alert(const watchpost::v1::Alert& alert) {
  acquire().mutable_alert()->CopyFrom(alert);
  ring_.publish();
}

void RingAlertSink::on_flow(const watchpost::v1::FlowRecord& flow) {
  acquire().mutable_flow()->CopyFrom(flow);
  ring_.publish();
}

void RingAlertSink::on_anomaly(const watchpost::v1::Anomaly& anomaly) {
  acquire().mutable_anomaly()->CopyFrom(anomaly);
  ring_.publish();
}

}  // namespace wp::output
