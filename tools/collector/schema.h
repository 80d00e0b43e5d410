// The collector's SQLite schema (version kSchemaVersion), shared by the store (which creates
// it) and the query tool (which checks it). Why these columns and indexes:
// tools/collector/README.md, "Schema".
#pragma once

#include <cstdint>

#include "common/result.h"
#include "sqlite.h"

namespace wp::store {

inline constexpr std::int64_t kSchemaVersion = 2;

// Tables; executed in one transaction by the collector at start (IF NOT EXISTS).
inline constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS alerts (
  id        INTEGER PRIMARY KEY,  -- arrival order (watchpost-alerts --follow polls it)
  ts        INTEGER NOT NULL,     -- packet time, microseconds since the Unix epoch (UTC)
  sensor    TEXT NOT NULL,        -- the certificate's CN
  site      TEXT NOT NULL,
  epoch     INTEGER NOT NULL,     -- the sensor's spool epoch (64 bits, two's complement)
  seq       INTEGER NOT NULL,
  sid       INTEGER NOT NULL,
  severity  INTEGER NOT NULL,
  classtype TEXT NOT NULL,
  proto     INTEGER NOT NULL,
  src       BLOB,                 -- 16-byte address key (IPv4 as ::ffff:a.b.c.d), NULL if none
  sport     INTEGER NOT NULL,
  dst       BLOB,
  dport     INTEGER NOT NULL,
  alert     BLOB NOT NULL,        -- serialized watchpost.v1.Alert (rendered with wp_eve)
  spooled   INTEGER NOT NULL DEFAULT 0,  -- when the sensor spooled it (its clock), µs; 0 unknown
  received  INTEGER NOT NULL DEFAULT 0   -- when the collector stored it (its clock), µs
);
-- Two indexes only: each index costs ingest speed (README, "Schema"); other filters are
-- evaluated on the rows a time or sid range selects.
CREATE INDEX IF NOT EXISTS alerts_ts ON alerts(ts);
CREATE INDEX IF NOT EXISTS alerts_sid ON alerts(sid, ts);
CREATE TABLE IF NOT EXISTS stats (
  id        INTEGER PRIMARY KEY,
  ts        INTEGER NOT NULL,
  sensor    TEXT NOT NULL,
  site      TEXT NOT NULL,
  epoch     INTEGER NOT NULL,
  seq       INTEGER NOT NULL,
  stats     BLOB NOT NULL         -- serialized watchpost.v1.Stats
);
CREATE TABLE IF NOT EXISTS records (  -- flow records and anomalies (EVE flow / anomaly)
  id        INTEGER PRIMARY KEY,
  ts        INTEGER NOT NULL,
  sensor    TEXT NOT NULL,
  site      TEXT NOT NULL,
  epoch     INTEGER NOT NULL,
  seq       INTEGER NOT NULL,
  kind      TEXT NOT NULL,        -- "flow" or "anomaly"
  record    BLOB NOT NULL         -- serialized watchpost.v1.FlowRecord or Anomaly
);
CREATE TABLE IF NOT EXISTS marks (  -- de-duplication: highest stored seq per (sensor, epoch)
  sensor    TEXT NOT NULL,
  epoch     INTEGER NOT NULL,
  seq       INTEGER NOT NULL,
  PRIMARY KEY (sensor, epoch)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sensors (  -- health, one row per sensor id
  sensor        TEXT PRIMARY KEY,
  site          TEXT NOT NULL,
  epoch         INTEGER NOT NULL,
  first_seen    INTEGER NOT NULL,  -- collector clock, microseconds since the Unix epoch
  last_seen     INTEGER NOT NULL,
  last_seq      INTEGER NOT NULL,  -- the high-water mark of the current epoch
  events_total  INTEGER NOT NULL,  -- events stored (all epochs)
  duplicates    INTEGER NOT NULL,  -- events received again and skipped
  rate          REAL NOT NULL,     -- events/s stored over the last window (about 10 s)
  spool_backlog INTEGER NOT NULL,  -- from the last heartbeat
  spool_dropped INTEGER NOT NULL,
  peer          TEXT NOT NULL,     -- address:port of the last connection
  connected     INTEGER NOT NULL   -- 1 while a connection of this sensor is open
) WITHOUT ROWID;
)sql";

// Checks that `db` is a watchpost store this code understands ("not a watchpost store",
// "schema version N is newer than this tool (1)").
Result<void> check_schema(Database& db);

}  // namespace wp::store
