// The threshold keywords: threshold, detection_filter (and the type/track names that
// threshold.config's event_filter shares).
#include <limits>

#include "common/text.h"
#include "detect/rules/keyword.h"

namespace wp::detect {

bool ThresholdSpec::parse_type(std::string_view name, Type& out) {
  const std::string t = to_lower(name);
  if (t == "limit") {
    out = Type::kLimit;
  } else if (t == "threshold") {
    out = Type::kThreshold;
  } else if (t == "both") {
    out = Type::kBoth;
  } else if (t == "backoff") {
    out = Type::kBackoff;
  } else {
    return false;
  }
  return true;
}

bool ThresholdSpec::parse_track(std::string_view name, Track& out) {
  const std::string t = to_lower(name);
  if (t == "by_src") {
    out = Track::kBySrc;
  } else if (t == "by_dst") {
    out = Track::kByDst;
  } else if (t == "by_rule") {
    out = Track::kByRule;
  } else if (t == "by_both") {
    out = Track::kByBoth;
  } else if (t == "by_flow") {
    out = Track::kByFlow;
  } else {
    return false;
  }
  return true;
}

namespace lang {
namespace {

// threshold: type limit|threshold|both, track by_src|by_dst|by_rule|by_both|by_flow, count N,
// seconds N (any order); or type backoff, track ..., count N, multiplier M (no seconds: a
// backoff has no time window). detection_filter: the same without type.
MaybeFailure parse_threshold(RuleBuilder& b, std::string_view name, std::string_view value,
                             std::optional<ThresholdSpec>& out) {
  if (out) return invalid(name, "given twice");
  bool filter = name == "detection_filter";
  ThresholdSpec spec;
  if (filter) spec.type = ThresholdSpec::Type::kDetectionFilter;
  bool have_type = false;
  bool have_track = false;
  bool have_count = false;
  bool have_seconds = false;
  bool have_multiplier = false;
  for (std::string_view item : split(value, ',')) {
    std::size_t space = item.find_first_of(" \t");
    std::string key = to_lower(item.substr(0, space));
    std::string_view arg = space == std::string_view::npos ? "" : trim(item.substr(space));
    bool* seen = nullptr;
    if (key == "type" && !filter) {
      seen = &have_type;
      if (!ThresholdSpec::parse_type(arg, spec.type)) {
        return invalid(name, "unknown type " + quoted(arg));
      }
    } else if (key == "track") {
      seen = &have_track;
      if (!ThresholdSpec::parse_track(arg, spec.track)) {
        return invalid(name, "unknown track " + quoted(arg));
      }
    } else if (key == "count" || key == "seconds" || (key == "multiplier" && !filter)) {
      seen = key == "count" ? &have_count : key == "seconds" ? &have_seconds : &have_multiplier;
      auto n = parse_decimal(arg, std::numeric_limits<std::uint32_t>::max());
      if (!n || *n == 0)
        return invalid(name, key + " " + quoted(arg) + " is not a positive number");
      (key == "count" ? spec.count : key == "seconds" ? spec.seconds : spec.multiplier) =
          static_cast<std::uint32_t>(*n);
    } else {
      return invalid(name, "unknown option " + quoted(item));
    }
    if (*seen) return invalid(name, quoted(key) + " given twice");
    *seen = true;
  }
  const bool backoff = spec.type == ThresholdSpec::Type::kBackoff;
  if (backoff && have_seconds) return invalid(name, "type backoff takes no 'seconds'");
  if (!backoff && have_multiplier) return invalid(name, "'multiplier' needs type backoff");
  if (backoff && have_multiplier && spec.multiplier < 2) {
    return invalid(name, "multiplier " + std::to_string(spec.multiplier) + " is less than 2");
  }
  const char* missing = !have_type && !filter        ? "type"
                        : !have_track                ? "track"
                        : !have_count                ? "count"
                        : backoff && !have_multiplier ? "multiplier"
                        : !have_seconds && !backoff   ? "seconds"
                                                      : nullptr;
  if (missing != nullptr) return invalid(name, std::string("missing '") + missing + "'");
  out = spec;
  return std::nullopt;
}

constexpr KeywordDef kThresholdKeywords[] = {
    {.name = "threshold",
     .family = KeywordFamily::kThreshold,
     .parse = [](RuleBuilder& b, const KeywordDef& kw, const Option& o) -> MaybeFailure {
       if (b.rule.detection_filter)
         return invalid(kw.name, "cannot be combined with detection_filter");
       return parse_threshold(b, kw.name, o.value, b.rule.threshold);
     }},
    {.name = "detection_filter",
     .family = KeywordFamily::kThreshold,
     .parse = [](RuleBuilder& b, const KeywordDef& kw, const Option& o) -> MaybeFailure {
       if (b.rule.threshold) return invalid(kw.name, "cannot be combined with threshold");
       return parse_threshold(b, kw.name, o.value, b.rule.detection_filter);
     }},
};

}  // namespace

std::span<const KeywordDef> threshold_keywords() { return kThresholdKeywords; }

}  // namespace lang
}  // namespace wp::detect
