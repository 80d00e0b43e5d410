#include "log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

namespace wp::collector {
namespace {

void log_line(const char* level, std::string_view message) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string line = stamp;
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>(ms.count()));
  line += frac;
  line += " watchpost-collector: ";
  line += level;
  line += message;
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace

void log_info(std::string_view message) { log_line("", message); }
void log_warning(std::string_view message) { log_line("warning: ", message); }
void log_error(std::string_view message) { log_line("error: ", message); }

}  // namespace wp::collector
