// The sensor's run: load rules (errors and a load summary on stderr), open the inputs (pcap
// files with -r, interfaces with -i), start the threads (app/runtime.h: N workers fed by
// the file reader or by one capture thread per interface, the output thread, the control
// thread of app/control.h), run until the capture ends (-r) or a stop signal
// (app/shutdown.h; install the handlers first), then wind down in pipeline order, write the
// stats file and a human summary. Returns the process exit status as ARCHITECTURE.md defines
// it: 0 success (also when stopped by SIGINT/SIGTERM), 1 runtime error (a capture that cannot
// be opened, an output or stats file that could not be written), 2 configuration error (also
// a rule file that cannot be read, a flow table that cannot be allocated).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/config.h"
#include "common/counters.h"
#include "detect/compile/rule_loader.h"

namespace wp::app {

int run_sensor(const Config& config);

// -T: loads the configuration's rules (and threshold, classification files) as startup
// does, compiles them, opens no capture. 0 when every rule loaded or is "not supported
// yet"; 2 on a malformed rule, a missing or unreadable file, or a rule set that cannot
// compile (and, with --init-errors-fatal, on any rule that did not load).
int test_configuration(const Config& config);

// What detect::load_detection() loads the engine from, taken from the configuration (the
// sensor at startup and on reload, watchpost-rulecheck).
detect::DetectionConfig detection_config(const Config& config);

// One thread's counters and the Prometheus labels they carry (iface, worker, site; an empty
// value leaves the label out).
struct LabelledCounters {
  const Counters* counters;
  std::vector<std::pair<std::string, std::string>> labels;
};
// The Prometheus text exposition of `sets`: each counter NAME as
// watchpost_<NAME with '.' as '_'>_total{labels} VALUE, one # TYPE line per metric.
std::string prometheus_text(const std::vector<LabelledCounters>& sets);

}  // namespace wp::app
