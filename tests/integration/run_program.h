// run_program: starts a real executable (the sensor, the traffic generator) for an
// integration test, waits for it and returns its exit status and output. Header-only; tests
// only. Blocking; call from the test's thread.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace wp::testing {

struct ProgramResult {
  int exit_code = -1;  // the exit status, or -1 when the program was killed by a signal
  std::string out;     // standard output
  std::string err;     // standard error
};

// Runs `argv[0]` with `argv`, standard input from /dev/null, standard output and error
// captured through files in `scratch_dir` (which must exist).
inline ProgramResult run_program(const std::vector<std::string>& argv,
                                 const std::string& scratch_dir) {
  const std::string out_path = scratch_dir + "/program.stdout";
  const std::string err_path = scratch_dir + "/program.stderr";
  ProgramResult result;
  const pid_t pid = fork();
  if (pid == 0) {
    const int in = open("/dev/null", O_RDONLY);
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
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
  if (pid < 0) return result;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return result;
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  auto slurp = [](const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
  };
  result.out = slurp(out_path);
  result.err = slurp(err_path);
  return result;
}

// The whole file as bytes; empty when it cannot be read.
inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace wp::testing
