// The flat scan: the simplest possible "sensor" over a capture, as the application-layer
// issue defines the baseline: libpcap reads the capture, each packet's payload is found (the
// sensor's Decoder) and one Hyperscan block database holding one literal per loaded rule
// (its fast pattern, caseless where the content is nocase) scans it. No flows, no streams,
// no verification: what the sensor's processing time is compared with (ratio in one run).
// Every payload is scanned to its end (the match callback never stops a scan).
#pragma once

#include <string>
#include <vector>

#include "detect/compile/rule_set.h"

namespace wp::bench {

struct FlatScanResult {
  std::size_t literals = 0;   // distinct fast patterns in the database
  std::size_t packets = 0;
  std::size_t scanned_bytes = 0;
  std::size_t matches = 0;    // packets in which a literal matched
  std::size_t literal_hits = 0;  // (packet, literal) pairs: each literal once per packet
  double seconds = 0;         // read + decode + scan, the best of the runs
};

// Prints what it did; returns false (with a message on stderr) when the database cannot be
// compiled or the capture read.
bool flat_scan(const std::vector<std::string>& pcaps, const detect::RuleSet& rules, int repeat,
               FlatScanResult& out);

}  // namespace wp::bench
