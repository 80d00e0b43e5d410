// watchpost-alerts: command line -> a read-only query of the collector's store.
#include <chrono>
#include <csignal>
#include <cstdio>

#include "query.h"
#include "schema.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int) { g_stop = 1; }

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  auto o = wp::alerts::parse_args(argc, argv, now_us);
  if (!o) {
    std::fprintf(stderr, "watchpost-alerts: %s\n(see watchpost-alerts --help)\n",
                 o.error().describe().c_str());
    return 2;
  }
  if (o->help) {
    std::fputs(wp::alerts::kUsage, stdout);
    return 0;
  }
  auto db = wp::store::Database::open(o->db, wp::store::Database::Mode::kReadOnly);
  if (!db) {
    std::fprintf(stderr, "watchpost-alerts: %s\n", db.error().describe().c_str());
    return 2;
  }
  if (auto r = wp::store::check_schema(*db); !r) {
    std::fprintf(stderr, "watchpost-alerts: %s\n", r.error().describe().c_str());
    return 2;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  if (auto r = wp::alerts::run(*db, *o, stdout, &g_stop); !r) {
    std::fprintf(stderr, "watchpost-alerts: %s\n", r.error().describe().c_str());
    return 1;
  }
  return 0;
}
