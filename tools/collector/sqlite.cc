#include "sqlite.h"

#include <sys/stat.h>

#include <utility>

namespace wp::store {

Result<Database> Database::open(const std::string& path, Mode mode) {
  // Before SQLite initializes (the first open): no global memory statistics, which take a
  // mutex on every allocation. Later calls would be refused and change nothing.
  static const int configured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)configured;
  if (mode == Mode::kReadOnly) {
    // sqlite3_open_v2 with READONLY reports a missing file only as "unable to open".
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return make_error("no such database", path);
    if (!S_ISREG(st.st_mode)) return make_error("not a database file", path);
  }
  const int flags =
      mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return make_error("cannot open database: " + msg, path);
  }
  sqlite3_extended_result_codes(db, 1);
  // A writer holding the lock briefly (checkpoint) must not fail a reader at once.
  sqlite3_busy_timeout(db, 5000);
  return Database(db, path);
}

Database::Database(Database&& o) noexcept
    : db_(std::exchange(o.db_, nullptr)), path_(std::move(o.path_)) {}

Database& Database::operator=(Database&& o) noexcept {
  if (this != &o) {
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = std::exchange(o.db_, nullptr);
    path_ = std::move(o.path_);
  }
  return *this;
}

Database::~Database() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

std::string Database::last_error() const { return db_ != nullptr ? sqlite3_errmsg(db_) : ""; }

Result<void> Database::exec(std::string_view sql) {
  const std::string s(sql);
  char* err = nullptr;
  if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err != nullptr ? err : last_error();
    sqlite3_free(err);
    return make_error(msg, path_);
  }
  return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt, nullptr) != SQLITE_OK) {
    return make_error(last_error(), path_);
  }
  return Statement(stmt, db_);
}

Result<std::int64_t> Database::query_int(std::string_view sql) {
  auto st = prepare(sql);
  if (!st) return st.error();
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return make_error("query returned no row: " + std::string(sql), path_);
  return st->integer(0);
}

Statement::Statement(Statement&& o) noexcept : stmt_(std::exchange(o.stmt_, nullptr)), db_(o.db_) {}

Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    if (stmt_ != nullptr) sqlite3_finalize(stmt_);
    stmt_ = std::exchange(o.stmt_, nullptr);
    db_ = o.db_;
  }
  return *this;
}

Statement::~Statement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

void Statement::bind(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
void Statement::bind(int i, std::string_view t) {
  sqlite3_bind_text(stmt_, i, t.data(), static_cast<int>(t.size()), SQLITE_STATIC);
}
void Statement::bind_real(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
void Statement::bind_blob(int i, std::span<const std::uint8_t> b) {
  sqlite3_bind_blob(stmt_, i, b.data(), static_cast<int>(b.size()), SQLITE_STATIC);
}
void Statement::bind_null(int i) { sqlite3_bind_null(stmt_, i); }

Error Statement::error(int rc) const {
  const std::string str = sqlite3_errstr(rc), msg = sqlite3_errmsg(db_);
  return make_error(str == msg ? msg : str + ": " + msg, sqlite3_db_filename(db_, "main") != nullptr
                                                             ? sqlite3_db_filename(db_, "main")
                                                             : "");
}

Result<bool> Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error e = error(rc);
  sqlite3_reset(stmt_);
  return e;
}

Result<void> Statement::run() {
  auto r = step();
  sqlite3_reset(stmt_);
  if (!r) return r.error();
  return {};
}

void Statement::reset() { sqlite3_reset(stmt_); }

std::int64_t Statement::integer(int c) const { return sqlite3_column_int64(stmt_, c); }

double Statement::real(int c) const { return sqlite3_column_double(stmt_, c); }

std::string_view Statement::text(int c) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, c));
  return p != nullptr ? std::string_view(p, sqlite3_column_bytes(stmt_, c)) : std::string_view();
}

std::span<const std::uint8_t> Statement::blob(int c) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, c));
  return p != nullptr ? std::span<const std::uint8_t>(p, sqlite3_column_bytes(stmt_, c))
                      : std::span<const std::uint8_t>();
}

bool Statement::is_null(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }

}  // namespace wp::store
