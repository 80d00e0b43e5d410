#include "store.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "schema.h"

namespace wp::store {
namespace {

constexpr std::int64_t kRateWindowUs = 10'000'000;

std::int64_t as_int(std::uint64_t v) { return static_cast<std::int64_t>(v); }

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

// Passive checkpoints never block the writer; a busy database just waits for the next round.
class Checkpointer {
 public:
  explicit Checkpointer(Database db) : db_(std::move(db)), thread_([this] { run(); }) {}
  ~Checkpointer() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

 private:
  void run() {
    std::unique_lock lock(mu_);
    while (!stop_) {
      cv_.wait_for(lock, std::chrono::milliseconds(200));
      lock.unlock();
      sqlite3_wal_checkpoint_v2(db_.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      lock.lock();
    }
  }

  Database db_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

Store::Store(Database db) : db_(std::move(db)) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open(const StoreOptions& options) {
  auto db = Database::open(options.path, Database::Mode::kReadWriteCreate);
  if (!db) return db.error();
  std::unique_ptr<Store> s(new Store(std::move(db).value()));
  // WAL: readers (watchpost-alerts) never block the writer; NORMAL syncs only at checkpoints,
  // which survives a killed process (the WAL is in the page cache), FULL syncs every commit.
  // 16 KiB pages for a new database (no effect on an existing one): about 20% more rows/s
  // than the default 4 KiB (docs/performance.md), fewer page splits and WAL frames per row.
  if (auto r = s->db_.exec("PRAGMA page_size=16384"); !r) return r.error();
  {
    auto mode = s->db_.prepare("PRAGMA journal_mode=WAL");
    if (!mode) return mode.error();
    auto r = mode->step();
    if (!r) return r.error();
    if (!*r || mode->text(0) != "wal") {
      return make_error("cannot switch the database to WAL mode", options.path);
    }
  }
  if (auto r =
          s->db_.exec(options.sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
      !r) {
    return r.error();
  }
  // 64 MiB of page cache: the indexes' hot pages stay in memory while the table grows.
  if (auto r = s->db_.exec("PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY"); !r) {
    return r.error();
  }
  auto version = s->db_.query_int("PRAGMA user_version");
  if (!version) return version.error();
  if (*version > kSchemaVersion) {
    return make_error("schema version " + std::to_string(*version) +
                          " is newer than this collector (" + std::to_string(kSchemaVersion) + ")",
                      options.path);
  }
  // Version 1 had no spooled/received columns: the rows it stored read 0 for both.
  const char* upgrade = *version == 1 ? "ALTER TABLE alerts ADD COLUMN spooled INTEGER NOT NULL "
                                        "DEFAULT 0;ALTER TABLE alerts ADD COLUMN received INTEGER "
                                        "NOT NULL DEFAULT 0;"
                                      : "";
  const std::string setup = std::string("BEGIN;") + upgrade + kSchema +
                            "PRAGMA user_version=" + std::to_string(kSchemaVersion) +
                            ";UPDATE sensors SET connected = 0;COMMIT;";
  if (auto r = s->db_.exec(setup); !r) {
    (void)s->db_.exec("ROLLBACK");
    return r.error();
  }
  if (auto r = s->prepare(); !r) return r.error();
  auto second = Database::open(options.path, Database::Mode::kReadWriteCreate);
  if (!second) return second.error();
  // The checkpointer's connection syncs the database as this one would (NORMAL or FULL).
  if (auto r =
          second->exec(options.sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
      !r) {
    return r.error();
  }
  if (auto r = s->db_.exec("PRAGMA wal_autocheckpoint=0"); !r) return r.error();
  s->checkpointer_ = std::make_unique<Checkpointer>(std::move(second).value());
  return s;
}

Result<void> Store::prepare() {
  struct {
    std::unique_ptr<Statement>* slot;
    const char* sql;
  } const statements[] = {
      {&insert_alert_,
       "INSERT INTO alerts (ts, sensor, site, epoch, seq, sid, severity, classtype, proto, src, "
       "sport, dst, dport, alert, spooled, received) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
       "?10, ?11, ?12, ?13, ?14, ?15, ?16)"},
      {&insert_stats_,
       "INSERT INTO stats (ts, sensor, site, epoch, seq, stats) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
      {&insert_record_,
       "INSERT INTO records (ts, sensor, site, epoch, seq, kind, record) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
      {&select_mark_, "SELECT seq FROM marks WHERE sensor = ?1 AND epoch = ?2"},
      {&upsert_mark_,
       "INSERT INTO marks (sensor, epoch, seq) VALUES (?1, ?2, ?3) "
       "ON CONFLICT (sensor, epoch) DO UPDATE SET seq = excluded.seq"},
      {&select_sensor_,
       "SELECT site, epoch, first_seen, last_seen, last_seq, events_total, duplicates, rate, "
       "spool_backlog, spool_dropped, peer FROM sensors WHERE sensor = ?1"},
      {&upsert_sensor_,
       "INSERT OR REPLACE INTO sensors (sensor, site, epoch, first_seen, last_seen, last_seq, "
       "events_total, duplicates, rate, spool_backlog, spool_dropped, peer, connected) VALUES "
       "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"},
      {&begin_, "BEGIN"},
      {&commit_, "COMMIT"},
      {&rollback_, "ROLLBACK"},
  };
  for (const auto& s : statements) {
    auto st = db_.prepare(s.sql);
    if (!st) return st.error();
    *s.slot = std::make_unique<Statement>(std::move(st).value());
  }
  return {};
}

Result<void> Store::begin() {
  if (auto r = begin_->run(); !r) return r;
  in_transaction_ = true;
  return {};
}

Result<void> Store::commit() {
  for (auto& [sensor, h] : health_) {
    if (!h.dirty) continue;
    Statement& st = *upsert_sensor_;
    st.bind(1, sensor);
    st.bind(2, h.site);
    st.bind(3, as_int(h.epoch));
    st.bind(4, h.first_seen);
    st.bind(5, h.last_seen);
    st.bind(6, as_int(h.last_seq));
    st.bind(7, as_int(h.events_total));
    st.bind(8, as_int(h.duplicates));
    st.bind_real(9, h.rate);
    st.bind(10, as_int(h.spool_backlog));
    st.bind(11, as_int(h.spool_dropped));
    st.bind(12, h.peer);
    const auto c = connections_.find(sensor);
    st.bind(13, std::int64_t{c != connections_.end() && c->second > 0});
    if (auto r = st.run(); !r) return r;
    h.dirty = false;
  }
  if (auto r = commit_->run(); !r) return r;
  in_transaction_ = false;
  return {};
}

void Store::rollback() {
  if (in_transaction_) (void)rollback_->run();
  in_transaction_ = false;
  marks_.clear();
  health_.clear();
}

Result<std::uint64_t> Store::mark(const std::string& sensor, std::uint64_t epoch) {
  const auto key = std::make_pair(sensor, epoch);
  if (auto it = marks_.find(key); it != marks_.end()) return it->second;
  Statement& st = *select_mark_;
  st.bind(1, sensor);
  st.bind(2, as_int(epoch));
  auto row = st.step();
  if (!row) return row.error();
  const std::uint64_t seq = *row ? static_cast<std::uint64_t>(st.integer(0)) : 0;
  st.reset();
  marks_.emplace(key, seq);
  return seq;
}

Result<Store::Health*> Store::health(const std::string& sensor) {
  Health& h = health_[sensor];
  if (h.loaded_from_db) return &h;
  Statement& st = *select_sensor_;
  st.bind(1, sensor);
  auto row = st.step();
  if (!row) {
    health_.erase(sensor);
    return row.error();
  }
  if (*row) {
    h.exists = true;
    h.site = st.text(0);
    h.epoch = static_cast<std::uint64_t>(st.integer(1));
    h.first_seen = st.integer(2);
    h.last_seen = st.integer(3);
    h.last_seq = static_cast<std::uint64_t>(st.integer(4));
    h.events_total = static_cast<std::uint64_t>(st.integer(5));
    h.duplicates = static_cast<std::uint64_t>(st.integer(6));
    h.rate = st.real(7);
    h.spool_backlog = static_cast<std::uint64_t>(st.integer(8));
    h.spool_dropped = static_cast<std::uint64_t>(st.integer(9));
    h.peer = st.text(10);
  }
  st.reset();
  h.loaded_from_db = true;
  return &h;
}

Result<void> Store::add(const std::string& sensor, const std::string& peer,
                        const watchpost::v1::Batch& batch, std::int64_t now_us, BatchRows& rows) {
  auto m = mark(sensor, batch.epoch());
  if (!m) return m.error();
  keep_new(*m, rows);
  for (const AlertRow& row : rows.alerts) {
    const watchpost::v1::Alert& a = *row.alert;
    Statement& st = *insert_alert_;
    st.bind(1, a.timestamp_us());
    st.bind(2, sensor);
    st.bind(3, a.site());
    st.bind(4, as_int(batch.epoch()));
    st.bind(5, as_int(row.seq));
    st.bind(6, std::int64_t{a.signature().signature_id()});
    st.bind(7, std::int64_t{a.signature().severity()});
    st.bind(8, a.signature().classtype());
    st.bind(9, std::int64_t{a.ip_proto()});
    if (row.src) {
      st.bind_blob(10, row.src->bytes);
    } else {
      st.bind_null(10);
    }
    st.bind(11, std::int64_t{a.src_port()});
    if (row.dst) {
      st.bind_blob(12, row.dst->bytes);
    } else {
      st.bind_null(12);
    }
    st.bind(13, std::int64_t{a.dest_port()});
    st.bind_blob(14, bytes_of(row.message));
    st.bind(15, row.spooled_us);
    st.bind(16, now_us);
    if (auto r = st.run(); !r) return r;
  }
  for (const StatsRow& row : rows.stats) {
    Statement& st = *insert_stats_;
    st.bind(1, row.stats->timestamp_us());
    st.bind(2, sensor);
    st.bind(3, row.stats->site());
    st.bind(4, as_int(batch.epoch()));
    st.bind(5, as_int(row.seq));
    st.bind_blob(6, bytes_of(row.message));
    if (auto r = st.run(); !r) return r;
  }
  for (const RecordRow& row : rows.records) {
    Statement& st = *insert_record_;
    st.bind(1, row.ts);
    st.bind(2, sensor);
    st.bind(3, *row.site);
    st.bind(4, as_int(batch.epoch()));
    st.bind(5, as_int(row.seq));
    st.bind(6, std::string(row.kind));
    st.bind_blob(7, bytes_of(row.message));
    if (auto r = st.run(); !r) return r;
  }
  const std::uint64_t new_mark = std::max(*m, rows.last_seq);
  if (new_mark != *m) {
    Statement& st = *upsert_mark_;
    st.bind(1, sensor);
    st.bind(2, as_int(batch.epoch()));
    st.bind(3, as_int(new_mark));
    if (auto r = st.run(); !r) return r;
    marks_[{sensor, batch.epoch()}] = new_mark;
  }

  auto hr = health(sensor);
  if (!hr) return hr.error();
  Health& h = **hr;
  const std::uint64_t stored = rows.stored();
  if (!h.exists) {
    h.exists = true;
    h.first_seen = now_us;
    h.window_start = now_us;
  }
  if (h.window_start == 0) h.window_start = now_us;
  h.site = batch.site();
  h.epoch = batch.epoch();
  h.last_seen = now_us;
  h.last_seq = new_mark;
  h.events_total += stored;
  h.duplicates += rows.duplicates;
  h.window_events += stored;
  if (now_us - h.window_start >= kRateWindowUs) {
    h.rate =
        static_cast<double>(h.window_events) * 1e6 / static_cast<double>(now_us - h.window_start);
    h.window_start = now_us;
    h.window_events = 0;
  }
  if (batch.has_heartbeat()) {
    h.spool_backlog = batch.heartbeat().spool_backlog();
    h.spool_dropped = batch.heartbeat().spool_dropped();
  } else {
    // The backlog a heartbeat reported (the first frame of a connection has one) shrinks
    // by what has been stored since: after a catch-up it reads 0, not the figure at connect.
    h.spool_backlog -= std::min<std::uint64_t>(h.spool_backlog, stored + rows.duplicates);
  }
  h.peer = peer;
  h.dirty = true;
  return {};
}

Result<void> Store::set_connected(const std::string& sensor, const std::string& peer, bool open,
                                  std::int64_t now_us) {
  int& n = connections_[sensor];
  n += open ? 1 : -1;
  if (n < 0) n = 0;
  auto hr = health(sensor);
  if (!hr) return hr.error();
  Health& h = **hr;
  if (!h.exists) return {};  // a sensor appears with its first batch
  if (open) h.peer = peer;
  h.last_seen = now_us;
  if (!open && n == 0) h.rate = 0;
  h.dirty = true;
  return {};
}

}  // namespace wp::store
