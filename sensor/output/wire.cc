#include "output/wire.h"

#include <algorithm>

namespace wp::output::wire {

std::array<std::uint8_t, kHeaderSize> header(std::uint32_t length) {
  return {static_cast<std::uint8_t>(length >> 24), static_cast<std::uint8_t>(length >> 16),
          static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length)};
}

Result<std::uint32_t> frame_length(std::span<const std::uint8_t, kHeaderSize> h, std::uint32_t max) {
  const std::uint32_t n = (std::uint32_t{h[0]} << 24) | (std::uint32_t{h[1]} << 16) |
                          (std::uint32_t{h[2]} << 8) | h[3];
  if (n == 0) return make_error("empty frame");
  if (n > max) {
    return make_error("frame of " + std::to_string(n) + " bytes exceeds the limit of " +
                      std::to_string(max));
  }
  return n;
}

Result<void> append_frame(const google::protobuf::MessageLite& message, std::string& out) {
  const std::size_t n = message.ByteSizeLong();
  if (n == 0 || n > kMaxFrame) {
    return make_error("message of " + std::to_string(n) + " bytes cannot be framed (limit " +
                      std::to_string(kMaxFrame) + ")");
  }
  const auto h = header(static_cast<std::uint32_t>(n));
  out.append(reinterpret_cast<const char*>(h.data()), h.size());
  const std::size_t at = out.size();
  out.resize(at + n);
  if (!message.SerializeToArray(out.data() + at, static_cast<int>(n))) {
    out.resize(at - h.size());
    return make_error("message could not be serialized");
  }
  return {};
}

Result<void> parse_batch(std::span<const std::uint8_t> body, watchpost::v1::Batch& b) {
  if (body.size() > kMaxFrame) return make_error("batch larger than a frame");
  if (!b.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return make_error("batch does not parse as watchpost.v1.Batch");
  }
  if (b.sensor_id().size() > kMaxIdLength || b.site().size() > kMaxIdLength) {
    return make_error("sensor_id or site longer than " + std::to_string(kMaxIdLength) + " bytes");
  }
  if (b.events_size() > kMaxBatchEvents) {
    return make_error("batch of " + std::to_string(b.events_size()) + " events exceeds " +
                      std::to_string(kMaxBatchEvents));
  }
  if (b.events_size() > 0 && b.first_seq() == 0) return make_error("sequence numbers start at 1");
  for (int i = 0; i < b.events_size(); ++i) {
    const watchpost::v1::Event& e = b.events(i);
    if (e.seq() != b.first_seq() + static_cast<std::uint64_t>(i)) {
      return make_error("event " + std::to_string(i) + " has seq " + std::to_string(e.seq()) +
                        ", expected " + std::to_string(b.first_seq() + i));
    }
    if (e.kind_case() == watchpost::v1::Event::KIND_NOT_SET ||
        e.kind_case() == watchpost::v1::Event::kHeartbeat) {
      return make_error("event seq " + std::to_string(e.seq()) +
                        " is not an alert, stats, flow or anomaly event");
    }
  }
  return {};
}

Result<void> parse_ack(std::span<const std::uint8_t> body, watchpost::v1::Ack& a) {
  if (body.size() > kMaxFrame || !a.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return make_error("ack does not parse as watchpost.v1.Ack");
  }
  if (a.error().size() > 4096) return make_error("ack error text longer than 4096 bytes");
  return {};
}

std::size_t FrameReader::feed(std::span<const std::uint8_t> bytes) {
  std::size_t used = 0;
  while (used < bytes.size() && error_.empty() && !has_frame()) {
    if (!have_header_) {
      const std::size_t n = std::min(kHeaderSize - head_len_, bytes.size() - used);
      std::copy_n(bytes.data() + used, n, head_.data() + head_len_);
      head_len_ += n;
      used += n;
      if (head_len_ < kHeaderSize) continue;
      auto len = frame_length(std::span<const std::uint8_t, kHeaderSize>(head_), max_);
      if (!len) {
        error_ = len.error().message;
        break;
      }
      want_ = len.value();
      have_header_ = true;
      body_.clear();
      continue;
    }
    const std::size_t n = std::min<std::size_t>(want_ - body_.size(), bytes.size() - used);
    body_.append(reinterpret_cast<const char*>(bytes.data() + used), n);
    used += n;
  }
  return used;
}

std::string FrameReader::take() {
  std::string out = std::move(body_);
  body_.clear();
  have_header_ = false;
  head_len_ = 0;
  want_ = 0;
  return out;
}

}  // namespace wp::output::wire
