#include "applayer/expectation.h"

namespace wp::applayer {

ExpectationTable::ExpectationTable(Counters& counters) : counters_(counters) {
  c_created_ = counters_.add("applayer.expectations.created");
  c_used_ = counters_.add("applayer.expectations.used");
  c_dropped_ = counters_.add("applayer.expectations.dropped");
  c_expired_ = counters_.add("applayer.expectations.expired");
  c_live_ = counters_.add("applayer.expectations");  // Suricata's app_layer.expectations
}

void ExpectationTable::clear_slot(std::size_t slot) {
  --per_port_[port_[slot]];
  port_[slot] = 0;
  --live_;
  counters_.set(c_live_, live_);
}

void ExpectationTable::expire(const Timestamp& now) {
  while (span_ > 0) {
    const std::size_t slot = oldest_;
    if (port_[slot] != 0) {
      if (now.sec <= entries_[slot].expires) return;
      clear_slot(slot);
      counters_.inc(c_expired_);
    }
    oldest_ = (oldest_ + 1) % kCapacity;
    --span_;
  }
}

void ExpectationTable::expect(const IpAddress& initiator, const IpAddress& responder,
                              std::uint16_t port, AppProto proto, const Timestamp& now) {
  if (port == 0) return;
  expire(now);
  if (span_ == kCapacity) {
    // Full: the oldest makes room (expire() left a live one at the old end).
    clear_slot(oldest_);
    counters_.inc(c_dropped_);
    oldest_ = (oldest_ + 1) % kCapacity;
    --span_;
  }
  const std::size_t slot = slot_at(span_);
  entries_[slot] = {initiator, responder, now.sec + kTimeoutSec, proto};
  port_[slot] = port;
  ++per_port_[port];
  ++span_;
  ++live_;
  counters_.inc(c_created_);
  counters_.set(c_live_, live_);
}

AppProto ExpectationTable::take(const IpAddress& initiator, const IpAddress& responder,
                                std::uint16_t port, const Timestamp& now) {
  if (live_ == 0 || port == 0) return AppProto::kUnknown;
  expire(now);  // amortized: each expectation leaves the ring once
  if (per_port_[port] == 0) return AppProto::kUnknown;
  for (std::size_t age = 0; age < span_; ++age) {
    const std::size_t slot = slot_at(age);
    if (port_[slot] != port) continue;
    const Entry& e = entries_[slot];
    // Out-of-order packet times can leave a newer entry expired behind an older live one.
    if (now.sec > e.expires || e.initiator != initiator || e.responder != responder) continue;
    const AppProto proto = e.proto;
    clear_slot(slot);
    counters_.inc(c_used_);
    return proto;
  }
  return AppProto::kUnknown;
}

}  // namespace wp::applayer
