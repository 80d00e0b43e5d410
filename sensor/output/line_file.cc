#include "output/line_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/file_io.h"

namespace wp::output {

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

Result<void> LineFile::reopen() {
  if (!owned_ || fd_ < 0) return {};
  write_buffer();
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (fd < 0) {
    return make_error(std::string("cannot reopen for writing: ") + std::strerror(errno) +
                          "; still writing to the file opened before",
                      path_);
  }
  if (::close(fd_) != 0) failed(errno, 0);
  fd_ = fd;
  struct stat st {};
  regular_ = ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode);
  whence_ = SEEK_END;
  needs_newline_ = regular_ && st.st_size > 0 && ends_in_partial_line(path_, st.st_size);
  return {};
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
