#include "detect/engine/threshold.h"

#include <limits>

namespace wp::detect {
namespace {

constexpr int kMaxProbe = 64;

std::uint64_t hash_entry(std::uint64_t rule, const IpAddress& a, const IpAddress& b,
                         std::uint64_t flow) {
  return hash_addresses(rule ^ (flow * 0x9e3779b97f4a7c15ull), a, b);
}

// The addresses or flow the entry is tracked by; unused parts stay zero.
void tracked(const ThresholdSpec& spec, const IpAddress& src, const IpAddress& dst,
             std::uint64_t flow_id, IpAddress& a, IpAddress& b, std::uint64_t& flow) {
  switch (spec.track) {
    case ThresholdSpec::Track::kBySrc: a = src; break;
    case ThresholdSpec::Track::kByDst: a = dst; break;
    case ThresholdSpec::Track::kByRule: break;
    case ThresholdSpec::Track::kByBoth: a = src; b = dst; break;
    case ThresholdSpec::Track::kByFlow: flow = flow_id; break;
  }
}

// A backoff has no time window; its entry is kept while matches come at most this far
// apart, then its slot may be reused (the count starts over if the key comes back).
constexpr std::int64_t kBackoffIdleSec = 3600;

}  // namespace

std::uint64_t ThresholdTable::hash_of(const ThresholdSpec& spec, std::uint64_t rule,
                                      const IpAddress& src, const IpAddress& dst,
                                      std::uint64_t flow_id) {
  IpAddress a, b;
  std::uint64_t flow = 0;
  tracked(spec, src, dst, flow_id, a, b, flow);
  return hash_entry(rule, a, b, flow);
}

ThresholdTable::ThresholdTable(std::size_t capacity) : table_(capacity) {}

bool ThresholdTable::allow(const ThresholdSpec& spec, std::uint64_t rule, const IpAddress& src,
                           const IpAddress& dst, std::uint64_t flow_id, std::int64_t now) {
  IpAddress a, b;  // the tracked key
  std::uint64_t flow = 0;
  tracked(spec, src, dst, flow_id, a, b, flow);
  const bool backoff = spec.type == ThresholdSpec::Type::kBackoff;
  Entry* reusable;
  Entry* found = table_.probe(
      hash_entry(rule, a, b, flow), kMaxProbe,
      [&](const Entry& e) { return e.rule == rule && e.flow == flow && e.a == a && e.b == b; },
      [&](const Entry& e) { return e.expires < now; }, reusable);
  if (found == nullptr) {
    if (reusable == nullptr) {
      ++full_;
      return true;
    }
    // A reused slot may belong to another key in this probe chain; the chain stays intact
    // because slots are never emptied, only overwritten.
    found = reusable;
    *found = Entry{a, b, now, now + (backoff ? kBackoffIdleSec : spec.seconds), rule, flow,
                   spec.count, 0, true};
  }
  Entry& e = *found;
  if (now >= e.expires) {  // the window elapsed: start a new one
    e.window_start = now;
    e.count = 0;
    e.next = spec.count;
  }
  e.expires = backoff ? now + kBackoffIdleSec : e.window_start + spec.seconds;
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
    case ThresholdSpec::Type::kBackoff:
      if (e.count < e.next) return false;
      // The next step, saturating: past 2^32 matches a flow no longer alerts.
      e.next = e.next > std::numeric_limits<std::uint32_t>::max() / spec.multiplier
                   ? std::numeric_limits<std::uint64_t>::max()
                   : e.next * spec.multiplier;
      return true;
  }
  return true;
}

}  // namespace wp::detect
