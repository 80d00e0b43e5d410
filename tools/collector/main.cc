// watchpost-collector: command line -> store thread + server on the io thread (this one).
#include <google/protobuf/stubs/logging.h>
#include <malloc.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <utility>

#include "asio.h"
#include "log.h"
#include "options.h"
#include "output/line_file.h"
#include "server.h"
#include "store.h"
#include "store_thread.h"

namespace {

using namespace wp::collector;

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "watchpost-collector: %s\n(see watchpost-collector --help)\n", msg.c_str());
  return 2;
}

int runtime_error(const std::string& msg) {
  std::fprintf(stderr, "watchpost-collector: %s\n", msg.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = parse_options(argc, argv);
  if (!parsed) return usage_error(parsed.error().describe());
  const Options& o = *parsed;
  if (o.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::signal(SIGPIPE, SIG_IGN);
  // Batches are parsed into arenas of a few MiB allocated on the io thread and freed on the
  // store thread: keep that memory in the heap (no mmap/munmap and trimming, so no page
  // faults, per batch). Bounded by what may be in flight (ServerOptions::max_queued_bytes).
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  // protobuf reports why a message did not parse (invalid UTF-8 in a string field) on its own
  // logger: give those lines the log's timestamp and prefix.
  google::protobuf::SetLogHandler(
      [](google::protobuf::LogLevel, const char*, int, const std::string& message) {
        log_warning("protobuf: " + message);
      });

  ServerOptions so;
  so.host = o.listen_host;
  so.port = o.listen_port;
  so.plaintext = o.plaintext;
  so.ca = o.ca;
  so.cert = o.cert;
  so.key = o.key;

  asio::io_context io(1);
  asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);

  // Configuration first (exit 2, nothing created), then what can fail at run time (exit 1).
  auto server = Server::create(io, so);
  if (!server) return usage_error(server.error().describe());
  if (auto r = (*server)->bind(); !r) return runtime_error(r.error().describe());
  auto store = wp::store::Store::open({o.db, o.sync_full});
  if (!store) return runtime_error(store.error().describe());
  std::unique_ptr<wp::output::LineFile> eve;
  if (!o.eve.empty()) {
    auto f = wp::output::LineFile::open(o.eve);
    if (!f) return runtime_error("cannot open the EVE file: " + f.error().describe());
    eve = std::move(f).value();
  }
  // Declared after the server: destroyed (joined) before it.
  StoreThread store_thread(std::move(store).value(), std::move(eve));
  store_thread.start();
  const auto ep = (*server)->local_endpoint();
  const std::string address =
      ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string();
  std::printf("listening on %s:%u\n", address.c_str(), static_cast<unsigned>(ep.port()));
  std::fflush(stdout);
  log_info("listening on " + address + ":" + std::to_string(ep.port()) + ", store " + o.db +
           (o.sync_full ? " (synchronous=FULL)" : " (synchronous=NORMAL)") +
           (o.eve.empty() ? "" : ", EVE file " + o.eve) +
           (o.plaintext ? "; INSECURE PLAINTEXT: no TLS, sensor ids are not authenticated"
                        : ", TLS with client certificates"));

  auto work = asio::make_work_guard(io);
  Server& srv = **server;
  bool stopped = false;
  std::function<void(const boost::system::error_code&, int)> on_signal;
  on_signal = [&](const boost::system::error_code& ec, int sig) {
    if (ec || stopped) return;
    if (sig == SIGHUP) {
      log_info("SIGHUP: reopening the EVE file");
      store_thread.reopen_eve();
    } else {
      log_info(std::string(sig == SIGTERM ? "SIGTERM" : "SIGINT") + ": stopping");
      srv.stop([&] {
        store_thread.stop();
        const StoreTotals& t = store_thread.totals();
        log_info("stopped: " + std::to_string(t.alerts) + " alerts, " + std::to_string(t.stats) +
                 " stats and " + std::to_string(t.records) + " flow and anomaly records stored, " + std::to_string(t.duplicates) + " duplicates skipped, in " +
                 std::to_string(t.transactions) + " transactions (" +
                 std::to_string(t.failed_transactions) + " failed)");
        stopped = true;
        boost::system::error_code e;
        signals.cancel(e);
        work.reset();
      });
    }
    if (!stopped) signals.async_wait(on_signal);  // a second SIGTERM closes what is left
  };
  signals.async_wait(on_signal);
  srv.start(store_thread);
  io.run();
  return 0;
}
