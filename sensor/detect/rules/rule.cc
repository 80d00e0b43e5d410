#include "detect/rules/rule.h"

#include "common/text.h"

namespace wp::detect {

bool ThresholdSpec::parse_type(std::string_view name, Type& out) {
  const std::string t = to_lower(name);
  if (t == "limit") {
    out = Type::kLimit;
  } else if (t == "threshold") {
    out = Type::kThreshold;
  } else if (t == "both") {
    out = Type::kBoth;
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
  } else {
    return false;
  }
  return true;
}

}  // namespace wp::detect
