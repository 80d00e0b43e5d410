#include "app/control.h"

#include <sys/stat.h>
#include <unistd.h>

// clang-format off
#include <utility>  // Boost 1.74's asio/awaitable.hpp needs std::exchange (see tools/collector/asio.h)
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
// clang-format on
#include <chrono>
#include <filesystem>
#include <optional>
#include <thread>

#include "common/text.h"
#include "common/thread.h"
#include "output/json.h"

namespace wp::app {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using error_code = boost::system::error_code;
using local = asio::local::stream_protocol;
using tcp = asio::ip::tcp;

constexpr auto kTick = std::chrono::milliseconds(50);
constexpr std::size_t kMaxCommandLine = 64 * 1024;

std::string answer(bool ok, const std::string& message_json) {
  return std::string("{\"return\":\"") + (ok ? "OK" : "NOK") + "\",\"message\":" + message_json +
         "}\n";
}

std::string json_text(const std::string& s) {
  std::string out;
  output::append_json_string(out, s);
  return out;
}

}  // namespace

std::string control_command(std::string_view line) {
  const std::size_t k = line.find("\"command\"");
  if (k == std::string_view::npos) return {};
  std::size_t i = k + 9;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  if (i >= line.size() || line[i] != ':') return {};
  ++i;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  if (i >= line.size() || line[i] != '"') return {};
  const std::size_t end = line.find('"', i + 1);
  if (end == std::string_view::npos) return {};
  return std::string(line.substr(i + 1, end - i - 1));
}

struct ControlThread::Impl {
  ControlOptions options;
  ControlHooks hooks;
  asio::io_context io;
  asio::steady_timer tick{io};
  std::unique_ptr<local::acceptor> socket_acceptor;
  std::unique_ptr<tcp::acceptor> metrics_acceptor;
  std::string socket_path;
  std::string metrics_endpoint;
  std::thread thread;

  void schedule_tick() {
    tick.expires_after(kTick);
    tick.async_wait([this](const error_code& ec) {
      if (ec) return;
      if (hooks.tick) hooks.tick();
      schedule_tick();
    });
  }

  // One control-socket client: lines in, answers out, in order.
  struct Session : std::enable_shared_from_this<Session> {
    Impl& impl;
    local::socket socket;
    asio::streambuf in{kMaxCommandLine};
    Session(Impl& i, local::socket s) : impl(i), socket(std::move(s)) {}

    void read() {
      asio::async_read_until(socket, in, '\n',
                             [self = shared_from_this()](const error_code& ec, std::size_t n) {
                               self->on_line(ec, n);
                             });
    }
    void on_line(const error_code& ec, std::size_t n) {
      if (ec) {
        if (ec == asio::error::not_found)
          send(answer(false, json_text("command line too long")), false);
        return;  // closed (or too long): the session ends with its last handler
      }
      std::string line(asio::buffers_begin(in.data()),
                       asio::buffers_begin(in.data()) + static_cast<std::ptrdiff_t>(n));
      in.consume(n);
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) return read();
      const std::string cmd = control_command(line);
      if (cmd == "reload-rules") {
        impl.hooks.reload([self = shared_from_this()](bool ok, std::string message) {
          self->send(answer(ok, json_text(message)), true);
        });
        return;
      }
      if (cmd == "stats") return send(answer(true, impl.hooks.stats_json()), true);
      if (cmd == "ruleset-stats") return send(answer(true, impl.hooks.ruleset_stats_json()), true);
      if (cmd == "reopen-log-files") {
        impl.hooks.reopen_log_files();
        return send(answer(true, json_text("done")), true);
      }
      if (cmd.empty() && line.find("\"version\"") != std::string::npos) {
        return send(answer(true, json_text("0.2")), true);  // Suricata's client handshake
      }
      if (cmd.empty())
        return send(answer(false, json_text("expected {\"command\":\"NAME\"}")), true);
      send(answer(false, json_text("unknown command '" + cmd +
                                   "' (reload-rules, stats, reopen-log-files, ruleset-stats)")),
           true);
    }
    void send(std::string text, bool then_read) {
      auto buf = std::make_shared<std::string>(std::move(text));
      asio::async_write(
          socket, asio::buffer(*buf),
          [self = shared_from_this(), buf, then_read](const error_code& ec, std::size_t) {
            if (!ec && then_read) self->read();
          });
    }
  };

  void accept_control() {
    socket_acceptor->async_accept([this](const error_code& ec, local::socket s) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) std::make_shared<Session>(*this, std::move(s))->read();
      accept_control();
    });
  }

  struct HttpSession : std::enable_shared_from_this<HttpSession> {
    Impl& impl;
    tcp::socket socket;
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    http::response<http::string_body> res;
    HttpSession(Impl& i, tcp::socket s) : impl(i), socket(std::move(s)) {}

    void read() {
      http::async_read(socket, buffer, req,
                       [self = shared_from_this()](const error_code& ec, std::size_t) {
                         if (!ec) self->respond();
                       });
    }
    void respond() {
      res.version(req.version());
      res.keep_alive(false);
      const std::string target(req.target());
      if (req.method() != http::verb::get && req.method() != http::verb::head) {
        res.result(http::status::method_not_allowed);
        res.set(http::field::content_type, "text/plain");
        res.body() = "GET /metrics\n";
      } else if (target == "/metrics" || target.rfind("/metrics?", 0) == 0) {
        res.result(http::status::ok);
        res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
        res.body() = impl.hooks.metrics_text();
      } else {
        res.result(http::status::not_found);
        res.set(http::field::content_type, "text/plain");
        res.body() = "not found: the metrics are at /metrics\n";
      }
      res.prepare_payload();
      http::async_write(socket, res, [self = shared_from_this()](const error_code&, std::size_t) {
        error_code ignored;
        self->socket.shutdown(tcp::socket::shutdown_both, ignored);
      });
    }
  };

  void accept_metrics() {
    metrics_acceptor->async_accept([this](const error_code& ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) std::make_shared<HttpSession>(*this, std::move(s))->read();
      accept_metrics();
    });
  }
};

ControlThread::ControlThread(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ControlThread::~ControlThread() { stop(); }

Result<std::unique_ptr<ControlThread>> ControlThread::create(const ControlOptions& options,
                                                             ControlHooks hooks,
                                                             std::vector<std::string>& warnings) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->hooks = std::move(hooks);
  if (options.socket) {
    const std::string& path = options.socket_path;
    error_code ec;
    std::error_code fs_ec;
    const std::filesystem::path dir = std::filesystem::path(path).parent_path();
    if (!dir.empty()) std::filesystem::create_directories(dir, fs_ec);
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path.c_str());  // stale
    auto acc = std::make_unique<local::acceptor>(impl->io);
    acc->open(local{}, ec);
    if (!ec) acc->bind(local::endpoint(path), ec);
    if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      warnings.push_back("unix-command.filename " + path + ": cannot create the control socket: " +
                         ec.message() + "; running without it");
    } else {
      ::chmod(path.c_str(), 0660);
      impl->socket_acceptor = std::move(acc);
      impl->socket_path = path;
    }
  }
  if (options.metrics) {
    // ADDRESS:PORT or [IPv6]:PORT; port 0 picks a free one (tests).
    const std::string& text = options.metrics_listen;
    const std::size_t colon = text.rfind(':');
    std::string host = colon == std::string::npos ? text : text.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
    const auto port =
        colon == std::string::npos ? std::nullopt : parse_uint(text.substr(colon + 1));
    if (!port || *port > 65535) {
      return make_error("metrics.listen '" + text + "': expected ADDRESS:PORT (port 0 to 65535)");
    }
    error_code ec;
    const auto addr = asio::ip::make_address(host, ec);
    if (ec) return make_error("metrics.listen '" + text + "': '" + host + "' is not an IP address");
    auto acc = std::make_unique<tcp::acceptor>(impl->io);
    const tcp::endpoint ep(addr, static_cast<unsigned short>(*port));
    acc->open(ep.protocol(), ec);
    if (!ec) acc->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acc->bind(ep, ec);
    if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      return make_error("metrics.listen " + options.metrics_listen +
                        ": cannot listen: " + ec.message());
    const tcp::endpoint bound = acc->local_endpoint(ec);
    impl->metrics_endpoint = bound.address().to_string() + ":" + std::to_string(bound.port());
    impl->metrics_acceptor = std::move(acc);
  }
  return std::unique_ptr<ControlThread>(new ControlThread(std::move(impl)));
}

void ControlThread::start() {
  Impl& i = *impl_;
  i.schedule_tick();
  if (i.socket_acceptor) i.accept_control();
  if (i.metrics_acceptor) i.accept_metrics();
  i.thread = start_thread([&i] { i.io.run(); });
}

void ControlThread::stop() {
  if (!impl_) return;
  Impl& i = *impl_;
  if (i.thread.joinable()) {
    i.io.stop();
    i.thread.join();
  }
  if (!i.socket_path.empty()) {
    ::unlink(i.socket_path.c_str());
    i.socket_path.clear();
  }
}

std::string ControlThread::metrics_endpoint() const { return impl_->metrics_endpoint; }
std::string ControlThread::socket_path() const { return impl_->socket_path; }

}  // namespace wp::app
