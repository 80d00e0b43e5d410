#include "capture/pcap_file.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "support/packet_builder.h"
#include "support/pcap_writer.h"
#include "support/temp_dir.h"

namespace wp::capture {
namespace {

using testing::Frame;
using testing::PcapWriter;
using testing::TempDir;

Frame sample_frame(std::uint16_t sport, std::string_view payload = "hello") {
  return testing::udp_packet(testing::ip("192.0.2.1"), testing::ip("192.0.2.2"), sport, 53,
                             payload);
}

void write_file(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

void le32(std::vector<std::uint8_t>& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void le16(std::vector<std::uint8_t>& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}

// A minimal pcapng file: section header, one interface (Ethernet, microsecond timestamps by
// default) and one enhanced packet block per frame.
std::vector<std::uint8_t> pcapng(const std::vector<std::pair<Timestamp, Frame>>& packets) {
  std::vector<std::uint8_t> b;
  le32(b, 0x0a0d0d0a);  // SHB
  le32(b, 28);
  le32(b, 0x1a2b3c4d);
  le16(b, 1);
  le16(b, 0);
  le32(b, 0xffffffff);  // section length unknown (-1)
  le32(b, 0xffffffff);
  le32(b, 28);
  le32(b, 1);  // IDB
  le32(b, 20);
  le16(b, 1);  // LINKTYPE_ETHERNET
  le16(b, 0);
  le32(b, 0);  // snaplen: unlimited
  le32(b, 20);
  for (const auto& [ts, frame] : packets) {
    const std::uint32_t padded = (static_cast<std::uint32_t>(frame.size()) + 3) & ~3u;
    const std::uint32_t total = 32 + padded;
    const std::uint64_t units = static_cast<std::uint64_t>(ts.sec) * 1000000 + ts.usec;
    le32(b, 6);  // EPB
    le32(b, total);
    le32(b, 0);  // interface 0
    le32(b, static_cast<std::uint32_t>(units >> 32));
    le32(b, static_cast<std::uint32_t>(units));
    le32(b, static_cast<std::uint32_t>(frame.size()));
    le32(b, static_cast<std::uint32_t>(frame.size()));
    b.insert(b.end(), frame.begin(), frame.end());
    b.resize(b.size() + (padded - frame.size()), 0);
    le32(b, total);
  }
  return b;
}

std::unique_ptr<PcapFileSource> open_ok(const std::vector<std::string>& paths) {
  auto source = PcapFileSource::open(paths);
  EXPECT_TRUE(source.ok()) << (source.ok() ? "" : source.error().describe());
  if (!source.ok()) return nullptr;
  return std::move(source).value();
}

TEST(PcapFileSource, ReadsFilesInOrderNumberingPacketsFromOneAcrossFiles) {
  TempDir dir;
  const std::string first = dir.file("first.pcap");
  const std::string second = dir.file("second.pcap");
  {
    PcapWriter w(first);
    w.write({1700000000, 1}, sample_frame(1000));
    w.write({1700000000, 2}, sample_frame(1001));
    w.write({1700000001, 999999}, sample_frame(1002));
  }
  {
    PcapWriter w(second);
    w.write({1700000002, 5}, sample_frame(1003));
    w.write({1700000002, 6}, sample_frame(1004, "longer payload"));
  }
  auto source = open_ok({first, second});
  ASSERT_NE(source, nullptr);
  RawPacket pkt;
  std::uint64_t bytes = 0;
  for (std::uint64_t n = 1; n <= 5; ++n) {
    ASSERT_EQ(source->next(pkt), ReadStatus::kPacket) << "packet " << n;
    EXPECT_EQ(pkt.number, n);
    const Frame expected =
        sample_frame(static_cast<std::uint16_t>(999 + n), n == 5 ? "longer payload" : "hello");
    ASSERT_EQ(pkt.caplen, expected.size());
    EXPECT_EQ(pkt.wirelen, expected.size());
    EXPECT_EQ(Frame(pkt.data, pkt.data + pkt.caplen), expected);
    EXPECT_EQ(pkt.linktype, 1);
    bytes += pkt.caplen;
  }
  EXPECT_EQ(source->next(pkt), ReadStatus::kEnd);
  EXPECT_EQ(source->next(pkt), ReadStatus::kEnd);
  EXPECT_EQ(source->packets_read(), 5u);
  EXPECT_EQ(source->bytes_read(), bytes);
}

TEST(PcapFileSource, DeliversMicrosecondTimestamps) {
  TempDir dir;
  const std::string path = dir.file("ts.pcap");
  {
    PcapWriter w(path);
    w.write({1700000123, 456789}, sample_frame(1));
  }
  auto source = open_ok({path});
  ASSERT_NE(source, nullptr);
  RawPacket pkt;
  ASSERT_EQ(source->next(pkt), ReadStatus::kPacket);
  EXPECT_EQ(pkt.ts, (Timestamp{1700000123, 456789}));
}

TEST(PcapFileSource, ConvertsNanosecondFilesToMicroseconds) {
  TempDir dir;
  const std::string path = dir.file("nano.pcap");
  const Frame frame = sample_frame(7);
  std::vector<std::uint8_t> b;
  le32(b, 0xa1b23c4d);  // nanosecond pcap
  le16(b, 2);
  le16(b, 4);
  le32(b, 0);
  le32(b, 0);
  le32(b, 65535);
  le32(b, 1);
  le32(b, 1700000000);
  le32(b, 123456789);
  le32(b, static_cast<std::uint32_t>(frame.size()));
  le32(b, static_cast<std::uint32_t>(frame.size()));
  b.insert(b.end(), frame.begin(), frame.end());
  write_file(path, b);
  auto source = open_ok({path});
  ASSERT_NE(source, nullptr);
  RawPacket pkt;
  ASSERT_EQ(source->next(pkt), ReadStatus::kPacket);
  EXPECT_EQ(pkt.ts, (Timestamp{1700000000, 123456}));
}

TEST(PcapFileSource, CarriesEachFilesLinkTypeOnItsPackets) {
  TempDir dir;
  const std::string eth = dir.file("eth.pcap");
  const std::string raw = dir.file("raw.pcap");
  const std::string sll = dir.file("sll.pcap");
  {
    PcapWriter w(eth, 1);
    w.write({1, 0}, sample_frame(1));
  }
  {
    PcapWriter w(raw, 101);
    w.write({2, 0}, testing::udp_packet(testing::ip("192.0.2.1"), testing::ip("192.0.2.2"), 1, 2,
                                        "x", {}, false));
  }
  {
    PcapWriter w(sll, 113);
    w.write({3, 0}, Frame(20, 0));
  }
  auto source = open_ok({eth, raw, sll});
  ASSERT_NE(source, nullptr);
  RawPacket pkt;
  EXPECT_EQ(source->linktype(), 1);
  ASSERT_EQ(source->next(pkt), ReadStatus::kPacket);
  EXPECT_EQ(pkt.linktype, 1);
  ASSERT_EQ(source->next(pkt), ReadStatus::kPacket);
  EXPECT_EQ(pkt.linktype, 101) << "LINKTYPE_RAW is reported as the file's value, not DLT_RAW";
  EXPECT_EQ(source->linktype(), 101);
  ASSERT_EQ(source->next(pkt), ReadStatus::kPacket);
  EXPECT_EQ(pkt.linktype, 113);
  EXPECT_EQ(pkt.number, 3u);
}

TEST(PcapFileSource, ReadsPcapngFiles) {
  TempDir dir;
  const std::string path = dir.file("capture.pcapng");
  const Frame a = sample_frame(10, "odd");  // odd length exercises block padding
  const Frame b = sample_frame(11, "even");
  write_file(path, pcapng({{{1700000000, 250000}, a}, {{1700000001, 7}, b}}));
  auto source = open_ok({path});
  ASSERT_NE(source, nullptr);
  RawPacket pkt;
  ASSERT_EQ(source->next(pkt), ReadStatus::kPacket);
  EXPECT_EQ(pkt.number, 1u);
  EXPECT_EQ(pkt.ts, (Timestamp{1700000000, 250000}));
  EXPECT_EQ(Frame(pkt.data, pkt.data + pkt.caplen), a);
  EXPECT_EQ(pkt.linktype, 1);
  ASSERT_EQ(source->next(pkt), ReadStatus::kPacket);
  EXPECT_EQ(pkt.ts, (Timestamp{1700000001, 7}));
  EXPECT_EQ(Frame(pkt.data, pkt.data + pkt.caplen), b);
  EXPECT_EQ(source->next(pkt), ReadStatus::kEnd);
}

TEST(PcapFileSource, ReportsUnopenableFilesByNameBeforeReadingAnything) {
  TempDir dir;
  const std::string good = dir.file("good.pcap");
  {
    PcapWriter w(good);
    w.write({1, 0}, sample_frame(1));
  }
  struct Case {
    const char* name;
    std::vector<std::uint8_t> content;  // written unless the name is "missing.pcap"
    std::string expected;               // message after "PATH: " (libpcap's wording)
  };
  const std::vector<Case> cases = {
      {"missing.pcap", {}, "cannot read capture file: No such file or directory"},
      {"garbage.pcap",
       {'n', 'o', 't', ' ', 'a', ' ', 'p', 'c', 'a', 'p', '!', '!'},
       "cannot read capture file: unknown file format"},
      {"empty.pcap",
       {},
       "cannot read capture file: truncated dump file; tried to read 4 file "
       "header bytes, only got 0"},
      {"short.pcap",
       {0xd4, 0xc3, 0xb2, 0xa1, 2, 0},
       "cannot read capture file: truncated dump "
       "file; tried to read 24 file header bytes, "
       "only got 2"},
  };
  for (const Case& c : cases) {
    const std::string path = dir.file(c.name);
    if (std::string(c.name) != "missing.pcap") write_file(path, c.content);
    auto source = PcapFileSource::open({good, path});
    ASSERT_FALSE(source.ok()) << c.name;
    EXPECT_EQ(source.error().location, path);
    EXPECT_EQ(source.error().describe(), path + ": " + c.expected);
  }
}

TEST(PcapFileSource, RejectsAnEmptyFileList) {
  auto source = PcapFileSource::open({});
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.error().describe(), "no capture file given");
}

TEST(PcapFileSource, StopsATruncatedFileWithAWarningAndGoesOnToTheNext) {
  TempDir dir;
  const std::string cut = dir.file("cut.pcap");
  const std::string next = dir.file("next.pcap");
  const Frame f1 = sample_frame(1);
  const Frame f2 = sample_frame(2);
  {
    PcapWriter w(cut);
    w.write({1, 0}, f1);
    w.write({2, 0}, f2);
    w.write_truncated({3, 0}, Frame(10, 0xab), 100);
  }
  {
    PcapWriter w(next);
    w.write({4, 0}, sample_frame(3));
  }
  auto source = open_ok({cut, next});
  ASSERT_NE(source, nullptr);
  RawPacket pkt;
  ASSERT_EQ(source->next(pkt), ReadStatus::kPacket);
  ASSERT_EQ(source->next(pkt), ReadStatus::kPacket);
  EXPECT_EQ(pkt.number, 2u);
  ASSERT_EQ(source->next(pkt), ReadStatus::kTruncated);
  const std::size_t good_end = 24 + (16 + f1.size()) + (16 + f2.size());
  EXPECT_EQ(source->warning(), cut + ": truncated at byte " + std::to_string(good_end) +
                                   " (truncated dump file; tried to read 100 captured bytes, "
                                   "only got 10)");
  ASSERT_EQ(source->next(pkt), ReadStatus::kPacket);
  EXPECT_EQ(pkt.number, 3u);
  EXPECT_EQ(pkt.ts, (Timestamp{4, 0}));
  EXPECT_EQ(source->next(pkt), ReadStatus::kEnd);
}

TEST(PcapFileSource, ReportsARecordHeaderCutShort) {
  TempDir dir;
  const std::string path = dir.file("cut-header.pcap");
  {
    PcapWriter w(path);
    w.write({1, 0}, sample_frame(1));
  }
  {
    std::FILE* f = std::fopen(path.c_str(), "ab");
    const std::uint8_t partial[5] = {1, 2, 3, 4, 5};
    std::fwrite(partial, 1, sizeof partial, f);
    std::fclose(f);
  }
  auto source = open_ok({path});
  ASSERT_NE(source, nullptr);
  RawPacket pkt;
  ASSERT_EQ(source->next(pkt), ReadStatus::kPacket);
  ASSERT_EQ(source->next(pkt), ReadStatus::kTruncated);
  const std::size_t good_end = 24 + 16 + sample_frame(1).size();
  EXPECT_EQ(source->warning(), path + ": truncated at byte " + std::to_string(good_end) +
                                   " (truncated dump file; tried to read 16 header bytes, only "
                                   "got 5)");
  EXPECT_EQ(source->next(pkt), ReadStatus::kEnd);
}

}  // namespace
}  // namespace wp::capture
