#include "output/eve_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <span>
#include <vector>

#include "common/file_io.h"
#include "output/alert_builder.h"
#include "output/json.h"

namespace wp::output {
namespace {

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

bool has_ports(std::uint32_t proto) { return proto == 6 || proto == 17 || proto == 132; }

void key(std::string& out, const char* name) {
  out.push_back('"');
  out += name;
  out += "\":";
}

}  // namespace

void render_eve_alert(const watchpost::v1::Alert& a, const EveOptions& opt, std::string& out) {
  const auto& sig = a.signature();
  out += "{\"timestamp\":\"";
  append_timestamp(out, a.timestamp_us());
  out += "\",\"flow_id\":";
  out += std::to_string(a.flow_id());
  if (a.pcap_cnt() != 0) {
    out += ",\"pcap_cnt\":";
    out += std::to_string(a.pcap_cnt());
  }
  out += ",\"event_type\":\"alert\"";
  if (!a.in_iface().empty()) {
    out += ",";
    key(out, "in_iface");
    append_json_string(out, a.in_iface());
  }
  if (a.vlan_size() > 0) {
    out += ",\"vlan\":[";
    for (int i = 0; i < a.vlan_size(); ++i) {
      if (i) out += ",";
      out += std::to_string(a.vlan(i));
    }
    out += "]";
  }
  out += ",";
  key(out, "src_ip");
  append_json_string(out, a.src_ip());
  if (has_ports(a.ip_proto())) {
    out += ",\"src_port\":" + std::to_string(a.src_port());
  }
  out += ",";
  key(out, "dest_ip");
  append_json_string(out, a.dest_ip());
  if (has_ports(a.ip_proto())) {
    out += ",\"dest_port\":" + std::to_string(a.dest_port());
  }
  out += ",\"proto\":";
  append_json_string(out, proto_name(a.ip_proto()));
  if (a.ip_proto() == 1 || a.ip_proto() == 58) {
    out += ",\"icmp_type\":" + std::to_string(a.icmp_type());
    out += ",\"icmp_code\":" + std::to_string(a.icmp_code());
  }
  if (a.direction() != watchpost::v1::DIRECTION_UNSPECIFIED) {
    out += a.direction() == watchpost::v1::TO_SERVER ? ",\"direction\":\"to_server\""
                                                     : ",\"direction\":\"to_client\"";
  }
  out += ",\"alert\":{\"action\":";
  append_json_string(out, sig.action());
  out += ",\"gid\":" + std::to_string(sig.gid());
  out += ",\"signature_id\":" + std::to_string(sig.signature_id());
  out += ",\"rev\":" + std::to_string(sig.rev());
  out += ",\"signature\":";
  append_json_string(out, sig.signature());
  out += ",\"category\":";
  append_json_string(out, sig.category());
  out += ",\"severity\":" + std::to_string(sig.severity());
  if (opt.metadata && sig.metadata_size() > 0) {
    std::vector<const std::string*> keys;
    for (const auto& [k, v] : sig.metadata()) keys.push_back(&k);
    std::sort(keys.begin(), keys.end(), [](auto* x, auto* y) { return *x < *y; });
    out += ",\"metadata\":{";
    bool first = true;
    for (const std::string* k : keys) {
      if (!first) out += ",";
      first = false;
      append_json_string(out, *k);
      out += ":[";
      const auto& values = sig.metadata().at(*k).values();
      for (int i = 0; i < values.size(); ++i) {
        if (i) out += ",";
        append_json_string(out, values[i]);
      }
      out += "]";
    }
    out += "}";
  }
  out += "}";
  if (opt.payload) {
    out += ",\"payload\":\"";
    append_base64(out, bytes_of(a.payload()));
    out += "\"";
  }
  if (opt.payload_printable) {
    out += ",\"payload_printable\":";
    append_printable(out, bytes_of(a.payload()));
  }
  if (opt.payload || opt.payload_printable) {
    out += a.stream() ? ",\"stream\":1" : ",\"stream\":0";
  }
  if (opt.packet && !a.packet().empty()) {
    out += ",\"packet\":\"";
    append_base64(out, bytes_of(a.packet()));
    out += "\",\"packet_info\":{\"linktype\":" + std::to_string(a.linktype()) + "}";
  }
  if (!a.sensor_id().empty()) {
    out += ",";
    key(out, "host");
    append_json_string(out, a.sensor_id());
  }
  out += ",\"watchpost\":{\"site\":";
  append_json_string(out, a.site());
  out += ",\"sensor_id\":";
  append_json_string(out, a.sensor_id());
  out += ",\"classtype\":";
  append_json_string(out, sig.classtype());
  out += "}}";
}

void render_fast_alert(const watchpost::v1::Alert& a, std::string& out) {
  // 07/01/2025-03:04:05.123456  [**] [1:2000001:1] msg [**] [Classification: x] [Priority: 1] {TCP} a:p -> b:q
  std::int64_t sec = a.timestamp_us() / 1000000;
  std::time_t t = static_cast<std::time_t>(sec);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%m/%d/%Y-%H:%M:%S", &tm);
  out += buf;
  std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(a.timestamp_us() % 1000000));
  out += buf;
  const auto& sig = a.signature();
  out += "  [**] [" + std::to_string(sig.gid()) + ":" + std::to_string(sig.signature_id()) + ":" +
         std::to_string(sig.rev()) + "] " + sig.signature() + " [**] [Classification: " +
         sig.category() + "] [Priority: " + std::to_string(sig.severity()) + "] {" +
         proto_name(a.ip_proto()) + "} ";
  const bool ports = has_ports(a.ip_proto());
  auto endpoint = [&](const std::string& ip, std::uint32_t port) {
    out += ip;
    if (ports) out += ":" + std::to_string(port);
  };
  endpoint(a.src_ip(), a.src_port());
  out += " -> ";
  endpoint(a.dest_ip(), a.dest_port());
}

namespace {

constexpr std::size_t kLineBuffer = 64 * 1024;

// The file's last byte is not a newline: a line was cut short before (a crash, a full disk).
// A file the sensor may write but not read is taken as complete.
bool ends_in_partial_line(const std::string& path, off_t size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char last = '\n';
  const bool partial = ::pread(fd, &last, 1, size - 1) == 1 && last != '\n';
  ::close(fd);
  return partial;
}

}  // namespace

Result<std::unique_ptr<LineFile>> LineFile::open(const std::string& path) {
  std::unique_ptr<LineFile> lf(new LineFile());
  lf->path_ = path;
  if (path == "-") {
    lf->fd_ = STDOUT_FILENO;
  } else {
    lf->fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (lf->fd_ < 0) {
      return make_error(std::string("cannot open for writing: ") + std::strerror(errno), path);
    }
    lf->owned_ = true;
  }
  struct stat st {};
  if (::fstat(lf->fd_, &st) == 0 && S_ISREG(st.st_mode)) {
    lf->regular_ = true;
    // Appending writes go to the end whatever the offset: that is where a buffer starts.
    if ((::fcntl(lf->fd_, F_GETFL) & O_APPEND) != 0) lf->whence_ = SEEK_END;
    lf->needs_newline_ = lf->owned_ && st.st_size > 0 && ends_in_partial_line(path, st.st_size);
  }
  lf->buf_.reserve(kLineBuffer);
  return lf;
}

LineFile::~LineFile() { close(); }

void LineFile::write_line(std::string_view line) {
  if (!buf_.empty() && buf_.size() + line.size() + 1 > kLineBuffer) write_buffer();
  buf_.append(line);
  buf_.push_back('\n');
  ++buf_lines_;
  if (buf_.size() >= kLineBuffer) write_buffer();
}

bool LineFile::flush() {
  write_buffer();
  return write_errors_ == 0;
}

bool LineFile::close() {
  if (fd_ < 0) return write_errors_ == 0;
  write_buffer();
  if (owned_ && ::close(fd_) != 0) failed(errno, 0);
  fd_ = -1;
  return write_errors_ == 0;
}

void LineFile::write_buffer() {
  if (buf_.empty() || fd_ < 0) return;
  int error = 0;
  if (needs_newline_) {
    if (write_all(fd_, "\n", error) != 1) {
      failed(error, buf_lines_);
      return;
    }
    needs_newline_ = false;
  }
  // Where the buffer starts in the file, to cut a partial line off again.
  const off_t start = regular_ ? ::lseek(fd_, 0, whence_) : -1;
  const std::size_t done = write_all(fd_, buf_, error);
  if (done == buf_.size()) {
    lines_written_ += buf_lines_;
    buf_.clear();
    buf_lines_ = 0;
    return;
  }
  const std::string_view written(buf_.data(), done);
  const std::size_t last_newline = written.rfind('\n');
  const std::size_t whole = last_newline == std::string_view::npos ? 0 : last_newline + 1;
  if (whole < done) {
    const off_t end = start + static_cast<off_t>(whole);
    if (start >= 0 && ::ftruncate(fd_, end) == 0) {
      ::lseek(fd_, end, SEEK_SET);  // without O_APPEND the next write would leave a hole
    } else {
      needs_newline_ = true;  // the partial line stays: end it before the next line
    }
  }
  const auto complete = static_cast<std::uint64_t>(
      std::count(written.begin(), written.begin() + static_cast<std::ptrdiff_t>(whole), '\n'));
  lines_written_ += complete;
  failed(error, buf_lines_ - complete);
}

void LineFile::failed(int error, std::uint64_t lines_lost) {
  ++write_errors_;
  lines_not_written_ += lines_lost;
  if (first_error_.empty()) first_error_ = std::strerror(error);
  buf_.clear();
  buf_lines_ = 0;
}

}  // namespace wp::output
