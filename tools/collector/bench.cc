// watchpost-collector-bench: how fast alerts get into the collector's store.
//
//   store --db FILE [--alerts N] [--batch N] [--drop-index NAME]...
//       the Store alone (no network, no threads): sample alerts through Store::add in
//       transactions of 10,000 events (as the store thread groups them); rows/s.
//   push --connect ADDR:PORT (--ca F --cert F --key F | --insecure-plaintext)
//        [--alerts N] [--batch N] [--window N] [--connections N]
//       N connections (one thread each, one epoch each) push sample alerts to a running
//       collector, up to --window batches unacknowledged (the sensor's max-in-flight);
//       alerts/s from the first frame to the last ack (acks come after the commit), and the
//       ack latency (frame written -> its ack read) p50/p99.
// Frames are built before the clock starts.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "client.h"
#include "common/text.h"
#include "options.h"
#include "sample.h"
#include "store.h"
#include "store_thread.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace wp::collector;

struct Args {
  std::string mode, db, connect, ca, cert, key;
  bool plaintext = false;
  std::uint64_t alerts = 200000;
  int batch = 1000;
  std::size_t window = 8;
  int connections = 1;
  std::vector<std::string> drop_index;
};

int usage() {
  std::fprintf(stderr,
               "usage: watchpost-collector-bench store --db FILE [--alerts N] [--batch N] "
               "[--drop-index NAME]...\n"
               "       watchpost-collector-bench push --connect ADDR:PORT (--ca F --cert F --key F "
               "| --insecure-plaintext) [--alerts N] [--batch N] [--window N] [--connections N]\n");
  return 2;
}

// CPU seconds (user + system) this process used so far: a steadier figure than wall time on
// a machine shared with other builds.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

int run_store(const Args& a) {
  auto store = wp::store::Store::open({a.db, false});
  if (!store) {
    std::fprintf(stderr, "%s\n", store.error().describe().c_str());
    return 1;
  }
  for (const std::string& index : a.drop_index) {
    if (auto r = (*store)->database().exec("DROP INDEX IF EXISTS " + index); !r) {
      std::fprintf(stderr, "%s\n", r.error().describe().c_str());
      return 1;
    }
  }
  std::vector<watchpost::v1::Batch> batches;
  std::size_t bytes = 0;
  for (std::uint64_t seq = 1; seq <= a.alerts; seq += a.batch) {
    const int n = static_cast<int>(std::min<std::uint64_t>(a.batch, a.alerts - seq + 1));
    batches.push_back(sample_batch("bench", "nha-trang", 1, seq, n));
    bytes += batches.back().ByteSizeLong();
  }
  const auto start = Clock::now();
  const double cpu_start = cpu_seconds();
  wp::store::BatchRows rows;
  std::uint64_t in_txn = 0;
  bool open = false;
  for (auto& b : batches) {
    if (!open) {
      if (auto r = (*store)->begin(); !r)
        return std::fprintf(stderr, "%s\n", r.error().describe().c_str()), 1;
      open = true;
    }
    wp::store::batch_rows("bench", b, rows);
    if (auto r = (*store)->add("bench", "bench", b, 0, rows); !r) {
      std::fprintf(stderr, "%s\n", r.error().describe().c_str());
      return 1;
    }
    in_txn += static_cast<std::uint64_t>(b.events_size());
    if (in_txn >= StoreThread::kGroupEvents) {
      if (auto r = (*store)->commit(); !r)
        return std::fprintf(stderr, "%s\n", r.error().describe().c_str()), 1;
      open = false;
      in_txn = 0;
    }
  }
  if (open) {
    if (auto r = (*store)->commit(); !r)
      return std::fprintf(stderr, "%s\n", r.error().describe().c_str()), 1;
  }
  const double s = seconds_since(start);
  const double cpu = cpu_seconds() - cpu_start;
  std::printf(
      "store: %llu alerts (%.0f bytes each on the wire) in %.2f s: %.0f alerts/s; %.2f CPU s: "
      "%.0f alerts per CPU second\n",
      static_cast<unsigned long long>(a.alerts), static_cast<double>(bytes) / a.alerts, s,
      a.alerts / s, cpu, a.alerts / cpu);
  return 0;
}

int run_push(const Args& a) {
  ClientOptions co;
  if (auto r = parse_listen(a.connect, co.host, co.port); !r) {
    std::fprintf(stderr, "%s\n", r.error().describe().c_str());
    return 2;
  }
  co.plaintext = a.plaintext;
  co.ca = a.ca;
  co.cert = a.cert;
  co.key = a.key;
  // The sensor id: the certificate's CN, read back from the file name convention of
  // make-certs.sh (DIR/ID.pem) or "bench" in plaintext.
  std::string sensor = "bench";
  if (!a.plaintext) {
    const auto slash = a.cert.rfind('/');
    sensor = a.cert.substr(slash == std::string::npos ? 0 : slash + 1);
    if (sensor.size() > 4 && sensor.ends_with(".pem")) sensor.resize(sensor.size() - 4);
  }
  const std::uint64_t epoch_base =
      static_cast<std::uint64_t>(Clock::now().time_since_epoch().count());
  const std::uint64_t per = a.alerts / static_cast<std::uint64_t>(a.connections);
  std::vector<std::vector<std::string>> frames(a.connections);
  std::size_t bytes = 0;
  for (int c = 0; c < a.connections; ++c) {
    frames[c].push_back(frame_of(sample_batch(sensor, "nha-trang", epoch_base + c, 0, 0)));
    for (std::uint64_t seq = 1; seq <= per; seq += a.batch) {
      const int n = static_cast<int>(std::min<std::uint64_t>(a.batch, per - seq + 1));
      frames[c].push_back(frame_of(sample_batch(sensor, "nha-trang", epoch_base + c, seq, n)));
      bytes += frames[c].back().size();
    }
  }
  std::vector<std::unique_ptr<SensorClient>> clients;
  for (int c = 0; c < a.connections; ++c) {
    auto client = SensorClient::connect(co);
    if (!client) {
      std::fprintf(stderr, "%s\n", client.error().describe().c_str());
      return 1;
    }
    clients.push_back(std::move(client).value());
  }
  std::vector<std::vector<double>> latencies(a.connections);
  std::vector<std::string> errors(a.connections);
  const auto start = Clock::now();
  const double cpu_start = cpu_seconds();
  std::vector<std::thread> threads;
  for (int c = 0; c < a.connections; ++c) {
    threads.emplace_back([&, c] {
      std::vector<Clock::time_point> sent(frames[c].size());
      auto r = clients[c]->pipeline(
          frames[c], a.window, [&](std::size_t i) { sent[i] = Clock::now(); },
          [&](std::size_t i, const watchpost::v1::Ack&) {
            latencies[c].push_back(
                std::chrono::duration<double, std::milli>(Clock::now() - sent[i]).count());
          },
          std::chrono::minutes(10));
      if (!r) errors[c] = r.error().describe();
    });
  }
  for (auto& t : threads) t.join();
  const double s = seconds_since(start);
  const double cpu = cpu_seconds() - cpu_start;
  for (const std::string& e : errors) {
    if (!e.empty()) {
      std::fprintf(stderr, "push: %s\n", e.c_str());
      return 1;
    }
  }
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  const auto pct = [&](double p) {
    return all.empty() ? 0.0 : all[static_cast<std::size_t>(p * (all.size() - 1))];
  };
  const std::uint64_t total = per * static_cast<std::uint64_t>(a.connections);
  std::printf(
      "push: %llu alerts (%.0f bytes each framed) in batches of %d, window %zu, %d "
      "connection(s)%s: "
      "%.2f s, %.0f alerts/s; ack latency p50 %.1f ms, p99 %.1f ms; this client used %.2f CPU "
      "s\n",
      static_cast<unsigned long long>(total), static_cast<double>(bytes) / total, a.batch, a.window,
      a.connections, a.plaintext ? " (plaintext)" : " (TLS)", s, total / s, pct(0.5), pct(0.99),
      cpu);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  Args a;
  a.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string f = argv[i];
    const auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    const auto number = [&]() -> std::uint64_t { return wp::parse_uint(value()).value_or(0); };
    if (f == "--db")
      a.db = value();
    else if (f == "--connect")
      a.connect = value();
    else if (f == "--ca")
      a.ca = value();
    else if (f == "--cert")
      a.cert = value();
    else if (f == "--key")
      a.key = value();
    else if (f == "--insecure-plaintext")
      a.plaintext = true;
    else if (f == "--alerts")
      a.alerts = number();
    else if (f == "--batch")
      a.batch = static_cast<int>(number());
    else if (f == "--window")
      a.window = number();
    else if (f == "--connections")
      a.connections = static_cast<int>(number());
    else if (f == "--drop-index")
      a.drop_index.push_back(value());
    else
      return usage();
  }
  if (a.alerts == 0 || a.batch <= 0 || a.window == 0 || a.connections <= 0) return usage();
  if (a.mode == "store" && !a.db.empty()) return run_store(a);
  if (a.mode == "push" && !a.connect.empty()) return run_push(a);
  return usage();
}
