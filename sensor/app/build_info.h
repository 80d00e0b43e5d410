// What `watchpost-sensor -V` and `--build-info` print: the version, the Suricata rule
// language and EVE version it follows, and the libraries it was built with and runs on.
// Cold path.
#pragma once

#include <string>

namespace wp::app {

// "watchpost-sensor 0.1.0 (Suricata 8.0 rule language and EVE)".
std::string version_text();
// version_text() and one "name: value" line per library and CPU feature.
std::string build_info_text();

}  // namespace wp::app
