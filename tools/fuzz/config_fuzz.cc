// libFuzzer target: the input as the text of a configuration file (-c FILE) through
// app::apply_config_text, the function apply_config_file reads files into: YAML parsing, the
// key table, value formats (sizes, durations, booleans, address lists), rule variables,
// host-os-policy and the `outputs:` list form. Looks for crashes, hangs and sanitizer reports
// on malformed administrator input; every problem must be a clean error or warning. The
// effective configuration is dumped too, so every key's getter runs on what was set.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "app/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  wp::app::Config config;
  std::vector<std::string> warnings;
  if (wp::app::apply_config_text(config, text, "fuzz.yaml", warnings)) {
    (void)wp::app::dump_config(config);
  }
  return 0;
}
