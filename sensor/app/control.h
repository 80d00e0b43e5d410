// ControlThread: the sensor's control plane on one thread running a Boost.Asio io_context:
//  - a tick every 50 ms calling ControlHooks::tick (signals, periodic stats, reload results);
//  - the control socket (unix-command.*): a local stream socket, one JSON command per line
//    ({"command":"reload-rules"}, "stats", "reopen-log-files", "ruleset-stats"), one JSON
//    answer per line, Suricata's shape: {"return":"OK","message":...} or
//    {"return":"NOK","message":"why"};
//  - the Prometheus endpoint (metrics.*): HTTP/1.1 GET /metrics with Boost.Beast.
// Sockets are bound by create() (before privileges are dropped); the handlers run on the
// control thread only, so the hooks need no locking among themselves. Nothing here is on the
// packet path.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace wp::app {

struct ControlHooks {
  std::function<void()> tick;
  // Starts a rule reload (or joins the one running); `done(ok, message)` runs on the control
  // thread when it finished.
  std::function<void(std::function<void(bool ok, std::string message)> done)> reload;
  std::function<std::string()> stats_json;          // a JSON object
  std::function<std::string()> ruleset_stats_json;  // a JSON object
  std::function<void()> reopen_log_files;
  std::function<std::string()> metrics_text;        // Prometheus text format
};

struct ControlOptions {
  bool socket = false;
  std::string socket_path;
  bool metrics = false;
  std::string metrics_listen;  // ADDRESS:PORT (port 0: any free port)
};

class ControlThread {
 public:
  // Binds the control socket (creating its directory; a stale socket file is replaced) and
  // the metrics listener. A socket that cannot be created is a warning (unix-command: auto
  // or yes alike, as ARCHITECTURE.md says); a metrics listener that cannot be bound is an
  // error.
  static Result<std::unique_ptr<ControlThread>> create(const ControlOptions& options,
                                                       ControlHooks hooks,
                                                       std::vector<std::string>& warnings);
  ~ControlThread();

  void start();
  // Stops the io_context and joins; removes the socket file.
  void stop();

  // "127.0.0.1:9477" as bound (the port chosen when 0 was asked); empty without metrics.
  std::string metrics_endpoint() const;
  // The control socket's path; empty without one.
  std::string socket_path() const;

  struct Impl;

 private:
  explicit ControlThread(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The command of one control-socket line ({"command":"stats"} -> "stats"); empty when the
// line has none.
std::string control_command(std::string_view line);

}  // namespace wp::app
