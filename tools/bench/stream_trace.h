// StreamTrace: what the stream stage hands to detection over a capture, recorded once so
// that scan strategies can be timed on exactly the same bytes. trace_streams() runs the real
// Decoder, FlowTable and StreamEngine (no detection) as the Worker wires them, and records
// every chunk as the span the sensor's block-mode scan covers (the overlap of
// max pattern length - 1 retained bytes, then the new bytes) and every flow leaving the
// table. It also counts the payload bytes each Hyperscan group scans in the pipeline and in
// the bench's ceiling. Single-threaded, cold path.
#pragma once

#include <cstdint>
#include <vector>

#include "app/config.h"
#include "bench_util.h"
#include "detect/compile/rule_set.h"

namespace wp::bench {

struct StreamTrace {
  struct Event {
    std::uint32_t dir = 0;  // flow direction, 0 .. directions-1
    bool to_server = true;
    bool close = false;         // the flow's session ended here: nothing else is set
    std::uint32_t overlap = 0;  // retained bytes in front of the new ones
    std::uint32_t length = 0;   // overlap + new bytes
    std::uint64_t offset = 0;   // of the span in `bytes`
  };
  std::vector<std::uint8_t> bytes;
  std::vector<Event> events;  // in capture order; every opened direction is closed
  std::uint32_t directions = 0;
  std::uint64_t chunks = 0;
  std::uint64_t new_bytes = 0;
  std::uint64_t overlap_bytes = 0;
  std::size_t peak_sessions = 0;         // StreamEngine sessions in use, at most
  std::size_t peak_open_directions = 0;  // directions between first chunk and close, at most

  // Bytes each Hyperscan group scans. Ceiling: every IP payload once with its packet group,
  // and TCP payloads also with the stream group. Pipeline: the packet group on every
  // payload; the stream group on untracked TCP payloads and on each chunk's overlap + new
  // bytes.
  std::uint64_t payload_bytes = 0;        // all IP payloads (packet group, both)
  std::uint64_t tcp_payload_bytes = 0;    // stream group, ceiling
  std::uint64_t untracked_tcp_bytes = 0;  // stream group, pipeline, outside sessions
};

// Traces `packets` with `config`'s decoder, flow and stream settings; the overlap per
// direction comes from `rules`' stream groups, as in Detector::inspect_stream.
StreamTrace trace_streams(const std::vector<capture::RawPacket>& packets, const app::Config& config,
                          const detect::RuleSet& rules);

}  // namespace wp::bench
