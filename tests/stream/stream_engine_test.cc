#include "stream/stream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace wp::stream {
namespace {

// Drives a StreamEngine with hand-made packet views and records the chunks it delivers.
struct Harness {
  explicit Harness(StreamConfig cfg = {}) : engine(cfg, counters) {
    flow.proto = decode::kProtoTcp;
    flow.client_addr = *IpAddress::parse("192.0.2.1");
    flow.key.lo_addr = flow.client_addr;
    flow.key.hi_addr = *IpAddress::parse("192.0.2.2");
  }
  ~Harness() { engine.release(flow); }

  struct Chunk {
    std::string data;
    std::size_t new_from;
    std::uint64_t base;
    bool to_server;
  };

  // One packet; returns whether it was established as flow:established sees it.
  bool packet(bool to_server, std::uint32_t seq, const std::string& data, std::uint8_t flags = 0x18,
              std::uint32_t ack = 0) {
    decode::Packet p;
    p.proto = decode::kProtoTcp;
    p.tcp_seq = seq;
    p.tcp_ack = ack;
    p.tcp_flags = flags;
    p.tcp_window = 65535;
    p.payload = {reinterpret_cast<const std::uint8_t*>(data.data()), data.size()};
    flow::FlowRef fr{&flow, to_server, false};
    if (engine.track(p, fr) == StreamVerdict::kTracked) {
      engine.reassemble(p, fr, &Harness::on_chunk, this);
    }
    return fr.established;
  }
  // SYN (client ISN `isn`), SYN/ACK (server ISN `server_isn`), ACK: data starts at isn + 1
  // and server_isn + 1.
  void handshake(std::uint32_t isn = 0, std::uint32_t server_isn = 500) {
    packet(true, isn, "", 0x02);
    packet(false, server_isn, "", 0x12, isn + 1);
    packet(true, isn + 1, "", 0x10, server_isn + 1);
  }
  static void on_chunk(void* self, const StreamChunk& c) {
    static_cast<Harness*>(self)->chunks.push_back(
        {std::string(c.data.begin(), c.data.end()), c.new_from, c.base, c.to_server});
  }
  std::string new_bytes() const {
    std::string s;
    for (const Chunk& c : chunks) s += c.data.substr(c.new_from);
    return s;
  }

  Counters counters;
  StreamEngine engine;
  flow::Flow flow;
  std::vector<Chunk> chunks;
};

TEST(StreamEngine, DeliversEveryByteOnceInOrder) {
  Harness h;
  h.handshake(100);  // data starts at 101
  h.packet(true, 101, "hello ");
  h.packet(true, 113, "again");   // out of order
  h.packet(true, 107, "world ");  // fills the hole: both delivered
  h.packet(true, 101, "hello ");  // retransmission: nothing new
  EXPECT_EQ(h.new_bytes(), "hello world again");
  ASSERT_EQ(h.chunks.size(), 3u);
  EXPECT_EQ(h.chunks[1].data, "hello world ");  // the window precedes the new bytes
  EXPECT_EQ(h.chunks[1].new_from, 6u);
  EXPECT_EQ(h.chunks[2].new_from, 12u);
}

TEST(StreamEngine, SlidesTheWindowAndKeepsStreamOffsets) {
  StreamConfig cfg;
  cfg.inspect_window = 64;
  Harness h(cfg);
  h.handshake();
  std::string all;
  for (int i = 0; i < 20; ++i) {
    std::string seg(50, static_cast<char>('a' + i));
    h.packet(true, 1 + 50 * i, seg);
    all += seg;
  }
  EXPECT_EQ(h.new_bytes(), all);
  for (const auto& c : h.chunks) {
    // Every chunk is the stream from its base: the data matches the stream at that offset.
    EXPECT_EQ(c.data, all.substr(c.base, c.data.size()));
    EXPECT_LE(c.data.size() - c.new_from, 128u);
  }
  // Once slid, the window before new data is the configured 64 bytes (or more).
  EXPECT_GE(h.chunks.back().new_from, 64u);
  EXPECT_GT(h.chunks.back().base, 0u);
}

TEST(StreamEngine, SplitsASegmentLargerThanTheBufferIntoChunks) {
  StreamConfig cfg;
  cfg.inspect_window = 256;
  Harness h(cfg);
  h.handshake();
  std::string big;
  for (int i = 0; i < 5000; ++i) big += static_cast<char>('A' + i % 26);
  h.packet(true, 1, big);
  EXPECT_EQ(h.new_bytes(), big);
  EXPECT_GT(h.chunks.size(), 1u);
  for (const auto& c : h.chunks) EXPECT_EQ(c.data, big.substr(c.base, c.data.size()));
}

TEST(StreamEngine, UntrackedWithoutHandshakeUnlessMidstream) {
  Harness h;
  EXPECT_FALSE(h.packet(true, 1, "data"));
  EXPECT_EQ(h.engine.sessions(), 0u);
  EXPECT_EQ(h.flow.state, flow::FlowState::kNew);
  EXPECT_TRUE(h.chunks.empty());
  StreamConfig mid;
  mid.midstream = true;
  Harness m(mid);
  EXPECT_TRUE(m.packet(true, 1, "data"));  // picked up: established, reassembled
  EXPECT_EQ(m.flow.state, flow::FlowState::kEstablished);
  EXPECT_EQ(m.new_bytes(), "data");
  EXPECT_EQ(m.counters.get("stream.midstream_pickups"), 1u);
}

TEST(StreamEngine, HandshakeSetsTheFlowStateAndTheBareAckIsNotEstablished) {
  Harness h;
  EXPECT_FALSE(h.packet(true, 0, "", 0x02));
  EXPECT_EQ(StreamEngine::state(h.flow), TcpState::kSynSent);
  EXPECT_FALSE(h.packet(false, 500, "", 0x12, 1));
  EXPECT_EQ(StreamEngine::state(h.flow), TcpState::kSynRecv);
  EXPECT_EQ(h.flow.state, flow::FlowState::kNew);
  EXPECT_FALSE(h.packet(true, 1, "", 0x10, 501));  // completes it, without data
  EXPECT_EQ(StreamEngine::state(h.flow), TcpState::kEstablished);
  EXPECT_EQ(h.flow.state, flow::FlowState::kEstablished);
  EXPECT_TRUE(h.packet(true, 1, "", 0x10, 501));  // the next one is established
}

TEST(StreamEngine, ResetAnsweringTheSynClosesBeforeEstablishment) {
  Harness h;
  h.packet(true, 0, "", 0x02);
  h.packet(false, 0, "", 0x14, 7);  // RST|ACK acknowledging something else: not believed
  EXPECT_EQ(StreamEngine::state(h.flow), TcpState::kSynSent);
  h.packet(false, 0, "", 0x14, 1);  // connection refused
  EXPECT_EQ(StreamEngine::state(h.flow), TcpState::kClosed);
  EXPECT_EQ(h.flow.state, flow::FlowState::kClosed);
  EXPECT_EQ(h.counters.get("stream.rst_invalid"), 1u);
}

TEST(StreamEngine, ForgedFinBehindOrAheadOfTheStreamDoesNotCutIt) {
  Harness h;
  h.handshake();
  h.packet(true, 1, "0123456789");
  h.packet(true, 3, "", 0x11);                 // FIN behind the delivered data: stale, ignored
  h.packet(true, 21, "", 0x11);                // FIN ahead of the stream (a hole before it)
  h.packet(true, 11, "abcdefghijklmnopqrst");  // in-order data over its position wins
  EXPECT_EQ(h.new_bytes(), "0123456789abcdefghijklmnopqrst");
  EXPECT_EQ(h.counters.get("stream.fin_superseded"), 1u);
  EXPECT_EQ(h.counters.get("stream.data_after_fin"), 0u);
}

TEST(StreamEngine, ReleasingAFlowReturnsItsMemory) {
  Harness h;
  h.handshake();
  h.packet(true, 1, std::string(1000, 'x'));
  h.packet(true, 5000, std::string(1000, 'y'));  // out of order, buffered
  EXPECT_EQ(h.engine.sessions(), 1u);
  EXPECT_GT(h.engine.pool().in_use(), 0u);
  h.engine.release(h.flow);
  EXPECT_EQ(h.engine.sessions(), 0u);
  EXPECT_EQ(h.engine.pool().in_use(), 0u);
  EXPECT_EQ(h.flow.stream_state, nullptr);
}

TEST(StreamEngine, FinBothWaysReturnsTheBuffersAtOnce) {
  Harness h;
  h.handshake();
  h.packet(true, 1, "request", 0x19);  // data + FIN
  EXPECT_GT(h.engine.pool().in_use(), 0u);
  h.packet(false, 501, "response", 0x19);
  EXPECT_EQ(h.engine.pool().in_use(), 0u);
  EXPECT_EQ(h.counters.get("stream.closed"), 1u);
  EXPECT_EQ(h.new_bytes(), "requestresponse");
}

TEST(StreamEngine, ResetAtTheExpectedSequenceClosesAForgedOneDoesNot) {
  Harness h;
  h.handshake();
  h.packet(true, 1, "EVIL");
  h.packet(true, 999, "", 0x04);  // RST far from the stream's position: not believed
  h.packet(true, 5, "PATTERN");
  EXPECT_EQ(h.chunks.back().data, "EVILPATTERN");
  h.packet(true, 12, "", 0x04);   // RST at the next expected byte
  EXPECT_EQ(h.counters.get("stream.closed"), 1u);
  EXPECT_EQ(h.engine.pool().in_use(), 0u);
  h.packet(true, 12, "more");     // nothing after the reset
  EXPECT_EQ(h.new_bytes(), "EVILPATTERN");
}

TEST(StreamEngine, OutOfOrderLimitDropsAndCountsWhatDoesNotFit) {
  StreamConfig cfg;
  cfg.max_ooo_bytes = 100;
  Harness h(cfg);
  h.handshake();
  h.packet(true, 51, std::string(80, 'a'));  // buffered
  h.packet(true, 200, std::string(80, 'b')); // over the limit: dropped
  EXPECT_EQ(h.counters.get("stream.reassembly_memcap_drop"), 1u);
  h.packet(true, 1, std::string(50, 'c'));
  EXPECT_EQ(h.new_bytes(), std::string(50, 'c') + std::string(80, 'a'));
}

TEST(StreamEngine, RandomSegmentationReorderingAndDuplicatesDeliverTheExactStream) {
  // Property: however a stream is cut, reordered and partly retransmitted (with the same
  // bytes), every byte is delivered exactly once, in order, and each chunk's window is the
  // stream at its base offset. Fixed seeds: reproducible.
  for (std::uint32_t seed = 1; seed <= 200; ++seed) {
    std::mt19937 rng(seed);
    StreamConfig cfg;
    cfg.inspect_window = 64 + rng() % 512;
    Harness h(cfg);
    const std::uint32_t isn = rng();  // anywhere, wrap-around included
    std::string stream(1 + rng() % 6000, '\0');
    for (char& c : stream) c = static_cast<char>('a' + rng() % 26);
    struct Seg {
      std::uint32_t off, len;
    };
    std::vector<Seg> segs;
    for (std::uint32_t off = 0; off < stream.size();) {
      const std::uint32_t len = std::min<std::uint32_t>(1 + rng() % 700, static_cast<std::uint32_t>(stream.size()) - off);
      segs.push_back({off, len});
      off += len;
    }
    // Overlapping retransmissions of random spans (identical bytes).
    const std::size_t extra = rng() % 8;
    for (std::size_t i = 0; i < extra; ++i) {
      const std::uint32_t off = rng() % stream.size();
      segs.push_back({off, std::min<std::uint32_t>(1 + rng() % 900, static_cast<std::uint32_t>(stream.size()) - off)});
    }
    std::shuffle(segs.begin(), segs.end(), rng);
    h.handshake(isn);
    for (const Seg& sg : segs) h.packet(true, isn + 1 + sg.off, stream.substr(sg.off, sg.len));
    ASSERT_EQ(h.new_bytes(), stream) << "seed " << seed;
    for (const auto& c : h.chunks) {
      ASSERT_EQ(c.data, stream.substr(c.base, c.data.size())) << "seed " << seed;
      ASSERT_LT(c.new_from, c.data.size()) << "seed " << seed;
    }
  }
}

TEST(PolicyMap, MostSpecificEntryWinsAndOthersUseTheDefault) {
  PolicyMap m;
  ASSERT_TRUE(m.add("10.0.0.0/8", OverlapPolicy::kFirst));
  ASSERT_TRUE(m.add("10.1.0.0/16", OverlapPolicy::kLinux));
  ASSERT_TRUE(m.add("2001:db8::/32", OverlapPolicy::kSolaris));
  EXPECT_FALSE(m.add("10.0.0.0/33", OverlapPolicy::kLast));
  EXPECT_FALSE(m.add("not-an-address", OverlapPolicy::kLast));
  EXPECT_EQ(m.lookup(*IpAddress::parse("10.2.3.4")), OverlapPolicy::kFirst);
  EXPECT_EQ(m.lookup(*IpAddress::parse("10.1.3.4")), OverlapPolicy::kLinux);
  EXPECT_EQ(m.lookup(*IpAddress::parse("11.0.0.1")), OverlapPolicy::kBsd);
  EXPECT_EQ(m.lookup(*IpAddress::parse("2001:db8::5")), OverlapPolicy::kSolaris);
  EXPECT_EQ(m.lookup(*IpAddress::parse("2001:db9::5")), OverlapPolicy::kBsd);
}

TEST(PolicyMap, SuricataPolicyNamesAreRecognised) {
  OverlapPolicy p;
  for (const char* name : {"bsd", "bsd-right", "old-linux", "linux", "old-solaris", "solaris",
                           "hpux10", "hpux11", "irix", "macos", "windows", "vista", "windows2k3",
                           "first", "last"}) {
    EXPECT_TRUE(parse_overlap_policy(name, p)) << name;
  }
  EXPECT_FALSE(parse_overlap_policy("beos", p));
}

}  // namespace
}  // namespace wp::stream
