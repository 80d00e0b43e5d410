// FlowTable: the bidirectional flow table of one worker thread. Flows are keyed by the
// normalised 5-tuple plus VLAN ids, so both directions of a conversation find the same Flow.
// The table never rehashes: flow.hash-size buckets chain flows by index. Flows live in
// chunks of 4096 allocated as flows arrive (flow.prealloc of them at start), up to
// flow.memcap / sizeof(Flow); nothing is allocated per packet. Per-timeout-class LRU lists
// (ordered by last packet time) make expiry O(1) per flow.
// Timeouts are driven by packet time, so replaying a capture behaves like live traffic.
// Not thread-safe: one table per worker, no locks.
#pragma once

#include <cstdint>
#include <memory>
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
  // Where the padding was: untagged and one- or two-tag traffic hash exactly as before the
  // third VLAN id, so their flow ids did not change.
  std::uint8_t reserved = 0;
  std::uint16_t vlan2 = 0;

  friend bool operator==(const FlowKey&, const FlowKey&) = default;
};
static_assert(std::has_unique_object_representations_v<FlowKey>,
              "FlowKey is hashed and compared as bytes: no padding allowed");

// The generic state of a flow. For TCP it is set by the stream stage, which owns the one TCP
// session state machine (handshake, RST, FIN); for other protocols by the flow table.
enum class FlowState : std::uint8_t {
  kNew,          // no session established yet (TCP: handshake not complete, or not tracked)
  kEstablished,  // TCP: the stream stage established the session; others: packets both ways
  kClosed,       // TCP: FIN both ways or a reset the receiver accepts
};

// Why a flow left the table (EVE flow records' `reason`).
enum class FlowEndReason : std::uint8_t {
  kTimeout,   // its state's timeout passed
  kForced,    // evicted to make room (the table was full)
  kShutdown,  // the capture ended or the sensor stopped
  kTcpReuse,  // a new connection (SYN) on the 5-tuple of a closed one
};
const char* flow_end_reason_name(FlowEndReason reason);

struct FlowTimeouts {  // seconds, Suricata's flow-timeouts defaults
  std::uint32_t tcp_new = 60, tcp_established = 600, tcp_closed = 60;
  std::uint32_t udp_new = 30, udp_established = 300;
  std::uint32_t icmp_new = 30, icmp_established = 300;
  std::uint32_t other_new = 30, other_established = 300;
};

struct FlowConfig {
  std::uint64_t memcap = 32ull * 1024 * 1024;  // flow.memcap: bounds the number of flows
  std::uint32_t hash_size = 65536;              // flow.hash-size (rounded up to a power of 2)
  std::uint32_t prealloc = 10000;               // flow.prealloc: flows allocated at start
  FlowTimeouts timeouts;
};

struct Flow {
  FlowKey key;
  std::uint64_t flow_id = 0;  // 51-bit, non-zero, stable for the flow's life (EVE flow_id)
  IpAddress client_addr;      // the initiator: "to_server" means from this side
  std::uint16_t client_port = 0;
  std::uint8_t proto = 0;
  FlowState state = FlowState::kNew;
  bool passed = false;         // a pass rule matched this TCP session: no more inspection
  bool seen_to_server = false;
  bool seen_to_client = false;
  Timestamp first_seen;
  Timestamp last_seen;
  std::uint64_t pkts_to_server = 0;
  std::uint64_t pkts_to_client = 0;
  std::uint64_t bytes_to_server = 0;
  std::uint64_t bytes_to_client = 0;
  std::uint8_t tcp_flags_ts = 0;  // TCP flags seen to server / to client (EVE flow records)
  std::uint8_t tcp_flags_tc = 0;
  bool alerted = false;           // an alert was raised on this flow

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
  // The application layer (sensor/applayer): the detected protocol (an AppProto, kUnknown
  // until detection decides) and the flow's parser state from the worker's pool (returned
  // through the release hook).
  std::uint8_t app_proto = 0;
  void* app_state = nullptr;
  // Directions (1: to_server, 2: to_client) whose IP-only rules were matched already
  // (detect: once per flow and direction, as Suricata).
  std::uint8_t ip_only_done = 0;

  // The stream stage established this TCP session and it is not closed, or a UDP/ICMP/other
  // flow has seen packets both ways.
  bool established() const { return state == FlowState::kEstablished; }

  // Table bookkeeping.
  std::uint32_t hash_next = 0;  // next flow index in the bucket chain, kNil terminates
  std::uint32_t lru_prev = 0;
  std::uint32_t lru_next = 0;
  std::uint8_t lru_class = 0;
  bool in_use = false;
  std::uint32_t index = 0;  // this flow's slot in the table
};

// What the flow stage tells later stages about one packet.
struct FlowRef {
  Flow* flow = nullptr;    // valid until the next FlowTable::process() call
  bool to_server = true;   // packet travels from the flow's initiator
  bool created = false;    // this packet created the flow
  // The packet belongs to an established flow, as `flow:established` sees it: the flow was
  // established before this packet, or (TCP) this packet completed the handshake carrying
  // data. Set by the flow table for UDP/ICMP/other, by the stream stage for TCP.
  bool established = false;
};

class FlowTable {
 public:
  FlowTable(const FlowConfig& config, Counters& counters);
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  // Finds or creates the flow of `pkt` (an IP packet), updates its counters and timers (and
  // the state of a non-TCP flow), and expires flows whose timeout passed at `pkt.ts`. When
  // the table is full the least recently used flow is evicted (counted as flow.evicted).
  // Allocates only to grow the table by a chunk of flows, up to flow.memcap.
  FlowRef process(const decode::Packet& pkt);

  // Files a flow under the timeout of its current state after a later stage (the stream
  // stage, for TCP) changed `Flow::state` while handling the packet process() returned it for.
  void refile(Flow& flow);

  // Called for every flow leaving the table, before its slot is reused, with why and the
  // packet time it happened at.
  using ReleaseHook = void (*)(void* ctx, Flow& flow, FlowEndReason reason, const Timestamp& now);
  void set_release_hook(ReleaseHook hook, void* ctx) {
    release_hook_ = hook;
    release_ctx_ = ctx;
  }

  // Releases every flow (end of the capture, shutdown): each goes through the release hook
  // with FlowEndReason::kShutdown, oldest first.
  void release_all(const Timestamp& now);

  std::size_t active() const { return active_; }
  // Flows the table may hold (flow.memcap / sizeof(Flow)); allocated() of them exist now.
  std::size_t capacity() const { return max_flows_; }
  std::size_t allocated() const { return allocated_; }

 private:
  static constexpr std::uint32_t kNil = 0xffffffffu;
  static constexpr int kClasses = 9;
  static constexpr int kChunkShift = 12;  // flows are allocated 4096 at a time
  static constexpr std::uint32_t kChunk = 1u << kChunkShift;

  Flow& at(std::uint32_t i) { return chunks_[i >> kChunkShift][i & (kChunk - 1)]; }
  const Flow& at(std::uint32_t i) const { return chunks_[i >> kChunkShift][i & (kChunk - 1)]; }
  bool grow();
  std::uint32_t find(const FlowKey& key, std::uint32_t bucket) const;
  std::uint32_t allocate(const Timestamp& now);
  void release(std::uint32_t idx, FlowEndReason reason, const Timestamp& now);
  void lru_unlink(std::uint32_t idx);
  void lru_push_back(std::uint32_t idx, std::uint8_t cls);
  std::uint8_t timeout_class(const Flow& f) const;
  std::uint32_t timeout_of(std::uint8_t cls) const;
  void expire(const Timestamp& now);

  FlowConfig config_;
  std::vector<std::unique_ptr<Flow[]>> chunks_;
  std::uint32_t max_flows_ = 0;
  std::uint32_t allocated_ = 0;
  std::vector<std::uint32_t> buckets_;
  std::uint32_t bucket_mask_ = 0;
  std::uint32_t free_head_ = kNil;
  std::uint32_t lru_head_[kClasses];
  std::uint32_t lru_tail_[kClasses];
  std::size_t active_ = 0;
  std::int64_t last_expiry_sec_ = 0;
  ReleaseHook release_hook_ = nullptr;
  void* release_ctx_ = nullptr;

  Counters& counters_;
  CounterId c_total_, c_tcp_, c_udp_, c_icmp_, c_other_, c_timeout_, c_evicted_, c_active_max_,
      c_tcp_reuse_;
};

}  // namespace wp::flow
