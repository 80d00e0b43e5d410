#include "query.h"

#include <getopt.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <limits>
#include <thread>
#include <variant>
#include <vector>

#include "common/command_line.h"
#include "common/text.h"
#include "output/eve.h"
#include "output/json.h"
#include "rows.h"
#include "schema.h"
#include "watchpost/v1/event.pb.h"

namespace wp::alerts {

const char* const kUsage =
    "usage: watchpost-alerts --db FILE [filters] [--format table|json|eve]\n"
    "                        [--count-by sid|src|dst|site] [--follow] [--limit N]\n"
    "       watchpost-alerts --db FILE --sensors [--format table|json]\n"
    "\n"
    "Prints the alerts stored by watchpost-collector (read-only; never blocks the collector).\n"
    "The newest alerts that match are printed, oldest first (as tail does).\n"
    "\n"
    "filters (all must hold):\n"
    "  --since T         alerts at or after T: 90s, 15m, 1h, 2d, 1w ago, or ISO 8601\n"
    "                    (2025-07-01, 2025-07-01T03:04:05, ...Z, ...+07:00; no zone: local)\n"
    "  --until T         alerts before T\n"
    "  --site S          site label        --sensor ID      sensor id (certificate CN)\n"
    "  --sid N           rule sid          --classtype C    rule classtype (short name)\n"
    "  --severity N      1 (high) .. 4     --port N         source or destination port\n"
    "  --src ADDR|CIDR   source address or network (10.0.0.0/8, 2001:db8::/32)\n"
    "  --dst ADDR|CIDR   destination address or network\n"
    "\n"
    "output:\n"
    "  --format table    aligned columns for a terminal (default): time (local), site,\n"
    "                    sensor, sid, severity, src:port -> dst:port, proto, msg\n"
    "  --format json     JSON Lines: one flat object per alert (tools/alerts/README.md)\n"
    "  --format eve      the stored alerts as EVE JSON lines (host, watchpost.site)\n"
    "  --count-by K      counts per sid, src, dst or site, largest first; with --format json\n"
    "                    one {\"K\": value, \"count\": N} per line\n"
    "  --limit N         at most N alerts (or groups): default 100 for the table, no limit\n"
    "                    for json and eve\n"
    "  --follow          then keep printing alerts as they are stored (Ctrl-C ends)\n"
    "  --sensors         per-sensor health: connected, last seen, events/s, last sequence,\n"
    "                    events stored, spool backlog reported by the sensor\n"
    "\n"
    "exit status: 0 success; 1 runtime error (the database cannot be read); 2 bad usage (no\n"
    "such database, not a watchpost store, bad time expression, bad CIDR, ...).\n";

namespace {

using store::Database;
using store::Statement;

// ---- time expressions ----

std::optional<std::int64_t> parse_digits(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::optional<std::int64_t> parse_iso(std::string_view s) {
  // YYYY-MM-DD[(T| )HH:MM[:SS[.f{1,9}]]][Z|(+|-)HH[:]MM]
  std::tm tm{};
  auto num = [&](std::size_t at, std::size_t n) { return parse_digits(s.substr(at, n)); };
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  const auto y = num(0, 4), mo = num(5, 2), d = num(8, 2);
  if (!y || !mo || !d || *mo < 1 || *mo > 12 || *d < 1 || *d > 31) return std::nullopt;
  tm.tm_year = static_cast<int>(*y - 1900);
  tm.tm_mon = static_cast<int>(*mo - 1);
  tm.tm_mday = static_cast<int>(*d);
  std::size_t at = 10;
  std::int64_t frac_us = 0;
  if (at < s.size() && (s[at] == 'T' || s[at] == ' ')) {
    if (s.size() < at + 6 || s[at + 3] != ':') return std::nullopt;
    const auto h = num(at + 1, 2), mi = num(at + 4, 2);
    if (!h || !mi || *h > 23 || *mi > 59) return std::nullopt;
    tm.tm_hour = static_cast<int>(*h);
    tm.tm_min = static_cast<int>(*mi);
    at += 6;
    if (at < s.size() && s[at] == ':') {
      const auto sec = num(at + 1, 2);
      if (!sec || *sec > 60) return std::nullopt;
      tm.tm_sec = static_cast<int>(*sec);
      at += 3;
      if (at < s.size() && s[at] == '.') {
        std::size_t end = at + 1;
        while (end < s.size() && s[end] >= '0' && s[end] <= '9') ++end;
        const std::string_view digits = s.substr(at + 1, end - at - 1);
        if (digits.empty() || digits.size() > 9) return std::nullopt;
        std::string six(digits.substr(0, std::min<std::size_t>(6, digits.size())));
        six.resize(6, '0');
        frac_us = *parse_digits(six);
        at = end;
      }
    }
  }
  std::optional<std::int64_t> offset_s;  // east of UTC
  if (at < s.size()) {
    if (s[at] == 'Z' && at + 1 == s.size()) {
      offset_s = 0;
    } else if (s[at] == '+' || s[at] == '-') {
      std::string_view z = s.substr(at + 1);
      std::optional<std::int64_t> h, m;
      if (z.size() == 5 && z[2] == ':') {
        h = parse_digits(z.substr(0, 2));
        m = parse_digits(z.substr(3, 2));
      } else if (z.size() == 4) {
        h = parse_digits(z.substr(0, 2));
        m = parse_digits(z.substr(2, 2));
      } else if (z.size() == 2) {
        h = parse_digits(z);
        m = 0;
      }
      if (!h || !m || *h > 23 || *m > 59) return std::nullopt;
      offset_s = (*h * 3600 + *m * 60) * (s[at] == '-' ? -1 : 1);
    } else {
      return std::nullopt;
    }
  }
  std::int64_t secs;
  if (offset_s) {
    secs = static_cast<std::int64_t>(timegm(&tm)) - *offset_s;
  } else {
    tm.tm_isdst = -1;
    secs = static_cast<std::int64_t>(mktime(&tm));
  }
  return secs * 1000000 + frac_us;
}

// ---- output helpers ----

std::string address_text(std::span<const std::uint8_t> key) {
  if (key.size() != 16) return "";
  IpAddress a;
  std::copy(key.begin(), key.end(), a.bytes.begin());
  return a.to_string();
}

std::string local_time(std::int64_t us) {
  const std::time_t t = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  char ms[8];
  std::snprintf(ms, sizeof ms, ".%03d", static_cast<int>(us % 1000000 / 1000));
  return std::string(buf) + ms;
}

std::string endpoint(const std::string& ip, std::uint32_t port, bool ports) {
  const std::string host = ip.find(':') != std::string::npos ? "[" + ip + "]" : ip;
  return ports ? host + ":" + std::to_string(port) : host;
}

bool has_ports(std::uint32_t proto) { return proto == 6 || proto == 17 || proto == 132; }

// Writes `text` to `out`; false when it cannot be written (a closed pipe).
bool emit(std::FILE* out, const std::string& text) {
  return std::fwrite(text.data(), 1, text.size(), out) == text.size();
}

// Aligned columns: every column padded to its widest cell but the last.
std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& r : rows) {
    width.resize(std::max(width.size(), r.size()));
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line.append(width[i] - r[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

// ---- the WHERE clause ----

struct Where {
  std::string sql;  // " WHERE ..." or empty
  // Binds the filter values, numbered from 1 in the order of the conditions.
  void bind(Statement& st) const {
    int i = 1;
    for (const auto& b : binds) {
      if (const auto* n = std::get_if<std::int64_t>(&b)) {
        st.bind(i++, *n);
      } else if (const auto* s = std::get_if<std::string>(&b)) {
        st.bind(i++, std::string_view(*s));
      } else {
        st.bind_blob(i++, std::get<IpAddress>(b).bytes);
      }
    }
  }
  std::vector<std::variant<std::int64_t, std::string, IpAddress>> binds;
};

Where where_of(const Filters& f, std::string_view extra = {}) {
  Where w;
  std::vector<std::string> conds;
  auto add = [&](std::string cond, auto... values) {
    conds.push_back(std::move(cond));
    (w.binds.emplace_back(values), ...);
  };
  if (f.since_us) add("ts >= ?", *f.since_us);
  if (f.until_us) add("ts < ?", *f.until_us);
  if (f.site) add("site = ?", *f.site);
  if (f.sensor) add("sensor = ?", *f.sensor);
  if (f.sid) add("sid = ?", *f.sid);
  if (f.classtype) add("classtype = ?", *f.classtype);
  if (f.severity) add("severity = ?", *f.severity);
  if (f.src) add("src BETWEEN ? AND ?", f.src->low, f.src->high);
  if (f.dst) add("dst BETWEEN ? AND ?", f.dst->low, f.dst->high);
  if (f.port) add("(sport = ? OR dport = ?)", *f.port, *f.port);
  if (!extra.empty()) conds.emplace_back(extra);
  for (std::size_t i = 0; i < conds.size(); ++i) w.sql += (i == 0 ? " WHERE " : " AND ") + conds[i];
  return w;
}

// ---- alerts ----

struct AlertPrinter {
  Format format;
  std::vector<std::vector<std::string>> table_rows;
  std::string line;
  watchpost::v1::Alert alert;

  // Formats one stored alert; table rows are collected for alignment, lines are returned.
  Result<void> add(const Statement& st, std::string& text) {
    const auto blob = st.blob(4);
    if (!alert.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) {
      return make_error("alert " + std::to_string(st.integer(0)) + " does not parse");
    }
    const auto& sig = alert.signature();
    switch (format) {
      case Format::kEve:
        line.clear();
        output::render_eve_alert(alert, store::eve_options(alert), line);
        text += line + "\n";
        break;
      case Format::kJson: {
        line = "{\"id\":" + std::to_string(st.integer(0)) + ",\"timestamp\":\"";
        output::append_timestamp(line, alert.timestamp_us());
        line += "\",\"sensor\":";
        output::append_json_string(line, alert.sensor_id());
        line += ",\"site\":";
        output::append_json_string(line, alert.site());
        line += ",\"gid\":" + std::to_string(sig.gid()) +
                ",\"sid\":" + std::to_string(sig.signature_id()) +
                ",\"rev\":" + std::to_string(sig.rev()) +
                ",\"severity\":" + std::to_string(sig.severity()) + ",\"action\":";
        output::append_json_string(line, sig.action());
        line += ",\"classtype\":";
        output::append_json_string(line, sig.classtype());
        line += ",\"category\":";
        output::append_json_string(line, sig.category());
        line += ",\"msg\":";
        output::append_json_string(line, sig.signature());
        line += ",\"proto\":";
        output::append_json_string(line, output::proto_name(alert.ip_proto()));
        line += ",\"src_ip\":";
        output::append_json_string(line, alert.src_ip());
        if (has_ports(alert.ip_proto()))
          line += ",\"src_port\":" + std::to_string(alert.src_port());
        line += ",\"dest_ip\":";
        output::append_json_string(line, alert.dest_ip());
        if (has_ports(alert.ip_proto())) {
          line += ",\"dest_port\":" + std::to_string(alert.dest_port());
        }
        line += ",\"flow_id\":" + std::to_string(alert.flow_id());
        // Delivery times (the sensor's spool clock, the collector's clock); 0: not known.
        for (const auto& [name, column] : {std::pair{"spooled", 5}, std::pair{"received", 6}}) {
          if (st.integer(column) <= 0) continue;
          line += std::string(",\"") + name + "\":\"";
          output::append_timestamp(line, st.integer(column));
          line += '"';
        }
        line += "}\n";
        text += line;
        break;
      }
      case Format::kTable: {
        const bool ports = has_ports(alert.ip_proto());
        table_rows.push_back({local_time(alert.timestamp_us()), alert.site(), alert.sensor_id(),
                              std::to_string(sig.signature_id()), std::to_string(sig.severity()),
                              endpoint(alert.src_ip(), alert.src_port(), ports) + " -> " +
                                  endpoint(alert.dest_ip(), alert.dest_port(), ports),
                              output::proto_name(alert.ip_proto()), sig.signature()});
        break;
      }
    }
    return {};
  }
};

const std::vector<std::string> kAlertHeader = {"TIME", "SITE",       "SENSOR", "SID",
                                               "SEV",  "SRC -> DST", "PROTO",  "MSG"};

// Prints the newest matching alerts, oldest first; returns the highest id in the store when
// the query started (for --follow).
Result<std::int64_t> print_alerts(Database& db, const Options& o, std::FILE* out) {
  auto top = db.query_int("SELECT COALESCE(MAX(id), 0) FROM alerts");
  if (!top) return top.error();
  const Where w = where_of(o.filters, "id <= " + std::to_string(*top));
  std::string sql = "SELECT id, ts, sensor, site, alert, spooled, received FROM alerts" + w.sql;
  if (o.limit) {
    sql = "SELECT * FROM (" + sql + " ORDER BY ts DESC, id DESC LIMIT " + std::to_string(*o.limit) +
          ") ORDER BY ts, id";
  } else {
    sql += " ORDER BY ts, id";
  }
  auto st = db.prepare(sql);
  if (!st) return st.error();
  w.bind(*st);
  AlertPrinter p{o.format, {}, {}, {}};
  if (o.format == Format::kTable) p.table_rows.push_back(kAlertHeader);
  std::string text;
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    if (auto r = p.add(*st, text); !r) return r.error();
    if (text.size() > (1u << 16)) {
      if (!emit(out, text)) return *top;
      text.clear();
    }
  }
  if (o.format == Format::kTable) {
    if (p.table_rows.size() > 1 || !o.follow) text = table(p.table_rows);
  }
  emit(out, text);
  std::fflush(out);
  return *top;
}

Result<void> follow(Database& db, const Options& o, std::FILE* out, std::int64_t after,
                    const volatile std::sig_atomic_t* stop) {
  const Where w = where_of(o.filters, "id > ?");
  auto st = db.prepare("SELECT id, ts, sensor, site, alert, spooled, received FROM alerts" + w.sql +
                       " ORDER BY id");
  if (!st) return st.error();
  AlertPrinter p{o.format, {}, {}, {}};
  while (!*stop) {
    w.bind(*st);
    st->bind(static_cast<int>(w.binds.size()) + 1, after);
    std::string text;
    for (;;) {
      auto row = st->step();
      if (!row) return row.error();
      if (!*row) break;
      after = st->integer(0);
      if (auto r = p.add(*st, text); !r) return r.error();
    }
    st->reset();
    if (o.format == Format::kTable && !p.table_rows.empty()) {
      text = table(p.table_rows);
      p.table_rows.clear();
    }
    if (!text.empty() && (!emit(out, text) || std::fflush(out) != 0)) return {};
    for (int i = 0; i < 5 && !*stop; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return {};
}

// ---- counts ----

Result<void> print_counts(Database& db, const Options& o, std::FILE* out) {
  const char* column = o.count_by == CountBy::kSid   ? "sid"
                       : o.count_by == CountBy::kSrc ? "src"
                       : o.count_by == CountBy::kDst ? "dst"
                                                     : "site";
  const Where w = where_of(o.filters);
  std::string sql = std::string("SELECT ") + column + ", COUNT(*), MAX(id) FROM alerts" + w.sql +
                    " GROUP BY 1 ORDER BY 2 DESC, 1";
  if (o.limit) sql += " LIMIT " + std::to_string(*o.limit);
  auto st = db.prepare(sql);
  if (!st) return st.error();
  w.bind(*st);
  // The table shows each sid's msg, from its latest alert.
  auto msg_of = db.prepare("SELECT alert FROM alerts WHERE id = ?1");
  if (!msg_of) return msg_of.error();
  std::vector<std::vector<std::string>> rows;
  rows.push_back({o.count_by == CountBy::kSid    ? "SID"
                  : o.count_by == CountBy::kSite ? "SITE"
                  : o.count_by == CountBy::kSrc  ? "SRC"
                                                 : "DST",
                  "COUNT"});
  if (o.count_by == CountBy::kSid) rows.back().push_back("MSG");
  std::string text;
  watchpost::v1::Alert alert;
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    std::string value;
    std::string json_value;
    switch (o.count_by) {
      case CountBy::kSid:
        value = json_value = std::to_string(st->integer(0));
        break;
      case CountBy::kSite:
        value = st->text(0);
        output::append_json_string(json_value, value);
        break;
      default:
        if (st->is_null(0)) {
          value = "-";
          json_value = "null";
        } else {
          value = address_text(st->blob(0));
          output::append_json_string(json_value, value);
        }
    }
    const std::int64_t count = st->integer(1);
    if (o.format == Format::kTable) {
      rows.push_back({value, std::to_string(count)});
      if (o.count_by == CountBy::kSid) {
        msg_of->bind(1, st->integer(2));
        auto m = msg_of->step();
        if (!m) return m.error();
        const auto blob = *m ? msg_of->blob(0) : std::span<const std::uint8_t>();
        rows.back().push_back(alert.ParseFromArray(blob.data(), static_cast<int>(blob.size()))
                                  ? alert.signature().signature()
                                  : "");
        msg_of->reset();
      }
    } else {
      text += std::string("{\"") + column + "\":" + json_value +
              ",\"count\":" + std::to_string(count) + "}\n";
    }
  }
  if (o.format == Format::kTable) text = table(rows);
  emit(out, text);
  return {};
}

// ---- sensors ----

Result<void> print_sensors(Database& db, const Options& o, std::FILE* out, std::int64_t now_us) {
  auto st = db.prepare(
      "SELECT sensor, site, connected, peer, last_seen, rate, last_seq, events_total, "
      "spool_backlog, spool_dropped, epoch, duplicates FROM sensors ORDER BY sensor");
  if (!st) return st.error();
  std::vector<std::vector<std::string>> rows = {{"SENSOR", "SITE", "STATE", "PEER", "LAST SEEN",
                                                 "EVENTS/S", "LAST SEQ", "EVENTS", "BACKLOG"}};
  std::string text;
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    const bool connected = st->integer(2) != 0;
    const std::int64_t last_seen = st->integer(4);
    // The rate is the last window the collector measured; a sensor silent for a minute (no
    // batch, no heartbeat) or disconnected is not sending.
    const double rate = connected && now_us - last_seen < 60'000'000 ? st->real(5) : 0.0;
    char rate_text[32];
    std::snprintf(rate_text, sizeof rate_text, "%.1f", rate);
    if (o.format == Format::kTable) {
      const std::int64_t age = std::max<std::int64_t>(0, (now_us - last_seen) / 1000000);
      rows.push_back({std::string(st->text(0)), std::string(st->text(1)),
                      connected ? "connected" : "disconnected", std::string(st->text(3)),
                      local_time(last_seen).substr(0, 19) + " (" + std::to_string(age) + "s ago)",
                      rate_text, std::to_string(static_cast<std::uint64_t>(st->integer(6))),
                      std::to_string(st->integer(7)), std::to_string(st->integer(8))});
    } else {
      std::string l = "{\"sensor\":";
      output::append_json_string(l, st->text(0));
      l += ",\"site\":";
      output::append_json_string(l, st->text(1));
      l += std::string(",\"connected\":") + (connected ? "true" : "false") + ",\"peer\":";
      output::append_json_string(l, st->text(3));
      l += ",\"last_seen\":\"";
      output::append_timestamp(l, last_seen);
      l += "\",\"events_per_second\":" + std::string(rate_text) +
           ",\"epoch\":" + std::to_string(static_cast<std::uint64_t>(st->integer(10))) +
           ",\"last_seq\":" + std::to_string(static_cast<std::uint64_t>(st->integer(6))) +
           ",\"events_total\":" + std::to_string(st->integer(7)) +
           ",\"duplicates\":" + std::to_string(st->integer(11)) +
           ",\"spool_backlog\":" + std::to_string(st->integer(8)) +
           ",\"spool_dropped\":" + std::to_string(st->integer(9)) + "}\n";
      text += l;
    }
  }
  if (o.format == Format::kTable) text = table(rows);
  emit(out, text);
  return {};
}

}  // namespace

Result<std::int64_t> parse_time(std::string_view text, std::int64_t now_us) {
  const auto bad = [&] {
    return make_error("bad time '" + std::string(text) +
                      "': expected a duration ago (90s, 15m, 1h, 2d, 1w) or ISO 8601 "
                      "(2025-07-01, 2025-07-01T03:04:05, 2025-07-01T03:04:05+07:00)");
  };
  if (text.size() >= 2 && text.find('-') == std::string_view::npos) {
    const char unit = text.back();
    const auto n = parse_digits(text.substr(0, text.size() - 1));
    std::int64_t scale = 0;
    switch (unit) {
      case 's':
        scale = 1;
        break;
      case 'm':
        scale = 60;
        break;
      case 'h':
        scale = 3600;
        break;
      case 'd':
        scale = 86400;
        break;
      case 'w':
        scale = 7 * 86400;
        break;
      default:
        return bad();
    }
    if (!n) return bad();
    return now_us - *n * scale * 1000000;
  }
  const auto t = parse_iso(text);
  if (!t) return bad();
  return *t;
}

Result<AddressRange> parse_cidr(std::string_view text) {
  const auto bad = [&](const std::string& why) {
    return make_error("bad address or CIDR '" + std::string(text) + "': " + why);
  };
  const auto slash = text.find('/');
  const auto addr = IpAddress::parse(text.substr(0, slash));
  if (!addr) return bad("not an IPv4 or IPv6 address");
  const int max = addr->is_v4() ? 32 : 128;
  int len = max;
  if (slash != std::string_view::npos) {
    const auto n = parse_digits(text.substr(slash + 1));
    if (!n || *n > max) return bad("prefix length must be 0.." + std::to_string(max));
    len = static_cast<int>(*n);
  }
  const int bits = addr->is_v4() ? 96 + len : len;  // within the 16-byte key
  AddressRange r{*addr, *addr};
  for (int i = bits; i < 128; ++i) {
    const int byte = i / 8;
    const std::uint8_t mask = static_cast<std::uint8_t>(0x80u >> (i % 8));
    r.low.bytes[byte] &= static_cast<std::uint8_t>(~mask);
    r.high.bytes[byte] |= mask;
  }
  return r;
}

Result<Options> parse_args(int argc, char** argv, std::int64_t now_us) {
  enum {
    kDb = 1000,
    kSince,
    kUntil,
    kSite,
    kSensor,
    kSid,
    kClasstype,
    kSeverity,
    kSrc,
    kDst,
    kPort,
    kFormat,
    kCountBy,
    kFollow,
    kLimit,
    kSensors
  };
  static const option kLong[] = {
      {"db", required_argument, nullptr, kDb},
      {"since", required_argument, nullptr, kSince},
      {"until", required_argument, nullptr, kUntil},
      {"site", required_argument, nullptr, kSite},
      {"sensor", required_argument, nullptr, kSensor},
      {"sid", required_argument, nullptr, kSid},
      {"classtype", required_argument, nullptr, kClasstype},
      {"severity", required_argument, nullptr, kSeverity},
      {"src", required_argument, nullptr, kSrc},
      {"dst", required_argument, nullptr, kDst},
      {"port", required_argument, nullptr, kPort},
      {"format", required_argument, nullptr, kFormat},
      {"count-by", required_argument, nullptr, kCountBy},
      {"follow", no_argument, nullptr, kFollow},
      {"limit", required_argument, nullptr, kLimit},
      {"sensors", no_argument, nullptr, kSensors},
      {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0},
  };
  Options o;
  bool filtered = false;
  opterr = 0;
  optind = 1;
  int c;
  const auto number = [](const char* flag, const char* v,
                         std::int64_t max) -> Result<std::int64_t> {
    const auto n = parse_uint(v);
    if (!n || *n > static_cast<std::uint64_t>(max)) {
      return make_error(std::string(flag) + " " + v + ": expected a number from 0 to " +
                        std::to_string(max));
    }
    return static_cast<std::int64_t>(*n);
  };
  while ((c = getopt_long(argc, argv, ":h", kLong, nullptr)) != -1) {
    if (c >= kSince && c <= kPort) filtered = true;
    switch (c) {
      case kDb:
        o.db = optarg;
        break;
      case kSince:
      case kUntil: {
        auto t = parse_time(optarg, now_us);
        if (!t)
          return make_error(std::string(c == kSince ? "--since: " : "--until: ") +
                            t.error().message);
        (c == kSince ? o.filters.since_us : o.filters.until_us) = *t;
        break;
      }
      case kSite:
        o.filters.site = optarg;
        break;
      case kSensor:
        o.filters.sensor = optarg;
        break;
      case kClasstype:
        o.filters.classtype = optarg;
        break;
      case kSid:
      case kSeverity:
      case kPort: {
        const char* flag = c == kSid ? "--sid" : c == kSeverity ? "--severity" : "--port";
        auto n = number(flag, optarg, c == kPort ? 65535 : 0xffffffffLL);
        if (!n) return n.error();
        (c == kSid ? o.filters.sid : c == kSeverity ? o.filters.severity : o.filters.port) = *n;
        break;
      }
      case kSrc:
      case kDst: {
        auto r = parse_cidr(optarg);
        if (!r)
          return make_error(std::string(c == kSrc ? "--src: " : "--dst: ") + r.error().message);
        (c == kSrc ? o.filters.src : o.filters.dst) = *r;
        break;
      }
      case kFormat: {
        const std::string v = optarg;
        if (v == "table")
          o.format = Format::kTable;
        else if (v == "json")
          o.format = Format::kJson;
        else if (v == "eve")
          o.format = Format::kEve;
        else
          return make_error("--format " + v + ": expected table, json or eve");
        break;
      }
      case kCountBy: {
        const std::string v = optarg;
        if (v == "sid")
          o.count_by = CountBy::kSid;
        else if (v == "src")
          o.count_by = CountBy::kSrc;
        else if (v == "dst")
          o.count_by = CountBy::kDst;
        else if (v == "site")
          o.count_by = CountBy::kSite;
        else
          return make_error("--count-by " + v + ": expected sid, src, dst or site");
        break;
      }
      case kFollow:
        o.follow = true;
        break;
      case kLimit: {
        auto n = number("--limit", optarg, std::numeric_limits<std::int64_t>::max());
        if (!n) return n.error();
        o.limit = *n;
        break;
      }
      case kSensors:
        o.sensors = true;
        break;
      case 'h':
        o.help = true;
        return o;
      default:
        return option_error(c, argv);
    }
  }
  if (auto r = no_operands(argc, argv); !r) return r.error();
  if (o.db.empty()) return make_error("--db FILE is required");
  if (o.sensors && (filtered || o.follow || o.count_by != CountBy::kNone || o.limit)) {
    return make_error("--sensors takes no filters, --count-by, --follow or --limit");
  }
  if (o.sensors && o.format == Format::kEve) return make_error("--sensors: --format table or json");
  if (o.count_by != CountBy::kNone && o.follow)
    return make_error("--count-by and --follow do not go together");
  if (o.count_by != CountBy::kNone && o.format == Format::kEve) {
    return make_error("--count-by: --format table or json");
  }
  if (!o.limit && o.format == Format::kTable) o.limit = 100;
  return o;
}

Result<void> run(Database& db, const Options& o, std::FILE* out,
                 const volatile std::sig_atomic_t* stop) {
  const std::int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  if (o.sensors) return print_sensors(db, o, out, now_us);
  if (o.count_by != CountBy::kNone) return print_counts(db, o, out);
  auto top = print_alerts(db, o, out);
  if (!top) return top.error();
  if (!o.follow) return {};
  return follow(db, o, out, *top, stop);
}

}  // namespace wp::alerts
