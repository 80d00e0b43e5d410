// The flows benchmark: N TCP flows generated in memory and fed straight to a Worker (no
// capture file). Each flow is a handshake, an HTTP GET (request_bytes) answered by a page
// (response_bytes) with the ACKs a real stack sends, and a FIN close: 10 packets. The
// concurrent run makes all N flows live at once: every flow opens, then every flow sends its
// data, then every flow closes, one packet per flow in turn. The sequential run sends the
// same packets flow by flow (one flow live at a time: the cache-friendly baseline measured in
// the same run), and the Hyperscan-only ceiling scans the same payloads. Prints flows/s,
// the ratios, per-phase resident memory and the stream engine's memory. Packets are built in
// batches outside the timed loops. Single-threaded.
#pragma once

#include <cstdint>
#include <memory>

#include "app/config.h"
#include "detect/compile/rule_set.h"

namespace wp::bench {

struct FlowsOptions {
  std::uint64_t count = 100000;
  std::uint32_t request_bytes = 200;
  std::uint32_t response_bytes = 500;
};

// Returns the process exit status (0).
int flows_bench(const app::Config& config, const std::shared_ptr<const detect::RuleSet>& rules,
                const FlowsOptions& options);

}  // namespace wp::bench
