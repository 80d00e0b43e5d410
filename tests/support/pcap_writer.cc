#include "support/pcap_writer.h"

#include <cstdlib>

namespace wp::testing {

namespace {

// The file is always little-endian so that the bytes do not depend on the host.
void put32(std::FILE* f, std::uint32_t v) {
  const std::uint8_t b[4] = {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8),
                             static_cast<std::uint8_t>(v >> 16),
                             static_cast<std::uint8_t>(v >> 24)};
  std::fwrite(b, 1, 4, f);
}
void put16(std::FILE* f, std::uint16_t v) {
  const std::uint8_t b[2] = {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8)};
  std::fwrite(b, 1, 2, f);
}

void record_header(std::FILE* f, const Timestamp& ts, std::uint32_t caplen, std::uint32_t wirelen) {
  put32(f, static_cast<std::uint32_t>(ts.sec));
  put32(f, ts.usec);
  put32(f, caplen);
  put32(f, wirelen);
}

}  // namespace

PcapWriter::PcapWriter(const std::string& path, int linktype) {
  f_ = std::fopen(path.c_str(), "wb");
  if (f_ == nullptr) {
    std::fprintf(stderr, "PcapWriter: cannot create %s\n", path.c_str());
    std::abort();
  }
  put32(f_, 0xa1b2c3d4);  // microsecond-resolution pcap
  put16(f_, 2);
  put16(f_, 4);
  put32(f_, 0);  // thiszone
  put32(f_, 0);  // sigfigs
  put32(f_, 262144);
  put32(f_, static_cast<std::uint32_t>(linktype));
}

PcapWriter::~PcapWriter() { close(); }

void PcapWriter::write(const Timestamp& ts, const std::vector<std::uint8_t>& frame) {
  if (f_ == nullptr) std::abort();
  const auto len = static_cast<std::uint32_t>(frame.size());
  record_header(f_, ts, len, len);
  std::fwrite(frame.data(), 1, frame.size(), f_);
}

void PcapWriter::write_truncated(const Timestamp& ts, const std::vector<std::uint8_t>& frame,
                                 std::uint32_t claimed_len) {
  if (f_ == nullptr) std::abort();
  record_header(f_, ts, claimed_len, claimed_len);
  std::fwrite(frame.data(), 1, frame.size(), f_);
  close();
}

void PcapWriter::close() {
  if (f_ != nullptr) {
    std::fclose(f_);
    f_ = nullptr;
  }
}

}  // namespace wp::testing
