#include "rows.h"

namespace wp::store {

std::optional<IpAddress> address_key(std::string_view text) { return IpAddress::parse(text); }

output::EveOptions eve_options(const watchpost::v1::Alert& alert) {
  output::EveOptions options;
  options.payload = options.payload_printable = !alert.payload().empty();
  options.packet = !alert.packet().empty();
  options.metadata = true;
  return options;
}

void batch_rows(const std::string& sensor, std::uint64_t mark, watchpost::v1::Batch& batch,
                BatchRows& out) {
  out = BatchRows{};
  const int n = batch.events_size();
  if (n == 0) return;
  out.last_seq = batch.first_seq() + static_cast<std::uint64_t>(n) - 1;
  if (batch.first_seq() > mark + 1) out.gap = batch.first_seq() - mark - 1;
  // Sequence numbers are consecutive (parse_batch), so the new events are a suffix.
  const std::uint64_t skip = mark >= batch.first_seq() ? mark - batch.first_seq() + 1 : 0;
  out.duplicates = std::min<std::uint64_t>(skip, static_cast<std::uint64_t>(n));
  for (int i = static_cast<int>(out.duplicates); i < n; ++i) {
    watchpost::v1::Event& e = *batch.mutable_events(i);
    if (e.has_alert()) {
      watchpost::v1::Alert& a = *e.mutable_alert();
      a.set_sensor_id(sensor);
      if (a.site().empty()) a.set_site(batch.site());
      AlertRow& row = out.alerts.emplace_back();
      row.alert = &a;
      row.seq = e.seq();
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
    }
  }
}

}  // namespace wp::store
