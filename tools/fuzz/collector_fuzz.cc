// libFuzzer target: the collector's decoding of what a sensor sends, without a socket. The
// input is a byte stream cut into pieces (as reads deliver it) and fed to the FrameReader;
// each frame is parsed into an arena Batch and checked (wire::parse_batch), then converted to
// store rows (store::batch_rows), those above a high-water mark kept (store::keep_new), and every
// new alert is rendered as the collector's EVE line. Input layout: byte 0 = piece size (1..256),
// byte 1 = the mark, the rest = the stream.
//
// Seeds: WP_FUZZ_WRITE_SEEDS=DIR makes the target write a few valid streams (sample batches,
// a heartbeat, stats) into DIR at start.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <span>
#include <string>

#include "output/eve.h"
#include "output/wire.h"
#include "rows.h"
#include "sample.h"
#include "store_thread.h"

namespace {

void write_seeds(const std::string& dir) {
  using wp::collector::sample_batch;
  const auto seed = [&](const std::string& name, std::uint8_t piece, std::uint8_t mark,
                        std::initializer_list<watchpost::v1::Batch> batches) {
    std::string bytes{static_cast<char>(piece), static_cast<char>(mark)};
    for (const auto& b : batches) (void)wp::output::wire::append_frame(b, bytes);
    std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
  };
  watchpost::v1::Batch stats = sample_batch("nt-1", "nha-trang", 7, 4, 1);
  auto* e = stats.add_events();
  e->set_seq(5);
  (*e->mutable_stats()->mutable_counters())["decoder.pkts"] = 42;
  seed("heartbeat-then-alerts", 64, 0,
       {sample_batch("nt-1", "nha-trang", 7, 0, 0), sample_batch("nt-1", "nha-trang", 7, 1, 3)});
  seed("overlap", 7, 2, {sample_batch("nt-1", "nha-trang", 7, 1, 5)});
  seed("stats", 255, 3, {stats});
  seed("ipv6-and-gap", 1, 0, {sample_batch("pr-1", "phan-rang", 9, 4, 2)});
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("WP_FUZZ_WRITE_SEEDS")) write_seeds(dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace wire = wp::output::wire;
  if (size < 2) return 0;
  const std::size_t piece = data[0] == 0 ? 1 : data[0];
  const std::uint64_t mark = data[1];
  std::span<const std::uint8_t> rest(data + 2, size - 2);
  wire::FrameReader reader;
  wp::store::BatchRows rows;
  std::string line;
  while (!rest.empty() && reader.error().empty()) {
    rest = rest.subspan(reader.feed(rest.first(std::min(piece, rest.size()))));
    if (!reader.has_frame()) continue;
    const std::string body = reader.take();
    wp::collector::ParsedBatch parsed(body.size());
    const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(body.data()),
                                              body.size());
    if (!wire::parse_batch(bytes, *parsed.batch).ok()) continue;
    wp::store::batch_rows("nt-1", *parsed.batch, rows);
    wp::store::keep_new(mark, rows);
    for (const auto& row : rows.alerts) {
      line.clear();
      wp::output::render_eve_alert(*row.alert, wp::store::eve_options(*row.alert), line);
    }
  }
  return 0;
}
