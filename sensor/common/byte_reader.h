// Bounds-checked big-endian readers over packet bytes. Decoders read wire fields through
// these instead of casting wire structs, so a short packet is a status, never a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace wp {

using Bytes = std::span<const std::uint8_t>;

inline std::uint16_t load_be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t load_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}
inline std::uint16_t load_le16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
inline std::uint32_t load_le32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}

// A cursor over a byte span. Every read checks the remaining length first; a failed read
// leaves the cursor where it was and returns false.
class ByteReader {
 public:
  explicit ByteReader(Bytes data) : data_(data) {}

  std::size_t remaining() const { return data_.size() - pos_; }
  std::size_t position() const { return pos_; }
  bool has(std::size_t n) const { return remaining() >= n; }

  bool u8(std::uint8_t& out) {
    if (!has(1)) return false;
    out = data_[pos_++];
    return true;
  }
  bool be16(std::uint16_t& out) {
    if (!has(2)) return false;
    out = load_be16(data_.data() + pos_);
    pos_ += 2;
    return true;
  }
  bool be32(std::uint32_t& out) {
    if (!has(4)) return false;
    out = load_be32(data_.data() + pos_);
    pos_ += 4;
    return true;
  }
  bool skip(std::size_t n) {
    if (!has(n)) return false;
    pos_ += n;
    return true;
  }
  Bytes rest() const { return data_.subspan(pos_); }

 private:
  Bytes data_;
  std::size_t pos_ = 0;
};

}  // namespace wp
