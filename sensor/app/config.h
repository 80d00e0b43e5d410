// Sensor configuration: one plain struct with Suricata's defaults, filled from a YAML file
// (suricata.yaml key names), then `--set key=value` overrides, then the command line.
// One table of keys (name, type, default, help) drives YAML, --set, --help and the dump of
// the effective configuration. Cold path only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "decode/decoder.h"
#include "detect/engine/detector.h"
#include "detect/compile/hs_cache.h"
#include "detect/rules/rule_parser.h"
#include "flow/flow_table.h"
#include "output/eve.h"
#include "stream/stream.h"

namespace wp::app {

enum class ChecksumChecks { kYes, kNo, kAuto };

// How much the sensor says on stderr (logging.default-log-level, -q, -v). kWarning (-q):
// errors and warnings only; kNotice (default): also the load summaries, with the rules
// "not supported yet" collapsed into the summary's reasons; kInfo (-v and more): also one
// line per rule not supported yet. Rule errors (malformed rules, unreadable files) and the
// run's last summary line are always printed.
enum class LogLevel { kError, kWarning, kNotice, kInfo };

// threshold-file when none is configured: loaded only if it exists (Suricata's own default is
// /etc/suricata/threshold.config; set threshold-file to reuse it).
inline constexpr const char* kDefaultThresholdFile = "/etc/watchpost/threshold.config";

// The memory a memcap must fit in: a memcap larger than either is a configuration error.
struct MemoryLimits {
  std::uint64_t physical = 0;       // bytes of RAM (sysconf); 0: unknown, not checked
  std::uint64_t address_space = 0;  // RLIMIT_AS soft limit; 0: unlimited

  static MemoryLimits of_this_process();
};

// Smallest accepted memcap (flow, stream, stream.reassembly, defrag): below it a memcap is a
// typo or a unit forgotten ("memcap: 1" is one byte), not a sizing decision.
inline constexpr std::uint64_t kMinMemcap = 64 * 1024;
// Largest flow.hash-size: std::bit_ceil of more overflows the 32-bit bucket count.
inline constexpr std::uint64_t kMaxFlowHashSize = 1ull << 31;

// Delivery to the collector (docs/delivery.md). Used only when `address` is set.
struct CollectorConfig {
  std::string address;  // collector.address / --collector HOST:PORT; empty: no collector
  std::string ca_file, cert_file, key_file;   // PEM
  bool insecure_plaintext = false;            // plain TCP (tests, lab use)
  std::string spool_dir = "/var/lib/watchpost/spool";
  std::uint64_t spool_max_size = 1ull << 30;  // 1gb
  bool spool_sync = false;                    // fsync per flushed batch and per ack
  std::uint64_t drain_timeout_ms = 30'000;
  std::uint32_t batch_events = 1000;
  std::uint64_t batch_delay_ms = 50;
  std::uint32_t max_in_flight = 8;
  std::uint64_t heartbeat_interval_ms = 5000;
};

// One live capture interface: Suricata's `pcap:` list entry (interface, bpf-filter, snaplen,
// buffer-size, promisc) plus our `site` (overrides the sensor's site in its alerts). The
// entry named "default" gives the settings of interfaces without their own entry.
struct InterfaceConfig {
  std::string interface;
  std::string bpf_filter;
  std::uint32_t snaplen = 262144;  // libpcap's default; frames longer are cut (caplen)
  std::uint64_t buffer_size = 0;   // kernel ring in bytes; 0: libpcap's default (2 MiB)
  bool promisc = true;
  std::string site;
};

// unix-command.enabled: auto is on in live mode only.
enum class UnixCommand { kAuto, kYes, kNo };

// The live runtime: threads, periodic stats, control socket, metrics, privileges.
struct RuntimeConfig {
  std::uint32_t threads = 0;                  // --threads / threads; 0: number of cores
  std::uint64_t ring_size = 16ull << 20;      // threading.ring-size: bytes per worker ring
  bool stats_enabled = true;                  // stats.enabled: periodic EVE/protobuf stats
  std::uint64_t stats_interval_ms = 8000;     // stats.interval
  bool stats_deltas = false;                  // stats.deltas: also each counter's change
  UnixCommand unix_command = UnixCommand::kAuto;             // unix-command.enabled
  std::string unix_command_file = "/run/watchpost/watchpost.socket";  // unix-command.filename
  bool metrics_enabled = false;               // metrics.enabled
  std::string metrics_listen = "127.0.0.1:9477";  // metrics.listen
  std::string user, group;                    // run-as.user / run-as.group (--user, --group)
  std::string pid_file;                       // pid-file (--pidfile)
};

struct Config {
  // Inputs and outputs
  std::vector<std::string> pcap_files;
  std::vector<std::string> live_interfaces;  // -i (repeatable); empty with -r
  std::vector<InterfaceConfig> pcap;         // the `pcap:` list
  RuntimeConfig runtime;
  std::vector<std::string> rule_files;   // rule-files (+ --rules); -S replaces
  std::string default_rule_path;         // default-rule-path: base of relative rule-files
  std::string log_dir = ".";             // default-log-dir (-l)
  bool eve_enabled = true;               // eve-log.enabled
  std::string eve_file = "eve.json";     // eve-log.filename (relative to log_dir) / --eve
  std::string fast_file;                 // fast.filename / --fast ("-" = stdout)
  bool fast_enabled = true;              // fast.enabled: no turns a configured fast.log off
  std::string stats_file = "stats.json"; // stats.filename (relative to log_dir)
  std::string classification_file;       // classification-file; empty: built-in table
  std::string reference_config_file;     // reference-config-file; empty: built-in table
  std::string threshold_file = kDefaultThresholdFile;  // threshold-file; empty: none
  bool threshold_file_explicit = false;  // set by the config or --set: must then be readable
  std::string site;                      // site / --site
  std::string sensor_id;                 // sensor-name / --sensor-id (default: host name)
  LogLevel log_level = LogLevel::kNotice;  // logging.default-log-level, -q, -v
  bool init_errors_fatal = false;          // --init-errors-fatal: a rule that does not load
                                           // (unsupported included) stops the start

  // Stages
  bool checksum_validation = true;                  // stream.checksum-validation
  ChecksumChecks pcap_checksum_checks = ChecksumChecks::kAuto;  // pcap-file.checksum-checks
  decode::DecoderConfig decoder;
  flow::FlowConfig flow;
  stream::StreamConfig stream;  // stream.*, host-os-policy
  std::vector<std::pair<std::string, std::string>> host_os_policy;  // (policy, address) as given
  detect::RuleVars vars = detect::RuleVars::suricata_defaults();
  detect::DetectorConfig detect;
  detect::HsCacheConfig hs_cache;  // detect.sgh-mpm-caching*
  output::EveOptions eve;
  CollectorConfig collector;

  // The ranges the key table alone cannot check, once the file, --set and the command line
  // are applied: every memcap from kMinMemcap (and at least one flow or TCP session) up to
  // physical memory and RLIMIT_AS; flow.hash-size from 1 to kMaxFlowHashSize.
  // stream.reassembly.depth and inspect-window accept any size from 0. With a collector:
  // collector.address is HOST:PORT, the TLS files are set (unless insecure-plaintext),
  // spool-max-size from 64kb, batch-events 1 to 100000, max-in-flight from 1,
  // heartbeat-interval from 100ms, and a sensor id. The error names the key, its value and
  // the limit.
  Result<void> validate(const MemoryLimits& limits = MemoryLimits::of_this_process()) const;
  Result<void> validate_collector() const;
};

// The settings to capture `name` with: its `pcap:` entry, else the "default" entry with
// this interface name, else the built-in defaults.
InterfaceConfig interface_config(const Config& config, const std::string& name);

// Applies a YAML file. Unknown keys produce one warning each (so an existing suricata.yaml
// can be reused); a malformed value is an error naming FILE:LINE and the key.
Result<void> apply_config_file(Config& config, const std::string& path,
                               std::vector<std::string>& warnings);
// The same for YAML text already in memory; `name` stands for the file in messages
// (NAME:LINE). apply_config_file reads the file and calls this.
Result<void> apply_config_text(Config& config, std::string_view text, std::string_view name,
                               std::vector<std::string>& warnings);
// Applies "key=value". An unknown key or a bad value is an error naming the key.
Result<void> apply_set(Config& config, std::string_view assignment);
// The key table as help text: "  key (type, default: X)  help".
std::string config_help();
// The effective configuration, one "key: value" per line.
std::string dump_config(const Config& config);

}  // namespace wp::app
