// Shipper: sends the spool's unacknowledged events to the collector (docs/delivery.md,
// "Shipper"). Its own thread runs a Boost.Asio io_context: resolve, connect, TLS 1.2+ with a
// client certificate (the collector's certificate verified against the CA and the host name
// or IP address of collector.address), a first empty Batch, then batches of consecutive
// events read from the spool, at most max_in_flight unacknowledged; each Ack advances the
// spool's acknowledged position. Heartbeats while idle; a collector that leaves a batch
// unacknowledged for 3 heartbeat intervals is dropped; reconnects back off exponentially
// (0.5 s doubling to 30 s, ±25% jitter). Nothing here ever blocks the output thread: it only
// learns of new events through the spool's append callback (one post to the io_context).
// Exceptions never cross an Asio handler: every operation uses an error_code.
//
// Threads: start()/stop()/wait_acked() and the accessors from the pipeline's thread; all
// network work on the shipper's own thread. The Spool is the caller's and must outlive the
// Shipper.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "output/spool.h"

namespace wp::output {

struct HostPort {
  std::string host;  // a DNS name or an IP address (IPv6 without its brackets)
  std::string port;
};

// "HOST:PORT", "[IPv6]:PORT"; the error says what is missing.
Result<HostPort> parse_host_port(std::string_view text);

struct ShipperConfig {
  HostPort address;
  std::string ca_file, cert_file, key_file;  // PEM; unused with insecure_plaintext
  bool insecure_plaintext = false;
  std::string sensor_id, site;
  std::size_t batch_events = 1000;
  std::chrono::milliseconds batch_delay{50};
  std::size_t max_in_flight = 8;
  std::chrono::milliseconds heartbeat_interval{5000};
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{30000};
  std::chrono::milliseconds connect_timeout{10000};  // connect and TLS handshake
};

class Shipper {
 public:
  // Loads the CA, certificate and key (an error names the key and the file). Does not
  // connect: start() does.
  static Result<std::unique_ptr<Shipper>> create(Spool& spool, ShipperConfig config);
  ~Shipper();  // stop()
  Shipper(const Shipper&) = delete;
  Shipper& operator=(const Shipper&) = delete;

  // Starts the thread; it connects at once and keeps reconnecting until stop().
  void start();
  // Closes the connection and ends the thread; unacknowledged events stay spooled.
  void stop();

  // Waits until the spool's acknowledged seq reaches `seq`, `deadline` passes or
  // `interrupted()` returns true (polled every 20 ms). true when acknowledged.
  bool wait_acked(std::uint64_t seq, std::chrono::steady_clock::time_point deadline,
                  const std::function<bool()>& interrupted);

  // Why the last connection failed or ended, for the operator ("cannot connect to
  // 127.0.0.1:9000: Connection refused", "collector refused this sensor: ..."); empty while
  // nothing failed.
  std::string last_error() const;

  // Counters (collector.events_sent, ...): read from any thread.
  std::uint64_t events_sent() const;
  std::uint64_t events_acked() const;
  std::uint64_t connects() const;
  std::uint64_t connect_failures() const;
  std::uint64_t refused() const;

 private:
  class Impl;
  explicit Shipper(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace wp::output
