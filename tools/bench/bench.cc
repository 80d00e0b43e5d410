// watchpost-bench: measures the offline pipeline next to a baseline measured in the same run.
//  - default (-r): the capture held in memory through the Worker, against a ceiling:
//    Hyperscan alone scanning every payload byte once with the same databases (packet group,
//    and stream group for TCP). Prints packets/s, Mbit/s, the ratio to the ceiling, time
//    share per stage, stream counters, bytes scanned per group, rule load time and memory.
//  - --flows N: N concurrent TCP flows generated in memory (flows_bench.h).
//  - --hs-mode-study (-r): Hyperscan block mode with overlap against streaming mode on the
//    capture's reassembled streams (hs_mode_study.h).
// Only the measured loops are timed; loading and generation are not.
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "app/config.h"
#include "app/worker.h"
#include "bench_util.h"
#include "detect/compile/rule_loader.h"
#include "flows_bench.h"
#include "flat_scan.h"
#include "hs_mode_study.h"
#include "stream_trace.h"

namespace {

using wp::bench::Clock;
using wp::bench::kMiB;
using wp::bench::seconds_since;

int usage() {
  std::fputs(
      "usage: watchpost-bench -r FILE.pcap [-r ...] --rules FILE|DIR [--rules ...] [--set "
      "KEY=VALUE ...]\n"
      "                       [--repeat N] [--hs-mode-study | --flat-scan]\n"
      "       watchpost-bench --flows N --rules FILE|DIR [--set KEY=VALUE ...]\n"
      "                       [--request-bytes B] [--response-bytes B]\n"
      "Runs the offline pipeline (decode, flow, stream, detect, alert rendering) on the capture\n"
      "held in memory and compares it with Hyperscan alone scanning the same payloads.\n"
      "--hs-mode-study: instead, compares Hyperscan block mode (chunk + overlap) with streaming\n"
      "mode on the capture's reassembled TCP streams.\n"
      "--flows N: instead, N concurrent TCP flows generated in memory: flows/s and memory.\n"
      "--flat-scan: instead, the flat scan baseline (libpcap reads, one Hyperscan database\n"
      "  with each loaded rule's fast pattern scans every payload); flat_scan.h.\n",
      stderr);
  return 2;
}

double mb(std::uint64_t bytes) { return static_cast<double>(bytes) / 1e6; }

}  // namespace

int main(int argc, char** argv) {
  wp::app::Config config;
  std::vector<std::string> pcaps;
  int repeat = 3;
  bool study = false;
  bool flat = false;
  wp::bench::FlowsOptions flows;
  bool flows_mode = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "-r" && (v = value())) {
      pcaps.push_back(v);
    } else if (a == "--rules" && (v = value())) {
      // A directory means every *.rules file in it, in name order.
      if (std::filesystem::is_directory(v)) {
        std::vector<std::string> files;
        for (const auto& e : std::filesystem::directory_iterator(v)) {
          if (e.path().extension() == ".rules") files.push_back(e.path().string());
        }
        std::sort(files.begin(), files.end());
        config.rule_files.insert(config.rule_files.end(), files.begin(), files.end());
      } else {
        config.rule_files.push_back(v);
      }
    } else if (a == "--set" && (v = value())) {
      auto r = wp::app::apply_set(config, v);
      if (!r) {
        std::fprintf(stderr, "watchpost-bench: %s\n", r.error().describe().c_str());
        return 2;
      }
    } else if (a == "--repeat" && (v = value())) {
      repeat = std::max(1, std::atoi(v));
    } else if (a == "--hs-mode-study") {
      study = true;
    } else if (a == "--flat-scan") {
      flat = true;
    } else if (a == "--flows" && (v = value())) {
      flows_mode = true;
      flows.count = std::strtoull(v, nullptr, 10);
    } else if (a == "--request-bytes" && (v = value())) {
      flows.request_bytes = static_cast<std::uint32_t>(std::strtoul(v, nullptr, 10));
    } else if (a == "--response-bytes" && (v = value())) {
      flows.response_bytes = static_cast<std::uint32_t>(std::strtoul(v, nullptr, 10));
    } else {
      return usage();
    }
  }
  if (config.rule_files.empty() || (flows_mode ? flows.count == 0 || study : pcaps.empty()))
    return usage();

  // Rules: parse + compile, timed.
  const auto t_load = Clock::now();
  auto loaded = wp::detect::load_rules(config.rule_files, config.vars,
                                       wp::detect::ClassificationTable::defaults(), nullptr,
                                       wp::detect::LoadOptions{config.hs_cache});
  const double load_s = seconds_since(t_load);
  if (!loaded.rules) {
    std::fprintf(stderr, "watchpost-bench: %s\n", loaded.fatal.c_str());
    return 2;
  }
  const auto& rep = loaded.report;
  const auto& st = loaded.rules->stats();
  std::printf(
      "rules: %zu loaded, %zu skipped; %zu with fast pattern, %zu address-indexed, %zu other "
      "without content; %zu pattern entries\n",
      rep.loaded, rep.skipped, st.with_fast_pattern, st.address_indexed,
      st.no_content - st.address_indexed, st.patterns);
  std::printf("rule load: %.2f s (parse %.2f s, compile %.2f s)\n", load_s, rep.parse_seconds,
              rep.compile_seconds);
  if (!rep.hs_cache_dir.empty()) {
    std::printf("hyperscan cache: %zu hits, %zu misses, %zu rebuilt (%s)\n", rep.hs_cache.hits,
                rep.hs_cache.misses, rep.hs_cache.rebuilt, rep.hs_cache_dir.c_str());
  }
  if (flows_mode) return wp::bench::flows_bench(config, loaded.rules, flows);
  if (flat) {
    wp::bench::FlatScanResult fs;
    if (!wp::bench::flat_scan(pcaps, *loaded.rules, repeat, fs)) return 1;
    std::printf("flat scan: %zu literals, %zu packets, %.1f MB of payload scanned in %.3f s "
                "(best of %d), %zu packets matched a literal (%zu literal hits)\n",
                fs.literals, fs.packets, static_cast<double>(fs.scanned_bytes) / 1e6, fs.seconds,
                repeat, fs.matches, fs.literal_hits);
    return 0;
  }
  const double rss_after_load = static_cast<double>(wp::bench::resident_memory().peak) / kMiB;

  wp::bench::Capture cap;
  if (auto r = wp::bench::load_capture(pcaps, cap); !r) {
    std::fprintf(stderr, "watchpost-bench: %s\n", r.error().describe().c_str());
    return 1;
  }
  const auto& packets = cap.packets;

  // What the stream stage delivers, and the bytes each Hyperscan group scans.
  const wp::bench::StreamTrace trace = wp::bench::trace_streams(packets, config, *loaded.rules);
  if (study) return wp::bench::hs_mode_study(trace, *loaded.rules, repeat);

  // Ceiling: decode + flow once (untimed) to know each payload's group, then time only the
  // Hyperscan scans over those payloads with the rule set's own databases.
  std::vector<std::uint8_t> payload_arena;
  struct Scan {
    std::uint8_t proto;
    bool to_server;
    std::size_t offset, len;
  };
  std::vector<Scan> scans;
  {
    wp::Counters c;
    wp::decode::DecoderConfig dc = config.decoder;
    dc.validate_checksums = false;
    wp::decode::Decoder dec(dc, c);
    wp::flow::FlowTable flows_table(config.flow, c);
    wp::decode::Packet p;
    for (const wp::capture::RawPacket& raw : packets) {
      if (dec.decode(raw, p) != wp::decode::DecodeStatus::kOk || p.ip_version == 0) continue;
      auto fr = flows_table.process(p);
      if (p.payload.empty()) continue;
      scans.push_back({p.proto, fr.to_server, payload_arena.size(), p.payload.size()});
      payload_arena.insert(payload_arena.end(), p.payload.begin(), p.payload.end());
    }
  }
  // The ceiling and the pipeline alternate, so each pipeline run has a ceiling run next to
  // it under the same machine load: the ratio of each pair is what the report trusts most.
  wp::Counters dc;
  wp::detect::Detector prefilter(loaded.rules, config.detect, dc);
  auto run_ceiling = [&] {
    const auto t = Clock::now();
    wp::decode::Packet p;
    for (const Scan& s : scans) {
      p.proto = s.proto;
      p.payload = {payload_arena.data() + s.offset, s.len};
      prefilter.prefilter_only(p, wp::flow::FlowRef{nullptr, s.to_server, false});
    }
    return seconds_since(t);
  };
  // A second baseline: the same pipeline with (almost) no TCP session tracked, so every
  // payload is inspected per packet (stream.memcap=1 leaves room for one session).
  wp::app::Config no_stream = config;
  no_stream.stream.memcap = 1;
  auto run_pipeline = [&](const wp::app::Config& cfg, wp::Counters& c, std::uint64_t& alerts_out) {
    wp::bench::NullSink sink;
    wp::app::Worker w(cfg, loaded.rules, c, &sink);
    const auto t = Clock::now();
    for (const wp::capture::RawPacket& raw : packets) w.process(raw);
    const double s = seconds_since(t);
    alerts_out = sink.alerts;
    return s;
  };
  double ceiling_s = 1e30, pipeline_s = 1e30, no_stream_s = 1e30;
  std::vector<double> pair_ratios, stream_ratios;
  std::uint64_t alerts = 0, no_stream_alerts = 0;
  wp::Counters last_counters;
  for (int r = 0; r < repeat; ++r) {
    const double c_s = run_ceiling();
    wp::Counters c, c2;
    const double p_s = run_pipeline(config, c, alerts);
    const double n_s = run_pipeline(no_stream, c2, no_stream_alerts);
    ceiling_s = std::min(ceiling_s, c_s);
    pipeline_s = std::min(pipeline_s, p_s);
    no_stream_s = std::min(no_stream_s, n_s);
    pair_ratios.push_back(c_s / p_s);
    stream_ratios.push_back(n_s / p_s);
    last_counters = c;
  }
  std::sort(pair_ratios.begin(), pair_ratios.end());
  std::sort(stream_ratios.begin(), stream_ratios.end());
  std::array<std::uint64_t, wp::app::kStages> stage_ns{};
  {
    wp::Counters c;
    wp::bench::NullSink sink;
    wp::app::Worker w(config, loaded.rules, c, &sink);
    w.enable_stage_timing();
    for (const wp::capture::RawPacket& raw : packets) w.process(raw);
    stage_ns = w.stage_ns();
  }
  std::uint64_t stage_total = 0;
  for (auto ns : stage_ns) stage_total += ns;

  const double mbit = static_cast<double>(cap.bytes) * 8 / 1e6;
  const double n_pkts = static_cast<double>(packets.size());
  std::printf("capture: %zu packets, %.1f MB, %zu payloads scanned (%.1f MB)\n", packets.size(),
              mb(cap.bytes), scans.size(), mb(payload_arena.size()));
  std::printf("ceiling (Hyperscan only): %.3f s  %.0f pkt/s  %.0f Mbit/s\n", ceiling_s,
              n_pkts / ceiling_s, mbit / ceiling_s);
  std::printf("pipeline:                 %.3f s  %.0f pkt/s  %.0f Mbit/s  (%llu alerts)\n",
              pipeline_s, n_pkts / pipeline_s, mbit / pipeline_s,
              static_cast<unsigned long long>(alerts));
  std::printf(
      "pipeline / ceiling: %.2f median of %zu paired runs (%.2f .. %.2f), %.2f best to best"
      "  (%zu rules loaded; stream inspection %s)\n",
      pair_ratios[pair_ratios.size() / 2], pair_ratios.size(), pair_ratios.front(),
      pair_ratios.back(), ceiling_s / pipeline_s, rep.loaded,
      last_counters.get("stream.sessions") > 0 ? "on" : "off: no tracked session");
  std::printf(
      "pipeline without stream tracking: %.3f s (%llu alerts); throughput with / without: %.2f "
      "median of %zu paired runs (%.2f .. %.2f)\n",
      no_stream_s, static_cast<unsigned long long>(no_stream_alerts),
      stream_ratios[stream_ratios.size() / 2], stream_ratios.size(), stream_ratios.front(),
      stream_ratios.back());
  std::printf("time share per stage:");
  for (int i = 0; i < wp::app::kStages; ++i) {
    std::printf(" %s %.1f%%", wp::bench::stage_name(i),
                stage_total
                    ? 100.0 * static_cast<double>(stage_ns[i]) / static_cast<double>(stage_total)
                    : 0.0);
  }
  std::printf("\n");
  auto counter = [&](const char* name) {
    return static_cast<unsigned long long>(last_counters.get(name));
  };
  std::printf(
      "stream: %llu sessions, %.1f MB reassembled in %llu chunks, %llu gaps, %llu out of order, "
      "%llu retransmissions, %llu memcap drops\n",
      counter("stream.sessions"), mb(last_counters.get("stream.bytes")), counter("stream.chunks"),
      counter("stream.reassembly_gap"), counter("stream.out_of_order"),
      counter("stream.retransmission"),
      counter("stream.memcap_drop") + counter("stream.reassembly_memcap_drop"));
  // The ceiling scans every payload byte once per group it belongs to; the pipeline scans the
  // stream group over reassembled data (each byte once, retransmissions not again) plus each
  // chunk's overlap.
  std::printf(
      "bytes scanned: ceiling %.1f MB packet groups + %.1f MB stream groups; pipeline %.1f MB "
      "packet groups"
      " + %.1f MB stream groups (%.1f MB untracked payloads, %.1f MB stream data, %.1f MB "
      "overlap)\n",
      mb(trace.payload_bytes), mb(trace.tcp_payload_bytes), mb(trace.payload_bytes),
      mb(trace.untracked_tcp_bytes + trace.new_bytes + trace.overlap_bytes),
      mb(trace.untracked_tcp_bytes), mb(trace.new_bytes), mb(trace.overlap_bytes));
  std::printf(
      "peak memory: %.0f MiB (after rule load %.0f MiB; includes the capture held in memory, %.0f "
      "MiB, and the stream trace, %.0f MiB)\n",
      static_cast<double>(wp::bench::resident_memory().peak) / kMiB, rss_after_load,
      static_cast<double>(cap.arena.size() + payload_arena.size()) / kMiB,
      static_cast<double>(trace.bytes.size() + trace.events.size() * sizeof(trace.events[0])) /
          kMiB);
  std::printf("candidates verified: %llu, rule matches: %llu\n", counter("detect.candidates"),
              counter("detect.matches"));
  return 0;
}
