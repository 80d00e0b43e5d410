#include "detect/detector.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <hs/hs.h>
#include <pcre2.h>

#include <algorithm>
#include <chrono>
#include <cstring>

namespace wp::detect {
namespace {

constexpr int kRecursionLimit = 3000;  // content/pcre retries per rule and packet

struct LowerTable {
  std::uint8_t v[256];
  constexpr LowerTable() : v() {
    for (int i = 0; i < 256; ++i) v[i] = static_cast<std::uint8_t>(i >= 'A' && i <= 'Z' ? i + 32 : i);
  }
};
constexpr LowerTable kLower;

// First occurrence of `pat` in hay[from, to), or -1.
long find(const std::uint8_t* hay, std::size_t from, std::size_t to, const std::string& pat,
          bool nocase) {
  const std::size_t n = pat.size();
  if (to < from || to - from < n) return -1;
  const auto* p = reinterpret_cast<const std::uint8_t*>(pat.data());
  if (!nocase) {
    const void* hit = memmem(hay + from, to - from, p, n);
    return hit == nullptr ? -1 : static_cast<const std::uint8_t*>(hit) - hay;
  }
  const std::uint8_t first = kLower.v[p[0]];
  for (std::size_t i = from; i + n <= to; ++i) {
    if (kLower.v[hay[i]] != first) continue;
    std::size_t j = 1;
    while (j < n && kLower.v[hay[i + j]] == kLower.v[p[j]]) ++j;
    if (j == n) return static_cast<long>(i);
  }
  return -1;
}

bool item_is_relative(const PayloadItem& it) {
  if (const auto* c = std::get_if<ContentMatch>(&it.match)) return c->relative();
  if (const auto* p = std::get_if<PcreMatch>(&it.match)) return p->relative;
  return std::get<IsDataAt>(it.match).relative;
}

bool bits_match(const BitsMatch& m, std::uint8_t value) {
  const std::uint8_t v = value & static_cast<std::uint8_t>(~m.ignore);
  switch (m.mod) {
    case BitsMatch::Mod::kExact: return v == m.bits;
    case BitsMatch::Mod::kPlus: return (v & m.bits) == m.bits;
    case BitsMatch::Mod::kAny: return (v & m.bits) != 0;
    case BitsMatch::Mod::kNot: return (v & m.bits) == 0;
  }
  return false;
}

bool flow_has_bit(const flow::Flow& f, std::uint16_t id) {
  for (int i = 0; i < f.flowbit_count; ++i) {
    if (f.flowbits[i] == id) return true;
  }
  return false;
}

void flow_unset_bit(flow::Flow& f, std::uint16_t id) {
  for (int i = 0; i < f.flowbit_count; ++i) {
    if (f.flowbits[i] == id) {
      f.flowbits[i] = f.flowbits[--f.flowbit_count];
      return;
    }
  }
}

// isset / isnotset: with '|' any name satisfies, otherwise all must.
bool flowbits_hold(const CompiledFlowbits& fb, const flow::Flow* f) {
  const bool want_set = fb.cmd == FlowbitsOp::Cmd::kIsSet;
  auto holds = [&](std::uint16_t id) { return (f != nullptr && flow_has_bit(*f, id)) == want_set; };
  if (fb.any) {
    for (std::uint16_t id : fb.ids) {
      if (holds(id)) return true;
    }
    return false;
  }
  for (std::uint16_t id : fb.ids) {
    if (!holds(id)) return false;
  }
  return true;
}

int on_match(unsigned int id, unsigned long long, unsigned long long, unsigned int, void* ctx) {
  auto* out = static_cast<std::pair<std::uint32_t*, std::size_t>*>(ctx);
  out->first[out->second++] = id;  // SINGLEMATCH: each pattern at most once per scan
  return 0;
}

}  // namespace

struct Detector::Scratch {
  pcre2_match_data* md = nullptr;
  pcre2_match_context* mctx = nullptr;
  pcre2_jit_stack* jit_stack = nullptr;
  int budget = 0;  // remaining retries for the rule being verified

  ~Scratch() {
    pcre2_match_data_free(md);
    pcre2_match_context_free(mctx);
    pcre2_jit_stack_free(jit_stack);
  }
};

namespace {

struct InspectCtx {
  const std::uint8_t* buf;
  std::size_t len;
  const std::vector<PayloadItem>* items;
  pcre2_match_data* md;
  pcre2_match_context* mctx;
  int* budget;
};

// Suricata's content inspection: items are matched in rule order; a relative item starts
// from where the previous positive match ended; when a later relative item fails, the
// previous content or pcre is retried at its next occurrence.
bool inspect_items(InspectCtx& cx, std::size_t i, std::size_t prev_end) {
  if (i == cx.items->size()) return true;
  if (--*cx.budget < 0) return false;
  const PayloadItem& item = (*cx.items)[i];
  const bool next_relative = i + 1 < cx.items->size() && item_is_relative((*cx.items)[i + 1]);

  if (const auto* c = std::get_if<ContentMatch>(&item.match)) {
    std::int64_t start = 0;
    std::int64_t end = static_cast<std::int64_t>(cx.len);
    if (c->relative()) {
      const std::int64_t distance = c->distance.value_or(0);
      start = static_cast<std::int64_t>(prev_end) + distance;
      if (start < 0) start = 0;
      if (c->within) end = std::min(end, static_cast<std::int64_t>(prev_end) + distance + *c->within);
    } else {
      if (c->startswith) {
        start = 0;
        end = std::min<std::int64_t>(end, static_cast<std::int64_t>(c->bytes.size()));
      }
      if (c->offset) start = *c->offset;
      if (c->depth) end = std::min<std::int64_t>(end, start + *c->depth);
    }
    if (c->negated) {
      bool found = false;
      if (start <= end && start <= static_cast<std::int64_t>(cx.len)) {
        std::size_t from = static_cast<std::size_t>(start);
        while (true) {
          long pos = find(cx.buf, from, static_cast<std::size_t>(end), c->bytes, c->nocase);
          if (pos < 0) break;
          if (!c->endswith || static_cast<std::size_t>(pos) + c->bytes.size() == cx.len) {
            found = true;
            break;
          }
          from = static_cast<std::size_t>(pos) + 1;
        }
      }
      return !found && inspect_items(cx, i + 1, prev_end);
    }
    if (start > end || start > static_cast<std::int64_t>(cx.len)) return false;
    std::size_t from = static_cast<std::size_t>(start);
    while (true) {
      long pos = find(cx.buf, from, static_cast<std::size_t>(end), c->bytes, c->nocase);
      if (pos < 0) return false;
      const std::size_t match_end = static_cast<std::size_t>(pos) + c->bytes.size();
      if (!c->endswith || match_end == cx.len) {
        if (inspect_items(cx, i + 1, match_end)) return true;
        if (!next_relative || --*cx.budget < 0) return false;
      }
      from = static_cast<std::size_t>(pos) + 1;
    }
  }

  if (const auto* p = std::get_if<PcreMatch>(&item.match)) {
    auto* code = static_cast<pcre2_code*>(p->code.get());
    std::size_t from = p->relative ? prev_end : 0;
    if (from > cx.len) return p->negated && inspect_items(cx, i + 1, prev_end);
    // 'A' is compiled into the pattern (PCRE2_ANCHORED) so the JIT code is used; passing it
    // again at match time would make PCRE2 fall back to the interpreter.
    const std::uint32_t opts = 0;
    while (true) {
      int rc = pcre2_match(code, cx.buf, cx.len, from, opts, cx.md, cx.mctx);
      if (rc < 0) return p->negated && inspect_items(cx, i + 1, prev_end);
      if (p->negated) return false;
      const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(cx.md);
      const std::size_t m_start = ov[0], m_end = ov[1];
      if (inspect_items(cx, i + 1, m_end)) return true;
      if (!next_relative || --*cx.budget < 0 || m_start + 1 > cx.len) return false;
      from = m_start + 1;
    }
  }

  const auto& d = std::get<IsDataAt>(item.match);
  bool has;
  if (d.relative) {
    has = prev_end + static_cast<std::size_t>(std::max(d.size, 0)) <= cx.len;
  } else {
    has = static_cast<std::size_t>(std::max(d.size, 0)) < cx.len;
  }
  if (has == d.negated) return false;
  return inspect_items(cx, i + 1, prev_end);
}

}  // namespace

Detector::Detector(std::shared_ptr<const RuleSet> rules, const DetectorConfig& config,
                   Counters& counters)
    : rules_(std::move(rules)), config_(config), s_(std::make_unique<Scratch>()), counters_(counters) {
  for (int pc = 0; pc < kProtoClasses; ++pc) {
    for (int dir = 0; dir < 2; ++dir) {
      const RuleGroup& g = rules_->group(static_cast<ProtoClass>(pc), dir == 0);
      if (g.db) hs_alloc_scratch(g.db.get(), &scratch_);
    }
  }
  matched_patterns_.resize(rules_->max_patterns() + 1);
  seen_epoch_.assign(rules_->rules().size(), 0);
  matches_.reserve(rules_->rules().size());
  hits_.assign(rules_->rules().size(), 0);
  s_->md = pcre2_match_data_create(32, nullptr);
  s_->mctx = pcre2_match_context_create(nullptr);
  s_->jit_stack = pcre2_jit_stack_create(32 * 1024, 512 * 1024, nullptr);
  pcre2_jit_stack_assign(s_->mctx, nullptr, s_->jit_stack);
  pcre2_set_match_limit(s_->mctx, 100000);
  c_candidates_ = counters_.add("detect.candidates");
  c_verified_ = counters_.add("detect.matches");
  c_alerts_ = counters_.add("detect.alert");
  c_pass_ = counters_.add("detect.pass");
  c_alert_overflow_ = counters_.add("detect.alert_queue_overflow");
  c_recursion_ = counters_.add("detect.recursion_limit");
  c_thresholded_ = counters_.add("detect.thresholded");
  c_flowbits_full_ = counters_.add("detect.flowbits_full");
}

Detector::~Detector() { hs_free_scratch(scratch_); }

bool Detector::verify(const CompiledRule& cr, const decode::Packet& pkt, const flow::FlowRef& fr) {
  const Rule& r = cr.rule;
  // Header: addresses and ports (either orientation for "<>").
  const bool ports = pkt.has_ports();
  auto oriented = [&](const IpAddress& s, std::uint16_t sp, const IpAddress& d, std::uint16_t dp) {
    if (!r.src_addr->contains(s) || !r.dst_addr->contains(d)) return false;
    if (ports) return r.src_port->contains(sp) && r.dst_port->contains(dp);
    return r.src_port->is_any() && r.dst_port->is_any();
  };
  if (!oriented(pkt.src, pkt.sport, pkt.dst, pkt.dport) &&
      !(r.bidirectional && oriented(pkt.dst, pkt.dport, pkt.src, pkt.sport))) {
    return false;
  }
  const flow::Flow* f = fr.flow;
  const FlowMatch& fm = r.flow;
  if (fm.to_server && !fr.to_server) return false;
  if (fm.to_client && fr.to_server) return false;
  if (fm.established && (f == nullptr || !f->established())) return false;
  if (fm.not_established && f != nullptr && f->established()) return false;
  if (r.dsize && !r.dsize->matches(static_cast<std::int64_t>(pkt.payload.size()))) return false;
  if (r.ttl && !r.ttl->matches(pkt.ttl)) return false;
  if (r.tos && !r.tos->matches(pkt.tos)) return false;
  if (r.ip_id && (pkt.ip_version != 4 || !r.ip_id->matches(pkt.ip_id))) return false;
  if (r.ip_proto && !r.ip_proto->matches(pkt.proto)) return false;
  if (r.sameip && !(pkt.src == pkt.dst)) return false;
  if (r.ipopts != 0) {
    // ipopts:any means "any option present"; other names need that option.
    const bool present = r.ipopts == decode::kIpoptAny ? pkt.ipv4_options != 0
                                                       : (pkt.ipv4_options & r.ipopts) != 0;
    if (pkt.ip_version != 4 || !present) return false;
  }
  if (r.fragoffset && (pkt.ip_version != 4 || !r.fragoffset->matches(pkt.frag_offset * 8))) return false;
  if (r.fragbits) {
    std::uint8_t bits = (pkt.frag_mf ? kFragBitM : 0) | (pkt.frag_df ? kFragBitD : 0) |
                        (pkt.frag_rb ? kFragBitR : 0);
    if (pkt.ip_version != 4 || !bits_match(*r.fragbits, bits)) return false;
  }
  const bool tcp = pkt.proto == decode::kProtoTcp;
  if (r.flags && (!tcp || !bits_match(*r.flags, pkt.tcp_flags))) return false;
  if (r.tcp_seq && (!tcp || !r.tcp_seq->matches(pkt.tcp_seq))) return false;
  if (r.tcp_ack && (!tcp || !r.tcp_ack->matches(pkt.tcp_ack))) return false;
  if (r.window && (!tcp || !r.window->matches(pkt.tcp_window))) return false;
  const bool icmp = pkt.proto == decode::kProtoIcmp || pkt.proto == decode::kProtoIcmpv6;
  if (r.itype && (!icmp || !r.itype->matches(pkt.icmp_type))) return false;
  if (r.icode && (!icmp || !r.icode->matches(pkt.icmp_code))) return false;
  if (r.icmp_id && (!icmp || !pkt.icmp_has_id_seq || !r.icmp_id->matches(pkt.icmp_id))) return false;
  if (r.icmp_seq && (!icmp || !pkt.icmp_has_id_seq || !r.icmp_seq->matches(pkt.icmp_seq))) return false;
  for (const CompiledFlowbits& fb : cr.flowbit_checks) {
    if (!flowbits_hold(fb, f)) return false;
  }
  if (r.payload.empty()) return true;
  s_->budget = kRecursionLimit;
  InspectCtx cx{pkt.payload.data(), pkt.payload.size(), &r.payload, s_->md, s_->mctx, &s_->budget};
  const bool ok = inspect_items(cx, 0, 0);
  if (s_->budget < 0) counters_.inc(c_recursion_);
  return ok;
}

void Detector::enable_profiling() {
  profile_.assign(rules_->rules().size(), RuleProfile{});
  prof_ = profile_.data();
}

bool Detector::verify_profiled(RuleProfile& p, const CompiledRule& cr, const decode::Packet& pkt,
                               const flow::FlowRef& fr) {
  const auto t0 = std::chrono::steady_clock::now();
  const bool ok = verify(cr, pkt, fr);
  p.ns += static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
          .count());
  ++p.checks;
  p.matches += ok;
  return ok;
}

void Detector::consider(std::uint32_t idx, const decode::Packet& pkt, const flow::FlowRef& fr) {
  if (seen_epoch_[idx] == epoch_) return;
  seen_epoch_[idx] = epoch_;
  const CompiledRule& cr = rules_->rules()[idx];
  if (!(cr.proto_mask & (1u << proto_class(pkt.proto)))) return;
  counters_.inc(c_candidates_);
  if (!(prof_ == nullptr ? verify(cr, pkt, fr) : verify_profiled(prof_[idx], cr, pkt, fr))) return;
  counters_.inc(c_verified_);
  matches_.push_back(idx);
  if (fr.flow == nullptr) return;
  flow::Flow& f = *fr.flow;
  for (const CompiledFlowbits& fb : cr.flowbit_actions) {
    for (std::uint16_t id : fb.ids) {
      const bool has = flow_has_bit(f, id);
      const bool want = fb.cmd == FlowbitsOp::Cmd::kSet || (fb.cmd == FlowbitsOp::Cmd::kToggle && !has);
      if (want && !has) {
        if (f.flowbit_count == flow::Flow::kMaxFlowbits) {
          counters_.inc(c_flowbits_full_);
          continue;
        }
        f.flowbits[f.flowbit_count++] = id;
      } else if (!want && has) {
        flow_unset_bit(f, id);
      }
    }
  }
}

std::size_t Detector::prefilter_only(const decode::Packet& pkt, const flow::FlowRef& fr) {
  return scan(rules_->group(proto_class(pkt.proto), fr.to_server), pkt.payload);
}

std::size_t Detector::scan(const RuleGroup& g, std::span<const std::uint8_t> payload) {
  if (!g.db || payload.empty()) return 0;
  std::pair<std::uint32_t*, std::size_t> out{matched_patterns_.data(), 0};
  hs_scan(g.db.get(), reinterpret_cast<const char*>(payload.data()),
          static_cast<unsigned>(payload.size()), 0, scratch_, on_match, &out);
  return out.second;
}

std::span<const std::uint32_t> Detector::inspect(const decode::Packet& pkt, const flow::FlowRef& fr) {
  matches_.clear();
  if (++epoch_ == 0) {  // wrapped: forget all marks
    std::fill(seen_epoch_.begin(), seen_epoch_.end(), 0);
    epoch_ = 1;
  }
  const RuleGroup& g = rules_->group(proto_class(pkt.proto), fr.to_server);
  const std::size_t matched = scan(g, pkt.payload);
  for (std::size_t i = 0; i < matched; ++i) {
    const std::uint32_t pid = matched_patterns_[i];
    for (std::uint32_t k = g.pattern_offsets[pid]; k < g.pattern_offsets[pid + 1]; ++k) {
      consider(g.pattern_rules[k], pkt, fr);
    }
  }
  for (std::uint32_t idx : g.no_content) consider(idx, pkt, fr);
  if (!rules_->src_index().empty()) {
    for (std::uint32_t idx : rules_->src_index().lookup(pkt.src)) consider(idx, pkt, fr);
  }
  if (!rules_->dst_index().empty()) {
    for (std::uint32_t idx : rules_->dst_index().lookup(pkt.dst)) consider(idx, pkt, fr);
  }
  if (matches_.empty()) return {};
  std::sort(matches_.begin(), matches_.end());  // index order is alert order
  const auto& rules = rules_->rules();
  if (rules[matches_.front()].rule.action == Action::kPass) {
    counters_.inc(c_pass_);
    hits_[matches_.front()]++;
    matches_.clear();
    return {};
  }
  std::size_t out = 0;
  for (std::uint32_t idx : matches_) {
    hits_[idx]++;
    const Rule& rule = rules[idx].rule;
    if (rule.noalert) continue;
    const ThresholdSpec* spec = rule.detection_filter ? &*rule.detection_filter
                                : rule.threshold      ? &*rule.threshold
                                                      : nullptr;
    if (spec != nullptr && !thresholds_.allow(*spec, idx, pkt.src, pkt.dst, pkt.ts.sec)) {
      counters_.inc(c_thresholded_);
      continue;
    }
    if (out == config_.packet_alert_max) {
      counters_.inc(c_alert_overflow_);
      continue;
    }
    matches_[out++] = idx;
  }
  matches_.resize(out);
  counters_.inc(c_alerts_, out);
  return matches_;
}

}  // namespace wp::detect
