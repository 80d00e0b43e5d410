#include "detect/engine/threshold.h"


namespace wp::detect {
namespace {

constexpr int kMaxProbe = 64;

std::uint64_t hash_entry(std::uint64_t rule, const IpAddress& a, const IpAddress& b) {
  return hash_addresses(rule, a, b);
}

// The addresses the entry is tracked by; unused parts stay zero.
void tracked(const ThresholdSpec& spec, const IpAddress& src, const IpAddress& dst, IpAddress& a,
             IpAddress& b) {
  switch (spec.track) {
    case ThresholdSpec::Track::kBySrc: a = src; break;
    case ThresholdSpec::Track::kByDst: a = dst; break;
    case ThresholdSpec::Track::kByRule: break;
    case ThresholdSpec::Track::kByBoth: a = src; b = dst; break;
  }
}

}  // namespace

std::uint64_t ThresholdTable::hash_of(const ThresholdSpec& spec, std::uint64_t rule,
                                      const IpAddress& src, const IpAddress& dst) {
  IpAddress a, b;
  tracked(spec, src, dst, a, b);
  return hash_entry(rule, a, b);
}

ThresholdTable::ThresholdTable(std::size_t capacity) : table_(capacity) {}

bool ThresholdTable::allow(const ThresholdSpec& spec, std::uint64_t rule, const IpAddress& src,
                           const IpAddress& dst, std::int64_t now) {
  IpAddress a, b;  // the tracked key
  tracked(spec, src, dst, a, b);
  Entry* reusable;
  Entry* found = table_.probe(
      hash_entry(rule, a, b), kMaxProbe,
      [&](const Entry& e) { return e.rule == rule && e.a == a && e.b == b; },
      [&](const Entry& e) { return e.expires < now; }, reusable);
  if (found == nullptr) {
    if (reusable == nullptr) {
      ++full_;
      return true;
    }
    // A reused slot may belong to another key in this probe chain; the chain stays intact
    // because slots are never emptied, only overwritten.
    found = reusable;
    *found = Entry{a, b, now, now + spec.seconds, rule, 0, true};
  }
  Entry& e = *found;
  if (now >= e.expires) {  // the window elapsed: start a new one
    e.window_start = now;
    e.expires = now + spec.seconds;
    e.count = 0;
  }
  ++e.count;
  switch (spec.type) {
    case ThresholdSpec::Type::kLimit:
      return e.count <= spec.count;
    case ThresholdSpec::Type::kThreshold:
      if (e.count >= spec.count) {
        e.count = 0;
        return true;
      }
      return false;
    case ThresholdSpec::Type::kBoth:
      return e.count == spec.count;
    case ThresholdSpec::Type::kDetectionFilter:
      return e.count > spec.count;
  }
  return true;
}

}  // namespace wp::detect
