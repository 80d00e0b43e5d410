// The input layout the two-direction parser targets share (tls, smtp, ftp, ssh): byte 0 is the
// piece size (0 means 1), byte 1 a pattern whose bit i % 8 says whether piece i goes to the
// server; the rest is the data, fed piece by piece. So one input explores every split of the
// stream and every interleaving of the two directions.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

namespace wp::fuzz {

// Calls feed(to_server, piece) for each piece of the data after the two layout bytes; an
// input shorter than those two bytes feeds nothing.
template <class Feed>
void feed_in_pieces(const std::uint8_t* data, std::size_t size, Feed&& feed) {
  if (size < 2) return;
  const std::size_t piece = data[0] == 0 ? 1 : data[0];
  const std::uint8_t pattern = data[1];
  std::span<const std::uint8_t> rest(data + 2, size - 2);
  for (int i = 0; !rest.empty(); ++i) {
    const std::size_t n = std::min(piece, rest.size());
    feed(((pattern >> (i % 8)) & 1) != 0, rest.first(n));
    rest = rest.subspan(n);
  }
}

}  // namespace wp::fuzz
