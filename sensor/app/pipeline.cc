#include "app/pipeline.h"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <new>
#include <optional>
#include <thread>

#include "app/shutdown.h"
#include "app/worker.h"
#include "capture/pcap_file.h"
#include "common/file_io.h"
#include "common/text.h"
#include "detect/compile/rule_loader.h"
#include "detect/compile/threshold_config.h"
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
                         const detect::Detector& det, const detect::LoadReport& load,
                         std::uint64_t packets, std::uint64_t bytes, double seconds) {
  std::string out = "{\"packets\":" + std::to_string(packets) + ",\"bytes\":" +
                    std::to_string(bytes) + ",\"seconds\":" + std::to_string(seconds);
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
  const auto& rules = det.rule_set().rules();
  first = true;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    if (det.hits()[i] == 0) continue;
    if (!first) out += ",";
    first = false;
    const auto& r = rules[i].rule;
    out += "{\"gid\":" + std::to_string(r.gid) + ",\"sid\":" + std::to_string(r.sid) +
           ",\"rev\":" + std::to_string(r.rev) + ",\"msg\":";
    output::append_json_string(out, r.msg);
    out += ",\"hits\":" + std::to_string(det.hits()[i]) + "}";
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

// An alert file (EVE or fast.log) and the counters of its write errors.
struct AlertFile {
  output::LineFile* file;
  const char* what;  // "EVE", "fast.log"
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
      std::fprintf(stderr, "collector: %llu unacknowledged events in %s from an earlier run; sending them first\n",
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

  // The final Stats event (every counter), pushed into the ring as its producer: call on
  // the worker's thread once the worker has finished.
  void push_final_stats(output::EventRing& ring, const Config& config, const Counters& counters) {
    watchpost::v1::Event* e = nullptr;
    while ((e = ring.try_acquire()) == nullptr) std::this_thread::sleep_for(std::chrono::microseconds(100));
    watchpost::v1::Stats* st = e->mutable_stats();
    st->set_timestamp_us(std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count());
    st->set_site(config.site);
    st->set_sensor_id(config.sensor_id);
    st->set_uptime_us(std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - started)
                          .count());
    auto& map = *st->mutable_counters();
    for (CounterId i = 0; i < counters.size(); ++i) map[counters.name(i)] = counters.get(i);
    ring.publish();
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

int run_offline(const Config& config) {
  if (config.rule_files.empty()) {
    std::fprintf(stderr, "watchpost: no rule files (use --rules FILE, -S FILE or rule-files)\n");
    return 2;
  }
  detect::DetectionLoad detection = detect::load_detection(detection_config(config));
  if (!detection.config_error.empty()) {
    std::fprintf(stderr, "watchpost: %s\n", detection.config_error.c_str());
    return 2;
  }
  std::optional<detect::ThresholdConfigResult>& thresholds = detection.thresholds;
  detect::LoadedRules& loaded = detection.loaded;
  const detect::LoadReport& rep = loaded.report;
  for (const detect::RuleError& e : rep.errors) {
    std::fprintf(stderr, "%s%s\n", e.unreadable_file() ? "watchpost: " : "", e.message.c_str());
  }
  if (detection.unreadable_rule_file) return 2;  // a rule file named in the configuration must load
  if (thresholds) {
    for (const std::string& e : thresholds->errors) std::fprintf(stderr, "%s\n", e.c_str());
  }
  for (const std::string& w : rep.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  if (!loaded.rules) {
    std::fprintf(stderr, "watchpost: %s\n", loaded.fatal.c_str());
    return 2;
  }
  std::fprintf(stderr, "%s\n", rep.summary().c_str());
  if (thresholds) {
    std::fprintf(stderr, "threshold-file %s: %zu entries loaded, %zu lines skipped\n",
                 thresholds->config.file.c_str(), thresholds->config.entries(),
                 thresholds->errors.size());
  }
  std::fprintf(stderr, "rules: parsed in %.2f s, compiled in %.2f s (%zu with fast pattern, %zu address-indexed, %zu other without content)\n",
               rep.parse_seconds, rep.compile_seconds, loaded.rules->stats().with_fast_pattern,
               loaded.rules->stats().address_indexed,
               loaded.rules->stats().no_content - loaded.rules->stats().address_indexed);

  auto source = capture::PcapFileSource::open(config.pcap_files);
  if (!source) {
    std::fprintf(stderr, "watchpost: %s\n", source.error().describe().c_str());
    return 1;
  }

  std::error_code ec;
  fs::create_directories(config.log_dir, ec);
  Counters counters;
  // Alerts leave the worker through a ring; the output thread writes them to the files.
  std::vector<std::unique_ptr<output::EventSink>> sinks;
  std::vector<AlertFile> alert_files;
  auto open_alert_file = [&](const std::string& name, const char* what,
                             const char* prefix) -> std::unique_ptr<output::LineFile> {
    auto f = output::LineFile::open(in_log_dir(config, name));
    if (!f) {
      std::fprintf(stderr, "watchpost: %s\n", f.error().describe().c_str());
      return nullptr;
    }
    alert_files.push_back({f.value().get(), what,
                           counters.add(std::string(prefix) + ".write_errors"),
                           counters.add(std::string(prefix) + ".alerts_not_written")});
    return std::move(f.value());
  };
  if (config.eve_enabled) {
    auto f = open_alert_file(config.eve_file, "EVE", "output.eve");
    if (!f) return 1;
    sinks.push_back(std::make_unique<output::EveSink>(std::move(f), config.eve));
  }
  if (!config.fast_file.empty()) {
    auto f = open_alert_file(config.fast_file, "fast.log", "output.fast");
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
  output::EventRing ring;
  output::RingAlertSink to_output(ring, counters);
  output::OutputThread output_thread({&ring}, sink_ptrs);

  std::unique_ptr<Worker> worker;
  try {
    worker = std::make_unique<Worker>(config, loaded.rules, counters, &to_output);
  } catch (const std::bad_alloc&) {
    // What is allocated up front is the flow table: its hash buckets and flow.prealloc flows
    // (flow.memcap is a ceiling reached as flows arrive).
    std::fprintf(stderr,
                 "watchpost: not enough memory to set up the flow table (flow.hash-size %u, "
                 "flow.prealloc %u, flow.memcap %s); lower flow.hash-size or flow.prealloc\n",
                 config.flow.hash_size, config.flow.prealloc,
                 size_text(config.flow.memcap).c_str());
    return 2;
  }
  if (!worker->detector().scratch_error().empty()) {
    // Counted as detect.hs_scratch_error; the packets' scans fail (detect.hs_scan_error).
    std::fprintf(stderr, "warning: %s\n", worker->detector().scratch_error().c_str());
  }
  if (delivery.shipper) delivery.shipper->start();
  output_thread.start();
  const CounterId c_truncated = counters.add("capture.truncated_files");

  const auto started = std::chrono::steady_clock::now();
  capture::RawPacket raw;
  bool done = stop_requested();  // a signal during rule loading: read nothing
  while (!done) {
    switch ((*source)->next(raw)) {
      case capture::ReadStatus::kPacket:
        worker->process(raw);
        break;
      case capture::ReadStatus::kTruncated:
        if (stop_requested()) break;  // the signal interrupted the read: not a damaged file
        counters.inc(c_truncated);
        std::fprintf(stderr, "warning: %s; the packets before it were processed\n",
                     (*source)->warning().c_str());
        break;
      case capture::ReadStatus::kEnd:
        done = true;
        break;
    }
    done = done || stop_requested();
  }
  if (delivery.spool) {
    delivery.report(counters);
    delivery.push_final_stats(ring, config, counters);
  }
  output_thread.stop();  // every alert written and flushed
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (stop_requested()) {
    std::fprintf(stderr, "watchpost: %s: stopped reading after %llu packets\n", stop_signal_name(),
                 static_cast<unsigned long long>((*source)->packets_read()));
  }
  bool write_failed = false;
  std::string not_written;  // for the summary
  for (const AlertFile& af : alert_files) {
    af.file->close();  // writes what is buffered
    counters.set(af.write_errors, af.file->write_errors());
    counters.set(af.not_written, af.file->lines_not_written());
    if (af.file->write_errors() == 0) continue;
    write_failed = true;
    std::fprintf(stderr, "watchpost: cannot write %s file %s: %s; %llu alerts not written\n",
                 af.what, af.file->path().c_str(), af.file->first_error().c_str(),
                 static_cast<unsigned long long>(af.file->lines_not_written()));
    not_written += "; " + std::to_string(af.file->lines_not_written()) + " alerts not written to " +
                   af.file->path();
  }
  if (delivery.shipper) {
    delivery.drain(config);
    delivery.report(counters);
  }
  if (delivery.spool && delivery.spool->write_errors() != 0) {
    // Events the spool could not hold (a full disk) never reach the collector: an output
    // that could not be written, as for the EVE file (the drain line above says which file
    // and why; the EVE file still has them).
    write_failed = true;
    not_written += "; " + std::to_string(delivery.spool->write_errors()) +
                   " spool write errors in " + delivery.spool->dir();
  }
  if (worker->checksum_auto_disabled()) {
    std::fprintf(stderr, "notice: more than 10%% of the first 1000 packets had invalid checksums "
                         "(offloading?): checksum validation turned off (pcap-file.checksum-checks: auto)\n");
  }

  const std::uint64_t packets = (*source)->packets_read();
  const std::uint64_t bytes = (*source)->bytes_read();
  if (!config.stats_file.empty()) {
    auto written = write_stats(in_log_dir(config, config.stats_file), counters, worker->detector(),
                               rep, packets, bytes, seconds);
    if (!written) {
      write_failed = true;
      std::fprintf(stderr, "watchpost: cannot write stats file %s\n",
                   written.error().describe().c_str());
      not_written += "; stats not written to " + written.error().location;
    }
  }
  std::size_t rules_hit = 0;
  for (std::uint64_t h : worker->detector().hits()) rules_hit += h != 0;
  std::uint64_t anomalies = 0;
  for (CounterId i = 0; i < counters.size(); ++i) {
    if (counters.is_anomaly(i)) anomalies += counters.get(i);
  }
  std::string pressure = memcap_pressure(counters);
  if (!pressure.empty()) pressure = "; " + pressure;
  std::fprintf(stderr,
               "watchpost: %llu packets (%.1f MB) in %.2f s: %s pkt/s, %.1f Mbit/s; %llu flows; "
               "%llu anomalies%s; %llu alerts from %zu rules%s; %zu rules loaded; peak memory "
               "%.0f MiB\n",
               static_cast<unsigned long long>(packets), static_cast<double>(bytes) / 1e6, seconds,
               human_count(seconds > 0 ? static_cast<double>(packets) / seconds : 0).c_str(),
               seconds > 0 ? static_cast<double>(bytes) * 8 / seconds / 1e6 : 0.0,
               static_cast<unsigned long long>(counters.get("flow.total")),
               static_cast<unsigned long long>(anomalies), pressure.c_str(),
               static_cast<unsigned long long>(counters.get("detect.alert")), rules_hit,
               not_written.c_str(), rep.loaded, peak_rss_mib());
  return write_failed ? 1 : 0;
}

}  // namespace wp::app
