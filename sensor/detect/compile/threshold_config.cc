#include "detect/compile/threshold_config.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>

#include "common/text.h"

namespace wp::detect {
namespace {

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Splits on commas outside [brackets] (an ip list is one option).
std::vector<std::string_view> split_options(std::string_view s) {
  std::vector<std::string_view> out;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || (s[i] == ',' && depth == 0)) {
      out.push_back(trim(s.substr(start, i - start)));
      start = i + 1;
    } else if (s[i] == '[') {
      ++depth;
    } else if (s[i] == ']') {
      --depth;
    }
  }
  return out;
}

std::optional<std::uint32_t> parse_u32(std::string_view s) {
  s = trim(s);
  if (s.empty() || s.size() > 10) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > std::numeric_limits<std::uint32_t>::max()) return std::nullopt;
  return static_cast<std::uint32_t>(v);
}

enum class Directive { kSuppress, kEventFilter, kRateFilter };

// The options of one line, each at most once.
struct Options {
  std::optional<std::string_view> gen_id, sig_id, type, track, count, seconds, ip, new_action,
      timeout;

  std::optional<std::string_view>* slot(std::string_view key) {
    if (key == "gen_id") return &gen_id;
    if (key == "sig_id") return &sig_id;
    if (key == "type") return &type;
    if (key == "track") return &track;
    if (key == "count") return &count;
    if (key == "seconds") return &seconds;
    if (key == "ip") return &ip;
    if (key == "new_action") return &new_action;
    if (key == "timeout") return &timeout;
    return nullptr;
  }
};

class LineParser {
 public:
  LineParser(ThresholdConfig& out, RuleParser& addresses) : out_(out), addresses_(addresses) {}

  // An error message, or nullopt when the line was stored.
  std::optional<std::string> parse(std::string_view line, int number) {
    std::size_t end = 0;
    while (end < line.size() && !is_space(line[end])) ++end;
    const std::string directive = to_lower(line.substr(0, end));
    Directive d;
    if (directive == "suppress") {
      d = Directive::kSuppress;
    } else if (directive == "event_filter" || directive == "threshold") {
      d = Directive::kEventFilter;
    } else if (directive == "rate_filter") {
      d = Directive::kRateFilter;
    } else {
      return "unknown directive " + quoted(line.substr(0, end)) +
             " (expected suppress, event_filter, threshold or rate_filter)";
    }
    name_ = directive;
    Options o;
    const std::string_view rest = trim(line.substr(end));
    for (std::string_view item :
         rest.empty() ? std::vector<std::string_view>{} : split_options(rest)) {
      if (item.empty()) return bad("empty option");
      std::size_t space = 0;
      while (space < item.size() && !is_space(item[space])) ++space;
      const std::string key = to_lower(item.substr(0, space));
      std::optional<std::string_view>* slot = o.slot(key);
      if (slot == nullptr) return bad("unknown option " + quoted(item));
      if (*slot) return bad(quoted(key) + " given twice");
      std::string_view value = trim(item.substr(space));
      if (value.empty()) return bad(quoted(key) + " needs a value");
      *slot = value;
    }
    if (!o.gen_id) return bad("missing 'gen_id'");
    if (!o.sig_id) return bad("missing 'sig_id'");
    auto gid = parse_u32(*o.gen_id);
    if (!gid) return bad("gen_id " + quoted(*o.gen_id) + " is not a number");
    auto sid = parse_u32(*o.sig_id);
    if (!sid) return bad("sig_id " + quoted(*o.sig_id) + " is not a number");
    if (*gid == 0 && *sid != 0) {
      return bad("sig_id " + std::to_string(*sid) +
                 " needs its gen_id (gen_id 0 only with sig_id 0)");
    }
    switch (d) {
      case Directive::kSuppress:
        return suppress(o, *gid, *sid, number);
      case Directive::kEventFilter:
        return event_filter(o, *gid, *sid, number);
      case Directive::kRateFilter:
        return rate_filter(o);
    }
    return std::nullopt;
  }

 private:
  std::string bad(const std::string& detail) const { return "invalid " + name_ + ": " + detail; }

  std::optional<std::string> not_an_option(Options o,
                                           std::initializer_list<std::string_view> keys) {
    for (std::string_view k : keys) {
      if (*o.slot(k)) return bad(quoted(k) + " is not an option of " + name_);
    }
    return std::nullopt;
  }

  std::optional<std::string> suppress(const Options& o, std::uint32_t gid, std::uint32_t sid,
                                      int line) {
    if (auto e = not_an_option(o, {"type", "count", "seconds", "new_action", "timeout"})) return e;
    SuppressEntry s{gid, sid, SuppressEntry::Track::kAll, nullptr, line};
    if (o.track && !o.ip) return bad("'track' needs 'ip'");
    if (o.ip && !o.track) return bad("'ip' needs 'track'");
    if (o.track) {
      const std::string t = to_lower(*o.track);
      if (t == "by_src") {
        s.track = SuppressEntry::Track::kBySrc;
      } else if (t == "by_dst") {
        s.track = SuppressEntry::Track::kByDst;
      } else if (t == "by_either") {
        s.track = SuppressEntry::Track::kByEither;
      } else {
        return bad("unknown track " + quoted(*o.track) + " (expected by_src, by_dst or by_either)");
      }
      auto set = addresses_.parse_address(*o.ip);
      if (!set) return bad("ip " + quoted(*o.ip) + ": " + set.error().message);
      s.ips = std::move(set.value());
    }
    out_.suppress.push_back(std::move(s));
    return std::nullopt;
  }

  // type (event_filter only), track, count, seconds into `spec`.
  std::optional<std::string> filter_spec(const Options& o, bool with_type, ThresholdSpec& spec) {
    if (with_type) {
      if (!o.type) return bad("missing 'type'");
      if (!ThresholdSpec::parse_type(*o.type, spec.type)) {
        return bad("unknown type " + quoted(*o.type) + " (expected limit, threshold or both)");
      }
    }
    if (!o.track) return bad("missing 'track'");
    if (!o.count) return bad("missing 'count'");
    if (!o.seconds) return bad("missing 'seconds'");
    if (!ThresholdSpec::parse_track(*o.track, spec.track)) {
      return bad("unknown track " + quoted(*o.track) +
                 " (expected by_src, by_dst, by_rule or by_both)");
    }
    auto count = parse_u32(*o.count);
    if (!count || *count == 0)
      return bad("count " + quoted(*o.count) + " is not a positive number");
    auto seconds = parse_u32(*o.seconds);
    if (!seconds || *seconds == 0) {
      return bad("seconds " + quoted(*o.seconds) + " is not a positive number");
    }
    spec.count = *count;
    spec.seconds = *seconds;
    return std::nullopt;
  }

  std::optional<std::string> event_filter(const Options& o, std::uint32_t gid, std::uint32_t sid,
                                          int line) {
    if (auto e = not_an_option(o, {"ip", "new_action", "timeout"})) return e;
    EventFilterEntry f{gid, sid, {}, line};
    if (auto e = filter_spec(o, true, f.spec)) return e;
    out_.event_filters.push_back(f);
    return std::nullopt;
  }

  std::optional<std::string> rate_filter(const Options& o) {
    if (auto e = not_an_option(o, {"type", "ip"})) return e;
    ThresholdSpec spec;
    if (auto e = filter_spec(o, false, spec)) return e;
    if (!o.new_action) return bad("missing 'new_action'");
    if (!o.timeout) return bad("missing 'timeout'");
    const std::string a = to_lower(*o.new_action);
    if (a != "alert" && a != "drop" && a != "pass" && a != "log" && a != "sdrop" && a != "reject") {
      return bad("unknown new_action " + quoted(*o.new_action) +
                 " (expected alert, drop, pass, log, sdrop or reject)");
    }
    if (!parse_u32(*o.timeout)) return bad("timeout " + quoted(*o.timeout) + " is not a number");
    return std::string(
        "rate_filter not supported (it changes a rule's action; the sensor is "
        "passive)");
  }

  ThresholdConfig& out_;
  RuleParser& addresses_;
  std::string name_;
};

}  // namespace

ThresholdConfigResult parse_threshold_config(std::string_view text, const std::string& file,
                                             RuleParser& addresses) {
  ThresholdConfigResult result;
  result.config.file = file;
  LineParser parser(result.config, addresses);
  auto handle = [&](std::string_view line, int number) {
    if (auto error = parser.parse(trim(line), number)) {
      result.errors.push_back(file + ":" + std::to_string(number) + ": " + *error +
                              "; line skipped");
    }
  };
  for_each_logical_line(text, " ", handle);
  return result;
}

Result<ThresholdConfigResult> load_threshold_config(const std::string& path, const RuleVars& vars) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return make_error(std::string("cannot open: ") + std::strerror(errno), path);
  std::string data;
  char buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) data.append(buf, n);
  const bool failed = std::ferror(f) != 0;
  const int err = errno;
  std::fclose(f);
  if (failed) return make_error(std::string("cannot read: ") + std::strerror(err), path);
  RuleParser addresses(vars);
  return parse_threshold_config(data, path, addresses);
}

}  // namespace wp::detect
