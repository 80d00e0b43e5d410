// The collector's log: one line per event on standard error, "2026-12-05T10:00:00.123Z
// watchpost-collector: warning: ...". Any thread (each line is one write to stderr).
#pragma once

#include <string_view>

namespace wp::collector {

void log_info(std::string_view message);
void log_warning(std::string_view message);
void log_error(std::string_view message);

}  // namespace wp::collector
