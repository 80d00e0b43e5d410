// CollectorProcess: a real watchpost-collector started for an integration test in a
// temporary directory, on 127.0.0.1 port 0, with certificates from tools/pki/make-certs.sh.
// Header-only; tests only; blocking, from the test's thread.
#pragma once

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "client.h"
#include "integration/run_program.h"
#include "support/temp_dir.h"

namespace wp::testing {

// Runs tools/pki/make-certs.sh DIR with `args` (--san, --sensor); true when it succeeded.
inline bool make_certs(const std::string& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/bin/bash",
                                   std::string(WP_SOURCE_DIR) + "/tools/pki/make-certs.sh", dir};
  argv.insert(argv.end(), args.begin(), args.end());
  std::filesystem::create_directories(dir + "/.run");
  return run_program(argv, dir + "/.run").exit_code == 0;
}

inline std::string collector_binary() {
  return std::string(WP_BINARY_DIR) + "/tools/collector/watchpost-collector";
}

class CollectorProcess {
 public:
  // `dir` holds the database, EVE file and output; `certs` the make-certs.sh directory
  // (empty: --insecure-plaintext). `port` 0 picks one.
  CollectorProcess(std::string dir, std::string certs, int port = 0,
                   std::vector<std::string> extra = {})
      : dir_(std::move(dir)), certs_(std::move(certs)) {
    std::filesystem::create_directories(dir_ + "/run");
    // A restart in the same directory must not read the last run's address.
    std::filesystem::remove(dir_ + "/run/program.stdout");
    std::vector<std::string> argv = {collector_binary(),
                                     "--listen",
                                     "127.0.0.1:" + std::to_string(port),
                                     "--db",
                                     db(),
                                     "--eve",
                                     eve()};
    if (certs_.empty()) {
      argv.push_back("--insecure-plaintext");
    } else {
      argv.insert(argv.end(), {"--ca", certs_ + "/ca.pem", "--cert", certs_ + "/collector.pem",
                               "--key", certs_ + "/collector.key"});
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    process_ = start_program(argv, dir_ + "/run");
    // The first stdout line names the bound port.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string out = read_file(process_.out_path);
      const auto nl = out.find('\n');
      if (nl != std::string::npos) {
        first_line_ = out.substr(0, nl);
        const auto colon = first_line_.rfind(':');
        port_ = std::stoi(first_line_.substr(colon + 1));
        return;
      }
      int status = 0;
      if (waitpid(process_.pid, &status, WNOHANG) == process_.pid) {
        waited_ = true;
        early_.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        early_.out = read_file(process_.out_path);
        early_.err = read_file(process_.err_path);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~CollectorProcess() {
    if (!waited_ && process_.pid > 0) {
      kill(process_.pid, SIGKILL);
      wait_program(process_);
    }
  }

  bool started() const { return port_ > 0; }
  int port() const { return port_; }
  const std::string& first_line() const { return first_line_; }
  std::string db() const { return dir_ + "/alerts.sqlite"; }
  std::string eve() const { return dir_ + "/eve.json"; }
  std::string err() const { return read_file(process_.err_path); }
  void signal(int sig) { kill(process_.pid, sig); }
  // Sends `sig` (unless 0) and waits for the exit.
  ProgramResult stop(int sig = SIGTERM) {
    if (waited_) return early_;  // it had exited before printing its address
    if (sig != 0) kill(process_.pid, sig);
    waited_ = true;
    return wait_program(process_);
  }

  // Client options for sensor `id` (its make-certs.sh certificate, or plaintext).
  collector::ClientOptions client(const std::string& id) const {
    collector::ClientOptions o;
    o.port = static_cast<std::uint16_t>(port_);
    o.plaintext = certs_.empty();
    if (!o.plaintext) {
      o.ca = certs_ + "/ca.pem";
      o.cert = certs_ + "/" + id + ".pem";
      o.key = certs_ + "/" + id + ".key";
    }
    return o;
  }

 private:
  std::string dir_;
  std::string certs_;
  RunningProgram process_;
  std::string first_line_;
  int port_ = 0;
  bool waited_ = false;
  ProgramResult early_;
};

}  // namespace wp::testing
