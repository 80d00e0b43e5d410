// Helpers shared by the watchpost-bench measurements: a clock, the process's memory figures,
// an alert sink that renders and drops, and a capture loaded into memory. Single-threaded;
// nothing here is on the sensor's packet path.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "capture/raw_packet.h"
#include "common/result.h"
#include "output/eve.h"
#include "output/sinks.h"

namespace wp::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

inline constexpr double kMiB = 1024.0 * 1024.0;

// Resident memory of this process from /proc/self/status: now (VmRSS) and the peak so far
// (VmHWM), in bytes; 0 when the file cannot be read.
struct ResidentMemory {
  std::uint64_t rss = 0;
  std::uint64_t peak = 0;
};
ResidentMemory resident_memory();
// Resets the peak (VmHWM) to the current resident size (writes 5 to /proc/self/clear_refs,
// Linux 4.0+); false when that is not possible.
bool reset_peak_memory();

// The name of a worker stage (app::Stage) for reports: "decode", "flow", "stream", ...
const char* stage_name(int stage);

// Renders every alert as an EVE line (the sensor's output cost) and forgets it.
class NullSink final : public output::AlertSink {
 public:
  void on_alert(const watchpost::v1::Alert& a) override;
  std::uint64_t alerts = 0;

 private:
  std::string line_;
};

// Every packet of one or more pcap files, held in one arena: packets[i].data points into
// `arena` and stays valid as long as the Capture (which must not be copied after load).
struct Capture {
  std::vector<std::uint8_t> arena;
  std::vector<capture::RawPacket> packets;
  std::uint64_t bytes = 0;  // captured bytes of all packets
};
Result<void> load_capture(const std::vector<std::string>& pcaps, Capture& out);

}  // namespace wp::bench
