// PcapWriter: writes classic pcap files (microsecond timestamps) for tests and the traffic
// generator. Deterministic: the same frames and times give the same bytes.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "common/timestamp.h"

namespace wp::testing {

class PcapWriter {
 public:
  // Opens `path` for writing with link type `linktype` (DLT_*) and snaplen 262144.
  // Aborts the program if the file cannot be created (tests and tools only).
  PcapWriter(const std::string& path, int linktype = 1);
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  void write(const Timestamp& ts, const std::vector<std::uint8_t>& frame);
  // Writes a record header claiming `claimed_len` bytes but only `frame` bytes of data
  // follow, then closes: a truncated capture.
  void write_truncated(const Timestamp& ts, const std::vector<std::uint8_t>& frame,
                       std::uint32_t claimed_len);
  void close();

 private:
  std::FILE* f_ = nullptr;
};

}  // namespace wp::testing
