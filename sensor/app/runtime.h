// The threads of the sensor's data plane and what they share:
//  - RuleGeneration: the compiled rule set the workers run, replaced by a rule reload. The
//    workers check its version (one atomic load) between batches and take the new set then.
//  - WorkerThread: one Worker (decode, flow, stream, detect, alert building) on its own
//    thread, fed by one PacketRing per capture source, its alerts leaving through its own
//    EventRing to the output thread. Owns its Counters (read by the stats and metrics code
//    on the control thread while it runs).
//  - CaptureThread: live capture on one interface (PcapLiveSource), dispatching each frame
//    to a worker by dispatch_worker() (app/dispatch.h). A full ring drops the frame and
//    counts it (capture.ring_drops): capture never waits for a worker. An interface that
//    fails is reported, closed and opened again every second.
// Every ring has one producer and one consumer: no locks on the packet path.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "app/config.h"
#include "app/worker.h"
#include "capture/packet_ring.h"
#include "capture/pcap_live.h"
#include "common/counters.h"
#include "detect/compile/rule_set.h"
#include "detect/engine/host_state.h"
#include "output/event_ring.h"

namespace wp::app {

class RuleGeneration {
 public:
  explicit RuleGeneration(std::shared_ptr<const detect::RuleSet> rules) : rules_(std::move(rules)) {}
  // Any thread (the control thread after a reload).
  void publish(std::shared_ptr<const detect::RuleSet> rules);
  std::uint64_t version() const { return version_.load(std::memory_order_acquire); }
  std::shared_ptr<const detect::RuleSet> current() const;

 private:
  mutable std::mutex mu_;  // held to copy or replace the pointer: cold path
  std::shared_ptr<const detect::RuleSet> rules_;
  std::atomic<std::uint64_t> version_{0};
};

// Offline replay with several workers: keeps the host state (thresholds, xbits) in capture
// order across the workers, so 1 and N workers raise the same alerts (detect::HostOrder).
// Each worker publishes the number of the packet it is processing; a worker about to touch
// the host state for packet S waits until every other worker is either past S or has
// nothing left in its ring (the reader pushes in packet order, so all packets before S were
// pushed before S itself). The waits form a chain of strictly smaller packet numbers, so
// the oldest packet in flight never waits: no deadlock. Only packets that reach a threshold
// or an xbit wait; everything else runs in parallel.
class PacketOrder {
 public:
  explicit PacketOrder(std::size_t workers) : slots_(workers) {}
  // Before the worker's rings are read (once, at setup).
  void attach(std::uint32_t worker, const capture::PacketRing* ring) { slots_[worker].ring = ring; }
  // The worker starts processing packet `number` (its own thread). A worker without a ring
  // (the reading thread's own) says so for every packet it reads, its own or not.
  void begin(std::uint32_t worker, std::uint64_t number) {
    slots_[worker].current.store(number, std::memory_order_release);
  }
  // Returns once no worker other than `worker` holds a packet numbered below `number`
  // (a worker with a ring: it is at `number` or beyond, or its ring is empty; one without:
  // it is at `number` or beyond).
  void wait_turn(std::uint32_t worker, std::uint64_t number) const;

  // The Detector's view for one worker.
  class Turn : public detect::HostOrder {
   public:
    Turn(const PacketOrder& order, std::uint32_t worker) : order_(order), worker_(worker) {}
    void wait_turn(std::uint64_t number) override { order_.wait_turn(worker_, number); }

   private:
    const PacketOrder& order_;
    std::uint32_t worker_;
  };

 private:
  struct alignas(64) Slot {
    std::atomic<std::uint64_t> current{0};
    const capture::PacketRing* ring = nullptr;
  };
  std::vector<Slot> slots_;
};

class WorkerThread {
 public:
  // Builds the Worker (std::bad_alloc escapes: the flow table could not be allocated) and
  // one input ring of `ring_bytes` per source.
  WorkerThread(std::uint32_t index, const Config& config, const RuleGeneration& generation,
               std::size_t sources, std::size_t ring_bytes,
               std::shared_ptr<detect::HostState> host);
  ~WorkerThread();

  std::uint32_t index() const { return index_; }
  capture::PacketRing& ring(std::size_t source) { return *rings_[source]; }
  output::EventRing& events() { return events_; }
  Counters& counters() { return counters_; }
  const Counters& counters() const { return counters_; }
  // Read only before start() or after stop().
  Worker& worker() { return *worker_; }

  void start();
  // Processes what the rings still hold, then ends the thread. Call once the producers have
  // stopped pushing.
  void stop();
  // Offline with several workers: keep host-state operations in packet order (before
  // start()).
  void keep_order(PacketOrder& order);

  // CPU time the thread used, in seconds (after stop(); 0 without a thread).
  double cpu_seconds() const { return cpu_seconds_; }

  // Without a thread (offline with one worker): the caller's thread processes packets
  // itself and calls this between them; it swaps rules when a new generation is out.
  void process_inline(const capture::RawPacket& p) {
    if (generation_.version() != version_) take_generation();
    worker_->process(p);
  }
  // Around the process_inline() calls: the calling thread's CPU time between the two
  // becomes this worker's (cpu_seconds()).
  void start_inline();
  void finish_inline();

 private:
  void run();
  void take_generation();

  std::uint32_t index_;
  const RuleGeneration& generation_;
  std::uint64_t version_;
  Counters counters_;
  output::EventRing events_;
  output::RingAlertSink sink_;
  std::unique_ptr<Worker> worker_;
  std::vector<std::unique_ptr<capture::PacketRing>> rings_;
  std::atomic<bool> stopping_{false};
  double cpu_seconds_ = 0;
  double inline_cpu_start_ = 0;
  PacketOrder* order_ = nullptr;
  std::unique_ptr<PacketOrder::Turn> turn_;
  std::thread thread_;
};

class CaptureThread {
 public:
  // `rings`: this source's ring of each worker, in worker order.
  CaptureThread(std::uint32_t source, const InterfaceConfig& config,
                std::vector<capture::PacketRing*> rings);
  ~CaptureThread();

  // Opens the interface (at start: an error here is the sensor's exit 1).
  Result<void> open();
  // The link type of the opened interface (after open(), before start()).
  int linktype() const { return pcap_->linktype(); }
  void start();
  // Stops capturing: reads what the kernel holds (at most a few read timeouts), then joins.
  void stop();

  const InterfaceConfig& config() const { return config_; }
  const Counters& counters() const { return counters_; }
  // Frames pushed to workers and their captured bytes (the run summary).
  std::uint64_t packets() const { return counters_.get(c_packets_); }
  std::uint64_t bytes() const { return counters_.get(c_bytes_); }

 private:
  void run();
  static void on_packet(void* self, const capture::RawPacket& p);
  void publish_kernel_stats();

  std::uint32_t source_;
  InterfaceConfig config_;
  std::vector<capture::PacketRing*> rings_;
  std::mutex pcap_mu_;  // held to open or close pcap_ and by stop() to break its read
  std::unique_ptr<capture::PcapLiveSource> pcap_;
  capture::KernelStats base_;  // kernel counters of the handles closed before this one
  std::atomic<bool> stopping_{false};
  std::atomic<bool> finished_{false};  // run() returned
  std::thread thread_;
  Counters counters_;
  CounterId c_packets_, c_bytes_, c_ring_drops_, c_kernel_packets_, c_kernel_drops_,
      c_kernel_ifdrops_, c_errors_, c_reopens_;
};

// Resolves `user` and `group` (names or numbers) and switches to them, keeping CAP_NET_RAW
// and CAP_NET_ADMIN so a failed interface can still be reopened. Empty: unchanged. Cold path.
Result<void> drop_privileges(const std::string& user, const std::string& group);

}  // namespace wp::app
