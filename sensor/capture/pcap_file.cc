#include "capture/pcap_file.h"

#include <fcntl.h>
#include <pcap/pcap.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>

namespace wp::capture {

namespace {

constexpr int kLinktypeRaw = 101;

struct PcapCloser {
  void operator()(pcap_t* p) const { pcap_close(p); }
};
using PcapHandle = std::unique_ptr<pcap_t, PcapCloser>;

// libpcap often starts its message with the file name; the Error carries it as the location.
std::string strip_path(std::string_view reason, const std::string& path) {
  if (reason.starts_with(path) && reason.substr(path.size()).starts_with(": ")) {
    reason.remove_prefix(path.size() + 2);
  }
  return std::string(reason);
}

// A classic pcap file (any byte order, micro- or nanosecond): its records are a 16-byte
// header and caplen bytes, so the offset of the next record is counted instead of asked of
// the stream (ftell is an lseek system call per packet: most of the reader's time).
bool classic_pcap(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  unsigned char m[4] = {};
  const bool read = std::fread(m, 1, 4, f) == 4;
  std::fclose(f);
  if (!read) return false;
  const std::uint32_t le = m[0] | (m[1] << 8) | (m[2] << 16) | (std::uint32_t{m[3]} << 24);
  const std::uint32_t be = m[3] | (m[2] << 8) | (m[1] << 16) | (std::uint32_t{m[0]} << 24);
  for (std::uint32_t magic : {le, be}) {
    if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d) return true;
  }
  return false;
}

}  // namespace

// stdio's default buffer is 4 KiB: a read(2) every few packets. libpcap reads each record
// with fread, so a larger buffer of our own makes reading mostly memcpy.
constexpr std::size_t kReadBuffer = 1u << 20;

// A read-only mapping of a whole capture file.
struct Mapping {
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;
  Mapping() = default;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() { reset(); }
  void reset() {
    if (data != nullptr) ::munmap(const_cast<std::uint8_t*>(data), size);
    data = nullptr;
    size = 0;
  }
};

// Link types whose records libpcap hands over unchanged (no post-processing of the bytes).
bool plain_linktype(int dlt) {
  return dlt == 1 || dlt == 101 || dlt == 12 || dlt == 113 || dlt == 228 || dlt == 229;
}

struct PcapFileSource::File {
  std::string path;
  std::unique_ptr<char[]> buffer;  // the stream's buffer: outlives `handle`
  PcapHandle handle;
  int linktype = 1;
  bool counted = false;  // classic pcap: good_end is counted, not asked with ftell
  long good_end = 0;     // file offset just past the last complete record
  // Classic pcap of a plain link type in a regular file: records are read from a mapping
  // of the file (no copy, no system call per packet). The first record the fast path does
  // not take as it is (cut short, longer than the snaplen or 262144, a header beyond the
  // end) hands the rest of the file to libpcap from that offset, so its messages stay
  // libpcap's.
  Mapping map;
  bool mapped = false;
  bool swapped = false;       // the file's byte order is not ours
  bool nanoseconds = false;   // the a1b23c4d magic: timestamps in nanoseconds
  std::uint32_t snaplen = 0;
  pcap_pkthdr hdr{};          // the last record's header, for RawPacket
};

Result<std::unique_ptr<PcapFileSource>> PcapFileSource::open(
    const std::vector<std::string>& paths) {
  if (paths.empty()) return make_error("no capture file given");
  std::unique_ptr<PcapFileSource> source(new PcapFileSource());
  for (const std::string& path : paths) {
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    auto file = std::make_unique<File>();
    PcapHandle h;
    if (path == "-") {
      h.reset(pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, errbuf));
    } else if (std::FILE* fp = std::fopen(path.c_str(), "rb"); fp == nullptr) {
      // The words libpcap's own open uses.
      std::snprintf(errbuf, sizeof errbuf, "%s", std::strerror(errno));
    } else {
      file->buffer = std::make_unique<char[]>(kReadBuffer);
      std::setvbuf(fp, file->buffer.get(), _IOFBF, kReadBuffer);
      h.reset(pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, errbuf));
      if (!h) std::fclose(fp);  // libpcap closes it only once it took it
    }
    if (!h) {
      return make_error("cannot read capture file: " + strip_path(errbuf, path), path);
    }
    file->path = path;
    file->linktype = pcap_datalink(h.get());
    // libpcap maps the file's LINKTYPE_RAW (101) to the platform's DLT_RAW (12 or 14); give
    // the decoder the file's value so one number means raw IP everywhere.
    if (file->linktype == DLT_RAW) file->linktype = kLinktypeRaw;
    file->good_end = std::ftell(pcap_file(h.get()));
    file->counted = file->good_end == 24 && classic_pcap(path);
    if (file->counted && plain_linktype(pcap_datalink(h.get()))) map_file(*file);
    file->handle = std::move(h);
    source->files_.push_back(std::move(file));
  }
  return source;
}

void PcapFileSource::map_file(File& file) {
  const int fd = ::open(file.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 24) {
    void* p = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (p != MAP_FAILED) {
      ::madvise(p, static_cast<std::size_t>(st.st_size), MADV_SEQUENTIAL);
      file.map.data = static_cast<const std::uint8_t*>(p);
      file.map.size = static_cast<std::size_t>(st.st_size);
    }
  }
  ::close(fd);
  if (file.map.data == nullptr) return;
  std::uint32_t magic;
  std::memcpy(&magic, file.map.data, 4);
  file.swapped = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
  file.nanoseconds = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
  std::uint32_t snaplen;
  std::memcpy(&snaplen, file.map.data + 16, 4);
  file.snaplen = file.swapped ? __builtin_bswap32(snaplen) : snaplen;
  file.mapped = true;
}

bool PcapFileSource::next_mapped(File& file, RawPacket& out) {
  const std::size_t at = static_cast<std::size_t>(file.good_end);
  if (at == file.map.size) return false;  // the end
  std::uint32_t f[4];  // ts_sec, ts_frac, caplen, len
  if (file.map.size - at < sizeof f) {
    file.mapped = false;
    return false;
  }
  std::memcpy(f, file.map.data + at, sizeof f);
  if (file.swapped) {
    for (std::uint32_t& v : f) v = __builtin_bswap32(v);
  }
  const std::uint32_t caplen = f[2];
  constexpr std::uint32_t kMaxCaplen = 262144;  // libpcap's limit for these link types
  if (caplen > kMaxCaplen || caplen > file.snaplen || caplen > file.map.size - at - sizeof f) {
    file.mapped = false;
    return false;
  }
  out.ts = Timestamp{static_cast<std::int64_t>(f[0]), file.nanoseconds ? f[1] / 1000 : f[1]};
  out.data = file.map.data + at + sizeof f;
  out.caplen = caplen;
  out.wirelen = f[3];
  out.linktype = file.linktype;
  out.number = ++number_;
  bytes_ += caplen;
  file.good_end += static_cast<long>(sizeof f + caplen);
  return true;
}

PcapFileSource::~PcapFileSource() = default;

std::string linktype_name(int linktype) {
  if (const char* name = pcap_datalink_val_to_name(linktype); name != nullptr) return name;
  // Not in every libpcap's table: the private-use range (LINKTYPE_USER0..15).
  if (linktype >= 147 && linktype <= 162) return "USER" + std::to_string(linktype - 147);
  return "unknown";
}

std::vector<std::pair<std::string, int>> PcapFileSource::file_linktypes() const {
  std::vector<std::pair<std::string, int>> out;
  for (const auto& f : files_) out.emplace_back(f->path, f->linktype);
  return out;
}

int PcapFileSource::linktype() const {
  if (files_.empty()) return 1;
  return files_[std::min(current_, files_.size() - 1)]->linktype;
}

ReadStatus PcapFileSource::next(RawPacket& out) {
  while (current_ < files_.size()) {
    File& file = *files_[current_];
    if (file.mapped) {
      if (next_mapped(file, out)) return ReadStatus::kPacket;
      if (file.mapped) {  // the end of the file
        file.handle.reset();
        file.map.reset();
        ++current_;
        continue;
      }
      // Not taken as it is: libpcap reads on from this record.
      std::fseek(pcap_file(file.handle.get()), file.good_end, SEEK_SET);
    }
    pcap_pkthdr* hdr = nullptr;
    const u_char* data = nullptr;
    const int rc = pcap_next_ex(file.handle.get(), &hdr, &data);
    if (rc == 1) {
      out.ts = Timestamp{static_cast<std::int64_t>(hdr->ts.tv_sec),
                         static_cast<std::uint32_t>(hdr->ts.tv_usec)};
      out.data = data;
      out.caplen = hdr->caplen;
      out.wirelen = hdr->len;
      out.linktype = file.linktype;
      out.number = ++number_;
      bytes_ += hdr->caplen;
      if (file.counted) {
        file.good_end += 16 + static_cast<long>(hdr->caplen);
      } else {
        file.good_end = std::ftell(pcap_file(file.handle.get()));
      }
      return ReadStatus::kPacket;
    }
    if (rc == PCAP_ERROR) {
      // A record cut short (or otherwise unreadable) ends this file; the packets before it
      // were delivered and the next file is still read.
      warning_ = file.path + ": truncated at byte " + std::to_string(file.good_end) + " (" +
                 pcap_geterr(file.handle.get()) + ")";
      file.handle.reset();
      ++current_;
      return ReadStatus::kTruncated;
    }
    if (rc == 0) continue;  // live-capture timeout; not produced by savefiles
    file.handle.reset();    // PCAP_ERROR_BREAK: end of this file
    ++current_;
  }
  return ReadStatus::kEnd;
}

}  // namespace wp::capture
