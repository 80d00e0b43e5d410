// The identity and presentation keywords: msg, sid, rev, gid, classtype, priority, reference,
// metadata, noalert, tag, target; and two that speak to the engine rather than the traffic:
// prefilter (a hint) and requires.
#include <array>
#include <compare>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "common/text.h"
#include "detect/rules/keyword.h"

namespace wp::detect::lang {
namespace {

Failure bad_number(const KeywordDef& kw, std::string_view v) {
  return invalid(kw.name, quoted(v) + " is not a valid number");
}

// rev and gid: a 32-bit number.
MaybeFailure parse_u32(const KeywordDef& kw, std::string_view v, std::uint32_t& out) {
  auto n = parse_decimal(v, std::numeric_limits<std::uint32_t>::max());
  if (!n) return bad_number(kw, v);
  out = static_cast<std::uint32_t>(*n);
  return std::nullopt;
}

// tag: session|host[, count, packets|bytes|seconds[, src|dst]]
MaybeFailure parse_tag(RuleBuilder& b, std::string_view value) {
  std::vector<std::string_view> parts = split(value, ',');
  if (parts.size() == 2 || parts.size() > 4) {
    return invalid("tag", "expected 'session|host[,count,packets|bytes|seconds[,src|dst]]', got " +
                              quoted(value));
  }
  TagSpec tag;
  std::string type = to_lower(parts[0]);
  if (type == "session") {
    tag.type = TagSpec::Type::kSession;
  } else if (type == "host") {
    tag.type = TagSpec::Type::kHost;
  } else {
    return invalid("tag", "unknown type " + quoted(parts[0]) + " (expected session or host)");
  }
  if (parts.size() >= 3) {
    auto n = parse_decimal(parts[1], std::numeric_limits<std::uint32_t>::max());
    if (!n) return invalid("tag", "count " + quoted(parts[1]) + " is not a number");
    tag.count = static_cast<std::uint32_t>(*n);
    std::string metric = to_lower(parts[2]);
    if (metric == "packets") {
      tag.metric = TagSpec::Metric::kPackets;
    } else if (metric == "bytes") {
      tag.metric = TagSpec::Metric::kBytes;
    } else if (metric == "seconds") {
      tag.metric = TagSpec::Metric::kSeconds;
    } else {
      return invalid(
          "tag", "unknown metric " + quoted(parts[2]) + " (expected packets, bytes or seconds)");
    }
  }
  if (parts.size() == 4) {
    std::string dir = to_lower(parts[3]);
    if (dir == "src") {
      tag.direction = TagSpec::Direction::kSrc;
    } else if (dir == "dst") {
      tag.direction = TagSpec::Direction::kDst;
    } else {
      return invalid("tag", "unknown direction " + quoted(parts[3]) + " (expected src or dst)");
    }
  }
  b.rule.tags.push_back(tag);
  return std::nullopt;
}

// threshold: type limit|threshold|both, track by_src|by_dst|by_rule|by_both, count N,

// The Suricata version the rule language follows: `requires: version ...` compares with it.
constexpr int kSuricataVersion[3] = {8, 0, 0};

// "X", "X.Y" or "X.Y.Z" (missing parts are 0).
std::optional<std::array<int, 3>> parse_version(std::string_view v) {
  if (v.empty()) return std::nullopt;
  std::array<int, 3> out{0, 0, 0};
  for (int i = 0; i < 3 && !v.empty(); ++i) {
    const std::size_t dot = v.find('.');
    auto n = parse_decimal(v.substr(0, dot), 1000000);
    if (!n) return std::nullopt;
    out[static_cast<std::size_t>(i)] = static_cast<int>(*n);
    if (dot == std::string_view::npos) return out;
    v.remove_prefix(dot + 1);
    if (i == 2) return std::nullopt;
  }
  return out;
}

// One alternative of a version requirement: ">= 7.0.3 < 8". nullopt when malformed.
std::optional<bool> version_alternative_holds(std::string_view alt) {
  const std::array<int, 3> ours{kSuricataVersion[0], kSuricataVersion[1], kSuricataVersion[2]};
  alt = trim(alt);
  if (alt.empty()) return std::nullopt;
  bool holds = true;
  while (!alt.empty()) {
    std::size_t op_len = alt.size() > 1 && alt[1] == '=' ? 2 : 1;
    const std::string_view op = alt.substr(0, op_len);
    if (op != "<" && op != "<=" && op != ">" && op != ">=" && op != "=") return std::nullopt;
    alt = trim(alt.substr(op_len));
    const std::size_t end = alt.find_first_of(" <>=");
    auto v = parse_version(alt.substr(0, end));
    if (!v) return std::nullopt;
    alt = end == std::string_view::npos ? std::string_view{} : trim(alt.substr(end));
    const auto cmp = ours <=> *v;
    if (op == "<") holds = holds && cmp < 0;
    if (op == "<=") holds = holds && cmp <= 0;
    if (op == ">") holds = holds && cmp > 0;
    if (op == ">=") holds = holds && cmp >= 0;
    if (op == "=") holds = holds && cmp == 0;
  }
  return holds;
}

// requires: feature NAME, version >= 7.0.3 < 8 | >= 8.0.1; (Suricata 7.0.3+). A rule whose
// requirements are not met is skipped, not an error: "not supported" with reason
// "requires". No optional feature of Suricata's is claimed here, so a feature requirement
// is never met.
MaybeFailure parse_requires(RuleBuilder&, std::string_view value) {
  std::vector<std::string> unmet;
  for (std::string_view term : split(value, ',')) {
    term = trim(term);
    if (term.substr(0, 8) == "feature ") {
      const std::string_view name = trim(term.substr(8));
      if (name.empty()) return invalid("requires", "feature without a name");
      unmet.push_back("feature " + std::string(name));
    } else if (term.substr(0, 8) == "version ") {
      bool any = false;
      std::string_view spec = term.substr(8);
      while (true) {
        const std::size_t bar = spec.find('|');
        auto holds = version_alternative_holds(spec.substr(0, bar));
        if (!holds) return invalid("requires", quoted(term) + " is not a version requirement");
        any = any || *holds;
        if (bar == std::string_view::npos) break;
        spec.remove_prefix(bar + 1);
      }
      if (!any) unmet.push_back(std::string(term));
    } else {
      return invalid("requires", quoted(term) + ": expected \"feature NAME\" or \"version ...\"");
    }
  }
  if (unmet.empty()) return std::nullopt;
  std::string what;
  for (const std::string& u : unmet) what += (what.empty() ? "" : ", ") + u;
  return not_supported("requires", "the rule requires " + what + " (this engine is Suricata " +
                                       std::to_string(kSuricataVersion[0]) + "." +
                                       std::to_string(kSuricataVersion[1]) + "." +
                                       std::to_string(kSuricataVersion[2]) + " compatible)");
}

constexpr KeywordDef kMetaKeywords[] = {
    {.name = "msg",
     .family = KeywordFamily::kMeta,
     .once = true,
     .raw_quotes = true,
     .parse = [](RuleBuilder& b, const KeywordDef& kw, const Option& o) -> MaybeFailure {
       if (auto f = check_closing_quote(kw.name, o.value, true)) return f;
       b.rule.msg = unescape(strip_quotes(o.value));
       return std::nullopt;
     }},
    {.name = "sid",
     .family = KeywordFamily::kMeta,
     .once = true,
     .parse = [](RuleBuilder& b, const KeywordDef& kw, const Option& o) -> MaybeFailure {
       auto n = parse_decimal(o.value, std::numeric_limits<std::uint32_t>::max());
       if (!n || *n == 0) return bad_number(kw, o.value);
       b.rule.sid = static_cast<std::uint32_t>(*n);
       b.have_sid = true;
       return std::nullopt;
     }},
    {.name = "rev",
     .family = KeywordFamily::kMeta,
     .once = true,
     .parse = [](RuleBuilder& b, const KeywordDef& kw,
                 const Option& o) { return parse_u32(kw, o.value, b.rule.rev); }},
    {.name = "gid",
     .family = KeywordFamily::kMeta,
     .once = true,
     .parse = [](RuleBuilder& b, const KeywordDef& kw,
                 const Option& o) { return parse_u32(kw, o.value, b.rule.gid); }},
    {.name = "classtype",
     .family = KeywordFamily::kMeta,
     .once = true,
     .parse = [](RuleBuilder& b, const KeywordDef&, const Option& o) -> MaybeFailure {
       b.rule.classtype = std::string(o.value);
       return std::nullopt;
     }},
    {.name = "priority",
     .family = KeywordFamily::kMeta,
     .once = true,
     .parse = [](RuleBuilder& b, const KeywordDef& kw, const Option& o) -> MaybeFailure {
       auto n = parse_decimal(strip_quotes(o.value), 255);  // Suricata also takes "1"
       if (!n || *n == 0) return bad_number(kw, o.value);
       b.rule.priority = static_cast<std::int32_t>(*n);
       return std::nullopt;
     }},
    {.name = "reference",
     .family = KeywordFamily::kMeta,
     .parse = [](RuleBuilder& b, const KeywordDef& kw, const Option& o) -> MaybeFailure {
       std::string_view v = o.value;
       std::size_t comma = v.find(',');
       if (comma == std::string_view::npos || trim(v.substr(0, comma)).empty() ||
           trim(v.substr(comma + 1)).empty()) {
         return invalid(kw.name, "expected 'system,id'");
       }
       b.rule.references.emplace_back(std::string(trim(v.substr(0, comma))),
                                      std::string(trim(v.substr(comma + 1))));
       return std::nullopt;
     }},
    {.name = "metadata",
     .family = KeywordFamily::kMeta,
     .parse = [](RuleBuilder& b, const KeywordDef&, const Option& o) -> MaybeFailure {
       for (std::string_view item : split(o.value, ',')) {
         if (item.empty()) continue;
         std::size_t space = item.find_first_of(" \t");
         std::string_view key = item.substr(0, space);
         std::string_view value = space == std::string_view::npos ? "" : trim(item.substr(space));
         b.rule.metadata.emplace_back(std::string(key), std::string(value));
       }
       return std::nullopt;
     }},
    {.name = "noalert",
     .family = KeywordFamily::kMeta,
     .value = ValueForm::kNone,
     .parse = [](RuleBuilder& b, const KeywordDef&, const Option&) -> MaybeFailure {
       b.rule.noalert = true;
       return std::nullopt;
     }},
    {.name = "tag", .family = KeywordFamily::kMeta, .parse = with_value<parse_tag>},
    // A hint that a keyword other than content should drive the prefilter. Hyperscan
    // prefilters on the rule's fast pattern here either way: accepted, changes nothing.
    {.name = "prefilter",
     .family = KeywordFamily::kMeta,
     .value = ValueForm::kNone,
     .parse = [](RuleBuilder&, const KeywordDef&, const Option&) -> MaybeFailure {
       return std::nullopt;
     }},
    {.name = "requires", .family = KeywordFamily::kMeta, .parse = with_value<parse_requires>},
    {.name = "target",
     .family = KeywordFamily::kMeta,
     .once = true,
     .parse = [](RuleBuilder& b, const KeywordDef& kw, const Option& o) -> MaybeFailure {
       std::string t = to_lower(o.value);
       if (t == "src_ip") {
         b.rule.target = Target::kSrcIp;
       } else if (t == "dest_ip") {
         b.rule.target = Target::kDestIp;
       } else {
         return invalid(kw.name, quoted(o.value) + " (expected src_ip or dest_ip)");
       }
       return std::nullopt;
     }},
};

}  // namespace

std::span<const KeywordDef> meta_keywords() { return kMetaKeywords; }

}  // namespace wp::detect::lang
