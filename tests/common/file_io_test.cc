#include "common/file_io.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "support/temp_dir.h"

namespace wp {
namespace {

TEST(WriteFile, ReplacesTheContents) {
  testing::TempDir dir;
  const std::string path = dir.file("stats.json");
  std::ofstream(path) << "an older and longer content\n";
  ASSERT_TRUE(write_file(path, "{}\n").ok());
  EXPECT_EQ(testing::read_file(path), "{}\n");
}

struct WriteFailure {
  const char* path;  // "DIR/" is replaced by the test's directory
  const char* message;
};

class WriteFileErrors : public ::testing::TestWithParam<WriteFailure> {};

// Paths that fail for root too: a full device, a directory under a regular file.
TEST_P(WriteFileErrors, NameThePathAndTheReason) {
  testing::TempDir dir;
  std::ofstream(dir.file("file")) << "x";
  std::string path = GetParam().path;
  if (path.starts_with("DIR/")) path = dir.file(path.substr(4));
  auto r = write_file(path, "{\"packets\":1}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().describe(), path + ": " + GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(WriteFile, WriteFileErrors,
                         ::testing::Values(WriteFailure{"/dev/full", "No space left on device"},
                                           WriteFailure{"DIR/file/stats.json", "Not a directory"},
                                           WriteFailure{"DIR/missing/stats.json",
                                                        "No such file or directory"},
                                           WriteFailure{"DIR/", "Is a directory"}));

TEST(WriteAll, ReportsHowMuchWasWrittenAndWhyItStopped) {
  const int fd = ::open("/dev/full", O_WRONLY);
  ASSERT_GE(fd, 0);
  int error = 0;
  EXPECT_EQ(write_all(fd, "abc", error), 0u);
  EXPECT_EQ(error, ENOSPC);
  ::close(fd);

  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  error = 0;
  EXPECT_EQ(write_all(pipe_fds[1], "abc", error), 3u);
  EXPECT_EQ(error, 0);
  char buf[4] = {};
  EXPECT_EQ(::read(pipe_fds[0], buf, sizeof buf), 3);
  EXPECT_STREQ(buf, "abc");
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
}

}  // namespace
}  // namespace wp
