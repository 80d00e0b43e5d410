// Payload verification (private to engine/): a rule's payload items run in rule order on
// one buffer (any row of the buffer table: the packet payload, a stream message, the
// base64_decode output, later the app-layer buffers) with Suricata's cursor semantics, PCRE2
// for pcre with Hyperscan deciding where PCRE2 stops at a limit. Called by the Detector on
// its worker thread, with the worker's scratch; never allocates except a pcre's Hyperscan
// fallback database, once per pattern per worker (README "pcre and PCRE2's match limit").
#pragma once

#define PCRE2_CODE_UNIT_WIDTH 8
#include <hs/hs.h>
#include <pcre2.h>

#include <cstdint>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/counters.h"
#include "detect/compile/hs_cache.h"
#include "detect/rules/rule.h"

namespace wp::detect::inspect {

constexpr int kRecursionLimit = 3000;  // content/pcre retries per rule and packet
// base64_decode output per worker: what 64 KiB of base64 text decodes to, and then some.
constexpr std::size_t kBase64DecodeMax = 65536;

// First occurrence of `pat` in hay[from, to), or -1.
long find(const std::uint8_t* hay, std::size_t from, std::size_t to, const std::string& pat,
          bool nocase);

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

struct InspectCtx {
  const std::uint8_t* buf;
  std::size_t len;
  std::int64_t base;          // stream offset of buf[0]: absolute positions are stream offsets
  std::size_t min_end;        // 0, or: the match must end after this index (new stream data)
  std::size_t last_positive;  // index of the last positive content/pcre item
  const std::vector<PayloadItem>* items;
  pcre2_match_data* md;
  pcre2_match_context* mctx;
  int* budget;
  std::uint64_t* vars;   // byte_extract/byte_math values, by slot
  std::uint8_t* base64;  // base64_decode output buffer
  std::size_t base64_cap;
  BufferId pass = kPktData;  // the buffer being inspected; items of others are skipped
  std::uint8_t pass_chain = 0;  // and its transform chain (items of other chains are skipped)
  PcreFallback* pcre_fallback = nullptr;
  Counters* counters = nullptr;
  CounterId c_pcre_limit = 0;      // detect.pcre_match_limit
  CounterId c_pcre_undecided = 0;  // detect.pcre_match_limit_undecided
  CounterId c_hs_error = 0;        // detect.hs_scan_error
  // The outcome of the items depends only on the cursor (no variables, not a stream chunk):
  // contents may report Inspect::kExhausted.
  bool cursor_only = false;
};

// The outcome of inspecting items i.. : a match; a failure that no other position of an
// earlier item can change unless a later item is relative to it (kFail); or everything
// matched but, on a stream chunk, nothing reached the new data (kShort: a later occurrence
// of any earlier item may still help); or a failure from this cursor and from every later
// one (kExhausted), so an earlier content need not try its later occurrences, which only
// move the cursor further.
//
// kExhausted holds only in a rule whose items depend on nothing but the cursor (no
// variables: CompiledRule::sets_vars) outside stream chunks (whose matches must reach the
// new data). A positive content reports it when none of its occurrences from the cursor led
// to a match and its range cannot grow with the cursor (no within), or when the items after
// one of its occurrences reported it: a later cursor's first occurrence is never before
// this cursor's first, the ones tried failed whatever the cursor, and the later ones end
// where the rest fails. It passes back through the items that keep the cursor (negated
// contents, isdataat, byte_test, bsize, other buffers' items) and stops at one that moves
// it in a way that need not grow with it (pcre, byte_jump, base64_decode), which read it as
// kFail. Without it, `content:"a"; content:"b"; distance:0;` on a body of N "a"s and no "b"
// searches the rest of the body N times (up to the recursion limit); with it, once.
enum class Inspect : std::uint8_t { kMatch, kFail, kShort, kExhausted };

// Runs items i.. of cx.items from cursor `prev_end`; `reach`: the furthest end of the
// positive matches so far (stream chunks: must pass cx.min_end).
Inspect inspect_items(InspectCtx& cx, std::size_t i, std::size_t prev_end, std::size_t reach);

}  // namespace wp::detect::inspect
