#include "detect/engine/payload_inspect.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace wp::detect::inspect {
namespace {

struct LowerTable {
  std::uint8_t v[256];
  constexpr LowerTable() : v() {
    for (int i = 0; i < 256; ++i)
      v[i] = static_cast<std::uint8_t>(i >= 'A' && i <= 'Z' ? i + 32 : i);
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

// A variable's value where a position or length is expected (saturated to int32, like the
// literal values).
std::int64_t var_value(const InspectCtx& cx, std::int8_t slot) {
  return static_cast<std::int64_t>(
      std::min<std::uint64_t>(cx.vars[slot], std::numeric_limits<std::int32_t>::max()));
}

// Where a byte_* keyword reads: from the start of the buffer (the message's start on a
// stream), or after the previous match.
std::int64_t read_position(const InspectCtx& cx, const ByteRead& r, std::size_t prev_end) {
  const std::int64_t offset = r.offset_var != kNoVar ? var_value(cx, r.offset_var) : r.offset;
  return (r.relative ? static_cast<std::int64_t>(prev_end) : -cx.base) + offset;
}

// The read with its byte count resolved: a count from a variable (byte_jump, byte_math)
// outside 1..max_nbytes() makes the keyword fail, so no read goes past what the keyword
// could name literally.
bool resolve_count(const InspectCtx& cx, const ByteRead& r, ByteRead& out) {
  out = r;
  if (r.nbytes_var == kNoVar) return true;
  const std::uint64_t n = cx.vars[r.nbytes_var];
  if (n == 0 || n > r.max_nbytes()) return false;
  out.nbytes = static_cast<std::uint8_t>(n);
  return true;
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
    ByteRead read;
    if (!resolve_count(cx, j->read, read)) return Inspect::kFail;
    const std::int64_t pos = read_position(cx, read, prev_end);
    if (!read_number(read, cx.buf, cx.len, pos, v, used)) return Inspect::kFail;
    v = apply_bitmask(j->read.bitmask, v) * j->multiplier;
    if (j->align && v % 4 != 0) v += 4 - v % 4;
    if (v > (std::uint64_t{1} << 40)) return Inspect::kFail;  // beyond any buffer
    const std::int64_t jump = static_cast<std::int64_t>(v) + j->post_offset;
    const std::int64_t len = static_cast<std::int64_t>(cx.len);
    const std::int64_t target = j->from_beginning ? jump - cx.base
                                : j->from_end     ? len + jump
                                                  : pos + static_cast<std::int64_t>(used) + jump;
    if (target < 0 || target >= len)
      return Inspect::kFail;  // Suricata: must land inside the buffer
    // Where the jump lands does not grow with the cursor.
    const Inspect rest = inspect_items(cx, i + 1, static_cast<std::size_t>(target), reach);
    return rest == Inspect::kExhausted ? Inspect::kFail : rest;
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
    ByteRead read;
    if (!resolve_count(cx, m->read, read)) return Inspect::kFail;
    const std::int64_t pos = read_position(cx, read, prev_end);
    if (!read_number(read, cx.buf, cx.len, pos, v, used)) return Inspect::kFail;
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
    sub.pass_chain = 0;
    sub.base = 0;  // positions in the decoded data are its own
    sub.min_end = 0;
    std::size_t first = i + 1;
    while (first < cx.items->size() && (*cx.items)[first].buffer != kBase64Data) ++first;
    if (first == cx.items->size()) return Inspect::kFail;  // nothing inspects the decoded data
    // Exhausted in the decoded data says nothing of other cursors in this buffer.
    const Inspect decoded_result = inspect_items(sub, first, 0, 0);
    return decoded_result == Inspect::kExhausted ? Inspect::kFail : decoded_result;
  }
  const auto& b = std::get<Bsize>(item.match);
  return b.size.matches(static_cast<std::int64_t>(cx.len))
             ? inspect_items(cx, i + 1, prev_end, reach)
             : Inspect::kFail;
}

}  // namespace

// First occurrence of `pat` in hay[from, to), or -1. Candidates are the positions where the
// pattern's first and last bytes both occur (ASCII letters in either case with `nocase`),
// 16 positions at a time with SSE2; only those are compared in full.
long find(const std::uint8_t* hay, std::size_t from, std::size_t to, const std::string& pat,
          bool nocase) {
  const std::size_t n = pat.size();
  if (to < from || to - from < n) return -1;
  if (n == 0) return static_cast<long>(from);
  const auto* p = reinterpret_cast<const std::uint8_t*>(pat.data());
  // A letter compared without case: OR 0x20 maps 'A'..'Z' onto 'a'..'z' and no other byte
  // onto a lowercase letter.
  auto fold = [nocase](std::uint8_t b) -> std::uint8_t {
    const int lower = b | 0x20;
    return nocase && lower >= 'a' && lower <= 'z' ? 0x20 : 0;
  };
  const std::uint8_t fold_first = fold(p[0]), fold_last = fold(p[n - 1]);
  const std::uint8_t first = p[0] | fold_first, last = p[n - 1] | fold_last;
  auto middle_equal = [&](const std::uint8_t* at) {
    if (n <= 2) return true;
    if (!nocase) return std::memcmp(at + 1, p + 1, n - 2) == 0;
    for (std::size_t j = 1; j + 1 < n; ++j) {
      if (kLower.v[at[j]] != kLower.v[p[j]]) return false;
    }
    return true;
  };
  const std::size_t last_start = to - n;  // the last position the pattern can start at
  std::size_t i = from;
#if defined(__SSE2__)
  const __m128i v_first = _mm_set1_epi8(static_cast<char>(first));
  const __m128i v_last = _mm_set1_epi8(static_cast<char>(last));
  const __m128i m_first = _mm_set1_epi8(static_cast<char>(fold_first));
  const __m128i m_last = _mm_set1_epi8(static_cast<char>(fold_last));
  // Positions i..i+15 are all starts; the last bytes' load ends at last_start + n - 1 < to.
  while (i <= last_start && last_start - i >= 15) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(hay + i));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(hay + i + n - 1));
    const __m128i eq = _mm_and_si128(_mm_cmpeq_epi8(_mm_or_si128(a, m_first), v_first),
                                     _mm_cmpeq_epi8(_mm_or_si128(b, m_last), v_last));
    auto bits = static_cast<unsigned>(_mm_movemask_epi8(eq));
    while (bits != 0) {
      const std::size_t at = i + static_cast<std::size_t>(std::countr_zero(bits));
      if (middle_equal(hay + at)) return static_cast<long>(at);
      bits &= bits - 1;
    }
    i += 16;
  }
#endif
  for (; i <= last_start; ++i) {
    if ((hay[i] | fold_first) == first && (hay[i + n - 1] | fold_last) == last &&
        middle_equal(hay + i)) {
      return static_cast<long>(i);
    }
  }
  return -1;
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
  if (item.buffer != cx.pass || item.chain != cx.pass_chain) {
    return inspect_items(cx, i + 1, prev_end, reach);
  }
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
      if (c->offset)
        start = (c->offset_var != kNoVar ? var_value(cx, c->offset_var) : *c->offset) - cx.base;
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
    // A later cursor can only shrink this content's range [start, end): see kExhausted.
    const bool shrinks = cx.cursor_only && !c->within && c->distance_var == kNoVar &&
                         c->offset_var == kNoVar && c->depth_var == kNoVar;
    const Inspect none_left = shrinks ? Inspect::kExhausted : Inspect::kFail;
    if (start > end || start > static_cast<std::int64_t>(cx.len)) return none_left;
    std::size_t from = static_cast<std::size_t>(start);
    Inspect last = none_left;
    while (true) {
      long pos = find(cx.buf, from, static_cast<std::size_t>(end), c->bytes, c->nocase);
      // Every occurrence from `start` was tried (kFail, kExhausted) or there was none.
      if (pos < 0) return last == Inspect::kFail ? none_left : last;
      const std::size_t match_end = static_cast<std::size_t>(pos) + c->bytes.size();
      if (!c->endswith || match_end == cx.len) {
        last = inspect_items(cx, i + 1, match_end, std::max(reach, match_end));
        // Every occurrence from a later cursor is this one, one already tried, or one that
        // ends later, where the rest fails too.
        if (last == Inspect::kExhausted) return Inspect::kExhausted;
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
    if (subj > cx.len)
      return p->negated ? inspect_items(cx, i + 1, prev_end, reach) : Inspect::kFail;
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
      // A later match of the pattern may end earlier than this one.
      if (last == Inspect::kExhausted) last = Inspect::kFail;
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

}  // namespace wp::detect::inspect
