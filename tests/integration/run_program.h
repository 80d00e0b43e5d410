// run_program: starts a real executable (the sensor, the traffic generator) for an
// integration test, waits for it and returns its exit status and output; start_program and
// wait_program apart when the test acts on the running process (signals, FIFO input).
// Header-only; tests only. Blocking; call from the test's thread.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.h"

namespace wp::testing {

struct ProgramResult {
  int exit_code = -1;      // the exit status, or -1 when the program was killed by a signal
  int signal = 0;          // the signal that ended the program, 0 when it exited
  bool timed_out = false;  // killed (SIGKILL) when the timeout passed
  std::string out;         // standard output
  std::string err;         // standard error
};

// A program started by start_program() and not waited for yet.
struct RunningProgram {
  pid_t pid = -1;
  std::string out_path;
  std::string err_path;
};

// Starts `argv[0]` with `argv`, standard input from /dev/null, standard output and error
// going to files in `scratch_dir` (which must exist). pid is -1 when fork failed.
inline RunningProgram start_program(const std::vector<std::string>& argv,
                                    const std::string& scratch_dir) {
  RunningProgram p{-1, scratch_dir + "/program.stdout", scratch_dir + "/program.stderr"};
  p.pid = fork();
  if (p.pid == 0) {
    const int in = open("/dev/null", O_RDONLY);
    const int out = open(p.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(p.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0) _exit(127);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return p;
}

// Waits for a program from start_program() and returns its exit status and output. With a
// `timeout`, a program still running when it passes is killed (`timed_out`).
inline ProgramResult wait_program(const RunningProgram& p, std::chrono::milliseconds timeout = {}) {
  ProgramResult result;
  if (p.pid < 0) return result;
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const pid_t done = waitpid(p.pid, &status, timeout.count() > 0 ? WNOHANG : 0);
    if (done == p.pid) break;
    if (done < 0 && errno != EINTR) return result;
    if (done == 0 && std::chrono::steady_clock::now() >= deadline) {
      kill(p.pid, SIGKILL);
      result.timed_out = true;
      timeout = {};  // then wait for it to go
    } else if (done == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  result.out = read_file(p.out_path);
  result.err = read_file(p.err_path);
  return result;
}

// Runs `argv[0]` with `argv` to its end (start_program, then wait_program).
inline ProgramResult run_program(const std::vector<std::string>& argv,
                                 const std::string& scratch_dir,
                                 std::chrono::milliseconds timeout = {}) {
  return wait_program(start_program(argv, scratch_dir), timeout);
}

}  // namespace wp::testing
