// <utility> first: Boost 1.74's awaitable.hpp uses std::exchange without including it.
#include "output/shipper.h"

#include <openssl/ssl.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <cerrno>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "common/thread.h"
#include "output/wire.h"

namespace wp::output {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

constexpr std::uint32_t kMaxAckFrame = 64 * 1024;            // an Ack is a few dozen bytes
constexpr std::size_t kMaxBatchBytes = wire::kMaxFrame / 2;  // event bytes in one batch

std::int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// One connection to the collector. Shared by the session (writer), reader and watchdog
// coroutines; whichever fails first closes it, which ends the others' operations.
struct Connection {
  Connection(asio::io_context& io, ssl::context& ctx)
      : stream(io, ctx), resolver(io), watchdog_timer(io) {}
  ssl::stream<tcp::socket> stream;
  tcp::resolver resolver;
  asio::steady_timer watchdog_timer;
  bool plaintext = false;
  bool closed = false;
  bool established = false;  // connected (and handshaken)
  std::string verify_error;  // why the collector's certificate was rejected
  Clock::time_point connect_deadline;
  std::deque<std::uint64_t> in_flight;  // last seq of each unacknowledged batch
  std::uint64_t acks = 0;               // acknowledgements received
  std::uint64_t unanswered = 0;         // frames sent (batches, heartbeats) not acked yet
  Clock::time_point waiting_since;      // oldest unanswered frame sent (or the last ack)
  std::uint64_t next_seq = 1;           // next event to send

  tcp::socket& socket() { return stream.next_layer(); }
  void close() {
    if (closed) return;
    closed = true;
    resolver.cancel();
    watchdog_timer.cancel();
    error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }
};

}  // namespace

Result<HostPort> parse_host_port(std::string_view text) {
  HostPort hp;
  std::string_view rest;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos)
      return make_error("'" + std::string(text) + "': missing ']'");
    hp.host = std::string(text.substr(1, close - 1));
    rest = text.substr(close + 1);
    if (!rest.starts_with(':'))
      return make_error("'" + std::string(text) + "': expected HOST:PORT");
    rest.remove_prefix(1);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return make_error("'" + std::string(text) + "': expected HOST:PORT");
    }
    hp.host = std::string(text.substr(0, colon));
    if (hp.host.find(':') != std::string::npos) {
      return make_error("'" + std::string(text) + "': write an IPv6 address as [ADDRESS]:PORT");
    }
    rest = text.substr(colon + 1);
  }
  if (hp.host.empty()) return make_error("'" + std::string(text) + "': the host is empty");
  unsigned port = 0;
  bool digits = !rest.empty() && rest.size() <= 5;
  for (char c : rest) {
    digits = digits && c >= '0' && c <= '9';
    if (digits) port = port * 10 + static_cast<unsigned>(c - '0');
  }
  if (!digits || port == 0 || port > 65535) {
    return make_error("'" + std::string(text) + "': the port must be 1 to 65535");
  }
  hp.port = std::string(rest);
  return hp;
}

class Shipper::Impl {
 public:
  Impl(Spool& spool, ShipperConfig config)
      : spool_(spool),
        config_(std::move(config)),
        ctx_(ssl::context::tls_client),
        wake_(io_),
        retry_(io_),
        rng_(std::random_device{}()) {}

  Result<void> load_tls() {
    if (config_.insecure_plaintext) return {};
    error_code ec;
    ctx_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                     ec);
    SSL_CTX_set_min_proto_version(ctx_.native_handle(), TLS1_2_VERSION);
    struct File {
      const char* key;
      const std::string& path;
    };
    for (const File& f : {File{"collector.ca-file", config_.ca_file},
                          File{"collector.cert-file", config_.cert_file},
                          File{"collector.key-file", config_.key_file}}) {
      if (f.path.empty()) {
        return make_error(std::string(f.key) +
                          " is required with a collector (or set "
                          "collector.insecure-plaintext: yes)");
      }
      // OpenSSL's own message for a missing file is only "asio.ssl error".
      if (::access(f.path.c_str(), R_OK) != 0) {
        return make_error(std::string(f.key) + ": cannot read it: " + std::strerror(errno), f.path);
      }
    }
    ctx_.load_verify_file(config_.ca_file, ec);
    if (ec) return make_error("collector.ca-file: " + ec.message(), config_.ca_file);
    ctx_.use_certificate_chain_file(config_.cert_file, ec);
    if (ec) return make_error("collector.cert-file: " + ec.message(), config_.cert_file);
    ctx_.use_private_key_file(config_.key_file, ssl::context::pem, ec);
    if (ec) {
      return make_error("collector.key-file: " + ec.message() + " (it must be the key of " +
                            config_.cert_file + ")",
                        config_.key_file);
    }
    ctx_.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    return {};
  }

  void start() {
    spool_.set_append_callback([this] { notify(); });
    work_.emplace(io_.get_executor());
    asio::co_spawn(io_, run(), [](std::exception_ptr) {});
    thread_ = start_thread([this] { io_.run(); });
  }

  void stop() {
    if (!thread_.joinable()) return;
    spool_.set_append_callback(nullptr);
    // Every coroutine ends once its connection is closed and the timers are cancelled; then
    // run() returns.
    asio::post(io_, [this] {
      stopping_ = true;
      if (conn_) conn_->close();
      wake_.cancel();
      retry_.cancel();
      work_.reset();
    });
    thread_.join();
  }

  // Output thread: new events are in the spool. At most one post outstanding.
  void notify() {
    if (!notify_posted_.exchange(true)) {
      asio::post(io_, [this] {
        notify_posted_.store(false);
        poke();
      });
    }
  }

  std::string last_error() const {
    std::lock_guard lock(error_mu_);
    return last_error_;
  }

  Spool& spool_;
  ShipperConfig config_;
  std::atomic<std::uint64_t> events_sent_{0}, events_acked_{0}, connects_{0}, connect_failures_{0},
      refused_{0};

 private:
  std::string where() const { return config_.address.host + ":" + config_.address.port; }

  void set_error(std::string text) {
    std::lock_guard lock(error_mu_);
    last_error_ = std::move(text);
  }

  // Ends a connection that failed, saying why (unless it was closed on purpose).
  void lost(Connection& c, const std::string& what) {
    if (!c.closed && !stopping_) {
      // TLS 1.3 reports a rejected client certificate only after the handshake: the
      // collector's first answer is then its alert, or the connection's end.
      set_error(c.acks == 0 ? "collector " + where() +
                                  " ended the connection before acknowledging anything: " + what +
                                  " (does it accept this sensor's certificate?)"
                            : "connection to " + where() + " lost: " + what);
    }
    c.close();
    poke();
  }

  // Wakes the writer (io thread only).
  void poke() {
    poked_ = true;
    wake_.cancel();
  }

  // Waits until poke() or `until` (io thread only).
  asio::awaitable<void> wait_for_wake(Clock::time_point until) {
    if (poked_) {
      poked_ = false;
      co_return;
    }
    wake_.expires_at(until);
    error_code ec;
    co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    poked_ = false;
  }

  std::chrono::milliseconds next_backoff() {
    std::uniform_real_distribution<double> jitter(0.75, 1.25);
    const auto d = std::chrono::milliseconds(
        static_cast<std::int64_t>(static_cast<double>(backoff_.count()) * jitter(rng_)));
    backoff_ = std::min(backoff_ * 2, config_.backoff_max);
    return d;
  }

  asio::awaitable<void> run() {
    backoff_ = config_.backoff_initial;
    while (!stopping_) {
      co_await session();
      if (stopping_) break;
      retry_.expires_after(next_backoff());
      error_code ec;
      co_await retry_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  // Writes all of `data` (a whole frame).
  asio::awaitable<error_code> write(Connection& c, const std::string& data) {
    error_code ec;
    if (c.plaintext) {
      co_await asio::async_write(c.socket(), asio::buffer(data),
                                 asio::redirect_error(asio::use_awaitable, ec));
    } else {
      co_await asio::async_write(c.stream, asio::buffer(data),
                                 asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return ec;
  }

  // Writes one Batch frame; the collector answers each with an Ack.
  asio::awaitable<error_code> send(Connection& c, const std::string& frame) {
    if (c.unanswered++ == 0) c.waiting_since = Clock::now();
    co_return co_await write(c, frame);
  }

  // Sends an empty Batch (the first frame, and heartbeats); empty, or why it failed.
  asio::awaitable<std::string> send_heartbeat(Connection& c) {
    std::string frame;
    if (auto r = batch_frame(0, {}, frame); !r) co_return r.error().message;
    if (auto ec = co_await send(c, frame); ec) co_return ec.message();
    co_return std::string();
  }

  asio::awaitable<error_code> read(Connection& c, asio::mutable_buffer buf) {
    error_code ec;
    if (c.plaintext) {
      co_await asio::async_read(c.socket(), buf, asio::redirect_error(asio::use_awaitable, ec));
    } else {
      co_await asio::async_read(c.stream, buf, asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return ec;
  }

  // The frame of a Batch: the header fields serialized by protobuf, then each spooled event
  // appended as field 5 (length-delimited), which is exactly how protobuf serializes
  // `repeated Event events = 5`; the events are not parsed again.
  Result<void> batch_frame(std::uint64_t first_seq, const std::vector<std::string>& events,
                           std::string& out) {
    watchpost::v1::Batch b;
    b.set_sensor_id(config_.sensor_id);
    b.set_site(config_.site);
    b.set_epoch(spool_.epoch());
    if (events.empty()) {
      auto* hb = b.mutable_heartbeat();
      hb->set_timestamp_us(wall_us());
      hb->set_spool_backlog(spool_.backlog());
      hb->set_spool_dropped(spool_.dropped_events());
      b.set_first_seq(spool_.acked() + 1);
    } else {
      b.set_first_seq(first_seq);
    }
    std::string body = b.SerializeAsString();
    for (const std::string& e : events) {
      body.push_back(static_cast<char>((5 << 3) | 2));
      put_varint(body, e.size());
      body += e;
    }
    if (body.size() > wire::kMaxFrame) return make_error("batch larger than a frame");
    out.clear();
    const auto h = wire::header(static_cast<std::uint32_t>(body.size()));
    out.append(reinterpret_cast<const char*>(h.data()), h.size());
    out += body;
    return {};
  }

  asio::awaitable<void> session() {
    auto c = std::make_shared<Connection>(io_, ctx_);
    conn_ = c;
    c->plaintext = config_.insecure_plaintext;
    c->connect_deadline = Clock::now() + config_.connect_timeout;
    asio::co_spawn(io_, watchdog(c), [](std::exception_ptr) {});

    error_code ec;
    auto endpoints = co_await c->resolver.async_resolve(
        config_.address.host, config_.address.port, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec && !c->closed) {
      co_await asio::async_connect(c->socket(), endpoints,
                                   asio::redirect_error(asio::use_awaitable, ec));
    }
    if (stopping_) co_return;
    if (ec || c->closed) {
      connect_failures_.fetch_add(1);
      set_error("cannot connect to " + where() + ": " +
                (c->closed && !stopping_ ? "timed out" : ec.message()));
      c->close();
      co_return;
    }
    if (!c->plaintext) {
      SSL* ssl = c->stream.native_handle();
      error_code addr_ec;
      asio::ip::make_address(config_.address.host, addr_ec);
      if (addr_ec) SSL_set_tlsext_host_name(ssl, config_.address.host.c_str());  // SNI: names only
      // IP addresses are matched against the certificate's IP SANs, names against its DNS
      // SANs (and CN): OpenSSL's X509_check_ip_asc / X509_check_host.
      c->stream.set_verify_callback([conn = c.get(), host = config_.address.host,
                                     check = ssl::host_name_verification(config_.address.host)](
                                        bool preverified, ssl::verify_context& vc) mutable {
        if (!preverified) {
          conn->verify_error =
              "the collector's certificate: " + std::string(X509_verify_cert_error_string(
                                                    X509_STORE_CTX_get_error(vc.native_handle())));
          return false;
        }
        if (check(preverified, vc)) return true;
        conn->verify_error = "the collector's certificate is not valid for " + host;
        return false;
      });
      co_await c->stream.async_handshake(ssl::stream_base::client,
                                         asio::redirect_error(asio::use_awaitable, ec));
      if (stopping_) co_return;
      if (ec || c->closed) {
        connect_failures_.fetch_add(1);
        set_error("TLS handshake with " + where() +
                  " failed: " + (c->closed && !stopping_ ? "timed out" : ec.message()) +
                  (c->verify_error.empty() ? "" : " (" + c->verify_error + ")"));
        c->close();
        co_return;
      }
    }
    c->established = true;
    connects_.fetch_add(1);
    c->next_seq = spool_.acked() + 1;
    spool_.rewind(c->next_seq);
    asio::co_spawn(io_, reader(c), [](std::exception_ptr) {});

    std::string frame;
    std::vector<std::string> events;
    auto fail = [&](const std::string& what) { lost(*c, what); };
    // First frame: an empty Batch (epoch, acknowledged position, backlog).
    if (auto why = co_await send_heartbeat(*c); !why.empty()) {
      fail(why);
      co_return;
    }
    auto next_heartbeat = Clock::now() + config_.heartbeat_interval;
    std::optional<Clock::time_point> pending_since;  // events waiting for a fuller batch
    while (!c->closed && !stopping_) {
      const auto now = Clock::now();
      if (c->in_flight.size() >= config_.max_in_flight) {
        co_await wait_for_wake(now + config_.heartbeat_interval);
        continue;
      }
      const std::uint64_t last = spool_.last_seq();
      if (c->next_seq > last) {
        pending_since.reset();
        if (now >= next_heartbeat) {
          if (auto why = co_await send_heartbeat(*c); !why.empty()) {
            fail(why);
            break;
          }
          next_heartbeat = Clock::now() + config_.heartbeat_interval;
          continue;
        }
        co_await wait_for_wake(next_heartbeat);
        continue;
      }
      if (last - c->next_seq + 1 < config_.batch_events) {
        if (!pending_since) pending_since = now;
        if (now < *pending_since + config_.batch_delay) {
          co_await wait_for_wake(*pending_since + config_.batch_delay);
          continue;
        }
      }
      pending_since.reset();
      events.clear();
      const std::uint64_t first = spool_.read(config_.batch_events, kMaxBatchBytes, events);
      if (first == 0) {
        c->next_seq = last + 1;  // nothing readable up to `last` (corrupt or dropped)
        continue;
      }
      if (auto r = batch_frame(first, events, frame); !r) {
        fail(r.error().message);
        break;
      }
      const std::uint64_t batch_last = first + events.size() - 1;
      c->in_flight.push_back(batch_last);
      c->next_seq = batch_last + 1;
      if (auto wec = co_await send(*c, frame); wec) {
        fail(wec.message());
        break;
      }
      events_sent_.fetch_add(events.size());
      next_heartbeat = Clock::now() + config_.heartbeat_interval;
    }
  }

  asio::awaitable<void> reader(std::shared_ptr<Connection> c) {
    std::array<std::uint8_t, wire::kHeaderSize> head{};
    std::string body;
    watchpost::v1::Ack ack;
    auto fail = [&](const std::string& what) { lost(*c, what); };
    while (!c->closed) {
      if (auto ec = co_await read(*c, asio::buffer(head)); ec) {
        fail(ec == asio::error::eof ? std::string("closed by the collector") : ec.message());
        co_return;
      }
      auto len = wire::frame_length(head, kMaxAckFrame);
      if (!len) {
        fail("bad frame from the collector: " + len.error().message);
        co_return;
      }
      body.resize(len.value());
      if (auto ec = co_await read(*c, asio::buffer(body)); ec) {
        fail(ec.message());
        co_return;
      }
      if (auto r = wire::parse_ack(
              {reinterpret_cast<const std::uint8_t*>(body.data()), body.size()}, ack);
          !r) {
        fail(r.error().message);
        co_return;
      }
      if (!ack.error().empty()) {
        refused_.fetch_add(1);
        set_error("collector refused this sensor: " + ack.error());
        c->close();
        poke();
        co_return;
      }
      if (ack.epoch() != spool_.epoch()) {
        fail("acknowledgement for epoch " + std::to_string(ack.epoch()) + ", expected " +
             std::to_string(spool_.epoch()));
        co_return;
      }
      if (c->closed) co_return;
      ++c->acks;
      const std::uint64_t before = spool_.acked();
      spool_.ack(ack.acked_seq());
      const std::uint64_t after = spool_.acked();
      if (after > before) events_acked_.fetch_add(after - before);
      while (!c->in_flight.empty() && c->in_flight.front() <= ack.acked_seq()) {
        c->in_flight.pop_front();
      }
      if (c->unanswered > 0) --c->unanswered;
      c->waiting_since = Clock::now();
      backoff_ = config_.backoff_initial;  // the collector takes our events: a clean slate
      poke();
    }
  }

  // Ends a connection that takes too long to open or leaves a frame (batch or heartbeat:
  // the collector answers each) unacknowledged for 3 heartbeat intervals (a silent
  // collector).
  asio::awaitable<void> watchdog(std::shared_ptr<Connection> c) {
    asio::steady_timer& t = c->watchdog_timer;
    const auto period = std::min<std::chrono::milliseconds>(
        std::chrono::milliseconds(250),
        config_.heartbeat_interval / 4 + std::chrono::milliseconds(1));
    while (!c->closed && !stopping_) {
      t.expires_after(period);
      error_code ec;
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      const auto now = Clock::now();
      if (!c->established) {
        if (now > c->connect_deadline) c->close();  // session() reports the timeout
      } else if (c->unanswered > 0 && now - c->waiting_since > 3 * config_.heartbeat_interval) {
        set_error("connection to " + where() + " lost: no acknowledgement for " +
                  std::to_string(3 * config_.heartbeat_interval.count()) + " ms; reconnecting");
        c->close();
        poke();
      }
    }
  }

  asio::io_context io_;
  ssl::context ctx_;
  asio::steady_timer wake_;
  asio::steady_timer retry_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::shared_ptr<Connection> conn_;
  bool stopping_ = false;  // io thread
  bool poked_ = false;     // io thread
  std::atomic<bool> notify_posted_{false};
  std::chrono::milliseconds backoff_{500};
  std::mt19937_64 rng_;
  mutable std::mutex error_mu_;
  std::string last_error_;
};

Shipper::Shipper(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Shipper::~Shipper() { stop(); }

Result<std::unique_ptr<Shipper>> Shipper::create(Spool& spool, ShipperConfig config) {
  auto impl = std::make_unique<Impl>(spool, std::move(config));
  if (auto r = impl->load_tls(); !r) return r.error();
  return std::unique_ptr<Shipper>(new Shipper(std::move(impl)));
}

void Shipper::start() { impl_->start(); }
void Shipper::stop() { impl_->stop(); }

bool Shipper::wait_acked(std::uint64_t seq, std::chrono::steady_clock::time_point deadline,
                         const std::function<bool()>& interrupted) {
  for (;;) {
    if (impl_->spool_.acked() >= seq) return true;
    if (Clock::now() >= deadline || (interrupted && interrupted())) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string Shipper::last_error() const { return impl_->last_error(); }
std::uint64_t Shipper::events_sent() const { return impl_->events_sent_.load(); }
std::uint64_t Shipper::events_acked() const { return impl_->events_acked_.load(); }
std::uint64_t Shipper::connects() const { return impl_->connects_.load(); }
std::uint64_t Shipper::connect_failures() const { return impl_->connect_failures_.load(); }
std::uint64_t Shipper::refused() const { return impl_->refused_.load(); }

}  // namespace wp::output
