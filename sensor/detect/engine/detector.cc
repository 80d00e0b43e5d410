#include "detect/engine/detector.h"

#include "detect/engine/payload_inspect.h"
#include "detect/engine/tx_buffers.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <hs/hs.h>
#include <pcre2.h>

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <unordered_map>

namespace wp::detect {

using inspect::Inspect;
using inspect::InspectCtx;
using inspect::kBase64DecodeMax;
using inspect::kRecursionLimit;
using inspect::PcreFallback;

namespace {

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

int flowint_index(const flow::Flow& f, std::uint16_t id) {
  for (int i = 0; i < f.flowint_count; ++i) {
    if (f.flowint_ids[i] == id) return i;
  }
  return -1;
}

// The right-hand side: the number, or the other flowint (0 while it is unset, as in Suricata).
std::uint32_t flowint_operand(const CompiledFlowint& c, const flow::Flow& f) {
  if (!c.target_is_var) return c.value;
  const int j = flowint_index(f, c.target_id);
  return j < 0 ? 0 : f.flowint_values[j];
}

// Conditions: without a flow nothing holds; a comparison needs the variable to be set.
bool flowint_holds(const CompiledFlowint& c, const flow::Flow* f) {
  if (f == nullptr) return false;
  const int i = flowint_index(*f, c.id);
  if (c.op == FlowintOp::Op::kIsSet) return i >= 0;
  if (c.op == FlowintOp::Op::kIsNotSet) return i < 0;
  if (i < 0) return false;
  const std::uint32_t v = f->flowint_values[i];
  const std::uint32_t t = flowint_operand(c, *f);
  switch (c.op) {
    case FlowintOp::Op::kEq:
      return v == t;
    case FlowintOp::Op::kNe:
      return v != t;
    case FlowintOp::Op::kLt:
      return v < t;
    case FlowintOp::Op::kLe:
      return v <= t;
    case FlowintOp::Op::kGt:
      return v > t;
    case FlowintOp::Op::kGe:
      return v >= t;
    default:
      return false;
  }
}

// `reversed`: the inspected data travels opposite to the packet (a stream chunk delivered
// by the peer's acknowledgement), so its source is the packet's destination.
XbitKey xbit_key(const CompiledXbits& x, const decode::Packet& pkt, bool reversed) {
  const IpAddress& src = reversed ? pkt.dst : pkt.src;
  const IpAddress& dst = reversed ? pkt.src : pkt.dst;
  switch (x.track) {
    case XbitsOp::Track::kIpSrc:
      return XbitKey::host(x.id, src);
    case XbitsOp::Track::kIpDst:
      return XbitKey::host(x.id, dst);
    case XbitsOp::Track::kIpPair:
      break;
  }
  return XbitKey::ip_pair(x.id, src, dst);
}

// The bytes of header buffer `id` (ipv4.hdr ... icmpv6.hdr) in `pkt`: its innermost packet's
// header, empty when the packet has no such header (a rule inspecting it does not match).
std::span<const std::uint8_t> header_buffer(const decode::Packet& pkt, BufferId id) {
  auto first = [](std::span<const std::uint8_t> s, std::size_t n) {
    return s.first(std::min(n, s.size()));
  };
  switch (id) {
    case kIpv4Hdr:
      return pkt.ip_version == 4 ? first(pkt.l3, pkt.ip_hdr_len) : std::span<const std::uint8_t>{};
    case kIpv6Hdr:
      return pkt.ip_version == 6 ? first(pkt.l3, pkt.ip_hdr_len) : std::span<const std::uint8_t>{};
    case kTcpHdr:
      return pkt.proto == decode::kProtoTcp ? first(pkt.l4, pkt.l4_hdr_len)
                                            : std::span<const std::uint8_t>{};
    case kUdpHdr:
      return pkt.proto == decode::kProtoUdp ? first(pkt.l4, pkt.l4_hdr_len)
                                            : std::span<const std::uint8_t>{};
    case kIcmpv4Hdr:
      return pkt.proto == decode::kProtoIcmp ? first(pkt.l4, pkt.l4_hdr_len)
                                             : std::span<const std::uint8_t>{};
    case kIcmpv6Hdr:
      return pkt.proto == decode::kProtoIcmpv6 ? first(pkt.l4, pkt.l4_hdr_len)
                                               : std::span<const std::uint8_t>{};
    default:
      return {};
  }
}

struct ScanOut {
  std::uint32_t* ids;
  std::size_t n;
};

// Stream scans report every occurrence; each pattern is listed once, with the end of its
// last occurrence, and occurrences ending in the overlap (bytes inspected before) are
// ignored.
struct StreamScanOut {
  std::uint32_t* ids;
  std::uint32_t* ends;
  std::uint32_t* slot;  // pattern id -> index in ids/ends, valid when seen[id] == epoch
  std::uint32_t* seen;
  std::uint32_t epoch;
  unsigned long long min_to;
  std::size_t n;
};

int on_stream_match(unsigned int id, unsigned long long, unsigned long long to, unsigned int,
                    void* ctx) {
  auto* out = static_cast<StreamScanOut*>(ctx);
  if (to <= out->min_to) return 0;
  if (out->seen[id] == out->epoch) {
    out->ends[out->slot[id]] = static_cast<std::uint32_t>(to);
    return 0;
  }
  out->seen[id] = out->epoch;
  out->slot[id] = static_cast<std::uint32_t>(out->n);
  out->ids[out->n] = id;
  out->ends[out->n++] = static_cast<std::uint32_t>(to);
  return 0;
}

int on_match(unsigned int id, unsigned long long, unsigned long long, unsigned int, void* ctx) {
  auto* out = static_cast<ScanOut*>(ctx);
  out->ids[out->n++] = id;  // SINGLEMATCH: each pattern at most once per scan
  return 0;
}

}  // namespace

struct Detector::Scratch {
  pcre2_match_data* md = nullptr;
  pcre2_match_context* mctx = nullptr;
  pcre2_jit_stack* jit_stack = nullptr;
  int budget = 0;  // remaining retries for the rule being verified
  std::array<std::uint64_t, kMaxByteVars> vars{};  // byte_extract/byte_math values, by slot
  std::vector<std::uint8_t> base64;                // base64_decode output, sized once
  PcreFallback pcre_fallback;

  ~Scratch() {
    pcre2_match_data_free(md);
    pcre2_match_context_free(mctx);
    pcre2_jit_stack_free(jit_stack);
  }
};

Detector::Detector(std::shared_ptr<const RuleSet> rules, const DetectorConfig& config,
                   Counters& counters, std::shared_ptr<HostState> host)
    : rules_(std::move(rules)),
      config_(config),
      s_(std::make_unique<Scratch>()),
      host_(host != nullptr
                ? std::move(host)
                : std::make_shared<HostState>(HostStateConfig{.xbits_capacity = config.xbits_capacity})),
      counters_(counters) {
  c_hs_error_ = counters_.add("detect.hs_scan_error");
  c_hs_scratch_error_ = counters_.add("detect.hs_scratch_error");
  s_->base64.resize(kBase64DecodeMax);
  xform_ = std::make_unique<TransformScratch>();
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
  c_hitring_full_ = counters_.add("detect.stream_hits_replaced");
  c_thresholded_ = counters_.add("detect.thresholded");
  c_flowbits_full_ = counters_.add("detect.flowbits_full");
  c_flowint_full_ = counters_.add("detect.flowint_full");
  c_xbits_full_ = counters_.add("detect.xbits_full");
  c_suppressed_ = counters_.add("detect.suppressed");
  c_pcre_limit_ = counters_.add("detect.pcre_match_limit");
  c_pcre_undecided_ = counters_.add("detect.pcre_match_limit_undecided");
  attach();
}

void Detector::attach() {
  // The generation's prototype scratch fits all its databases. A clone that fails (out of
  // memory) leaves no scratch: every scan then fails and is counted as detect.hs_scan_error.
  hs_free_scratch(scratch_);
  scratch_ = nullptr;
  scratch_error_.clear();
  if (const hs_scratch* proto = rules_->scratch_prototype()) {
    const hs_error_t rc = hs_clone_scratch(proto, &scratch_);
    if (rc != HS_SUCCESS) {
      scratch_ = nullptr;
      scratch_error_ = "cannot clone the Hyperscan scratch (hs_clone_scratch: " +
                       std::to_string(rc) + "); packets are not prefiltered";
      counters_.inc(c_hs_scratch_error_);
    }
  }
  const std::size_t patterns = rules_->max_patterns() + 1;
  matched_patterns_.assign(patterns, 0);
  matched_ends_.assign(patterns, 0);
  pattern_slot_.assign(patterns, 0);
  pattern_seen_.assign(patterns, 0);
  scan_epoch_ = 0;
  seen_epoch_.assign(rules_->rules().size(), 0);
  epoch_ = 0;
  matches_.clear();
  matches_.reserve(rules_->rules().size());
  hits_.assign(rules_->rules().size(), 0);
  if (!profile_.empty()) {
    profile_.assign(rules_->rules().size(), RuleProfile{});
    prof_ = profile_.data();
  }
  // Cached fallback databases are keyed by the old generation's pcre2 codes.
  s_->pcre_fallback.clear();
}

void Detector::switch_to(std::shared_ptr<const RuleSet> next) {
  if (next == nullptr || next == rules_) return;
  rules_ = std::move(next);
  attach();
}

Detector::~Detector() { hs_free_scratch(scratch_); }

// flow.pkts / flow.bytes / flow.age, counted with this packet (the flow stage has counted it).
bool Detector::flow_counters_hold(const Rule& r, const flow::Flow* f, const decode::Packet& pkt) {
  if (f == nullptr) return false;
  using FC = Rule::FlowCounter;
  for (const FC& fc : r.flow_counters) {
    if (fc.what == FC::What::kAge) {
      const std::int64_t age = pkt.ts.sec - f->first_seen.sec;
      if (!fc.cmp.matches(age < 0 ? 0 : age)) return false;
      continue;
    }
    const bool pkts = fc.what == FC::What::kPkts;
    const auto ts = static_cast<std::int64_t>(pkts ? f->pkts_to_server : f->bytes_to_server);
    const auto tc = static_cast<std::int64_t>(pkts ? f->pkts_to_client : f->bytes_to_client);
    bool ok = false;
    switch (fc.dir) {
      case FC::Dir::kToServer: ok = fc.cmp.matches(ts); break;
      case FC::Dir::kToClient: ok = fc.cmp.matches(tc); break;
      case FC::Dir::kEither: ok = fc.cmp.matches(ts) || fc.cmp.matches(tc); break;
      case FC::Dir::kBoth: ok = fc.cmp.matches(ts) && fc.cmp.matches(tc); break;
    }
    if (!ok) return false;
  }
  return true;
}

bool Detector::verify(const CompiledRule& cr, const decode::Packet& pkt, const flow::FlowRef& fr,
                      const Input& buf) {
  const Rule& r = cr.rule;
  if (r.flow.only_stream && !buf.stream) return false;
  // Header: addresses and ports (either orientation for "<>").
  const bool ports = pkt.has_ports();
  auto oriented = [&](const IpAddress& s, std::uint16_t sp, const IpAddress& d, std::uint16_t dp) {
    if (!r.src_addr->contains(s) || !r.dst_addr->contains(d)) return false;
    if (ports) return r.src_port->contains(sp) && r.dst_port->contains(dp);
    return r.src_port->is_any() && r.dst_port->is_any();
  };
  // A chunk of the other direction (delivered when this packet acknowledged a gap) is
  // checked with the addresses of its own direction.
  const IpAddress& src = buf.reversed ? pkt.dst : pkt.src;
  const IpAddress& dst = buf.reversed ? pkt.src : pkt.dst;
  const std::uint16_t sport = buf.reversed ? pkt.dport : pkt.sport;
  const std::uint16_t dport = buf.reversed ? pkt.sport : pkt.dport;
  if (!oriented(src, sport, dst, dport) &&
      !(r.bidirectional && oriented(dst, dport, src, sport))) {
    return false;
  }
  const flow::Flow* f = fr.flow;
  // The application layer: the header's protocol, then app-layer-protocol (which holds only
  // once detection decided).
  const auto app = f != nullptr ? static_cast<AppProto>(f->app_proto) : AppProto::kUnknown;
  if (r.app_proto != AppProto::kUnknown && app != r.app_proto) return false;
  for (const AppProtoTest& t : r.app_proto_tests) {
    if (app == AppProto::kUnknown || (app == t.proto) == t.negated) return false;
  }
  const FlowMatch& fm = r.flow;
  if (fm.to_server && !fr.to_server) return false;
  if (fm.to_client && fr.to_server) return false;
  if (fm.established && !fr.established) return false;
  if (fm.not_established && fr.established) return false;
  for (const HeaderTest& t : r.header) {
    if (!t.matches(pkt)) return false;
  }
  if (!r.flow_counters.empty() && !flow_counters_hold(r, f, pkt)) return false;
  if (!r.stream_sizes.empty()) {
    std::uint64_t client = 0, server = 0;
    if (f == nullptr ||
        !stream::StreamEngine::sizes(*f, buf.stream ? nullptr : &pkt, fr.to_server, client, server)) {
      return false;
    }
    for (const Rule::StreamSize& ss : r.stream_sizes) {
      const bool cm = ss.cmp.matches(static_cast<std::int64_t>(client));
      const bool sm = ss.cmp.matches(static_cast<std::int64_t>(server));
      switch (ss.side) {
        case Rule::StreamSize::Side::kClient: if (!cm) return false; break;
        case Rule::StreamSize::Side::kServer: if (!sm) return false; break;
        case Rule::StreamSize::Side::kBoth: if (!(cm && sm)) return false; break;
        case Rule::StreamSize::Side::kEither: if (!(cm || sm)) return false; break;
      }
    }
  }
  for (const CompiledFlowbits& fb : cr.flowbit_checks) {
    if (!flowbits_hold(fb, f)) return false;
  }
  for (const CompiledFlowint& fi : cr.flowint_checks) {
    if (!flowint_holds(fi, f)) return false;
  }
  if (cr.tx) {
    if (!verify_tx(cr, pkt, buf)) return false;
  } else if (!r.payload.empty()) {
    if (!verify_payload(cr, buf)) return false;
    if (cr.header_buffers != 0 && !verify_headers(cr, pkt, buf)) return false;
  }
  // Host state last: its lookups lock a shard, so only rules that hold otherwise pay for it.
  for (const CompiledXbits& xb : cr.xbit_checks) {
    host_turn(pkt);
    const bool set = host_->xbit_is_set(xbit_key(xb, pkt, buf.reversed), pkt.ts.micros());
    if (set != (xb.cmd == XbitsOp::Cmd::kIsSet)) return false;
  }
  return true;
}

bool Detector::verify_headers(const CompiledRule& cr, const decode::Packet& pkt, const Input& buf) {
  for (int h = 0; h < kHeaderBuffers; ++h) {
    if ((cr.header_buffers & (1u << h)) == 0) continue;
    const auto id = static_cast<BufferId>(kFirstHeaderBuffer + h);
    const std::span<const std::uint8_t> bytes = header_buffer(pkt, id);
    if (bytes.empty() || !verify_payload(cr, Input{bytes, 0, 0, false, buf.reversed}, id)) {
      return false;
    }
  }
  return true;
}

bool Detector::verify_tx(const CompiledRule& cr, const decode::Packet& pkt, const Input& buf) {
  const applayer::Transaction* tx = tx_;
  if (tx == nullptr || tx->proto != cr.rule.app_proto) return false;
  if (!cr.tx_any_point && (tx->to_server != cr.tx_to_server || tx->progress != cr.tx_progress)) {
    return false;
  }
  // The client is the source of a to_server packet (the transaction's direction may be the
  // other one than the packet's: buf.reversed).
  const bool pkt_to_server = tx->to_server != buf.reversed;
  const IpAddress& client = pkt_to_server ? pkt.src : pkt.dst;
  for (const TxTest& t : cr.rule.tx_tests) {
    if (!txbuf::holds(t, *tx, pkt.ts.sec, client)) return false;
  }
  if (cr.header_buffers != 0 && !verify_headers(cr, pkt, buf)) return false;
  for (const CompiledRule::TxList& list : cr.tx_lists) {
    const BufferId id = list.buffer;
    if (id == kPktData) {
      if (!verify_payload(cr, buf, kPktData)) return false;
      continue;
    }
    if (buffer_def(id).header) continue;  // verify_headers() checked it above
    // Suricata's multi-buffers: all the rule's items of this buffer within one instance.
    const bool ok = txbuf::any_instance(*tx, id, [&](std::span<const std::uint8_t> data) {
      if (list.chain != 0) data = transformed(cr, list.chain, data);
      return verify_payload(cr, Input{data, 0, 0, false, buf.reversed}, id, list.chain);
    });
    if (!ok) return false;
  }
  return true;
}

std::span<const std::uint8_t> Detector::transformed(const CompiledRule& cr, std::uint8_t chain,
                                                    std::span<const std::uint8_t> data) {
  const std::string* signature = &cr.chain_signatures[chain - 1];
  for (const XformEntry& e : xform_cache_) {
    if (e.src == data.data() && e.src_len == data.size() && *e.signature == *signature) {
      return {xform_arena_.data() + e.at, e.len};
    }
  }
  const std::span<const std::uint8_t> out = xform_->apply(cr.rule.transforms[chain - 1], data);
  const std::size_t at = xform_arena_.size();
  xform_arena_.insert(xform_arena_.end(), out.begin(), out.end());
  xform_cache_.push_back({data.data(), data.size(), signature, at, out.size()});
  return {xform_arena_.data() + at, out.size()};
}

bool Detector::verify_payload(const CompiledRule& cr, const Input& buf, BufferId pass,
                              std::uint8_t chain) {
  const Rule& r = cr.rule;
  s_->budget = kRecursionLimit;
  InspectCtx cx{buf.data.data(), buf.data.size(), static_cast<std::int64_t>(buf.base),
                buf.new_from,     cr.last_positive, &r.payload,
                s_->md,           s_->mctx,         &s_->budget,
                s_->vars.data(),  s_->base64.data(), s_->base64.size()};
  cx.pass = pass;
  cx.pass_chain = chain;
  cx.pcre_fallback = &s_->pcre_fallback;
  cx.counters = &counters_;
  cx.c_pcre_limit = c_pcre_limit_;
  cx.c_pcre_undecided = c_pcre_undecided_;
  cx.c_hs_error = c_hs_error_;
  cx.cursor_only = !cr.sets_vars && buf.new_from == 0;
  const bool ok = inspect::inspect_items(cx, 0, 0, 0) == Inspect::kMatch;
  if (s_->budget < 0) counters_.inc(c_recursion_);
  return ok;
}

void Detector::enable_profiling() {
  profile_.assign(rules_->rules().size(), RuleProfile{});
  prof_ = profile_.data();
}

bool Detector::verify_profiled(RuleProfile& p, const CompiledRule& cr, const decode::Packet& pkt,
                               const flow::FlowRef& fr, const Input& buf) {
  const auto t0 = std::chrono::steady_clock::now();
  const bool ok = verify(cr, pkt, fr, buf);
  p.ns += static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
          .count());
  ++p.checks;
  p.matches += ok;
  return ok;
}

void Detector::consider(std::uint32_t idx, const decode::Packet& pkt, const flow::FlowRef& fr,
                        const Input& buf) {
  if (seen_epoch_[idx] == epoch_) return;
  seen_epoch_[idx] = epoch_;
  const CompiledRule& cr = rules_->rules()[idx];
  if (!(cr.proto_mask & (1u << proto_class(pkt.proto)))) return;
  if (defer_stream_events_ && cr.after_stream) return;
  // IP-only rules: once per flow and direction, on its first packet.
  if (cr.ip_only && fr.flow != nullptr && (fr.flow->ip_only_done & (fr.to_server ? 1 : 2)) != 0) {
    return;
  }
  // At most one alert per rule and transaction.
  const std::uint64_t identity = (std::uint64_t{cr.rule.gid} << 32) | cr.rule.sid;
  applayer::TxAlertLog* log = tx_ != nullptr ? tx_->alerted : nullptr;
  if (log != nullptr && log->contains(tx_->id, identity)) return;
  counters_.inc(c_candidates_);
  auto check = [&](const Input& in) {
    return prof_ == nullptr ? verify(cr, pkt, fr, in) : verify_profiled(prof_[idx], cr, pkt, fr, in);
  };
  if (!check(buf)) {
    // On a stream chunk, a rule anchored at absolute positions also gets the new bytes as a
    // message of their own: a request pipelined behind another one without an answer
    // between (SMB writes, HTTP pipelining) starts where its segment starts.
    if (!buf.stream || !cr.has_absolute || buf.new_from == 0) return;
    const Input segment{buf.data.subspan(buf.new_from), 0, 0, true, buf.reversed};
    if (!check(segment)) return;
  }
  counters_.inc(c_verified_);
  matches_.push_back(idx);
  if (log != nullptr) log->add(tx_->id, identity);
  for (const CompiledXbits& xb : cr.xbit_actions) {
    host_turn(pkt);
    const XbitKey key = xbit_key(xb, pkt, buf.reversed);
    bool stored = true;
    switch (xb.cmd) {
      case XbitsOp::Cmd::kSet:
        stored = host_->xbit_set(key, pkt.ts.micros(), xb.expire);
        break;
      case XbitsOp::Cmd::kToggle:
        stored = host_->xbit_toggle(key, pkt.ts.micros(), xb.expire);
        break;
      default:
        host_->xbit_unset(key);
        break;
    }
    if (!stored) counters_.inc(c_xbits_full_);
  }
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
  for (const CompiledFlowint& fi : cr.flowint_actions) {
    const std::uint32_t operand = flowint_operand(fi, f);
    int i = flowint_index(f, fi.id);
    if (i < 0) {
      // '=' and '+' create the variable; '-' on an unset one does nothing (Suricata).
      if (fi.op == FlowintOp::Op::kSub) continue;
      if (f.flowint_count == flow::Flow::kMaxFlowints) {
        counters_.inc(c_flowint_full_);
        continue;
      }
      i = f.flowint_count++;
      f.flowint_ids[i] = fi.id;
      f.flowint_values[i] = operand;
      continue;
    }
    std::uint32_t& v = f.flowint_values[i];
    if (fi.op == FlowintOp::Op::kSet) {
      v = operand;
    } else if (fi.op == FlowintOp::Op::kAdd) {
      v += operand;  // unsigned 32-bit, wraps as in Suricata
    } else {
      v -= operand;
    }
  }
}

std::size_t Detector::prefilter_only(const decode::Packet& pkt, const flow::FlowRef& fr) {
  const ProtoClass pc = proto_class(pkt.proto);
  std::size_t n = scan(rules_->group(pc, fr.to_server), pkt.payload);
  if (pc == kClassTcp) n += scan_stream(rules_->stream_group(fr.to_server), pkt.payload, 0);
  return n;
}

std::size_t Detector::scan(const RuleGroup& g, std::span<const std::uint8_t> payload) {
  if (!g.db || payload.empty()) return 0;
  ScanOut out{matched_patterns_.data(), 0};
  if (hs_scan(g.db.get(), reinterpret_cast<const char*>(payload.data()),
              static_cast<unsigned>(payload.size()), 0, scratch_, on_match, &out) != HS_SUCCESS) {
    counters_.inc(c_hs_error_);  // e.g. no scratch (its allocation failed): nothing prefiltered
  }
  return out.n;
}

void Detector::begin() {
  matches_.clear();
  if (++epoch_ == 0) {  // wrapped: forget all marks
    std::fill(seen_epoch_.begin(), seen_epoch_.end(), 0);
    epoch_ = 1;
  }
}

// For a rule made of contents only: does one of its positive contents occur ending in the
// new bytes? If not, no match of it can end there.
bool Detector::content_reaches_new_data(const CompiledRule& cr, const Input& buf) {
  const std::size_t len = buf.data.size();
  for (const PayloadItem& it : cr.rule.payload) {
    const auto* c = std::get_if<ContentMatch>(&it.match);
    if (c == nullptr || c->negated) continue;
    const std::size_t from = buf.new_from + 1 > c->bytes.size() ? buf.new_from + 1 - c->bytes.size() : 0;
    if (inspect::find(buf.data.data(), from, len, c->bytes, c->nocase) >= 0) return true;
  }
  return false;
}

void Detector::consider_pattern(const RuleGroup& g, std::uint32_t pid, const decode::Packet& pkt,
                                const flow::FlowRef& fr, const Input& buf, bool remembered) {
  for (std::uint32_t k = g.pattern_offsets[pid]; k < g.pattern_offsets[pid + 1]; ++k) {
    const std::uint32_t idx = g.pattern_rules[k];
    // A remembered hit's content-only rules matter only if the new bytes can complete them.
    if (remembered && rules_->rules()[idx].contents_only &&
        !content_reaches_new_data(rules_->rules()[idx], buf)) {
      continue;
    }
    consider(idx, pkt, fr, buf);
  }
}

std::size_t Detector::scan_stream(const RuleGroup& g, std::span<const std::uint8_t> data,
                                  std::size_t old_bytes) {
  if (!g.db || data.empty()) return 0;
  if (++scan_epoch_ == 0) {
    std::fill(pattern_seen_.begin(), pattern_seen_.end(), 0);
    scan_epoch_ = 1;
  }
  StreamScanOut out{matched_patterns_.data(), matched_ends_.data(), pattern_slot_.data(),
                    pattern_seen_.data(),     scan_epoch_,          old_bytes,
                    0};
  if (hs_scan(g.db.get(), reinterpret_cast<const char*>(data.data()),
              static_cast<unsigned>(data.size()), 0, scratch_, on_stream_match,
              &out) != HS_SUCCESS) {
    counters_.inc(c_hs_error_);
  }
  return out.n;
}

std::span<const std::uint32_t> Detector::inspect(const decode::Packet& pkt, const flow::FlowRef& fr,
                                                 bool tracked) {
  begin();
  if (fr.flow != nullptr && fr.flow->passed) return {};
  const Input buf{pkt.payload, 0, 0, false, false};
  const ProtoClass pc = proto_class(pkt.proto);
  defer_stream_events_ = tracked;
  const RuleGroup& g = rules_->group(pc, fr.to_server);
  std::size_t matched = scan(g, pkt.payload);
  for (std::size_t i = 0; i < matched; ++i) consider_pattern(g, matched_patterns_[i], pkt, fr, buf);
  for (std::uint32_t idx : g.no_content) consider(idx, pkt, fr, buf);
  // Rules whose fast pattern is in a header buffer (tcp.hdr, ...): one group per buffer.
  for (int h = 0; h < kHeaderBuffers; ++h) {
    const auto id = static_cast<BufferId>(kFirstHeaderBuffer + h);
    const RuleGroup& hg = rules_->group(GroupKey{pc, fr.to_server, id, false});
    if (!hg.db) continue;
    const std::span<const std::uint8_t> bytes = header_buffer(pkt, id);
    matched = scan(hg, bytes);
    for (std::size_t i = 0; i < matched; ++i) consider_pattern(hg, matched_patterns_[i], pkt, fr, buf);
  }
  if (pc == kClassTcp && !tracked) {
    // Not a tracked session: the stream rules look at this packet's payload alone.
    const RuleGroup& sg = rules_->stream_group(fr.to_server);
    matched = scan_stream(sg, pkt.payload, 0);
    for (std::size_t i = 0; i < matched; ++i) consider_pattern(sg, matched_patterns_[i], pkt, fr, buf);
    for (std::uint32_t idx : sg.no_content) consider(idx, pkt, fr, buf);
  }
  if (!rules_->src_index().empty()) {
    for (std::uint32_t idx : rules_->src_index().lookup(pkt.src)) consider(idx, pkt, fr, buf);
  }
  if (!rules_->dst_index().empty()) {
    for (std::uint32_t idx : rules_->dst_index().lookup(pkt.dst)) consider(idx, pkt, fr, buf);
  }
  if (fr.flow != nullptr) fr.flow->ip_only_done |= fr.to_server ? 1 : 2;
  defer_stream_events_ = false;
  return finish(pkt, fr, false);
}

std::span<const std::uint32_t> Detector::inspect_stream_events(const decode::Packet& pkt,
                                                               const flow::FlowRef& fr) {
  begin();
  if (pkt.stream_events == 0 || (fr.flow != nullptr && fr.flow->passed)) return {};
  const Input buf{pkt.payload, 0, 0, false, false};
  for (std::uint32_t idx : rules_->stream_event_rules()) consider(idx, pkt, fr, buf);
  return finish(pkt, fr, false);
}

std::span<const std::uint32_t> Detector::inspect_stream(const decode::Packet& pkt,
                                                        const flow::FlowRef& pkt_fr,
                                                        const stream::StreamChunk& chunk) {
  begin();
  if (pkt_fr.flow != nullptr && pkt_fr.flow->passed) return {};
  const RuleGroup& g = rules_->stream_group(chunk.to_server);
  // Stream data belongs to an established session.
  const flow::FlowRef fr{pkt_fr.flow, chunk.to_server, pkt_fr.created, true};
  // The buffer is the current message (the data since the last turn of the conversation)
  // as far as the window holds it; absolute positions count from the message's start.
  const std::size_t skip = chunk.message_start();
  const std::span<const std::uint8_t> data = chunk.message();
  const std::size_t new_from = chunk.new_from - skip;
  const std::uint64_t start = chunk.base + skip;  // stream offset of data[0]
  const Input buf{data, start - std::min(start, chunk.anchor), new_from, true,
                   chunk.to_server != pkt_fr.to_server};
  stream::HitRing& ring = *chunk.hits;
  const auto base32 = static_cast<std::uint32_t>(start);
  // Hits remembered from earlier chunks whose pattern is still in the window come first:
  // their rules may be completed by the new data.
  std::uint8_t kept = 0;
  // The ring holds stable pattern ids (NameTable): valid whichever generation wrote them; a
  // pattern the current generation does not have is dropped.
  for (std::uint8_t i = 0; i < ring.count; ++i) {
    const std::uint32_t rel_end = ring.end[i] - base32;  // wraps safely
    if (rel_end == 0 || rel_end > new_from) continue;  // slid out or an earlier message
    const std::uint32_t pid = g.local_id(ring.pattern[i]);
    if (pid == kNoPattern) continue;
    ring.pattern[kept] = ring.pattern[i];
    ring.end[kept++] = ring.end[i];
    consider_pattern(g, pid, pkt, fr, buf, /*remembered=*/true);
  }
  ring.count = kept;
  ring.next = kept % stream::HitRing::kSize;
  // Scan the new bytes plus enough of the old ones for a pattern that straddles them.
  const std::size_t overlap = g.max_pattern_len > 0 ? g.max_pattern_len - 1 : 0;
  const std::size_t from = new_from > overlap ? new_from - overlap : 0;
  const std::size_t matched = scan_stream(g, data.subspan(from), new_from - from);
  for (std::size_t i = 0; i < matched; ++i) {
    const std::uint32_t pid = matched_patterns_[i];
    consider_pattern(g, pid, pkt, fr, buf);
    if (!g.pattern_remember[pid]) continue;
    const std::uint32_t end = base32 + static_cast<std::uint32_t>(from + matched_ends_[i]);
    const std::uint32_t stable = g.stable_ids[pid];
    std::uint8_t slot = 0;
    while (slot < ring.count && ring.pattern[slot] != stable) ++slot;
    if (slot == ring.count) {
      if (ring.count < stream::HitRing::kSize) {
        ++ring.count;
      } else {
        slot = ring.next;  // full: replace the oldest
        counters_.inc(c_hitring_full_);
        ring.next = static_cast<std::uint8_t>((ring.next + 1) % stream::HitRing::kSize);
      }
    }
    ring.pattern[slot] = stable;
    ring.end[slot] = end;
  }
  for (std::uint32_t idx : g.no_content) consider(idx, pkt, fr, buf);
  return finish(pkt, fr, buf.reversed);
}

std::span<const std::uint32_t> Detector::inspect_tx(const decode::Packet& pkt,
                                                    const flow::FlowRef& pkt_fr,
                                                    const applayer::Transaction& tx,
                                                    std::span<const std::uint8_t> pkt_data) {
  begin();
  if (pkt_fr.flow != nullptr && pkt_fr.flow->passed) return {};
  // The transaction's direction may be the other one than the packet's (a stream chunk
  // delivered by the peer's acknowledgement): its header is checked with that direction.
  const bool reversed = tx.to_server != pkt_fr.to_server;
  const bool established = pkt_fr.established || pkt.proto == decode::kProtoTcp;
  const flow::FlowRef fr{pkt_fr.flow, tx.to_server, pkt_fr.created, established};
  const Input buf{pkt_data, 0, 0, false, reversed};
  const ProtoClass pc = proto_class(pkt.proto);
  tx_ = &tx;
  xform_cache_.clear();
  xform_arena_.clear();
  for (const BufferId id : rules_->tx_buffers(tx.proto, tx.to_server, tx.progress)) {
    const RuleGroup& g = rules_->group(GroupKey{pc, tx.to_server, id, false});
    if (!g.db) continue;
    txbuf::any_instance(tx, id, [&](std::span<const std::uint8_t> data) {
      const std::size_t matched = scan(g, data);
      for (std::size_t i = 0; i < matched; ++i) consider_pattern(g, matched_patterns_[i], pkt, fr, buf);
      return false;  // every instance
    });
  }
  // Rules evaluated at this point and prefiltered on a buffer made earlier.
  for (const BufferId id : rules_->tx_later(tx.proto, tx.to_server, tx.progress)) {
    const RuleGroup& g = rules_->group(GroupKey{pc, tx.to_server, id, true});
    if (!g.db) continue;
    txbuf::any_instance(tx, id, [&](std::span<const std::uint8_t> data) {
      const std::size_t matched = scan(g, data);
      for (std::size_t i = 0; i < matched; ++i) consider_pattern(g, matched_patterns_[i], pkt, fr, buf);
      return false;
    });
  }
  for (std::uint32_t idx : rules_->tx_no_content(tx.proto, tx.to_server, tx.progress)) {
    consider(idx, pkt, fr, buf);
  }
  tx_ = nullptr;
  return finish(pkt, fr, reversed);
}

std::span<const std::uint32_t> Detector::finish(const decode::Packet& pkt, const flow::FlowRef& fr,
                                                bool reversed) {
  const IpAddress& src = reversed ? pkt.dst : pkt.src;
  const IpAddress& dst = reversed ? pkt.src : pkt.dst;
  if (matches_.empty()) return {};
  std::sort(matches_.begin(), matches_.end());  // index order is alert order
  const auto& rules = rules_->rules();
  if (rules[matches_.front()].rule.action == Action::kPass) {
    // As in Suricata, a pass rule matching a TCP session passes the whole session.
    if (fr.flow != nullptr && fr.flow->proto == decode::kProtoTcp) fr.flow->passed = true;
    counters_.inc(c_pass_);
    hits_[matches_.front()]++;
    matches_.clear();
    return {};
  }
  std::size_t out = 0;
  for (std::uint32_t idx : matches_) {
    hits_[idx]++;
    const CompiledRule& cr = rules[idx];
    if (cr.rule.noalert) continue;
    // threshold.config suppressions first: a suppressed match does not count towards the
    // rule's threshold (Suricata).
    if (cr.suppressed || (cr.suppress_src && cr.suppress_src->contains(src)) ||
        (cr.suppress_dst && cr.suppress_dst->contains(dst))) {
      counters_.inc(c_suppressed_);
      continue;
    }
    if (cr.alert_threshold) host_turn(pkt);
    if (cr.alert_threshold &&
        !host_->allow(*cr.alert_threshold, ThresholdTable::rule_key(cr.rule.gid, cr.rule.sid), src,
                      dst, fr.flow != nullptr ? fr.flow->flow_id : 0, pkt.ts.sec)) {
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
