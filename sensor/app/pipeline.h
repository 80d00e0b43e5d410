// The offline pipeline: pcap files -> decode -> flow -> detect -> output, on the calling
// thread. Loads rules first (errors and a load summary on stderr), then replays the capture
// until its end or a stop signal (app/shutdown.h; install the handlers first), then writes
// the stats file and a human summary. Returns the process exit status as ARCHITECTURE.md
// defines it: 0 success (also when stopped by SIGINT/SIGTERM), 1 runtime error (a capture
// that cannot be opened, an output or stats file that could not be written), 2 configuration
// error (also a rule file that cannot be read, a flow table that cannot be allocated).
#pragma once

#include <optional>

#include "app/config.h"
#include "detect/compile/threshold_config.h"

namespace wp::app {

int run_offline(const Config& config);

// The configured threshold.config: a file set in the configuration must be readable (an
// error otherwise); the default is loaded only when it exists. nullopt: no file. Bad lines
// are in the result's `errors`, the rest loads.
Result<std::optional<detect::ThresholdConfigResult>> load_threshold_file(const Config& config);

}  // namespace wp::app
