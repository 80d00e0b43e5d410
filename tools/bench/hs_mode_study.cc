#include "hs_mode_study.h"

#include <hs/hs.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <unordered_map>
#include <variant>

namespace wp::bench {
namespace {

// The stream group's fast patterns in pattern-id order, as RuleSet::build and compile_group
// (detect/rule_set.cc) derive them: the rules inspected on the stream that have a fast
// pattern and may see this direction, each pattern (bytes, nocase) once, numbered in order
// of first use.
struct Pattern {
  std::string bytes;
  bool nocase;
  bool operator==(const Pattern&) const = default;
};
struct PatternHash {
  std::size_t operator()(const Pattern& p) const {
    return std::hash<std::string>()(p.bytes) ^ p.nocase;
  }
};

std::vector<Pattern> stream_patterns(const detect::RuleSet& rules, bool to_server) {
  std::unordered_map<Pattern, std::uint32_t, PatternHash> ids;
  std::vector<Pattern> out;
  for (const detect::CompiledRule& cr : rules.rules()) {
    if (!cr.stream || cr.fast_pattern < 0) continue;
    if (to_server && cr.rule.flow.to_client) continue;
    if (!to_server && cr.rule.flow.to_server) continue;
    const auto& c = std::get<detect::ContentMatch>(cr.rule.payload[cr.fast_pattern].match);
    Pattern p{detect::RuleSet::fast_pattern_bytes(cr), c.nocase};
    if (ids.emplace(p, static_cast<std::uint32_t>(out.size())).second) out.push_back(std::move(p));
  }
  return out;
}

// Without HS_FLAG_SINGLEMATCH: in streaming mode a pattern would otherwise be reported once
// per stream, not once per chunk, and a rule whose fast pattern recurs in later data would
// not be reconsidered; in block mode the one report could be an occurrence in the overlap
// that hides one in the new bytes.
hs_database_t* compile_db(const std::vector<Pattern>& patterns, unsigned mode) {
  if (patterns.empty()) return nullptr;
  std::vector<const char*> exprs;
  std::vector<std::size_t> lens;
  std::vector<unsigned> flags, ids;
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    exprs.push_back(patterns[i].bytes.data());
    lens.push_back(patterns[i].bytes.size());
    flags.push_back(patterns[i].nocase ? HS_FLAG_CASELESS : 0u);
    ids.push_back(static_cast<unsigned>(i));
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(),
                           static_cast<unsigned>(exprs.size()), mode, nullptr, &db,
                           &err) != HS_SUCCESS) {
    std::fprintf(stderr, "watchpost-bench: Hyperscan compile failed: %s\n",
                 err != nullptr && err->message != nullptr ? err->message : "unknown error");
    hs_free_compile_error(err);
    return nullptr;
  }
  return db;
}

// The match callbacks do what the sensor's does (append id and end to a fixed array), plus
// counting. Streaming mode reports every occurrence, so it also drops repeats of a pattern
// within one chunk (the sensor would have to, to keep the array bounded).
struct MatchSink {
  std::uint32_t* ids;
  std::uint32_t* ends;
  std::uint32_t* seen;  // streaming: pattern id -> chunk epoch of its last report
  std::uint32_t epoch = 0;
  std::size_t n = 0;
  std::uint64_t overlap = 0;  // block: reports ending at or before this are in old data
  std::uint64_t reports = 0;
  std::uint64_t in_new = 0;  // block: reports ending in new data; streaming: distinct per chunk
};

int on_block_match(unsigned id, unsigned long long, unsigned long long to, unsigned, void* ctx) {
  auto* s = static_cast<MatchSink*>(ctx);
  s->ids[s->n] = id;
  s->ends[s->n++] = static_cast<std::uint32_t>(to);
  ++s->reports;
  if (to > s->overlap) ++s->in_new;
  return 0;
}

// Block mode over overlap + new without SINGLEMATCH: only occurrences ending in the new
// bytes count, once per pattern and chunk.
int on_block_new_match(unsigned id, unsigned long long, unsigned long long to, unsigned,
                       void* ctx) {
  auto* s = static_cast<MatchSink*>(ctx);
  ++s->reports;
  if (to <= s->overlap || s->seen[id] == s->epoch) return 0;
  s->seen[id] = s->epoch;
  s->ids[s->n] = id;
  s->ends[s->n++] = static_cast<std::uint32_t>(to);
  ++s->in_new;
  return 0;
}

int on_stream_match(unsigned id, unsigned long long, unsigned long long to, unsigned, void* ctx) {
  auto* s = static_cast<MatchSink*>(ctx);
  ++s->reports;
  if (s->seen[id] == s->epoch) return 0;
  s->seen[id] = s->epoch;
  s->ids[s->n] = id;
  s->ends[s->n++] = static_cast<std::uint32_t>(to);
  ++s->in_new;
  return 0;
}

}  // namespace

int hs_mode_study(const StreamTrace& trace, const detect::RuleSet& rules, int repeat) {
  const hs_database_t* block_db[2] = {rules.stream_group(true).db.get(),
                                      rules.stream_group(false).db.get()};
  hs_database_t* stream_db[2] = {nullptr, nullptr};
  hs_database_t* all_db[2] = {nullptr, nullptr};  // block mode, every occurrence
  std::size_t max_patterns = 1;
  for (int d = 0; d < 2; ++d) {
    const detect::RuleGroup& g = rules.stream_group(d == 0);
    const auto patterns = stream_patterns(rules, d == 0);
    std::size_t max_len = 0;
    for (const Pattern& p : patterns) max_len = std::max(max_len, p.bytes.size());
    if (patterns.size() != g.patterns() || max_len != g.max_pattern_len) {
      std::fprintf(stderr,
                   "watchpost-bench: stream group %d: %zu patterns (max %zu bytes) rebuilt, the "
                   "rule set has %zu (max %zu)\n",
                   d, patterns.size(), max_len, g.patterns(), g.max_pattern_len);
      return 1;
    }
    max_patterns = std::max(max_patterns, patterns.size() + 1);
    stream_db[d] = compile_db(patterns, HS_MODE_STREAM);
    all_db[d] = compile_db(patterns, HS_MODE_BLOCK);
    if (!patterns.empty() && (stream_db[d] == nullptr || all_db[d] == nullptr)) return 1;
  }

  hs_scratch_t* scratch = nullptr;
  for (int d = 0; d < 2; ++d) {
    if (block_db[d] != nullptr) hs_alloc_scratch(block_db[d], &scratch);
    if (stream_db[d] != nullptr) hs_alloc_scratch(stream_db[d], &scratch);
    if (all_db[d] != nullptr) hs_alloc_scratch(all_db[d], &scratch);
  }
  std::vector<std::uint32_t> ids(max_patterns), ends(max_patterns), seen(max_patterns, 0);

  // (a) block mode, overlap + new bytes; (a0) block mode, new bytes only.
  auto run_block = [&](bool with_overlap, MatchSink& sink) {
    for (const StreamTrace::Event& e : trace.events) {
      if (e.close) continue;
      const hs_database_t* db = block_db[e.to_server ? 0 : 1];
      if (db == nullptr) continue;
      const std::uint32_t skip = with_overlap ? 0 : e.overlap;
      if (e.length == skip) continue;
      sink.n = 0;
      sink.overlap = e.overlap - skip;
      hs_scan(db, reinterpret_cast<const char*>(trace.bytes.data() + e.offset + skip),
              e.length - skip, 0, scratch, on_block_match, &sink);
    }
  };
  // (a2) block mode, overlap + new, every occurrence, those in the overlap dropped.
  auto run_block_all = [&](MatchSink& sink) {
    for (const StreamTrace::Event& e : trace.events) {
      if (e.close) continue;
      const hs_database_t* db = all_db[e.to_server ? 0 : 1];
      if (db == nullptr || e.length == e.overlap) continue;
      if (++sink.epoch == 0) {
        std::fill(seen.begin(), seen.end(), 0);
        sink.epoch = 1;
      }
      sink.n = 0;
      sink.overlap = e.overlap;
      hs_scan(db, reinterpret_cast<const char*>(trace.bytes.data() + e.offset), e.length, 0,
              scratch, on_block_new_match, &sink);
    }
  };
  // (b) streaming mode: state per flow direction from its first chunk to its close.
  std::vector<hs_stream_t*> streams(trace.directions, nullptr);
  auto run_stream = [&](MatchSink& sink) {
    for (const StreamTrace::Event& e : trace.events) {
      hs_stream_t*& s = streams[e.dir];
      if (e.close) {
        if (s != nullptr) hs_close_stream(s, scratch, on_stream_match, &sink);
        s = nullptr;
        continue;
      }
      const hs_database_t* db = stream_db[e.to_server ? 0 : 1];
      if (db == nullptr || e.length == e.overlap) continue;
      if (s == nullptr && hs_open_stream(db, 0, &s) != HS_SUCCESS) continue;
      if (++sink.epoch == 0) {
        std::fill(seen.begin(), seen.end(), 0);
        sink.epoch = 1;
      }
      sink.n = 0;
      hs_scan_stream(s, reinterpret_cast<const char*>(trace.bytes.data() + e.offset + e.overlap),
                     e.length - e.overlap, 0, scratch, on_stream_match, &sink);
    }
  };

  // The four run in turn, `repeat` rounds; per round each is compared with (a) of the same
  // round (the median of those ratios is reported), times are the best of the rounds.
  double t_a = 1e30, t_a0 = 1e30, t_a2 = 1e30, t_b = 1e30;
  std::vector<double> r_a0, r_a2, r_b;
  MatchSink a{ids.data(), ends.data(), seen.data()}, a0 = a, a2 = a, b = a;
  for (int r = 0; r < repeat; ++r) {
    a = MatchSink{ids.data(), ends.data(), seen.data()};
    a0 = a;
    a2 = a;
    b = a;
    auto t = Clock::now();
    run_block(true, a);
    const double ta = seconds_since(t);
    t = Clock::now();
    run_block(false, a0);
    const double ta0 = seconds_since(t);
    std::fill(seen.begin(), seen.end(), 0);
    t = Clock::now();
    run_block_all(a2);
    const double ta2 = seconds_since(t);
    std::fill(seen.begin(), seen.end(), 0);
    t = Clock::now();
    run_stream(b);
    const double tb = seconds_since(t);
    t_a = std::min(t_a, ta);
    t_a0 = std::min(t_a0, ta0);
    t_a2 = std::min(t_a2, ta2);
    t_b = std::min(t_b, tb);
    r_a0.push_back(ta0 / ta);
    r_a2.push_back(ta2 / ta);
    r_b.push_back(tb / ta);
  }

  std::size_t stream_size[2] = {0, 0}, block_db_size[2] = {0, 0}, stream_db_size[2] = {0, 0};
  for (int d = 0; d < 2; ++d) {
    if (stream_db[d] != nullptr) {
      hs_stream_size(stream_db[d], &stream_size[d]);
      hs_database_size(stream_db[d], &stream_db_size[d]);
    }
    if (block_db[d] != nullptr) hs_database_size(block_db[d], &block_db_size[d]);
  }
  std::size_t scratch_size = 0;
  hs_scratch_size(scratch, &scratch_size);

  const double nb = static_cast<double>(trace.new_bytes);
  const std::size_t per_flow = stream_size[0] + stream_size[1];
  std::printf(
      "\nHyperscan mode study (stream groups: %zu to_server / %zu to_client literal patterns, "
      "longest %zu / %zu bytes)\n",
      rules.stream_group(true).patterns(), rules.stream_group(false).patterns(),
      rules.stream_group(true).max_pattern_len, rules.stream_group(false).max_pattern_len);
  std::printf(
      "  trace: %llu chunks, %.1f MB new stream bytes, %.1f MB overlap (+%.1f%%), %u flow "
      "directions, at most %zu open at once (%zu sessions)\n",
      static_cast<unsigned long long>(trace.chunks), nb / 1e6,
      static_cast<double>(trace.overlap_bytes) / 1e6,
      nb > 0 ? 100.0 * static_cast<double>(trace.overlap_bytes) / nb : 0.0, trace.directions,
      trace.peak_open_directions, trace.peak_sessions);
  std::printf(
      "  memory: hs_stream_size %zu B to_server + %zu B to_client = %zu B per flow;"
      " %.2f MiB for the %zu directions open at once; %.0f MiB for 1M flows\n",
      stream_size[0], stream_size[1], per_flow,
      static_cast<double>(trace.peak_open_directions) * static_cast<double>(per_flow) / 2 / kMiB,
      trace.peak_open_directions, 1e6 * static_cast<double>(per_flow) / kMiB);
  std::printf(
      "  databases: block %.2f + %.2f MiB, streaming %.2f + %.2f MiB; scratch %.2f MiB\n",
      static_cast<double>(block_db_size[0]) / kMiB, static_cast<double>(block_db_size[1]) / kMiB,
      static_cast<double>(stream_db_size[0]) / kMiB, static_cast<double>(stream_db_size[1]) / kMiB,
      static_cast<double>(scratch_size) / kMiB);
  std::vector<double> one{1.0};
  auto row = [&](const char* name, double t, std::vector<double>& ratios, const MatchSink& s,
                 const char* what) {
    std::sort(ratios.begin(), ratios.end());
    std::printf(
        "  %-38s %7.3f s  %5.2f ns/new byte  %5.0f Mbit/s  time / (a) %.2f (%.2f .. %.2f)  %llu "
        "reports, %llu %s\n",
        name, t, nb > 0 ? t * 1e9 / nb : 0.0, nb * 8 / 1e6 / t, ratios[ratios.size() / 2],
        ratios.front(), ratios.back(), static_cast<unsigned long long>(s.reports),
        static_cast<unsigned long long>(s.in_new), what);
  };
  row("(a) block, overlap + new (the sensor)", t_a, one, a, "ending in new bytes");
  row("(a0) block, new bytes only (misses)", t_a0, r_a0, a0, "ending in new bytes");
  row("(a2) block, overlap + new, all matches", t_a2, r_a2, a2, "distinct in new bytes");
  row("(b) streaming, new bytes, open/close", t_b, r_b, b, "distinct per chunk");

  for (hs_stream_t* s : streams) {
    if (s != nullptr) hs_close_stream(s, nullptr, nullptr, nullptr);
  }
  hs_free_scratch(scratch);
  for (hs_database_t* db : stream_db) hs_free_database(db);
  for (hs_database_t* db : all_db) hs_free_database(db);
  return 0;
}

}  // namespace wp::bench
