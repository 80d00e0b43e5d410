// EventRing: the queue of owned messages between one worker (producer) and the output thread
// (consumer). A bounded single-producer/single-consumer ring whose slots own their
// watchpost.v1.Event messages: the producer fills the next free slot's message and
// publishes it, the consumer reads it and releases the slot. Messages are allocated once
// and reused (Clear() keeps their capacity). Lock-free: two indices, acquire/release.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/counters.h"
#include "output/sinks.h"
#include "watchpost/v1/event.pb.h"

namespace wp::output {

class EventRing {
 public:
  explicit EventRing(std::size_t capacity = 4096);
  EventRing(const EventRing&) = delete;
  EventRing& operator=(const EventRing&) = delete;

  // Producer. The next slot's (cleared) message, or nullptr while the ring is full.
  watchpost::v1::Event* try_acquire();
  // Publishes the message try_acquire() returned.
  void publish();

  // Consumer. The oldest published message, or nullptr when there is none; valid until
  // release().
  watchpost::v1::Event* peek();
  void release();
  bool empty() const;

 private:
  std::vector<std::unique_ptr<watchpost::v1::Event>> slots_;
  std::size_t mask_;
  alignas(64) std::atomic<std::uint64_t> head_{0};  // consumer: next slot to read
  alignas(64) std::atomic<std::uint64_t> tail_{0};  // producer: next slot to fill
};

// The worker's AlertSink in the sensor: each alert (flow record, anomaly) is copied into the
// ring's next message.
// A full ring makes the worker wait for the output thread (counted as
// output.queue_full_waits): alerts are never dropped to keep up.
class RingAlertSink final : public AlertSink {
 public:
  RingAlertSink(EventRing& ring, Counters& counters);
  void on_alert(const watchpost::v1::Alert& alert) override;
  void on_flow(const watchpost::v1::FlowRecord& flow) override;
  void on_anomaly(const watchpost::v1::Anomaly& anomaly) override;

 private:
  // The next free slot's message, waiting for the output thread while the ring is full.
  watchpost::v1::Event& acquire();

  EventRing& ring_;
  Counters& counters_;
  CounterId c_waits_;
};

}  // namespace wp::output
