// Checked writes to files and file descriptors, for the cold path and the output sinks: every
// write's result is looked at and short writes are continued, so a full disk or a missing
// directory is an error the caller reports instead of a silently short file.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"

namespace wp {

// Writes all of `data` to `fd`, continuing after short writes and EINTR. Returns the number
// of bytes written: data.size() on success; fewer when a write failed, with its errno in
// `error` (left unchanged on success).
std::size_t write_all(int fd, std::string_view data, int& error);

// Replaces the contents of `path` with `data` (a new file gets mode 0666 minus the umask).
// Open, write and close are all checked; the error is strerror's text with `path` as its
// location ("stats/stats.json: Not a directory").
Result<void> write_file(const std::string& path, std::string_view data);

// Empty when `dir` exists (or could be created, with its parents) and a file can be created
// in it; else why not ("not a directory", "cannot create it: ...", "cannot write to it:
// ..."). A real write probe, not access(): root passes access() on a read-only file system.
std::string unusable_dir_reason(const std::string& dir);

}  // namespace wp
