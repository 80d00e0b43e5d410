#include "detect/rule_set.h"

#include <hs/hs.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <chrono>
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
// content (ties: the first). Negated contents cannot prefilter.
int choose_fast_pattern(const Rule& r) {
  int best = -1;
  std::size_t best_len = 0;
  for (std::size_t i = 0; i < r.payload.size(); ++i) {
    const auto* c = std::get_if<ContentMatch>(&r.payload[i].match);
    if (c == nullptr || c->negated || c->bytes.empty()) continue;
    if (c->fast_pattern) return static_cast<int>(i);
    if (c->bytes.size() > best_len) {
      best = static_cast<int>(i);
      best_len = c->bytes.size();
    }
  }
  return best;
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
struct PatternKeyHash {
  std::size_t operator()(const PatternKey& k) const {
    return std::hash<std::string>()(k.bytes) ^ (k.nocase ? 0x9e3779b9u : 0u);
  }
};

Result<void> compile_group(RuleGroup& g, const std::vector<CompiledRule>& rules,
                           const std::vector<std::uint32_t>& members, HsCache* cache,
                           std::vector<std::string>* warnings) {
  std::unordered_map<PatternKey, std::uint32_t, PatternKeyHash> ids;
  std::vector<PatternKey> patterns;
  std::vector<std::vector<std::uint32_t>> by_pattern;
  for (std::uint32_t idx : members) {
    const CompiledRule& cr = rules[idx];
    const auto& c = std::get<ContentMatch>(cr.rule.payload[cr.fast_pattern].match);
    PatternKey key{fast_pattern_bytes(c), c.nocase};
    auto [it, inserted] = ids.emplace(key, static_cast<std::uint32_t>(patterns.size()));
    if (inserted) {
      patterns.push_back(std::move(key));
      by_pattern.emplace_back();
    }
    by_pattern[it->second].push_back(idx);
  }
  g.pattern_offsets.assign(1, 0);
  for (auto& list : by_pattern) {
    g.pattern_rules.insert(g.pattern_rules.end(), list.begin(), list.end());
    g.pattern_offsets.push_back(static_cast<std::uint32_t>(g.pattern_rules.size()));
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
    list.flags.push_back(HS_FLAG_SINGLEMATCH | (patterns[i].nocase ? HS_FLAG_CASELESS : 0u));
    list.ids.push_back(static_cast<unsigned>(i));
  }
  auto db = cache != nullptr ? cache->get_or_compile(list, warnings) : compile_literals(list);
  if (!db) return db.error();
  g.db = std::move(db.value());
  return {};
}

}  // namespace

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

RuleSet::~RuleSet() = default;

std::string RuleSet::fast_pattern_bytes(const CompiledRule& cr) {
  if (cr.fast_pattern < 0) return {};
  return detect::fast_pattern_bytes(std::get<ContentMatch>(cr.rule.payload[cr.fast_pattern].match));
}

Result<std::shared_ptr<const RuleSet>> RuleSet::build(std::vector<Rule> rules,
                                                      const ClassificationTable& classes,
                                                      std::vector<std::string>* warnings,
                                                      HsCache* cache) {
  const auto started = std::chrono::steady_clock::now();
  std::shared_ptr<RuleSet> set(new RuleSet());
  set->rules_.reserve(rules.size());
  std::unordered_map<std::string, std::size_t> flowbit_ids;
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
    cr.fast_pattern = choose_fast_pattern(cr.rule);
    for (const FlowbitsOp& op : cr.rule.flowbits) {
      CompiledFlowbits cf{op.cmd, op.any, {}};
      for (const std::string& name : op.names) {
        auto [it, inserted] = flowbit_ids.emplace(name, flowbit_ids.size());
        if (inserted) set->flowbit_names_.push_back(name);
        cf.ids.push_back(static_cast<std::uint16_t>(it->second));
      }
      const bool check = op.cmd == FlowbitsOp::Cmd::kIsSet || op.cmd == FlowbitsOp::Cmd::kIsNotSet;
      (check ? cr.flowbit_checks : cr.flowbit_actions).push_back(std::move(cf));
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
  std::vector<std::pair<IpRange, std::uint32_t>> src_entries, dst_entries;
  std::array<std::array<std::vector<std::uint32_t>, 2>, kProtoClasses> with_pattern;
  RuleSetStats& st = set->stats_;
  for (std::uint32_t i = 0; i < set->rules_.size(); ++i) {
    CompiledRule& cr = set->rules_[i];
    cr.order = i;
    const Rule& r = cr.rule;
    ++st.rules;
    if (cr.fast_pattern < 0) {
      ++st.no_content;
      if (!r.bidirectional && r.src_addr_is_list) {
        for (const IpRange& range : r.src_addr->ranges()) src_entries.emplace_back(range, i);
        ++st.address_indexed;
        cr.prefilter = Prefilter::kAddressIndex;
        continue;
      }
      if (!r.bidirectional && r.dst_addr_is_list) {
        for (const IpRange& range : r.dst_addr->ranges()) dst_entries.emplace_back(range, i);
        ++st.address_indexed;
        cr.prefilter = Prefilter::kAddressIndex;
        continue;
      }
    } else {
      ++st.with_fast_pattern;
      cr.prefilter = Prefilter::kFastPattern;
    }
    for (int pc = 0; pc < kProtoClasses; ++pc) {
      if (!(cr.proto_mask & (1u << pc))) continue;
      for (int dir = 0; dir < 2; ++dir) {
        if (dir == 0 && r.flow.to_client) continue;
        if (dir == 1 && r.flow.to_server) continue;
        if (cr.fast_pattern >= 0) {
          with_pattern[pc][dir].push_back(i);
        } else {
          set->groups_[pc][dir].no_content.push_back(i);
        }
      }
    }
  }
  set->src_index_.build(src_entries);
  set->dst_index_.build(dst_entries);
  std::size_t patterns = 0;
  for (int pc = 0; pc < kProtoClasses; ++pc) {
    for (int dir = 0; dir < 2; ++dir) {
      RuleGroup& g = set->groups_[pc][dir];
      auto res = compile_group(g, set->rules_, with_pattern[pc][dir], cache, warnings);
      if (!res) return res.error();
      patterns += g.patterns();
      set->max_patterns_ = std::max(set->max_patterns_, g.patterns());
    }
  }
  st.patterns = patterns;
  st.compile_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return std::shared_ptr<const RuleSet>(std::move(set));
}

}  // namespace wp::detect
