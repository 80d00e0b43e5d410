#include "server.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>
#include <deque>
#include <type_traits>
#include <vector>

#include "log.h"
#include "output/wire.h"

namespace wp::collector {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;
using boost::system::error_code;
namespace wire = output::wire;

using TlsStream = ssl::stream<tcp::socket>;
constexpr std::size_t kReadChunk = 1u << 20;   // a frame body grows as its bytes arrive
constexpr std::size_t kKeepBuffer = 4u << 20;  // a connection keeps a buffer up to this size

std::string endpoint_text(const tcp::endpoint& e) {
  const auto a = e.address();
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(e.port());
}

// The subject CN of the peer's (verified) certificate; empty when there is none.
std::string peer_common_name(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return {};
  std::string cn;
  X509_NAME* name = X509_get_subject_name(cert);
  const int at = name != nullptr ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
  if (at >= 0) {
    unsigned char* utf8 = nullptr;
    const int n =
        ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, at)));
    if (n > 0) cn.assign(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(n));
    OPENSSL_free(utf8);
  }
  X509_free(cert);
  return cn;
}

template <class Stream>
class Connection final : public ConnectionBase,
                         public std::enable_shared_from_this<Connection<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Connection(Server& server, Stream stream, std::string peer)
      : server_(server),
        stream_(std::move(stream)),
        peer_(std::move(peer)),
        read_timer_(server.io()),
        write_timer_(server.io()) {}

  void start() override {
    if constexpr (kTls) {
      arm(read_timer_, server_.options().handshake_timeout, "TLS handshake timed out");
      stream_.async_handshake(
          ssl::stream_base::server,
          [self = this->shared_from_this()](error_code ec) { self->on_handshake(ec); });
    } else {
      log_info("connection from " + peer_ + " (plaintext: the sensor id is taken as claimed)");
      read_header();
    }
  }

  void drain() override {
    draining_ = true;
    if (inflight_batches_ == 0 && out_.empty()) close();
  }

  void resume() override { maybe_read(); }

  void close() override {
    if (closed_) return;
    closed_ = true;
    error_code ec;
    read_timer_.cancel(ec);
    write_timer_.cancel(ec);
    stream_.lowest_layer().shutdown(tcp::socket::shutdown_both, ec);
    stream_.lowest_layer().close(ec);
    if (announced_) {
      server_.store().submit_connection(sensor_, peer_, false);
      log_info("sensor " + sensor_ + " (" + peer_ + ") disconnected after " +
               std::to_string(batches_) + " batches");
    }
    server_.remove(this);
  }

 private:
  // Arms `timer` to close the connection with `reason` after `d`, unless re-armed or
  // disarmed first (disarm() sets the expiry to the far future).
  void arm(asio::steady_timer& timer, std::chrono::milliseconds d, const char* reason) {
    timer.expires_after(d);
    timer.async_wait([self = this->shared_from_this(), &timer, reason](error_code ec) {
      if (ec || self->closed_ || timer.expiry() > asio::steady_timer::clock_type::now()) return;
      self->fail(reason);
    });
  }
  static void disarm(asio::steady_timer& timer) {
    timer.expires_at(asio::steady_timer::time_point::max());
  }

  void on_handshake(error_code ec) {
    if (closed_) return;
    disarm(read_timer_);
    if (ec) return fail("TLS handshake failed: " + ec.message());
    if constexpr (kTls) {
      sensor_ = peer_common_name(stream_.native_handle());
      if (sensor_.empty()) return fail("client certificate without a subject CN");
    }
    log_info("connection from " + peer_ + ": sensor " + sensor_ + " (TLS, certificate CN)");
    read_header();
  }

  void maybe_read() {
    if (closed_ || draining_ || refusing_ || reading_) return;
    if (inflight_batches_ >= server_.options().max_inflight_batches ||
        inflight_bytes_ >= server_.options().max_inflight_bytes) {
      return;  // on_stored() resumes
    }
    if (server_.over_budget()) {
      if (inflight_batches_ == 0) server_.wait_for_budget(this->shared_from_this());
      return;
    }
    read_header();
  }

  void read_header() {
    reading_ = true;
    arm(read_timer_, server_.options().idle_timeout, "no frame for the idle timeout; closed");
    asio::async_read(
        stream_, asio::buffer(head_),
        [self = this->shared_from_this()](error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(error_code ec) {
    reading_ = false;
    if (closed_) return;
    if (ec) return read_failed(ec, false);
    auto length = wire::frame_length(std::span<const std::uint8_t, wire::kHeaderSize>(head_));
    if (!length) return refuse("bad frame: " + length.error().message);
    want_ = *length;
    got_ = 0;
    reading_ = true;
    arm(read_timer_, server_.options().frame_timeout,
        "frame not complete within the frame timeout; closed");
    read_body();
  }

  void read_body() {
    const std::size_t n = std::min<std::size_t>(want_ - got_, kReadChunk);
    if (body_.size() < got_ + n) body_.resize(got_ + n);  // grows as bytes arrive
    asio::async_read(stream_, asio::buffer(body_.data() + got_, n),
                     [self = this->shared_from_this(), n](error_code ec, std::size_t) {
                       self->got_ += ec ? 0 : n;
                       self->on_body(ec);
                     });
  }

  void on_body(error_code ec) {
    if (closed_) return;
    if (ec) {
      reading_ = false;
      return read_failed(ec, true);
    }
    if (got_ < want_) return read_body();
    reading_ = false;
    disarm(read_timer_);
    on_frame();
  }

  void read_failed(error_code ec, bool mid_frame) {
    if (ec == asio::error::eof || ec == ssl::error::stream_truncated) {
      if (mid_frame) return fail("connection closed in the middle of a frame (truncated frame)");
      log_info(who() + " closed the connection");
      return close();
    }
    if (ec == asio::error::operation_aborted) return;
    fail("read failed: " + ec.message());
  }

  void on_frame() {
    if (draining_) return;  // stopping: not acknowledged, the sensor sends it again
    ParsedBatch parsed(got_);
    watchpost::v1::Batch* batch = parsed.batch;
    const std::span<const std::uint8_t> body(body_.data(), got_);
    if (auto r = wire::parse_batch(body, *batch); !r)
      return refuse("bad batch: " + r.error().message);
    if constexpr (!kTls) {
      if (sensor_.empty()) {
        if (batch->sensor_id().empty()) return refuse("batch without a sensor_id");
        sensor_ = batch->sensor_id();
        log_info("connection from " + peer_ + " claims sensor id " + sensor_ +
                 " (plaintext: not authenticated)");
      }
    }
    if (batch->sensor_id() != sensor_) {
      return refuse("sensor_id '" + batch->sensor_id() + "' does not match " +
                    (kTls ? "the certificate's CN '" : "this connection's sensor id '") + sensor_ +
                    "'");
    }
    if (!announced_) {
      announced_ = true;
      server_.store().submit_connection(sensor_, peer_, true);
    }
    const std::size_t bytes = got_;
    // The buffer is reused for the next frame (no allocation, no page faults per frame),
    // unless an unusually large frame grew it.
    if (body_.size() > kKeepBuffer) std::vector<std::uint8_t>().swap(body_);
    ++batches_;
    ++inflight_batches_;
    inflight_bytes_ += bytes;
    server_.add_queued(bytes);
    auto self = this->shared_from_this();
    asio::io_context& io = server_.io();
    server_.store().submit_batch(sensor_, peer_, std::move(parsed),
                                 [self, bytes, &io](const Outcome& o) {
                                   asio::post(io, [self, bytes, o] { self->on_stored(bytes, o); });
                                 });
    maybe_read();
  }

  void on_stored(std::size_t bytes, const Outcome& o) {
    --inflight_batches_;
    inflight_bytes_ -= bytes;
    server_.release_queued(bytes);
    if (closed_) return;
    if (!o.error.empty()) return refuse(o.error);
    watchpost::v1::Ack ack;
    ack.set_epoch(o.epoch);
    ack.set_acked_seq(o.acked_seq);
    send(ack);
    maybe_read();
  }

  // Ack{error: reason}, then close.
  void refuse(const std::string& reason) {
    log_warning("refused " + who() + ": " + reason);
    if (refusing_) return;
    refusing_ = true;
    watchpost::v1::Ack ack;
    ack.set_error(reason.substr(0, 4096));
    send(ack);
  }

  void fail(const std::string& reason) {
    log_warning(who() + ": " + reason);
    close();
  }

  void send(const watchpost::v1::Ack& ack) {
    std::string frame;
    if (auto r = wire::append_frame(ack, frame); !r) return fail(r.error().message);
    out_.push_back(std::move(frame));
    write_next();
  }

  void write_next() {
    if (writing_ || closed_) return;
    if (out_.empty()) {
      if (refusing_ || (draining_ && inflight_batches_ == 0)) close();
      return;
    }
    writing_ = true;
    arm(write_timer_, server_.options().write_timeout, "the peer does not read its acks; closed");
    asio::async_write(
        stream_, asio::buffer(out_.front()),
        [self = this->shared_from_this()](error_code ec, std::size_t) { self->on_written(ec); });
  }

  void on_written(error_code ec) {
    writing_ = false;
    if (closed_) return;
    disarm(write_timer_);
    if (ec) return fail("write failed: " + ec.message());
    out_.pop_front();
    write_next();
  }

  std::string who() const {
    return sensor_.empty() ? peer_ : "sensor " + sensor_ + " (" + peer_ + ")";
  }

  Server& server_;
  Stream stream_;
  std::string peer_;
  std::string sensor_;      // the certificate's CN (TLS) or the first claimed id (plaintext)
  bool announced_ = false;  // the store was told this sensor connected
  asio::steady_timer read_timer_;
  asio::steady_timer write_timer_;
  std::array<std::uint8_t, wire::kHeaderSize> head_{};
  std::uint32_t want_ = 0;
  std::vector<std::uint8_t> body_;  // the frame being read: body_[0, got_)
  std::size_t got_ = 0;
  std::deque<std::string> out_;  // Ack frames; front() is being written
  bool reading_ = false;
  bool writing_ = false;
  bool draining_ = false;
  bool refusing_ = false;
  bool closed_ = false;
  std::size_t inflight_batches_ = 0;
  std::size_t inflight_bytes_ = 0;
  std::uint64_t batches_ = 0;
};

}  // namespace

Server::Server(asio::io_context& io, const ServerOptions& options, StoreThread& store)
    : io_(io),
      options_(options),
      store_(store),
      tls_(ssl::context::tls_server),
      acceptor_(io),
      drain_timer_(io) {}

Server::~Server() {
  error_code ec;
  acceptor_.close(ec);
}

Result<std::unique_ptr<Server>> Server::create(asio::io_context& io, const ServerOptions& options,
                                               StoreThread& store) {
  std::unique_ptr<Server> s(new Server(io, options, store));
  if (options.plaintext) return s;
  error_code ec;
  s->tls_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                          ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                          ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                      ec);
  SSL_CTX_set_min_proto_version(s->tls_.native_handle(), TLS1_2_VERSION);
  const auto failed = [&](const char* what, const std::string& path) {
    return make_error(std::string(what) + ": " + ec.message(), path);
  };
  if (s->tls_.load_verify_file(options.ca, ec); ec) return failed("CA certificate", options.ca);
  if (s->tls_.use_certificate_chain_file(options.cert, ec); ec) {
    return failed("certificate", options.cert);
  }
  s->tls_.use_private_key_file(options.key, ssl::context::pem, ec);
  if (ec || SSL_CTX_check_private_key(s->tls_.native_handle()) != 1) {
    if (!ec || ec.message().find("mismatch") != std::string::npos) {
      return make_error("private key does not match the certificate " + options.cert, options.key);
    }
    return failed("private key", options.key);
  }
  s->tls_.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
  return s;
}

Result<void> Server::bind() {
  error_code ec;
  const auto address = asio::ip::make_address(options_.host, ec);
  if (ec) return make_error("bad listen address " + options_.host + ": " + ec.message());
  const tcp::endpoint ep(address, options_.port);
  const std::string where = endpoint_text(ep);
  if (acceptor_.open(ep.protocol(), ec); ec)
    return make_error("cannot open a socket: " + ec.message(), where);
  if (acceptor_.set_option(tcp::acceptor::reuse_address(true), ec); ec) {
    return make_error("cannot set SO_REUSEADDR: " + ec.message(), where);
  }
  if (acceptor_.bind(ep, ec); ec) return make_error("cannot bind: " + ec.message(), where);
  if (acceptor_.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return make_error("cannot listen: " + ec.message(), where);
  }
  return {};
}

tcp::endpoint Server::local_endpoint() const {
  error_code ec;
  return acceptor_.local_endpoint(ec);
}

void Server::start() { accept(); }

void Server::accept() {
  acceptor_.async_accept([this](error_code ec, tcp::socket socket) {
    if (stopping_ || ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of file descriptors and the like: wait a little instead of spinning.
      log_warning("accept failed: " + ec.message());
      drain_timer_.expires_after(std::chrono::milliseconds(100));
      drain_timer_.async_wait([this](error_code e) {
        if (!e && !stopping_) accept();
      });
      return;
    }
    error_code e;
    const auto remote = socket.remote_endpoint(e);
    const std::string peer = e ? "unknown peer" : endpoint_text(remote);
    if (connections_.size() >= options_.max_connections) {
      log_warning("refused " + peer + ": " + std::to_string(connections_.size()) +
                  " connections open, the limit");
      socket.close(e);
    } else {
      socket.set_option(tcp::no_delay(true), e);
      std::shared_ptr<ConnectionBase> c;
      if (options_.plaintext) {
        c = std::make_shared<Connection<tcp::socket>>(*this, std::move(socket), peer);
      } else {
        c = std::make_shared<Connection<TlsStream>>(*this, TlsStream(std::move(socket), tls_),
                                                    peer);
      }
      connections_.insert(c);
      c->start();
    }
    accept();
  });
}

void Server::remove(ConnectionBase* c) {
  for (auto it = connections_.begin(); it != connections_.end(); ++it) {
    if (it->get() == c) {
      connections_.erase(it);
      break;
    }
  }
  if (stopping_) check_drained();
}

void Server::release_queued(std::size_t n) {
  queued_bytes_ -= n;
  if (over_budget() || budget_waiters_.empty()) return;
  auto waiters = std::move(budget_waiters_);
  budget_waiters_.clear();
  for (auto& c : waiters) c->resume();
}

void Server::stop(std::function<void()> drained) {
  if (stopping_) {
    // A second signal: close what is left now.
    const auto left = connections_;
    for (const auto& c : left) c->close();
    return;
  }
  stopping_ = true;
  drained_ = std::move(drained);
  error_code ec;
  acceptor_.close(ec);
  budget_waiters_.clear();
  log_info("stopping: no new connections; acknowledging what was received (" +
           std::to_string(connections_.size()) + " connections)");
  drain_timer_.cancel(ec);
  drain_timer_.expires_after(options_.drain_timeout);
  drain_timer_.async_wait([this](error_code e) {
    if (e) return;
    const auto left = connections_;
    if (!left.empty()) {
      log_warning(std::to_string(left.size()) +
                  " connections still owed acks after the drain timeout; closed");
    }
    for (const auto& c : left) c->close();
  });
  const auto all = connections_;
  for (const auto& c : all) c->drain();
  check_drained();
}

void Server::check_drained() {
  if (!connections_.empty() || !drained_) return;
  error_code ec;
  drain_timer_.cancel(ec);
  auto drained = std::move(drained_);
  drained_ = nullptr;
  drained();
}

}  // namespace wp::collector
