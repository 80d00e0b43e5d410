// libFuzzer target: a spool segment file's bytes through the spool's readers. The first byte
// picks the shape: odd, the rest is a whole segment file (header included); even, a valid
// header is put before the rest, so the mutations reach the records. Each input is parsed
// record by record (parse_record), then written as the only segment of a spool that
// Spool::open scans (counting and skipping damage, cutting a torn tail) and read() walks
// to the end, and one more event is appended and read back. Looks for crashes, hangs and
// sanitizer reports: damaged spool bytes must be counted and skipped, never trusted.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "output/spool.h"

namespace {

namespace fs = std::filesystem;
using wp::output::RecordStatus;

// One spool directory for the whole run (removed and rebuilt per input).
const std::string& base_dir() {
  static const std::string dir = [] {
    std::string t = (fs::temp_directory_path() / "watchpost-spool-fuzz-XXXXXX").string();
    if (mkdtemp(t.data()) == nullptr) std::abort();
    return t;
  }();
  return dir;
}

std::string segment_header(std::uint64_t epoch, std::uint64_t first_seq) {
  std::string h = "WPSPOOL1";
  for (int i = 0; i < 8; ++i) h.push_back(static_cast<char>(epoch >> (8 * i)));
  for (int i = 0; i < 8; ++i) h.push_back(static_cast<char>(first_seq >> (8 * i)));
  return h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string file = (data[0] & 1) ? std::string() : segment_header(0x1234, 1);
  file.append(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(file.data());

  // The pure parser over the records after the header.
  if (auto h = wp::output::parse_segment_header({bytes, file.size()}); h.ok()) {
    std::size_t pos = wp::output::kSegmentHeaderSize;
    while (pos < file.size()) {
      const auto r = wp::output::parse_record({bytes + pos, file.size() - pos});
      if (r.size == 0 || r.size > file.size() - pos) std::abort();  // must always progress
      if (r.status == RecordStatus::kTruncated || r.status == RecordStatus::kBadLength) break;
      pos += r.size;
    }
  }

  // The spool: scan at open, read everything, append once more.
  std::error_code ec;
  fs::remove_all(base_dir(), ec);
  const std::string dir = base_dir() + "/fuzz";
  fs::create_directories(dir, ec);
  std::uint64_t first_seq = 0;  // the name must match the header's first seq
  if (file.size() >= wp::output::kSegmentHeaderSize) {
    for (int i = 0; i < 8; ++i) first_seq |= std::uint64_t{bytes[16 + i]} << (8 * i);
  }
  char name[64];
  std::snprintf(name, sizeof name, "seg-%020llu.wps", static_cast<unsigned long long>(first_seq));
  std::ofstream(dir + "/" + name, std::ios::binary) << file;
  std::vector<std::string> warnings;
  auto spool = wp::output::Spool::open({base_dir(), "fuzz", 1 << 20, false}, warnings);
  if (!spool.ok()) return 0;
  wp::output::Spool& s = *spool.value();
  s.rewind(1);
  std::vector<std::string> payloads;
  for (int batches = 0; batches < 1000 && s.read(64, 1 << 20, payloads) != 0; ++batches) {
    payloads.clear();
  }
  watchpost::v1::Event e;
  e.mutable_alert()->set_payload("after");
  if (s.append(e)) {
    s.rewind(e.seq());
    payloads.clear();
    if (s.read(1, 1 << 20, payloads) != e.seq()) std::abort();  // the append is readable
  }
  return 0;
}
