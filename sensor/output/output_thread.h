// OutputThread: the one thread that writes events. It drains the workers' EventRings and
// writes each event to the EventSinks in order (the collector spool first, which numbers it,
// then the EVE file and fast.log), so the packet path never waits on a file. The sinks are
// flushed when the rings run dry (at most every 100 ms) and at least every 500 ms while
// events keep coming, so a live alert reaches its file within a second.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "output/event_ring.h"
#include "output/sinks.h"

namespace wp::output {

class OutputThread {
 public:
  // Rings and sinks are the caller's and must outlive the thread (until stop() returns).
  OutputThread(std::vector<EventRing*> rings, std::vector<EventSink*> sinks);
  ~OutputThread();
  OutputThread(const OutputThread&) = delete;
  OutputThread& operator=(const OutputThread&) = delete;

  void start();
  // Returns once every event published before the call was written and the sinks were
  // flushed; the thread has ended. The producers must have stopped publishing.
  void stop();

  // Asks the thread to flush and reopen every sink's file (SIGHUP, logrotate) before the
  // next event; failures are reported on stderr and the old file stays in use. Any thread.
  void request_reopen() { reopen_.fetch_add(1, std::memory_order_release); }
  // Reopen requests carried out so far.
  std::uint64_t reopens() const { return reopens_done_.load(std::memory_order_acquire); }

  // Events written so far (read after stop(), or as an approximate figure while running).
  std::uint64_t events() const { return events_.load(std::memory_order_relaxed); }

 private:
  void run();
  bool drain_once();  // true when it wrote anything

  std::vector<EventRing*> rings_;
  std::vector<EventSink*> sinks_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> reopen_{0};
  std::atomic<std::uint64_t> reopens_done_{0};
  std::atomic<std::uint64_t> events_{0};
  std::thread thread_;
};

}  // namespace wp::output
