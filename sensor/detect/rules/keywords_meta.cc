// The identity and presentation keywords: msg, sid, rev, gid, classtype, priority, reference,
// metadata, noalert, tag, target.
#include <limits>

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
