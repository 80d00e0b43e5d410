#include "app/shutdown.h"

#include <gtest/gtest.h>
#include <signal.h>

namespace wp::app {
namespace {

void (*disposition(int sig))(int) {
  struct sigaction sa {};
  sigaction(sig, nullptr, &sa);
  return sa.sa_handler;
}

TEST(Shutdown, FirstSignalOnlyRequestsAStopAndRestoresTheDefaultAction) {
  install_stop_handlers();
  EXPECT_FALSE(stop_requested());
  EXPECT_EQ(stop_signal(), 0);
  ASSERT_NE(disposition(SIGTERM), SIG_DFL);
  ASSERT_NE(disposition(SIGINT), SIG_DFL);

  ASSERT_EQ(raise(SIGTERM), 0);  // the process goes on: the handler only records it
  EXPECT_TRUE(stop_requested());
  EXPECT_EQ(stop_signal(), SIGTERM);
  EXPECT_STREQ(stop_signal_name(), "SIGTERM");
  // A second SIGINT or SIGTERM would end the process at once.
  EXPECT_EQ(disposition(SIGTERM), SIG_DFL);
  EXPECT_EQ(disposition(SIGINT), SIG_DFL);
}

TEST(Shutdown, InstallingAgainClearsAnEarlierRequest) {
  install_stop_handlers();
  ASSERT_EQ(raise(SIGINT), 0);
  EXPECT_STREQ(stop_signal_name(), "SIGINT");
  install_stop_handlers();
  EXPECT_FALSE(stop_requested());
  EXPECT_STREQ(stop_signal_name(), "no signal");
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
}

// Without SA_RESTART a read blocked when the signal arrives returns, so a replay from a FIFO
// or pipe sees the request instead of waiting for more input.
TEST(Shutdown, HandlersDoNotRestartInterruptedCalls) {
  install_stop_handlers();
  struct sigaction sa {};
  sigaction(SIGTERM, nullptr, &sa);
  EXPECT_EQ(sa.sa_flags & SA_RESTART, 0);
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
}

}  // namespace
}  // namespace wp::app
