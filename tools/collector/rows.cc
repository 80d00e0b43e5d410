#include "rows.h"

#include <algorithm>

namespace wp::store {

std::optional<IpAddress> address_key(std::string_view text) { return IpAddress::parse(text); }

output::EveOptions eve_options(const watchpost::v1::Alert& alert) {
  output::EveOptions options;
  options.payload = options.payload_printable = !alert.payload().empty();
  options.packet = !alert.packet().empty();
  options.metadata = true;
  return options;
}

void batch_rows(const std::string& sensor, watchpost::v1::Batch& batch, BatchRows& out) {
  out = BatchRows{};
  const int n = batch.events_size();
  if (n == 0) return;
  out.first_seq = batch.first_seq();
  out.last_seq = batch.first_seq() + static_cast<std::uint64_t>(n) - 1;
  for (int i = 0; i < n; ++i) {
    watchpost::v1::Event& e = *batch.mutable_events(i);
    if (e.has_alert()) {
      watchpost::v1::Alert& a = *e.mutable_alert();
      a.set_sensor_id(sensor);
      if (a.site().empty()) a.set_site(batch.site());
      AlertRow& row = out.alerts.emplace_back();
      row.alert = &a;
      row.seq = e.seq();
      row.spooled_us = static_cast<std::int64_t>(e.spooled_us());
      row.src = address_key(a.src_ip());
      row.dst = address_key(a.dest_ip());
      a.SerializeToString(&row.message);
    } else if (e.has_stats()) {
      watchpost::v1::Stats& s = *e.mutable_stats();
      s.set_sensor_id(sensor);
      if (s.site().empty()) s.set_site(batch.site());
      StatsRow& row = out.stats.emplace_back();
      row.stats = &s;
      row.seq = e.seq();
      s.SerializeToString(&row.message);
    } else if (e.has_flow()) {
      watchpost::v1::FlowRecord& f = *e.mutable_flow();
      f.set_sensor_id(sensor);
      if (f.site().empty()) f.set_site(batch.site());
      RecordRow& row = out.records.emplace_back();
      row = {&e, "flow", f.timestamp_us(), &f.site(), e.seq(), {}};
      f.SerializeToString(&row.message);
    } else if (e.has_anomaly()) {
      watchpost::v1::Anomaly& a = *e.mutable_anomaly();
      a.set_sensor_id(sensor);
      if (a.site().empty()) a.set_site(batch.site());
      RecordRow& row = out.records.emplace_back();
      row = {&e, "anomaly", a.timestamp_us(), &a.site(), e.seq(), {}};
      a.SerializeToString(&row.message);
    }
  }
}

void keep_new(std::uint64_t mark, BatchRows& rows) {
  rows.duplicates = 0;
  rows.gap = 0;
  if (rows.last_seq == 0) return;
  if (rows.first_seq > mark + 1) rows.gap = rows.first_seq - mark - 1;
  if (mark < rows.first_seq) return;
  rows.duplicates = std::min(mark, rows.last_seq) - rows.first_seq + 1;
  const auto stored = [mark](const auto& row) { return row.seq <= mark; };
  std::erase_if(rows.alerts, stored);
  std::erase_if(rows.stats, stored);
  std::erase_if(rows.records, stored);
}

}  // namespace wp::store
