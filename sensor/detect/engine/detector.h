// Detector: the per-worker context of the engine. It runs one generation (a compiled
// RuleSet) over packets and stream chunks. One Detector per worker thread: it owns the
// Hyperscan scratch (cloned from the generation's prototype), the PCRE2 match data and all
// per-packet buffers, allocated up front, so inspect() never allocates. Flow variables live
// in the flows (ids from the generation's NameTable); host state (thresholds, xbits) in a
// HostState shared with the other workers. Not thread-safe.
//
// Reload: switch_to() moves the context to the next generation between two packets (cold:
// it allocates the new generation's scratch and per-rule arrays). State kept in flows and in
// the HostState stays valid, as both generations take their ids from the same NameTable and
// host state is keyed by rule identity.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "applayer/transaction.h"
#include "common/counters.h"
#include "decode/packet.h"
#include "detect/compile/rule_set.h"
#include "detect/engine/host_state.h"
#include "detect/engine/transforms.h"
#include "flow/flow_table.h"
#include "stream/stream.h"

struct hs_scratch;

namespace wp::detect {

struct DetectorConfig {
  std::uint32_t packet_alert_max = 15;  // packet-alert-max
  // xbits entries (host and ip-pair bits), preallocated: the capacity of the HostState a
  // Detector creates when it is given none.
  std::size_t xbits_capacity = 65536;
};

// What one rule cost, collected only when profiling is on (watchpost-rulecheck --pcap).
struct RuleProfile {
  std::uint64_t checks = 0;   // times the rule was verified as a candidate
  std::uint64_t matches = 0;  // verifications that matched (before pass/threshold/noalert)
  std::uint64_t ns = 0;       // time spent verifying, nanoseconds (steady clock)
};

class Detector {
 public:
  // `host`: the host state shared by the workers; null: a HostState of this Detector's own
  // (one worker). A scratch that cannot be cloned is counted as detect.hs_scratch_error
  // (scratch_error() says why); every scan then fails and is counted as
  // detect.hs_scan_error.
  Detector(std::shared_ptr<const RuleSet> rules, const DetectorConfig& config, Counters& counters,
           std::shared_ptr<HostState> host = nullptr);
  ~Detector();
  Detector(const Detector&) = delete;
  Detector& operator=(const Detector&) = delete;

  // Runs every rule that can match `pkt` and returns the indices (into rules().rules()) of
  // the rules that alert, in alert order. A matching pass rule suppresses the packet's
  // alerts; in a TCP session it passes the whole session (no further inspection), as in
  // Suricata. The span is valid until the next inspect() or inspect_stream() call.
  // `tracked`: the packet belongs to a tracked TCP session, whose payload is inspected on
  // the stream (inspect_stream) instead: the stream rules are left out here.
  std::span<const std::uint32_t> inspect(const decode::Packet& pkt, const flow::FlowRef& flow,
                                         bool tracked = false);

  // Runs the stream rules over a newly in-order piece of a tracked session's stream that
  // `pkt` completed (usually data of the packet's direction; the other direction's when the
  // packet acknowledged data lost to the sensor and buffered data became deliverable: then
  // the rule header is checked with that direction's addresses and ports). A rule alerts when it matches with at least one of its matched bytes in
  // the new data, so data already inspected never alerts again; absolute positions (offset,
  // depth, isdataat) count from the start of the stream.
  std::span<const std::uint32_t> inspect_stream(const decode::Packet& pkt,
                                                const flow::FlowRef& flow,
                                                const stream::StreamChunk& chunk);

  // After the stream stage reassembled `pkt` (a packet of a tracked session, which inspect()
  // ran with `tracked` set): the rules testing stream-event, on the events in
  // pkt.stream_events. inspect() leaves them to this call for such packets, so the events
  // reassembly finds count, as in Suricata whose stream engine runs before detection.
  std::span<const std::uint32_t> inspect_stream_events(const decode::Packet& pkt,
                                                       const flow::FlowRef& flow);

  // Runs the transaction rules of `tx`'s protocol evaluated at the point it reached: each
  // buffer that point makes available is scanned once per instance with its groups, then the
  // candidates are verified on the transaction (all of a rule's items of one buffer within
  // one instance; its packet and flow keywords with `pkt`, the packet that made the
  // progress). A rule alerts at most once per transaction (tx.alerted). `pkt_data`: what the
  // rules' pkt_data items read (the UDP payload, or the stream data the parser was fed).
  std::span<const std::uint32_t> inspect_tx(const decode::Packet& pkt, const flow::FlowRef& flow,
                                            const applayer::Transaction& tx,
                                            std::span<const std::uint8_t> pkt_data);

  // Only the Hyperscan scans of `pkt`'s payload (packet and, for tcp, stream groups): the
  // benchmark's ceiling.
  // Returns the number of distinct fast patterns that matched.
  std::size_t prefilter_only(const decode::Packet& pkt, const flow::FlowRef& flow);

  // Moves this context to generation `next` (a reload), between two packets. Per-rule
  // statistics (hits(), profile()) start again from zero.
  void switch_to(std::shared_ptr<const RuleSet> next);

  // Offline with several workers: host-state operations wait for their packet's turn
  // (HostOrder). Null (the default): no ordering.
  void set_host_order(HostOrder* order) { order_ = order; }

  const RuleSet& rule_set() const { return *rules_; }
  const std::shared_ptr<const RuleSet>& generation() const { return rules_; }
  const std::shared_ptr<HostState>& host_state() const { return host_; }
  // Empty when the scratch of the current generation was cloned; else what failed.
  const std::string& scratch_error() const { return scratch_error_; }
  // Matches per rule index since construction (for the rules-hit statistics).
  const std::vector<std::uint64_t>& hits() const { return hits_; }

  // Turns on per-rule profiling (allocates one RuleProfile per rule; cold path). Off, it
  // costs one null check per candidate.
  void enable_profiling();
  // Per rule index; empty unless profiling is on.
  const std::vector<RuleProfile>& profile() const { return profile_; }

 private:
  struct Scratch;
  // Hyperscan scan of `payload` with the group's database; the matched pattern ids are in
  // matched_patterns_[0..return value).
  std::size_t scan(const RuleGroup& g, std::span<const std::uint8_t> payload);
  // Hyperscan scan of `data` with a stream group's database (every occurrence reported):
  // each pattern is listed once in matched_patterns_, with the end of its last occurrence in
  // matched_ends_; occurrences ending within the first `old_bytes` bytes are ignored.
  std::size_t scan_stream(const RuleGroup& g, std::span<const std::uint8_t> data,
                          std::size_t old_bytes);
  // The bytes a rule's payload keywords inspect.
  struct Input {
    std::span<const std::uint8_t> data;
    std::uint64_t base = 0;     // stream offset of data[0]
    std::size_t new_from = 0;   // a match must end after this index (stream chunks)
    bool stream = false;
    bool reversed = false;      // the data travels opposite to the packet
  };
  bool verify(const CompiledRule& r, const decode::Packet& pkt, const flow::FlowRef& flow,
              const Input& buf);
  // The rule's items of each header buffer (ipv4.hdr, tcp.hdr, ...) on `pkt`'s header bytes;
  // a header the packet does not have fails the rule.
  bool verify_headers(const CompiledRule& r, const decode::Packet& pkt, const Input& buf);
  bool verify_payload(const CompiledRule& r, const Input& buf, BufferId pass = kPktData,
                      std::uint8_t chain = 0);
  // Buffer instance `data` through the rule's transform chain `chain` (1-based), computed once
  // per (instance, chain) during one inspect_tx call (rules with the same chain share it).
  std::span<const std::uint8_t> transformed(const CompiledRule& cr, std::uint8_t chain,
                                            std::span<const std::uint8_t> data);
  static bool flow_counters_hold(const Rule& r, const flow::Flow* f, const decode::Packet& pkt);
  // A transaction rule's point, keywords and buffers on tx_ (buf: its pkt_data).
  bool verify_tx(const CompiledRule& r, const decode::Packet& pkt, const Input& buf);
  bool verify_profiled(RuleProfile& p, const CompiledRule& r, const decode::Packet& pkt,
                       const flow::FlowRef& flow, const Input& buf);
  void consider(std::uint32_t rule_idx, const decode::Packet& pkt, const flow::FlowRef& flow,
                const Input& buf);
  // Considers the rules of pattern `pid`; `remembered`: a hit from an earlier stream chunk.
  void consider_pattern(const RuleGroup& g, std::uint32_t pid, const decode::Packet& pkt,
                        const flow::FlowRef& flow, const Input& buf, bool remembered = false);
  static bool content_reaches_new_data(const CompiledRule& cr, const Input& buf);
  void begin();
  // Before a host-state operation: waits for the packet's turn (set_host_order), once per
  // packet.
  void host_turn(const decode::Packet& pkt) {
    if (order_ != nullptr && pkt.number != turn_granted_) {
      order_->wait_turn(pkt.number);
      turn_granted_ = pkt.number;
    }
  }
  // Per-generation parts of the context: scratch, pattern and rule arrays.
  void attach();
  std::span<const std::uint32_t> finish(const decode::Packet& pkt, const flow::FlowRef& flow,
                                        bool reversed);

  std::shared_ptr<const RuleSet> rules_;
  DetectorConfig config_;
  const applayer::Transaction* tx_ = nullptr;  // during inspect_tx()
  // Transformed buffers of the current inspect_tx call: (source bytes, chain signature) ->
  // bytes in xform_arena_; cleared per call, capacity kept.
  struct XformEntry {
    const std::uint8_t* src;
    std::size_t src_len;
    const std::string* signature;
    std::size_t at, len;
  };
  std::vector<XformEntry> xform_cache_;
  std::vector<std::uint8_t> xform_arena_;
  std::unique_ptr<TransformScratch> xform_;
  hs_scratch* scratch_ = nullptr;
  std::unique_ptr<Scratch> s_;
  std::vector<std::uint32_t> matched_patterns_;
  std::vector<std::uint32_t> matched_ends_;  // stream scans: end offset of each pattern's hit
  std::vector<std::uint32_t> pattern_slot_;  // stream scans: pattern id -> index in matched_*
  std::vector<std::uint32_t> pattern_seen_;  // stream scans: epoch of the pattern's last listing
  std::uint32_t scan_epoch_ = 0;
  std::vector<std::uint32_t> seen_epoch_;
  std::uint32_t epoch_ = 0;
  std::vector<std::uint32_t> matches_;
  std::vector<std::uint64_t> hits_;
  std::vector<RuleProfile> profile_;
  RuleProfile* prof_ = nullptr;  // profile_.data() when profiling, else null
  std::shared_ptr<HostState> host_;
  HostOrder* order_ = nullptr;
  std::uint64_t turn_granted_ = 0;
  bool defer_stream_events_ = false;  // inspect() of a tracked packet: see inspect_stream_events  // the packet number host_turn() last waited for
  std::string scratch_error_;

  Counters& counters_;
  CounterId c_candidates_, c_verified_, c_alerts_, c_pass_, c_alert_overflow_, c_recursion_,
      c_thresholded_, c_flowbits_full_, c_flowint_full_, c_xbits_full_, c_suppressed_, c_hitring_full_;
  CounterId c_pcre_limit_, c_pcre_undecided_, c_hs_error_, c_hs_scratch_error_;
};

}  // namespace wp::detect
