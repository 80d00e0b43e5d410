// watchpost-bench: measures the offline pipeline on a capture and a rule set, next to a
// ceiling measured in the same run: Hyperscan alone scanning the same packet payloads with
// the same fast-pattern databases. Packets are loaded into memory first; only the loops are
// timed. Prints packets/s, Mbit/s, the ratio to the ceiling, time share per stage, rule load
// time and peak memory.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "app/config.h"
#include "app/worker.h"
#include "capture/pcap_file.h"
#include "detect/rule_loader.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

double peak_rss_mib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

struct Stored {
  wp::capture::RawPacket raw;
  std::size_t offset;
};

class NullSink final : public wp::output::AlertSink {
 public:
  void on_alert(const watchpost::v1::Alert& a) override {
    line_.clear();
    wp::output::render_eve_alert(a, wp::output::EveOptions{}, line_);
    ++alerts;
  }
  void flush() override {}
  std::uint64_t alerts = 0;

 private:
  std::string line_;
};

int usage() {
  std::fputs(
      "usage: watchpost-bench -r FILE.pcap --rules FILE|DIR [--rules ...] [--set KEY=VALUE ...]\n"
      "                       [--repeat N]\n"
      "Runs the offline pipeline (decode, flow, detect, alert rendering) on the capture held in\n"
      "memory and compares it with Hyperscan alone scanning the same payloads.\n",
      stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  wp::app::Config config;
  std::vector<std::string> pcaps;
  int repeat = 3;
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
    } else {
      return usage();
    }
  }
  if (pcaps.empty() || config.rule_files.empty()) return usage();

  // Rules: parse + compile, timed.
  const auto t_load = Clock::now();
  auto loaded = wp::detect::load_rules(config.rule_files, config.vars,
                                       wp::detect::ClassificationTable::defaults(),
                                       wp::detect::LoadOptions{config.hs_cache});
  const double load_s = seconds_since(t_load);
  if (!loaded.rules) {
    std::fprintf(stderr, "watchpost-bench: %s\n", loaded.fatal.c_str());
    return 2;
  }
  const double rss_after_load = peak_rss_mib();

  // Capture into memory.
  auto src = wp::capture::PcapFileSource::open(pcaps);
  if (!src) {
    std::fprintf(stderr, "watchpost-bench: %s\n", src.error().describe().c_str());
    return 1;
  }
  std::vector<std::uint8_t> arena;
  std::vector<Stored> packets;
  wp::capture::RawPacket raw;
  for (;;) {
    auto st = (*src)->next(raw);
    if (st == wp::capture::ReadStatus::kEnd) break;
    if (st == wp::capture::ReadStatus::kTruncated) continue;
    packets.push_back({raw, arena.size()});
    arena.insert(arena.end(), raw.data, raw.data + raw.caplen);
  }
  std::uint64_t bytes = 0;
  for (Stored& s : packets) {
    s.raw.data = arena.data() + s.offset;
    bytes += s.raw.caplen;
  }

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
    wp::flow::FlowTable flows(config.flow, c);
    wp::decode::Packet p;
    for (const Stored& s : packets) {
      if (dec.decode(s.raw, p) != wp::decode::DecodeStatus::kOk || p.ip_version == 0) continue;
      auto fr = flows.process(p);
      if (p.payload.empty()) continue;
      scans.push_back({p.proto, fr.to_server, payload_arena.size(), p.payload.size()});
      payload_arena.insert(payload_arena.end(), p.payload.begin(), p.payload.end());
    }
  }
  wp::Counters dc;
  wp::detect::Detector prefilter(loaded.rules, config.detect, dc);
  double ceiling_s = 1e30;
  std::size_t pattern_hits = 0;
  for (int r = 0; r < repeat; ++r) {
    pattern_hits = 0;
    const auto t = Clock::now();
    wp::decode::Packet p;
    for (const Scan& s : scans) {
      p.proto = s.proto;
      p.payload = {payload_arena.data() + s.offset, s.len};
      pattern_hits += prefilter.prefilter_only(p, wp::flow::FlowRef{nullptr, s.to_server, false});
    }
    ceiling_s = std::min(ceiling_s, seconds_since(t));
  }

  // The pipeline, best of `repeat` runs, each with fresh state; then one run with stage timing.
  double pipeline_s = 1e30;
  std::uint64_t alerts = 0;
  wp::Counters last_counters;
  for (int r = 0; r < repeat; ++r) {
    wp::Counters c;
    NullSink sink;
    wp::app::Worker w(config, loaded.rules, c, {&sink});
    const auto t = Clock::now();
    for (const Stored& s : packets) w.process(s.raw);
    pipeline_s = std::min(pipeline_s, seconds_since(t));
    alerts = sink.alerts;
    last_counters = c;
  }
  std::array<std::uint64_t, wp::app::kStages> stage_ns{};
  {
    wp::Counters c;
    NullSink sink;
    wp::app::Worker w(config, loaded.rules, c, {&sink});
    w.enable_stage_timing();
    for (const Stored& s : packets) w.process(s.raw);
    stage_ns = w.stage_ns();
  }
  std::uint64_t stage_total = 0;
  for (auto ns : stage_ns) stage_total += ns;

  const auto& rep = loaded.report;
  const auto& st = loaded.rules->stats();
  const double mbit = static_cast<double>(bytes) * 8 / 1e6;
  std::printf("capture: %zu packets, %.1f MB, %zu payloads scanned (%.1f MB)\n", packets.size(),
              static_cast<double>(bytes) / 1e6, scans.size(),
              static_cast<double>(payload_arena.size()) / 1e6);
  std::printf("rules: %zu loaded, %zu skipped; %zu with fast pattern, %zu address-indexed, %zu other without content; %zu pattern entries\n",
              rep.loaded, rep.skipped, st.with_fast_pattern, st.address_indexed,
              st.no_content - st.address_indexed, st.patterns);
  std::printf("rule load: %.2f s (parse %.2f s, compile %.2f s)\n", load_s, rep.parse_seconds,
              rep.compile_seconds);
  if (!rep.hs_cache_dir.empty()) {
    std::printf("hyperscan cache: %zu hits, %zu misses, %zu rebuilt (%s)\n", rep.hs_cache.hits,
                rep.hs_cache.misses, rep.hs_cache.rebuilt, rep.hs_cache_dir.c_str());
  }
  std::printf("ceiling (Hyperscan only): %.3f s  %.0f pkt/s  %.0f Mbit/s\n", ceiling_s,
              static_cast<double>(packets.size()) / ceiling_s, mbit / ceiling_s);
  std::printf("pipeline:                 %.3f s  %.0f pkt/s  %.0f Mbit/s  (%llu alerts)\n",
              pipeline_s, static_cast<double>(packets.size()) / pipeline_s, mbit / pipeline_s,
              static_cast<unsigned long long>(alerts));
  std::printf("pipeline / ceiling: %.2f\n", ceiling_s / pipeline_s);
  static const char* kNames[] = {"decode", "flow", "detect", "output"};
  std::printf("time share per stage:");
  for (int i = 0; i < wp::app::kStages; ++i) {
    std::printf(" %s %.1f%%", kNames[i],
                stage_total ? 100.0 * static_cast<double>(stage_ns[i]) / static_cast<double>(stage_total) : 0.0);
  }
  std::printf("\npeak memory: %.0f MiB (after rule load %.0f MiB; includes the capture held in memory, %.0f MiB)\n",
              peak_rss_mib(), rss_after_load,
              static_cast<double>(arena.size() + payload_arena.size()) / (1024.0 * 1024.0));
  std::printf("candidates verified: %llu, rule matches: %llu\n",
              static_cast<unsigned long long>(last_counters.get("detect.candidates")),
              static_cast<unsigned long long>(last_counters.get("detect.matches")));
  return 0;
}
