// RAII wrappers for SQLite's two C handles (sqlite3*, sqlite3_stmt*), used by the collector's
// store thread and by the query tool. A Database and its Statements belong to one thread.
// Errors are Result<T> with SQLite's message; the location is the database path.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"

namespace wp::store {

class Statement;

// One sqlite3 connection. Closes it (sqlite3_close_v2) when destroyed; its Statements must be
// destroyed first.
class Database {
 public:
  enum class Mode { kReadWriteCreate, kReadOnly };

  // Opens `path`. kReadOnly never creates a file: a missing database is an error.
  static Result<Database> open(const std::string& path, Mode mode);

  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  ~Database();

  // Runs one or more statements that return no rows (schema, PRAGMA, BEGIN/COMMIT).
  Result<void> exec(std::string_view sql);
  // Compiles one statement.
  Result<Statement> prepare(std::string_view sql);
  // The single integer a query returns (PRAGMA user_version, COUNT(*)).
  Result<std::int64_t> query_int(std::string_view sql);

  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }
  std::string last_error() const;

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_ = nullptr;
  std::string path_;
};

// One prepared statement. Parameters are 1-based, as in SQLite; columns 0-based. Text and
// blobs are bound without a copy (SQLITE_STATIC): they must stay valid until the statement
// has been stepped and reset, or bound again. Views returned by text()/blob() stay valid
// until the next step(), reset() or destruction.
class Statement {
 public:
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  ~Statement();

  void bind(int index, std::int64_t value);
  void bind(int index, std::string_view text);
  void bind_real(int index, double value);
  void bind_blob(int index, std::span<const std::uint8_t> blob);
  void bind_null(int index);

  // One step: true when a row is available, false when done; an error otherwise.
  Result<bool> step();
  // step() for statements that return no row (INSERT, UPDATE).
  Result<void> run();
  // Ready to run again; bindings are kept.
  void reset();

  std::int64_t integer(int column) const;
  double real(int column) const;
  std::string_view text(int column) const;
  std::span<const std::uint8_t> blob(int column) const;
  bool is_null(int column) const;

 private:
  friend class Database;
  Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  Error error(int rc) const;
  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
};

}  // namespace wp::store
