// Spool: the sensor's on-disk queue of events for the collector (docs/delivery.md, "Spool").
// Every event is appended here, which numbers it, before it is written to the EVE file and
// before it is sent; it stays until the collector acknowledges it (or the size bound drops
// it, counted). Layout of the directory DIR/<sensor id>/:
//   lock                 flock()ed by the owning process, which writes its pid into it
//   meta                 epoch and acknowledged seq, with a CRC-32C; replaced by rename
//   seg-<first seq>.wps  segments: a 24-byte header (magic "WPSPOOL1", u64 epoch, u64 first
//                        seq) then records [u32 length][u32 CRC-32C of seq and payload]
//                        [u64 seq][payload: a serialized watchpost.v1.Event], little-endian
//
// Threads: append() runs on the output thread; read(), rewind() and ack() on the shipper's
// thread; the counters and backlog() anywhere. One mutex guards the state, held only for one
// append, one read of a batch or one ack (file I/O on local disk, never a socket).
// Ownership: the Spool owns its file descriptors and the lock; destroying it releases them.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "output/sinks.h"
#include "watchpost/v1/event.pb.h"

namespace wp::output {

// CRC-32C (Castagnoli, reflected, as iSCSI and ext4 use it). `crc` continues a running value:
// crc32c(b, crc32c(a)) == crc32c(a + b).
std::uint32_t crc32c(std::span<const std::uint8_t> data, std::uint32_t crc = 0);

inline constexpr std::uint64_t kMinSpoolSize = 64 * 1024;
inline constexpr std::uint64_t kMaxSegmentSize = 64ull << 20;
inline constexpr std::size_t kSegmentHeaderSize = 24;
inline constexpr std::size_t kRecordHeaderSize = 16;
// Most bytes read() takes from a segment file at once.
inline constexpr std::size_t kReadAhead = 256 * 1024;
// Sequence numbers above this are damage (a million events a second would take 146,000
// years to reach it), so a crafted or corrupted seq can never wrap the numbering around.
inline constexpr std::uint64_t kMaxSeq = 1ull << 62;

struct SpoolConfig {
  std::string dir;                      // base directory; the spool is dir/<sensor_id>
  std::string sensor_id;                // must not be empty
  std::uint64_t max_size = 1ull << 30;  // collector.spool-max-size, from kMinSpoolSize
  bool sync = false;                    // collector.spool-sync: fsync at flush() and on ack
};

// Where a segment's bytes stop making sense. Used by the spool's scan at open, by read() and
// by the fuzz target.
enum class RecordStatus {
  kOk,         // a whole record whose CRC matches
  kCorrupt,    // length plausible but CRC or sequence wrong: skip `size` bytes
  kTruncated,  // the record runs past the end of the bytes (a torn last write)
  kBadLength,  // length 0 or above the frame limit: nothing after it can be trusted
};

struct RecordView {
  RecordStatus status = RecordStatus::kOk;
  std::uint64_t seq = 0;
  std::span<const std::uint8_t> payload;  // into the parsed bytes; valid while they are
  std::size_t size = 0;                   // bytes of the whole record (header + payload)
};

// Parses the record at the start of `bytes` (which must not be empty).
RecordView parse_record(std::span<const std::uint8_t> bytes);

// Segment header fields; an error when the magic is wrong or the header is short.
struct SegmentHeader {
  std::uint64_t epoch = 0;
  std::uint64_t first_seq = 0;
};
Result<SegmentHeader> parse_segment_header(std::span<const std::uint8_t> bytes);

// Appends one record to `out` (for the spool and for tests that build damaged segments).
void append_record(std::uint64_t seq, std::string_view payload, std::string& out);

// The spool directory to use for `configured` (collector.spool-dir): it when it can be
// created and written, else $XDG_STATE_HOME/watchpost/spool, else
// $HOME/.local/state/watchpost/spool. Each rejected directory adds a warning; an error when
// none is usable.
Result<std::string> choose_spool_dir(const std::string& configured,
                                     std::vector<std::string>& warnings);

class Spool {
 public:
  // Opens (or creates) dir/<sensor id>, takes its lock (another process holding it is an
  // error naming its pid), reads meta (a new random epoch when there is none) and scans every
  // segment: corrupt records are counted and skipped, a torn tail is cut off the last
  // segment. `warnings` gets one line per thing found and repaired.
  static Result<std::unique_ptr<Spool>> open(const SpoolConfig& config,
                                             std::vector<std::string>& warnings);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // Numbers `event` (seq, and spooled_us when it is 0), writes its record, and calls the
  // append callback. Makes room first by dropping the oldest segments when the spool would
  // exceed max_size (dropped_events() counts their unacknowledged events). false when the
  // write failed (counted by write_errors(); the event is then not in the spool).
  bool append(watchpost::v1::Event& event);
  // With sync: fsync the segment being written. Output thread.
  void flush();

  // The shipper's read position: the next read() returns events from `seq` on (or the oldest
  // event after it that is still spooled).
  void rewind(std::uint64_t seq);
  // Appends up to `max_events` consecutive records (and no more than `max_bytes` of them,
  // but always one) from the read position to `payloads` (each a serialized Event) and
  // returns the first one's seq (0 when nothing was read).
  // Stops early at a gap in the sequence (a corrupt or dropped record), so a batch always
  // holds consecutive events; the next read starts after the gap.
  std::uint64_t read(std::size_t max_events, std::size_t max_bytes,
                     std::vector<std::string>& payloads);
  // The collector has stored everything up to `seq`: records it in meta and deletes the
  // segments holding only acknowledged events. Ignored unless above acked().
  void ack(std::uint64_t seq);

  // Called after each successful append, on the appending thread with the spool's lock held
  // (so it must be short and must not call the spool); nullptr removes it.
  void set_append_callback(std::function<void()> callback);

  std::uint64_t epoch() const { return epoch_; }
  std::uint64_t acked() const { return acked_.load(std::memory_order_acquire); }
  // The seq of the last event appended (or found at open); 0 when there was none.
  std::uint64_t last_seq() const { return last_seq_.load(std::memory_order_acquire); }
  // Events spooled and not acknowledged.
  std::uint64_t backlog() const;
  std::uint64_t corrupt_records() const { return corrupt_.load(std::memory_order_relaxed); }
  std::uint64_t dropped_events() const { return dropped_.load(std::memory_order_relaxed); }
  std::uint64_t write_errors() const { return write_errors_.load(std::memory_order_relaxed); }
  // Bytes of all segments.
  std::uint64_t size() const;
  const std::string& dir() const { return dir_; }
  // The first write error's text; empty when there was none.
  std::string first_error() const;

 private:
  struct Segment {
    std::uint64_t first_seq = 0;  // from the name and header
    std::uint64_t last_seq = 0;   // of its last good record; 0 while it has none
    std::uint64_t events = 0;     // good records
    std::uint64_t bytes = 0;      // file size
    std::uint64_t checked = 0;    // bytes up to which corrupt records were already counted
    std::string path;
  };
  struct Cursor {
    std::size_t segment = 0;     // index into segments_
    std::uint64_t offset = 0;    // byte offset of the next record to look at
    std::uint64_t next_seq = 1;  // the seq wanted next
    bool placed = false;         // segment/offset point at next_seq (else search)
  };

  Spool(const SpoolConfig& config, std::string dir, int lock_fd);
  Result<void> load(std::vector<std::string>& warnings);
  // Counts and skips damaged records; cuts a torn tail off the last segment; removes a
  // segment whose header is bad or of another epoch (seg.path is then cleared).
  Result<void> scan_segment(Segment& seg, bool last, bool have_meta,
                            std::vector<std::string>& warnings);
  static std::string_view trim_pid(std::string_view text);
  Result<void> write_meta();
  Result<void> start_segment(std::uint64_t first_seq);
  void remove_front_segment();
  void drop_oldest_segment();  // remove_front_segment(), counting its unacknowledged events
  void delete_acked_segments();
  std::uint64_t unacked_in(const Segment& seg) const;

  SpoolConfig config_;
  std::string dir_;
  int lock_fd_ = -1;
  int write_fd_ = -1;  // the last segment, open for appends
  int read_fd_ = -1;   // the cursor's segment
  std::string read_path_;
  std::uint64_t epoch_ = 0;
  std::uint64_t segment_target_ = 0;  // start a new segment beyond this size

  mutable std::mutex mu_;
  std::vector<Segment> segments_;  // oldest first; the last one is written to
  std::uint64_t total_bytes_ = 0;
  std::uint64_t next_seq_ = 1;
  Cursor cursor_;
  std::string record_;  // reused buffer of one record
  std::string payload_;  // reused buffer of one serialized event
  // read()'s read-ahead: bytes of the cursor's segment from file offset ahead_offset_ (one
  // pread fills it; two preads per record cost more than sending the events).
  std::vector<std::uint8_t> ahead_;
  std::uint64_t ahead_offset_ = 0;
  std::string first_error_;
  bool dirty_ = false;  // appended since the last flush()

  std::atomic<std::uint64_t> acked_{0};
  std::atomic<std::uint64_t> last_seq_{0};
  std::atomic<std::uint64_t> corrupt_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> write_errors_{0};
  std::function<void()> on_append_;
};

// The output thread's first sink: numbers each event by appending it to the spool, so the
// EVE and fast.log sinks after it only ever write what is already spooled.
class SpoolSink final : public EventSink {
 public:
  explicit SpoolSink(Spool& spool) : spool_(spool) {}
  void write(watchpost::v1::Event& event) override { spool_.append(event); }
  void flush() override { spool_.flush(); }

 private:
  Spool& spool_;
};

}  // namespace wp::output
