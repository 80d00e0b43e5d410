#include "common/file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace wp {

std::size_t write_all(int fd, std::string_view data, int& error) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      error = n < 0 ? errno : EIO;  // a write that makes no progress would loop forever
      break;
    }
  }
  return done;
}

Result<void> write_file(const std::string& path, std::string_view data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) return make_error(std::strerror(errno), path);
  int error = 0;
  write_all(fd, data, error);
  // close() can report a failed write-back (NFS, quotas) that write() did not.
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error != 0) return make_error(std::strerror(error), path);
  return {};
}

std::string unusable_dir_reason(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) return "not a directory";
  fs::create_directories(dir, ec);
  if (ec) return "cannot create it: " + ec.message();
  static std::atomic<unsigned> counter{0};
  const std::string probe =
      dir + "/.probe." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return std::string("cannot write to it: ") + std::strerror(errno);
  ::close(fd);
  ::unlink(probe.c_str());
  return {};
}

}  // namespace wp
