// The lines of one direction of a line-based protocol (SMTP, FTP, the SSH banner), split
// anywhere across stream chunks. A line ends at LF (a CR before it is removed); at most
// `max` bytes of a line are kept, the rest of an over-long line is read past and the line is
// reported once, cut, with `too_long` set. Memory: at most `max` bytes per direction, kept
// across lines (no allocation once warm).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/byte_reader.h"

namespace wp::applayer {

class LineBuffer {
 public:
  explicit LineBuffer(std::size_t max) : max_(max) {}

  // Calls fn(std::string_view line, bool too_long) for each line `data` completes, in order,
  // until fn returns false (the protocol leaves line mode: the bytes after that line are the
  // caller's). Returns how many bytes of `data` were consumed.
  template <typename Fn>
  std::size_t feed(Bytes data, Fn&& fn);

  void reset() {
    line_.clear();
    too_long_ = false;
  }
  std::size_t buffered() const { return line_.size(); }

 private:
  std::size_t max_;
  std::string line_;
  bool too_long_ = false;
};

template <typename Fn>
std::size_t LineBuffer::feed(Bytes data, Fn&& fn) {
  std::size_t pos = 0;
  while (pos < data.size()) {
    const std::size_t rest = data.size() - pos;
    const auto* start = data.data() + pos;
    const auto* lf = static_cast<const std::uint8_t*>(std::memchr(start, '\n', rest));
    const std::size_t piece = lf != nullptr ? static_cast<std::size_t>(lf - start) : rest;
    const std::size_t room = max_ > line_.size() ? max_ - line_.size() : 0;
    if (piece > room) too_long_ = true;
    line_.append(reinterpret_cast<const char*>(start), piece < room ? piece : room);
    if (lf == nullptr) return data.size();
    pos += piece + 1;
    std::string_view line(line_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const bool too_long = too_long_;
    const bool go_on = fn(line, too_long);
    line_.clear();
    too_long_ = false;
    if (!go_on) return pos;
  }
  return pos;
}

}  // namespace wp::applayer
