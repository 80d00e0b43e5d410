// The store's view of a batch: for each alert the indexed columns and the serialized message
// it keeps (tools/collector/README.md, "Schema"), and which events are new under the
// (sensor, epoch) high-water mark. Pure functions, no I/O: the collector's threads, the unit
// tests and the fuzz target call them on batches that wire::parse_batch accepted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "output/eve.h"
#include "watchpost/v1/event.pb.h"

namespace wp::store {

// The 16-byte, memcmp-sortable key of an address (IPv4 mapped into ::ffff:0:0/96), so that a
// CIDR is one BETWEEN range on the column. nullopt for text that is not an address.
std::optional<IpAddress> address_key(std::string_view text);

// The EVE options the collector renders a stored alert with (its EVE file and
// watchpost-alerts --format eve): payload fields when the sensor sent a payload (its
// eve-log.payload options decide), the packet when it sent one, metadata always.
output::EveOptions eve_options(const watchpost::v1::Alert& alert);

struct AlertRow {
  const watchpost::v1::Alert* alert = nullptr;  // in the batch; sensor_id and site set
  std::uint64_t seq = 0;
  std::int64_t spooled_us = 0;  // Event.spooled_us
  std::optional<IpAddress> src;
  std::optional<IpAddress> dst;
  std::string message;  // the serialized Alert (the `alert` column)
};

struct StatsRow {
  const watchpost::v1::Stats* stats = nullptr;  // in the batch; sensor_id and site set
  std::uint64_t seq = 0;
  std::string message;  // the serialized Stats
};

// A flow record or an anomaly (the `records` table; its EVE line in the collector's file).
struct RecordRow {
  const watchpost::v1::Event* event = nullptr;  // in the batch; sensor_id and site set
  const char* kind = "";                        // "flow" or "anomaly"
  std::int64_t ts = 0;
  const std::string* site = nullptr;
  std::uint64_t seq = 0;
  std::string message;  // the serialized FlowRecord or Anomaly
};

struct BatchRows {
  std::uint64_t first_seq = 0;   // the batch's first sequence number
  std::uint64_t last_seq = 0;    // the batch's last sequence number (0 for an empty batch)
  std::uint64_t duplicates = 0;  // events at or below the mark, dropped by keep_new()
  std::uint64_t gap = 0;         // sequence numbers missing between the mark and the batch
  std::vector<AlertRow> alerts;  // in sequence order
  std::vector<StatsRow> stats;   // in sequence order
  std::vector<RecordRow> records;  // flow records and anomalies, in sequence order
  std::size_t stored() const { return alerts.size() + stats.size() + records.size(); }
};

// Makes a row of every event of `batch` (checked by wire::parse_batch): each gets `sensor_id`
// = `sensor` (the authenticated id) and its site: the event's own when it has one (an
// interface label), else the batch's; its message is serialized. Runs on the io thread (the
// store thread only selects and inserts). Rows point into `batch`: keep it alive and
// unchanged while they are used.
void batch_rows(const std::string& sensor, watchpost::v1::Batch& batch, BatchRows& out);

// Drops the rows at or below `mark` (already stored: duplicates, counted) and counts the
// sequence numbers missing between the mark and the batch (`gap`). Events are consecutive,
// so what is left is a suffix of the batch.
void keep_new(std::uint64_t mark, BatchRows& rows);

}  // namespace wp::store
