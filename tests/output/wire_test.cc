#include "output/wire.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace wp::output::wire {
namespace {

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

watchpost::v1::Batch batch_of(std::uint64_t first, int n) {
  watchpost::v1::Batch b;
  b.set_sensor_id("nt-1");
  b.set_site("nha-trang");
  b.set_epoch(42);
  b.set_first_seq(first);
  for (int i = 0; i < n; ++i) {
    auto* e = b.add_events();
    e->set_seq(first + static_cast<std::uint64_t>(i));
    e->mutable_alert()->mutable_signature()->set_signature_id(2000000 + i);
  }
  return b;
}

TEST(Wire, FramesRoundTripThroughTheReaderInAnyPieces) {
  std::string stream;
  ASSERT_TRUE(append_frame(batch_of(1, 3), stream).ok());
  ASSERT_TRUE(append_frame(batch_of(4, 2), stream).ok());
  for (std::size_t piece : {1u, 3u, 7u, 1000u}) {
    FrameReader r;
    std::vector<watchpost::v1::Batch> got;
    std::span<const std::uint8_t> rest = bytes(stream);
    while (!rest.empty()) {
      rest = rest.subspan(r.feed(rest.first(std::min(piece, rest.size()))));
      if (r.has_frame()) {
        const std::string body = r.take();
        watchpost::v1::Batch b;
        ASSERT_TRUE(parse_batch(bytes(body), b).ok());
        got.push_back(b);
      }
    }
    ASSERT_EQ(got.size(), 2u) << piece;
    EXPECT_EQ(got[1].first_seq(), 4u);
    EXPECT_EQ(got[1].events(1).seq(), 5u);
    EXPECT_TRUE(r.error().empty());
  }
}

TEST(Wire, RejectsEmptyAndOversizedLengthPrefixes) {
  struct Case {
    std::array<std::uint8_t, 4> head;
    std::string error;
  };
  const Case cases[] = {
      {{0, 0, 0, 0}, "empty frame"},
      {{0xff, 0xff, 0xff, 0xff}, "frame of 4294967295 bytes exceeds the limit of 16777216"},
      {{0x01, 0x00, 0x00, 0x01}, "frame of 16777217 bytes exceeds the limit of 16777216"},
  };
  for (const Case& c : cases) {
    auto n = frame_length(std::span<const std::uint8_t, 4>(c.head));
    ASSERT_FALSE(n.ok());
    EXPECT_EQ(n.error().message, c.error);
    FrameReader r;
    r.feed(c.head);
    EXPECT_EQ(r.error(), c.error);
    EXPECT_FALSE(r.has_frame());
  }
  EXPECT_EQ(frame_length(std::span<const std::uint8_t, 4>(header(kMaxFrame))).value(), kMaxFrame);
}

TEST(Wire, RejectsBatchesThatDoNotHoldTogether) {
  struct Case {
    std::string what;
    watchpost::v1::Batch batch;
    std::string error;
  };
  std::vector<Case> cases;
  {
    auto b = batch_of(10, 3);
    b.mutable_events(1)->set_seq(12);
    cases.push_back({"gap", b, "event 1 has seq 12, expected 11"});
  }
  cases.push_back({"zero", batch_of(0, 1), "sequence numbers start at 1"});
  {
    auto b = batch_of(1, 1);
    b.mutable_events(0)->clear_alert();
    cases.push_back({"empty event", b, "event seq 1 is not an alert, stats, flow or anomaly event"});
  }
  {
    auto b = batch_of(1, 0);
    b.set_sensor_id(std::string(300, 'x'));
    cases.push_back({"long id", b, "sensor_id or site longer than 256 bytes"});
  }
  for (const Case& c : cases) {
    std::string body;
    ASSERT_TRUE(c.batch.SerializeToString(&body));
    watchpost::v1::Batch out;
    auto r = parse_batch(bytes(body), out);
    ASSERT_FALSE(r.ok()) << c.what;
    EXPECT_EQ(r.error().message, c.error) << c.what;
  }
  watchpost::v1::Batch out;
  const std::string garbage = "\xff\xff\xff\xff\x0f garbage that is not protobuf";
  EXPECT_EQ(parse_batch(bytes(garbage), out).error().message,
            "batch does not parse as watchpost.v1.Batch");
  EXPECT_TRUE(parse_batch(bytes(std::string()), out).ok()) << "an empty batch is a heartbeat";
}

}  // namespace
}  // namespace wp::output::wire
