// RuleSet: the immutable compiled form of a set of rules, shared by all workers through
// std::shared_ptr<const RuleSet> (a reload builds a new one and swaps it in).
//
// Prefiltering. A packet only meets the rules that can match it:
//  - rules with content: each rule's fast pattern (explicit `fast_pattern`, else the longest
//    positive content of a buffer that can prefilter) goes into one Hyperscan literal
//    database per group, where a group is keyed by (protocol class: tcp/udp/icmp/other,
//    direction: to_server/to_client, buffer: a row of the buffer table, packet or stream).
//    `ip` rules are in every protocol class; rules without a flow direction are in both
//    directions. tcp rules with payload keywords form the stream groups, inspected on
//    reassembled data in tracked sessions. Groups without patterns have no database.
//  - rules without content whose source (else destination) is an explicit address list, the
//    ET IP-reputation rules, sit in an address index: sorted, disjoint address intervals, each
//    with the rules whose list covers it; a packet costs one binary search per address.
//  - the remaining rules without content are checked per group, header first.
// Candidates are then verified completely (header, contents with their positions, pcre).
// Built on the cold path; never modified after build().
//
// Engine generation. A RuleSet is one generation of the engine: immutable, shared by the
// workers through std::shared_ptr<const RuleSet>, with its generation number and the
// NameTable it took its variable and pattern ids from. A reload compiles the next
// generation with the same NameTable (build()'s `names`), so ids stay valid across the swap
// (names.h); each worker's Detector switches to it between packets (Detector::switch_to).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "detect/compile/classification.h"
#include "detect/compile/hs_cache.h"
#include "detect/compile/names.h"
#include "detect/rules/rule.h"
#include "detect/compile/threshold_config.h"

struct hs_scratch;

namespace wp::detect {

enum ProtoClass : std::uint8_t { kClassTcp, kClassUdp, kClassIcmp, kClassOther, kProtoClasses };

// A flowbits operation with names resolved to ids.
struct CompiledFlowbits {
  FlowbitsOp::Cmd cmd;
  bool any;
  std::vector<std::uint16_t> ids;
};

// How a rule becomes a candidate for a packet (see the top of this file).
enum class Prefilter : std::uint8_t {
  kFastPattern,   // its fast pattern matched in the group's Hyperscan database
  kAddressIndex,  // no content; the packet's address is in the rule's address list
  kEveryPacket,   // no content; header-checked for every packet of its groups
};

// A flowint operation with names resolved to ids.
struct CompiledFlowint {
  FlowintOp::Op op;
  std::uint16_t id;
  bool target_is_var;
  std::uint16_t target_id;  // when target_is_var
  std::uint32_t value;      // otherwise
};

// An xbits operation with its name resolved to an id.
struct CompiledXbits {
  XbitsOp::Cmd cmd;
  XbitsOp::Track track;
  std::uint16_t id;
  std::uint32_t expire;  // seconds
};

struct CompiledRule {
  Rule rule;
  std::string category;     // classification description (EVE alert.category)
  int severity = 3;         // priority: rule's `priority`, else the classtype's, else 3
  std::uint8_t proto_mask = 0;  // bit per ProtoClass
  int fast_pattern = -1;    // index into rule.payload of the prefilter content, -1 if none
  Prefilter prefilter = Prefilter::kEveryPacket;
  std::uint32_t order = 0;  // evaluation/alert order: pass rules first, then by priority
  // A tcp rule with payload keywords: in a tracked TCP session it is inspected on the
  // reassembled stream, not on single packets (tcp-pkt, flow:no_stream and dsize keep a
  // rule on packets).
  bool stream = false;
  // Suricata's "IP-only" rule: protocol ip, ports any, and nothing to test but the addresses
  // (no payload, header, flow or state checks; flowbits actions, thresholds and metadata are
  // allowed). It matches once per flow and direction, on the direction's first packet.
  bool ip_only = false;
  // A payload item anchored at an absolute position of the buffer (offset, depth,
  // startswith, absolute isdataat or byte_* read, 'A'-anchored pcre).
  bool has_absolute = false;
  // Every payload item is a content or an isdataat (no pcre, byte_* or base64).
  bool contents_only = false;
  // A byte_extract or byte_math item sets a variable: what later items do can then depend
  // on more than the cursor (payload_inspect.h, Inspect::kExhausted).
  bool sets_vars = false;
  // Index in rule.payload of the last positive content or pcre (payload.size() if none).
  std::size_t last_positive = 0;
  // Rules on application-layer transactions (Rule::on_transaction()): evaluated when a
  // transaction of their protocol reaches their point, the latest point (direction, then
  // progress) any of their buffers or keywords needs; at every point when none needs a
  // particular one (dns.queries.rrname, dns.opcode, app-layer-event, ...).
  bool tx = false;
  bool tx_any_point = false;
  bool tx_to_server = true;
  std::uint8_t tx_progress = 0;
  // The buffers the payload items inspect, each once per transform chain, in rule order
  // (base64_data goes with the buffer its base64_decode read).
  struct TxList {
    BufferId buffer = kPktData;
    std::uint8_t chain = 0;  // PayloadItem::chain
    bool operator==(const TxList&) const = default;
  };
  std::vector<TxList> tx_lists;
  // The rule tests stream-event: in a tracked session it runs after the packet's reassembly.
  bool after_stream = false;
  // Packet header buffers the payload items inspect: bit i for kFirstHeaderBuffer + i.
  std::uint8_t header_buffers = 0;
  // Per Rule::transforms entry: its identity (kinds and arguments), so the engine computes a
  // transformed buffer once for all rules with the same chain.
  std::vector<std::string> chain_signatures;
  std::vector<CompiledFlowbits> flowbit_checks;   // isset / isnotset
  std::vector<CompiledFlowbits> flowbit_actions;  // set / unset / toggle, after a match
  std::vector<CompiledFlowint> flowint_checks;    // comparisons, isset / isnotset
  std::vector<CompiledFlowint> flowint_actions;   // = + -, after a match, in rule order
  std::vector<CompiledXbits> xbit_checks;         // isset / isnotset
  std::vector<CompiledXbits> xbit_actions;        // set / unset / toggle, after a match

  // Whether a match alerts, with threshold.config resolved onto the rule:
  // the event_filter naming this gen_id:sig_id (the last one) replaces the rule's own
  // threshold/detection_filter; without it, the rule's own; without that, the first
  // event_filter for sig_id 0 of this gen_id (or gen_id 0).
  std::optional<ThresholdSpec> alert_threshold;
  bool suppressed = false;  // a suppress without track applies: the rule never alerts
  // suppress ... track by_src / by_dst (by_either is in both): a match whose source (or
  // destination) is in the set does not alert. Null when there is none.
  std::shared_ptr<const AddressSet> suppress_src;
  std::shared_ptr<const AddressSet> suppress_dst;
};

// Intervals of the address space with the rules whose address list covers each interval.
class AddressIndex {
 public:
  void build(const std::vector<std::pair<IpRange, std::uint32_t>>& entries);
  // Rules whose list contains `a`; valid as long as the index.
  std::span<const std::uint32_t> lookup(const IpAddress& a) const;
  std::size_t intervals() const { return starts_.size(); }
  bool empty() const { return starts_.empty(); }

 private:
  std::vector<IpKey> starts_;  // interval i is [starts_[i], starts_[i+1])
  std::vector<std::uint32_t> offsets_;  // rules of interval i: ids_[offsets_[i]..offsets_[i+1])
  std::vector<std::uint32_t> ids_;
};

// What a rule group is keyed by.
struct GroupKey {
  ProtoClass proto = kClassTcp;
  bool to_server = true;
  BufferId buffer = kPktData;
  // pkt_data: the reassembled stream of tracked TCP sessions. A transaction buffer: the
  // group of rules evaluated at a point after the one that makes the buffer (a rule on
  // http.uri and http.header_names, at the request headers, prefiltered on its URI): it is
  // scanned again at each later point the buffer is available at (RuleSet::tx_later).
  bool stream = false;
};

inline constexpr std::uint32_t kNoPattern = ~std::uint32_t{0};

struct RuleGroup {
  HsDatabasePtr db;                           // null when the group has no fast patterns
  std::vector<std::uint32_t> pattern_offsets; // pattern id -> rules in pattern_rules
  std::vector<std::uint32_t> pattern_rules;
  std::vector<std::uint32_t> no_content;      // header-checked for every packet of the group
  std::vector<std::uint8_t> pattern_remember; // pattern id -> a rule on it has other items, so
                                              // a stream hit is remembered for later chunks
  std::size_t max_pattern_len = 0;
  // Stream groups: the stable id (NameTable kPattern) of each pattern id, and back. Flows
  // remember stream hits by stable id (stream::HitRing), valid in every generation.
  std::vector<std::uint32_t> stable_ids;  // pattern id -> stable id
  std::vector<std::uint32_t> local_ids;   // stable id -> pattern id, kNoPattern if not here
  std::uint32_t local_id(std::uint32_t stable) const {
    return stable < local_ids.size() ? local_ids[stable] : kNoPattern;
  }
  std::size_t patterns() const { return pattern_offsets.empty() ? 0 : pattern_offsets.size() - 1; }
};

struct RuleSetStats {
  std::size_t rules = 0;
  std::size_t with_fast_pattern = 0;
  std::size_t address_indexed = 0;
  std::size_t no_content = 0;
  std::size_t patterns = 0;  // distinct fast patterns over all groups
  double compile_seconds = 0;
};

class RuleSet {
 public:
  // Compiles `rules`. Classtypes are resolved against `classes` (an unknown classtype is a
  // warning in `warnings`, the rule loads with category "" and severity 3). `thresholds`
  // (threshold.config, may be null) is resolved onto the rules; an entry naming a rule that
  // is not loaded is a warning. With a `cache`, each group's Hyperscan database is taken
  // from it when valid and stored in it otherwise (cache problems are warnings too); without
  // one every database is compiled.
  // `names`: the table of the previous generation, so that ids survive a reload (a new
  // table when null). Also allocates the prototype Hyperscan scratch the workers clone; a
  // failure there is an error.
  static Result<std::shared_ptr<const RuleSet>> build(std::vector<Rule> rules,
                                                      const ClassificationTable& classes,
                                                      std::vector<std::string>* warnings,
                                                      const ThresholdConfig* thresholds = nullptr,
                                                      HsCache* cache = nullptr,
                                                      std::shared_ptr<NameTable> names = nullptr);
  // The fast pattern bytes of `cr` as compiled into the database (the content, or its
  // fast_pattern:offset,length slice); empty when the rule has none.
  static std::string fast_pattern_bytes(const CompiledRule& cr);
  ~RuleSet();

  const std::vector<CompiledRule>& rules() const { return rules_; }
  // Packet-level rules of a protocol class and direction (for tcp: the rules not inspected
  // on the stream, see CompiledRule::stream).
  const RuleGroup& group(ProtoClass pc, bool to_server) const {
    return group(GroupKey{pc, to_server, kPktData, false});
  }
  // The tcp rules inspected on the reassembled stream of a tracked session (and on the
  // packet payload when the session is not tracked).
  const RuleGroup& stream_group(bool to_server) const {
    return group(GroupKey{kClassTcp, to_server, kPktData, true});
  }
  const RuleGroup& group(const GroupKey& k) const { return groups_[group_index(k)]; }
  static std::size_t group_index(const GroupKey& k) {
    return ((std::size_t{k.buffer} * 2 + (k.stream ? 1 : 0)) * kProtoClasses + k.proto) * 2 +
           (k.to_server ? 0 : 1);
  }
  // Transaction rules without a fast pattern evaluated at (protocol, direction, point), and
  // the transaction buffers that point makes available (each scanned with its groups).
  std::span<const std::uint32_t> tx_no_content(AppProto p, bool to_server,
                                               std::uint8_t progress) const {
    return tx_no_content_[tx_index(p, to_server, progress)];
  }
  std::span<const BufferId> tx_buffers(AppProto p, bool to_server, std::uint8_t progress) const {
    return tx_buffers_[tx_index(p, to_server, progress)];
  }
  // The buffers made before (protocol, direction, point) with a "later" group in that
  // direction (GroupKey::stream): scanned again at this point.
  std::span<const BufferId> tx_later(AppProto p, bool to_server, std::uint8_t progress) const {
    return tx_later_[tx_index(p, to_server, progress)];
  }
  // Buffer `def` is available at (direction, point): made there or earlier in the
  // transaction (a request's buffers stay available at the response's points). DNS
  // messages are transactions of their own: only the message's buffers.
  static bool available_at(const BufferDef& def, bool to_server, std::uint8_t progress);
  static std::size_t tx_index(AppProto p, bool to_server, std::uint8_t progress) {
    return (static_cast<std::size_t>(p) * 2 + (to_server ? 0 : 1)) * kMaxProgress +
           std::min<std::uint8_t>(progress, kMaxProgress - 1);
  }
  const AddressIndex& src_index() const { return src_index_; }
  // Rules with a stream-event test (CompiledRule::after_stream), in alert order.
  const std::vector<std::uint32_t>& stream_event_rules() const { return stream_event_rules_; }
  const AddressIndex& dst_index() const { return dst_index_; }
  const RuleSetStats& stats() const { return stats_; }
  std::size_t max_patterns() const { return max_patterns_; }
  // Name of flowbit `id`.
  std::string flowbit_name(std::uint16_t id) const {
    return names_->name(NameTable::Kind::kFlowbit, id);
  }
  // The generation's ids (shared with the generations compiled before and after it).
  const std::shared_ptr<NameTable>& names() const { return names_; }
  // 1 for the first RuleSet built in this process, then counting up.
  std::uint64_t generation() const { return generation_; }
  // A scratch allocated for every database of this generation: workers clone it
  // (hs_clone_scratch) instead of allocating one per database.
  const hs_scratch* scratch_prototype() const { return scratch_; }
  // Number of distinct flowint names and xbits names.
  std::size_t flowint_names() const { return flowint_names_; }
  std::size_t xbit_names() const { return xbit_names_; }

 private:
  RuleSet() = default;
  static void place_tx_rule(RuleSet& set, const CompiledRule& cr, std::uint32_t i,
                            std::vector<std::vector<std::uint32_t>>& with_pattern);
  static void list_later_buffers(RuleSet& set);
  std::vector<CompiledRule> rules_;
  std::vector<RuleGroup> groups_;  // by group_index()
  std::vector<std::vector<std::uint32_t>> tx_no_content_;  // by tx_index()
  std::vector<std::vector<BufferId>> tx_buffers_;          // by tx_index()
  std::vector<std::vector<BufferId>> tx_later_;            // by tx_index()
  AddressIndex src_index_;
  std::vector<std::uint32_t> stream_event_rules_;
  AddressIndex dst_index_;
  RuleSetStats stats_;
  std::size_t max_patterns_ = 0;
  std::shared_ptr<NameTable> names_;
  std::uint64_t generation_ = 0;
  hs_scratch* scratch_ = nullptr;
  std::size_t flowint_names_ = 0;
  std::size_t xbit_names_ = 0;
};

// The protocol class of a transport protocol number.
inline ProtoClass proto_class(std::uint8_t proto) {
  switch (proto) {
    case 6: return kClassTcp;
    case 17: return kClassUdp;
    case 1:
    case 58: return kClassIcmp;
    default: return kClassOther;
  }
}

}  // namespace wp::detect
