// The EVE record schema the tests hold every EVE line to: the fields Suricata 8 documents
// for each event type (written here from its EVE format documentation), plus our
// `watchpost` object. A record with `watchpost` removed must have exactly Suricata's shape:
// only documented fields, each of the documented JSON type, the required ones present.
//
// read_eve_file() is how tests read an EVE file: every line it returns was checked, so
// every EVE line the test suite produces through it is held to the schema.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace wp::testing {

// What is wrong with `record` ("alert.flow.start: not a timestamp", ...); empty when it
// conforms.
std::vector<std::string> eve_schema_errors(const nlohmann::json& record);

// Every line of the EVE file at `path`, parsed; a line that does not parse or does not
// conform is a test failure (ADD_FAILURE naming the line). Missing file: empty.
std::vector<nlohmann::json> read_eve_file(const std::string& path);
// Only the alert records of read_eve_file().
std::vector<nlohmann::json> read_eve_alerts(const std::string& path);

}  // namespace wp::testing
