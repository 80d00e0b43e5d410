// Server: the collector's network side, on one io thread (the thread that runs the
// io_context). It accepts sensor connections (TLS with client certificates, or plain TCP
// with --insecure-plaintext), reads length-prefixed Batch frames with every size and every
// wait bounded, hands parsed batches to the StoreThread and writes each Ack once the store
// has committed the batch. A bad frame, a refused certificate or a sensor claiming another
// id closes only that connection, logged with the peer's address.
//
// Ownership: the Server owns the acceptor and the set of open connections; each connection
// is shared by its own pending handlers (and by store completions posted back to the
// io_context). No exception crosses a handler: every operation uses error_code overloads.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "asio.h"
#include "common/result.h"
#include "store_thread.h"

namespace wp::collector {

struct ServerOptions {
  std::string host;  // IP address to listen on
  std::uint16_t port = 0;
  bool plaintext = false;
  std::string ca, cert, key;  // PEM files (TLS)

  std::size_t max_connections = 1024;
  std::chrono::milliseconds handshake_timeout{30'000};  // TLS handshake
  std::chrono::milliseconds idle_timeout{120'000};  // no frame header (sensors heartbeat every 5 s)
  std::chrono::milliseconds frame_timeout{60'000};  // a frame's body after its header
  std::chrono::milliseconds write_timeout{60'000};  // an Ack the peer does not read
  std::chrono::milliseconds drain_timeout{10'000};  // at stop(), for acks still owed
  std::size_t max_inflight_batches = 32;            // per connection, awaiting the store
  std::size_t max_inflight_bytes = 64u << 20;       // per connection, frame bytes
  std::size_t max_queued_bytes = 256u << 20;        // all connections, frame bytes
};

class ConnectionBase;

class Server {
 public:
  // Loads the TLS material (errors: bad configuration) — see bind() for the socket.
  static Result<std::unique_ptr<Server>> create(boost::asio::io_context& io,
                                                const ServerOptions& options, StoreThread& store);
  ~Server();

  // Binds and listens (SO_REUSEADDR). Errors are runtime errors (address in use, no such
  // address on this host).
  Result<void> bind();
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  // Starts accepting.
  void start();
  // Stops accepting; every connection stops reading, waits for the acks of what it had
  // received (at most drain_timeout) and closes. `drained` runs on the io thread once no
  // connection is left.
  void stop(std::function<void()> drained);

  // Internal, for connections (io thread).
  const ServerOptions& options() const { return options_; }
  StoreThread& store() { return store_; }
  boost::asio::io_context& io() { return io_; }
  bool stopping() const { return stopping_; }
  void remove(ConnectionBase* c);
  bool over_budget() const { return queued_bytes_ >= options_.max_queued_bytes; }
  void add_queued(std::size_t n) { queued_bytes_ += n; }
  void release_queued(std::size_t n);
  void wait_for_budget(std::shared_ptr<ConnectionBase> c) {
    budget_waiters_.push_back(std::move(c));
  }

 private:
  Server(boost::asio::io_context& io, const ServerOptions& options, StoreThread& store);
  void accept();
  void check_drained();

  boost::asio::io_context& io_;
  ServerOptions options_;
  StoreThread& store_;
  boost::asio::ssl::context tls_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::set<std::shared_ptr<ConnectionBase>> connections_;
  std::vector<std::shared_ptr<ConnectionBase>> budget_waiters_;
  std::size_t queued_bytes_ = 0;
  bool stopping_ = false;
  std::function<void()> drained_;
  boost::asio::steady_timer drain_timer_;
};

// One sensor connection; the implementation is a template over the stream type (TLS or plain
// TCP) in server.cc.
class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  virtual void start() = 0;
  // Stop reading; close once every received batch is acknowledged.
  virtual void drain() = 0;
  // Close now.
  virtual void close() = 0;
  // Resume reading after the server's queued bytes fell under the budget.
  virtual void resume() = 0;
};

}  // namespace wp::collector
