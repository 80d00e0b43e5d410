#include "detect/engine/detector.h"

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
namespace {

constexpr int kRecursionLimit = 3000;  // content/pcre retries per rule and packet
// base64_decode output per worker: what 64 KiB of base64 text decodes to, and then some.
constexpr std::size_t kBase64DecodeMax = 65536;

struct LowerTable {
  std::uint8_t v[256];
  constexpr LowerTable() : v() {
    for (int i = 0; i < 256; ++i) v[i] = static_cast<std::uint8_t>(i >= 'A' && i <= 'Z' ? i + 32 : i);
  }
};
constexpr LowerTable kLower;

struct HexDigitTable {
  std::int8_t v[256];
  constexpr HexDigitTable() : v() {
    for (int i = 0; i < 256; ++i) {
      v[i] = static_cast<std::int8_t>(i >= '0' && i <= '9'   ? i - '0'
                                      : i >= 'a' && i <= 'f' ? i - 'a' + 10
                                      : i >= 'A' && i <= 'F' ? i - 'A' + 10
                                                             : -1);
    }
  }
};
constexpr HexDigitTable kHexDigit;

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
  return std::visit(
      [](const auto& m) -> bool {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, ContentMatch>) {
          return m.relative();
        } else if constexpr (std::is_same_v<T, Bsize>) {
          return false;
        } else if constexpr (requires { m.read; }) {
          return m.read.relative;
        } else {
          return m.relative;
        }
      },
      it.match);
}

// Base64 alphabet (RFC 4648 section 4): value of each byte, -1 outside the alphabet.
struct Base64Table {
  std::int8_t v[256];
  constexpr Base64Table() : v() {
    for (int i = 0; i < 256; ++i) v[i] = -1;
    const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) v[static_cast<unsigned char>(a[i])] = static_cast<std::int8_t>(i);
  }
};
constexpr Base64Table kBase64;

// Suricata's relaxed base64 decoding (what base64_decode uses): groups of four characters, '='
// counting as a zero that takes one byte off its group; decoding stops at the first other
// character and drops the incomplete group before it; an incomplete group at the end of the
// input gives one byte less than it has characters. Writes at most `cap` bytes; returns the
// number written.
std::size_t base64_decode_relaxed(const std::uint8_t* in, std::size_t n, std::uint8_t* out,
                                  std::size_t cap) {
  std::uint8_t q[4] = {0, 0, 0, 0};
  int k = 0;
  int pad = 0;
  std::size_t w = 0;
  auto emit = [&](std::size_t count) {
    const std::uint8_t b[3] = {static_cast<std::uint8_t>(q[0] << 2 | q[1] >> 4),
                               static_cast<std::uint8_t>(q[1] << 4 | q[2] >> 2),
                               static_cast<std::uint8_t>(q[2] << 6 | q[3])};
    for (std::size_t j = 0; j < count && w < cap; ++j) out[w++] = b[j];
  };
  for (std::size_t i = 0; i < n; ++i) {
    int v = kBase64.v[in[i]];
    if (v < 0) {
      if (in[i] != '=') return w;
      ++pad;
      v = 0;
    }
    q[k++] = static_cast<std::uint8_t>(v);
    if (k == 4) {
      const std::size_t count = static_cast<std::size_t>(3 - std::min(pad, 3));
      if (w + count > cap) return w;
      emit(count);
      k = 0;
      pad = 0;
      q[0] = q[1] = q[2] = q[3] = 0;
    }
  }
  if (k > 0) emit(static_cast<std::size_t>(k - 1));
  return w;
}

// The number a byte_* keyword reads at `pos`: `nbytes` bytes, binary (big or little endian)
// or, with `string`, text converted as strtoull() does (leading spaces, a sign, "0x" for hex,
// then digits up to the first non-digit). False when the bytes are not all inside the buffer
// or hold no digits. `used`: bytes consumed (binary: nbytes; string: up to the last digit).
bool read_number(const ByteRead& r, const std::uint8_t* buf, std::size_t len, std::int64_t pos,
                 std::uint64_t& out, std::size_t& used) {
  if (pos < 0 || static_cast<std::uint64_t>(pos) > len) return false;
  const std::uint8_t* p = buf + pos;
  const std::size_t avail = len - static_cast<std::size_t>(pos);
  if (r.nbytes > avail) return false;
  if (r.base == 0) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < r.nbytes; ++i) {
      v = r.little_endian ? v | std::uint64_t{p[i]} << (8 * i) : v << 8 | p[i];
    }
    out = v;
    used = r.nbytes;
    return true;
  }
  const std::size_t n = r.nbytes != 0 ? r.nbytes : std::min<std::size_t>(avail, 23);
  std::size_t i = 0;
  while (i < n && (p[i] == ' ' || (p[i] >= '\t' && p[i] <= '\r'))) ++i;
  bool negative = false;
  if (i < n && (p[i] == '+' || p[i] == '-')) negative = p[i++] == '-';
  if (r.base == 16 && i + 2 < n && p[i] == '0' && (p[i + 1] | 0x20) == 'x' &&
      kHexDigit.v[p[i + 2]] >= 0) {
    i += 2;
  }
  const std::size_t digits = i;
  std::uint64_t v = 0;
  for (; i < n; ++i) {
    const int d = kHexDigit.v[p[i]];
    if (d < 0 || d >= r.base) break;
    if (v > (std::numeric_limits<std::uint64_t>::max() - static_cast<unsigned>(d)) / r.base) {
      return false;  // strtoull: ERANGE
    }
    v = v * r.base + static_cast<unsigned>(d);
  }
  if (i == digits) return false;
  out = negative ? 0 - v : v;
  used = i;
  return true;
}

std::uint64_t apply_bitmask(std::uint32_t mask, std::uint64_t v) {
  if (mask == 0) return v;
  v &= mask;
  return v == 0 ? 0 : v >> std::countr_zero(mask);
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

// What decided a pcre on a subject where PCRE2 stopped at its match limit.
// kScanError: Hyperscan's scan itself failed (counted as detect.hs_scan_error), undecided.
enum class Fallback : std::uint8_t { kMatch, kNoMatch, kUndecided, kScanError };

// Hyperscan in place of PCRE2 for a subject on which PCRE2 hit its match limit (or its depth,
// heap or JIT stack limit): Hyperscan runs automata, so a backtracking-heavy pattern on a
// crafted payload cannot hide a match from it (or invent one). A pattern's database is compiled
// here, on the worker, the first time that pattern hits the limit, and kept for the Detector's
// life; a pattern Hyperscan cannot compile (backreferences, lookaround, atomic groups, ...) is
// remembered so it is tried once. Compiling all pcres at load would cost seconds
// (ARCHITECTURE.md), and the limit is rarely hit. One per Detector: no locks.
class PcreFallback {
 public:
  PcreFallback() = default;
  PcreFallback(const PcreFallback&) = delete;
  PcreFallback& operator=(const PcreFallback&) = delete;
  ~PcreFallback() { hs_free_scratch(scratch_); }

  // Forgets every pattern (their pcre2_code belongs to a generation being left).
  void clear() {
    entries_.clear();
    hs_free_scratch(scratch_);
    scratch_ = nullptr;
  }

  // Decides `p` on data[0, len), scanned as a subject of its own. On kMatch, [start, end) is
  // the first match Hyperscan reports: the one that ends first, with its leftmost start (the
  // end, when Hyperscan can only report ends for the pattern). Allocates only the first time
  // `p` is seen.
  Fallback decide(const PcreMatch& p, const std::uint8_t* data, std::size_t len, std::size_t& start,
                  std::size_t& end) {
    const Entry& e = entry(p);
    if (!e.db || len > std::numeric_limits<unsigned>::max()) return Fallback::kUndecided;
    Hit hit{e.som && p.anchored_start, false, 0, 0};
    const hs_error_t rc = hs_scan(e.db.get(), reinterpret_cast<const char*>(data),
                                  static_cast<unsigned>(len), 0, scratch_, on_hit, &hit);
    if (rc != HS_SUCCESS && rc != HS_SCAN_TERMINATED) return Fallback::kScanError;
    if (!hit.found) return Fallback::kNoMatch;
    end = static_cast<std::size_t>(hit.to);
    start = e.som ? static_cast<std::size_t>(hit.from) : end;
    return Fallback::kMatch;
  }

 private:
  struct Entry {
    HsDatabasePtr db;  // null: Hyperscan cannot decide this pattern
    bool som = false;  // compiled with HS_FLAG_SOM_LEFTMOST (match starts are reported)
  };
  struct Hit {
    bool anchored;  // 'A': only a match starting at the subject's start counts
    bool found;
    unsigned long long from, to;
  };

  static int on_hit(unsigned int, unsigned long long from, unsigned long long to, unsigned int,
                    void* ctx) {
    auto* h = static_cast<Hit*>(ctx);
    if (h->anchored && from != 0) return 0;
    h->found = true;
    h->from = from;
    h->to = to;
    return 1;  // the first match decides: stop the scan
  }

  const Entry& entry(const PcreMatch& p) {
    auto [it, inserted] = entries_.try_emplace(p.code.get());
    if (inserted) it->second = compile(p);
    return it->second;
  }

  // The pattern with its PCRE2 options as Hyperscan flags. With SOM first; a pattern that
  // can match the empty string only compiles without it (its match ends are still exact).
  // Options without a Hyperscan equivalent leave the pattern undecided.
  Entry compile(const PcreMatch& p) {
    constexpr std::uint32_t kMapped = PCRE2_CASELESS | PCRE2_DOTALL | PCRE2_MULTILINE |
                                      PCRE2_EXTENDED | PCRE2_DOLLAR_ENDONLY | PCRE2_UNGREEDY |
                                      PCRE2_ANCHORED;
    if ((p.options & ~kMapped) != 0) return {};
    // Hyperscan's '$' also matches before a final newline; with 'E' PCRE2's does not.
    if ((p.options & PCRE2_DOLLAR_ENDONLY) != 0 && p.pattern.find('$') != std::string::npos) {
      return {};
    }
    // Greediness ('G') changes where a match ends, not whether there is one.
    unsigned flags = 0;
    if ((p.options & PCRE2_CASELESS) != 0) flags |= HS_FLAG_CASELESS;
    if ((p.options & PCRE2_DOTALL) != 0) flags |= HS_FLAG_DOTALL;
    if ((p.options & PCRE2_MULTILINE) != 0) flags |= HS_FLAG_MULTILINE;
    // 'x': inline, and a final newline ends a trailing comment (Hyperscan wants it ended).
    const std::string expr =
        (p.options & PCRE2_EXTENDED) != 0 ? "(?x)" + p.pattern + "\n" : p.pattern;
    Entry e;
    e.som = true;
    e.db = compile_one(expr, flags | HS_FLAG_SOM_LEFTMOST);
    if (!e.db && !p.anchored_start) {
      e.som = false;
      e.db = compile_one(expr, flags | HS_FLAG_ALLOWEMPTY);
    }
    return e;
  }

  HsDatabasePtr compile_one(const std::string& expr, unsigned flags) {
    hs_database_t* db = nullptr;
    hs_compile_error_t* error = nullptr;
    if (hs_compile(expr.c_str(), flags, HS_MODE_BLOCK, nullptr, &db, &error) != HS_SUCCESS) {
      hs_free_compile_error(error);
      return nullptr;
    }
    HsDatabasePtr owned(db);
    if (hs_alloc_scratch(db, &scratch_) != HS_SUCCESS) return nullptr;  // grows the scratch
    return owned;
  }

  std::unordered_map<const void*, Entry> entries_;  // by pcre2_code
  hs_scratch* scratch_ = nullptr;                   // fits every database in entries_
};

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

namespace {

struct InspectCtx {
  const std::uint8_t* buf;
  std::size_t len;
  std::int64_t base;     // stream offset of buf[0]: absolute positions are stream offsets
  std::size_t min_end;   // 0, or: the match must end after this index (new stream data)
  std::size_t last_positive;  // index of the last positive content/pcre item
  const std::vector<PayloadItem>* items;
  pcre2_match_data* md;
  pcre2_match_context* mctx;
  int* budget;
  std::uint64_t* vars;   // byte_extract/byte_math values, by slot
  std::uint8_t* base64;  // base64_decode output buffer
  std::size_t base64_cap;
  BufferId pass = kPktData;  // the buffer being inspected; items of others are skipped
  PcreFallback* pcre_fallback = nullptr;
  Counters* counters = nullptr;
  CounterId c_pcre_limit = 0;      // detect.pcre_match_limit
  CounterId c_pcre_undecided = 0;  // detect.pcre_match_limit_undecided
  CounterId c_hs_error = 0;        // detect.hs_scan_error
};

// A variable's value where a position or length is expected (saturated to int32, like the
// literal values).
std::int64_t var_value(const InspectCtx& cx, std::int8_t slot) {
  return static_cast<std::int64_t>(
      std::min<std::uint64_t>(cx.vars[slot], std::numeric_limits<std::int32_t>::max()));
}

// The outcome of inspecting items i.. : a match; a failure that no other position of an
// earlier item can change unless a later item is relative to it (kFail); or everything
// matched but, on a stream chunk, nothing reached the new data (kShort: a later occurrence
// of any earlier item may still help).
enum class Inspect : std::uint8_t { kMatch, kFail, kShort };

Inspect inspect_items(InspectCtx& cx, std::size_t i, std::size_t prev_end, std::size_t reach);

// Where a byte_* keyword reads: from the start of the buffer (the message's start on a
// stream), or after the previous match.
std::int64_t read_position(const InspectCtx& cx, const ByteRead& r, std::size_t prev_end) {
  const std::int64_t offset = r.offset_var != kNoVar ? var_value(cx, r.offset_var) : r.offset;
  return (r.relative ? static_cast<std::int64_t>(prev_end) : -cx.base) + offset;
}

// byte_test, byte_jump, byte_extract, byte_math, base64_decode and bsize at item i.
Inspect inspect_byte_item(InspectCtx& cx, std::size_t i, std::size_t prev_end, std::size_t reach) {
  const PayloadItem& item = (*cx.items)[i];
  std::uint64_t v = 0;
  std::size_t used = 0;
  if (const auto* t = std::get_if<ByteTest>(&item.match)) {
    if (!read_number(t->read, cx.buf, cx.len, read_position(cx, t->read, prev_end), v, used)) {
      return Inspect::kFail;
    }
    v = apply_bitmask(t->read.bitmask, v);
    const std::uint64_t value = t->value_var != kNoVar ? cx.vars[t->value_var] : t->value;
    bool ok = false;
    switch (t->op) {
      case ByteTest::Op::kLt:
        ok = v < value;
        break;
      case ByteTest::Op::kGt:
        ok = v > value;
        break;
      case ByteTest::Op::kEq:
        ok = v == value;
        break;
      case ByteTest::Op::kLe:
        ok = v <= value;
        break;
      case ByteTest::Op::kGe:
        ok = v >= value;
        break;
      case ByteTest::Op::kAnd:
        ok = (v & value) != 0;
        break;
      case ByteTest::Op::kXor:
        ok = (v ^ value) != 0;
        break;
    }
    return ok != t->negated ? inspect_items(cx, i + 1, prev_end, reach)  // the cursor stays
                            : Inspect::kFail;
  }
  if (const auto* j = std::get_if<ByteJump>(&item.match)) {
    const std::int64_t pos = read_position(cx, j->read, prev_end);
    if (!read_number(j->read, cx.buf, cx.len, pos, v, used)) return Inspect::kFail;
    v = apply_bitmask(j->read.bitmask, v) * j->multiplier;
    if (j->align && v % 4 != 0) v += 4 - v % 4;
    if (v > (std::uint64_t{1} << 40)) return Inspect::kFail;  // beyond any buffer
    const std::int64_t jump = static_cast<std::int64_t>(v) + j->post_offset;
    const std::int64_t len = static_cast<std::int64_t>(cx.len);
    const std::int64_t target = j->from_beginning ? jump - cx.base
                                : j->from_end     ? len + jump
                                                  : pos + static_cast<std::int64_t>(used) + jump;
    if (target < 0 || target >= len) return Inspect::kFail;  // Suricata: must land inside the buffer
    return inspect_items(cx, i + 1, static_cast<std::size_t>(target), reach);
  }
  if (const auto* e = std::get_if<ByteExtract>(&item.match)) {
    const std::int64_t pos = read_position(cx, e->read, prev_end);
    if (!read_number(e->read, cx.buf, cx.len, pos, v, used)) return Inspect::kFail;
    v *= e->multiplier;
    if (e->align != 0 && v % e->align != 0) v += e->align - v % e->align;
    cx.vars[e->var] = v;
    // Relative items that follow start after the extracted bytes.
    return inspect_items(cx, i + 1, static_cast<std::size_t>(pos) + used, reach);
  }
  if (const auto* m = std::get_if<ByteMath>(&item.match)) {
    const std::int64_t pos = read_position(cx, m->read, prev_end);
    if (!read_number(m->read, cx.buf, cx.len, pos, v, used)) return Inspect::kFail;
    const std::uint64_t r = m->rvalue_var != kNoVar ? cx.vars[m->rvalue_var] : m->rvalue;
    switch (m->oper) {
      case ByteMath::Oper::kAdd:
        v += r;
        break;
      case ByteMath::Oper::kSub:
        v -= r;
        break;
      case ByteMath::Oper::kMul:
        v *= r;
        break;
      case ByteMath::Oper::kDiv:
        if (r == 0) return Inspect::kFail;
        v /= r;
        break;
      case ByteMath::Oper::kShl:
        v = r < 64 ? v << r : 0;
        break;
      case ByteMath::Oper::kShr:
        v = r < 64 ? v >> r : 0;
        break;
    }
    cx.vars[m->result_var] = apply_bitmask(m->read.bitmask, v);  // Suricata masks the result
    return inspect_items(cx, i + 1, static_cast<std::size_t>(pos) + used, reach);
  }
  if (const auto* d = std::get_if<Base64Decode>(&item.match)) {
    std::size_t start = d->relative ? prev_end : 0;
    if (start > cx.len) return Inspect::kFail;
    std::size_t avail = cx.len - start;
    if (d->offset != 0) {
      if (d->offset >= avail) return Inspect::kFail;
      start += d->offset;
      avail -= d->offset;
    }
    const std::size_t n = d->bytes != 0 ? std::min<std::size_t>(avail, d->bytes) : avail;
    // On a stream, the decoded text has to reach into the new data.
    if (cx.min_end != 0 && std::max(reach, start + n) <= cx.min_end) return Inspect::kFail;
    const std::size_t decoded = base64_decode_relaxed(cx.buf + start, n, cx.base64, cx.base64_cap);
    if (decoded == 0) return Inspect::kFail;
    // As in Suricata the base64_data items are a terminal list: the rule matches when they
    // match the decoded data, whatever follows in the payload.
    InspectCtx sub = cx;
    sub.buf = cx.base64;
    sub.len = decoded;
    sub.pass = kBase64Data;
    sub.base = 0;  // positions in the decoded data are its own
    sub.min_end = 0;
    std::size_t first = i + 1;
    while (first < cx.items->size() && (*cx.items)[first].buffer != kBase64Data) ++first;
    if (first == cx.items->size()) return Inspect::kFail;  // nothing inspects the decoded data
    return inspect_items(sub, first, 0, 0);
  }
  const auto& b = std::get<Bsize>(item.match);
  return b.size.matches(static_cast<std::int64_t>(cx.len)) ? inspect_items(cx, i + 1, prev_end, reach)
                                                           : Inspect::kFail;
}

// Suricata's content inspection: items are matched in rule order; a relative item starts
// from where the previous positive match ended; when a later relative item fails, the
// previous content or pcre is retried at its next occurrence. `reach` is the furthest end
// of the positive matches so far; on a stream chunk it must pass cx.min_end (the match
// covers new data); when only that failed (kShort), later occurrences of earlier items are
// tried too.
Inspect inspect_items(InspectCtx& cx, std::size_t i, std::size_t prev_end, std::size_t reach) {
  if (i == cx.items->size()) {
    return cx.min_end == 0 || reach > cx.min_end ? Inspect::kMatch : Inspect::kShort;
  }
  if (--*cx.budget < 0) return Inspect::kFail;
  const PayloadItem& item = (*cx.items)[i];
  if (item.buffer != cx.pass) return inspect_items(cx, i + 1, prev_end, reach);
  const bool next_relative = i + 1 < cx.items->size() && item_is_relative((*cx.items)[i + 1]);
  // Whether another occurrence of this item can turn outcome `r` of the rest into a match.
  auto retry = [&](Inspect r) { return next_relative || r == Inspect::kShort; };

  if (const auto* c = std::get_if<ContentMatch>(&item.match)) {
    std::int64_t start = 0;
    std::int64_t end = static_cast<std::int64_t>(cx.len);
    if (c->relative()) {
      const std::int64_t distance =
          c->distance_var != kNoVar ? var_value(cx, c->distance_var) : c->distance.value_or(0);
      start = static_cast<std::int64_t>(prev_end) + distance;
      if (start < 0) start = 0;
      if (c->within) {
        const std::int64_t within =
            c->within_var != kNoVar ? var_value(cx, c->within_var) : *c->within;
        end = std::min(end, static_cast<std::int64_t>(prev_end) + distance + within);
      }
    } else {
      if (c->startswith) {
        start = -cx.base;
        end = std::min<std::int64_t>(end, static_cast<std::int64_t>(c->bytes.size()) - cx.base);
      }
      if (c->offset) start = (c->offset_var != kNoVar ? var_value(cx, c->offset_var) : *c->offset) - cx.base;
      if (c->depth) {
        end = std::min<std::int64_t>(
            end, start + (c->depth_var != kNoVar ? var_value(cx, c->depth_var) : *c->depth));
      }
      if (start < 0) start = 0;
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
      return found ? Inspect::kFail : inspect_items(cx, i + 1, prev_end, reach);
    }
    if (cx.min_end != 0 && i == cx.last_positive && reach <= cx.min_end) {
      // The last positive item has to end in the new data: skip the part it cannot.
      start = std::max<std::int64_t>(start, static_cast<std::int64_t>(cx.min_end + 1) -
                                                static_cast<std::int64_t>(c->bytes.size()));
    }
    if (start > end || start > static_cast<std::int64_t>(cx.len)) return Inspect::kFail;
    std::size_t from = static_cast<std::size_t>(start);
    Inspect last = Inspect::kFail;
    while (true) {
      long pos = find(cx.buf, from, static_cast<std::size_t>(end), c->bytes, c->nocase);
      if (pos < 0) return last;
      const std::size_t match_end = static_cast<std::size_t>(pos) + c->bytes.size();
      if (!c->endswith || match_end == cx.len) {
        last = inspect_items(cx, i + 1, match_end, std::max(reach, match_end));
        if (last == Inspect::kMatch || !retry(last) || --*cx.budget < 0) return last;
      }
      from = static_cast<std::size_t>(pos) + 1;
    }
  }

  if (const auto* p = std::get_if<PcreMatch>(&item.match)) {
    auto* code = static_cast<pcre2_code*>(p->code.get());
    // As in Suricata, a relative pcre's subject starts where the previous match ended, so '^'
    // (and 'A') anchor there.
    const std::size_t subj = p->relative ? prev_end : 0;
    if (subj > cx.len) return p->negated ? inspect_items(cx, i + 1, prev_end, reach) : Inspect::kFail;
    std::size_t from = 0;
    // 'A' is compiled into the pattern (PCRE2_ANCHORED) so the JIT code is used; passing it
    // again at match time would make PCRE2 fall back to the interpreter. On a stream window
    // that does not start at the message's start, '^' does not match at the window's start
    // and an anchored pattern cannot match there.
    const bool cut = cx.base > 0 && !p->relative;
    if (cut && p->anchored_start) {
      return p->negated ? inspect_items(cx, i + 1, prev_end, reach) : Inspect::kFail;
    }
    const std::uint32_t opts = cut ? PCRE2_NOTBOL : 0;
    // Once PCRE2 stopped at a limit on this subject, Hyperscan decides the remaining tries.
    bool limited = false;
    Inspect last = Inspect::kFail;
    while (true) {
      Fallback outcome = Fallback::kNoMatch;
      std::size_t m_start = 0, m_end = 0;
      if (!limited) {
        const int rc = pcre2_match(code, cx.buf + subj, cx.len - subj, from, opts, cx.md, cx.mctx);
        if (rc >= 0) {
          const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(cx.md);
          outcome = Fallback::kMatch;
          m_start = subj + ov[0];
          m_end = subj + ov[1];
        } else if (rc != PCRE2_ERROR_NOMATCH) {
          // A limit (match, depth, heap, JIT stack) or another error: not a "no match".
          cx.counters->inc(cx.c_pcre_limit);
          limited = true;
        }
      }
      if (limited) {
        std::size_t s = 0, e = 0;
        outcome = cx.pcre_fallback->decide(*p, cx.buf + subj + from, cx.len - subj - from, s, e);
        m_start = subj + from + s;
        m_end = subj + from + e;
      }
      if (outcome == Fallback::kScanError) {
        cx.counters->inc(cx.c_hs_error);
        outcome = Fallback::kUndecided;
      }
      if (outcome == Fallback::kUndecided) {
        // Neither form may match on a subject nobody could decide.
        cx.counters->inc(cx.c_pcre_undecided);
        return p->negated ? Inspect::kFail : last;
      }
      if (outcome == Fallback::kNoMatch) {
        return p->negated ? inspect_items(cx, i + 1, prev_end, reach) : last;
      }
      if (p->negated) return Inspect::kFail;
      last = inspect_items(cx, i + 1, m_end, std::max(reach, m_end));
      if (last == Inspect::kMatch || !retry(last) || --*cx.budget < 0 || m_start + 1 > cx.len) {
        return last;
      }
      from = m_start + 1 - subj;
    }
  }

  const auto* dp = std::get_if<IsDataAt>(&item.match);
  if (dp == nullptr) return inspect_byte_item(cx, i, prev_end, reach);
  const IsDataAt& d = *dp;
  const std::size_t size = static_cast<std::size_t>(d.size_var != kNoVar ? var_value(cx, d.size_var)
                                                                         : std::max(d.size, 0));
  bool has;
  if (d.relative) {
    has = prev_end + size <= cx.len;  // Suricata: N bytes remain after the previous match
  } else {
    has = static_cast<std::int64_t>(size) < static_cast<std::int64_t>(cx.len) + cx.base;
  }
  if (has == d.negated) return Inspect::kFail;
  return inspect_items(cx, i + 1, prev_end, reach);
}

}  // namespace

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
  const FlowMatch& fm = r.flow;
  if (fm.to_server && !fr.to_server) return false;
  if (fm.to_client && fr.to_server) return false;
  if (fm.established && !fr.established) return false;
  if (fm.not_established && fr.established) return false;
  for (const HeaderTest& t : r.header) {
    if (!t.matches(pkt)) return false;
  }
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
  if (!r.payload.empty() && !verify_payload(cr, buf)) return false;
  // Host state last: its lookups lock a shard, so only rules that hold otherwise pay for it.
  for (const CompiledXbits& xb : cr.xbit_checks) {
    const bool set = host_->xbit_is_set(xbit_key(xb, pkt, buf.reversed), pkt.ts.micros());
    if (set != (xb.cmd == XbitsOp::Cmd::kIsSet)) return false;
  }
  return true;
}

bool Detector::verify_payload(const CompiledRule& cr, const Input& buf) {
  const Rule& r = cr.rule;
  s_->budget = kRecursionLimit;
  InspectCtx cx{buf.data.data(), buf.data.size(), static_cast<std::int64_t>(buf.base),
                buf.new_from,     cr.last_positive, &r.payload,
                s_->md,           s_->mctx,         &s_->budget,
                s_->vars.data(),  s_->base64.data(), s_->base64.size()};
  cx.pcre_fallback = &s_->pcre_fallback;
  cx.counters = &counters_;
  cx.c_pcre_limit = c_pcre_limit_;
  cx.c_pcre_undecided = c_pcre_undecided_;
  cx.c_hs_error = c_hs_error_;
  const bool ok = inspect_items(cx, 0, 0, 0) == Inspect::kMatch;
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
  for (const CompiledXbits& xb : cr.xbit_actions) {
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
    if (find(buf.data.data(), from, len, c->bytes, c->nocase) >= 0) return true;
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
  const RuleGroup& g = rules_->group(pc, fr.to_server);
  std::size_t matched = scan(g, pkt.payload);
  for (std::size_t i = 0; i < matched; ++i) consider_pattern(g, matched_patterns_[i], pkt, fr, buf);
  for (std::uint32_t idx : g.no_content) consider(idx, pkt, fr, buf);
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
    if (cr.alert_threshold &&
        !host_->allow(*cr.alert_threshold, ThresholdTable::rule_key(cr.rule.gid, cr.rule.sid), src,
                      dst, pkt.ts.sec)) {
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
