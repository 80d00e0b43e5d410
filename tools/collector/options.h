// The collector's command line (ARCHITECTURE.md, "Collector, delivery, query tool"), parsed
// into a plain struct; every usage or configuration error is a message for exit status 2.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace wp::collector {

extern const char* const kUsage;

struct Options {
  std::string listen_host;  // an IP address, without brackets
  std::uint16_t listen_port = 0;
  std::string db;
  std::string eve;  // empty: no EVE file
  std::string ca;
  std::string cert;
  std::string key;
  bool plaintext = false;  // --insecure-plaintext
  bool sync_full = false;  // --sync full
  bool help = false;
};

// Parses argv. Errors are usage or configuration errors (exit 2): an unknown or missing
// option, a bad --listen address, a TLS file that cannot be read.
Result<Options> parse_options(int argc, char** argv);

// "127.0.0.1:9000", "[::1]:9000" -> host and port. The host must be an IP address.
Result<void> parse_listen(const std::string& text, std::string& host, std::uint16_t& port);

}  // namespace wp::collector
