#include "flow/flow_table.h"

#include <gtest/gtest.h>

#include <cstddef>

#include "common/counters.h"

namespace wp::flow {
namespace {

decode::Packet tcp(const char* src, std::uint16_t sport, const char* dst, std::uint16_t dport,
                   std::uint8_t flags, std::int64_t sec = 1000) {
  decode::Packet p;
  p.ip_version = 4;
  p.src = *IpAddress::parse(src);
  p.dst = *IpAddress::parse(dst);
  p.sport = sport;
  p.dport = dport;
  p.proto = decode::kProtoTcp;
  p.tcp_flags = flags;
  p.ts = {sec, 0};
  p.wirelen = 60;
  return p;
}

decode::Packet udp(const char* src, std::uint16_t sport, const char* dst, std::uint16_t dport,
                   std::int64_t sec) {
  decode::Packet p = tcp(src, sport, dst, dport, 0, sec);
  p.proto = decode::kProtoUdp;
  return p;
}

constexpr std::uint8_t kSyn = decode::kTcpSyn;
constexpr std::uint8_t kSynAck = decode::kTcpSyn | decode::kTcpAck;
constexpr std::uint8_t kAck = decode::kTcpAck;

FlowConfig small(std::size_t flows) {
  FlowConfig c;
  c.memcap = flows * sizeof(Flow);
  c.hash_size = 64;
  return c;
}

TEST(FlowTable, BothDirectionsFindTheSameFlow) {
  Counters counters;
  FlowTable t(small(100), counters);
  FlowRef a = t.process(tcp("10.0.0.1", 40000, "10.0.0.2", 80, kSyn));
  FlowRef b = t.process(tcp("10.0.0.2", 80, "10.0.0.1", 40000, kSynAck));
  EXPECT_TRUE(a.created);
  EXPECT_FALSE(b.created);
  EXPECT_EQ(a.flow, b.flow);
  EXPECT_TRUE(a.to_server);
  EXPECT_FALSE(b.to_server);
  EXPECT_EQ(counters.get("flow.total"), 1u);
}

TEST(FlowTable, FlowIdIsNonZeroFiftyOneBitsAndStable) {
  Counters counters;
  FlowTable t(small(100), counters);
  FlowRef a = t.process(tcp("10.0.0.1", 40000, "10.0.0.2", 80, kSyn));
  const std::uint64_t id = a.flow->flow_id;
  EXPECT_NE(id, 0u);
  EXPECT_LT(id, std::uint64_t{1} << 51);
  FlowRef b = t.process(tcp("10.0.0.2", 80, "10.0.0.1", 40000, kSynAck));
  EXPECT_EQ(b.flow->flow_id, id);
  FlowRef other = t.process(tcp("10.0.0.1", 40001, "10.0.0.2", 80, kSyn));
  EXPECT_NE(other.flow->flow_id, id);
}

TEST(FlowTable, LeavesTcpStateToTheStreamStage) {
  // The flow table never decides a TCP session's state (the stream stage does): packets
  // both ways, even a full handshake or a reset, leave a TCP flow new.
  Counters counters;
  FlowTable t(small(100), counters);
  FlowRef r = t.process(tcp("10.0.0.1", 40000, "10.0.0.2", 80, kSyn));
  r = t.process(tcp("10.0.0.2", 80, "10.0.0.1", 40000, kSynAck));
  r = t.process(tcp("10.0.0.1", 40000, "10.0.0.2", 80, kAck));
  EXPECT_EQ(r.flow->state, FlowState::kNew);
  EXPECT_FALSE(r.established);
  r = t.process(tcp("10.0.0.1", 40000, "10.0.0.2", 80, decode::kTcpRst));
  EXPECT_EQ(r.flow->state, FlowState::kNew);
}

TEST(FlowTable, SynOnAClosedTcpFlowStartsANewFlow) {
  Counters counters;
  FlowTable t(small(100), counters);
  FlowRef r = t.process(tcp("10.0.0.1", 40000, "10.0.0.2", 80, kSyn));
  const std::uint64_t id = r.flow->flow_id;
  r.flow->state = FlowState::kEstablished;  // as the stream stage sets it
  EXPECT_FALSE(t.process(tcp("10.0.0.1", 40000, "10.0.0.2", 80, kSyn)).created);
  r.flow->state = FlowState::kClosed;
  FlowRef again = t.process(tcp("10.0.0.1", 40000, "10.0.0.2", 80, kSyn));
  EXPECT_TRUE(again.created);
  EXPECT_NE(again.flow->flow_id, id);
  EXPECT_EQ(counters.get("flow.tcp_reuse"), 1u);
}

TEST(FlowTable, SynAckFirstMakesTheReceiverTheClient) {
  Counters counters;
  FlowTable t(small(100), counters);
  FlowRef r = t.process(tcp("10.0.0.2", 80, "10.0.0.1", 40000, kSynAck));
  EXPECT_FALSE(r.to_server);
}

TEST(FlowTable, UdpIsEstablishedOncePacketsFlowBothWays) {
  Counters counters;
  FlowTable t(small(100), counters);
  FlowRef r = t.process(udp("10.0.0.1", 5353, "10.0.0.2", 53, 10));
  EXPECT_FALSE(r.flow->established());
  EXPECT_FALSE(r.established);
  r = t.process(udp("10.0.0.2", 53, "10.0.0.1", 5353, 10));
  EXPECT_TRUE(r.flow->established());
  EXPECT_TRUE(r.established);
}

TEST(FlowTable, VlanSeparatesOtherwiseIdenticalFlows) {
  Counters counters;
  FlowTable t(small(100), counters);
  decode::Packet p = udp("10.0.0.1", 1, "10.0.0.2", 2, 10);
  FlowRef a = t.process(p);
  p.vlan[0] = 100;
  p.vlan_count = 1;
  FlowRef b = t.process(p);
  EXPECT_NE(a.flow->flow_id, b.flow->flow_id);
}

TEST(FlowTable, ThirdVlanLayerSeparatesOtherwiseIdenticalFlows) {
  Counters counters;
  FlowTable t(small(100), counters);
  decode::Packet p = udp("10.0.0.1", 1, "10.0.0.2", 2, 10);
  p.vlan[0] = 1;
  p.vlan[1] = 2;
  p.vlan_count = 2;
  FlowRef a = t.process(p);
  p.vlan[2] = 3;
  p.vlan_count = 3;
  FlowRef b = t.process(p);
  EXPECT_NE(a.flow->flow_id, b.flow->flow_id);
  EXPECT_EQ(t.active(), 2u);
}

TEST(FlowTable, KeyOfUntaggedTrafficHasTheBytesItHadBeforeTheThirdVlan) {
  // Flow ids derive from the key's bytes: the third VLAN id sits where padding was, zero for
  // traffic without it, so existing flow ids did not change.
  FlowKey k;
  EXPECT_EQ(sizeof(FlowKey), 44u);
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(&k);
  for (std::size_t i = offsetof(FlowKey, proto); i < sizeof(FlowKey); ++i) EXPECT_EQ(bytes[i], 0) << i;
}

TEST(FlowTable, ExpiresFlowsAfterTheirTimeoutInPacketTime) {
  Counters counters;
  FlowConfig c = small(100);
  c.timeouts.udp_new = 30;
  FlowTable t(c, counters);
  FlowRef a = t.process(udp("10.0.0.1", 1, "10.0.0.2", 2, 100));
  const std::uint64_t id = a.flow->flow_id;
  t.process(udp("10.0.0.3", 1, "10.0.0.4", 2, 120));  // within the timeout
  EXPECT_EQ(t.active(), 2u);
  t.process(udp("10.0.0.5", 1, "10.0.0.6", 2, 140));  // 40 s after the first flow
  EXPECT_EQ(counters.get("flow.timeout"), 1u);
  FlowRef again = t.process(udp("10.0.0.1", 1, "10.0.0.2", 2, 141));
  EXPECT_TRUE(again.created);
  EXPECT_NE(again.flow->flow_id, id);
}

TEST(FlowTable, EstablishedTcpOutlivesTheNewFlowTimeoutOnceRefiled) {
  Counters counters;
  FlowConfig c = small(100);
  c.timeouts.tcp_new = 60;
  c.timeouts.tcp_established = 600;
  c.timeouts.tcp_closed = 10;
  FlowTable t(c, counters);
  t.process(tcp("10.0.0.1", 40000, "10.0.0.2", 80, kSyn, 100));
  t.process(tcp("10.0.0.2", 80, "10.0.0.1", 40000, kSynAck, 100));
  FlowRef r = t.process(tcp("10.0.0.1", 40000, "10.0.0.2", 80, kAck, 100));
  r.flow->state = FlowState::kEstablished;  // the stream stage completed the handshake
  t.refile(*r.flow);
  FlowRef closing = t.process(tcp("10.0.0.3", 40000, "10.0.0.4", 80, kSyn, 100));
  closing.flow->state = FlowState::kClosed;
  t.refile(*closing.flow);
  t.process(tcp("10.0.0.7", 40000, "10.0.0.8", 80, kSyn, 300));
  EXPECT_EQ(counters.get("flow.timeout"), 1u);  // the closed one, after 10 s
  r = t.process(tcp("10.0.0.1", 40000, "10.0.0.2", 80, kAck, 301));
  EXPECT_FALSE(r.created);
}

TEST(FlowTable, GrowsInChunksUpToTheMemcapInsteadOfPreallocatingIt) {
  // flow.memcap is a ceiling: a table allowed a million flows holds only flow.prealloc at
  // start and grows by chunks as flows arrive.
  Counters counters;
  FlowConfig c = small(1000000);
  c.prealloc = 100;
  FlowTable t(c, counters);
  EXPECT_EQ(t.capacity(), 1000000u);
  EXPECT_EQ(t.allocated(), 4096u);  // flow.prealloc, rounded up to whole chunks
  for (int i = 0; i < 5000; ++i) {
    decode::Packet p = udp("10.0.0.1", 1, "10.0.0.2", 2, 10);
    p.sport = static_cast<std::uint16_t>(1000 + i);
    ASSERT_TRUE(t.process(p).created);
  }
  EXPECT_EQ(t.active(), 5000u);
  EXPECT_GE(t.allocated(), 5000u);
  EXPECT_LT(t.allocated(), 5000u + 4096u);
  EXPECT_EQ(counters.get("flow.evicted"), 0u);
}

TEST(FlowTable, EvictsLeastRecentlyUsedFlowWhenFull) {
  Counters counters;
  FlowTable t(small(16), counters);
  ASSERT_EQ(t.capacity(), 16u);
  for (int i = 0; i < 16; ++i) {
    std::string src = "10.1.0." + std::to_string(i + 1);
    t.process(udp(src.c_str(), 1000, "10.0.0.2", 53, 10 + i));
  }
  // Touch the first flow so the second becomes the least recently used.
  t.process(udp("10.1.0.1", 1000, "10.0.0.2", 53, 27));
  t.process(udp("10.9.9.9", 1000, "10.0.0.2", 53, 27));
  EXPECT_EQ(counters.get("flow.evicted"), 1u);
  EXPECT_EQ(t.active(), 16u);
  EXPECT_FALSE(t.process(udp("10.1.0.1", 1000, "10.0.0.2", 53, 27)).created);
  EXPECT_TRUE(t.process(udp("10.1.0.2", 1000, "10.0.0.2", 53, 27)).created);
}

TEST(FlowTable, ManyFlowsKeepDistinctIdentities) {
  Counters counters;
  FlowTable t(small(5000), counters);
  for (int i = 0; i < 4000; ++i) {
    decode::Packet p = udp("10.0.0.1", 1, "10.0.0.2", 2, 10);
    p.sport = static_cast<std::uint16_t>(1000 + i);
    ASSERT_TRUE(t.process(p).created);
  }
  for (int i = 0; i < 4000; ++i) {
    decode::Packet p = udp("10.0.0.2", 2, "10.0.0.1", 1, 10);
    p.dport = static_cast<std::uint16_t>(1000 + i);
    FlowRef r = t.process(p);
    ASSERT_FALSE(r.created);
    ASSERT_FALSE(r.to_server);
  }
  EXPECT_EQ(counters.get("flow.total"), 4000u);
}

}  // namespace
}  // namespace wp::flow
