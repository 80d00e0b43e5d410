// watchpost-alerts' command line and queries over the collector's store (read-only). One
// thread; everything is cold path. Output formats and ordering: tools/alerts/README.md.
#pragma once

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/ip_address.h"
#include "common/result.h"
#include "sqlite.h"

namespace wp::alerts {

extern const char* const kUsage;

enum class Format { kTable, kJson, kEve };
enum class CountBy { kNone, kSid, kSrc, kDst, kSite };

// An inclusive range of 16-byte address keys (store::address_key), from ADDR or ADDR/LEN.
struct AddressRange {
  IpAddress low;
  IpAddress high;
};

struct Filters {
  std::optional<std::int64_t> since_us;  // ts >= since
  std::optional<std::int64_t> until_us;  // ts < until
  std::optional<std::string> site;
  std::optional<std::string> sensor;
  std::optional<std::int64_t> sid;
  std::optional<std::string> classtype;
  std::optional<std::int64_t> severity;
  std::optional<AddressRange> src;
  std::optional<AddressRange> dst;
  std::optional<std::int64_t> port;  // source or destination port
};

struct Options {
  std::string db;
  Filters filters;
  Format format = Format::kTable;
  CountBy count_by = CountBy::kNone;
  bool follow = false;
  bool sensors = false;
  std::optional<std::int64_t> limit;  // nullopt: no limit
  bool help = false;
};

// Parses argv; `now_us` anchors relative times (--since 1h). Errors are usage errors (exit 2).
Result<Options> parse_args(int argc, char** argv, std::int64_t now_us);

// "90s", "15m", "1h", "2d", "1w" before `now_us`; or an ISO 8601 date or time,
// "2025-07-01", "2025-07-01T03:04:05[.ffffff][Z|+07:00|+0700]" (also with a space instead
// of T); without a zone it is local time (TZ). Microseconds since the Unix epoch.
Result<std::int64_t> parse_time(std::string_view text, std::int64_t now_us);

// "192.0.2.1", "10.0.0.0/8", "2001:db8::/32" (IPv4 within ::ffff:0:0/96).
Result<AddressRange> parse_cidr(std::string_view text);

// Runs the query `o` asks for on `db` and prints it to `out`. --follow keeps polling until
// `*stop` becomes true or `out` cannot be written. Errors are runtime errors (exit 1).
Result<void> run(store::Database& db, const Options& o, std::FILE* out,
                 const volatile std::sig_atomic_t* stop);

}  // namespace wp::alerts
