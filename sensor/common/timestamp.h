// Packet time: seconds and microseconds since the epoch, as libpcap delivers it.
#pragma once

#include <compare>
#include <cstdint>

namespace wp {

struct Timestamp {
  std::int64_t sec = 0;
  std::uint32_t usec = 0;

  std::int64_t micros() const { return sec * 1000000 + usec; }
  friend bool operator==(const Timestamp&, const Timestamp&) = default;
  friend auto operator<=>(const Timestamp&, const Timestamp&) = default;
};

}  // namespace wp
