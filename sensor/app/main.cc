// watchpost-sensor: command line -> Config -> the offline pipeline.
#include <getopt.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "app/build_info.h"
#include "app/config.h"
#include "app/pipeline.h"
#include "app/shutdown.h"
#include "detect/rules/rule_parser.h"
#include "common/text.h"

namespace {

constexpr const char* kUsage =
    "usage: watchpost-sensor -r FILE [-r FILE ...] | -i IFACE [-i IFACE ...]\n"
    "                        (--rules FILE ... | -S FILE) [options]\n"
    "       watchpost-sensor -T [-c CONFIG.yaml] [--rules FILE ...]\n"
    "\n"
    "Replays pcap/pcapng files (-r) or captures live on interfaces (-i) through decode, flow\n"
    "tracking and rule matching on N worker threads and writes alerts as EVE JSON (one object\n"
    "per line, Suricata's field names).\n"
    "\n"
    "options:\n"
    "  -r FILE             pcap or pcapng file to replay (repeatable; one capture, in order)\n"
    "  -i IFACE            capture live on IFACE (repeatable, one per link; settings from the\n"
    "                      config's pcap: list, e.g. bpf-filter, snaplen, buffer-size,\n"
    "                      promisc, site). Without -r and -i: the pcap: list's interfaces\n"
    "  --threads N         worker threads (default: one per core); packets go to workers by\n"
    "                      a hash of their IP address pair, so both directions and every\n"
    "                      fragment of a flow meet in one worker\n"
    "  --user USER         switch to USER once captures, outputs and sockets are open\n"
    "  --group GROUP       switch to GROUP likewise\n"
    "  --pidfile FILE      write the process id to FILE (removed at exit)\n"
    "  --rules FILE, -s FILE  rule file to load, added to the config's rule-files\n"
    "                      (repeatable)\n"
    "  -S FILE             load only this rule file (ignores rule-files; repeatable)\n"
    "  -c CONFIG.yaml      configuration file (suricata.yaml key names)\n"
    "  --set KEY=VALUE     override one configuration key (repeatable)\n"
    "  --eve FILE          EVE JSON alert file (default: eve.json in the log directory)\n"
    "  --fast FILE         also write fast.log lines; '-' writes them to standard output\n"
    "  -l DIR              log directory (default-log-dir) for eve.json and stats.json\n"
    "  --site NAME         site label in alerts (e.g. nha-trang)\n"
    "  --sensor-id ID      sensor id in alerts (EVE host; default: the host name)\n"
    "  --collector HOST:PORT  also deliver alerts and the final stats to a\n"
    "                      watchpost-collector (collector.address): TLS with the client\n"
    "                      certificate collector.cert-file/key-file, verified against\n"
    "                      collector.ca-file; events are spooled on disk first\n"
    "                      (collector.spool-dir) until the collector acknowledges them\n"
    "  --dump-config       print the effective configuration and exit\n"
    "  -T                  test the configuration: load and compile the rules, open no\n"
    "                      capture; exit 0 when every rule loads or is not supported yet\n"
    "                      (counted in the summary), 2 on a malformed rule, a missing or\n"
    "                      unreadable file or a bad configuration\n"
    "  --init-errors-fatal every rule that does not load, not supported ones included,\n"
    "                      stops the start (exit 2)\n"
    "  -q                  quiet: errors and warnings only (logging.default-log-level)\n"
    "  -v                  verbose: also one line per rule not supported yet (otherwise\n"
    "                      counted by reason in the load summary)\n"
    "  -V, --version       print the version and exit\n"
    "  --build-info        print the version and the libraries and CPU features in use\n"
    "  --list-keywords     print the rule keywords and buffers: those that load, then those\n"
    "                      recognised but not supported yet\n"
    "  -h, --help          this help, with every configuration key\n"
    "\n"
    "SIGINT or SIGTERM stops the replay or the capture: the workers finish what they hold,\n"
    "outputs are flushed as whole lines, stats (a last EVE stats record live, stats.json) and\n"
    "the summary are written, exit status 0; a second signal ends the process at once.\n"
    "SIGHUP reloads the rules (and threshold.config) and reopens the log files (logrotate);\n"
    "SIGUSR2 reloads the rules. The new rules compile while packets flow; each worker swaps\n"
    "to them between two batches. A reload whose rules cannot load as a whole (a file\n"
    "missing or unreadable, or a file whose rules all fail) is rejected: the running rules\n"
    "stay, the reason is logged and counted (detect.rule_reload_failures).\n"
    "\n"
    "Live mode: an alert reaches the EVE file within a second of its packet. Control socket\n"
    "(unix-command.enabled: auto = live only; unix-command.filename): one JSON command per\n"
    "line, {\"command\":\"reload-rules\"|\"stats\"|\"reopen-log-files\"|\"ruleset-stats\"}.\n"
    "Every stats.interval (8s) an EVE stats record and a protobuf Stats event; Prometheus\n"
    "metrics at http://metrics.listen/metrics with metrics.enabled: yes.\n"
    "\n"
    "With a collector, after the last packet the sensor waits up to collector.drain-timeout\n"
    "(30s) for every event to be acknowledged (SIGINT/SIGTERM end the wait), then prints\n"
    "'collector: N events delivered, M still spooled in DIR' (and why, when M is not 0) and\n"
    "exits 0: what is not delivered stays spooled and is sent first by the next run with the\n"
    "same spool. A refused sensor (bad certificate, wrong id) or an unreachable collector is\n"
    "not an error.\n"
    "\n"
    "exit status: 0 success (also a truncated pcap, a replay stopped by SIGINT/SIGTERM, and\n"
    "             rules skipped as unsupported),\n"
    "             1 runtime error (a capture file or interface that cannot be opened, a\n"
    "             metrics.listen address that cannot be bound; an alert, stats or spool\n"
    "             file that cannot be written, e.g. a full disk: stderr names the file and\n"
    "             why, the summary counts what was not written),\n"
    "             2 bad usage or configuration (also a rule file that cannot be read, a\n"
    "             value out of range such as a memcap larger than memory, collector TLS\n"
    "             files that cannot be loaded, a spool in use by another sensor).\n";

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "watchpost-sensor: %s\n(see watchpost-sensor --help)\n", msg.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  enum { kRules = 1000, kSet, kEve, kFast, kSite, kSensorId, kDump, kCollector, kThreads, kUser,
         kGroup, kPidfile, kBuildInfo, kInitErrorsFatal, kListKeywords };
  static const option kLong[] = {
      {"rules", required_argument, nullptr, kRules},
      {"set", required_argument, nullptr, kSet},
      {"eve", required_argument, nullptr, kEve},
      {"fast", required_argument, nullptr, kFast},
      {"site", required_argument, nullptr, kSite},
      {"sensor-id", required_argument, nullptr, kSensorId},
      {"dump-config", no_argument, nullptr, kDump},
      {"collector", required_argument, nullptr, kCollector},
      {"threads", required_argument, nullptr, kThreads},
      {"user", required_argument, nullptr, kUser},
      {"group", required_argument, nullptr, kGroup},
      {"pidfile", required_argument, nullptr, kPidfile},
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, 'V'},
      {"build-info", no_argument, nullptr, kBuildInfo},
      {"init-errors-fatal", no_argument, nullptr, kInitErrorsFatal},
      {"list-keywords", no_argument, nullptr, kListKeywords},
      {nullptr, 0, nullptr, 0},
  };
  std::vector<std::string> pcaps, ifaces, rules, exclusive_rules, sets;
  std::string config_file, eve, fast, log_dir, site, sensor_id, collector, threads, user, group,
      pidfile;
  bool dump = false, test = false, init_errors_fatal = false;
  int verbose = 0, quiet = 0;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":r:S:s:c:l:i:hTvqV", kLong, nullptr)) != -1) {
    switch (c) {
      case 'r': pcaps.push_back(optarg); break;
      case 's': rules.push_back(optarg); break;
      case 'T': test = true; break;
      case 'v': ++verbose; break;
      case 'q': ++quiet; break;
      case 'V': std::printf("%s\n", wp::app::version_text().c_str()); return 0;
      case kBuildInfo: std::fputs(wp::app::build_info_text().c_str(), stdout); return 0;
      case kInitErrorsFatal: init_errors_fatal = true; break;
      case kListKeywords:
        for (const auto& k : wp::detect::lang::list_keywords()) {
          std::string what = k.family;
          if (!k.supported) what = k.family.empty() ? "not supported yet" : k.family + ", not supported yet";
          std::printf("%-32s %s\n", k.name.c_str(), what.c_str());
        }
        return 0;
      case 'S': exclusive_rules.push_back(optarg); break;
      case 'c': config_file = optarg; break;
      case 'l': log_dir = optarg; break;
      case 'i': ifaces.push_back(optarg); break;
      case kThreads: threads = optarg; break;
      case kUser: user = optarg; break;
      case kGroup: group = optarg; break;
      case kPidfile: pidfile = optarg; break;
      case 'h':
        std::fputs(kUsage, stdout);
        std::fputs("\nconfiguration keys (-c file or --set):\n", stdout);
        std::fputs(wp::app::config_help().c_str(), stdout);
        return 0;
      case kRules: rules.push_back(optarg); break;
      case kSet: sets.push_back(optarg); break;
      case kEve: eve = optarg; break;
      case kFast: fast = optarg; break;
      case kSite: site = optarg; break;
      case kSensorId: sensor_id = optarg; break;
      case kDump: dump = true; break;
      case kCollector: collector = optarg; break;
      case ':': return usage_error(std::string("option '") + argv[optind - 1] + "' needs a value");
      default: return usage_error(std::string("unknown option '") + argv[optind - 1] + "'");
    }
  }
  if (optind < argc) return usage_error(std::string("unexpected argument '") + argv[optind] + "'");

  wp::app::Config config;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) config.sensor_id = host;
  if (!config_file.empty()) {
    std::vector<std::string> warnings;
    auto r = wp::app::apply_config_file(config, config_file, warnings);
    for (const auto& w : warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    if (!r) {
      std::fprintf(stderr, "watchpost-sensor: %s\n", r.error().describe().c_str());
      return 2;
    }
  }
  for (const std::string& s : sets) {
    auto r = wp::app::apply_set(config, s);
    if (!r) return usage_error("--set " + s + ": " + r.error().describe());
  }
  if (quiet != 0 && verbose != 0) return usage_error("give either -q or -v, not both");
  if (quiet != 0) config.log_level = wp::app::LogLevel::kWarning;
  if (verbose != 0) config.log_level = wp::app::LogLevel::kInfo;
  config.init_errors_fatal = init_errors_fatal;
  if (!exclusive_rules.empty()) config.rule_files = exclusive_rules;  // -S: only these
  config.rule_files.insert(config.rule_files.end(), rules.begin(), rules.end());
  if (!log_dir.empty()) config.log_dir = log_dir;
  // Paths given on the command line are relative to the working directory, not the log dir.
  if (!eve.empty()) {
    config.eve_file = std::filesystem::absolute(eve).string();
    config.eve_enabled = true;
  }
  if (!fast.empty()) {
    config.fast_file = fast == "-" ? fast : std::filesystem::absolute(fast).string();
    config.fast_enabled = true;
  }
  if (!site.empty()) config.site = site;
  if (!sensor_id.empty()) config.sensor_id = sensor_id;
  if (!collector.empty()) config.collector.address = collector;
  if (!threads.empty()) {
    auto n = wp::parse_uint(threads);
    if (!n || *n < 1 || *n > 256) return usage_error("--threads " + threads + ": expected 1 to 256");
    config.runtime.threads = static_cast<std::uint32_t>(*n);
  }
  if (!user.empty()) config.runtime.user = user;
  if (!group.empty()) config.runtime.group = group;
  if (!pidfile.empty()) config.runtime.pid_file = std::filesystem::absolute(pidfile).string();
  config.pcap_files = pcaps;
  config.live_interfaces = ifaces;
  if (pcaps.empty() && ifaces.empty()) {
    for (const auto& i : config.pcap) {
      if (i.interface != "default") config.live_interfaces.push_back(i.interface);
    }
  }
  if (dump) {
    std::fputs(wp::app::dump_config(config).c_str(), stdout);
    return 0;
  }
  if (test) {
    if (auto valid = config.validate(); !valid) {
      std::fprintf(stderr, "watchpost-sensor: %s\n", valid.error().describe().c_str());
      return 2;
    }
    return wp::app::test_configuration(config);
  }
  if (!config.pcap_files.empty() && !config.live_interfaces.empty()) {
    return usage_error("give either -r FILE or -i IFACE, not both");
  }
  if (config.pcap_files.empty() && config.live_interfaces.empty()) {
    return usage_error("no input: give -r FILE or -i IFACE");
  }
  if (auto valid = config.validate(); !valid) {
    std::fprintf(stderr, "watchpost-sensor: %s\n", valid.error().describe().c_str());
    return 2;
  }
  // Beyond a file size limit (ulimit -f) a write then fails with EFBIG, which the outputs
  // report and count, instead of SIGXFSZ ending the process.
  std::signal(SIGXFSZ, SIG_IGN);
  wp::app::install_stop_handlers();
  wp::app::install_reload_handlers();
  return wp::app::run_sensor(config);
}
