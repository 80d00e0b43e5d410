#include "bench_util.h"

#include <cstdio>
#include <cstring>
#include <iterator>

#include "app/worker.h"
#include "capture/pcap_file.h"

namespace wp::bench {

ResidentMemory resident_memory() {
  ResidentMemory m;
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return m;
  char line[256];
  while (std::fgets(line, sizeof line, f) != nullptr) {
    unsigned long long kib = 0;
    if (std::sscanf(line, "VmRSS: %llu kB", &kib) == 1) m.rss = kib * 1024;
    if (std::sscanf(line, "VmHWM: %llu kB", &kib) == 1) m.peak = kib * 1024;
  }
  std::fclose(f);
  return m;
}

const char* stage_name(int stage) {
  static constexpr const char* kNames[] = {"decode", "flow", "stream", "applayer", "detect", "output"};
  static_assert(std::size(kNames) == app::kStages, "one name per app::Stage");
  return stage >= 0 && stage < app::kStages ? kNames[stage] : "?";
}

bool reset_peak_memory() {
  std::FILE* f = std::fopen("/proc/self/clear_refs", "w");
  if (f == nullptr) return false;
  const bool ok = std::fputs("5", f) >= 0;
  return std::fclose(f) == 0 && ok;
}

void NullSink::on_alert(const watchpost::v1::Alert& a) {
  line_.clear();
  output::render_eve_alert(a, output::EveOptions{}, line_);
  ++alerts;
}

Result<void> load_capture(const std::vector<std::string>& pcaps, Capture& out) {
  auto src = capture::PcapFileSource::open(pcaps);
  if (!src) return src.error();
  std::vector<std::size_t> offsets;
  capture::RawPacket raw;
  for (;;) {
    const auto st = (*src)->next(raw);
    if (st == capture::ReadStatus::kEnd) break;
    if (st == capture::ReadStatus::kTruncated) continue;
    offsets.push_back(out.arena.size());
    out.packets.push_back(raw);
    out.arena.insert(out.arena.end(), raw.data, raw.data + raw.caplen);
  }
  // The arena is complete: point the packets into it.
  for (std::size_t i = 0; i < out.packets.size(); ++i) {
    out.packets[i].data = out.arena.data() + offsets[i];
    out.bytes += out.packets[i].caplen;
  }
  return {};
}

}  // namespace wp::bench
