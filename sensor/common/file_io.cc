#include "common/file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

}  // namespace wp
