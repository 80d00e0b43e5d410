// The offline pipeline: pcap files -> decode -> flow -> detect -> output, on the calling
// thread. Loads rules first (errors and a load summary on stderr), then replays the capture,
// then writes the stats file and a human summary. Returns the process exit status
// (0 success, 1 runtime error, 2 configuration error) as ARCHITECTURE.md defines it.
#pragma once

#include "app/config.h"

namespace wp::app {

int run_offline(const Config& config);

}  // namespace wp::app
