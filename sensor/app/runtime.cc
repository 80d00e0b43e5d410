#include "app/runtime.h"

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "app/dispatch.h"
#include "common/text.h"
#include "common/thread.h"

namespace wp::app {
namespace {

constexpr int kBatch = 64;  // packets taken from one ring before looking at the next
constexpr auto kRetry = std::chrono::seconds(1);
// Kernel counters after a read at most this often (a quiet TPACKET_V3 read may then wait
// long: what the last packets changed is published before it).
constexpr auto kKernelStatsPeriod = std::chrono::milliseconds(20);

double thread_cpu_seconds() {
  timespec cpu{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
  return static_cast<double>(cpu.tv_sec) + static_cast<double>(cpu.tv_nsec) / 1e9;
}

// A thread with nothing to do: yield a little (the next packet is usually close), then sleep.
void idle(int& spins) {
  if (++spins < 32) {
    std::this_thread::yield();
  } else {
    std::this_thread::sleep_for(std::chrono::microseconds(spins < 256 ? 50 : 500));
  }
}

}  // namespace

void RuleGeneration::publish(std::shared_ptr<const detect::RuleSet> rules) {
  std::lock_guard lock(mu_);
  rules_ = std::move(rules);
  version_.fetch_add(1, std::memory_order_release);
}

std::shared_ptr<const detect::RuleSet> RuleGeneration::current() const {
  std::lock_guard lock(mu_);
  return rules_;
}

void PacketOrder::wait_turn(std::uint32_t worker, std::uint64_t number) const {
  for (std::uint32_t w = 0; w < slots_.size(); ++w) {
    if (w == worker) continue;
    const Slot& s = slots_[w];
    int spins = 0;
    // The worker still holds an earlier packet while it processes one (its record leaves
    // the ring only afterwards) or has one queued.
    while (s.current.load(std::memory_order_acquire) < number &&
           (s.ring == nullptr || !s.ring->empty())) {
      if (++spins < 64) {
        std::this_thread::yield();
      } else {
        std::this_thread::sleep_for(std::chrono::microseconds(20));
      }
    }
  }
}

WorkerThread::WorkerThread(std::uint32_t index, const Config& config,
                           const RuleGeneration& generation, std::size_t sources,
                           std::size_t ring_bytes, std::shared_ptr<detect::HostState> host)
    : index_(index),
      generation_(generation),
      version_(generation.version()),
      sink_(events_, counters_) {
  worker_ =
      std::make_unique<Worker>(config, generation.current(), counters_, &sink_, std::move(host));
  for (std::size_t i = 0; i < sources; ++i) {
    rings_.push_back(std::make_unique<capture::PacketRing>(ring_bytes));
  }
}

WorkerThread::~WorkerThread() { stop(); }

void WorkerThread::keep_order(PacketOrder& order) {
  order_ = &order;
  order.attach(index_, rings_.empty() ? nullptr : rings_[0].get());
  turn_ = std::make_unique<PacketOrder::Turn>(order, index_);
  worker_->set_host_order(turn_.get());
}

void WorkerThread::start_inline() { inline_cpu_start_ = thread_cpu_seconds(); }

void WorkerThread::finish_inline() {
  worker_->finish();
  cpu_seconds_ = thread_cpu_seconds() - inline_cpu_start_;
}

void WorkerThread::start() {
  thread_ = start_thread([this] { run(); });
}

void WorkerThread::stop() {
  if (!thread_.joinable()) return;
  stopping_.store(true, std::memory_order_release);
  thread_.join();
}

void WorkerThread::take_generation() {
  version_ = generation_.version();
  worker_->swap_rules(generation_.current());
}

void WorkerThread::run() {
  capture::RawPacket p;
  int spins = 0;
  while (true) {
    // Read the flag before draining: whatever was pushed before stop() is then processed.
    const bool stopping = stopping_.load(std::memory_order_acquire);
    std::size_t done = 0;
    for (auto& ring : rings_) {
      for (int i = 0; i < kBatch && ring->peek(p); ++i) {
        if (order_ != nullptr) order_->begin(index_, p.number);
        worker_->process(p);
        ring->pop();
        ++done;
      }
    }
    // Between batches: a packet is inspected by one rule set, never by two.
    if (generation_.version() != version_) take_generation();
    if (done != 0) {
      spins = 0;
      continue;
    }
    if (stopping) break;
    idle(spins);
  }
  worker_->finish();  // the flows still open end now (their flow records)
  cpu_seconds_ = thread_cpu_seconds();
}

CaptureThread::CaptureThread(std::uint32_t source, const InterfaceConfig& config,
                             std::vector<capture::PacketRing*> rings)
    : source_(source), config_(config), rings_(std::move(rings)) {
  c_packets_ = counters_.add("capture.packets");
  c_bytes_ = counters_.add("capture.bytes");
  c_ring_drops_ = counters_.add("capture.ring_drops");
  c_kernel_packets_ = counters_.add("capture.kernel_packets");
  c_kernel_drops_ = counters_.add("capture.kernel_drops");
  c_kernel_ifdrops_ = counters_.add("capture.kernel_ifdrops");
  c_errors_ = counters_.add("capture.errors");
  c_reopens_ = counters_.add("capture.reopens");
}

CaptureThread::~CaptureThread() { stop(); }

Result<void> CaptureThread::open() {
  capture::LiveOptions o{config_.interface, config_.bpf_filter, config_.snaplen,
                         config_.buffer_size, config_.promisc};
  auto s = capture::PcapLiveSource::open(o, source_);
  if (!s) return s.error();
  pcap_ = std::move(s.value());
  return {};
}

void CaptureThread::start() {
  thread_ = start_thread([this] { run(); });
}

void CaptureThread::stop() {
  if (!thread_.joinable()) return;
  stopping_.store(true, std::memory_order_release);
  // The thread reads once more after seeing the request, so frames the kernel held in a
  // block not yet handed over are processed; that takes at most a read timeout while
  // packets flow. A quiet link never ends the read (TPACKET_V3 retires only blocks holding
  // packets): then pcap_breakloop() wakes it (libpcap's eventfd).
  const auto deadline =
      std::chrono::steady_clock::now() + 3 * std::chrono::milliseconds(capture::kReadTimeoutMs);
  while (!finished_.load(std::memory_order_acquire) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  {
    std::lock_guard lock(pcap_mu_);
    if (pcap_) pcap_->break_loop();
  }
  thread_.join();
  if (pcap_) publish_kernel_stats();
}

void CaptureThread::on_packet(void* self, const capture::RawPacket& p) {
  auto* t = static_cast<CaptureThread*>(self);
  const std::uint32_t w = dispatch_worker(p, static_cast<std::uint32_t>(t->rings_.size()));
  if (!t->rings_[w]->push(p)) {
    t->counters_.inc(t->c_ring_drops_);  // the worker is behind: drop, never wait
    return;
  }
  t->counters_.inc(t->c_packets_);
  t->counters_.inc(t->c_bytes_, p.caplen);
}

void CaptureThread::publish_kernel_stats() {
  const capture::KernelStats k = pcap_->stats();
  counters_.set(c_kernel_packets_, base_.packets + k.packets);
  counters_.set(c_kernel_drops_, base_.drops + k.drops);
  counters_.set(c_kernel_ifdrops_, base_.ifdrops + k.ifdrops);
}

void CaptureThread::run() {
  using Clock = std::chrono::steady_clock;
  auto next_stats = Clock::now() + kKernelStatsPeriod;
  auto next_retry = Clock::now();
  while (true) {
    const bool stopping = stopping_.load(std::memory_order_acquire);
    if (!pcap_) {
      if (stopping) break;
      if (Clock::now() < next_retry) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      next_retry = Clock::now() + kRetry;
      std::lock_guard lock(pcap_mu_);
      if (stopping_.load(std::memory_order_acquire)) break;
      if (open()) {
        counters_.inc(c_reopens_);
        std::fprintf(stderr, "watchpost: interface %s: capturing again\n",
                     config_.interface.c_str());
      }
      continue;
    }
    const capture::DispatchStatus st = pcap_->dispatch(&CaptureThread::on_packet, this);
    if (st == capture::DispatchStatus::kBroken) break;  // stop(): its read is over
    if (st == capture::DispatchStatus::kFailed) {
      counters_.inc(c_errors_);
      std::fprintf(stderr, "watchpost: interface %s: capture failed: %s; retrying every second\n",
                   config_.interface.c_str(), pcap_->error().c_str());
      publish_kernel_stats();
      const capture::KernelStats k = pcap_->stats();
      base_.packets += k.packets;
      base_.drops += k.drops;
      base_.ifdrops += k.ifdrops;
      std::lock_guard lock(pcap_mu_);
      pcap_.reset();
      next_retry = Clock::now() + kRetry;
      continue;
    }
    if (Clock::now() >= next_stats) {
      publish_kernel_stats();
      next_stats = Clock::now() + kKernelStatsPeriod;
    }
    if (stopping) break;  // this last read came after the stop request
  }
  finished_.store(true, std::memory_order_release);
}

Result<void> drop_privileges(const std::string& user, const std::string& group) {
  if (user.empty() && group.empty()) return {};
  uid_t uid = ::getuid();
  gid_t gid = ::getgid();
  if (!user.empty()) {
    if (const passwd* pw = ::getpwnam(user.c_str())) {
      uid = pw->pw_uid;
      gid = pw->pw_gid;
    } else if (auto n = parse_uint(user)) {
      uid = static_cast<uid_t>(*n);
    } else {
      return make_error("--user " + user + ": no such user");
    }
  }
  if (!group.empty()) {
    if (const struct group* gr = ::getgrnam(group.c_str())) {
      gid = gr->gr_gid;
    } else if (auto n = parse_uint(group)) {
      gid = static_cast<gid_t>(*n);
    } else {
      return make_error("--group " + group + ": no such group");
    }
  }
  auto failed = [](const char* what) {
    return make_error(std::string("cannot drop privileges: ") + what + ": " + std::strerror(errno));
  };
  if (::prctl(PR_SET_KEEPCAPS, 1) != 0) return failed("prctl(PR_SET_KEEPCAPS)");
  if (::setgroups(1, &gid) != 0) return failed("setgroups");
  if (::setgid(gid) != 0) return failed("setgid");
  if (::setuid(uid) != 0) return failed("setuid");
  // Keep what reopening a capture needs; everything else root had is gone.
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  const std::uint32_t keep = (1u << CAP_NET_RAW) | (1u << CAP_NET_ADMIN);
  data[0].effective = keep;
  data[0].permitted = keep;
  if (::syscall(SYS_capset, &hdr, data) != 0 && uid != 0) {
    std::fprintf(stderr,
                 "warning: cannot keep CAP_NET_RAW after dropping privileges (%s): an "
                 "interface that fails will not be reopened\n",
                 std::strerror(errno));
  }
  return {};
}

}  // namespace wp::app
