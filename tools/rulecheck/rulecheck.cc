#include "rulecheck.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <unordered_map>

#include "app/pipeline.h"
#include "common/app_proto.h"
#include "app/worker.h"
#include "capture/pcap_file.h"
#include "common/text.h"

namespace wp::rulecheck {
namespace {

namespace fs = std::filesystem;

std::string rule_path(const app::Config& c, const std::string& file) {
  if (c.default_rule_path.empty() || fs::path(file).is_absolute()) return file;
  return (fs::path(c.default_rule_path) / file).string();
}

// "FILE:LINE: sid N: ..." -> N; 0 when the message has no sid (the parser failed before it).
std::uint32_t sid_in_message(const detect::RuleError& e) {
  const std::string prefix = e.file + ":" + std::to_string(e.line) + ": sid ";
  if (e.message.rfind(prefix, 0) != 0) return 0;
  auto colon = e.message.find(':', prefix.size());
  if (colon == std::string::npos) return 0;
  auto n = parse_uint(std::string_view(e.message).substr(prefix.size(), colon - prefix.size()));
  return n && *n <= UINT32_MAX ? static_cast<std::uint32_t>(*n) : 0;
}

const char* proto_text(detect::RuleProto p) {
  switch (p) {
    case detect::RuleProto::kTcp:
      return "tcp";
    case detect::RuleProto::kUdp:
      return "udp";
    case detect::RuleProto::kIcmp:
      return "icmp";
    case detect::RuleProto::kIp:
      return "ip";
  }
  return "ip";
}

// Only the start of the subject can match: the A modifier, or a leading ^ / \A without the m
// modifier (with m, ^ also matches after every newline).
bool pcre_anchored(const detect::PcreMatch& p) {
  if (p.anchored_start || (p.options & PCRE2_ANCHORED) != 0) return true;
  if (p.pattern.rfind("\\A", 0) == 0) return true;
  return p.pattern.rfind('^', 0) == 0 && (p.options & PCRE2_MULTILINE) == 0;
}

bool contains(std::string_view hay, std::string_view needle, bool nocase) {
  if (!nocase) return hay.find(needle) != std::string_view::npos;
  return to_lower(hay).find(to_lower(needle)) != std::string::npos;
}

class CountingSink final : public output::AlertSink {
 public:
  explicit CountingSink(const detect::RuleSet& rules) : alerts_(rules.rules().size(), 0) {
    for (std::size_t i = 0; i < rules.rules().size(); ++i) {
      const auto& r = rules.rules()[i].rule;
      index_.emplace((std::uint64_t{r.gid} << 32) | r.sid, i);
    }
  }
  void on_alert(const watchpost::v1::Alert& a) override {
    auto it =
        index_.find((std::uint64_t{a.signature().gid()} << 32) | a.signature().signature_id());
    if (it != index_.end()) ++alerts_[it->second];
  }
  const std::vector<std::uint64_t>& alerts() const { return alerts_; }

 private:
  std::unordered_map<std::uint64_t, std::size_t> index_;
  std::vector<std::uint64_t> alerts_;
};

}  // namespace

const std::vector<std::string>& common_strings() {
  // Request and status lines, the headers of nearly every HTTP message, markup of nearly
  // every page, TLS record headers, SMB headers, and runs of zero bytes (padding everywhere).
  static const std::vector<std::string> kCommon = {
      "GET / HTTP/1.1\r\n",
      "POST / HTTP/1.1\r\n",
      "HTTP/1.1 200 OK\r\n",
      "HTTP/1.0 200 OK\r\n",
      "\r\nHost: ",
      "\r\nUser-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
      "\r\nAccept: */*",
      "\r\nAccept-Encoding: gzip, deflate",
      "\r\nAccept-Language: en-US,en;q=0.9",
      "\r\nConnection: keep-alive",
      "\r\nContent-Type: text/html; charset=UTF-8",
      "\r\nContent-Type: application/x-www-form-urlencoded",
      "\r\nContent-Length: ",
      "\r\nCache-Control: no-cache",
      "\r\nCookie: ",
      "\r\nSet-Cookie: ",
      "\r\nServer: Apache",
      "\r\nServer: nginx",
      "\r\n\r\n",
      "<!DOCTYPE html>",
      "<html><head><title>",
      "<script type=\"text/javascript\">",
      "http://www.",
      "https://www.",
      ".com/index.html",
      ".php",
      std::string("\x16\x03\x01", 3),  // TLS handshake record, TLS 1.0 record version
      std::string("\x16\x03\x03", 3),  // TLS handshake record, TLS 1.2
      std::string("\x17\x03\x03", 3),  // TLS application data, TLS 1.2/1.3
      std::string("\xffSMB", 4),
      std::string("\xfeSMB", 4),
      std::string(8, '\0'),
  };
  return kCommon;
}

std::string content_text(std::string_view bytes) {
  std::string out;
  bool in_hex = false;
  char buf[4];
  for (unsigned char c : bytes) {
    const bool plain = c >= 0x20 && c < 0x7f && c != '|' && c != '"' && c != ';' && c != '\\';
    if (plain) {
      if (in_hex) out += '|';
      in_hex = false;
      out += static_cast<char>(c);
    } else {
      std::snprintf(buf, sizeof buf, "%02x", c);
      out += in_hex ? " " : "|";
      out += buf;
      in_hex = true;
    }
  }
  if (in_hex) out += '|';
  return out;
}

std::vector<CostWarning> cost_warnings(const detect::CompiledRule& cr) {
  const detect::Rule& r = cr.rule;
  std::vector<CostWarning> out;
  auto warn = [&](std::string kind, const std::string& text) {
    out.push_back(
        {r.file, r.line, r.sid, std::move(kind),
         r.file + ":" + std::to_string(r.line) + ": sid " + std::to_string(r.sid) + ": " + text});
  };
  // A transaction rule is checked at each transaction of its protocol (at its point), not
  // at each packet.
  const std::string_view app = app_proto_name(r.app_proto);
  const std::string packets = cr.tx && !app.empty() ? "every " + std::string(app) + " transaction"
                              : r.proto == detect::RuleProto::kIp
                                  ? "every packet"
                                  : std::string("every ") + proto_text(r.proto) + " packet";
  switch (cr.prefilter) {
    case detect::Prefilter::kAddressIndex:
      break;  // one binary search per packet, whatever the number of such rules
    case detect::Prefilter::kEveryPacket: {
      const detect::PcreMatch* unanchored = nullptr;
      for (const detect::PayloadItem& it : r.payload) {
        const auto* p = std::get_if<detect::PcreMatch>(&it.match);
        if (p != nullptr && !pcre_anchored(*p)) {
          unanchored = p;
          break;
        }
      }
      if (unanchored != nullptr) {
        warn("unanchored-pcre", "pcre /" + unanchored->pattern +
                                    "/ without content: runs over the payload of " + packets +
                                    " that passes the header checks");
      } else {
        warn("no-content", "no content: checked against " + packets + " (no fast pattern)");
      }
      break;
    }
    case detect::Prefilter::kFastPattern: {
      const auto& c = std::get<detect::ContentMatch>(r.payload[cr.fast_pattern].match);
      const std::string fp = detect::RuleSet::fast_pattern_bytes(cr);
      if (fp.size() < kShortFastPattern) {
        warn("short-fast-pattern", "fast pattern '" + content_text(fp) + "' is only " +
                                       std::to_string(fp.size()) +
                                       (fp.size() == 1 ? " byte" : " bytes") +
                                       ": the rule is verified on most packets containing it");
        break;
      }
      for (const std::string& common : common_strings()) {
        if (contains(common, fp, c.nocase)) {
          warn("common-fast-pattern", "fast pattern '" + content_text(fp) +
                                          "' occurs in common traffic ('" + content_text(common) +
                                          "'): the rule is verified on most such packets");
          break;
        }
      }
      break;
    }
  }
  return out;
}

Result<CheckResult> check_rules(const std::vector<std::string>& files, const app::Config& config) {
  // Loaded exactly as the sensor loads them (detect::load_detection).
  detect::DetectionConfig detection = app::detection_config(config);
  detection.rule_files = files;
  detect::DetectionLoad load = detect::load_detection(detection);
  if (!load.config_error.empty()) return make_error(load.config_error);
  CheckResult out;
  out.thresholds = std::move(load.thresholds);
  out.loaded = std::move(load.loaded);
  std::vector<std::string> paths;
  for (const std::string& f : files) paths.push_back(rule_path(config, f));
  std::map<std::string, std::size_t> file_order;
  for (const std::string& p : paths) file_order.emplace(p, file_order.size());
  for (const detect::RuleError& e : out.loaded.report.errors) {
    if (e.unreadable_file()) {
      out.file_errors.push_back(e);
      continue;
    }
    RuleEntry entry;
    entry.file = e.file;
    entry.line = e.line;
    entry.status = e.not_supported ? Status::kUnsupported : Status::kRejected;
    entry.sid = sid_in_message(e);
    entry.reason = e.reason;
    entry.message = e.message;
    out.rules.push_back(std::move(entry));
  }
  if (out.loaded.rules) {
    const auto& rules = out.loaded.rules->rules();
    for (std::size_t i = 0; i < rules.size(); ++i) {
      const detect::Rule& r = rules[i].rule;
      RuleEntry entry;
      entry.file = r.file;
      entry.line = r.line;
      entry.gid = r.gid;
      entry.sid = r.sid;
      entry.rev = r.rev;
      entry.msg = r.msg;
      entry.rule_index = i;
      out.rules.push_back(std::move(entry));
    }
  }
  auto order = [&](const std::string& f) {
    auto it = file_order.find(f);
    return it == file_order.end() ? file_order.size() : it->second;
  };
  std::stable_sort(out.rules.begin(), out.rules.end(), [&](const RuleEntry& a, const RuleEntry& b) {
    const std::size_t fa = order(a.file), fb = order(b.file);
    return fa != fb ? fa < fb : a.line < b.line;
  });
  if (out.loaded.rules) {
    for (const RuleEntry& e : out.rules) {
      if (e.status != Status::kLoaded) continue;
      auto w = cost_warnings(out.loaded.rules->rules()[e.rule_index]);
      out.costly.insert(out.costly.end(), w.begin(), w.end());
    }
  }
  return out;
}

Result<PcapRun> run_capture(const std::vector<std::string>& pcaps, const app::Config& config,
                            const std::shared_ptr<const detect::RuleSet>& rules) {
  auto source = capture::PcapFileSource::open(pcaps);
  if (!source) return source.error();
  Counters counters;
  CountingSink sink(*rules);
  app::Worker worker(config, rules, counters, &sink);
  worker.enable_rule_profiling();
  PcapRun run;
  const auto started = std::chrono::steady_clock::now();
  capture::RawPacket raw;
  for (bool done = false; !done;) {
    switch ((*source)->next(raw)) {
      case capture::ReadStatus::kPacket:
        worker.process(raw);
        break;
      case capture::ReadStatus::kTruncated:
        run.warnings.push_back((*source)->warning() + "; the packets before it were processed");
        break;
      case capture::ReadStatus::kEnd:
        done = true;
        break;
    }
  }
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (worker.checksum_auto_disabled()) {
    run.warnings.push_back(
        "more than 10% of the first 1000 packets had invalid checksums (offloading?): checksum "
        "validation turned off (pcap-file.checksum-checks: auto)");
  }
  run.packets = (*source)->packets_read();
  run.bytes = (*source)->bytes_read();
  const auto& profile = worker.detector().profile();
  for (std::size_t i = 0; i < profile.size(); ++i) {
    const std::uint64_t alerts = sink.alerts()[i];
    run.alerts += alerts;
    if (profile[i].checks == 0 && alerts == 0) continue;
    run.rules.push_back({i, alerts, profile[i]});
  }
  std::sort(run.rules.begin(), run.rules.end(), [](const RuleCost& a, const RuleCost& b) {
    if (a.profile.ns != b.profile.ns) return a.profile.ns > b.profile.ns;
    if (a.profile.checks != b.profile.checks) return a.profile.checks > b.profile.checks;
    return a.rule_index < b.rule_index;
  });
  return run;
}

}  // namespace wp::rulecheck
