// The offline pipeline: pcap files -> decode -> flow -> detect -> output, on the calling
// thread. Loads rules first (errors and a load summary on stderr), then replays the capture,
// then writes the stats file and a human summary. Returns the process exit status
// (0 success, 1 runtime error, 2 configuration error) as ARCHITECTURE.md defines it.
#pragma once

#include <optional>

#include "app/config.h"
#include "detect/threshold_config.h"

namespace wp::app {

int run_offline(const Config& config);

// The configured threshold.config: a file set in the configuration must be readable (an
// error otherwise); the default is loaded only when it exists. nullopt: no file. Bad lines
// are in the result's `errors`, the rest loads.
Result<std::optional<detect::ThresholdConfigResult>> load_threshold_file(const Config& config);

}  // namespace wp::app
