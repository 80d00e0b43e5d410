#include "app/config.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <iterator>
#include <limits>
#include <map>
#include <sstream>

#include "common/text.h"
#include "output/shipper.h"
#include "output/spool.h"
#include "output/wire.h"

namespace wp::app {
namespace {

using Setter = std::function<Result<void>(Config&, const std::string&)>;
using Getter = std::function<std::string(const Config&)>;

struct KeyDef {
  std::string name;
  std::string type;
  std::string help;
  Setter set;
  Getter get;
};

std::string bool_text(bool b) { return b ? "yes" : "no"; }

const char* log_level_name(LogLevel l) {
  switch (l) {
    case LogLevel::kError: return "error";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kNotice: return "notice";
    case LogLevel::kInfo: return "info";
  }
  return "notice";
}

std::optional<LogLevel> parse_log_level(std::string_view v) {
  const std::string t = to_lower(v);
  if (t == "error" || t == "emergency" || t == "alert" || t == "critical") return LogLevel::kError;
  if (t == "warning") return LogLevel::kWarning;
  if (t == "notice") return LogLevel::kNotice;
  if (t == "info" || t == "perf" || t == "config" || t == "debug") return LogLevel::kInfo;
  return std::nullopt;
}

Error bad_value(const std::string& key, const std::string& value, const std::string& expected) {
  return make_error("invalid value '" + value + "' for '" + key + "' (expected " + expected + ")");
}

KeyDef bool_key(std::string name, std::string help, bool Config::*field) {
  return {name, "bool", std::move(help),
          [name, field](Config& c, const std::string& v) -> Result<void> {
            auto b = parse_bool(v);
            if (!b) return bad_value(name, v, "yes or no");
            c.*field = *b;
            return {};
          },
          [field](const Config& c) { return bool_text(c.*field); }};
}

template <typename Get>
KeyDef bool_ref_key(std::string name, std::string help, Get ref) {
  return {name, "bool", std::move(help),
          [name, ref](Config& c, const std::string& v) -> Result<void> {
            auto b = parse_bool(v);
            if (!b) return bad_value(name, v, "yes or no");
            ref(c) = *b;
            return {};
          },
          [ref](const Config& c) { return bool_text(ref(const_cast<Config&>(c))); }};
}

template <typename T, typename Get>
KeyDef uint_key(std::string name, std::string help, Get ref, bool size) {
  return {name, size ? "size" : "uint", std::move(help),
          [name, ref, size](Config& c, const std::string& v) -> Result<void> {
            auto n = size ? parse_size(v) : parse_uint(v);
            if (!n || *n > std::numeric_limits<T>::max()) {
              return bad_value(name, v, size ? "a size like 32mb" : "a non-negative integer");
            }
            ref(c) = static_cast<T>(*n);
            return {};
          },
          [ref](const Config& c) { return std::to_string(ref(const_cast<Config&>(c))); }};
}

template <typename Get>
KeyDef duration_key(std::string name, std::string help, Get ref) {
  return {name, "duration", std::move(help),
          [name, ref](Config& c, const std::string& v) -> Result<void> {
            auto ms = parse_duration_ms(v);
            if (!ms) return bad_value(name, v, "a duration like 30s or 50ms");
            ref(c) = *ms;
            return {};
          },
          [ref](const Config& c) { return duration_text(ref(const_cast<Config&>(c))); }};
}

KeyDef string_key(std::string name, std::string help, std::string Config::*field) {
  return {name, "string", std::move(help),
          [field](Config& c, const std::string& v) -> Result<void> {
            c.*field = v;
            return {};
          },
          [field](const Config& c) { return c.*field; }};
}

const std::vector<KeyDef>& keys() {
  static const std::vector<KeyDef> table = [] {
    std::vector<KeyDef> k;
    k.push_back(string_key("default-log-dir", "directory for eve.json, fast.log, stats.json (-l)", &Config::log_dir));
    k.push_back(string_key("default-rule-path", "base directory of relative rule-files", &Config::default_rule_path));
    k.push_back({"rule-files", "list", "rule files to load (--rules adds, -S replaces)",
                 [](Config& c, const std::string& v) -> Result<void> {
                   c.rule_files.push_back(v);
                   return {};
                 },
                 [](const Config& c) {
                   std::string s = "[";
                   for (std::size_t i = 0; i < c.rule_files.size(); ++i) s += (i ? ", " : "") + c.rule_files[i];
                   return s + "]";
                 }});
    k.push_back(string_key("classification-file", "classification.config (empty: built-in table)", &Config::classification_file));
    k.push_back(string_key("reference-config-file", "reference.config (empty: built-in table)", &Config::reference_config_file));
    k.push_back({"threshold-file", "string",
                 "threshold.config: suppress and event_filter lines (empty: none; the default "
                 "is loaded only if it exists)",
                 [](Config& c, const std::string& v) -> Result<void> {
                   c.threshold_file = v;
                   c.threshold_file_explicit = true;
                   return {};
                 },
                 [](const Config& c) { return c.threshold_file; }});
    k.push_back(string_key("sensor-name", "sensor id in alerts (EVE host; --sensor-id)", &Config::sensor_id));
    k.push_back(string_key("site", "site label in alerts (--site)", &Config::site));
    k.push_back(bool_key("stream.checksum-validation", "keep packets with invalid IPv4/TCP/UDP/ICMP checksums out of TCP reassembly (they are still inspected as packets)", &Config::checksum_validation));
    k.push_back({"logging.default-log-level", "enum",
                 "error, warning, notice (default) or info; Suricata's perf, config and debug "
                 "are taken as info (-q: warning, -v: info)",
                 [](Config& c, const std::string& v) -> Result<void> {
                   auto level = parse_log_level(v);
                   if (!level) {
                     return bad_value("logging.default-log-level", v,
                                      "error, warning, notice, info, perf, config or debug");
                   }
                   c.log_level = *level;
                   return {};
                 },
                 [](const Config& c) { return std::string(log_level_name(c.log_level)); }});
    k.push_back({"pcap-file.checksum-checks", "enum", "yes, no, or auto (off when >10% of the first 1000 packets have bad checksums)",
                 [](Config& c, const std::string& v) -> Result<void> {
                   std::string t = to_lower(v);
                   if (t == "auto") {
                     c.pcap_checksum_checks = ChecksumChecks::kAuto;
                   } else if (auto b = parse_bool(t)) {
                     c.pcap_checksum_checks = *b ? ChecksumChecks::kYes : ChecksumChecks::kNo;
                   } else {
                     return bad_value("pcap-file.checksum-checks", v, "yes, no or auto");
                   }
                   return {};
                 },
                 [](const Config& c) {
                   return std::string(c.pcap_checksum_checks == ChecksumChecks::kAuto ? "auto"
                                      : c.pcap_checksum_checks == ChecksumChecks::kYes ? "yes" : "no");
                 }});
    k.push_back(uint_key<std::uint64_t>("defrag.memcap", "memory for IP fragments in reassembly", [](Config& c) -> auto& { return c.decoder.defrag_memcap; }, true));
    k.push_back(uint_key<std::uint32_t>("defrag.timeout", "seconds an incomplete fragment set is kept", [](Config& c) -> auto& { return c.decoder.defrag_timeout_sec; }, false));
    k.push_back(uint_key<std::uint32_t>("defrag.trackers", "maximum fragment sets in reassembly", [](Config& c) -> auto& { return c.decoder.defrag_max_trackers; }, false));
    k.push_back(uint_key<std::uint64_t>("stream.memcap", "memory for TCP sessions (beyond it new sessions are not tracked; counted)", [](Config& c) -> auto& { return c.stream.memcap; }, true));
    k.push_back(bool_ref_key("stream.midstream", "pick up TCP sessions whose handshake was not seen", [](Config& c) -> bool& { return c.stream.midstream; }));
    k.push_back(bool_ref_key("stream.async-oneside", "track sessions of which only one direction is visible", [](Config& c) -> bool& { return c.stream.async_oneside; }));
    k.push_back(uint_key<std::uint64_t>("stream.reassembly.memcap", "memory for reassembled and out-of-order TCP data (beyond it data is dropped; counted)", [](Config& c) -> auto& { return c.stream.reassembly_memcap; }, true));
    k.push_back(uint_key<std::uint64_t>("stream.reassembly.depth", "bytes per direction inspected on the stream (0: no limit)", [](Config& c) -> auto& { return c.stream.depth; }, true));
    k.push_back(uint_key<std::uint32_t>("stream.reassembly.inspect-window", "stream bytes kept before new data so matches can span segments (watchpost)", [](Config& c) -> auto& { return c.stream.inspect_window; }, true));
    k.push_back({"host-os-policy.default", "enum", "overlap policy for hosts not listed under host-os-policy (bsd, linux, windows, solaris, first, last, ...)",
                 [](Config& c, const std::string& v) -> Result<void> {
                   stream::OverlapPolicy p;
                   if (!stream::parse_overlap_policy(to_lower(v), p)) return bad_value("host-os-policy.default", v, "a host-os-policy name");
                   c.stream.policies.set_default(p);
                   return {};
                 },
                 [](const Config& c) { return std::string(stream::overlap_policy_name(c.stream.policies.default_policy())); }});
    k.push_back(uint_key<std::uint64_t>("flow.memcap", "memory for the flow table (bounds the number of flows)", [](Config& c) -> auto& { return c.flow.memcap; }, true));
    k.push_back(uint_key<std::uint32_t>("flow.hash-size", "flow hash buckets", [](Config& c) -> auto& { return c.flow.hash_size; }, false));
    k.push_back(uint_key<std::uint32_t>("flow.prealloc", "flows allocated at start (rounded up to chunks of 4096); more are allocated as flows arrive, up to flow.memcap", [](Config& c) -> auto& { return c.flow.prealloc; }, false));
    struct TimeoutKey { const char* name; std::uint32_t flow::FlowTimeouts::*field; };
    static const TimeoutKey timeouts[] = {
        {"flow-timeouts.tcp.new", &flow::FlowTimeouts::tcp_new},
        {"flow-timeouts.tcp.established", &flow::FlowTimeouts::tcp_established},
        {"flow-timeouts.tcp.closed", &flow::FlowTimeouts::tcp_closed},
        {"flow-timeouts.udp.new", &flow::FlowTimeouts::udp_new},
        {"flow-timeouts.udp.established", &flow::FlowTimeouts::udp_established},
        {"flow-timeouts.icmp.new", &flow::FlowTimeouts::icmp_new},
        {"flow-timeouts.icmp.established", &flow::FlowTimeouts::icmp_established},
        {"flow-timeouts.default.new", &flow::FlowTimeouts::other_new},
        {"flow-timeouts.default.established", &flow::FlowTimeouts::other_established},
    };
    for (const TimeoutKey& tk : timeouts) {
      auto field = tk.field;
      k.push_back(uint_key<std::uint32_t>(tk.name, "seconds without packets before the flow expires",
                                          [field](Config& c) -> auto& { return c.flow.timeouts.*field; }, false));
    }
    k.push_back(uint_key<std::uint32_t>("packet-alert-max", "most alerts raised for one packet", [](Config& c) -> auto& { return c.detect.packet_alert_max; }, false));
    k.push_back(bool_ref_key(
        "detect.sgh-mpm-caching",
        "cache compiled Hyperscan databases on disk (a corrupt or stale entry is rebuilt)",
        [](Config& c) -> bool& { return c.hs_cache.enabled; }));
    k.push_back({"detect.sgh-mpm-caching-path", "string",
                 "cache directory; when not writable: $XDG_CACHE_HOME/watchpost/hs, else "
                 "~/.cache/watchpost/hs",
                 [](Config& c, const std::string& v) -> Result<void> {
                   c.hs_cache.path = v;
                   return {};
                 },
                 [](const Config& c) { return c.hs_cache.path; }});
    k.push_back({"detect.sgh-mpm-caching-max-age", "days",
                 "remove cache entries not used for this long, e.g. 7d (0: never)",
                 [](Config& c, const std::string& v) -> Result<void> {
                   std::string_view t = trim(v);
                   if (!t.empty() && (t.back() == 'd' || t.back() == 'D')) t.remove_suffix(1);
                   auto n = parse_uint(t);
                   if (!n || *n > 36500)
                     return bad_value("detect.sgh-mpm-caching-max-age", v, "days like 7d, or 0");
                   c.hs_cache.max_age_days = static_cast<std::uint32_t>(*n);
                   return {};
                 },
                 [](const Config& c) { return std::to_string(c.hs_cache.max_age_days) + "d"; }});
    k.push_back(bool_key("eve-log.enabled", "write EVE JSON alerts", &Config::eve_enabled));
    k.push_back(string_key("eve-log.filename", "EVE JSON file (relative to default-log-dir; --eve)", &Config::eve_file));
    k.push_back(bool_ref_key("eve-log.payload", "alert payload as base64", [](Config& c) -> bool& { return c.eve.payload; }));
    k.push_back(bool_ref_key("eve-log.payload-printable", "alert payload as printable text", [](Config& c) -> bool& { return c.eve.payload_printable; }));
    k.push_back(bool_ref_key("eve-log.packet", "the alerting packet as base64", [](Config& c) -> bool& { return c.eve.packet; }));
    k.push_back(bool_ref_key("eve-log.metadata", "rule metadata in alert.metadata and the alert's flow object", [](Config& c) -> bool& { return c.eve.metadata; }));
    k.push_back(bool_ref_key("eve-log.watchpost", "our own fields (site, sensor_id, classtype) in a `watchpost` object; no: every record has exactly Suricata's shape", [](Config& c) -> bool& { return c.eve.watchpost; }));
    k.push_back(bool_ref_key("eve-log.ethernet", "the alert's ether object (MAC addresses)", [](Config& c) -> bool& { return c.eve.ethernet; }));
    k.push_back(bool_ref_key("eve-log.flow", "a flow record (event_type flow) when each flow ends", [](Config& c) -> bool& { return c.eve.flow; }));
    k.push_back(bool_ref_key("eve-log.anomaly.enabled", "anomaly records (event_type anomaly)", [](Config& c) -> bool& { return c.eve.anomaly; }));
    k.push_back(bool_ref_key("eve-log.anomaly.decode", "anomaly records for decoder events", [](Config& c) -> bool& { return c.eve.anomaly_decode; }));
    k.push_back(bool_ref_key("eve-log.anomaly.stream", "anomaly records for stream events", [](Config& c) -> bool& { return c.eve.anomaly_stream; }));
    k.push_back(bool_ref_key("eve-log.anomaly.applayer", "anomaly records for application-layer parser events", [](Config& c) -> bool& { return c.eve.anomaly_applayer; }));
    k.push_back(string_key("fast.filename", "fast.log alert lines (relative to default-log-dir, '-' = stdout; --fast)", &Config::fast_file));
    k.push_back(bool_key("fast.enabled", "write fast.filename (suricata.yaml's outputs: - fast: enabled)", &Config::fast_enabled));
    k.push_back({"eve-log.filetype", "enum", "regular (Suricata's syslog, unix_dgram, unix_stream and redis are refused)",
                 [](Config&, const std::string& v) -> Result<void> {
                   if (to_lower(v) == "regular" || to_lower(v) == "file") return {};
                   return make_error("eve-log.filetype '" + v + "' is not supported: the sensor writes regular files (and delivers to its collector)");
                 },
                 [](const Config&) { return std::string("regular"); }});
    k.push_back(string_key("stats.filename", "JSON counters written at exit (relative to default-log-dir)", &Config::stats_file));
    k.push_back(bool_ref_key("stats.enabled", "periodic stats: an EVE event_type stats record and a protobuf Stats event every stats.interval", [](Config& c) -> bool& { return c.runtime.stats_enabled; }));
    k.push_back(duration_key("stats.interval", "period of the stats records (a number is seconds)", [](Config& c) -> auto& { return c.runtime.stats_interval_ms; }));
    k.push_back(bool_ref_key("stats.deltas", "stats records also carry each counter's change since the last record (NAME_delta)", [](Config& c) -> bool& { return c.runtime.stats_deltas; }));
    k.push_back(uint_key<std::uint32_t>("threads", "worker threads (--threads; 0: one per core)", [](Config& c) -> auto& { return c.runtime.threads; }, false));
    k.push_back(uint_key<std::uint64_t>("threading.ring-size", "bytes of the queue from each capture source to each worker (live: a full queue drops, counted as capture.ring_drops)", [](Config& c) -> auto& { return c.runtime.ring_size; }, true));
    k.push_back({"unix-command.enabled", "enum", "control socket: auto (live mode only), yes or no",
                 [](Config& c, const std::string& v) -> Result<void> {
                   const std::string t = to_lower(v);
                   if (t == "auto") {
                     c.runtime.unix_command = UnixCommand::kAuto;
                   } else if (auto b = parse_bool(t)) {
                     c.runtime.unix_command = *b ? UnixCommand::kYes : UnixCommand::kNo;
                   } else {
                     return bad_value("unix-command.enabled", v, "auto, yes or no");
                   }
                   return {};
                 },
                 [](const Config& c) {
                   return std::string(c.runtime.unix_command == UnixCommand::kAuto  ? "auto"
                                      : c.runtime.unix_command == UnixCommand::kYes ? "yes"
                                                                                    : "no");
                 }});
    auto rstr = [](std::string name, std::string help, std::string RuntimeConfig::*field) {
      return KeyDef{name, "string", std::move(help),
                    [field](Config& c, const std::string& v) -> Result<void> {
                      c.runtime.*field = v;
                      return {};
                    },
                    [field](const Config& c) { return c.runtime.*field; }};
    };
    k.push_back(rstr("unix-command.filename", "control socket path (one JSON command per line)", &RuntimeConfig::unix_command_file));
    k.push_back(bool_ref_key("metrics.enabled", "Prometheus text format at http://metrics.listen/metrics", [](Config& c) -> bool& { return c.runtime.metrics_enabled; }));
    k.push_back(rstr("metrics.listen", "ADDRESS:PORT of the metrics endpoint", &RuntimeConfig::metrics_listen));
    k.push_back(rstr("run-as.user", "user to run as once captures and outputs are open (--user)", &RuntimeConfig::user));
    k.push_back(rstr("run-as.group", "group to run as once captures and outputs are open (--group)", &RuntimeConfig::group));
    k.push_back(rstr("pid-file", "file to write the process id to (--pidfile)", &RuntimeConfig::pid_file));
    auto cstr = [](std::string name, std::string help, std::string CollectorConfig::*field) {
      return KeyDef{name, "string", std::move(help),
                    [field](Config& c, const std::string& v) -> Result<void> {
                      c.collector.*field = v;
                      return {};
                    },
                    [field](const Config& c) { return c.collector.*field; }};
    };
    k.push_back(cstr("collector.address", "collector HOST:PORT (--collector); empty: no collector, no spool", &CollectorConfig::address));
    k.push_back(cstr("collector.ca-file", "CA certificate (PEM) that the collector's certificate must chain to", &CollectorConfig::ca_file));
    k.push_back(cstr("collector.cert-file", "this sensor's client certificate (PEM); its CN is the sensor id", &CollectorConfig::cert_file));
    k.push_back(cstr("collector.key-file", "the client certificate's private key (PEM)", &CollectorConfig::key_file));
    k.push_back(bool_ref_key("collector.insecure-plaintext", "plain TCP instead of TLS (tests, lab use; the collector needs --insecure-plaintext)", [](Config& c) -> bool& { return c.collector.insecure_plaintext; }));
    k.push_back(cstr("collector.spool-dir", "spool directory (one subdirectory per sensor id); when not writable: $XDG_STATE_HOME/watchpost/spool, else ~/.local/state/watchpost/spool", &CollectorConfig::spool_dir));
    k.push_back(uint_key<std::uint64_t>("collector.spool-max-size", "most disk the spool may use; beyond it the oldest events are dropped (counted, spool.dropped_events)", [](Config& c) -> auto& { return c.collector.spool_max_size; }, true));
    k.push_back(bool_ref_key("collector.spool-sync", "fsync the spool per flushed batch and per acknowledgement (survives power loss; slower)", [](Config& c) -> bool& { return c.collector.spool_sync; }));
    k.push_back(duration_key("collector.drain-timeout", "with -r input: how long to wait after the last packet for every event to be acknowledged", [](Config& c) -> auto& { return c.collector.drain_timeout_ms; }));
    k.push_back(uint_key<std::uint32_t>("collector.batch-events", "most events in one batch (1 to 100000)", [](Config& c) -> auto& { return c.collector.batch_events; }, false));
    k.push_back(duration_key("collector.batch-delay", "how long a batch that is not full waits for more events", [](Config& c) -> auto& { return c.collector.batch_delay_ms; }));
    k.push_back(uint_key<std::uint32_t>("collector.max-in-flight", "most batches sent and not acknowledged yet", [](Config& c) -> auto& { return c.collector.max_in_flight; }, false));
    k.push_back(duration_key("collector.heartbeat-interval", "heartbeat period while idle; no acknowledgement within 3 intervals: reconnect", [](Config& c) -> auto& { return c.collector.heartbeat_interval_ms; }));
    return k;
  }();
  return table;
}

const KeyDef* find_key(std::string_view name) {
  for (const KeyDef& k : keys()) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

// host-os-policy.POLICY: addresses (a list, or "a, b" / "[a, b]" text) whose receiving
// TCP stack resolves overlaps that way.
Result<void> apply_host_os_policy(Config& c, const std::string& policy, const std::string& value) {
  stream::OverlapPolicy p;
  if (!stream::parse_overlap_policy(policy, p)) {
    return make_error("unknown host-os-policy '" + policy + "'");
  }
  std::string_view text = trim(value);
  if (!text.empty() && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  for (std::string_view item : split(text, ',')) {
    item = trim(item);
    if (item.empty()) continue;
    if (!c.stream.policies.add(item, p)) {
      return make_error("invalid address '" + std::string(item) + "' in host-os-policy." + policy);
    }
    c.host_os_policy.emplace_back(policy, std::string(item));
  }
  return {};
}

// Keys whose last part is user-chosen: vars.address-groups.NAME, vars.port-groups.NAME.
constexpr std::string_view kAddressGroups = "vars.address-groups.";
constexpr std::string_view kPortGroups = "vars.port-groups.";

bool is_dynamic(std::string_view key) {
  return (key.starts_with(kAddressGroups) && key.size() > kAddressGroups.size()) ||
         (key.starts_with(kPortGroups) && key.size() > kPortGroups.size());
}

bool apply_dynamic(Config& c, const std::string& key, const std::string& value) {
  if (!is_dynamic(key)) return false;
  if (key.starts_with(kAddressGroups)) {
    c.vars.address_groups[key.substr(kAddressGroups.size())] = value;
  } else {
    c.vars.port_groups[key.substr(kPortGroups.size())] = value;
  }
  return true;
}

std::string scalar_text(const YAML::Node& n) { return n.IsScalar() ? n.Scalar() : std::string(); }

// What a configuration file may expand to. yaml-cpp gives all aliases of an anchor the one
// node, so a 1 KiB file can describe a tree of 10^9 nodes ("billion laughs"); the walker
// visits the expanded tree, so it counts what it visits and stops early. A full
// suricata.yaml has a few thousand nodes, nested 5 levels deep.
constexpr std::size_t kMaxConfigNodes = 100'000;
constexpr int kMaxConfigDepth = 64;
constexpr std::uintmax_t kMaxConfigFileBytes = 16u << 20;

std::string node_kind(const YAML::Node& n) {
  if (n.IsMap()) return "a mapping";
  if (n.IsSequence()) return "a list";
  if (n.IsNull()) return "empty";
  return "a single value";
}

// What a key of the table expects, for type errors.
std::string expected_value(const std::string& type) {
  if (type == "bool") return "yes or no";
  if (type == "size") return "a size like 32mb";
  if (type == "uint") return "a non-negative integer";
  if (type == "days") return "days like 7d";
  if (type == "duration") return "a duration like 30s or 50ms";
  if (type == "string") return "a string";
  return "a single value";
}

// One key of a `pcap:` entry. An error with an empty message: the key is unknown.
Result<void> apply_interface_key(InterfaceConfig& iface, const std::string& key,
                                 const std::string& v) {
  if (key == "interface") {
    iface.interface = v;
  } else if (key == "bpf-filter") {
    iface.bpf_filter = v;
  } else if (key == "site") {
    iface.site = v;
  } else if (key == "snaplen") {
    auto n = parse_uint(v);
    if (!n || *n < 64 || *n > 262144) return bad_value("pcap.snaplen", v, "64 to 262144");
    iface.snaplen = static_cast<std::uint32_t>(*n);
  } else if (key == "buffer-size") {
    auto n = parse_size(v);
    if (!n || *n > (1ull << 31)) return bad_value("pcap.buffer-size", v, "a size up to 2gb");
    iface.buffer_size = *n;
  } else if (key == "promisc") {
    auto b = parse_bool(v);
    if (!b) return bad_value("pcap.promisc", v, "yes or no");
    iface.promisc = *b;
  } else if (key == "checksum-checks" || key == "threads" || key == "copy-mode" ||
             key == "copy-iface") {
    return {};  // Suricata's, decided elsewhere here (pcap-file.checksum-checks, --threads)
  } else {
    return make_error("");
  }
  return {};
}

// A YAML file, size-checked and parsed.
Result<YAML::Node> load_yaml_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode))
      return make_error("cannot read configuration file: is a directory", path);
    if (static_cast<std::uintmax_t>(st.st_size) > kMaxConfigFileBytes) {
      return make_error("configuration file larger than 16 MiB (" + std::to_string(st.st_size) +
                            " bytes); refused",
                        path);
    }
  }
  std::string text;
  try {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error("cannot read configuration file", path);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } catch (const std::ios_base::failure&) {  // libstdc++'s filebuf throws on a read error
    return make_error("cannot read configuration file", path);
  }
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    return make_error(e.msg, path + ":" + std::to_string(e.mark.line + 1));
  }
}

constexpr int kMaxIncludeDepth = 8;
// Unknown keys named in the one warning that summarises them.
constexpr std::size_t kUnknownKeysShown = 5;

struct YamlWalker {
  Config& config;
  std::string path;  // the file being walked (an included one while it is)
  std::vector<std::string>& warnings;
  std::size_t nodes = 0;
  int depth = 0;
  int includes = 0;
  bool too_large = false;  // the walk stopped at kMaxConfigNodes or kMaxConfigDepth
  // Keys watchpost does not use, (key, FILE:LINE), summarised in one warning (a reused
  // suricata.yaml has hundreds).
  std::vector<std::pair<std::string, std::string>> unknown;
  // eve-log record types a reused suricata.yaml asks for that the sensor does not write.
  std::vector<std::string> eve_types_not_written;

  void ignore(const std::string& key, const YAML::Node& n) { unknown.emplace_back(key, where(n)); }

  // The warnings the walk leaves besides those it gave as it went.
  void finish() {
    if (unknown.size() == 1) {
      warnings.push_back(unknown[0].second + ": unknown key '" + unknown[0].first + "'; ignored");
    } else if (!unknown.empty()) {
      std::string shown;
      for (std::size_t i = 0; i < unknown.size() && i < kUnknownKeysShown; ++i) {
        shown += (i ? ", '" : "'") + unknown[i].first + "' (" + unknown[i].second + ")";
      }
      if (unknown.size() > kUnknownKeysShown) {
        shown += ", and " + std::to_string(unknown.size() - kUnknownKeysShown) + " more";
      }
      warnings.push_back(std::to_string(unknown.size()) +
                         " configuration keys are not used by watchpost and were ignored: " +
                         shown + " (--dump-config shows what is used)");
    }
    if (!eve_types_not_written.empty()) {
      std::string t;
      for (const std::string& n : eve_types_not_written) t += (t.empty() ? "" : ", ") + n;
      warnings.push_back("eve-log types not written by this sensor (alert, anomaly, flow and stats are): " + t);
    }
  }

  // `file` (relative to the including file's directory) walked at `prefix`: suricata.yaml's
  // top-level `include:` (prefix "") and a value tagged `!include`.
  Result<void> include(const std::string& prefix, const std::string& file, const YAML::Node& at) {
    if (includes >= kMaxIncludeDepth) {
      return make_error("includes nested more than " + std::to_string(kMaxIncludeDepth) +
                            " deep (a file including itself?)",
                        where(at));
    }
    namespace fs = std::filesystem;
    const fs::path target = fs::path(file).is_absolute()
                                ? fs::path(file)
                                : fs::path(path).parent_path() / file;
    auto root = load_yaml_file(target.string());
    if (!root) {
      return make_error(root.error().describe() + " (included at " + where(at) + ")");
    }
    if (root.value().IsNull()) return {};
    if (!root.value().IsMap()) {
      return make_error("an included configuration must be a YAML mapping", target.string());
    }
    const std::string outer = path;
    path = target.string();
    ++includes;
    Result<void> r = walk(prefix, root.value());
    --includes;
    path = outer;
    return r;
  }

  // suricata.yaml's `outputs: - eve-log: types: [...]`: the listed record types are written,
  // the others not (flow and anomaly records are off unless listed); the alert options map
  // to the eve-log keys, the stats options to stats.*, the anomaly options to
  // eve-log.anomaly.*; other record types are noted.
  Result<void> eve_types(const YAML::Node& key_node, const YAML::Node& value) {
    if (!value.IsSequence()) return wrong_type("'eve-log.types'", key_node, value, "a list");
    config.eve.flow = false;
    config.eve.anomaly = false;
    for (const auto& item : value) {
      if (auto r = visit(1); !r) return r;
      std::string type;
      YAML::Node options;
      if (item.IsScalar()) {
        type = item.Scalar();
      } else if (item.IsMap() && item.size() == 1) {
        type = item.begin()->first.Scalar();
        options = item.begin()->second;
      } else {
        return wrong_type("each of 'eve-log.types'", key_node, item, "a type name or a mapping");
      }
      if (type == "flow") config.eve.flow = true;
      if (type == "anomaly") config.eve.anomaly = true;
      if (type == "alert" || type == "stats" || type == "anomaly" || type == "flow") {
        if (!options || options.IsNull()) continue;
        if (!options.IsMap()) {
          return wrong_type("'eve-log.types." + type + "'", key_node, options, "a mapping");
        }
        if (auto r = eve_type_options(type, options); !r) return r;
      } else if (std::find(eve_types_not_written.begin(), eve_types_not_written.end(), type) ==
                 eve_types_not_written.end()) {
        eve_types_not_written.push_back(type);
      }
    }
    return {};
  }

  // The options of one `types:` entry: `- alert: {payload: yes}`, `- anomaly: {enabled: yes,
  // types: {decode: no, applayer: yes}}`.
  Result<void> eve_type_options(const std::string& type, const YAML::Node& options) {
    for (const auto& kv : options) {
      if (auto r = visit(2); !r) return r;
      const std::string name = kv.first.Scalar();
      // metadata may be a mapping of what to include (app-layer, flow, rule): on.
      if (type == "alert" && name == "metadata" && kv.second.IsMap()) {
        config.eve.metadata = true;
        continue;
      }
      if (type == "anomaly" && name == "types" && kv.second.IsMap()) {
        for (const auto& t : kv.second) {
          if (auto r = visit(2); !r) return r;
          const std::string key = "eve-log.anomaly." + t.first.Scalar();
          if (find_key(key) == nullptr) {
            ignore("eve-log.types.anomaly.types." + t.first.Scalar(), t.first);
            continue;
          }
          if (auto r = apply(key, t.first, t.second); !r) return r;
        }
        continue;
      }
      const std::string key = type == "alert"     ? "eve-log." + name
                              : type == "stats"   ? "stats." + name
                              : type == "anomaly" ? "eve-log.anomaly." + name
                                                  : "eve-log.flow." + name;
      if (find_key(key) == nullptr) {
        ignore("eve-log.types." + type + "." + name, kv.first);
        continue;
      }
      if (auto r = apply(key, kv.first, kv.second); !r) return r;
    }
    return {};
  }

  std::string where(const YAML::Node& n) const {
    return path + ":" + std::to_string(n.Mark().line + 1);
  }

  Result<void> visit(std::size_t n) {
    nodes += n;
    if (nodes <= kMaxConfigNodes) return {};
    too_large = true;
    return make_error("configuration too large or too deeply nested (aliases expand to more than " +
                          std::to_string(kMaxConfigNodes) + " nodes); refused",
                      path);
  }

  // "'flow.memcap' must be a size like 32mb, not a list"; `what` names the key or its item.
  Error wrong_type(const std::string& what, const YAML::Node& key_node, const YAML::Node& value,
                   const std::string& expected) const {
    return make_error(what + " must be " + expected + ", not " + node_kind(value), where(key_node));
  }

  Result<void> apply(const std::string& key, const YAML::Node& key_node, const YAML::Node& value) {
    if (value.Tag() == "!include") {
      if (!value.IsScalar()) return wrong_type("'!include'", key_node, value, "a file name");
      return include(key, value.Scalar(), value);
    }
    if (key == "include") {
      if (value.IsScalar()) return include("", value.Scalar(), value);
      if (!value.IsSequence()) return wrong_type("'include'", key_node, value, "a file or a list");
      for (const auto& item : value) {
        if (auto r = visit(1); !r) return r;
        if (!item.IsScalar()) return wrong_type("each of 'include'", key_node, item, "a file name");
        if (auto r = include("", item.Scalar(), item); !r) return r;
      }
      return {};
    }
    if (key == "eve-log.types") return eve_types(key_node, value);
    if (key == "rule-files") {
      if (!value.IsSequence())
        return wrong_type("'rule-files'", key_node, value, "a list of file names");
      config.rule_files.clear();
      for (const auto& item : value) {
        if (auto r = visit(1); !r) return r;
        if (!item.IsScalar())
          return wrong_type("each of 'rule-files'", key_node, item, "a file name");
        config.rule_files.push_back(item.Scalar());
      }
      return {};
    }
    if (key == "pcap") {
      if (!value.IsSequence())
        return wrong_type("'pcap'", key_node, value, "a list of interfaces");
      for (const auto& item : value) {
        if (auto r = visit(1); !r) return r;
        if (!item.IsMap()) return wrong_type("each of 'pcap'", key_node, item, "a mapping");
        InterfaceConfig iface;
        for (const auto& kv : item) {
          if (auto r = visit(2); !r) return r;
          const std::string name = kv.first.Scalar();
          if (!kv.second.IsScalar() && !kv.second.IsNull()) {
            return wrong_type("'pcap." + name + "'", kv.first, kv.second, "a single value");
          }
          const std::string v = scalar_text(kv.second);
          if (auto r = apply_interface_key(iface, name, v); !r) {
            if (r.error().message.empty()) {
              ignore("pcap." + name, kv.first);
              continue;
            }
            return make_error(r.error().message, where(kv.second));
          }
        }
        if (iface.interface.empty()) {
          return make_error("a 'pcap' entry needs 'interface'", where(item));
        }
        config.pcap.push_back(std::move(iface));
      }
      return {};
    }
    if (key == "outputs") {
      if (!value.IsSequence()) return wrong_type("'outputs'", key_node, value, "a list");
      for (const auto& item : value) {
        if (auto r = visit(1); !r) return r;
        if (!item.IsMap()) continue;
        if (item.size() == 1 && item.begin()->first.Scalar() == "stats") {
          // Suricata's text stats.log, not our top-level stats section: its filename must not
          // become stats.filename (stats.json would be written under stats.log's name).
          warnings.push_back(where(item.begin()->first) +
                             ": outputs: - stats (Suricata's text stats.log) is not written; the "
                             "counters are in stats.filename (JSON) and in EVE stats records");
          continue;
        }
        if (auto r = walk("", item); !r) return r;
      }
      return {};
    }
    static const std::string kPolicy = "host-os-policy.";
    if (key.rfind(kPolicy, 0) == 0 && key != "host-os-policy.default") {
      std::string list;
      if (value.IsMap()) return wrong_type("'" + key + "'", key_node, value, "a list of addresses");
      if (value.IsSequence()) {
        for (const auto& item : value) {
          if (auto r = visit(1); !r) return r;
          if (!item.IsScalar())
            return wrong_type("each of '" + key + "'", key_node, item, "an address");
          list += item.Scalar() + ",";
        }
      } else {
        list = scalar_text(value);
      }
      auto r = apply_host_os_policy(config, key.substr(kPolicy.size()), list);
      if (!r) return make_error(r.error().message, where(value));
      return {};
    }
    const KeyDef* k = find_key(key);
    const bool dynamic = k == nullptr && is_dynamic(key);
    if (dynamic && value.IsSequence()) {
      // HOME_NET: [10.0.0.0/8, 192.168.0.0/16] without quotes is a YAML list: the same group.
      std::string list;
      for (const auto& item : value) {
        if (auto r = visit(1); !r) return r;
        if (!item.IsScalar()) return wrong_type("each of '" + key + "'", key_node, item, "an address or port");
        list += (list.empty() ? "" : ",") + item.Scalar();
      }
      apply_dynamic(config, key, "[" + list + "]");
      return {};
    }
    if (k != nullptr || dynamic) {
      // A known key takes one value: a list or a mapping is a mistake, not an unknown key.
      if (value.IsMap() || value.IsSequence()) {
        return wrong_type("'" + key + "'", key_node, value,
                          dynamic ? "a string" : expected_value(k->type));
      }
      const std::string text = scalar_text(value);
      if (dynamic) {
        apply_dynamic(config, key, text);
        return {};
      }
      auto r = k->set(config, text);
      if (!r) return make_error(r.error().message, where(value));
      return {};
    }
    if (value.IsMap()) return walk(key, value);
    ignore(key, value);
    return {};
  }

  Result<void> walk(const std::string& prefix, const YAML::Node& map) {
    if (++depth > kMaxConfigDepth) {
      too_large = true;
      return make_error("configuration too large or too deeply nested (more than " +
                            std::to_string(kMaxConfigDepth) + " levels); refused",
                        where(map));
    }
    // yaml-cpp keeps both entries of a key given twice in one mapping, in file order.
    std::map<std::string, int> first_line;
    for (const auto& kv : map) {
      if (auto r = visit(2); !r) return r;
      const std::string name = kv.first.Scalar();
      const std::string key = prefix.empty() ? name : prefix + "." + name;
      const auto [it, first] = first_line.emplace(name, kv.first.Mark().line + 1);
      if (!first) {
        warnings.push_back(where(kv.first) + ": duplicate key '" + key + "' (first at line " +
                           std::to_string(it->second) +
                           "); both are applied in order, the later value wins");
      }
      if (auto r = apply(key, kv.first, kv.second); !r) return r;
    }
    --depth;
    return {};
  }
};

Result<void> apply_config_root(Config& config, const YAML::Node& root, const std::string& path,
                               std::vector<std::string>& warnings) {
  if (root.IsNull()) return {};
  if (!root.IsMap()) return make_error("configuration must be a YAML mapping", path);
  std::vector<std::string> found;
  YamlWalker w{config, path, found};
  Result<void> r;
  try {
    r = w.walk("", root);
  } catch (const YAML::Exception& e) {
    r = make_error(e.msg, w.path + ":" + std::to_string(e.mark.line + 1));
  }
  // A refused oversized file would repeat its warnings once per expanded node: only the error.
  if (!w.too_large) {
    w.finish();
    warnings.insert(warnings.end(), found.begin(), found.end());
  }
  return r;
}

}  // namespace

Result<void> apply_config_file(Config& config, const std::string& path,
                               std::vector<std::string>& warnings) {
  auto root = load_yaml_file(path);
  if (!root) return root.error();
  return apply_config_root(config, root.value(), path, warnings);
}

Result<void> apply_config_text(Config& config, std::string_view text, std::string_view name,
                               std::vector<std::string>& warnings) {
  const std::string path(name);
  if (text.size() > kMaxConfigFileBytes) {
    return make_error("configuration larger than 16 MiB (" + std::to_string(text.size()) +
                          " bytes); refused",
                      path);
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    return make_error(e.msg, path + ":" + std::to_string(e.mark.line + 1));
  }
  return apply_config_root(config, root, path, warnings);
}

InterfaceConfig interface_config(const Config& config, const std::string& name) {
  const InterfaceConfig* def = nullptr;
  for (const InterfaceConfig& i : config.pcap) {
    if (i.interface == name) return i;
    if (i.interface == "default") def = &i;
  }
  InterfaceConfig out = def != nullptr ? *def : InterfaceConfig{};
  out.interface = name;
  return out;
}

MemoryLimits MemoryLimits::of_this_process() {
  MemoryLimits m;
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (pages > 0 && page_size > 0) {
    m.physical = static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size);
  }
  rlimit as{};
  if (::getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY)
    m.address_space = as.rlim_cur;
  return m;
}

Result<void> Config::validate(const MemoryLimits& limits) const {
  struct Memcap {
    const char* key;
    std::uint64_t value;
    std::uint64_t minimum;
  };
  const Memcap memcaps[] = {
      {"flow.memcap", flow.memcap, std::max<std::uint64_t>(kMinMemcap, sizeof(flow::Flow))},
      {"stream.memcap", stream.memcap,
       std::max<std::uint64_t>(kMinMemcap, stream::StreamEngine::session_bytes())},
      {"stream.reassembly.memcap", stream.reassembly_memcap, kMinMemcap},
      {"defrag.memcap", decoder.defrag_memcap, kMinMemcap},
  };
  for (const Memcap& m : memcaps) {
    const std::string head = std::string(m.key) + " " + size_text(m.value);
    if (m.value < m.minimum) {
      return make_error(head + " is below the minimum of " + size_text(m.minimum));
    }
    if (limits.physical != 0 && m.value > limits.physical) {
      return make_error(head + " is larger than physical memory (" + size_text(limits.physical) +
                        ")");
    }
    if (limits.address_space != 0 && m.value > limits.address_space) {
      return make_error(head + " is larger than the address space limit (RLIMIT_AS, " +
                        size_text(limits.address_space) + ")");
    }
  }
  if (runtime.stats_interval_ms < 100) {
    return make_error("stats.interval " + duration_text(runtime.stats_interval_ms) +
                      " is below the minimum of 100ms");
  }
  if (runtime.threads > 256) {
    return make_error("threads " + std::to_string(runtime.threads) + " is out of range (0 to 256)");
  }
  if (runtime.ring_size < (1ull << 20) || runtime.ring_size > (1ull << 30)) {
    return make_error("threading.ring-size " + size_text(runtime.ring_size) +
                      " is out of range (1 MiB to 1 GiB)");
  }
  if (flow.hash_size < 1 || flow.hash_size > kMaxFlowHashSize) {
    return make_error("flow.hash-size " + std::to_string(flow.hash_size) +
                      " is out of range (1 to " + std::to_string(kMaxFlowHashSize) + ")");
  }
  return validate_collector();
}

Result<void> Config::validate_collector() const {
  const CollectorConfig& c = collector;
  if (c.address.empty()) return {};
  if (auto hp = output::parse_host_port(c.address); !hp) {
    return make_error("collector.address " + hp.error().message);
  }
  if (!c.insecure_plaintext) {
    for (const auto& [key, value] : {std::pair{"collector.ca-file", &c.ca_file},
                                     std::pair{"collector.cert-file", &c.cert_file},
                                     std::pair{"collector.key-file", &c.key_file}}) {
      if (value->empty()) {
        return make_error(std::string(key) +
                          " is required with a collector (TLS with a client certificate; "
                          "collector.insecure-plaintext: yes for plain TCP)");
      }
    }
  }
  if (c.spool_max_size < output::kMinSpoolSize) {
    return make_error("collector.spool-max-size " + size_text(c.spool_max_size) +
                      " is below the minimum of " + size_text(output::kMinSpoolSize));
  }
  if (c.batch_events < 1 || c.batch_events > static_cast<std::uint32_t>(output::wire::kMaxBatchEvents)) {
    return make_error("collector.batch-events " + std::to_string(c.batch_events) +
                      " is out of range (1 to " + std::to_string(output::wire::kMaxBatchEvents) + ")");
  }
  if (c.max_in_flight < 1) return make_error("collector.max-in-flight 0 is below the minimum of 1");
  if (c.heartbeat_interval_ms < 100) {
    return make_error("collector.heartbeat-interval " + duration_text(c.heartbeat_interval_ms) +
                      " is below the minimum of 100ms");
  }
  if (sensor_id.empty()) {
    return make_error("a collector needs a sensor id (sensor-name, --sensor-id): it names the spool and must match the certificate's CN");
  }
  return {};
}

Result<void> apply_set(Config& config, std::string_view assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string_view::npos) {
    return make_error("--set expects KEY=VALUE, got '" + std::string(assignment) + "'");
  }
  const std::string key(trim(assignment.substr(0, eq)));
  const std::string value(trim(assignment.substr(eq + 1)));
  if (apply_dynamic(config, key, value)) return {};
  if (key.rfind("host-os-policy.", 0) == 0 && key != "host-os-policy.default") {
    return apply_host_os_policy(config, key.substr(15), value);
  }
  const KeyDef* k = find_key(key);
  if (k == nullptr) return make_error("unknown configuration key '" + key + "'");
  if (key == "rule-files") config.rule_files.clear();
  return k->set(config, value);
}

std::string config_help() {
  std::ostringstream os;
  Config defaults;
  for (const KeyDef& k : keys()) {
    os << "  " << k.name << " (" << k.type << ", default: " << k.get(defaults) << ")\n      "
       << k.help << "\n";
  }
  os << "  pcap (list of interfaces)\n"
        "      - interface: NAME (\"default\": settings of interfaces not listed)\n"
        "        bpf-filter: EXPR, snaplen: N (64..262144, default 262144),\n"
        "        buffer-size: SIZE (kernel ring; default libpcap's), promisc: yes,\n"
        "        site: LABEL (overrides site in this interface's alerts)\n"
        "  vars.address-groups.NAME, vars.port-groups.NAME (string)\n"
        "      rule variables ($NAME); Suricata's default groups are built in\n"
        "  host-os-policy.POLICY (list of addresses)\n"
        "      receiving hosts whose TCP overlap handling is POLICY (bsd, bsd-right, linux,\n"
        "      old-linux, solaris, windows, windows2k3, vista, macos, hpux10, hpux11, irix,\n"
        "      first, last)\n"
        "\n"
        "ranges (exit 2 beyond them): every memcap from 64kb up to physical memory and the\n"
        "address-space limit (RLIMIT_AS); flow.hash-size from 1 to 2147483648;\n"
        "stream.reassembly.depth and inspect-window any size from 0. A configuration file is\n"
        "refused beyond 16 MiB, 64 levels of nesting or 100000 nodes with aliases expanded.\n";
  return os.str();
}

namespace {

// `v` as a YAML scalar that reads back as the same string: plain when it can be, else
// double-quoted with escapes ("!$HOME_NET" would be a tag, "[...]" a list, "" null).
std::string yaml_scalar(const std::string& v) {
  const bool plain =
      !v.empty() && v.find_first_of("!&*[]{}'\"#|>%@`,?:") == std::string::npos &&
      v.front() != ' ' && v.back() != ' ' && v.front() != '-' && to_lower(v) != "null" &&
      v != "~";
  if (plain) return v;
  std::string out = "\"";
  for (char ch : v) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

}  // namespace

std::string dump_config(const Config& config) {
  std::ostringstream os;
  os << "# watchpost-sensor --dump-config: the effective configuration; loads back with -c.\n";
  for (const KeyDef& k : keys()) {
    if (k.name == "rule-files") {
      os << "rule-files: [";
      for (std::size_t i = 0; i < config.rule_files.size(); ++i) {
        os << (i ? ", " : "") << yaml_scalar(config.rule_files[i]);
      }
      os << "]\n";
      continue;
    }
    if (k.name == "threshold-file" && !config.threshold_file_explicit) {
      // The default file is loaded only when present; naming it would make it required.
      os << "# threshold-file: " << config.threshold_file << " (default: loaded when present)\n";
      continue;
    }
    os << k.name << ": " << yaml_scalar(k.get(config)) << "\n";
  }
  for (const auto& [name, v] : config.vars.address_groups) os << "vars.address-groups." << name << ": " << yaml_scalar(v) << "\n";
  for (const auto& [name, v] : config.vars.port_groups) os << "vars.port-groups." << name << ": " << yaml_scalar(v) << "\n";
  for (const auto& [policy, addr] : config.host_os_policy) os << "host-os-policy." << policy << ": " << yaml_scalar(addr) << "\n";
  if (!config.pcap.empty()) os << "pcap:\n";
  for (const InterfaceConfig& i : config.pcap) {
    os << "  - interface: " << yaml_scalar(i.interface) << "\n";
    if (!i.bpf_filter.empty()) os << "    bpf-filter: " << yaml_scalar(i.bpf_filter) << "\n";
    os << "    snaplen: " << i.snaplen << "\n";
    if (i.buffer_size != 0) os << "    buffer-size: " << i.buffer_size << "\n";
    os << "    promisc: " << bool_text(i.promisc) << "\n";
    if (!i.site.empty()) os << "    site: " << yaml_scalar(i.site) << "\n";
  }
  return os.str();
}

}  // namespace wp::app
