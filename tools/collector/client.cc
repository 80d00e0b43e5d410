#include "client.h"

#include <array>

#include "output/wire.h"

namespace wp::collector {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;
using boost::system::error_code;
namespace wire = output::wire;

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

std::string frame_of(const watchpost::v1::Batch& batch) {
  std::string out;
  (void)wire::append_frame(batch, out);
  return out;
}

SensorClient::SensorClient() : tls_(ssl::context::tls_client), socket_(io_) {}

SensorClient::~SensorClient() { close(); }

void SensorClient::close() {
  error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

template <class F>
void SensorClient::with_stream(F&& f) {
  if (stream_) {
    f(*stream_);
  } else {
    f(socket_);
  }
}

bool SensorClient::run_until(const bool& done, std::chrono::milliseconds timeout) {
  io_.restart();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    if (io_.run_one_until(deadline) == 0 && io_.stopped()) io_.restart();
  }
  if (done) return true;
  close();  // completes the pending operations with operation_aborted
  io_.restart();
  io_.run();
  return false;
}

Result<std::unique_ptr<SensorClient>> SensorClient::connect(const ClientOptions& o) {
  std::unique_ptr<SensorClient> c(new SensorClient());
  error_code ec;
  const auto address = asio::ip::make_address(o.host, ec);
  if (ec) return make_error("bad collector address " + o.host);
  const std::string where = o.host + ":" + std::to_string(o.port);
  if (!o.plaintext) {
    c->tls_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    c->tls_.load_verify_file(o.ca, ec);
    if (ec) return make_error("CA: " + ec.message(), o.ca);
    c->tls_.use_certificate_chain_file(o.cert, ec);
    if (ec) return make_error("certificate: " + ec.message(), o.cert);
    c->tls_.use_private_key_file(o.key, ssl::context::pem, ec);
    if (ec) return make_error("key: " + ec.message(), o.key);
    c->tls_.set_verify_mode(ssl::verify_peer);
    c->stream_ = std::make_unique<ssl::stream<tcp::socket&>>(c->socket_, c->tls_);
    c->stream_->set_verify_callback(ssl::host_name_verification(o.host));
  }
  bool done = false;
  error_code result;
  c->socket_.async_connect(tcp::endpoint(address, o.port), [&](error_code e) {
    result = e;
    done = true;
  });
  if (!c->run_until(done, o.timeout)) return make_error("connect timed out", where);
  if (result) return make_error("connect failed: " + result.message(), where);
  c->socket_.set_option(tcp::no_delay(true), ec);
  if (c->stream_) {
    done = false;
    c->stream_->async_handshake(ssl::stream_base::client, [&](error_code e) {
      result = e;
      done = true;
    });
    if (!c->run_until(done, o.timeout)) return make_error("TLS handshake timed out", where);
    if (result) return make_error("TLS handshake failed: " + result.message(), where);
  }
  return c;
}

Result<void> SensorClient::send(const watchpost::v1::Batch& batch) {
  std::string frame;
  if (auto r = wire::append_frame(batch, frame); !r) return r;
  return send_bytes(frame);
}

Result<void> SensorClient::send_bytes(std::string_view bytes) {
  bool done = false;
  error_code result;
  with_stream([&](auto& s) {
    asio::async_write(s, asio::buffer(bytes.data(), bytes.size()), [&](error_code e, std::size_t) {
      result = e;
      done = true;
    });
  });
  if (!run_until(done, std::chrono::seconds(30))) return make_error("write timed out");
  if (result) return make_error("write failed: " + result.message());
  return {};
}

Result<watchpost::v1::Ack> SensorClient::read_ack(std::chrono::milliseconds timeout) {
  std::array<std::uint8_t, wire::kHeaderSize> head{};
  std::string body;
  bool done = false;
  error_code result;
  with_stream([&](auto& s) {
    asio::async_read(s, asio::buffer(head), [&](error_code e, std::size_t) {
      if (e) {
        result = e;
        done = true;
        return;
      }
      auto n = wire::frame_length(std::span<const std::uint8_t, wire::kHeaderSize>(head));
      if (!n) {
        result = asio::error::invalid_argument;
        done = true;
        return;
      }
      body.resize(*n);
      asio::async_read(s, asio::buffer(body), [&](error_code e2, std::size_t) {
        result = e2;
        done = true;
      });
    });
  });
  if (!run_until(done, timeout)) return make_error("no ack within the timeout");
  if (result) return make_error("reading an ack failed: " + result.message());
  watchpost::v1::Ack ack;
  if (auto r = wire::parse_ack(bytes_of(body), ack); !r) return r.error();
  return ack;
}

Result<void> SensorClient::pipeline(
    const std::vector<std::string>& frames, std::size_t window,
    const std::function<void(std::size_t)>& on_send,
    const std::function<void(std::size_t, const watchpost::v1::Ack&)>& on_ack,
    std::chrono::milliseconds timeout) {
  std::size_t sent = 0, acked = 0;
  bool writing = false, done = frames.empty();
  std::string error;
  std::array<std::uint8_t, wire::kHeaderSize> head{};
  std::string body;
  with_stream([&](auto& s) {
    std::function<void()> write_more, read_next;
    write_more = [&] {
      if (writing || done || sent == frames.size() || sent - acked >= window) return;
      writing = true;
      on_send(sent);
      asio::async_write(s, asio::buffer(frames[sent]), [&](error_code e, std::size_t) {
        writing = false;
        if (e) {
          error = "write failed: " + e.message();
          done = true;
          return;
        }
        ++sent;
        write_more();
      });
    };
    read_next = [&] {
      asio::async_read(s, asio::buffer(head), [&](error_code e, std::size_t) {
        if (done) return;
        auto n = e ? Result<std::uint32_t>(make_error(e.message()))
                   : wire::frame_length(std::span<const std::uint8_t, wire::kHeaderSize>(head));
        if (!n) {
          error = "reading an ack failed: " + n.error().message;
          done = true;
          return;
        }
        body.resize(*n);
        asio::async_read(s, asio::buffer(body), [&](error_code e2, std::size_t) {
          if (done) return;
          watchpost::v1::Ack ack;
          if (e2 || !wire::parse_ack(bytes_of(body), ack).ok()) {
            error = "reading an ack failed: " + (e2 ? e2.message() : std::string("bad ack"));
            done = true;
            return;
          }
          if (!ack.error().empty()) {
            error = "refused: " + ack.error();
            done = true;
            return;
          }
          on_ack(acked++, ack);
          if (acked == frames.size()) {
            done = true;
            return;
          }
          write_more();
          read_next();
        });
      });
    };
    write_more();
    read_next();
    if (!run_until(done, timeout) && error.empty()) error = "timed out";
  });
  if (!error.empty()) {
    close();  // a read may still be pending: complete it before its buffers go
    io_.restart();
    io_.run();
  }
  if (!error.empty()) return make_error(error);
  return {};
}

}  // namespace wp::collector
