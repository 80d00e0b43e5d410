#include "output/spool.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "common/file_io.h"
#include "output/wire.h"

namespace wp::output {
namespace {

namespace fs = std::filesystem;

constexpr char kSegmentMagic[8] = {'W', 'P', 'S', 'P', 'O', 'O', 'L', '1'};
constexpr char kMetaMagic[8] = {'W', 'P', 'S', 'M', 'E', 'T', 'A', '1'};
constexpr std::size_t kMetaSize = 28;  // magic, epoch, acked seq, CRC-32C of the 24 before it
constexpr std::string_view kSegmentPrefix = "seg-";
constexpr std::string_view kSegmentSuffix = ".wps";

constexpr std::array<std::uint32_t, 256> make_crc32c_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr std::array<std::uint32_t, 256> kCrc32cTable = make_crc32c_table();

std::uint32_t load_u32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
         std::uint32_t{p[3]} << 24;
}

std::uint64_t load_u64(const std::uint8_t* p) {
  return std::uint64_t{load_u32(p)} | std::uint64_t{load_u32(p + 4)} << 32;
}

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

void put_u64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::uint32_t record_crc(std::uint64_t seq, std::span<const std::uint8_t> payload) {
  std::uint8_t s[8];
  for (int i = 0; i < 8; ++i) s[i] = static_cast<std::uint8_t>(seq >> (8 * i));
  return crc32c(payload, crc32c(s));
}

std::string errno_text(const std::string& what, int err) {
  return what + ": " + std::strerror(err);
}

// A sensor id as one directory name: [A-Za-z0-9._-] kept, anything else as %XX (so "a/b"
// cannot escape the spool directory and "." or ".." cannot name it).
std::string id_dir_name(std::string_view id) {
  std::string out;
  for (char ch : id) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || (c == '.' && id != "." && id != "..")) {
      out.push_back(ch);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string segment_name(std::uint64_t first_seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(first_seq));
  return std::string(kSegmentPrefix) + buf + std::string(kSegmentSuffix);
}

Result<std::string> read_whole(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(std::strerror(errno), path);
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return make_error(std::strerror(err), path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

// pread of exactly out.size() bytes; false on an error or a short file.
bool pread_all(int fd, std::uint64_t offset, std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n =
        ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::uint32_t crc32c(std::span<const std::uint8_t> data, std::uint32_t crc) {
  crc = ~crc;
  for (std::uint8_t b : data) crc = kCrc32cTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

RecordView parse_record(std::span<const std::uint8_t> bytes) {
  RecordView r;
  if (bytes.size() < kRecordHeaderSize) {
    r.status = RecordStatus::kTruncated;
    r.size = bytes.size();
    return r;
  }
  const std::uint32_t len = load_u32(bytes.data());
  if (len == 0 || len > wire::kMaxFrame) {
    r.status = RecordStatus::kBadLength;
    r.size = bytes.size();
    return r;
  }
  if (bytes.size() - kRecordHeaderSize < len) {
    r.status = RecordStatus::kTruncated;
    r.size = bytes.size();
    return r;
  }
  r.size = kRecordHeaderSize + len;
  r.seq = load_u64(bytes.data() + 8);
  r.payload = bytes.subspan(kRecordHeaderSize, len);
  if (r.seq == 0 || r.seq > kMaxSeq || record_crc(r.seq, r.payload) != load_u32(bytes.data() + 4)) {
    r.status = RecordStatus::kCorrupt;
  }
  return r;
}

Result<SegmentHeader> parse_segment_header(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kSegmentHeaderSize) return make_error("segment header cut short");
  if (std::memcmp(bytes.data(), kSegmentMagic, sizeof kSegmentMagic) != 0) {
    return make_error("not a spool segment (bad magic)");
  }
  SegmentHeader h{load_u64(bytes.data() + 8), load_u64(bytes.data() + 16)};
  if (h.first_seq == 0 || h.first_seq > kMaxSeq) {
    return make_error("segment header names sequence number " + std::to_string(h.first_seq));
  }
  return h;
}

void append_record(std::uint64_t seq, std::string_view payload, std::string& out) {
  put_u32(out, static_cast<std::uint32_t>(payload.size()));
  put_u32(out, record_crc(seq, bytes_of(payload)));
  put_u64(out, seq);
  out.append(payload);
}

Result<std::string> choose_spool_dir(const std::string& configured,
                                     std::vector<std::string>& warnings) {
  std::vector<std::string> candidates;
  if (!configured.empty()) candidates.push_back(configured);
  const char* xdg = std::getenv("XDG_STATE_HOME");
  const char* home = std::getenv("HOME");
  if (xdg != nullptr && *xdg != '\0') {
    candidates.push_back((fs::path(xdg) / "watchpost" / "spool").string());
  } else if (home != nullptr && *home != '\0') {
    candidates.push_back((fs::path(home) / ".local" / "state" / "watchpost" / "spool").string());
  }
  std::string reasons;
  for (const std::string& dir : candidates) {
    const std::string why = unusable_dir_reason(dir);
    if (why.empty()) return dir;
    if (&dir != &candidates.back()) {
      warnings.push_back("collector spool directory " + dir + ": " + why + "; trying the next one");
    }
    reasons += (reasons.empty() ? "" : "; ") + dir + ": " + why;
  }
  if (candidates.empty())
    return make_error("collector.spool-dir is empty and neither $XDG_STATE_HOME nor $HOME is set");
  return make_error("no usable collector spool directory (" + reasons + ")");
}

Spool::Spool(const SpoolConfig& config, std::string dir, int lock_fd)
    : config_(config), dir_(std::move(dir)), lock_fd_(lock_fd) {
  segment_target_ = std::min(kMaxSegmentSize, std::max<std::uint64_t>(config.max_size / 8, 4096));
}

Spool::~Spool() {
  if (write_fd_ >= 0) ::close(write_fd_);
  if (read_fd_ >= 0) ::close(read_fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

Result<std::unique_ptr<Spool>> Spool::open(const SpoolConfig& config,
                                           std::vector<std::string>& warnings) {
  if (config.sensor_id.empty()) return make_error("the collector spool needs a sensor id");
  if (config.max_size < kMinSpoolSize) {
    return make_error("collector.spool-max-size below the minimum of 64 KiB");
  }
  const std::string dir = (fs::path(config.dir) / id_dir_name(config.sensor_id)).string();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error("cannot create the spool directory: " + ec.message(), dir);
  const std::string lock_path = dir + "/lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return make_error(errno_text("cannot open the spool lock", errno), lock_path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    std::string holder;
    if (auto text = read_whole(lock_path)) holder = std::string(trim_pid(text.value()));
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return make_error("spool is in use by another process" +
                            (holder.empty() ? std::string() : " (pid " + holder + ")") +
                            ": another sensor with sensor id '" + config.sensor_id +
                            "' and this collector.spool-dir is running",
                        dir);
    }
    return make_error(errno_text("cannot lock the spool", err), lock_path);
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  int err = 0;
  if (::ftruncate(fd, 0) != 0 || write_all(fd, pid, err) != pid.size()) {
    ::close(fd);
    return make_error("cannot write the spool lock file", lock_path);
  }
  std::unique_ptr<Spool> spool(new Spool(config, dir, fd));
  if (auto loaded = spool->load(warnings); !loaded) return loaded.error();
  return spool;
}

std::string_view Spool::trim_pid(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  return text.size() > 20 ? std::string_view() : text;
}

Result<void> Spool::load(std::vector<std::string>& warnings) {
  // meta: epoch and acknowledged position.
  bool have_meta = false;
  const std::string meta_path = dir_ + "/meta";
  if (fs::exists(meta_path)) {
    auto text = read_whole(meta_path);
    if (!text) return text.error();
    const auto b = bytes_of(text.value());
    if (b.size() == kMetaSize && std::memcmp(b.data(), kMetaMagic, 8) == 0 &&
        crc32c(b.first(24)) == load_u32(b.data() + 24) && load_u64(b.data() + 8) != 0 &&
        load_u64(b.data() + 16) <= kMaxSeq) {
      epoch_ = load_u64(b.data() + 8);
      acked_.store(load_u64(b.data() + 16));
      have_meta = true;
    } else {
      warnings.push_back(
          meta_path +
          ": damaged (bad size, magic or checksum); the epoch is taken from the segments");
    }
  }

  // Segments, oldest first (the zero-padded names sort by first seq).
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(kSegmentPrefix) && name.ends_with(kSegmentSuffix)) names.push_back(name);
    if (name.starts_with("meta.tmp")) fs::remove(entry.path());
  }
  std::sort(names.begin(), names.end());
  for (std::size_t i = 0; i < names.size(); ++i) {
    Segment seg;
    seg.path = dir_ + "/" + names[i];
    if (auto r = scan_segment(seg, i + 1 == names.size(), have_meta, warnings); !r) {
      return r.error();
    }
    if (seg.path.empty()) continue;  // removed
    if (!have_meta) {
      // No usable meta: continue the segments' epoch, everything in them unacknowledged.
      have_meta = true;
      acked_.store(seg.first_seq - 1);
    }
    segments_.push_back(std::move(seg));
  }
  if (epoch_ == 0) {
    while (epoch_ == 0) {
      if (::getrandom(&epoch_, sizeof epoch_, 0) != static_cast<ssize_t>(sizeof epoch_)) {
        return make_error(errno_text("getrandom", errno), dir_);
      }
    }
  }
  std::uint64_t last = acked_.load();
  for (const Segment& s : segments_) last = std::max(last, s.last_seq);
  next_seq_ = last + 1;
  last_seq_.store(last);
  for (const Segment& s : segments_) total_bytes_ += s.bytes;
  delete_acked_segments();
  // The last segment (when it has unacknowledged events) takes the next appends.
  if (!segments_.empty()) {
    write_fd_ = ::open(segments_.back().path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (write_fd_ < 0) return make_error(errno_text("cannot open", errno), segments_.back().path);
  }
  if (auto r = write_meta(); !r) return r.error();
  return {};
}

Result<void> Spool::scan_segment(Segment& seg, bool last, bool have_meta,
                                 std::vector<std::string>& warnings) {
  auto text = read_whole(seg.path);
  if (!text) return text.error();
  const auto b = bytes_of(text.value());
  auto header = parse_segment_header(b);
  const std::string name = fs::path(seg.path).filename().string();
  if (header && name != segment_name(header->first_seq)) {
    header = make_error("header names first seq " + std::to_string(header->first_seq));
  }
  if (!header || (have_meta && header->epoch != epoch_)) {
    // Nothing in it can be numbered or attributed: count it once and remove it.
    corrupt_.fetch_add(1);
    warnings.push_back(seg.path + ": " +
                       (header ? "belongs to another epoch" : header.error().message) +
                       "; segment removed");
    fs::remove(seg.path);
    seg.path.clear();
    return {};
  }
  if (epoch_ == 0) epoch_ = header->epoch;
  seg.first_seq = header->first_seq;
  std::size_t pos = kSegmentHeaderSize;
  std::uint64_t corrupt = 0;
  bool torn = false;
  while (pos < b.size()) {
    const RecordView r = parse_record(b.subspan(pos));
    if (r.status == RecordStatus::kOk && r.seq > seg.last_seq && r.seq >= seg.first_seq) {
      seg.last_seq = r.seq;
      ++seg.events;
      pos += r.size;
    } else if (r.status == RecordStatus::kOk || r.status == RecordStatus::kCorrupt) {
      ++corrupt;  // whole but damaged (or out of order): skip it
      pos += r.size;
    } else {
      ++corrupt;  // torn or nonsense length: the rest cannot be delimited
      torn = true;
      break;
    }
  }
  seg.bytes = b.size();
  if (torn && last) {
    if (::truncate(seg.path.c_str(), static_cast<off_t>(pos)) != 0) {
      return make_error(errno_text("cannot truncate the torn tail", errno), seg.path);
    }
    seg.bytes = pos;
  }
  seg.checked = seg.bytes;
  if (corrupt != 0) {
    corrupt_.fetch_add(corrupt);
    warnings.push_back(seg.path + ": " + std::to_string(corrupt) +
                       " corrupt or torn spool record(s) skipped" +
                       (torn && last ? "; torn tail cut off at byte " + std::to_string(pos) : ""));
  }
  return {};
}

Result<void> Spool::write_meta() {
  std::string m(kMetaMagic, sizeof kMetaMagic);
  put_u64(m, epoch_);
  put_u64(m, acked_.load());
  put_u32(m, crc32c(bytes_of(m)));
  const std::string tmp = dir_ + "/meta.tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return make_error(errno_text("cannot write", errno), tmp);
  int err = 0;
  write_all(fd, m, err);
  if (err == 0 && config_.sync && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && ::rename(tmp.c_str(), (dir_ + "/meta").c_str()) != 0) err = errno;
  if (err != 0) return make_error(errno_text("cannot write", err), dir_ + "/meta");
  return {};
}

Result<void> Spool::start_segment(std::uint64_t first_seq) {
  if (write_fd_ >= 0) ::close(write_fd_);
  write_fd_ = -1;
  Segment seg;
  seg.first_seq = first_seq;
  seg.path = dir_ + "/" + segment_name(first_seq);
  const int fd =
      ::open(seg.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return make_error(errno_text("cannot create", errno), seg.path);
  std::string h(kSegmentMagic, sizeof kSegmentMagic);
  put_u64(h, epoch_);
  put_u64(h, first_seq);
  int err = 0;
  if (write_all(fd, h, err) != h.size()) {
    ::close(fd);
    ::unlink(seg.path.c_str());
    return make_error(errno_text("cannot write", err), seg.path);
  }
  seg.bytes = seg.checked = h.size();
  total_bytes_ += seg.bytes;
  segments_.push_back(std::move(seg));
  write_fd_ = fd;
  return {};
}

std::uint64_t Spool::unacked_in(const Segment& seg) const {
  const std::uint64_t a = acked_.load();
  if (seg.events == 0 || seg.last_seq <= a) return 0;
  if (seg.first_seq > a) return seg.events;
  return std::min(seg.events, seg.last_seq - a);
}

void Spool::remove_front_segment() {
  ::unlink(segments_.front().path.c_str());
  total_bytes_ -= segments_.front().bytes;
  segments_.erase(segments_.begin());
  if (cursor_.segment == 0) {
    cursor_.placed = false;  // find next_seq again (or the oldest event after it)
  } else {
    --cursor_.segment;
  }
}

void Spool::drop_oldest_segment() {
  const std::uint64_t lost = unacked_in(segments_.front());
  if (lost != 0 && dropped_.fetch_add(lost) == 0) {
    std::fprintf(stderr,
                 "warning: collector spool %s is full (collector.spool-max-size %llu bytes): "
                 "dropped the %llu oldest unacknowledged events; stats.json counts all drops "
                 "(spool.dropped_events)\n",
                 dir_.c_str(), static_cast<unsigned long long>(config_.max_size),
                 static_cast<unsigned long long>(lost));
  }
  remove_front_segment();
}

void Spool::delete_acked_segments() {
  // The segment being written stays until a newer one replaces it.
  while (segments_.size() > 1 && unacked_in(segments_.front()) == 0) remove_front_segment();
  if (segments_.size() == 1 && write_fd_ < 0 && unacked_in(segments_.front()) == 0) {
    remove_front_segment();  // at open: a fully acknowledged last segment
  }
}

bool Spool::append(watchpost::v1::Event& event) {
  {
    std::lock_guard lock(mu_);
    const std::uint64_t seq = next_seq_;
    event.set_seq(seq);
    if (event.spooled_us() == 0) event.set_spooled_us(now_us());
    payload_.clear();
    if (!event.AppendToString(&payload_) || payload_.size() > wire::kMaxFrame) {
      write_errors_.fetch_add(1);
      if (first_error_.empty())
        first_error_ = "event seq " + std::to_string(seq) + " too large to spool";
      return false;
    }
    record_.clear();
    append_record(seq, payload_, record_);
    const std::uint64_t size = record_.size();
    bool fresh = write_fd_ < 0 ||
                 (segments_.back().events > 0 && segments_.back().bytes + size > segment_target_);
    if (fresh && write_fd_ >= 0) {
      ::close(write_fd_);
      write_fd_ = -1;
    }
    // Room: the oldest segments go, acknowledged or not (counted).
    for (;;) {
      const std::uint64_t need = size + (fresh ? kSegmentHeaderSize : 0);
      if (segments_.empty() || total_bytes_ + need <= config_.max_size) break;
      if (!fresh && segments_.size() == 1) {
        ::close(write_fd_);  // the one segment being written must go: start anew
        write_fd_ = -1;
        fresh = true;
      }
      drop_oldest_segment();
    }
    if (fresh) {
      if (auto r = start_segment(seq); !r) {
        write_errors_.fetch_add(1);
        if (first_error_.empty()) first_error_ = r.error().describe();
        return false;
      }
    }
    Segment& seg = segments_.back();
    int err = 0;
    if (write_all(write_fd_, record_, err) != record_.size()) {
      // Cut a partial record off, so the next append starts on a record boundary.
      if (::ftruncate(write_fd_, static_cast<off_t>(seg.bytes)) != 0) {
        ::close(write_fd_);
        write_fd_ = -1;  // a fresh segment next time
      }
      write_errors_.fetch_add(1);
      if (first_error_.empty()) first_error_ = errno_text("cannot write " + seg.path, err);
      return false;
    }
    seg.bytes += size;
    seg.checked = seg.bytes;
    seg.last_seq = seq;
    ++seg.events;
    total_bytes_ += size;
    next_seq_ = seq + 1;
    last_seq_.store(seq, std::memory_order_release);
    dirty_ = true;
    if (on_append_) on_append_();
  }
  return true;
}

void Spool::set_append_callback(std::function<void()> callback) {
  std::lock_guard lock(mu_);
  on_append_ = std::move(callback);
}

void Spool::flush() {
  std::lock_guard lock(mu_);
  if (config_.sync && dirty_ && write_fd_ >= 0) ::fsync(write_fd_);
  dirty_ = false;
}

void Spool::rewind(std::uint64_t seq) {
  std::lock_guard lock(mu_);
  cursor_ = Cursor{0, 0, std::max<std::uint64_t>(seq, 1), false};
}

std::uint64_t Spool::read(std::size_t max_events, std::size_t max_bytes,
                          std::vector<std::string>& payloads) {
  std::lock_guard lock(mu_);
  if (!cursor_.placed) {
    // The first segment that still holds cursor_.next_seq or a later event.
    std::size_t i = 0;
    while (i < segments_.size() &&
           (segments_[i].events == 0 || segments_[i].last_seq < cursor_.next_seq)) {
      ++i;
    }
    if (i == segments_.size()) return 0;
    cursor_.segment = i;
    cursor_.offset = kSegmentHeaderSize;
    cursor_.placed = true;
  }
  std::uint64_t first = 0;
  std::size_t bytes = 0;
  while (payloads.size() < max_events && cursor_.segment < segments_.size()) {
    Segment& seg = segments_[cursor_.segment];
    if (cursor_.offset >= seg.bytes) {
      if (cursor_.segment + 1 == segments_.size()) break;  // wait for more appends
      ++cursor_.segment;
      cursor_.offset = kSegmentHeaderSize;
      continue;
    }
    if (read_fd_ < 0 || read_path_ != seg.path) {
      if (read_fd_ >= 0) ::close(read_fd_);
      read_fd_ = ::open(seg.path.c_str(), O_RDONLY | O_CLOEXEC);
      read_path_ = seg.path;
      ahead_.clear();
      if (read_fd_ < 0) break;  // retried at the next read
    }
    const std::uint64_t at = cursor_.offset;
    // Bytes [off, off + len) of the segment (the callers keep them below seg.bytes, which
    // only grows: written bytes never change), from the read-ahead buffer or one pread of up
    // to kReadAhead; nullptr on a read error or a short file.
    const auto fetch = [&](std::uint64_t off, std::size_t len) -> const std::uint8_t* {
      if (off < ahead_offset_ || off - ahead_offset_ > ahead_.size() ||
          ahead_.size() - (off - ahead_offset_) < len) {
        const std::size_t want =
            std::max<std::uint64_t>(len, std::min<std::uint64_t>(kReadAhead, seg.bytes - off));
        ahead_.resize(want);
        if (!pread_all(read_fd_, off, ahead_)) {
          ahead_.clear();
          return nullptr;
        }
        ahead_offset_ = off;
      }
      return ahead_.data() + (off - ahead_offset_);
    };
    // A record that cannot be delimited ends what can be read of this segment.
    auto skip_rest = [&] {
      if (at >= seg.checked) corrupt_.fetch_add(1);
      seg.checked = std::max(seg.checked, seg.bytes);
      cursor_.offset = seg.bytes;
    };
    const std::uint8_t* head =
        seg.bytes - at < kRecordHeaderSize ? nullptr : fetch(at, kRecordHeaderSize);
    if (head == nullptr) {
      skip_rest();
      continue;
    }
    const std::uint32_t len = load_u32(head);
    if (len == 0 || len > wire::kMaxFrame || seg.bytes - at - kRecordHeaderSize < len) {
      skip_rest();
      continue;
    }
    const std::uint64_t seq = load_u64(head + 8);  // before fetch() may move the buffer
    const std::uint32_t crc = load_u32(head + 4);
    const std::uint8_t* body = fetch(at + kRecordHeaderSize, len);
    if (body == nullptr) {
      skip_rest();
      continue;
    }
    const std::span<const std::uint8_t> payload(body, len);
    const bool intact = seq != 0 && seq <= kMaxSeq && record_crc(seq, payload) == crc;
    if (!intact) {
      if (at >= seg.checked) corrupt_.fetch_add(1);
      cursor_.offset = at + kRecordHeaderSize + len;
      seg.checked = std::max(seg.checked, cursor_.offset);
      continue;
    }
    if (seq < cursor_.next_seq) {  // before the wanted position
      cursor_.offset = at + kRecordHeaderSize + len;
      continue;
    }
    if (first != 0 && (seq > cursor_.next_seq || bytes + len > max_bytes)) {
      break;  // a gap, or full: the next batch
    }
    if (first == 0) first = seq;
    bytes += len;
    payloads.emplace_back(reinterpret_cast<const char*>(body), len);
    cursor_.next_seq = seq + 1;
    cursor_.offset = at + kRecordHeaderSize + len;
  }
  return first;
}

void Spool::ack(std::uint64_t seq) {
  std::lock_guard lock(mu_);
  seq = std::min(seq, next_seq_ - 1);
  if (seq <= acked_.load()) return;
  acked_.store(seq, std::memory_order_release);
  if (auto r = write_meta(); !r) {
    write_errors_.fetch_add(1);
    if (first_error_.empty()) first_error_ = r.error().describe();
  }
  delete_acked_segments();
}

std::uint64_t Spool::backlog() const {
  std::lock_guard lock(mu_);
  std::uint64_t n = 0;
  for (const Segment& s : segments_) n += unacked_in(s);
  return n;
}

std::uint64_t Spool::size() const {
  std::lock_guard lock(mu_);
  return total_bytes_;
}

std::string Spool::first_error() const {
  std::lock_guard lock(mu_);
  return first_error_;
}

}  // namespace wp::output
