// RawPacket: one frame as the capture stage delivers it.
#pragma once

#include <cstdint>

#include "common/timestamp.h"

namespace wp::capture {

// `data` is valid until the capture slot is released (for a file source: the next read).
struct RawPacket {
  Timestamp ts;
  const std::uint8_t* data = nullptr;
  std::uint32_t caplen = 0;
  std::uint32_t wirelen = 0;
  int linktype = 1;          // link type of the source (LINKTYPE_* value; raw IP is 101)
  std::uint64_t number = 0;  // 1-based packet number across all inputs (EVE pcap_cnt); 0 live
  std::uint32_t source = 0;  // live: index of the interface it was captured on
};

}  // namespace wp::capture
