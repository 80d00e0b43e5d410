// SensorClient: the sensor's side of the collector protocol in its simplest form — connect
// (TLS with a client certificate, or plain TCP), send Batch frames or raw bytes, read Acks —
// for the integration tests and the benchmark. It is not the sensor's shipper (no spool, no
// reconnects). One thread; every wait is bounded by a timeout. Errors are Result<T>.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "asio.h"
#include "common/result.h"
#include "watchpost/v1/event.pb.h"

namespace wp::collector {

struct ClientOptions {
  std::string host = "127.0.0.1";  // IP address of the collector (also checked in its cert)
  std::uint16_t port = 0;
  bool plaintext = false;
  std::string ca, cert, key;                  // PEM files (TLS)
  std::chrono::milliseconds timeout{10'000};  // connect + handshake
};

class SensorClient {
 public:
  static Result<std::unique_ptr<SensorClient>> connect(const ClientOptions& options);
  ~SensorClient();

  // Sends one Batch frame.
  Result<void> send(const watchpost::v1::Batch& batch);
  // Sends bytes as they are (tests: garbage, truncated frames, bad length prefixes).
  Result<void> send_bytes(std::string_view bytes);
  // Reads the next Ack; an error when none arrives within `timeout`, the connection ends or
  // the frame is not an Ack.
  Result<watchpost::v1::Ack> read_ack(std::chrono::milliseconds timeout);
  // Sends `frames` (each a complete frame) keeping at most `window` unacknowledged; calls
  // `on_send(i)` when frame i starts to be written and `on_ack(i, ack)` for its ack. Fails on
  // the first Ack with an error.
  Result<void> pipeline(const std::vector<std::string>& frames, std::size_t window,
                        const std::function<void(std::size_t)>& on_send,
                        const std::function<void(std::size_t, const watchpost::v1::Ack&)>& on_ack,
                        std::chrono::milliseconds timeout);
  void close();

 private:
  SensorClient();
  template <class F>
  void with_stream(F&& f);
  // Runs the io_context until `done` or `timeout`; on timeout closes the socket.
  bool run_until(const bool& done, std::chrono::milliseconds timeout);

  boost::asio::io_context io_;
  boost::asio::ssl::context tls_;
  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> stream_;  // TLS
};

// Frames `batch` (4-byte length + message) into a new string.
std::string frame_of(const watchpost::v1::Batch& batch);

}  // namespace wp::collector
