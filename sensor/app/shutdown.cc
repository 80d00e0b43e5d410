#include "app/shutdown.h"

#include <signal.h>

#include <atomic>

namespace wp::app {
namespace {

// Written by the handler, read by the run loop: a lock-free atomic is async-signal-safe.
std::atomic<int> g_stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

void set_action(int sig, void (*handler)(int)) {
  struct sigaction sa {};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: see shutdown.h
  sigaction(sig, &sa, nullptr);
}

extern "C" void on_stop_signal(int sig) {
  g_stop_signal.store(sig, std::memory_order_relaxed);
  // A second SIGINT or SIGTERM takes the default action: the process ends at once.
  set_action(SIGINT, SIG_DFL);
  set_action(SIGTERM, SIG_DFL);
}

std::atomic<unsigned> g_hangups{0};
std::atomic<unsigned> g_usr2{0};
static_assert(std::atomic<unsigned>::is_always_lock_free);

extern "C" void on_reload_signal(int sig) {
  (sig == SIGHUP ? g_hangups : g_usr2).fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

void install_reload_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_reload_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGHUP, &sa, nullptr);
  sigaction(SIGUSR2, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

unsigned take_hangups() { return g_hangups.exchange(0, std::memory_order_relaxed); }

unsigned take_reload_signals() { return g_usr2.exchange(0, std::memory_order_relaxed); }

void install_stop_handlers() {
  g_stop_signal.store(0, std::memory_order_relaxed);
  set_action(SIGINT, on_stop_signal);
  set_action(SIGTERM, on_stop_signal);
}

bool stop_requested() { return g_stop_signal.load(std::memory_order_relaxed) != 0; }

int stop_signal() { return g_stop_signal.load(std::memory_order_relaxed); }

const char* stop_signal_name() {
  switch (stop_signal()) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    default:
      return "no signal";
  }
}

}  // namespace wp::app
