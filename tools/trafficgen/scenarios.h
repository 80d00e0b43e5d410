// The traffic generator's scenarios. Each writes a complete capture through a Generator;
// the same scenario, options and seed always produce the same bytes.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "generator.h"

namespace wp::trafficgen {

// A provincial data centre's server link: benign web, DNS and ICMP traffic mixed with the
// attacks the bundled rules (rules/watchpost.rules) detect. Every bundled rule fires on it;
// bundled_rules_test holds the exact alert counts.
void demo(Generator& gen);

// Look-alikes of the demo's attacks (words such as "select" or "passwd" in ordinary pages,
// successful logins, ordinary pings and SYNs): no bundled rule may fire on it.
void benign(Generator& gen);

struct FloodOptions {
  std::uint64_t flows = 1000;
  std::uint32_t packets_per_flow = 10;  // data packets, alternating directions
  std::uint32_t payload_size = 512;     // bytes per data packet (at most 1460)
};
// `flows` TCP sessions one after another, each: handshake, `packets_per_flow` data packets
// alternating client and server, FIN close. Payloads are lowercase pseudo-random text.
void flood(Generator& gen, const FloodOptions& options);

struct ScenarioInfo {
  std::string_view name;
  std::string_view description;
};
const std::vector<ScenarioInfo>& scenario_list();

}  // namespace wp::trafficgen
