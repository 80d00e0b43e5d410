// Threads that leave the process's signals to the main thread. The sensor's stop and reload
// signals (SIGINT, SIGTERM, SIGHUP, SIGUSR2) only set flags; what makes a stop prompt is that
// the main thread's blocking read (a FIFO or pipe given as -r input) returns EINTR. A signal is
// delivered to any thread that does not block it, so every other thread is started with them
// blocked (a thread inherits its creator's mask): the kernel then always picks the main
// thread. Use start_thread() instead of std::thread for every thread of the sensor.
#pragma once

#include <pthread.h>
#include <signal.h>

#include <thread>
#include <utility>

namespace wp {

template <typename Fn>
std::thread start_thread(Fn&& fn) {
  sigset_t blocked, previous;
  sigemptyset(&blocked);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGUSR2}) sigaddset(&blocked, sig);
  pthread_sigmask(SIG_BLOCK, &blocked, &previous);
  std::thread t(std::forward<Fn>(fn));
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return t;
}

}  // namespace wp
