// LineFile: an append-only file of whole lines (EVE, fast.log), or standard output for "-".
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace wp::output {

// An append-only file of lines, or standard output for "-". Lines collect in a 64 KiB buffer
// that is written with write(2) when full and by flush(), so the file grows by whole lines:
// when a write fails part-way (disk full, a file size limit), the part of a line that reached
// the file is truncated away, or, where that is impossible (a pipe, a device), the next write
// starts on a new line. A file that already ends in a partial line (an earlier crash) also
// gets a newline before the first new line. Write errors do not stop the caller: the lines
// that could not be written are counted and the first error is kept for the operator.
// Owned and used by one thread.
class LineFile {
 public:
  static Result<std::unique_ptr<LineFile>> open(const std::string& path);
  ~LineFile();  // close()s
  LineFile(const LineFile&) = delete;
  LineFile& operator=(const LineFile&) = delete;

  // Appends `line` and a newline. Writes the buffer first when the line does not fit in it.
  void write_line(std::string_view line);
  // Writes the buffered lines. False when a write failed (now or before).
  bool flush();
  // Writes the buffered lines, then opens the path again (logrotate moved the file away) and
  // closes the old file. When the path cannot be opened the old file stays in use (the error
  // says so). Standard output is not reopened.
  Result<void> reopen();
  // Flushes and closes the file (a failing close is a write error too). Later calls do nothing.
  bool close();

  const std::string& path() const { return path_; }
  std::uint64_t lines_written() const { return lines_written_; }
  // Lines that could not be written, and the failed write(2)/close(2) calls.
  std::uint64_t lines_not_written() const { return lines_not_written_; }
  std::uint64_t write_errors() const { return write_errors_; }
  // strerror() of the first failed write; empty when none failed.
  const std::string& first_error() const { return first_error_; }

 private:
  LineFile() = default;
  void write_buffer();
  void failed(int error, std::uint64_t lines_lost);

  int fd_ = -1;
  bool owned_ = false;
  bool regular_ = false;        // a regular file: a partial line can be truncated away
  int whence_ = SEEK_CUR;       // lseek() origin of the next write: SEEK_END with O_APPEND
  bool needs_newline_ = false;  // the file ends in a partial line
  std::string path_;
  std::string buf_;
  std::uint64_t buf_lines_ = 0;
  std::uint64_t lines_written_ = 0;
  std::uint64_t lines_not_written_ = 0;
  std::uint64_t write_errors_ = 0;
  std::string first_error_;
};

}  // namespace wp::output
