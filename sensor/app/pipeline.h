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
#include "detect/compile/rule_loader.h"

namespace wp::app {

int run_offline(const Config& config);

// What detect::load_detection() loads the engine from, taken from the configuration (the
// sensor at startup and on reload, watchpost-rulecheck).
detect::DetectionConfig detection_config(const Config& config);

}  // namespace wp::app
