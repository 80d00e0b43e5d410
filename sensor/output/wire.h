// The collector wire format (proto/README.md): frames of a 4-byte big-endian length followed
// by one serialized message (Batch sensor -> collector, Ack collector -> sensor), each at most
// kMaxFrame bytes. Shared by the sensor's shipper, the collector and the fuzz target; depends
// only on proto/ and common/. Everything here is bounded: a length above the limit, a
// message that does not parse or a batch whose sequence numbers do not follow is an error
// naming what was wrong, never a crash or an unbounded allocation.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "common/result.h"
#include "watchpost/v1/event.pb.h"

namespace wp::output::wire {

inline constexpr std::uint32_t kMaxFrame = 16u << 20;   // bytes of one message
inline constexpr std::size_t kHeaderSize = 4;
inline constexpr int kMaxBatchEvents = 100000;          // events in one batch
inline constexpr std::size_t kMaxIdLength = 256;        // sensor_id, site

// The frame header for a message of `length` bytes.
std::array<std::uint8_t, kHeaderSize> header(std::uint32_t length);

// The message length a header announces; an error when it is 0 or above `max`.
Result<std::uint32_t> frame_length(std::span<const std::uint8_t, kHeaderSize> header,
                                   std::uint32_t max = kMaxFrame);

// Appends header + serialized `message` to `out`; an error when it exceeds kMaxFrame.
Result<void> append_frame(const google::protobuf::MessageLite& message, std::string& out);

// Parses a Batch body and checks it: ids within kMaxIdLength, at most kMaxBatchEvents events,
// seq = first_seq + i for every event, seq > 0, and each event of a kind the collector stores
// (alert or stats). The error says which rule failed.
Result<void> parse_batch(std::span<const std::uint8_t> body, watchpost::v1::Batch& out);

// Parses an Ack body.
Result<void> parse_ack(std::span<const std::uint8_t> body, watchpost::v1::Ack& out);

// Splits a byte stream into frames, for callers that read in arbitrary pieces (tests, the
// fuzz target). Holds at most one frame plus a header.
class FrameReader {
 public:
  explicit FrameReader(std::uint32_t max = kMaxFrame) : max_(max) {}
  // Appends bytes; returns how many were consumed (all of them unless a frame completed:
  // then call take() and feed the rest).
  std::size_t feed(std::span<const std::uint8_t> bytes);
  bool has_frame() const { return have_header_ && body_.size() == want_; }
  // The completed frame's body; resets for the next frame.
  std::string take();
  // Set once a header was invalid; the stream cannot be resynchronised after it.
  const std::string& error() const { return error_; }

 private:
  std::uint32_t max_;
  std::array<std::uint8_t, kHeaderSize> head_{};
  std::size_t head_len_ = 0;
  bool have_header_ = false;
  std::uint32_t want_ = 0;
  std::string body_;
  std::string error_;
};

}  // namespace wp::output::wire
