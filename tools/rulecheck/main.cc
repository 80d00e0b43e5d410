// watchpost-rulecheck: checks rule files without running the sensor (what loads, what does
// not and why, duplicate sids, rules likely to be costly) and, with --pcap, runs them over a
// capture and lists what fired and what each rule cost. See docs/rulecheck.md.
#include <getopt.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "app/config.h"
#include "common/text.h"
#include "rulecheck.h"

namespace {

using json = nlohmann::ordered_json;
using wp::rulecheck::Status;

constexpr const char* kUsage =
    "usage: watchpost-rulecheck [options] FILE|DIR...\n"
    "       watchpost-rulecheck --pcap CAPTURE [--pcap ...] [options] FILE|DIR...\n"
    "\n"
    "Parses and compiles rule files as watchpost-sensor does, without running it, and reports\n"
    "every rule that cannot be loaded (FILE:LINE and why), duplicate sids (with both\n"
    "locations), and warnings for rules likely to be costly: no content at all, a pcre\n"
    "without content that is not anchored, a fast pattern shorter than 4 bytes, or one that\n"
    "occurs in common traffic. A DIR stands for its *.rules files in name order; without FILE,\n"
    "the configuration's rule-files are checked. The configuration's threshold-file (as the\n"
    "sensor loads it; --set threshold-file=FILE) is checked too: each bad line by FILE:LINE.\n"
    "\n"
    "With --pcap, the loaded rules also run over the capture through the sensor's pipeline\n"
    "(decode, flow, detect) and the rules that were candidates are listed by cost: candidate\n"
    "checks, matches, alerts and time spent verifying them.\n"
    "\n"
    "options:\n"
    "  -c CONFIG.yaml        configuration file, as the sensor's (address and port variables,\n"
    "                        classification-file, default-rule-path, rule-files, caching)\n"
    "  --set KEY=VALUE       override one configuration key (repeatable), e.g.\n"
    "                        --set vars.address-groups.HOME_NET=[10.0.0.0/8]\n"
    "  --allow-unsupported   rules using something recognised but not supported yet (an\n"
    "                        app-layer protocol or buffer, ...) are warnings, not rejections\n"
    "  --json                one JSON document on standard output (docs/rulecheck.md)\n"
    "  --pcap FILE           capture to run the rules over (repeatable: one capture, in order)\n"
    "  --top N               rules listed by cost after --pcap (default 20; 0: all)\n"
    "  -v, --verbose         also list every rule that loads\n"
    "  -q, --quiet           list only rejected rules and errors; rules not supported yet\n"
    "                        and costly rules are counted in the summary\n"
    "  --by-file             after the summary, a table of each file's rules: loaded,\n"
    "                        rejected, not supported yet, costly\n"
    "  -h, --help            this help\n"
    "\n"
    "exit status: 0 every rule loads (also: only not-supported-yet rules with\n"
    "             --allow-unsupported), 1 a rule or a threshold-file line is rejected (or the\n"
    "             rule set cannot be compiled), 2 bad usage or configuration, or a FILE,\n"
    "             threshold-file or capture that cannot be read.\n";

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "watchpost-rulecheck: %s\n(see watchpost-rulecheck --help)\n", msg.c_str());
  return 2;
}

const char* status_text(Status s) {
  switch (s) {
    case Status::kLoaded:
      return "loaded";
    case Status::kRejected:
      return "rejected";
    case Status::kUnsupported:
      return "unsupported";
  }
  return "rejected";
}

// FILE arguments: a directory stands for its *.rules files, in name order.
std::vector<std::string> expand(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (const std::string& a : args) {
    std::error_code ec;
    if (!std::filesystem::is_directory(a, ec)) {
      out.push_back(a);
      continue;
    }
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(a, ec)) {
      if (e.path().extension() == ".rules") files.push_back(e.path().string());
    }
    std::sort(files.begin(), files.end());
    out.insert(out.end(), files.begin(), files.end());
  }
  return out;
}

// "1 rule", "2 rules".
std::string counted(std::uint64_t n, const std::string& one, std::string many = {}) {
  if (many.empty()) many = one + "s";
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string rule_name(const wp::detect::Rule& r) {
  return std::to_string(r.gid) + ":" + std::to_string(r.sid) + ":" + std::to_string(r.rev);
}

// --by-file: one line per rule file, in the order given.
void print_by_file(const std::vector<std::string>& files, const wp::rulecheck::CheckResult& res) {
  struct Counts {
    std::size_t rules = 0, loaded = 0, rejected = 0, unsupported = 0, costly = 0;
  };
  std::vector<Counts> counts(files.size());
  auto index_of = [&](const std::string& f) -> Counts* {
    auto it = std::find(files.begin(), files.end(), f);
    return it == files.end() ? nullptr : &counts[static_cast<std::size_t>(it - files.begin())];
  };
  for (const auto& e : res.rules) {
    Counts* c = index_of(e.file);
    if (c == nullptr) continue;
    ++c->rules;
    c->loaded += e.status == Status::kLoaded;
    c->rejected += e.status == Status::kRejected;
    c->unsupported += e.status == Status::kUnsupported;
  }
  for (const auto& w : res.costly) {
    if (Counts* c = index_of(w.file)) ++c->costly;
  }
  std::printf("%8s %8s %8s %12s %7s  %s\n", "rules", "loaded", "rejected", "unsupported",
              "costly", "file");
  for (std::size_t i = 0; i < files.size(); ++i) {
    const Counts& c = counts[i];
    std::printf("%8zu %8zu %8zu %12zu %7zu  %s\n", c.rules, c.loaded, c.rejected, c.unsupported,
                c.costly, files[i].c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  enum { kSet = 1000, kAllowUnsupported, kJson, kPcap, kTop, kByFile };
  static const option kLong[] = {
      {"set", required_argument, nullptr, kSet},
      {"allow-unsupported", no_argument, nullptr, kAllowUnsupported},
      {"json", no_argument, nullptr, kJson},
      {"pcap", required_argument, nullptr, kPcap},
      {"top", required_argument, nullptr, kTop},
      {"verbose", no_argument, nullptr, 'v'},
      {"quiet", no_argument, nullptr, 'q'},
      {"by-file", no_argument, nullptr, kByFile},
      {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0},
  };
  std::vector<std::string> sets, pcaps;
  std::string config_file;
  bool allow_unsupported = false, as_json = false, verbose = false, quiet = false,
       by_file = false;
  std::size_t top = 20;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":c:vqh", kLong, nullptr)) != -1) {
    switch (c) {
      case 'c':
        config_file = optarg;
        break;
      case 'v':
        verbose = true;
        break;
      case 'q':
        quiet = true;
        break;
      case kByFile:
        by_file = true;
        break;
      case 'h':
        std::fputs(kUsage, stdout);
        return 0;
      case kSet:
        sets.push_back(optarg);
        break;
      case kAllowUnsupported:
        allow_unsupported = true;
        break;
      case kJson:
        as_json = true;
        break;
      case kPcap:
        pcaps.push_back(optarg);
        break;
      case kTop: {
        auto n = wp::parse_uint(optarg);
        if (!n) return usage_error(std::string("--top expects a number, got '") + optarg + "'");
        top = static_cast<std::size_t>(*n);
        break;
      }
      case ':':
        return usage_error(std::string("option '") + argv[optind - 1] + "' needs a value");
      default:
        return usage_error(std::string("unknown option '") + argv[optind - 1] + "'");
    }
  }

  if (verbose && quiet) return usage_error("give either -q or -v, not both");
  wp::app::Config config;
  if (!config_file.empty()) {
    std::vector<std::string> warnings;
    auto r = wp::app::apply_config_file(config, config_file, warnings);
    for (const auto& w : warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    if (!r) {
      std::fprintf(stderr, "watchpost-rulecheck: %s\n", r.error().describe().c_str());
      return 2;
    }
  }
  for (const std::string& s : sets) {
    auto r = wp::app::apply_set(config, s);
    if (!r) return usage_error("--set " + s + ": " + r.error().describe());
  }
  std::vector<std::string> args(argv + optind, argv + argc);
  const std::vector<std::string> files = expand(args.empty() ? config.rule_files : args);
  if (files.empty())
    return usage_error("no rule files (give FILE... or -c CONFIG with rule-files)");

  auto checked = wp::rulecheck::check_rules(files, config);
  if (!checked) {
    std::fprintf(stderr, "watchpost-rulecheck: %s\n", checked.error().describe().c_str());
    return 2;
  }
  const wp::rulecheck::CheckResult& res = checked.value();
  const wp::detect::LoadReport& rep = res.loaded.report;

  std::size_t loaded = 0, rejected = 0, unsupported = 0;
  for (const auto& e : res.rules) {
    loaded += e.status == Status::kLoaded;
    rejected += e.status == Status::kRejected;
    unsupported += e.status == Status::kUnsupported;
  }
  const std::size_t threshold_errors = res.thresholds ? res.thresholds->errors.size() : 0;
  int status = 0;
  if (rejected > 0 || (unsupported > 0 && !allow_unsupported) || !res.loaded.rules ||
      threshold_errors > 0) {
    status = 1;
  }
  if (!res.file_errors.empty()) status = 2;

  std::optional<wp::rulecheck::PcapRun> run;
  std::string pcap_error;
  if (!pcaps.empty() && res.loaded.rules) {
    auto r = wp::rulecheck::run_capture(pcaps, config, res.loaded.rules);
    if (r) {
      run = std::move(r.value());
    } else {
      pcap_error = r.error().describe();
      status = 2;
    }
  }

  if (as_json) {
    json doc;
    doc["version"] = 1;
    doc["files"] = files;
    doc["exit_status"] = status;
    json by_reason = json::object();
    for (const auto& [reason, n] : rep.skipped_by_reason) by_reason[reason] = n;
    doc["summary"] = {{"rules", res.rules.size()},
                      {"loaded", loaded},
                      {"rejected", rejected},
                      {"unsupported", unsupported},
                      {"unsupported_allowed", allow_unsupported},
                      {"costly", res.costly.size()},
                      {"skipped_by_reason", by_reason},
                      {"parse_seconds", rep.parse_seconds},
                      {"compile_seconds", rep.compile_seconds}};
    doc["hs_cache"] = {{"dir", rep.hs_cache_dir.empty() ? json(nullptr) : json(rep.hs_cache_dir)},
                       {"hits", rep.hs_cache.hits},
                       {"misses", rep.hs_cache.misses},
                       {"rebuilt", rep.hs_cache.rebuilt}};
    json rules = json::array();
    for (const auto& e : res.rules) {
      json j = {{"file", e.file}, {"line", e.line}, {"status", status_text(e.status)}};
      if (e.sid != 0) j["sid"] = e.sid;
      if (e.status == Status::kLoaded) {
        j["gid"] = e.gid;
        j["rev"] = e.rev;
        j["msg"] = e.msg;
      } else {
        j["reason"] = e.reason;
        j["message"] = e.message;
      }
      rules.push_back(std::move(j));
    }
    doc["rules"] = std::move(rules);
    json costly = json::array();
    for (const auto& w : res.costly) {
      costly.push_back({{"file", w.file},
                        {"line", w.line},
                        {"sid", w.sid},
                        {"kind", w.kind},
                        {"message", w.message}});
    }
    doc["costly"] = std::move(costly);
    doc["warnings"] = rep.warnings;
    if (res.thresholds) {
      doc["threshold_file"] = {{"file", res.thresholds->config.file},
                               {"entries", res.thresholds->config.entries()},
                               {"errors", res.thresholds->errors}};
    } else {
      doc["threshold_file"] = nullptr;
    }
    json errors = json::array();
    for (const auto& e : res.file_errors) errors.push_back(e.message);
    if (!res.loaded.rules) errors.push_back(res.loaded.fatal);
    if (!pcap_error.empty()) errors.push_back(pcap_error);
    doc["errors"] = std::move(errors);
    if (run) {
      json pr = json::array();
      for (const auto& rc : run->rules) {
        const auto& r = res.loaded.rules->rules()[rc.rule_index].rule;
        pr.push_back({{"gid", r.gid},
                      {"sid", r.sid},
                      {"rev", r.rev},
                      {"msg", r.msg},
                      {"file", r.file},
                      {"line", r.line},
                      {"alerts", rc.alerts},
                      {"checks", rc.profile.checks},
                      {"matches", rc.profile.matches},
                      {"verify_ns", rc.profile.ns}});
      }
      doc["pcap"] = {{"files", pcaps},        {"packets", run->packets},
                     {"bytes", run->bytes},   {"seconds", run->seconds},
                     {"alerts", run->alerts}, {"warnings", run->warnings},
                     {"rules", std::move(pr)}};
    }
    // Bytes that are not UTF-8 (in a msg or a pcre) are replaced rather than aborting.
    std::puts(doc.dump(2, ' ', false, json::error_handler_t::replace).c_str());
    return status;
  }

  // Text report: problems first, in file order, then the summary.
  for (const auto& e : res.file_errors) std::printf("error: %s\n", e.message.c_str());
  for (const auto& e : res.rules) {
    switch (e.status) {
      case Status::kLoaded:
        if (verbose) {
          std::printf("%s:%d: sid %u: loaded\n", e.file.c_str(), e.line, e.sid);
        }
        break;
      case Status::kRejected:
        std::printf("%s\n", e.message.c_str());
        break;
      case Status::kUnsupported:
        if (!quiet) std::printf("%s%s\n", allow_unsupported ? "warning: " : "", e.message.c_str());
        break;
    }
  }
  if (!quiet) {
    for (const auto& w : res.costly) std::printf("warning: costly: %s\n", w.message.c_str());
  }
  for (const auto& w : rep.warnings) std::printf("warning: %s\n", w.c_str());
  if (res.thresholds) {
    for (const auto& e : res.thresholds->errors) std::printf("%s\n", e.c_str());
  }
  if (!res.loaded.rules) std::printf("error: %s\n", res.loaded.fatal.c_str());
  std::printf("%s\n", rep.summary().c_str());
  if (res.thresholds) {
    std::printf("threshold-file %s: %zu entries loaded, %zu lines skipped\n",
                res.thresholds->config.file.c_str(), res.thresholds->config.entries(),
                threshold_errors);
  }
  std::printf(
      "rulecheck: %zu rule%s in %zu file%s: %zu loaded, %zu rejected, %zu not supported yet%s; "
      "%zu costly\n",
      res.rules.size(), res.rules.size() == 1 ? "" : "s", files.size(),
      files.size() == 1 ? "" : "s", loaded, rejected, unsupported,
      unsupported > 0 && allow_unsupported ? " (allowed)" : "", res.costly.size());
  if (by_file) print_by_file(files, res);
  if (!pcap_error.empty()) std::printf("error: %s\n", pcap_error.c_str());
  if (run) {
    for (const auto& w : run->warnings) std::printf("warning: %s\n", w.c_str());
    std::size_t fired = 0;
    for (const auto& rc : run->rules) fired += rc.alerts > 0;
    std::printf("\ncapture: %llu packets (%.1f MB) in %.2f s; %s from %s; %s candidates\n",
                static_cast<unsigned long long>(run->packets),
                static_cast<double>(run->bytes) / 1e6, run->seconds,
                counted(run->alerts, "alert").c_str(), counted(fired, "rule").c_str(),
                counted(run->rules.size(), "rule was", "rules were").c_str());
    if (fired > 0) {
      std::vector<const wp::rulecheck::RuleCost*> by_alerts;
      for (const auto& rc : run->rules) {
        if (rc.alerts > 0) by_alerts.push_back(&rc);
      }
      std::stable_sort(by_alerts.begin(), by_alerts.end(),
                       [](const auto* a, const auto* b) { return a->alerts > b->alerts; });
      std::printf("\nrules that fired (alerts):\n");
      for (const auto* rc : by_alerts) {
        const auto& r = res.loaded.rules->rules()[rc->rule_index].rule;
        std::printf("  %10llu  %s  %s\n", static_cast<unsigned long long>(rc->alerts),
                    rule_name(r).c_str(), r.msg.c_str());
      }
    }
    const std::size_t shown = top == 0 ? run->rules.size() : std::min(top, run->rules.size());
    std::printf("\nrules by verification time (%zu of %zu):\n", shown, run->rules.size());
    std::printf("  %12s %12s %10s %10s  %s\n", "verify_ms", "checks", "matches", "alerts",
                "gid:sid:rev  msg  (file:line)");
    for (std::size_t i = 0; i < shown; ++i) {
      const auto& rc = run->rules[i];
      const auto& r = res.loaded.rules->rules()[rc.rule_index].rule;
      std::printf("  %12.3f %12llu %10llu %10llu  %s  %s  (%s:%d)\n",
                  static_cast<double>(rc.profile.ns) / 1e6,
                  static_cast<unsigned long long>(rc.profile.checks),
                  static_cast<unsigned long long>(rc.profile.matches),
                  static_cast<unsigned long long>(rc.alerts), rule_name(r).c_str(), r.msg.c_str(),
                  r.file.c_str(), r.line);
    }
  }
  return status;
}
