#include "flow/flow_table.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <new>

namespace wp::flow {
namespace {

constexpr std::uint64_t kFlowIdMask = (std::uint64_t{1} << 51) - 1;

// Timeout classes: each has its own LRU list, ordered by last packet time.
enum : std::uint8_t {
  kTcpNew, kTcpEstablished, kTcpClosed, kUdpNew, kUdpEstablished, kIcmpNew, kIcmpEstablished,
  kOtherNew, kOtherEstablished,
};

std::uint64_t mix64(std::uint64_t x) {  // splitmix64 finaliser: a bijection
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

std::uint64_t hash_key(const FlowKey& k) {
  std::uint64_t words[6];
  static_assert(sizeof(FlowKey) <= sizeof(words));
  std::memset(words, 0, sizeof words);
  std::memcpy(words, &k, sizeof k);
  std::uint64_t h = 0x9e3779b97f4a7c15ull;
  for (std::uint64_t w : words) h = mix64(h ^ w) + 0x632be59bd9b4e019ull;
  return h;
}

bool is_icmp(std::uint8_t proto) {
  return proto == decode::kProtoIcmp || proto == decode::kProtoIcmpv6;
}

}  // namespace

FlowTable::FlowTable(const FlowConfig& config, Counters& counters)
    : config_(config), counters_(counters) {
  // Indices are 32-bit with kNil reserved; configuration validation keeps memcap far below.
  max_flows_ = static_cast<std::uint32_t>(
      std::clamp<std::uint64_t>(config_.memcap / sizeof(Flow), 16, kNil - 1));
  const std::uint32_t hs =
      std::bit_ceil(std::clamp<std::uint32_t>(config_.hash_size, 16, 1u << 31));
  buckets_.assign(hs, kNil);
  bucket_mask_ = hs - 1;
  while (allocated_ < std::min(config_.prealloc, max_flows_)) {
    if (!grow()) throw std::bad_alloc();  // at start: the caller reports it (cold path)
  }
  std::fill(std::begin(lru_head_), std::end(lru_head_), kNil);
  std::fill(std::begin(lru_tail_), std::end(lru_tail_), kNil);
  c_total_ = counters_.add("flow.total");
  c_tcp_ = counters_.add("flow.tcp");
  c_udp_ = counters_.add("flow.udp");
  c_icmp_ = counters_.add("flow.icmp");
  c_other_ = counters_.add("flow.other");
  c_timeout_ = counters_.add("flow.timeout");
  c_evicted_ = counters_.add("flow.evicted");
  c_active_max_ = counters_.add("flow.active_max");
  c_tcp_reuse_ = counters_.add("flow.tcp_reuse");
}

std::uint32_t FlowTable::find(const FlowKey& key, std::uint32_t bucket) const {
  for (std::uint32_t i = buckets_[bucket]; i != kNil; i = at(i).hash_next) {
    if (at(i).key == key) return i;
  }
  return kNil;
}

void FlowTable::lru_unlink(std::uint32_t idx) {
  Flow& f = at(idx);
  (f.lru_prev != kNil ? at(f.lru_prev).lru_next : lru_head_[f.lru_class]) = f.lru_next;
  (f.lru_next != kNil ? at(f.lru_next).lru_prev : lru_tail_[f.lru_class]) = f.lru_prev;
}

void FlowTable::lru_push_back(std::uint32_t idx, std::uint8_t cls) {
  Flow& f = at(idx);
  f.lru_class = cls;
  f.lru_next = kNil;
  f.lru_prev = lru_tail_[cls];
  (lru_tail_[cls] != kNil ? at(lru_tail_[cls]).lru_next : lru_head_[cls]) = idx;
  lru_tail_[cls] = idx;
}

std::uint8_t FlowTable::timeout_class(const Flow& f) const {
  switch (f.proto) {
    case decode::kProtoTcp:
      if (f.state == FlowState::kClosed) return kTcpClosed;
      return f.established() ? kTcpEstablished : kTcpNew;
    case decode::kProtoUdp:
      return f.established() ? kUdpEstablished : kUdpNew;
    case decode::kProtoIcmp:
    case decode::kProtoIcmpv6:
      return f.established() ? kIcmpEstablished : kIcmpNew;
    default:
      return f.established() ? kOtherEstablished : kOtherNew;
  }
}

std::uint32_t FlowTable::timeout_of(std::uint8_t cls) const {
  const FlowTimeouts& t = config_.timeouts;
  switch (cls) {
    case kTcpNew: return t.tcp_new;
    case kTcpEstablished: return t.tcp_established;
    case kTcpClosed: return t.tcp_closed;
    case kUdpNew: return t.udp_new;
    case kUdpEstablished: return t.udp_established;
    case kIcmpNew: return t.icmp_new;
    case kIcmpEstablished: return t.icmp_established;
    case kOtherNew: return t.other_new;
    default: return t.other_established;
  }
}

const char* flow_end_reason_name(FlowEndReason reason) {
  switch (reason) {
    case FlowEndReason::kTimeout: return "timeout";
    case FlowEndReason::kForced: return "forced";
    case FlowEndReason::kShutdown: return "shutdown";
    case FlowEndReason::kTcpReuse: return "tcp_reuse";
  }
  return "unknown";
}

void FlowTable::release(std::uint32_t idx, FlowEndReason reason, const Timestamp& now) {
  Flow& f = at(idx);
  if (release_hook_ != nullptr) release_hook_(release_ctx_, f, reason, now);
  lru_unlink(idx);
  std::uint32_t bucket = static_cast<std::uint32_t>(hash_key(f.key)) & bucket_mask_;
  std::uint32_t* link = &buckets_[bucket];
  while (*link != idx) link = &at(*link).hash_next;
  *link = f.hash_next;
  f.in_use = false;
  f.hash_next = free_head_;
  free_head_ = idx;
  --active_;
}

void FlowTable::expire(const Timestamp& now) {
  // Packet time advances in whole seconds for expiry purposes; checking once per second
  // keeps the per-packet cost to one comparison.
  if (now.sec == last_expiry_sec_) return;
  last_expiry_sec_ = now.sec;
  for (std::uint8_t cls = 0; cls < kClasses; ++cls) {
    const std::int64_t timeout = timeout_of(cls);
    while (lru_head_[cls] != kNil) {
      std::uint32_t idx = lru_head_[cls];
      if (at(idx).last_seen.sec + timeout >= now.sec) break;
      release(idx, FlowEndReason::kTimeout, now);
      counters_.inc(c_timeout_);
    }
  }
}

bool FlowTable::grow() {
  // A chunk is only as large as the memcap leaves room for; the free list takes its flows
  // in index order.
  if (allocated_ >= max_flows_) return false;
  const std::uint32_t n = std::min(kChunk, max_flows_ - allocated_);
  std::unique_ptr<Flow[]> chunk(new (std::nothrow) Flow[n]);
  if (!chunk) return false;
  const std::uint32_t first = allocated_;
  for (std::uint32_t i = 0; i < n; ++i) {
    chunk[i].index = first + i;
    chunk[i].hash_next = i + 1 < n ? first + i + 1 : free_head_;
  }
  chunks_.push_back(std::move(chunk));
  free_head_ = first;
  allocated_ += n;
  return true;
}

void FlowTable::release_all(const Timestamp& now) {
  while (true) {
    // The least recently seen flow across the classes, as eviction picks it.
    std::uint32_t oldest = kNil;
    for (std::uint8_t cls = 0; cls < kClasses; ++cls) {
      const std::uint32_t h = lru_head_[cls];
      if (h != kNil && (oldest == kNil || at(h).last_seen < at(oldest).last_seen)) oldest = h;
    }
    if (oldest == kNil) return;
    release(oldest, FlowEndReason::kShutdown, now);
  }
}

std::uint32_t FlowTable::allocate(const Timestamp& now) {
  if (free_head_ == kNil && !grow()) {
    // Full (or the system refused a new chunk): evict the least recently seen flow across
    // all classes.
    std::uint32_t victim = kNil;
    for (std::uint8_t cls = 0; cls < kClasses; ++cls) {
      std::uint32_t h = lru_head_[cls];
      if (h != kNil && (victim == kNil || at(h).last_seen < at(victim).last_seen)) victim = h;
    }
    if (victim == kNil) return kNil;  // no flow at all and no memory for one
    release(victim, FlowEndReason::kForced, now);
    counters_.inc(c_evicted_);
  }
  std::uint32_t idx = free_head_;
  free_head_ = at(idx).hash_next;
  return idx;
}

FlowRef FlowTable::process(const decode::Packet& pkt) {
  expire(pkt.ts);

  FlowKey key;
  const bool src_lower = pkt.src < pkt.dst || (pkt.src == pkt.dst && pkt.sport <= pkt.dport);
  key.lo_addr = src_lower ? pkt.src : pkt.dst;
  key.hi_addr = src_lower ? pkt.dst : pkt.src;
  key.lo_port = src_lower ? pkt.sport : pkt.dport;
  key.hi_port = src_lower ? pkt.dport : pkt.sport;
  key.vlan0 = pkt.vlan[0];
  key.vlan1 = pkt.vlan[1];
  key.vlan2 = pkt.vlan[2];
  key.proto = pkt.proto;

  const std::uint32_t bucket = static_cast<std::uint32_t>(hash_key(key)) & bucket_mask_;
  std::uint32_t idx = find(key, bucket);
  std::uint64_t reused_id = 0;  // the flow_id of a closed flow this packet replaces
  if (idx != kNil && pkt.proto == decode::kProtoTcp && (pkt.tcp_flags & decode::kTcpSyn) &&
      !(pkt.tcp_flags & decode::kTcpAck) && at(idx).state == FlowState::kClosed) {
    // A new connection on the 5-tuple of a closed one (port reuse): a new flow.
    reused_id = at(idx).flow_id;
    release(idx, FlowEndReason::kTcpReuse, pkt.ts);
    counters_.inc(c_tcp_reuse_);
    idx = kNil;
  }
  FlowRef ref;
  if (idx == kNil) {
    idx = allocate(pkt.ts);
    if (idx == kNil) return ref;  // no memory: the packet is inspected without a flow
    Flow& f = at(idx);
    f = Flow{};
    f.index = idx;
    f.key = key;
    // From the flow's key and first packet time (as Suricata's flow id), not from a
    // per-table counter: with several workers each has its own table, and the same capture
    // gives the same ids whatever the number of workers.
    f.flow_id = mix64(hash_key(key) ^ mix64(static_cast<std::uint64_t>(pkt.ts.micros())) ^
                      reused_id) &
                kFlowIdMask;
    if (f.flow_id == 0) f.flow_id = 1;
    f.proto = pkt.proto;
    f.client_addr = pkt.src;
    f.client_port = pkt.sport;
    // A SYN/ACK as the first packet means we saw the server's side first.
    if (pkt.proto == decode::kProtoTcp && (pkt.tcp_flags & decode::kTcpSyn) &&
        (pkt.tcp_flags & decode::kTcpAck)) {
      f.client_addr = pkt.dst;
      f.client_port = pkt.dport;
    }
    f.first_seen = pkt.ts;
    f.in_use = true;
    f.hash_next = buckets_[bucket];
    buckets_[bucket] = idx;
    lru_push_back(idx, kTcpNew);  // re-filed by class below
    ++active_;
    ref.created = true;
    counters_.inc(c_total_);
    if (pkt.proto == decode::kProtoTcp) {
      counters_.inc(c_tcp_);
    } else if (pkt.proto == decode::kProtoUdp) {
      counters_.inc(c_udp_);
    } else if (is_icmp(pkt.proto)) {
      counters_.inc(c_icmp_);
    } else {
      counters_.inc(c_other_);
    }
    if (active_ > counters_.get(c_active_max_)) counters_.set(c_active_max_, active_);
  }
  Flow& f = at(idx);
  ref.flow = &f;
  ref.to_server = pkt.src == f.client_addr && pkt.sport == f.client_port;
  if (pkt.src == pkt.dst && pkt.sport == pkt.dport) ref.to_server = true;
  f.last_seen = pkt.ts;
  if (ref.to_server) {
    f.seen_to_server = true;
    ++f.pkts_to_server;
    f.bytes_to_server += pkt.wirelen;
    f.tcp_flags_ts |= pkt.tcp_flags;
  } else {
    f.seen_to_client = true;
    ++f.pkts_to_client;
    f.bytes_to_client += pkt.wirelen;
    f.tcp_flags_tc |= pkt.tcp_flags;
  }
  // TCP state belongs to the stream stage; other protocols are established once both
  // directions were seen.
  if (pkt.proto != decode::kProtoTcp) {
    if (f.seen_to_server && f.seen_to_client) f.state = FlowState::kEstablished;
    ref.established = f.established();
  }
  lru_unlink(idx);
  lru_push_back(idx, timeout_class(f));
  return ref;
}

void FlowTable::refile(Flow& f) {
  // The flow was just moved to the back of its class list by process(): the back of the
  // new class list keeps that list ordered by last packet time.
  const std::uint8_t cls = timeout_class(f);
  if (cls == f.lru_class) return;
  lru_unlink(f.index);
  lru_push_back(f.index, cls);
}

}  // namespace wp::flow
