#include "store_thread.h"

#include <chrono>

#include "log.h"
#include "output/eve.h"

namespace wp::collector {
namespace {

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::uint64_t events_of(const watchpost::v1::Batch* b) {
  return b != nullptr ? static_cast<std::uint64_t>(b->events_size()) : 0;
}

google::protobuf::ArenaOptions arena_options(std::size_t wire_bytes) {
  google::protobuf::ArenaOptions o;
  // A parsed alert takes about three times its wire size (strings, map nodes, messages).
  // Block sizes must be multiples of 8: the arena places its cleanup list at the end of a
  // block (an odd size gave misaligned stores, found by the fuzz target under UBSan).
  o.start_block_size = (std::max<std::size_t>(4096, wire_bytes * 3) + 4095) & ~std::size_t{4095};
  o.max_block_size = std::max<std::size_t>(o.start_block_size, 8u << 20);
  return o;
}

}  // namespace

ParsedBatch::ParsedBatch(std::size_t wire_bytes)
    : arena(std::make_unique<google::protobuf::Arena>(arena_options(wire_bytes))),
      batch(google::protobuf::Arena::CreateMessage<watchpost::v1::Batch>(arena.get())) {}

StoreThread::StoreThread(std::unique_ptr<store::Store> store, std::unique_ptr<output::LineFile> eve)
    : store_(std::move(store)), eve_(std::move(eve)), eve_path_(eve_ ? eve_->path() : "") {}

void StoreThread::start() {
  thread_ = std::thread([this] { run(); });
}

StoreThread::~StoreThread() { stop(); }

void StoreThread::submit_batch(std::string sensor, std::string peer, ParsedBatch batch,
                               std::function<void(const Outcome&)> done) {
  auto parsed = std::make_unique<ParsedBatch>(std::move(batch));
  watchpost::v1::Batch* b = parsed->batch;
  store::batch_rows(sensor, *b, parsed->rows);
  {
    std::lock_guard lock(mu_);
    queue_.push_back(
        Work{std::move(sensor), std::move(peer), std::move(parsed), b, false, std::move(done)});
  }
  cv_.notify_one();
}

void StoreThread::submit_connection(std::string sensor, std::string peer, bool open) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(Work{std::move(sensor), std::move(peer), nullptr, nullptr, open, {}});
  }
  cv_.notify_one();
}

void StoreThread::reopen_eve() {
  {
    std::lock_guard lock(mu_);
    reopen_ = true;
  }
  cv_.notify_one();
}

void StoreThread::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) {
    thread_.join();
  } else {
    run();  // never started: process what was submitted, on this thread
  }
}

void StoreThread::run() {
  std::deque<Work> group;
  for (;;) {
    bool reopen = false;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return !queue_.empty() || stopping_ || reopen_; });
      reopen = std::exchange(reopen_, false);
      if (queue_.empty() && stopping_ && !reopen) break;
      // Group commit: whole batches, as many as are queued up to kGroupEvents events.
      std::uint64_t events = 0;
      while (!queue_.empty() &&
             (group.empty() || events + events_of(queue_.front().batch) <= kGroupEvents)) {
        events += events_of(queue_.front().batch);
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (reopen && !eve_path_.empty()) {
      const std::string& path = eve_path_;
      if (eve_) {
        eve_->close();
        totals_.eve_lines += eve_->lines_written();
        totals_.eve_lines_not_written += eve_->lines_not_written();
      }
      auto f = output::LineFile::open(path);
      if (f) {
        eve_ = std::move(f).value();
        eve_error_logged_ = false;
        log_info("reopened the EVE file " + path);
      } else {
        log_error("cannot reopen the EVE file: " + f.error().describe() +
                  "; alerts are still stored, not written to the EVE file until a SIGHUP "
                  "reopens it");
        eve_.reset();
      }
    }
    if (!group.empty()) process(group);
    group.clear();
  }
  if (eve_) {
    eve_->close();
    totals_.eve_lines += eve_->lines_written();
    totals_.eve_lines_not_written += eve_->lines_not_written();
    if (eve_->write_errors() > 0) {
      log_error("EVE file " + eve_->path() + ": " + std::to_string(eve_->lines_not_written()) +
                " lines not written (" + eve_->first_error() + ")");
    }
  }
}

void StoreThread::process(std::deque<Work>& group) {
  const std::int64_t now = now_us();
  std::vector<Outcome> outcomes(group.size());
  std::string error;
  if (auto r = store_->begin(); !r) error = r.error().describe();
  for (std::size_t i = 0; i < group.size() && error.empty(); ++i) {
    Work& w = group[i];
    if (!w.batch) {
      if (auto r = store_->set_connected(w.sensor, w.peer, w.open, now); !r) {
        error = r.error().describe();
      }
      continue;
    }
    store::BatchRows& rows = w.parsed->rows;
    if (auto r = store_->add(w.sensor, w.peer, *w.batch, now, rows); !r) {
      error = r.error().describe();
      break;
    }
    Outcome& o = outcomes[i];
    o.epoch = w.batch->epoch();
    o.stored = rows.stored();
    o.duplicates = rows.duplicates;
    if (w.batch->events_size() > 0) {
      o.acked_seq = rows.last_seq;
    } else {
      auto m = store_->mark(w.sensor, w.batch->epoch());
      if (!m) {
        error = m.error().describe();
        break;
      }
      o.acked_seq = *m;
    }
    if (rows.gap > 0) {
      log_warning("sensor " + w.sensor + " (" + w.peer + ") epoch " +
                  std::to_string(w.batch->epoch()) + ": " + std::to_string(rows.gap) +
                  " sequence numbers before " + std::to_string(w.batch->first_seq()) +
                  " never arrived (dropped by the sensor's spool?)");
    }
  }
  if (error.empty()) {
    if (auto r = store_->commit(); !r) error = r.error().describe();
  }
  ++totals_.transactions;
  if (!error.empty()) {
    store_->rollback();
    ++totals_.failed_transactions;
    log_error("store transaction failed, nothing of it acknowledged: " + error);
    for (std::size_t i = 0; i < group.size(); ++i) {
      if (!group[i].done) continue;
      Outcome o;
      o.epoch = group[i].batch->epoch();
      o.error = "collector store failed: " + error;
      group[i].done(o);
    }
    return;
  }
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (!group[i].batch) continue;
    ++totals_.batches;
    totals_.alerts += group[i].parsed->rows.alerts.size();
    totals_.stats += group[i].parsed->rows.stats.size();
    totals_.records += group[i].parsed->rows.records.size();
    totals_.duplicates += group[i].parsed->rows.duplicates;
    if (eve_) write_eve(group[i].parsed->rows);
  }
  if (eve_ && !eve_->flush() && !eve_error_logged_) {
    log_error("cannot write the EVE file " + eve_->path() + ": " + eve_->first_error() +
              "; alerts are still stored and acknowledged, their EVE lines are counted as lost");
    eve_error_logged_ = true;
  }
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (group[i].done) group[i].done(outcomes[i]);
  }
}

void StoreThread::write_eve(const store::BatchRows& rows) {
  for (const store::AlertRow& row : rows.alerts) {
    eve_line_.clear();
    output::render_eve_alert(*row.alert, store::eve_options(*row.alert), eve_line_);
    eve_->write_line(eve_line_);
  }
  for (const store::RecordRow& row : rows.records) {
    eve_line_.clear();
    if (row.event->has_flow()) {
      output::render_eve_flow(row.event->flow(), output::EveOptions{}, eve_line_);
    } else {
      output::render_eve_anomaly(row.event->anomaly(), output::EveOptions{}, eve_line_);
    }
    eve_->write_line(eve_line_);
  }
}

}  // namespace wp::collector
