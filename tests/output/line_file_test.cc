#include "output/line_file.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <string>

#include "support/temp_dir.h"

namespace wp::output {
namespace {

TEST(LineFile, WritesWholeLinesAndAppends) {
  testing::TempDir dir;
  const std::string path = dir.file("eve.json");
  for (const char* line : {"{\"a\":1}", "{\"b\":2}"}) {
    auto f = LineFile::open(path);
    ASSERT_TRUE(f.ok()) << f.error().describe();
    (*f)->write_line(line);
    EXPECT_TRUE((*f)->close());
    EXPECT_EQ((*f)->lines_written(), 1u);
  }
  EXPECT_EQ(testing::read_file(path), "{\"a\":1}\n{\"b\":2}\n");
}

TEST(LineFile, CountsTheLinesAFullDiskRefusedAndKeepsTheError) {
  auto f = LineFile::open("/dev/full");
  ASSERT_TRUE(f.ok()) << f.error().describe();
  for (int i = 0; i < 3; ++i) (*f)->write_line("{\"alert\":1}");
  EXPECT_FALSE((*f)->flush());
  EXPECT_EQ((*f)->lines_written(), 0u);
  EXPECT_EQ((*f)->lines_not_written(), 3u);
  EXPECT_EQ((*f)->write_errors(), 1u);
  EXPECT_EQ((*f)->first_error(), "No space left on device");
  EXPECT_EQ((*f)->path(), "/dev/full");
}

TEST(LineFile, StartsOnANewLineWhenTheFileEndsInAPartialLine) {
  testing::TempDir dir;
  const std::string path = dir.file("eve.json");
  std::ofstream(path) << "{\"a\":1}\n{\"cut short";
  auto f = LineFile::open(path);
  ASSERT_TRUE(f.ok());
  (*f)->write_line("{\"b\":2}");
  ASSERT_TRUE((*f)->close());
  EXPECT_EQ(testing::read_file(path), "{\"a\":1}\n{\"cut short\n{\"b\":2}\n");
}

// A file size limit (RLIMIT_FSIZE, which binds root too) makes write(2) stop part-way
// through the buffer, as a disk filling up does: the line cut there must not stay in the
// file with the next line glued to it.
TEST(LineFile, RemovesALineCutShortByAFailedWrite) {
  testing::TempDir dir;
  const std::string path = dir.file("eve.json");
  const std::string line(99, 'x');  // 100 bytes with its newline
  auto f = LineFile::open(path);
  ASSERT_TRUE(f.ok());
  for (int i = 0; i < 10; ++i) (*f)->write_line(line);

  struct sigaction ignore {
  }, old_action{};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(sigaction(SIGXFSZ, &ignore, &old_action), 0);
  rlimit old_limit{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  rlimit limit = old_limit;
  limit.rlim_cur = 550;  // room for 5.5 lines
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limit), 0);
  const bool flushed = (*f)->flush();
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old_limit), 0);
  sigaction(SIGXFSZ, &old_action, nullptr);

  EXPECT_FALSE(flushed);
  EXPECT_EQ((*f)->lines_written(), 5u);
  EXPECT_EQ((*f)->lines_not_written(), 5u);
  EXPECT_EQ((*f)->first_error(), "File too large");
  std::string expected;
  for (int i = 0; i < 5; ++i) expected += line + "\n";
  EXPECT_EQ(testing::read_file(path), expected);

  // Once there is room again, lines go on at a line boundary.
  (*f)->write_line("{\"next\":1}");
  EXPECT_FALSE((*f)->close());  // the earlier error still counts
  EXPECT_EQ((*f)->lines_written(), 6u);
  EXPECT_EQ(testing::read_file(path), expected + "{\"next\":1}\n");
}

}  // namespace
}  // namespace wp::output
