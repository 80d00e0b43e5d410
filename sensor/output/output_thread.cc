#include "output/output_thread.h"

#include <chrono>
#include <cstdio>

#include "common/thread.h"

namespace wp::output {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kIdleFlush = std::chrono::milliseconds(100);
constexpr auto kBusyFlush = std::chrono::milliseconds(500);
constexpr auto kIdleSleep = std::chrono::milliseconds(1);
constexpr int kBurst = 256;  // events taken from one ring before looking at the next

}  // namespace

OutputThread::OutputThread(std::vector<EventRing*> rings, std::vector<EventSink*> sinks)
    : rings_(std::move(rings)), sinks_(std::move(sinks)) {}

OutputThread::~OutputThread() { stop(); }

void OutputThread::start() {
  thread_ = start_thread([this] { run(); });
}

void OutputThread::stop() {
  if (!thread_.joinable()) return;
  stopping_.store(true, std::memory_order_release);
  thread_.join();
}

bool OutputThread::drain_once() {
  bool wrote = false;
  for (EventRing* ring : rings_) {
    for (int i = 0; i < kBurst; ++i) {
      watchpost::v1::Event* e = ring->peek();
      if (e == nullptr) break;
      for (EventSink* s : sinks_) s->write(*e);
      ring->release();
      events_.fetch_add(1, std::memory_order_relaxed);
      wrote = true;
    }
  }
  return wrote;
}

void OutputThread::run() {
  auto last_flush = Clock::now();
  bool dirty = false;
  while (true) {
    // Read the flag before draining: whatever was published before stop() is then seen.
    const bool stopping = stopping_.load(std::memory_order_acquire);
    if (const std::uint64_t want = reopen_.load(std::memory_order_acquire);
        want != reopens_done_.load(std::memory_order_relaxed)) {
      for (EventSink* s : sinks_) {
        if (auto r = s->reopen(); !r) {
          std::fprintf(stderr, "watchpost: %s\n", r.error().describe().c_str());
        }
      }
      last_flush = Clock::now();
      dirty = false;
      reopens_done_.store(want, std::memory_order_release);
    }
    const bool wrote = drain_once();
    dirty = dirty || wrote;
    const auto now = Clock::now();
    if (dirty && now - last_flush >= (wrote ? kBusyFlush : kIdleFlush)) {
      for (EventSink* s : sinks_) s->flush();
      last_flush = now;
      dirty = false;
    }
    if (wrote) continue;
    if (stopping) break;
    std::this_thread::sleep_for(kIdleSleep);
  }
  for (EventSink* s : sinks_) s->flush();
}

}  // namespace wp::output
