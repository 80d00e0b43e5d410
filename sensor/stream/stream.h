// StreamEngine: TCP reassembly for one worker thread. For each tracked TCP session it keeps,
// per direction, the in-order byte stream the receiving host sees and hands every newly
// in-order piece to detection exactly once, together with a bounded window of the data that
// preceded it (so a pattern split over segments is found, and positions are stream offsets).
//
// Memory (documented in sensor/stream/README.md):
//  - a session (TcpSession, two StreamDirs) from a pool bounded by stream.memcap;
//  - per direction, one contiguous buffer holding the retained window plus new data, grown
//    by size class up to 2 x inspect-window and slid (memmove) when full, and the
//    out-of-order segments, all from a BlockPool bounded by stream.reassembly.memcap.
// Nothing is allocated per segment once the pools are warm. Not thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "common/counters.h"
#include "common/ip_address.h"
#include "decode/packet.h"
#include "flow/flow_table.h"
#include "stream/block_pool.h"
#include "stream/stream_events.h"

namespace wp::stream {

// How overlapping segments are resolved (host-os-policy). See README.md for the table.
enum class OverlapPolicy : std::uint8_t {
  kFirst,     // the data seen first wins (windows, vista, macos, hpux10, first)
  kLast,      // the data seen last wins (last)
  kBsd,       // new data wins only where the new segment starts before the old one (bsd, irix, hpux11)
  kBsdRight,  // new data wins only where the new segment ends after the old one (bsd-right)
  kLinux,     // bsd, plus: same start and the new segment ends after the old one (linux, old-linux)
  kSolaris,   // new data wins unless the old segment ends after the new one (solaris)
};

// Parses a host-os-policy name ("bsd", "windows", ...); false when unknown.
bool parse_overlap_policy(std::string_view name, OverlapPolicy& out);
const char* overlap_policy_name(OverlapPolicy p);

// host-os-policy: policy by destination (receiving host) address; sorted disjoint ranges,
// one binary search per lookup. Addresses not listed use the default policy.
class PolicyMap {
 public:
  void set_default(OverlapPolicy p) { default_ = p; }
  // Adds "ADDR" or "ADDR/PREFIX"; later entries override earlier ones where they overlap,
  // more specific prefixes override less specific ones. False on malformed text.
  bool add(std::string_view cidr, OverlapPolicy p);
  OverlapPolicy lookup(const IpAddress& a) const;
  OverlapPolicy default_policy() const { return default_; }

 private:
  void rebuild();
  struct Entry {
    IpKey lo, hi;
    int prefix;
    std::uint32_t order;
    OverlapPolicy policy;
  };
  std::vector<Entry> entries_;
  std::vector<IpKey> starts_;  // disjoint intervals [starts_[i], starts_[i+1])
  std::vector<std::int16_t> policies_;  // -1: default
  OverlapPolicy default_ = OverlapPolicy::kBsd;
};

struct StreamConfig {
  std::uint64_t memcap = 64ull << 20;              // stream.memcap (sessions)
  std::uint64_t reassembly_memcap = 256ull << 20;  // stream.reassembly.memcap (data)
  std::uint64_t depth = 1ull << 20;                // stream.reassembly.depth; 0 = unlimited
  std::uint32_t inspect_window = 4096;             // stream.reassembly.inspect-window
  std::uint32_t max_ooo_bytes = 1u << 20;          // per direction before a gap is declared
  bool midstream = false;                          // stream.midstream
  bool async_oneside = false;                      // stream.async-oneside
  PolicyMap policies;                              // host-os-policy
};

// Fast-pattern hits remembered per direction, so a rule whose fast pattern was in earlier
// data is checked again when later data arrives (its other contents may complete it).
// `pattern` holds stable pattern ids (detect::NameTable), valid across rule reloads.
struct HitRing {
  static constexpr int kSize = 16;
  std::uint32_t pattern[kSize];
  std::uint32_t end[kSize];  // low 32 bits of the stream offset just past the hit
  std::uint8_t count = 0;
  std::uint8_t next = 0;
};

// One newly in-order piece of a direction's stream, as detection sees it.
struct StreamChunk {
  std::span<const std::uint8_t> data;  // retained window followed by the new bytes
  std::size_t new_from = 0;            // index in `data` of the first new byte
  std::uint64_t base = 0;              // stream offset of data[0] (0 = first data byte)
  std::uint64_t anchor = 0;            // stream offset where the current message started: the
                                       // first byte after the other direction last sent data
  HitRing* hits = nullptr;             // this direction's remembered fast-pattern hits
  bool to_server = true;

  // Index in `data` where the current message starts (0 when it started before the window).
  std::size_t message_start() const {
    return anchor > base ? static_cast<std::size_t>(std::min<std::uint64_t>(anchor - base, new_from)) : 0;
  }
  // The current message as far as the window holds it: what detection inspects.
  std::span<const std::uint8_t> message() const { return data.subspan(message_start()); }
};

// Called for each chunk; `ctx` is the caller's. Alerts raised from a chunk belong to the
// packet being processed (it completed the data).
using ChunkFn = void (*)(void* ctx, const StreamChunk& chunk);

enum class StreamVerdict : std::uint8_t {
  kUntracked,  // not a tracked session: inspect the packet's payload on its own
  kTracked,    // tracked: payload inspection happens on the chunks delivered
};

// The TCP session state machine (README "Session state"). The flow's generic state mirrors
// it: kNew before kEstablished, then kEstablished, kClosed.
enum class TcpState : std::uint8_t {
  kNone,         // session created, nothing decided yet
  kSynSent,      // the client's SYN was seen
  kSynRecv,      // the SYN was answered (SYN/ACK; or SYN then SYN/ACK in a split handshake)
  kEstablished,  // the handshake completed (or midstream / async-oneside pick-up)
  kClosed,       // FIN both ways reached, or a reset the receiver accepts
};

class StreamEngine {
 public:
  StreamEngine(const StreamConfig& config, Counters& counters);
  ~StreamEngine();
  StreamEngine(const StreamEngine&) = delete;
  StreamEngine& operator=(const StreamEngine&) = delete;

  // Two steps per TCP packet (checksum already validated) of flow `fr`. track(): the session
  // state machine (creation, handshake incl. split handshakes, resets validated against the
  // receiver's window), the flow's generic state and `fr.established` for this packet, and
  // whether the session is tracked, so the packet rules can run first. reassemble() (tracked
  // sessions): sequence tracking, gap and overlap handling, FIN, and a call of `fn` for
  // every piece of data that became in order.
  StreamVerdict track(const decode::Packet& pkt, flow::FlowRef& fr);
  void reassemble(const decode::Packet& pkt, const flow::FlowRef& fr, ChunkFn fn, void* ctx);

  // The stream events (stream_events.h bits) of the packet being processed: track() starts
  // the set afresh, reassemble() adds to it. The counters of the same anomalies are bumped too.
  std::uint32_t events() const { return events_; }

  // The session state of a flow (kNone when it has no session).
  static TcpState state(const flow::Flow& f);

  // Frees the session of a flow leaving the table (FlowTable's release hook).
  void release(flow::Flow& f);

  // Bytes the client and the server have sent in order so far, each counting its SYN as one
  // (Suricata's stream_size); false when the flow has no tracked session. `pending`: a
  // packet not reassembled yet (packet rules run first) whose data, if it is the next in
  // order, is counted as Suricata counts it (its stream engine runs before detection).
  static bool sizes(const flow::Flow& f, const decode::Packet* pending, bool pending_to_server,
                    std::uint64_t& client, std::uint64_t& server);

  std::size_t sessions() const { return sessions_in_use_; }
  const BlockPool& pool() const { return pool_; }
  static std::size_t session_bytes();

  struct Session;

 private:
  struct Dir;
  Session* create_session(flow::Flow& f);
  void on_none(Session& s, const decode::Packet& pkt, int di);
  void on_syn_sent(Session& s, const decode::Packet& pkt, int di);
  void on_syn_recv(Session& s, const decode::Packet& pkt, int di);
  bool reset_accepted(const Session& s, const decode::Packet& pkt, int di) const;
  void note_receiver_window(Session& s, const decode::Packet& pkt, int di);
  void insert(Dir& d, std::uint64_t off, std::span<const std::uint8_t> data, OverlapPolicy policy);
  void deliver_ready(Session& s, int di, ChunkFn fn, void* ctx);
  void deliver(Session& s, int di, std::span<const std::uint8_t> data, ChunkFn fn, void* ctx);
  void skip_gap(Dir& d, std::uint64_t to);
  // Counts an anomaly and records its Suricata stream event for the current packet.
  void anomaly(CounterId counter, StreamEvent e) {
    counters_.inc(counter);
    events_ |= stream_event_bit(e);
  }
  void skip_acknowledged_gaps(Session& s, int di, ChunkFn fn, void* ctx);
  void close_if_finished(Session& s, flow::Flow& f);
  void close(Session& s, flow::Flow& f);
  void free_dir(Dir& d);

  StreamConfig config_;
  BlockPool pool_;
  std::vector<std::pair<Session*, std::size_t>> session_slabs_;
  Session* free_sessions_ = nullptr;
  std::size_t session_count_ = 0;  // allocated (in use + free)
  std::size_t sessions_in_use_ = 0;
  std::size_t max_sessions_ = 0;

  Counters& counters_;
  std::uint32_t events_ = 0;
  CounterId c_sessions_, c_midstream_, c_memcap_, c_reasm_memcap_, c_depth_, c_gap_, c_overlap_,
      c_overlap_diff_, c_retransmit_, c_ooo_, c_bytes_, c_chunks_, c_after_fin_, c_bad_seq_,
      c_closed_, c_out_of_window_, c_established_, c_split_, c_async_, c_bad_ack_, c_rst_invalid_,
      c_fin_superseded_;
};

}  // namespace wp::stream
