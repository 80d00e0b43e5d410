#include "app/dispatch.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "support/packet_builder.h"

namespace wp::app {
namespace {

using testing::ip;

capture::RawPacket raw(const testing::Frame& f, int linktype = 1) {
  capture::RawPacket p;
  p.data = f.data();
  p.caplen = static_cast<std::uint32_t>(f.size());
  p.wirelen = p.caplen;
  p.linktype = linktype;
  return p;
}

TEST(Dispatch, BothDirectionsOfAFlowGoToTheSameWorker) {
  testing::TcpSpec out, back;
  out.sport = 40000;
  out.dport = 80;
  back.sport = 80;
  back.dport = 40000;
  const auto a = testing::tcp_packet(ip("10.0.0.1"), ip("10.0.0.2"), out, "x");
  const auto b = testing::tcp_packet(ip("10.0.0.2"), ip("10.0.0.1"), back, "y");
  EXPECT_EQ(dispatch_hash(raw(a)), dispatch_hash(raw(b)));
  const auto a6 = testing::tcp_packet(ip("2001:db8::1"), ip("2001:db8::2"), out, "x");
  const auto b6 = testing::tcp_packet(ip("2001:db8::2"), ip("2001:db8::1"), back, "y");
  EXPECT_EQ(dispatch_hash(raw(a6)), dispatch_hash(raw(b6)));
  EXPECT_NE(dispatch_hash(raw(a)), 0u);
}

TEST(Dispatch, EveryFragmentGoesWhereTheUnfragmentedPacketsOfItsFlowGo) {
  for (const char* pair : {"4", "6"}) {
    const bool v6 = std::string(pair) == "6";
    const IpAddress src = ip(v6 ? "2001:db8::1" : "10.0.0.1");
    const IpAddress dst = ip(v6 ? "2001:db8::2" : "10.0.0.2");
    const auto whole = testing::udp_packet(src, dst, 5000, 53, "small");
    const auto big = testing::udp_packet(src, dst, 5000, 53, std::string(3000, 'q'));
    const auto reply = testing::udp_packet(dst, src, 53, 5000, "answer");
    const std::uint64_t h = dispatch_hash(raw(whole));
    EXPECT_EQ(dispatch_hash(raw(reply)), h) << pair;
    for (const auto& f : testing::fragment(big, 512)) EXPECT_EQ(dispatch_hash(raw(f)), h) << pair;
  }
}

TEST(Dispatch, VlanTagsAndRawIpHashTheSameAddresses) {
  testing::L4Options tagged;
  tagged.vlans = {100, 200};
  const auto plain = testing::udp_packet(ip("10.0.0.1"), ip("10.0.0.2"), 1, 2, "p");
  const auto qinq = testing::udp_packet(ip("10.0.0.1"), ip("10.0.0.2"), 1, 2, "p", tagged);
  const auto rawip = testing::udp_packet(ip("10.0.0.1"), ip("10.0.0.2"), 1, 2, "p", {}, false);
  EXPECT_EQ(dispatch_hash(raw(qinq)), dispatch_hash(raw(plain)));
  EXPECT_EQ(dispatch_hash(raw(rawip, 101)), dispatch_hash(raw(plain)));
}

TEST(Dispatch, MplsAndPppHashTheIpAddressesTheyCarry) {
  const auto plain = testing::udp_packet(ip("10.0.0.1"), ip("10.0.0.2"), 1, 2, "p");
  const auto reply = testing::udp_packet(ip("10.0.0.2"), ip("10.0.0.1"), 2, 1, "r");
  const auto ip4 = testing::ip_part(plain);
  const auto over_mpls = testing::ethernet_frame(0x8847, testing::mpls({16, 17}, ip4));
  EXPECT_EQ(dispatch_hash(raw(over_mpls)), dispatch_hash(raw(plain)));
  testing::Frame pw = {0, 0, 0, 0};
  pw.insert(pw.end(), reply.begin(), reply.end());
  const auto pseudowire = testing::ethernet_frame(0x8847, testing::mpls({20}, pw));
  EXPECT_EQ(dispatch_hash(raw(pseudowire)), dispatch_hash(raw(plain)));
  EXPECT_EQ(dispatch_hash(raw(testing::ppp(0x0021, ip4), 9)), dispatch_hash(raw(plain)));
  EXPECT_EQ(dispatch_hash(raw(testing::ppp(0x0021, ip4, false), 9)), dispatch_hash(raw(plain)));
}

TEST(Dispatch, BothDirectionsOfATunnelledFlowShareTheOuterPair) {
  // GRE between two endpoints: the inner flow's two directions travel between the same
  // outer addresses, so they meet in one worker whatever the inner addresses.
  const auto inner_out = testing::ip_part(testing::udp_packet(ip("172.16.0.1"), ip("172.16.0.2"), 1, 2, "a"));
  const auto inner_back = testing::ip_part(testing::udp_packet(ip("172.16.0.2"), ip("172.16.0.1"), 2, 1, "b"));
  const auto out = testing::ip_packet(ip("192.0.2.1"), ip("192.0.2.2"), 47, testing::gre(0x0800, inner_out));
  const auto back = testing::ip_packet(ip("192.0.2.2"), ip("192.0.2.1"), 47, testing::gre(0x0800, inner_back));
  EXPECT_EQ(dispatch_hash(raw(out)), dispatch_hash(raw(back)));
}

TEST(Dispatch, FramesWithoutAnIpHeaderGoToTheFirstWorker) {
  testing::Frame arp(42, 0);
  arp[12] = 0x08;
  arp[13] = 0x06;
  EXPECT_EQ(dispatch_hash(raw(arp)), 0u);
  EXPECT_EQ(dispatch_worker(raw(arp), 4), 0u);
  const testing::Frame runt = {1, 2, 3};
  EXPECT_EQ(dispatch_hash(raw(runt)), 0u);
  testing::Frame cut = testing::udp_packet(ip("10.0.0.1"), ip("10.0.0.2"), 1, 2, "p");
  cut.resize(20);  // the IP header is cut short
  EXPECT_EQ(dispatch_hash(raw(cut)), 0u);
}

TEST(Dispatch, ManyAddressPairsSpreadOverEveryWorker) {
  std::vector<int> per_worker(4, 0);
  for (int h = 0; h < 1000; ++h) {
    const auto f = testing::udp_packet(ip("10.1." + std::to_string(h / 250) + "." + std::to_string(h % 250)),
                                       ip("10.2.0.1"), 1, 2, "p");
    ++per_worker[dispatch_worker(raw(f), 4)];
  }
  for (int n : per_worker) {
    EXPECT_GT(n, 200);
    EXPECT_LT(n, 300);
  }
}

}  // namespace
}  // namespace wp::app
