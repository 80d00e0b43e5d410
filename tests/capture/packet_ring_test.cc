#include "capture/packet_ring.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace wp::capture {
namespace {

RawPacket packet(const std::vector<std::uint8_t>& bytes, std::uint64_t number) {
  RawPacket p;
  p.ts = Timestamp{1751339045, static_cast<std::uint32_t>(number % 1000000)};
  p.data = bytes.data();
  p.caplen = static_cast<std::uint32_t>(bytes.size());
  p.wirelen = p.caplen + 4;
  p.linktype = 1;
  p.number = number;
  p.source = 3;
  return p;
}

TEST(PacketRing, DeliversFramesAndTheirFieldsInOrder) {
  PacketRing ring(1 << 20);
  const std::vector<std::uint8_t> a = {1, 2, 3}, b(1500, 0xab);
  ASSERT_TRUE(ring.push(packet(a, 1)));
  ASSERT_TRUE(ring.push(packet(b, 2)));
  RawPacket out;
  ASSERT_TRUE(ring.peek(out));
  EXPECT_EQ(std::vector<std::uint8_t>(out.data, out.data + out.caplen), a);
  EXPECT_EQ(out.number, 1u);
  EXPECT_EQ(out.wirelen, 7u);
  EXPECT_EQ(out.source, 3u);
  EXPECT_EQ(out.ts, (Timestamp{1751339045, 1}));
  ring.pop();
  ASSERT_TRUE(ring.peek(out));
  EXPECT_EQ(std::vector<std::uint8_t>(out.data, out.data + out.caplen), b);
  ring.pop();
  EXPECT_FALSE(ring.peek(out));
  EXPECT_TRUE(ring.empty());
}

TEST(PacketRing, FullRingRefusesAFrameUntilTheConsumerReleasesOne) {
  PacketRing ring(1 << 20);
  const std::vector<std::uint8_t> big(60000, 1);
  int pushed = 0;
  while (ring.push(packet(big, static_cast<std::uint64_t>(pushed)))) ++pushed;
  EXPECT_EQ(pushed, 17);  // 1 MiB / (60000 + header)
  RawPacket out;
  ASSERT_TRUE(ring.peek(out));
  ring.pop();
  EXPECT_TRUE(ring.push(packet(big, 99)));
}

TEST(PacketRing, FrameLargerThanAQuarterOfTheRingIsRefused) {
  PacketRing ring(1 << 20);
  const std::vector<std::uint8_t> huge(ring.max_caplen() + 1, 0);
  EXPECT_FALSE(ring.push(packet(huge, 1)));
  EXPECT_TRUE(ring.empty());
}

TEST(PacketRing, WrapsAroundItsEndWithFramesOfEverySize) {
  PacketRing ring(1 << 20);
  std::uint64_t next_in = 0, next_out = 0;
  RawPacket out;
  for (int round = 0; round < 20000; ++round) {
    const std::size_t len = (round * 7919) % 9000;
    std::vector<std::uint8_t> bytes(len, static_cast<std::uint8_t>(next_in));
    while (!ring.push(packet(bytes, next_in))) {
      ASSERT_TRUE(ring.peek(out));
      ASSERT_EQ(out.number, next_out);
      for (std::uint32_t i = 0; i < out.caplen; ++i) ASSERT_EQ(out.data[i], static_cast<std::uint8_t>(next_out));
      ring.pop();
      ++next_out;
    }
    ++next_in;
  }
  while (ring.peek(out)) {
    ASSERT_EQ(out.number, next_out++);
    ring.pop();
  }
  EXPECT_EQ(next_out, next_in);
}

TEST(PacketRing, ProducerAndConsumerThreadsSeeEveryFrameOnceInOrder) {
  PacketRing ring(1 << 20);
  constexpr std::uint64_t kFrames = 200000;
  std::thread producer([&] {
    std::vector<std::uint8_t> bytes(64);
    for (std::uint64_t i = 0; i < kFrames; ++i) {
      bytes.assign((i % 1400) + 1, static_cast<std::uint8_t>(i));
      while (!ring.push(packet(bytes, i))) std::this_thread::yield();
    }
  });
  std::uint64_t expected = 0;
  bool ok = true;
  RawPacket out;
  while (expected < kFrames) {
    if (!ring.peek(out)) continue;
    ok = ok && out.number == expected && out.caplen == (expected % 1400) + 1 &&
         out.data[out.caplen - 1] == static_cast<std::uint8_t>(expected);
    ring.pop();
    ++expected;
  }
  producer.join();
  EXPECT_TRUE(ok);
  EXPECT_TRUE(ring.empty());
}

}  // namespace
}  // namespace wp::capture
