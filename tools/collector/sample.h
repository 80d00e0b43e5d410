// Sample events for the collector's tests and benchmark: alerts shaped like the sensor's
// (AlertBuilder fills the same fields for an ET Open rule: metadata, references, classtype),
// 400-500 bytes serialized. Deterministic: alert i is always the same.
#pragma once

#include <cstdint>
#include <string>

#include "watchpost/v1/event.pb.h"

namespace wp::collector {

// Alert number `i`: one of eight signatures (sids 2000000 + 1000 * (i % 8)), severity
// 1 + i % 3, IPv4 sources in 10.1.0.0/16 (every fifth alert an IPv6 source in 2001:db8::/32),
// destination 192.0.2.(i % 250 + 1), time 2025-07-01T00:00:00Z + i ms. Leaves sensor_id and
// site empty (the batch carries them).
void sample_alert(std::uint64_t i, watchpost::v1::Alert& out);

// A batch of `n` sample alerts with sequence numbers first_seq ... first_seq + n - 1 (alert
// number = seq); n = 0 gives a heartbeat batch.
watchpost::v1::Batch sample_batch(const std::string& sensor, const std::string& site,
                                  std::uint64_t epoch, std::uint64_t first_seq, int n);

}  // namespace wp::collector
