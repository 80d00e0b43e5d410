// The Hyperscan mode study: on one recorded StreamTrace, times the stream groups' literal
// fast patterns scanned
//  (a) in block mode over each chunk's overlap + new bytes (what Detector::inspect_stream
//      does, with the rule set's own databases),
//  (a0) in block mode over the new bytes only (a lower bound: misses patterns that straddle
//      chunks; shows what the overlap costs),
//  (a2) in block mode over overlap + new bytes without SINGLEMATCH, reports ending in the
//      overlap dropped (every occurrence in new data found once, at its own position),
//  (b) in streaming mode: the same patterns compiled with HS_MODE_STREAM, one hs_stream per
//      flow direction opened at its first chunk and closed when its flow leaves the table,
//      hs_scan_stream over each chunk's new bytes,
// and prints stream state sizes, time per byte, ratios and match counts. Cold path tool.
#pragma once

#include "detect/compile/rule_set.h"
#include "stream_trace.h"

namespace wp::bench {

// Returns 0, or 1 when a Hyperscan call failed (the message is printed).
int hs_mode_study(const StreamTrace& trace, const detect::RuleSet& rules, int repeat);

}  // namespace wp::bench
