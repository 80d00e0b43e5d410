#include "decode/checksum.h"

namespace wp::decode {

std::uint64_t checksum_add(std::uint64_t sum, Bytes data) {
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  // Summing 32-bit big-endian words into a 64-bit accumulator is equivalent to summing
  // 16-bit words once folded (RFC 1071 section 2, "parallel summation").
  while (n >= 4) {
    sum += load_be32(p);
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    sum += load_be16(p);
    p += 2;
    n -= 2;
  }
  if (n == 1) sum += std::uint64_t{p[0]} << 8;
  return sum;
}

std::uint16_t checksum_finish(std::uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

std::uint64_t pseudo_header_sum(const IpAddress& src, const IpAddress& dst, std::uint8_t proto,
                                std::uint32_t length) {
  std::uint64_t sum = 0;
  if (src.is_v4()) {
    sum = checksum_add(sum, Bytes(src.bytes.data() + 12, 4));
    sum = checksum_add(sum, Bytes(dst.bytes.data() + 12, 4));
  } else {
    sum = checksum_add(sum, Bytes(src.bytes.data(), 16));
    sum = checksum_add(sum, Bytes(dst.bytes.data(), 16));
  }
  return sum + proto + (length >> 16) + (length & 0xffff);
}

}  // namespace wp::decode
