#include "app/pipeline.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <new>
#include <optional>
#include <thread>

#include "app/control.h"
#include "app/dispatch.h"
#include "app/runtime.h"
#include "app/stats_names.h"
#include "app/shutdown.h"
#include "app/worker.h"
#include "capture/pcap_file.h"
#include "common/file_io.h"
#include "common/text.h"
#include "common/thread.h"
#include "detect/compile/rule_loader.h"
#include "detect/compile/threshold_config.h"
#include "detect/engine/host_state.h"
#include "output/eve.h"
#include "output/event_ring.h"
#include "output/json.h"
#include "output/output_thread.h"
#include "output/shipper.h"
#include "output/spool.h"

namespace wp::app {
namespace {

namespace fs = std::filesystem;

std::string in_log_dir(const Config& c, const std::string& file) {
  if (file.empty() || file == "-" || fs::path(file).is_absolute()) return file;
  return (fs::path(c.log_dir) / file).string();
}

double peak_rss_mib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

std::string human_count(double v) {
  char buf[32];
  if (v >= 1e9) {
    std::snprintf(buf, sizeof buf, "%.2fG", v / 1e9);
  } else if (v >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.2fM", v / 1e6);
  } else if (v >= 1e3) {
    std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  }
  return buf;
}

Result<void> write_stats(const std::string& path, const Counters& counters,
                         const std::vector<RuleHits>& hits, const detect::LoadReport& load,
                         std::uint64_t packets, std::uint64_t bytes, double seconds) {
  std::string out = "{\"packets\":" + std::to_string(packets) +
                    ",\"bytes\":" + std::to_string(bytes) +
                    ",\"seconds\":" + std::to_string(seconds);
  out += ",\"rules\":{\"loaded\":" + std::to_string(load.loaded) +
         ",\"skipped\":" + std::to_string(load.skipped) + ",\"skipped_by_reason\":{";
  bool first = true;
  for (const auto& [reason, n] : load.skipped_by_reason) {
    if (!first) out += ",";
    first = false;
    output::append_json_string(out, reason);
    out += ":" + std::to_string(n);
  }
  out +=
      "},\"hs_cache\":{\"enabled\":" + std::string(load.hs_cache_dir.empty() ? "false" : "true") +
      ",\"hits\":" + std::to_string(load.hs_cache.hits) +
      ",\"misses\":" + std::to_string(load.hs_cache.misses) +
      ",\"rebuilt\":" + std::to_string(load.hs_cache.rebuilt) + "}}";
  out += ",\"flows\":" + std::to_string(counters.get("flow.total"));
  out += ",\"alerts\":" + std::to_string(counters.get("detect.alert"));
  out += ",\"anomalies\":{";
  first = true;
  for (CounterId i = 0; i < counters.size(); ++i) {
    if (!counters.is_anomaly(i) || counters.get(i) == 0) continue;
    if (!first) out += ",";
    first = false;
    output::append_json_string(out, counters.name(i));
    out += ":" + std::to_string(counters.get(i));
  }
  out += "},\"counters\":{";
  for (CounterId i = 0; i < counters.size(); ++i) {
    if (i) out += ",";
    output::append_json_string(out, counters.name(i));
    out += ":" + std::to_string(counters.get(i));
  }
  out += "},\"rules_hit\":[";
  first = true;
  for (const RuleHits& r : hits) {
    if (!first) out += ",";
    first = false;
    out += "{\"gid\":" + std::to_string(r.gid) + ",\"sid\":" + std::to_string(r.sid) +
           ",\"rev\":" + std::to_string(r.rev) + ",\"msg\":";
    output::append_json_string(out, r.msg);
    out += ",\"hits\":" + std::to_string(r.hits) + "}";
  }
  out += "]}\n";
  return write_file(path, out);
}

// Flows, sessions, stream data and fragments given up because a memcap was reached, as the
// run summary names them ("3 flows evicted (flow.memcap), ..."); empty when there were none.
std::string memcap_pressure(const Counters& counters) {
  struct Pressure {
    const char* counter;
    const char* what;
    const char* key;
  };
  static constexpr Pressure kPressure[] = {
      {"flow.evicted", "flows evicted", "flow.memcap"},
      {"stream.memcap_drop", "TCP sessions not tracked", "stream.memcap"},
      {"stream.reassembly_memcap_drop", "TCP segments not reassembled", "stream.reassembly.memcap"},
      {"defrag.memcap_reached", "fragments dropped", "defrag.memcap"},
      {"defrag.max_trackers_reached", "fragments dropped", "defrag.trackers"},
  };
  std::string out;
  for (const Pressure& p : kPressure) {
    const std::uint64_t n = counters.get(p.counter);
    if (n == 0) continue;
    out += out.empty() ? "" : ", ";
    out += std::to_string(n) + " " + p.what + " (" + p.key + ")";
  }
  return out;
}

// An output file (EVE or fast.log) and the counters of its write errors.
struct AlertFile {
  output::LineFile* file;
  const char* what;  // "EVE", "fast.log"
  const char* unit;  // what a line is: "records" (EVE: alerts, flows, ...), "alerts"
  CounterId write_errors, not_written;
};

// Delivery to the collector (docs/delivery.md): the spool the output thread appends to
// first and the shipper that sends it. Empty without collector.address.
struct Delivery {
  std::unique_ptr<output::Spool> spool;
  std::unique_ptr<output::SpoolSink> sink;
  std::unique_ptr<output::Shipper> shipper;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  // Opens the spool and loads the TLS files. An error is a configuration error (exit 2).
  Result<void> open(const Config& config) {
    const CollectorConfig& c = config.collector;
    std::vector<std::string> warnings;
    auto dir = output::choose_spool_dir(c.spool_dir, warnings);
    for (const std::string& w : warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    warnings.clear();
    if (!dir) return dir.error();
    auto opened = output::Spool::open(
        output::SpoolConfig{dir.value(), config.sensor_id, c.spool_max_size, c.spool_sync},
        warnings);
    for (const std::string& w : warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    if (!opened) return opened.error();
    spool = std::move(opened.value());
    sink = std::make_unique<output::SpoolSink>(*spool);
    auto address = output::parse_host_port(c.address);
    if (!address) return make_error("collector.address " + address.error().message);
    output::ShipperConfig sc;
    sc.address = address.value();
    sc.ca_file = c.ca_file;
    sc.cert_file = c.cert_file;
    sc.key_file = c.key_file;
    sc.insecure_plaintext = c.insecure_plaintext;
    sc.sensor_id = config.sensor_id;
    sc.site = config.site;
    sc.batch_events = c.batch_events;
    sc.batch_delay = std::chrono::milliseconds(c.batch_delay_ms);
    sc.max_in_flight = c.max_in_flight;
    sc.heartbeat_interval = std::chrono::milliseconds(c.heartbeat_interval_ms);
    auto created = output::Shipper::create(*spool, std::move(sc));
    if (!created) return created.error();
    shipper = std::move(created.value());
    if (const std::uint64_t backlog = spool->backlog(); backlog != 0) {
      std::fprintf(
          stderr,
          "collector: %llu unacknowledged events in %s from an earlier run; sending them first\n",
          static_cast<unsigned long long>(backlog), spool->dir().c_str());
    }
    return {};
  }

  // The delivery counters as they are now (stats.json, the final Stats event).
  void report(Counters& counters) const {
    const std::pair<const char*, std::uint64_t> values[] = {
        {"collector.events_sent", shipper->events_sent()},
        {"collector.events_acked", shipper->events_acked()},
        {"collector.connects", shipper->connects()},
        {"collector.connect_failures", shipper->connect_failures()},
        {"collector.refused", shipper->refused()},
        {"spool.events", spool->last_seq()},
        {"spool.backlog", spool->backlog()},
        {"spool.bytes", spool->size()},
        {"spool.dropped_events", spool->dropped_events()},
        {"spool.corrupt_records", spool->corrupt_records()},
        {"spool.write_errors", spool->write_errors()},
    };
    for (const auto& [name, value] : values) counters.set(counters.add(name), value);
  }

  // After the output thread stopped: waits up to collector.drain-timeout for every event to
  // be acknowledged (SIGINT/SIGTERM end the wait), stops the shipper and says what stays.
  void drain(const Config& config) {
    const std::uint64_t target = spool->last_seq();
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(config.collector.drain_timeout_ms);
    const bool interrupted_before = stop_requested();
    const bool all = shipper->wait_acked(target, deadline, [] { return stop_requested(); });
    shipper->stop();
    std::string why;
    const std::uint64_t backlog = spool->backlog();
    if (!all && backlog != 0) {
      if (stop_requested()) {
        why += std::string("; ") + (interrupted_before ? "not drained" : "drain interrupted") +
               " (" + stop_signal_name() + ")";
      }
      const std::string error = shipper->last_error();
      if (!error.empty()) why += "; " + error;
      if (!stop_requested() && error.empty()) {
        why += "; not acknowledged within collector.drain-timeout " +
               duration_text(config.collector.drain_timeout_ms);
      }
    }
    if (spool->dropped_events() != 0) {
      why += "; " + std::to_string(spool->dropped_events()) +
             " events dropped because the spool was full (collector.spool-max-size " +
             size_text(config.collector.spool_max_size) + ")";
    }
    if (spool->corrupt_records() != 0) {
      why += "; " + std::to_string(spool->corrupt_records()) + " corrupt spool records skipped";
    }
    if (spool->write_errors() != 0) {
      why += "; " + std::to_string(spool->write_errors()) + " spool write errors (" +
             spool->first_error() + ")";
    }
    std::fprintf(stderr, "collector: %llu events delivered, %llu still spooled in %s%s\n",
                 static_cast<unsigned long long>(shipper->events_acked()),
                 static_cast<unsigned long long>(backlog), spool->dir().c_str(), why.c_str());
  }
};

// ---------------------------------------------------------------------------------------
// Rule loading: the one function startup and reload call.

struct Detection {
  std::shared_ptr<const detect::RuleSet> rules;
  detect::LoadReport report;
};

// The one call startup and reloads make: detect::load_detection() from the configuration
// (with the running generation's NameTable on a reload, so ids survive), printing rule
// errors, warnings and the load summary on stderr. An error: the rule set cannot load as a
// whole (a classification, reference or threshold file unusable, a rule file missing or
// unreadable, compilation failed; with `reload`, also a rule file whose rules all failed),
// with the reason. Cold path; any thread.
Result<Detection> load_detection(const Config& config, bool reload,
                                 std::shared_ptr<detect::NameTable> names = nullptr) {
  if (config.rule_files.empty()) {
    return make_error("no rule files (use --rules FILE, -S FILE or rule-files)");
  }
  detect::DetectionLoad detection =
      detect::load_detection(detection_config(config), std::move(names));
  if (!detection.config_error.empty()) return make_error(detection.config_error);
  const std::optional<detect::ThresholdConfigResult>& thresholds = detection.thresholds;
  const detect::LoadedRules& loaded = detection.loaded;
  const detect::LoadReport& rep = loaded.report;
  std::string unreadable;
  // Rules "not supported yet" (21k of ET Open) are one line each only at info level (-v);
  // otherwise the summary's reasons count them. Real errors always get their line.
  const bool each_unsupported =
      config.log_level >= LogLevel::kInfo || config.init_errors_fatal;
  for (const detect::RuleError& e : rep.errors) {
    if (e.unreadable_file() && unreadable.empty()) unreadable = e.message;
    if (e.not_supported && !each_unsupported) continue;
    std::fprintf(stderr, "%s%s\n", e.unreadable_file() ? "watchpost: " : "", e.message.c_str());
  }
  if (detection.unreadable_rule_file) return make_error(unreadable);  // a named file must load
  if (thresholds) {
    for (const std::string& e : thresholds->errors) std::fprintf(stderr, "%s\n", e.c_str());
  }
  if (config.log_level >= LogLevel::kWarning) {
    for (const std::string& w : rep.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  }
  if (!loaded.rules) return make_error(loaded.fatal);
  if (reload) {
    // A file whose rules all failed is a broken edit, not an empty rule set.
    for (const std::string& name : config.rule_files) {
      const bool relative = !config.default_rule_path.empty() && !fs::path(name).is_absolute();
      const std::string f = relative ? (fs::path(config.default_rule_path) / name).string() : name;
      std::size_t failed = 0, ok = 0;
      for (const detect::RuleError& e : rep.errors) failed += e.file == f;
      for (const auto& r : loaded.rules->rules()) ok += r.rule.file == f;
      if (failed != 0 && ok == 0) {
        return make_error(f + ": none of its " + std::to_string(failed) + " rules loaded");
      }
    }
  }
  if (config.log_level >= LogLevel::kNotice) {
    std::fprintf(stderr, "%s\n", rep.summary().c_str());
    if (thresholds) {
      std::fprintf(stderr, "threshold-file %s: %zu entries loaded, %zu lines skipped\n",
                   thresholds->config.file.c_str(), thresholds->config.entries(),
                   thresholds->errors.size());
    }
    std::fprintf(stderr,
                 "rules: parsed in %.2f s, compiled in %.2f s (%zu with fast pattern, %zu "
                 "address-indexed, %zu other without content)\n",
                 rep.parse_seconds, rep.compile_seconds, loaded.rules->stats().with_fast_pattern,
                 loaded.rules->stats().address_indexed,
                 loaded.rules->stats().no_content - loaded.rules->stats().address_indexed);
  }
  if (config.init_errors_fatal && rep.skipped != 0) {
    return make_error(std::to_string(rep.skipped) +
                      " rules did not load and --init-errors-fatal is given");
  }
  return Detection{loaded.rules, rep};
}

std::int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Rule reloads on the control thread: the new set compiles on a thread of its own while the
// workers go on with the old one; poll() (the control tick) publishes it or rejects it.
class Reloader {
 public:
  using Done = std::function<void(bool, std::string)>;
  Reloader(const Config& config, RuleGeneration& generation, Counters& counters,
           const detect::LoadReport& first)
      : config_(config), generation_(generation), counters_(counters) {
    c_reloads_ = counters_.add("detect.rule_reloads");
    c_failures_ = counters_.add("detect.rule_reload_failures");
    c_loaded_ = counters_.add("detect.rules_loaded");
    c_failed_ = counters_.add("detect.rules_failed");
    counters_.set(c_loaded_, first.loaded);
    counters_.set(c_failed_, first.skipped);
    last_ok_us_ = wall_us();
  }
  ~Reloader() {
    if (thread_.joinable()) thread_.join();
  }

  void request(Done done) {
    if (done) waiters_.push_back(std::move(done));
    if (running_) {
      again_ = true;  // the files may have changed after the running load read them
      return;
    }
    start();
  }

  void poll() {
    if (!running_ || !finished_.load(std::memory_order_acquire)) return;
    thread_.join();
    running_ = false;
    std::vector<Done> waiters;
    waiters.swap(current_waiters_);
    bool ok = false;
    std::string message;
    if (result_) {
      generation_.publish(result_.value().rules);
      counters_.inc(c_reloads_);
      counters_.set(c_loaded_, result_.value().report.loaded);
      counters_.set(c_failed_, result_.value().report.skipped);
      last_ok_us_ = wall_us();
      ok = true;
      message = "done: " + std::to_string(result_.value().report.loaded) + " rules loaded, " +
                std::to_string(result_.value().report.skipped) + " skipped";
      std::fprintf(stderr, "watchpost: rules reloaded: %s\n", message.c_str() + 6);
    } else {
      counters_.inc(c_failures_);
      message = "rule reload rejected: " + result_.error().describe() + "; the running rules stay";
      last_error_ = result_.error().describe();
      std::fprintf(stderr, "watchpost: %s\n", message.c_str());
    }
    result_ = make_error("");
    for (const Done& d : waiters) d(ok, message);
    if (again_) {
      again_ = false;
      start();
    }
  }

  // {"rules_loaded":N,"rules_failed":M,"last_reload":"TIME","reloads":N,"reload_failures":N}
  std::string stats_json() const {
    std::string out = "{\"rules_loaded\":" + std::to_string(counters_.get(c_loaded_)) +
                      ",\"rules_failed\":" + std::to_string(counters_.get(c_failed_)) +
                      ",\"last_reload\":\"";
    output::append_timestamp(out, last_ok_us_);
    out += "\",\"reloads\":" + std::to_string(counters_.get(c_reloads_)) +
           ",\"reload_failures\":" + std::to_string(counters_.get(c_failures_)) +
           ",\"reload_running\":" + (running_ ? "true" : "false");
    if (!last_error_.empty()) {
      out += ",\"last_failure\":";
      output::append_json_string(out, last_error_);
    }
    return out + "}";
  }

 private:
  void start() {
    running_ = true;
    finished_.store(false, std::memory_order_relaxed);
    current_waiters_.insert(current_waiters_.end(), std::make_move_iterator(waiters_.begin()),
                            std::make_move_iterator(waiters_.end()));
    waiters_.clear();
    std::fprintf(stderr, "watchpost: reloading rules\n");
    thread_ = start_thread([this] {
      result_ = load_detection(config_, /*reload=*/true, generation_.current()->names());
      finished_.store(true, std::memory_order_release);
    });
  }

  const Config& config_;
  RuleGeneration& generation_;
  Counters& counters_;
  std::thread thread_;
  bool running_ = false;
  bool again_ = false;
  std::atomic<bool> finished_{false};
  Result<Detection> result_ = make_error("");
  std::vector<Done> waiters_;          // for the next load
  std::vector<Done> current_waiters_;  // for the running one
  std::int64_t last_ok_us_ = 0;
  std::string last_error_;
  CounterId c_reloads_, c_failures_, c_loaded_, c_failed_;
};

// "decoder.event.ipv4.trunc_pkt" -> "watchpost_decoder_event_ipv4_trunc_pkt_total".
std::string metric_name(const std::string& counter) {
  std::string out = "watchpost_";
  for (char ch : counter) {
    const bool ok =
        (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    out.push_back(ok ? ch : '_');
  }
  return out + "_total";
}

std::string label_value(const std::string& v) {
  std::string out;
  for (char ch : v) {
    if (ch == '\\' || ch == '"') out.push_back('\\');
    if (ch == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(ch);
  }
  return out;
}

}  // namespace

detect::DetectionConfig detection_config(const Config& config) {
  detect::DetectionConfig d;
  d.rule_files = config.rule_files;
  d.default_rule_path = config.default_rule_path;
  d.vars = config.vars;
  d.classification_file = config.classification_file;
  d.reference_config_file = config.reference_config_file;
  d.threshold_file = config.threshold_file;
  d.threshold_file_explicit = config.threshold_file_explicit;
  d.hs_cache = config.hs_cache;
  return d;
}

std::string prometheus_text(const std::vector<LabelledCounters>& sets) {
  // name -> lines; a name's # TYPE line once, before its samples.
  std::map<std::string, std::string> by_name;
  for (const LabelledCounters& set : sets) {
    std::string labels;
    for (const auto& [k, v] : set.labels) {
      if (v.empty()) continue;
      labels += (labels.empty() ? "" : ",") + k + "=\"" + label_value(v) + "\"";
    }
    const std::size_t n = set.counters->size();
    for (CounterId i = 0; i < n; ++i) {
      std::string& lines = by_name[metric_name(set.counters->name(i))];
      lines += metric_name(set.counters->name(i));
      if (!labels.empty()) lines += "{" + labels + "}";
      lines += " " + std::to_string(set.counters->get(i)) + "\n";
    }
  }
  std::string out;
  for (const auto& [name, lines] : by_name) {
    out += "# TYPE " + name + " counter\n" + lines;
  }
  return out;
}

namespace {

// One warning per capture whose link type the decoder does not decode: otherwise its
// packets would only show up as a counter.
void warn_if_not_decoded(const std::string& where, int linktype) {
  if (decode::is_decoded_linktype(linktype)) return;
  std::fprintf(stderr,
               "warning: %s: link type %d (%s) is not decoded; its packets are counted as "
               "decoder.unsupported_linktype\n",
               where.c_str(), linktype, capture::linktype_name(linktype).c_str());
}

}  // namespace

int test_configuration(const Config& config) {
  auto detection = load_detection(config, /*reload=*/false);
  if (!detection) {
    std::fprintf(stderr, "watchpost: %s\n", detection.error().describe().c_str());
    return 2;
  }
  // Rules "not supported yet" are allowed (the summary lists them); a malformed rule is not.
  std::size_t errors = 0;
  for (const detect::RuleError& e : detection.value().report.errors) errors += !e.not_supported;
  if (errors != 0) {
    std::fprintf(stderr, "watchpost: configuration test failed: %zu rules with errors\n", errors);
    return 2;
  }
  std::fprintf(stderr, "watchpost: configuration test passed: %zu rules loaded, %zu not supported yet\n",
               detection.value().report.loaded, detection.value().report.skipped);
  return 0;
}

int run_sensor(const Config& config) {
  const bool live = !config.live_interfaces.empty();
  auto detection = load_detection(config, /*reload=*/false);
  if (!detection) {
    std::fprintf(stderr, "watchpost: %s\n", detection.error().describe().c_str());
    return 2;
  }
  const detect::LoadReport& rep = detection.value().report;
  RuleGeneration generation(detection.value().rules);

  std::unique_ptr<capture::PcapFileSource> file_source;
  if (!live) {
    auto source = capture::PcapFileSource::open(config.pcap_files);
    if (!source) {
      std::fprintf(stderr, "watchpost: %s\n", source.error().describe().c_str());
      return 1;
    }
    file_source = std::move(source.value());
    for (const auto& [path, linktype] : file_source->file_linktypes()) {
      warn_if_not_decoded(path, linktype);
    }
  }
  std::uint32_t threads = config.runtime.threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());

  std::error_code ec;
  fs::create_directories(config.log_dir, ec);
  Counters counters;          // the main thread's (files, outputs)
  Counters control_counters;  // the control thread's (reloads)
  // Alerts leave the workers through rings; the output thread writes them to the files.
  std::vector<std::unique_ptr<output::EventSink>> sinks;
  std::vector<AlertFile> alert_files;
  auto open_alert_file = [&](const std::string& name, const char* what, const char* prefix,
                             const char* unit) -> std::unique_ptr<output::LineFile> {
    auto f = output::LineFile::open(in_log_dir(config, name));
    if (!f) {
      std::fprintf(stderr, "watchpost: %s\n", f.error().describe().c_str());
      return nullptr;
    }
    alert_files.push_back({f.value().get(), what, unit,
                           counters.add(std::string(prefix) + ".write_errors"),
                           counters.add(std::string(prefix) + "." + unit + "_not_written")});
    return std::move(f.value());
  };
  if (config.eve_enabled) {
    auto f = open_alert_file(config.eve_file, "EVE", "output.eve", "records");
    if (!f) return 1;
    output::EveOptions eve = config.eve;
    eve.stats = config.runtime.stats_enabled;
    eve.stats_deltas = config.runtime.stats_deltas;
    sinks.push_back(std::make_unique<output::EveSink>(std::move(f), eve));
  }
  if (!config.fast_file.empty() && config.fast_enabled) {
    auto f = open_alert_file(config.fast_file, "fast.log", "output.fast", "alerts");
    if (!f) return 1;
    sinks.push_back(std::make_unique<output::FastSink>(std::move(f)));
  }
  Delivery delivery;
  if (!config.collector.address.empty()) {
    if (auto r = delivery.open(config); !r) {
      std::fprintf(stderr, "watchpost: %s\n", r.error().describe().c_str());
      return 2;
    }
  }
  std::vector<output::EventSink*> sink_ptrs;
  if (delivery.sink) sink_ptrs.push_back(delivery.sink.get());  // spool first: it numbers events
  for (auto& s : sinks) sink_ptrs.push_back(s.get());

  // Workers, each with a ring per source.
  const std::size_t sources = live ? config.live_interfaces.size() : 1;
  // Offline, the reading thread is the first worker (its packets need no ring and no copy);
  // with more threads it hands the others theirs through rings.
  const bool inline_worker = !live && threads == 1;
  std::vector<std::unique_ptr<WorkerThread>> workers;
  std::vector<SourceIdentity> identities;
  std::vector<InterfaceConfig> ifaces;
  for (const std::string& name : config.live_interfaces) {
    ifaces.push_back(interface_config(config, name));
    identities.push_back({name, ifaces.back().site});
  }
  // Thresholds and xbits belong to hosts: one table for every worker and generation.
  auto host_state = std::make_shared<detect::HostState>(
      detect::HostStateConfig{.xbits_capacity = config.detect.xbits_capacity});
  try {
    for (std::uint32_t i = 0; i < threads; ++i) {
      workers.push_back(std::make_unique<WorkerThread>(i, config, generation,
                                                       !live && i == 0 ? 0 : sources,
                                                       config.runtime.ring_size, host_state));
      if (live) workers.back()->worker().set_sources(identities);
    }
  } catch (const std::bad_alloc&) {
    // What is allocated up front is each worker's flow table: its hash buckets and
    // flow.prealloc flows (flow.memcap is a ceiling reached as flows arrive).
    std::fprintf(stderr,
                 "watchpost: not enough memory to set up the flow table (flow.hash-size %u, "
                 "flow.prealloc %u, flow.memcap %s); lower flow.hash-size or flow.prealloc\n",
                 config.flow.hash_size, config.flow.prealloc,
                 size_text(config.flow.memcap).c_str());
    if (threads > 1) {
      std::fprintf(stderr,
                   "watchpost: (each of the %u workers has its own flow table; --threads "
                   "sets how many)\n",
                   threads);
    }
    return 2;
  }
  // Offline, several workers: host state in capture order (PacketOrder), so the alerts do
  // not depend on which worker ran first.
  PacketOrder packet_order(workers.size());
  if (!live && !inline_worker) {
    for (auto& w : workers) w->keep_order(packet_order);
  }
  if (const std::string& e = workers[0]->worker().detector().scratch_error(); !e.empty()) {
    // Counted as detect.hs_scratch_error; the packets' scans fail (detect.hs_scan_error).
    std::fprintf(stderr, "warning: %s\n", e.c_str());
  }
  std::vector<std::unique_ptr<CaptureThread>> captures;
  for (std::size_t s = 0; s < ifaces.size(); ++s) {
    std::vector<capture::PacketRing*> rings;
    for (auto& w : workers) rings.push_back(&w->ring(s));
    captures.push_back(
        std::make_unique<CaptureThread>(static_cast<std::uint32_t>(s), ifaces[s], rings));
    if (auto r = captures.back()->open(); !r) {
      std::fprintf(stderr, "watchpost: %s\n", r.error().describe().c_str());
      return 1;
    }
    warn_if_not_decoded(ifaces[s].interface, captures.back()->linktype());
  }

  // The output thread drains each worker's ring and the control ring (stats events).
  output::EventRing control_ring(64);
  std::vector<output::EventRing*> rings;
  for (auto& w : workers) rings.push_back(&w->events());
  rings.push_back(&control_ring);
  output::OutputThread output_thread(rings, sink_ptrs);

  const auto started = std::chrono::steady_clock::now();
  // Every counter, summed; `previous` for the deltas.
  auto total_counters = [&] {
    Counters total;
    for (auto& c : captures) total.merge(c->counters());
    for (auto& w : workers) total.merge(w->counters());
    total.merge(counters);
    total.merge(control_counters);
    if (delivery.spool) delivery.report(total);
    return total;
  };
  auto fill_stats = [&](watchpost::v1::Stats& st, const Counters& total, const Counters* previous) {
    st.set_timestamp_us(wall_us());
    st.set_site(config.site);
    st.set_sensor_id(config.sensor_id);
    st.set_uptime_us(std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::steady_clock::now() - started)
                         .count());
    // One pass: each counter under its own name and, where Suricata has the concept, under
    // Suricata's; with `previous`, the change since then beside both.
    auto& map = *st.mutable_counters();
    auto& suricata = *st.mutable_suricata_counters();
    for (CounterId i = 0; i < total.size(); ++i) {
      const std::string& name = total.name(i);
      const std::string suricata_name = suricata_counter_name(name);
      map[name] = total.get(i);
      if (!suricata_name.empty()) suricata[suricata_name] += total.get(i);
      if (previous == nullptr) continue;
      const std::uint64_t before = previous->get(name);
      const std::uint64_t delta = total.get(i) >= before ? total.get(i) - before : 0;
      (*st.mutable_deltas())[name] = delta;
      if (!suricata_name.empty()) (*st.mutable_suricata_deltas())[suricata_name] += delta;
    }
  };
  // Control thread state (touched on the control thread only while it runs).
  Reloader reloader(config, generation, control_counters, rep);
  Counters previous_stats;
  auto next_stats = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(config.runtime.stats_interval_ms);
  const CounterId c_stats_skipped = control_counters.add("output.stats_skipped");
  ControlHooks hooks;
  hooks.tick = [&] {
    const unsigned hup = take_hangups();
    if (hup != 0) output_thread.request_reopen();
    if (hup != 0 || take_reload_signals() != 0) reloader.request(nullptr);
    reloader.poll();
    if (config.runtime.stats_enabled && std::chrono::steady_clock::now() >= next_stats) {
      next_stats += std::chrono::milliseconds(config.runtime.stats_interval_ms);
      Counters total = total_counters();
      if (watchpost::v1::Event* e = control_ring.try_acquire()) {
        fill_stats(*e->mutable_stats(), total, &previous_stats);
        control_ring.publish();
      } else {
        control_counters.inc(c_stats_skipped);  // the output thread is far behind
      }
      previous_stats = total;
    }
  };
  hooks.reload = [&](Reloader::Done done) { reloader.request(std::move(done)); };
  hooks.stats_json = [&] {
    watchpost::v1::Stats st;
    fill_stats(st, total_counters(), nullptr);
    std::string out;
    output::render_eve_stats(st, output::EveOptions{}, out);
    return out;
  };
  hooks.ruleset_stats_json = [&] { return reloader.stats_json(); };
  hooks.reopen_log_files = [&] { output_thread.request_reopen(); };
  hooks.metrics_text = [&] {
    std::vector<LabelledCounters> sets;
    for (auto& c : captures)
      sets.push_back({&c->counters(),
                      {{"iface", c->config().interface},
                       {"site", c->config().site.empty() ? config.site : c->config().site}}});
    for (auto& w : workers)
      sets.push_back(
          {&w->counters(), {{"worker", std::to_string(w->index())}, {"site", config.site}}});
    sets.push_back({&counters, {{"site", config.site}}});
    sets.push_back({&control_counters, {{"site", config.site}}});
    return prometheus_text(sets);
  };
  ControlOptions control_options;
  control_options.socket = config.runtime.unix_command == UnixCommand::kYes ||
                           (config.runtime.unix_command == UnixCommand::kAuto && live);
  control_options.socket_path = config.runtime.unix_command_file;
  control_options.metrics = config.runtime.metrics_enabled;
  control_options.metrics_listen = config.runtime.metrics_listen;
  std::vector<std::string> warnings;
  auto control = ControlThread::create(control_options, std::move(hooks), warnings);
  for (const std::string& w : warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  if (!control) {
    std::fprintf(stderr, "watchpost: %s\n", control.error().describe().c_str());
    return 1;
  }
  if (!control.value()->metrics_endpoint().empty()) {
    std::fprintf(stderr, "watchpost: metrics at http://%s/metrics\n",
                 control.value()->metrics_endpoint().c_str());
  }
  if (!control.value()->socket_path().empty()) {
    std::fprintf(stderr, "watchpost: control socket %s\n", control.value()->socket_path().c_str());
  }

  // Everything that needs privileges is open: the pid file, then the switch of user.
  if (!config.runtime.pid_file.empty()) {
    if (auto r = write_file(config.runtime.pid_file, std::to_string(::getpid()) + "\n"); !r) {
      std::fprintf(stderr, "watchpost: pid-file %s\n", r.error().describe().c_str());
      return 1;
    }
  }
  if (auto r = drop_privileges(config.runtime.user, config.runtime.group); !r) {
    std::fprintf(stderr, "watchpost: %s\n", r.error().describe().c_str());
    return 1;
  }

  if (delivery.shipper) delivery.shipper->start();
  output_thread.start();
  for (auto& w : workers) {
    if (live || w->index() != 0) w->start();  // offline, worker 0 is this thread
  }
  control.value()->start();
  for (auto& c : captures) c->start();
  const CounterId c_truncated = counters.add("capture.truncated_files");
  const CounterId c_reader_waits = counters.add("capture.reader_waits");
  if (live) {
    std::string names;
    for (const std::string& n : config.live_interfaces) names += (names.empty() ? "" : ", ") + n;
    std::fprintf(stderr, "watchpost: capturing on %s with %u workers\n", names.c_str(), threads);
  }

  bool done = stop_requested();  // a signal during rule loading: read nothing
  if (live) {
    while (!stop_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } else {
    capture::RawPacket raw;
    workers[0]->start_inline();
    while (!done) {
      switch (file_source->next(raw)) {
        case capture::ReadStatus::kPacket:
          if (!inline_worker) packet_order.begin(0, raw.number);
          if (const std::uint32_t w = dispatch_worker(raw, threads); w == 0) {
            workers[0]->process_inline(raw);
          } else {
            // Offline nothing is dropped: wait for the worker instead.
            capture::PacketRing& ring = workers[w]->ring(0);
            int spins = 0;
            while (!ring.push(raw)) {
              if (spins == 0) counters.inc(c_reader_waits);
              if (stop_requested()) break;
              if (++spins < 16) {
                std::this_thread::yield();
              } else {
                std::this_thread::sleep_for(std::chrono::microseconds(50));
              }
            }
          }
          break;
        case capture::ReadStatus::kTruncated:
          if (stop_requested()) break;  // the signal interrupted the read: not a damaged file
          counters.inc(c_truncated);
          std::fprintf(stderr, "warning: %s; the packets before it were processed\n",
                       file_source->warning().c_str());
          break;
        case capture::ReadStatus::kEnd:
          done = true;
          break;
      }
      done = done || stop_requested();
    }
  }
  if (!live) {
    workers[0]->finish_inline();
    packet_order.begin(0, ~std::uint64_t{0});  // nothing more for the other workers to wait on
  }
  // Wind down in pipeline order: capture, workers (they finish what their rings hold), the
  // control thread, the output thread.
  for (auto& c : captures) c->stop();
  for (auto& w : workers) w->stop();
  control.value()->stop();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (live || delivery.spool) {
    // The final Stats event (every counter): the control thread has stopped, so this thread
    // is now the control ring's one producer.
    Counters total = total_counters();
    watchpost::v1::Event* e = nullptr;
    while ((e = control_ring.try_acquire()) == nullptr)
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    fill_stats(*e->mutable_stats(), total, config.runtime.stats_deltas ? &previous_stats : nullptr);
    control_ring.publish();
  }
  output_thread.stop();  // every alert written and flushed
  if (stop_requested()) {
    if (live) {
      std::fprintf(stderr, "watchpost: %s: capture stopped\n", stop_signal_name());
    } else {
      std::fprintf(stderr, "watchpost: %s: stopped reading after %llu packets\n",
                   stop_signal_name(),
                   static_cast<unsigned long long>(file_source->packets_read()));
    }
  }
  bool write_failed = false;
  std::string not_written;  // for the summary
  for (const AlertFile& af : alert_files) {
    af.file->close();  // writes what is buffered
    counters.set(af.write_errors, af.file->write_errors());
    counters.set(af.not_written, af.file->lines_not_written());
    if (af.file->write_errors() == 0) continue;
    write_failed = true;
    std::fprintf(stderr, "watchpost: cannot write %s file %s: %s; %llu %s not written\n",
                 af.what, af.file->path().c_str(), af.file->first_error().c_str(),
                 static_cast<unsigned long long>(af.file->lines_not_written()), af.unit);
    not_written += "; " + std::to_string(af.file->lines_not_written()) + " " + af.unit +
                   " not written to " + af.file->path();
  }
  if (delivery.shipper) delivery.drain(config);
  if (delivery.spool && delivery.spool->write_errors() != 0) {
    // Events the spool could not hold (a full disk) never reach the collector: an output
    // that could not be written, as for the EVE file (the drain line above says which file
    // and why; the EVE file still has them).
    write_failed = true;
    not_written += "; " + std::to_string(delivery.spool->write_errors()) +
                   " spool write errors in " + delivery.spool->dir();
  }
  bool checksum_off = false;
  for (auto& w : workers) checksum_off = checksum_off || w->worker().checksum_auto_disabled();
  if (checksum_off) {
    std::fprintf(
        stderr,
        "notice: more than 10%% of the first 1000 packets had invalid checksums "
        "(offloading?): checksum validation turned off (pcap-file.checksum-checks: auto)\n");
  }

  std::uint64_t packets = 0, bytes = 0;
  if (live) {
    for (auto& c : captures) {
      packets += c->packets();
      bytes += c->bytes();
    }
  } else {
    packets = file_source->packets_read();
    bytes = file_source->bytes_read();
  }
  const Counters total = total_counters();
  // Rule hits summed over the workers by (gid, sid).
  std::vector<RuleHits> hits;
  for (auto& w : workers) {
    for (const RuleHits& h : w->worker().rule_hits()) {
      auto it = std::find_if(hits.begin(), hits.end(),
                             [&](const RuleHits& x) { return x.gid == h.gid && x.sid == h.sid; });
      if (it == hits.end()) {
        hits.push_back(h);
      } else {
        it->hits += h.hits;
      }
    }
  }
  std::sort(hits.begin(), hits.end(), [](const RuleHits& a, const RuleHits& b) {
    return a.gid != b.gid ? a.gid < b.gid : a.sid < b.sid;
  });
  if (!config.stats_file.empty()) {
    auto written = write_stats(in_log_dir(config, config.stats_file), total, hits, rep, packets,
                               bytes, seconds);
    if (!written) {
      write_failed = true;
      std::fprintf(stderr, "watchpost: cannot write stats file %s\n",
                   written.error().describe().c_str());
      not_written += "; stats not written to " + written.error().location;
    }
  }
  if (!config.runtime.pid_file.empty()) ::unlink(config.runtime.pid_file.c_str());
  std::uint64_t anomalies = 0;
  for (CounterId i = 0; i < total.size(); ++i) {
    if (total.is_anomaly(i)) anomalies += total.get(i);
  }
  std::string pressure = memcap_pressure(total);
  if (!pressure.empty()) pressure = "; " + pressure;
  std::string spread;
  if (workers.size() > 1) {
    // How the work spread: packets and CPU seconds per worker.
    std::string pkts, cpu;
    for (auto& w : workers) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%s%.2f", cpu.empty() ? "" : "/", w->cpu_seconds());
      cpu += buf;
      pkts += (pkts.empty() ? "" : "/") +
              human_count(static_cast<double>(w->counters().get("decoder.pkts")));
    }
    spread = " (packets " + pkts + ", CPU " + cpu + " s)";
  }
  std::string drops;
  if (live) {
    drops += "; " + std::to_string(total.get("capture.kernel_drops")) + " kernel drops, " +
             std::to_string(total.get("capture.ring_drops")) + " ring drops";
  }
  std::fprintf(stderr,
               "watchpost: %llu packets (%.1f MB) in %.2f s: %s pkt/s, %.1f Mbit/s; %llu flows; "
               "%llu anomalies%s; %llu alerts from %zu rules%s%s; %zu rules loaded; %u workers%s; "
               "peak memory %.0f MiB\n",
               static_cast<unsigned long long>(packets), static_cast<double>(bytes) / 1e6, seconds,
               human_count(seconds > 0 ? static_cast<double>(packets) / seconds : 0).c_str(),
               seconds > 0 ? static_cast<double>(bytes) * 8 / seconds / 1e6 : 0.0,
               static_cast<unsigned long long>(total.get("flow.total")),
               static_cast<unsigned long long>(anomalies), pressure.c_str(),
               static_cast<unsigned long long>(total.get("detect.alert")), hits.size(),
               drops.c_str(), not_written.c_str(),
               static_cast<std::size_t>(total.get("detect.rules_loaded")), threads, spread.c_str(),
               peak_rss_mib());
  return write_failed ? 1 : 0;
}

}  // namespace wp::app
