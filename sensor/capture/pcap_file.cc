#include "capture/pcap_file.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <cstdio>
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

}  // namespace

struct PcapFileSource::File {
  std::string path;
  PcapHandle handle;
  int linktype = 1;
  long good_end = 0;  // file offset just past the last complete record
};

Result<std::unique_ptr<PcapFileSource>> PcapFileSource::open(
    const std::vector<std::string>& paths) {
  if (paths.empty()) return make_error("no capture file given");
  std::unique_ptr<PcapFileSource> source(new PcapFileSource());
  for (const std::string& path : paths) {
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    PcapHandle h(
        pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, errbuf));
    if (!h) {
      return make_error("cannot read capture file: " + strip_path(errbuf, path), path);
    }
    auto file = std::make_unique<File>();
    file->path = path;
    file->linktype = pcap_datalink(h.get());
    // libpcap maps the file's LINKTYPE_RAW (101) to the platform's DLT_RAW (12 or 14); give
    // the decoder the file's value so one number means raw IP everywhere.
    if (file->linktype == DLT_RAW) file->linktype = kLinktypeRaw;
    file->good_end = std::ftell(pcap_file(h.get()));
    file->handle = std::move(h);
    source->files_.push_back(std::move(file));
  }
  return source;
}

PcapFileSource::~PcapFileSource() = default;

int PcapFileSource::linktype() const {
  if (files_.empty()) return 1;
  return files_[std::min(current_, files_.size() - 1)]->linktype;
}

ReadStatus PcapFileSource::next(RawPacket& out) {
  while (current_ < files_.size()) {
    File& file = *files_[current_];
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
      file.good_end = std::ftell(pcap_file(file.handle.get()));
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
