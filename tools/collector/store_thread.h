// StoreThread: the one thread that owns the Store (and the collector's EVE file). The io
// thread submits work (parsed batches, connection open/close notices); the store thread takes
// everything queued — whole batches up to kGroupEvents events — into one transaction (group
// commit), commits, writes the stored alerts to the EVE file, then calls each batch's `done`
// with its outcome. `done` runs on the store thread and must only hand the outcome over
// (post it to the io_context); it is called after the commit, never before.
#pragma once

#include <google/protobuf/arena.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "output/line_file.h"
#include "store.h"
#include "watchpost/v1/event.pb.h"

namespace wp::collector {

// A batch parsed into its own protobuf arena: its thousands of small allocations are made
// by the io thread and released at once, as a few blocks, by the store thread.
struct ParsedBatch {
  // An arena whose first block fits a message parsed from `wire_bytes` bytes.
  explicit ParsedBatch(std::size_t wire_bytes);
  std::unique_ptr<google::protobuf::Arena> arena;
  watchpost::v1::Batch* batch = nullptr;  // owned by `arena`
  store::BatchRows rows;                  // batch_rows() of it, made by submit_batch()
};

// What happened to a batch; sent back to the sensor as an Ack.
struct Outcome {
  std::uint64_t epoch = 0;
  std::uint64_t acked_seq = 0;  // the batch's last seq, or the mark for an empty batch
  std::string error;            // non-empty: not stored (the store failed); nothing acked
  std::uint64_t stored = 0;
  std::uint64_t duplicates = 0;
};

struct StoreTotals {
  std::uint64_t batches = 0;
  std::uint64_t alerts = 0;
  std::uint64_t stats = 0;
  std::uint64_t records = 0;  // flow records and anomalies
  std::uint64_t duplicates = 0;
  std::uint64_t transactions = 0;
  std::uint64_t failed_transactions = 0;
  std::uint64_t eve_lines = 0;
  std::uint64_t eve_lines_not_written = 0;
};

class StoreThread {
 public:
  static constexpr std::uint64_t kGroupEvents = 10000;

  // Takes the store and the EVE file (may be null); start() starts the thread.
  StoreThread(std::unique_ptr<store::Store> store, std::unique_ptr<output::LineFile> eve);
  ~StoreThread();  // stop()s
  StoreThread(const StoreThread&) = delete;
  StoreThread& operator=(const StoreThread&) = delete;

  // Starts the thread. Work submitted before is processed then, grouped as usual.
  void start();

  // Any thread. Converts the batch to rows (store::batch_rows) on the calling thread, so the
  // io thread shares that work with the store thread. `done` is called once, on the store
  // thread, after the batch's transaction.
  void submit_batch(std::string sensor, std::string peer, ParsedBatch batch,
                    std::function<void(const Outcome&)> done);
  void submit_connection(std::string sensor, std::string peer, bool open);
  // Reopens the EVE file (SIGHUP) before the next transaction's lines are written.
  void reopen_eve();
  // Processes everything submitted so far, then ends the thread. Idempotent.
  void stop();

  // Valid after stop().
  const StoreTotals& totals() const { return totals_; }

 private:
  struct Work {
    std::string sensor;
    std::string peer;
    std::unique_ptr<ParsedBatch> parsed;  // null: a connection notice
    watchpost::v1::Batch* batch = nullptr;
    bool open = false;
    std::function<void(const Outcome&)> done;
  };

  void run();
  void process(std::deque<Work>& group);
  void write_eve(const store::BatchRows& rows);

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<output::LineFile> eve_;  // null when --eve is not given or cannot reopen
  const std::string eve_path_;
  std::string eve_line_;
  bool eve_error_logged_ = false;
  StoreTotals totals_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Work> queue_;
  bool stopping_ = false;
  bool reopen_ = false;
  std::thread thread_;
};

}  // namespace wp::collector
