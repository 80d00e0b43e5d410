// Suricata's names for our counters, for the EVE stats record: where a counter counts what a
// Suricata 8 counter counts, the record shows it under Suricata's name (dashboards built on
// Suricata's stats keep working); the rest appear only in the `watchpost` object.
#pragma once

#include <string>
#include <string_view>

namespace wp::app {

// Suricata's name of the counter `ours` ("stream.sessions" -> "tcp.sessions"); empty when
// Suricata has no counter for the same thing.
std::string suricata_counter_name(std::string_view ours);

}  // namespace wp::app
