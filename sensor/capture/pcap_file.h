// PcapFileSource: replays pcap and pcapng files through libpcap, one file after another as
// one capture (packet numbers keep counting across files). Classic pcap files of the usual
// link types are read from a memory mapping (libpcap takes over at the first record it
// must judge). Runs on the reader thread; each RawPacket it returns is valid until the next
// call to next().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "capture/raw_packet.h"

namespace wp::capture {

enum class ReadStatus {
  kPacket,     // `out` holds the next packet
  kEnd,        // all files read completely
  kTruncated,  // the current file ended mid-record: warning() says where; call next() to go on
};

// libpcap's name of a link type ("EN10MB", "USER0"), or "unknown".
std::string linktype_name(int linktype);

class PcapFileSource {
 public:
  // Opens every file up front so a missing or corrupt file is reported before any packet is
  // processed. The error names the file and libpcap's reason.
  static Result<std::unique_ptr<PcapFileSource>> open(const std::vector<std::string>& paths);
  ~PcapFileSource();

  ReadStatus next(RawPacket& out);
  // After kTruncated: "FILE: truncated at byte OFFSET (libpcap's reason)".
  const std::string& warning() const { return warning_; }
  // Link type (DLT) of the file currently being read.
  int linktype() const;
  // Each file's path and link type, in reading order.
  std::vector<std::pair<std::string, int>> file_linktypes() const;
  std::uint64_t packets_read() const { return number_; }
  std::uint64_t bytes_read() const { return bytes_; }

 private:
  PcapFileSource() = default;
  struct File;
  static void map_file(File& file);
  // The next record of a mapped file; false at its end, or (mapped turned off) when libpcap
  // must read on from file.good_end.
  bool next_mapped(File& file, RawPacket& out);
  std::vector<std::unique_ptr<File>> files_;
  std::size_t current_ = 0;
  std::uint64_t number_ = 0;
  std::uint64_t bytes_ = 0;
  std::string warning_;
};

}  // namespace wp::capture
