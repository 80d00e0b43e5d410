// FlowTable: the bidirectional flow table of one worker thread. Flows are keyed by the
// normalised 5-tuple plus VLAN ids, so both directions of a conversation find the same Flow.
// The table is sized up front (flow.memcap / flow.hash-size) and never allocates or rehashes
// on the packet path: flows live in one preallocated array, buckets chain by index, and
// per-timeout-class LRU lists (ordered by last packet time) make expiry O(1) per flow.
// Timeouts are driven by packet time, so replaying a capture behaves like live traffic.
// Not thread-safe: one table per worker, no locks.
#pragma once

#include <cstdint>
#include <type_traits>
#include <vector>

#include "common/counters.h"
#include "common/ip_address.h"
#include "common/timestamp.h"
#include "decode/packet.h"

namespace wp::flow {

struct FlowKey {
  IpAddress lo_addr;  // the (addr, port) pair that sorts lower
  IpAddress hi_addr;
  std::uint16_t lo_port = 0;
  std::uint16_t hi_port = 0;
  std::uint16_t vlan0 = 0;
  std::uint16_t vlan1 = 0;
  std::uint8_t proto = 0;
  std::uint8_t reserved[3] = {0, 0, 0};

  friend bool operator==(const FlowKey&, const FlowKey&) = default;
};
static_assert(std::has_unique_object_representations_v<FlowKey>,
              "FlowKey is hashed and compared as bytes: no padding allowed");

enum class TcpState : std::uint8_t {
  kNone,         // not TCP, or no packet seen yet
  kSynSent,      // client SYN seen
  kSynRecv,      // server SYN/ACK seen
  kEstablished,  // 3-way handshake completed
  kClosing,      // FIN seen
  kClosed,       // RST, or FIN both ways
  kMidstream,    // first packet was not a SYN: session not tracked (no handshake seen)
};

struct FlowTimeouts {  // seconds, Suricata's flow-timeouts defaults
  std::uint32_t tcp_new = 60, tcp_established = 600, tcp_closed = 60;
  std::uint32_t udp_new = 30, udp_established = 300;
  std::uint32_t icmp_new = 30, icmp_established = 300;
  std::uint32_t other_new = 30, other_established = 300;
};

struct FlowConfig {
  std::uint64_t memcap = 32ull * 1024 * 1024;  // flow.memcap: bounds the number of flows
  std::uint32_t hash_size = 65536;              // flow.hash-size (rounded up to a power of 2)
  FlowTimeouts timeouts;
  bool midstream = false;      // stream.midstream: a session seen without its handshake is
                               // picked up as established
  bool async_oneside = false;  // stream.async-oneside: SYN then ACK from the client without a
                               // SYN/ACK seen establishes the session
};

struct Flow {
  FlowKey key;
  std::uint64_t flow_id = 0;  // 51-bit, non-zero, stable for the flow's life (EVE flow_id)
  IpAddress client_addr;      // the initiator: "to_server" means from this side
  std::uint16_t client_port = 0;
  std::uint8_t proto = 0;
  TcpState tcp_state = TcpState::kNone;
  bool tcp_midstream = false;  // established by midstream pick-up (no handshake seen)
  bool passed = false;         // a pass rule matched this TCP session: no more inspection
  bool seen_to_server = false;
  bool seen_to_client = false;
  Timestamp first_seen;
  Timestamp last_seen;
  std::uint64_t pkts_to_server = 0;
  std::uint64_t pkts_to_client = 0;
  std::uint64_t bytes_to_server = 0;
  std::uint64_t bytes_to_client = 0;

  // flowbits set on this flow (ids assigned by the rule set); owned by detect.
  static constexpr int kMaxFlowbits = 12;
  std::uint16_t flowbits[kMaxFlowbits] = {};
  std::uint8_t flowbit_count = 0;
  // flowint variables of this flow: id (assigned by the rule set) and value; owned by
  // detect. A flow holds at most kMaxFlowints (24 bytes per flow); one more is counted as
  // detect.flowint_full and not stored.
  static constexpr int kMaxFlowints = 4;
  std::uint8_t flowint_count = 0;
  std::uint16_t flowint_ids[kMaxFlowints] = {};
  std::uint32_t flowint_values[kMaxFlowints] = {};

  // TCP reassembly state, owned by the stream engine (freed through the release hook).
  void* stream_state = nullptr;

  // A TCP session whose handshake was seen, or a UDP/ICMP/other flow with packets both ways.
  bool established() const;

  // Table bookkeeping.
  std::uint32_t hash_next = 0;  // next flow index in the bucket chain, kNil terminates
  std::uint32_t lru_prev = 0;
  std::uint32_t lru_next = 0;
  std::uint8_t lru_class = 0;
  bool in_use = false;
};

// What the flow stage tells later stages about one packet.
struct FlowRef {
  Flow* flow = nullptr;    // valid until the next FlowTable::process() call
  bool to_server = true;   // packet travels from the flow's initiator
  bool created = false;    // this packet created the flow
};

class FlowTable {
 public:
  FlowTable(const FlowConfig& config, Counters& counters);
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  // Finds or creates the flow of `pkt` (an IP packet), updates its state, counters and
  // timers, and expires flows whose timeout passed at `pkt.ts`. When the table is full the
  // least recently used flow is evicted (counted as flow.evicted). Never allocates.
  FlowRef process(const decode::Packet& pkt);

  // Called for every flow leaving the table (timeout, eviction), before its slot is reused.
  using ReleaseHook = void (*)(void* ctx, Flow& flow);
  void set_release_hook(ReleaseHook hook, void* ctx) {
    release_hook_ = hook;
    release_ctx_ = ctx;
  }

  std::size_t active() const { return active_; }
  std::size_t capacity() const { return flows_.size(); }

 private:
  static constexpr std::uint32_t kNil = 0xffffffffu;
  static constexpr int kClasses = 9;

  std::uint32_t find(const FlowKey& key, std::uint32_t bucket) const;
  std::uint32_t allocate();
  void release(std::uint32_t idx);
  void lru_unlink(std::uint32_t idx);
  void lru_push_back(std::uint32_t idx, std::uint8_t cls);
  std::uint8_t timeout_class(const Flow& f) const;
  std::uint32_t timeout_of(std::uint8_t cls) const;
  void expire(const Timestamp& now);
  void update_tcp_state(Flow& f, const decode::Packet& pkt, bool to_server);

  FlowConfig config_;
  std::vector<Flow> flows_;
  std::vector<std::uint32_t> buckets_;
  std::uint32_t bucket_mask_ = 0;
  std::uint32_t free_head_ = kNil;
  std::uint32_t lru_head_[kClasses];
  std::uint32_t lru_tail_[kClasses];
  std::size_t active_ = 0;
  std::uint64_t next_id_ = 1;
  std::int64_t last_expiry_sec_ = 0;
  ReleaseHook release_hook_ = nullptr;
  void* release_ctx_ = nullptr;

  Counters& counters_;
  CounterId c_total_, c_tcp_, c_udp_, c_icmp_, c_other_, c_timeout_, c_evicted_, c_active_max_;
};

}  // namespace wp::flow
