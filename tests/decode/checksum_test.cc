#include "decode/checksum.h"

#include <gtest/gtest.h>

#include <vector>

namespace wp::decode {
namespace {

TEST(Checksum, MatchesRfc1071WorkedExample) {
  // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to 0xddf2 (folded).
  const std::vector<std::uint8_t> data = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(checksum_finish(checksum_add(0, data)), static_cast<std::uint16_t>(~0xddf2));
}

TEST(Checksum, PadsOddTrailingByteWithZero) {
  const std::vector<std::uint8_t> odd = {0x12, 0x34, 0x56};
  const std::vector<std::uint8_t> even = {0x12, 0x34, 0x56, 0x00};
  EXPECT_EQ(checksum_finish(checksum_add(0, odd)), checksum_finish(checksum_add(0, even)));
}

TEST(Checksum, VerifiesKnownIpv4Header) {
  // A header with its correct checksum (0xb861), the classic textbook example.
  std::vector<std::uint8_t> h = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                                 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  EXPECT_TRUE(ipv4_header_checksum_ok(h));
  h[11] ^= 1;
  EXPECT_FALSE(ipv4_header_checksum_ok(h));
}

TEST(Checksum, SplittingDataAtEvenBoundariesGivesTheSameSum) {
  std::vector<std::uint8_t> data(1001);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7 + 3);
  const Bytes all(data);
  const std::uint16_t whole = checksum_finish(checksum_add(0, all));
  for (std::size_t cut : {0, 2, 6, 100, 1000}) {
    std::uint64_t sum = checksum_add(0, all.first(cut));
    sum = checksum_add(sum, all.subspan(cut));
    EXPECT_EQ(checksum_finish(sum), whole) << "cut at " << cut;
  }
}

}  // namespace
}  // namespace wp::decode
