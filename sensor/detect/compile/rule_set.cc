#include "detect/compile/rule_set.h"

#include <hs/hs.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <unordered_map>

namespace wp::detect {
namespace {

// 128-bit successor of an address; false when `a` is the last address.
bool next_address(IpAddress& a) {
  for (int i = 15; i >= 0; --i) {
    if (++a.bytes[i] != 0) return true;
  }
  return false;
}

std::uint8_t proto_mask_of(RuleProto p) {
  switch (p) {
    case RuleProto::kTcp: return 1u << kClassTcp;
    case RuleProto::kUdp: return 1u << kClassUdp;
    case RuleProto::kIcmp: return 1u << kClassIcmp;
    case RuleProto::kIp: return (1u << kProtoClasses) - 1;
  }
  return 0;
}

int action_rank(Action a) {  // Suricata's action order: pass, drop, reject, alert
  switch (a) {
    case Action::kPass: return 0;
    case Action::kDrop: return 1;
    case Action::kReject: return 2;
    case Action::kAlert: return 3;
  }
  return 3;
}

// The prefilter content of a rule: the explicit fast_pattern, else the longest positive
// content (ties: the first). Negated contents cannot prefilter, nor can contents of a buffer
// the rule produces itself (base64_data: see BufferDef::prefilter).
// A transaction rule's fast pattern is a content of a buffer available at its point: made at
// that point, or earlier in the transaction (see available_at), so the buffer is scanned
// when the rule is evaluated.
bool can_prefilter(const CompiledRule& cr, BufferId id) {
  const BufferDef& def = buffer_def(id);
  if (!def.prefilter) return false;
  if (!cr.tx) return def.scope == BufferScope::kPacket;
  if (def.scope != BufferScope::kTransaction) return false;
  if (cr.tx_any_point) return true;
  return RuleSet::available_at(def, cr.tx_to_server, cr.tx_progress);
}

// The buffer is made at exactly this point (its rules' group is scanned with it then).
bool made_at(const BufferDef& def, bool to_server, std::uint8_t progress) {
  return (def.directions & (to_server ? kToServerOnly : kToClientOnly)) != 0 &&
         def.progress == progress;
}

// How a transform chain changes what a content of its buffer can prefilter with: only chains
// of prefilter-safe transforms (TransformOp::prefilter_safe) can; a content found in their
// output has its bytes in the untransformed buffer, up to case (to_lowercase/to_uppercase:
// the pattern becomes caseless) and but for the dots dotprefix put in front (as many bytes
// are dropped from the pattern's start).
struct ChainEffect {
  bool prefilter = true;
  bool nocase = false;
  std::size_t dots = 0;
};
ChainEffect chain_effect(const Rule& r, std::uint8_t chain) {
  ChainEffect e;
  if (chain == 0) return e;
  for (const TransformOp& op : r.transforms[chain - 1]) {
    if (!op.prefilter_safe()) e.prefilter = false;
    if (op.kind == TransformOp::Kind::kDotPrefix) ++e.dots;
    if (op.kind != TransformOp::Kind::kDotPrefix) e.nocase = true;
  }
  return e;
}

// The bytes Hyperscan looks for: the content, or its fast_pattern:offset,length slice.
std::string fast_pattern_bytes(const ContentMatch& c) {
  if (c.fp_offset >= 0 && c.fp_length > 0 &&
      static_cast<std::size_t>(c.fp_offset) + static_cast<std::size_t>(c.fp_length) <= c.bytes.size()) {
    return c.bytes.substr(static_cast<std::size_t>(c.fp_offset), static_cast<std::size_t>(c.fp_length));
  }
  return c.bytes;
}

struct PatternKey {
  std::string bytes;
  bool nocase;
  bool operator==(const PatternKey&) const = default;
};

// The pattern of payload item `i` (a content) as it is searched in the untransformed buffer.
PatternKey prefilter_key(const Rule& r, std::size_t i) {
  const auto& c = std::get<ContentMatch>(r.payload[i].match);
  const ChainEffect e = chain_effect(r, r.payload[i].chain);
  PatternKey key{fast_pattern_bytes(c), c.nocase || e.nocase};
  const std::size_t start = c.fp_offset > 0 ? static_cast<std::size_t>(c.fp_offset) : 0;
  if (e.dots > start) key.bytes.erase(0, std::min(key.bytes.size(), e.dots - start));
  return key;
}

int choose_fast_pattern(const CompiledRule& cr) {
  const Rule& r = cr.rule;
  int best = -1;
  std::size_t best_len = 0;
  for (std::size_t i = 0; i < r.payload.size(); ++i) {
    if (!can_prefilter(cr, r.payload[i].buffer)) continue;
    const auto* c = std::get_if<ContentMatch>(&r.payload[i].match);
    if (c == nullptr || c->negated || c->bytes.empty()) continue;
    if (!chain_effect(r, r.payload[i].chain).prefilter || prefilter_key(r, i).bytes.empty()) {
      continue;
    }
    if (c->fast_pattern) return static_cast<int>(i);
    if (c->bytes.size() > best_len) {
      best = static_cast<int>(i);
      best_len = c->bytes.size();
    }
  }
  return best;
}

// A chain's identity: rules whose chains have the same signature share its output.
std::string chain_signature(const TransformChain& chain) {
  std::string s;
  for (const TransformOp& op : chain) {
    s += static_cast<char>('A' + static_cast<int>(op.kind));
    s += std::to_string(op.arg.size());
    s += ':';
    s += op.arg;
  }
  return s;
}

// The ordering of progress points: a transaction's requests come before its responses.
int point_key(bool to_server, std::uint8_t progress) {
  return (to_server ? 0 : kMaxProgress) + progress;
}

// The point a transaction keyword needs, or -1 when any point of its protocol will do.
int test_point(const TxTest& t) {
  switch (t.kind) {
    case TxTest::Kind::kTlsVersion:
    case TxTest::Kind::kSslVersion:
      return point_key(false, kTlsServerHello);
    case TxTest::Kind::kSslState:
      return (t.mask & 1) != 0 ? point_key(true, kTlsClientHello) : point_key(false, kTlsServerHello);
    case TxTest::Kind::kTlsSubject:
    case TxTest::Kind::kTlsIssuer:
    case TxTest::Kind::kCertNotBefore:
    case TxTest::Kind::kCertNotAfter:
    case TxTest::Kind::kCertExpired:
    case TxTest::Kind::kCertValid:
      return point_key(false, kTlsCertificate);
    case TxTest::Kind::kFtpBounce:
      return point_key(true, applayer::kFtpRequest);
    case TxTest::Kind::kFtpMode:
      // Passive mode is known at the reply; active at the command.
      return (t.mask & 2) != 0 ? point_key(false, applayer::kFtpResponse) : point_key(true, applayer::kFtpRequest);
    default:
      return -1;
  }
}

// A transaction rule's point and the buffers it inspects (CompiledRule::tx*). The direction
// is the flow keyword's, else that of the latest point its one-direction buffers and keywords
// need; a buffer of both directions (http.header, file.data) then counts in that direction.
// Without a direction the rule is evaluated at every point (each both-direction buffer is
// then the request's at request points and the response's at response points).
void derive_tx_point(CompiledRule& cr) {
  cr.tx = cr.rule.on_transaction();
  if (!cr.tx) return;
  int key = -1;
  bool both = false;
  std::uint8_t both_progress = 0;
  for (const PayloadItem& item : cr.rule.payload) {
    const BufferDef& def = buffer_def(item.buffer);
    const CompiledRule::TxList list{item.buffer, item.chain};
    if (item.buffer != kBase64Data &&
        std::find(cr.tx_lists.begin(), cr.tx_lists.end(), list) == cr.tx_lists.end()) {
      cr.tx_lists.push_back(list);
    }
    if (def.scope != BufferScope::kTransaction) continue;
    if (def.directions == kBothDirections) {
      both = true;
      both_progress = std::max(both_progress, def.progress);
      continue;
    }
    key = std::max(key, point_key(def.directions == kToServerOnly, def.progress));
  }
  for (const TxTest& t : cr.rule.tx_tests) key = std::max(key, test_point(t));
  const FlowMatch& flow = cr.rule.flow;
  if (both && (flow.to_server || flow.to_client || key >= 0)) {
    const bool to_server = flow.to_server || (!flow.to_client && key < kMaxProgress);
    key = std::max(key, point_key(to_server, both_progress));
  }
  cr.tx_any_point = key < 0;
  if (key >= 0) {
    cr.tx_to_server = key < kMaxProgress;
    cr.tx_progress = static_cast<std::uint8_t>(key % kMaxProgress);
  }
}

// What stream inspection needs to know about a rule's payload items, in one pass:
// CompiledRule::ip_only.
bool is_ip_only(const Rule& r) {
  const FlowMatch& f = r.flow;
  const bool flow_free = !f.established && !f.not_established && !f.stateless && !f.to_server &&
                         !f.to_client && !f.only_stream && !f.no_stream;
  const bool checks_flowbits =
      std::any_of(r.flowbits.begin(), r.flowbits.end(), [](const FlowbitsOp& op) {
        return op.cmd == FlowbitsOp::Cmd::kIsSet || op.cmd == FlowbitsOp::Cmd::kIsNotSet;
      });
  return r.proto == RuleProto::kIp && r.app_proto == AppProto::kUnknown &&
         r.src_port->is_any() && r.dst_port->is_any() && r.payload.empty() &&
         r.header.empty() && flow_free && !checks_flowbits && r.flowints.empty() &&
         r.xbits.empty() && r.stream_sizes.empty() && r.flow_counters.empty() &&
         r.app_proto_tests.empty() && r.tx_tests.empty();
}

// has_absolute, contents_only, sets_vars, last_positive (see CompiledRule).
void derive_payload_traits(CompiledRule& cr) {
  const std::vector<PayloadItem>& items = cr.rule.payload;
  cr.has_absolute = false;
  cr.contents_only = true;
  cr.sets_vars = false;
  cr.last_positive = items.size();
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::visit(
        [&](const auto& m) {
          using T = std::decay_t<decltype(m)>;
          if constexpr (std::is_same_v<T, ContentMatch>) {
            cr.has_absolute = cr.has_absolute || (!m.relative() && (m.offset || m.depth || m.startswith));
            if (!m.negated) cr.last_positive = i;
          } else if constexpr (std::is_same_v<T, IsDataAt>) {
            cr.has_absolute = cr.has_absolute || !m.relative;
          } else {
            cr.contents_only = false;
            if constexpr (std::is_same_v<T, PcreMatch>) {
              cr.has_absolute = cr.has_absolute || (!m.relative && m.anchored_start);
              if (!m.negated) cr.last_positive = i;
            } else if constexpr (requires { m.read; }) {
              cr.has_absolute = cr.has_absolute || !m.read.relative;
            }
            if constexpr (std::is_same_v<T, ByteExtract> || std::is_same_v<T, ByteMath>) {
              cr.sets_vars = true;
            }
          }
        },
        items[i].match);
  }
}

struct PatternKeyHash {
  std::size_t operator()(const PatternKey& k) const {
    return std::hash<std::string>()(k.bytes) ^ (k.nocase ? 0x9e3779b9u : 0u);
  }
};

// `single_match`: report each pattern once per scan (packet groups). Stream groups report
// every occurrence: the detector keeps the last one in the new bytes of a chunk.
Result<void> compile_group(RuleGroup& g, const std::vector<CompiledRule>& rules,
                           const std::vector<std::uint32_t>& members, bool single_match,
                           HsCache* cache, std::vector<std::string>* warnings,
                           NameTable* stable_names) {
  std::unordered_map<PatternKey, std::uint32_t, PatternKeyHash> ids;
  std::vector<PatternKey> patterns;
  std::vector<std::vector<std::uint32_t>> by_pattern;
  for (std::uint32_t idx : members) {
    const CompiledRule& cr = rules[idx];
    PatternKey key = prefilter_key(cr.rule, static_cast<std::size_t>(cr.fast_pattern));
    auto [it, inserted] = ids.emplace(key, static_cast<std::uint32_t>(patterns.size()));
    if (inserted) {
      patterns.push_back(std::move(key));
      by_pattern.emplace_back();
    }
    by_pattern[it->second].push_back(idx);
  }
  g.pattern_offsets.assign(1, 0);
  for (auto& list : by_pattern) {
    bool remember = false;
    for (std::uint32_t idx : list) remember = remember || rules[idx].rule.payload.size() > 1;
    g.pattern_remember.push_back(remember ? 1 : 0);
    g.pattern_rules.insert(g.pattern_rules.end(), list.begin(), list.end());
    g.pattern_offsets.push_back(static_cast<std::uint32_t>(g.pattern_rules.size()));
  }
  for (const PatternKey& k : patterns) g.max_pattern_len = std::max(g.max_pattern_len, k.bytes.size());
  if (stable_names != nullptr) {
    for (std::uint32_t pid = 0; pid < patterns.size(); ++pid) {
      std::string key(1, patterns[pid].nocase ? 'i' : 'c');
      key += patterns[pid].bytes;
      auto stable = stable_names->id(NameTable::Kind::kPattern, key);
      if (!stable) return make_error("more stream fast patterns than the pattern table holds");
      g.stable_ids.push_back(*stable);
    }
    g.local_ids.assign(stable_names->size(NameTable::Kind::kPattern), kNoPattern);
    for (std::uint32_t pid = 0; pid < patterns.size(); ++pid) g.local_ids[g.stable_ids[pid]] = pid;
  }
  if (patterns.empty()) {
    g.pattern_offsets.clear();
    return {};
  }
  HsLiteralList list;
  list.mode = HS_MODE_BLOCK;
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    list.exprs.push_back(patterns[i].bytes.data());
    list.lens.push_back(patterns[i].bytes.size());
    list.flags.push_back((single_match ? HS_FLAG_SINGLEMATCH : 0u) |
                         (patterns[i].nocase ? HS_FLAG_CASELESS : 0u));
    list.ids.push_back(static_cast<unsigned>(i));
  }
  auto db = cache != nullptr ? cache->get_or_compile(list, warnings) : compile_literals(list);
  if (!db) return db.error();
  g.db = std::move(db.value());
  return {};
}

std::uint64_t rule_key(std::uint32_t gid, std::uint32_t sid) {
  return (std::uint64_t{gid} << 32) | sid;
}

std::shared_ptr<const AddressSet> address_set_of(std::vector<IpRange> ranges) {
  if (ranges.empty()) return nullptr;
  return std::make_shared<const AddressSet>(AddressSet::from_ranges(std::move(ranges)));
}

// Source and destination ranges that suppress alerts.
struct SuppressRanges {
  std::vector<IpRange> src;
  std::vector<IpRange> dst;
  bool all = false;  // a suppress without track

  void add(const SuppressEntry& e) {
    if (e.track == SuppressEntry::Track::kAll) {
      all = true;
      return;
    }
    const auto& r = e.ips->ranges();
    if (e.track != SuppressEntry::Track::kByDst) src.insert(src.end(), r.begin(), r.end());
    if (e.track != SuppressEntry::Track::kBySrc) dst.insert(dst.end(), r.begin(), r.end());
  }
  void add(const SuppressRanges& o) {
    src.insert(src.end(), o.src.begin(), o.src.end());
    dst.insert(dst.end(), o.dst.begin(), o.dst.end());
    all = all || o.all;
  }
};

// Resolves the rules' own thresholds and threshold.config onto the compiled rules (after
// they are in their final order). Suricata's precedence: an event_filter naming the rule
// replaces the rule's threshold/detection_filter (the last such line wins); a rule's own
// threshold wins over an event_filter for sig_id 0 (the first such line applies).
// Suppressions accumulate.
void resolve_alert_filters(std::vector<CompiledRule>& rules, const ThresholdConfig* tc,
                           std::vector<std::string>* warnings) {
  for (CompiledRule& cr : rules) {
    if (cr.rule.detection_filter) {
      cr.alert_threshold = cr.rule.detection_filter;
    } else if (cr.rule.threshold) {
      cr.alert_threshold = cr.rule.threshold;
    }
  }
  if (tc == nullptr) return;
  std::unordered_map<std::uint64_t, std::uint32_t> by_id;
  for (std::uint32_t i = 0; i < rules.size(); ++i) {
    by_id.emplace(rule_key(rules[i].rule.gid, rules[i].rule.sid), i);
  }
  auto find_rule = [&](const char* what, std::uint32_t gid, std::uint32_t sid,
                       int line) -> CompiledRule* {
    auto it = by_id.find(rule_key(gid, sid));
    if (it != by_id.end()) return &rules[it->second];
    if (warnings != nullptr) {
      warnings->push_back(tc->file + ":" + std::to_string(line) + ": " + what + " gen_id " +
                          std::to_string(gid) + ", sig_id " + std::to_string(sid) +
                          ": no such rule loaded; ignored");
    }
    return nullptr;
  };

  std::unordered_map<const CompiledRule*, const EventFilterEntry*> named;
  for (const EventFilterEntry& f : tc->event_filters) {
    if (f.sid == 0) continue;
    if (CompiledRule* cr = find_rule("event_filter", f.gid, f.sid, f.line)) named[cr] = &f;
  }
  SuppressRanges global;
  std::map<std::uint32_t, SuppressRanges> by_gid;
  std::unordered_map<const CompiledRule*, SuppressRanges> by_rule;
  for (const SuppressEntry& e : tc->suppress) {
    if (e.sid != 0) {
      if (CompiledRule* cr = find_rule("suppress", e.gid, e.sid, e.line)) by_rule[cr].add(e);
    } else if (e.gid == 0) {
      global.add(e);
    } else {
      by_gid[e.gid].add(e);
    }
  }
  // Rules without suppressions of their own share one set per gen_id.
  std::map<std::uint32_t,
           std::pair<std::shared_ptr<const AddressSet>, std::shared_ptr<const AddressSet>>>
      shared;
  for (CompiledRule& cr : rules) {
    if (auto it = named.find(&cr); it != named.end()) {
      cr.alert_threshold = it->second->spec;
    } else if (!cr.alert_threshold) {
      for (const EventFilterEntry& f : tc->event_filters) {
        if (f.sid == 0 && (f.gid == 0 || f.gid == cr.rule.gid)) {
          cr.alert_threshold = f.spec;
          break;
        }
      }
    }
    auto gid_it = by_gid.find(cr.rule.gid);
    const SuppressRanges* of_gid = gid_it == by_gid.end() ? nullptr : &gid_it->second;
    auto common = [&] {
      SuppressRanges r = global;
      if (of_gid != nullptr) r.add(*of_gid);
      return r;
    };
    auto own = by_rule.find(&cr);
    if (own != by_rule.end() && (!own->second.src.empty() || !own->second.dst.empty())) {
      SuppressRanges r = common();
      r.add(own->second);
      cr.suppressed = r.all;
      cr.suppress_src = address_set_of(std::move(r.src));
      cr.suppress_dst = address_set_of(std::move(r.dst));
      continue;
    }
    cr.suppressed = global.all || (of_gid != nullptr && of_gid->all) ||
                    (own != by_rule.end() && own->second.all);
    auto [it, inserted] = shared.try_emplace(cr.rule.gid);
    if (inserted) {
      SuppressRanges r = common();
      it->second.first = address_set_of(std::move(r.src));
      it->second.second = address_set_of(std::move(r.dst));
    }
    cr.suppress_src = it->second.first;
    cr.suppress_dst = it->second.second;
  }
}

}  // namespace

// RuleSet::tx_later: per (protocol, direction, point), the buffers available before that point
// whose "later" group in that direction has patterns.
void RuleSet::list_later_buffers(RuleSet& set) {
  for (std::size_t id = 0; id < buffer_table().size(); ++id) {
    const BufferDef& def = buffer_table()[id];
    if (def.scope != BufferScope::kTransaction) continue;
    const AppProto proto = *parse_app_proto(def.app_proto);
    for (const bool to_server : {true, false}) {
      bool has_group = false;
      for (int pc = 0; pc < kProtoClasses; ++pc) {
        const GroupKey key{static_cast<ProtoClass>(pc), to_server, static_cast<BufferId>(id), true};
        has_group = has_group || set.group(key).db != nullptr;
      }
      if (!has_group) continue;
      for (std::uint8_t p = 0; p < kMaxProgress; ++p) {
        if (available_at(def, to_server, p) && !made_at(def, to_server, p)) {
          set.tx_later_[tx_index(proto, to_server, p)].push_back(static_cast<BufferId>(id));
        }
      }
    }
  }
}

bool RuleSet::available_at(const BufferDef& def, bool to_server, std::uint8_t progress) {
  if ((def.directions & (to_server ? kToServerOnly : kToClientOnly)) != 0) {
    return def.progress <= progress;
  }
  return !to_server && def.directions == kToServerOnly && def.app_proto != "dns";
}

// A transaction rule goes to the groups of its fast pattern's buffer (every protocol class
// and direction it can be evaluated in), or, without one, to the lists of its points.
void RuleSet::place_tx_rule(RuleSet& set, const CompiledRule& cr, std::uint32_t i,
                            std::vector<std::vector<std::uint32_t>>& with_pattern) {
  const Rule& r = cr.rule;
  for (int dir = 0; dir < 2; ++dir) {
    const bool to_server = dir == 0;
    if ((to_server && r.flow.to_client) || (!to_server && r.flow.to_server)) continue;
    if (!cr.tx_any_point && cr.tx_to_server != to_server) continue;
    if (cr.fast_pattern < 0) {
      for (std::uint8_t p = 0; p < kMaxProgress; ++p) {
        if (cr.tx_any_point || p == cr.tx_progress) {
          set.tx_no_content_[tx_index(r.app_proto, to_server, p)].push_back(i);
        }
      }
      continue;
    }
    const BufferId buffer = r.payload[static_cast<std::size_t>(cr.fast_pattern)].buffer;
    const BufferDef& def = buffer_def(buffer);
    // A buffer made before the rule's point: its "later" group, rescanned at later points.
    const bool later = !cr.tx_any_point && !made_at(def, to_server, cr.tx_progress);
    if (!later && (def.directions & (to_server ? kToServerOnly : kToClientOnly)) == 0) continue;
    for (int pc = 0; pc < kProtoClasses; ++pc) {
      if (!(cr.proto_mask & (1u << pc))) continue;
      with_pattern[group_index(GroupKey{static_cast<ProtoClass>(pc), to_server, buffer, later})]
          .push_back(i);
    }
  }
}

void AddressIndex::build(const std::vector<std::pair<IpRange, std::uint32_t>>& entries) {
  starts_.clear();
  offsets_.clear();
  ids_.clear();
  if (entries.empty()) return;
  // Elementary intervals: every range start and every successor of a range end.
  std::vector<IpAddress> bounds;
  bounds.reserve(entries.size() * 2);
  for (const auto& [range, id] : entries) {
    bounds.push_back(range.lo);
    IpAddress after = range.hi;
    if (next_address(after)) bounds.push_back(after);
  }
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  std::vector<std::vector<std::uint32_t>> per(bounds.size());
  for (const auto& [range, id] : entries) {
    auto first = std::lower_bound(bounds.begin(), bounds.end(), range.lo) - bounds.begin();
    for (auto i = static_cast<std::size_t>(first); i < bounds.size() && bounds[i] <= range.hi; ++i) {
      per[i].push_back(id);
    }
  }
  offsets_.push_back(0);
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    auto& v = per[i];
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    starts_.push_back(bounds[i].key());
    ids_.insert(ids_.end(), v.begin(), v.end());
    offsets_.push_back(static_cast<std::uint32_t>(ids_.size()));
  }
}

std::span<const std::uint32_t> AddressIndex::lookup(const IpAddress& a) const {
  auto it = std::upper_bound(starts_.begin(), starts_.end(), a.key());
  if (it == starts_.begin()) return {};
  std::size_t i = static_cast<std::size_t>(it - starts_.begin()) - 1;
  return {ids_.data() + offsets_[i], ids_.data() + offsets_[i + 1]};
}

RuleSet::~RuleSet() { hs_free_scratch(scratch_); }

std::string RuleSet::fast_pattern_bytes(const CompiledRule& cr) {
  if (cr.fast_pattern < 0) return {};
  return prefilter_key(cr.rule, static_cast<std::size_t>(cr.fast_pattern)).bytes;
}

Result<std::shared_ptr<const RuleSet>> RuleSet::build(std::vector<Rule> rules,
                                                      const ClassificationTable& classes,
                                                      std::vector<std::string>* warnings,
                                                      const ThresholdConfig* thresholds,
                                                      HsCache* cache,
                                                      std::shared_ptr<NameTable> names) {
  static std::atomic<std::uint64_t> generations{0};
  const auto started = std::chrono::steady_clock::now();
  std::shared_ptr<RuleSet> set(new RuleSet());
  set->names_ = names != nullptr ? std::move(names) : std::make_shared<NameTable>();
  set->generation_ = ++generations;
  set->groups_.resize(RuleSet::group_index(GroupKey{kClassTcp, true,
                                                    static_cast<BufferId>(buffer_table().size()), false}));
  set->rules_.reserve(rules.size());
  set->tx_no_content_.resize(RuleSet::tx_index(static_cast<AppProto>(kAppProtoCount - 1), false,
                                               kMaxProgress - 1) + 1);
  set->tx_buffers_.resize(set->tx_no_content_.size());
  set->tx_later_.resize(set->tx_no_content_.size());
  for (std::size_t id = 0; id < buffer_table().size(); ++id) {
    const BufferDef& def = buffer_table()[id];
    if (def.scope != BufferScope::kTransaction) continue;
    for (const bool to_server : {true, false}) {
      if ((def.directions & (to_server ? kToServerOnly : kToClientOnly)) == 0) continue;
      set->tx_buffers_[RuleSet::tx_index(*parse_app_proto(def.app_proto), to_server, def.progress)]
          .push_back(static_cast<BufferId>(id));
    }
  }
  NameTable& table = *set->names_;
  std::unordered_map<std::uint32_t, bool> flowint_seen, xbit_seen;  // names this set uses
  bool ids_exhausted = false;
  auto id_of = [&](NameTable::Kind kind, const std::string& name) -> std::uint16_t {
    auto id = table.id(kind, name);
    if (!id) ids_exhausted = true;
    return static_cast<std::uint16_t>(id.value_or(0));
  };
  for (Rule& r : rules) {
    CompiledRule cr;
    cr.rule = std::move(r);
    if (!cr.rule.classtype.empty()) {
      if (const Classification* c = classes.find(cr.rule.classtype)) {
        cr.category = c->description;
        cr.severity = c->priority;
      } else if (warnings != nullptr) {
        warnings->push_back(cr.rule.file + ":" + std::to_string(cr.rule.line) + ": sid " +
                            std::to_string(cr.rule.sid) + ": unknown classtype '" +
                            cr.rule.classtype + "'");
      }
    }
    if (cr.rule.priority) cr.severity = *cr.rule.priority;
    for (const PayloadItem& item : cr.rule.payload) {
      // The parser only validates; loaded rules get JIT code. A pattern the JIT cannot
      // compile still runs in the interpreter.
      if (const auto* p = std::get_if<PcreMatch>(&item.match)) {
        (void)pcre2_jit_compile(static_cast<pcre2_code*>(p->code.get()), PCRE2_JIT_COMPLETE);
      }
    }
    cr.proto_mask = proto_mask_of(cr.rule.proto);
    // DNS runs over UDP and TCP; the other detected protocols over TCP (the header says so).
    if (cr.rule.app_proto == AppProto::kDns && cr.rule.proto == RuleProto::kIp) {
      cr.proto_mask = (1u << kClassTcp) | (1u << kClassUdp);
    }
    derive_tx_point(cr);
    for (const TransformChain& chain : cr.rule.transforms) {
      cr.chain_signatures.push_back(chain_signature(chain));
    }
    cr.fast_pattern = choose_fast_pattern(cr);
    // Stream rules: tcp rules with payload keywords (a dns rule is one in TCP flows and a
    // packet rule in UDP ones). Transaction rules inspect the parser's buffers instead.
    const bool over_tcp = cr.rule.proto == RuleProto::kTcp ||
                          (cr.rule.app_proto == AppProto::kDns && cr.rule.proto == RuleProto::kIp);
    cr.stream = over_tcp && !cr.rule.payload.empty() && !cr.tx && !cr.rule.flow.no_stream && !cr.rule.packet_only();
    derive_payload_traits(cr);
    for (const PayloadItem& item : cr.rule.payload) {
      if (buffer_def(item.buffer).header) {
        cr.header_buffers |= static_cast<std::uint8_t>(1u << (item.buffer - kFirstHeaderBuffer));
      }
    }
    cr.ip_only = is_ip_only(cr.rule);
    cr.after_stream = cr.rule.has_stream_event();
    for (const FlowbitsOp& op : cr.rule.flowbits) {
      CompiledFlowbits cf{op.cmd, op.any, {}};
      for (const std::string& name : op.names) {
        cf.ids.push_back(id_of(NameTable::Kind::kFlowbit, name));
      }
      const bool check = op.cmd == FlowbitsOp::Cmd::kIsSet || op.cmd == FlowbitsOp::Cmd::kIsNotSet;
      (check ? cr.flowbit_checks : cr.flowbit_actions).push_back(std::move(cf));
    }
    for (const FlowintOp& op : cr.rule.flowints) {
      CompiledFlowint cf{op.op, id_of(NameTable::Kind::kFlowint, op.name),
                         !op.target_var.empty(), 0, op.value};
      flowint_seen[cf.id] = true;
      if (cf.target_is_var) {
        cf.target_id = id_of(NameTable::Kind::kFlowint, op.target_var);
        flowint_seen[cf.target_id] = true;
      }
      (op.is_action() ? cr.flowint_actions : cr.flowint_checks).push_back(cf);
    }
    for (const XbitsOp& op : cr.rule.xbits) {
      CompiledXbits cx{op.cmd, op.track, id_of(NameTable::Kind::kXbit, op.name), op.expire};
      xbit_seen[cx.id] = true;
      (op.is_check() ? cr.xbit_checks : cr.xbit_actions).push_back(cx);
    }
    set->rules_.push_back(std::move(cr));
  }
  // Evaluation order: pass first, then drop, reject, alert; within an action by severity
  // (priority), then by sid.
  std::stable_sort(set->rules_.begin(), set->rules_.end(),
                   [](const CompiledRule& a, const CompiledRule& b) {
                     int ra = action_rank(a.rule.action), rb = action_rank(b.rule.action);
                     if (ra != rb) return ra < rb;
                     if (a.severity != b.severity) return a.severity < b.severity;
                     return a.rule.sid < b.rule.sid;
                   });
  if (ids_exhausted) {
    return make_error("more than 65535 flowbit, flowint or xbits names (over all reloads)");
  }
  set->flowint_names_ = flowint_seen.size();
  set->xbit_names_ = xbit_seen.size();
  resolve_alert_filters(set->rules_, thresholds, warnings);
  std::vector<std::pair<IpRange, std::uint32_t>> src_entries, dst_entries;
  std::vector<std::vector<std::uint32_t>> with_pattern(set->groups_.size());  // by group_index
  RuleSetStats& st = set->stats_;
  for (std::uint32_t i = 0; i < set->rules_.size(); ++i) {
    CompiledRule& cr = set->rules_[i];
    cr.order = i;
    const Rule& r = cr.rule;
    ++st.rules;
    if (cr.after_stream) set->stream_event_rules_.push_back(i);
    if (cr.tx) {
      place_tx_rule(*set, cr, i, with_pattern);
      ++(cr.fast_pattern < 0 ? st.no_content : st.with_fast_pattern);
      if (cr.fast_pattern >= 0) cr.prefilter = Prefilter::kFastPattern;
      continue;
    }
    if (cr.fast_pattern < 0) {
      ++st.no_content;
      if (!cr.stream && !r.bidirectional && r.src_addr_is_list) {
        for (const IpRange& range : r.src_addr->ranges()) src_entries.emplace_back(range, i);
        ++st.address_indexed;
        cr.prefilter = Prefilter::kAddressIndex;
        continue;
      }
      if (!cr.stream && !r.bidirectional && r.dst_addr_is_list) {
        for (const IpRange& range : r.dst_addr->ranges()) dst_entries.emplace_back(range, i);
        ++st.address_indexed;
        cr.prefilter = Prefilter::kAddressIndex;
        continue;
      }
    } else {
      ++st.with_fast_pattern;
      cr.prefilter = Prefilter::kFastPattern;
    }
    // Rules without content are header-checked with the packet's (or stream's) payload
    // group; a fast pattern puts the rule in the group of its buffer.
    const BufferId buffer = cr.fast_pattern >= 0 ? r.payload[cr.fast_pattern].buffer : kPktData;
    for (int pc = 0; pc < kProtoClasses; ++pc) {
      if (!(cr.proto_mask & (1u << pc))) continue;
      if (cr.stream && pc != kClassTcp && r.proto == RuleProto::kTcp) continue;
      const bool stream = cr.stream && pc == kClassTcp;
      for (int dir = 0; dir < 2; ++dir) {
        if (dir == 0 && r.flow.to_client) continue;
        if (dir == 1 && r.flow.to_server) continue;
        const std::size_t g = RuleSet::group_index(
            GroupKey{static_cast<ProtoClass>(pc), dir == 0, buffer, stream});
        if (cr.fast_pattern >= 0) {
          with_pattern[g].push_back(i);
        } else {
          set->groups_[g].no_content.push_back(i);
        }
      }
    }
  }
  set->src_index_.build(src_entries);
  set->dst_index_.build(dst_entries);
  // One Hyperscan database per group that has patterns, in a fixed order (packet groups,
  // then stream groups) so that the cache sees the same lists in every run.
  std::size_t patterns = 0;
  for (const bool stream : {false, true}) {
    for (std::size_t gi = 0; gi < set->groups_.size(); ++gi) {
      if (((gi / (2 * kProtoClasses)) % 2 == 1) != stream) continue;
      RuleGroup& g = set->groups_[gi];
      // Packet groups report each pattern once per scan; stream groups every occurrence
      // (the detector keeps the last one in the new bytes of a chunk). A transaction
      // buffer's "later" groups scan like packet groups.
      const bool stream_scan = stream && gi / (4 * kProtoClasses) == kPktData;
      auto res = compile_group(g, set->rules_, with_pattern[gi], !stream_scan, cache, warnings,
                               stream_scan ? &table : nullptr);
      if (!res) return res.error();
      patterns += g.patterns();
      set->max_patterns_ = std::max(set->max_patterns_, g.patterns());
      if (g.db && hs_alloc_scratch(g.db.get(), &set->scratch_) != HS_SUCCESS) {
        return make_error("cannot allocate a Hyperscan scratch for the rule groups");
      }
    }
  }
  list_later_buffers(*set);
  st.patterns = patterns;
  st.compile_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return std::shared_ptr<const RuleSet>(std::move(set));
}

}  // namespace wp::detect
