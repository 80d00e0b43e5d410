// Store: the collector's SQLite database — alerts, stats, the de-duplication marks and the
// sensors' health — behind one connection. Owned and used by one thread (the store thread);
// the unit tests drive it directly. A second connection, on a thread of its own, only runs
// the WAL checkpoints. Every write happens inside begin() ... commit(), so the
// events of a batch and the new high-water mark of its (sensor, epoch) are durable together.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "common/result.h"
#include "rows.h"
#include "sqlite.h"
#include "watchpost/v1/event.pb.h"

namespace wp::store {

struct StoreOptions {
  std::string path;
  bool sync_full = false;  // synchronous=FULL (power loss) instead of NORMAL (killed process)
};

class Checkpointer;

class Store {
 public:
  // Opens or creates the database, sets WAL mode and the synchronous level, creates the
  // schema and marks every sensor disconnected (no connection survives a restart).
  static Result<std::unique_ptr<Store>> open(const StoreOptions& options);
  ~Store();

  Result<void> begin();
  // Writes the health rows of the sensors touched since begin(), then commits.
  Result<void> commit();
  // Rolls back and forgets the cached marks and health (they are re-read from the database).
  void rollback();

  // Stores the events of `batch` above its (sensor, epoch) mark and raises the mark to the
  // batch's last seq; an empty batch (heartbeat) only updates the sensor's health. `sensor`
  // is the authenticated id, `peer` the connection's address. `rows` must come from
  // batch_rows(sensor, batch); add() keeps only the new ones (keep_new): what is left is
  // what was stored (for the EVE file), with the count of what was skipped. Must run
  // between begin() and commit().
  Result<void> add(const std::string& sensor, const std::string& peer,
                   const watchpost::v1::Batch& batch, std::int64_t now_us, BatchRows& rows);

  // A connection of `sensor` opened (true) or closed (false): its health row says whether at
  // least one is open. Must run between begin() and commit().
  Result<void> set_connected(const std::string& sensor, const std::string& peer, bool open,
                             std::int64_t now_us);

  // The highest sequence number stored for (sensor, epoch); 0 when none.
  Result<std::uint64_t> mark(const std::string& sensor, std::uint64_t epoch);

  Database& database() { return db_; }

 private:
  struct Health {
    bool loaded_from_db = false;
    bool exists = false;
    std::string site;
    std::uint64_t epoch = 0;
    std::int64_t first_seen = 0;
    std::int64_t last_seen = 0;
    std::uint64_t last_seq = 0;
    std::uint64_t events_total = 0;
    std::uint64_t duplicates = 0;
    double rate = 0;
    std::int64_t window_start = 0;
    std::uint64_t window_events = 0;
    std::uint64_t spool_backlog = 0;
    std::uint64_t spool_dropped = 0;
    std::string peer;
    bool dirty = false;
  };

  explicit Store(Database db);
  Result<void> prepare();
  Result<Health*> health(const std::string& sensor);

  Database db_;
  // Copies the WAL into the database from its own thread and connection (every 200 ms), so
  // the thread that commits never waits for a checkpoint's writes and fsyncs. Destroyed
  // before db_ closes.
  std::unique_ptr<Checkpointer> checkpointer_;
  std::unique_ptr<Statement> insert_alert_, insert_stats_, insert_record_, select_mark_, upsert_mark_,
      select_sensor_, upsert_sensor_, begin_, commit_, rollback_;
  std::map<std::pair<std::string, std::uint64_t>, std::uint64_t> marks_;  // cache
  std::map<std::string, Health> health_;                                  // cache
  std::map<std::string, int> connections_;  // open connections per sensor (not rolled back)
  bool in_transaction_ = false;
};

}  // namespace wp::store
