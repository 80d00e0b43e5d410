// Tunnels and the link layers around them (GRE, ERSPAN, MPLS, PPP, VXLAN, Geneve, Teredo,
// IP-in-IP): the packet is the innermost one, the outer layer is recorded for alerts, every
// cut is survived with the right anomaly, nesting is bounded.
#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "decode/decoder.h"
#include "support/packet_builder.h"

namespace wp::decode {
namespace {

using testing::Frame;
using testing::ip;

const IpAddress kOuterA = ip("203.0.113.1");
const IpAddress kOuterB = ip("203.0.113.2");
const IpAddress kOuterA6 = ip("2001:db8:ffff::1");
const IpAddress kOuterB6 = ip("2001:db8:ffff::2");
const IpAddress kInnerSrc = ip("10.0.0.1");
const IpAddress kInnerDst = ip("10.0.0.2");
const IpAddress kInnerSrc6 = ip("fd00::1");
const IpAddress kInnerDst6 = ip("fd00::2");

constexpr std::uint8_t kGre = 47;

struct Harness {
  Harness() : decoder({}, counters) {}
  // Decodes a copy of `f` (kept in `frame`, so the packet's spans outlive a temporary).
  DecodeStatus decode(const Frame& f, int linktype = 1) {
    frame = f;
    raw.data = frame.data();
    raw.caplen = raw.wirelen = static_cast<std::uint32_t>(frame.size());
    raw.linktype = linktype;
    raw.ts = Timestamp{1700000000, 0};
    raw.number = ++number;
    return decoder.decode(raw, pkt);
  }
  std::string payload() const { return std::string(pkt.payload.begin(), pkt.payload.end()); }
  Counters counters;
  Decoder decoder;
  Packet pkt;
  capture::RawPacket raw;
  Frame frame;
  std::uint64_t number = 0;
};

// The inner packets: TCP 10.0.0.1:40000 -> 10.0.0.2:80 (or fd00::1 -> fd00::2) "inner data".
Frame inner_tcp4() {
  return testing::tcp_packet(kInnerSrc, kInnerDst, {}, "inner data", {}, false);
}
Frame inner_tcp6() {
  return testing::tcp_packet(kInnerSrc6, kInnerDst6, {}, "inner data", {}, false);
}
Frame inner_eth4() { return testing::ethernet_frame(0x0800, inner_tcp4()); }
Frame gre_frame(std::uint16_t protocol, const Frame& inner, const testing::GreOptions& o = {}) {
  return testing::ip_packet(kOuterA, kOuterB, kGre, testing::gre(protocol, inner, o));
}
Frame udp_tunnel(std::uint16_t dport, const Frame& payload, std::uint16_t sport = 50000) {
  return testing::udp_packet(kOuterA, kOuterB, sport, dport, testing::as_text(payload));
}

struct TunnelCase {
  const char* name;
  std::function<Frame()> frame;
  int linktype;
  int inner_version;
  std::uint8_t depth;
  std::uint8_t outer_proto;  // tunnel_proto when depth > 0
  const char* counter;       // the layer's packet counter
};

std::vector<TunnelCase> tunnel_cases() {
  using testing::GreOptions;
  return {
      {"GRE IPv4", [] { return gre_frame(0x0800, inner_tcp4()); }, 1, 4, 1, kGre, "decoder.gre"},
      {"GRE with checksum, key and sequence, IPv6",
       [] {
         GreOptions o;
         o.checksum = true;
         o.key = 7;
         o.sequence = 1;
         return gre_frame(0x86dd, inner_tcp6(), o);
       },
       1, 6, 1, kGre, "decoder.gre"},
      {"GRE PPP", [] { return gre_frame(0x880b, testing::ppp(0x0021, inner_tcp4())); }, 1, 4, 1,
       kGre, "decoder.ppp"},
      {"PPTP enhanced GRE (version 1) PPP",
       [] {
         GreOptions o;
         o.version = 1;
         o.key = 5;
         o.sequence = 9;
         return gre_frame(0x880b, testing::ppp(0x0021, inner_tcp4(), false), o);
       },
       1, 4, 1, kGre, "decoder.ppp"},
      {"GRE transparent Ethernet bridging", [] { return gre_frame(0x6558, inner_eth4()); }, 1, 4, 1,
       kGre, "decoder.gre"},
      {"ERSPAN type I", [] { return gre_frame(0x88be, inner_eth4()); }, 1, 4, 1, kGre,
       "decoder.gre"},
      {"ERSPAN type II",
       [] {
         GreOptions o;
         o.sequence = 3;
         return gre_frame(0x88be, testing::erspan2(0, 12, inner_eth4()), o);
       },
       1, 4, 1, kGre, "decoder.erspan"},
      {"ERSPAN type III",
       [] {
         GreOptions o;
         o.sequence = 3;
         return gre_frame(0x22eb, testing::erspan3(0, 12, inner_eth4()), o);
       },
       1, 4, 1, kGre, "decoder.erspan"},
      {"MPLS unicast, two labels, IPv4",
       [] {
         return testing::ethernet_frame(0x8847, testing::mpls({1000, 2000}, inner_tcp4()));
       },
       1, 4, 0, 0, "decoder.mpls"},
      {"MPLS multicast IPv6",
       [] { return testing::ethernet_frame(0x8848, testing::mpls({3000}, inner_tcp6())); }, 1, 6, 0,
       0, "decoder.mpls"},
      {"MPLS IPv4 explicit null",
       [] { return testing::ethernet_frame(0x8847, testing::mpls({0}, inner_tcp4())); }, 1, 4, 0, 0,
       "decoder.mpls"},
      {"MPLS Ethernet pseudowire",
       [] {
         Frame pw = {0, 0, 0, 0};  // control word
         const Frame eth = inner_eth4();
         pw.insert(pw.end(), eth.begin(), eth.end());
         return testing::ethernet_frame(0x8847, testing::mpls({4000}, pw));
       },
       1, 4, 0, 0, "decoder.mpls"},
      {"MPLS in GRE", [] { return gre_frame(0x8847, testing::mpls({5000}, inner_tcp4())); }, 1, 4,
       1, kGre, "decoder.mpls"},
      {"VXLAN", [] { return udp_tunnel(4789, testing::vxlan(42, inner_eth4())); }, 1, 4, 1, 17,
       "decoder.vxlan"},
      {"Geneve Ethernet with options",
       [] { return udp_tunnel(6081, testing::geneve(0x6558, 42, inner_eth4(), 2)); }, 1, 4, 1, 17,
       "decoder.geneve"},
      {"Geneve IPv6", [] { return udp_tunnel(6081, testing::geneve(0x86dd, 1, inner_tcp6())); }, 1,
       6, 1, 17, "decoder.geneve"},
      {"Teredo", [] { return udp_tunnel(3544, inner_tcp6()); }, 1, 6, 1, 17, "decoder.teredo"},
      {"Teredo with origin indication, from the server port",
       [] { return udp_tunnel(50000, testing::teredo_origin(40000, kOuterB, inner_tcp6()), 3544); },
       1, 6, 1, 17, "decoder.teredo"},
      {"IPv4 in IPv4", [] { return testing::ip_packet(kOuterA, kOuterB, 4, inner_tcp4()); }, 1, 4,
       1, 4, "decoder.ipv4_in_ip"},
      {"IPv6 in IPv4", [] { return testing::ip_packet(kOuterA, kOuterB, 41, inner_tcp6()); }, 1, 6,
       1, 41, "decoder.ipv6_in_ip"},
      {"IPv6 in IPv6", [] { return testing::ip_packet(kOuterA6, kOuterB6, 41, inner_tcp6()); }, 1,
       6, 1, 41, "decoder.ipv6_in_ip"},
      {"IPv4 in IPv6", [] { return testing::ip_packet(kOuterA6, kOuterB6, 4, inner_tcp4()); }, 1, 4,
       1, 4, "decoder.ipv4_in_ip"},
      {"PPP link type", [] { return testing::ppp(0x0021, inner_tcp4()); }, 9, 4, 0, 0,
       "decoder.ppp"},
      {"PPP link type without address and control, IPv6",
       [] { return testing::ppp(0x0057, inner_tcp6(), false); }, 9, 6, 0, 0, "decoder.ppp"},
  };
}

Frame nested_gre_frame(int depth) {
  Frame p = inner_tcp4();
  for (int i = 0; i < depth; ++i) {
    p = testing::ip_part(testing::ip_packet(kOuterA, kOuterB, kGre, testing::gre(0x0800, p)));
  }
  return testing::ethernet_frame(0x0800, p);
}

TEST(Tunnel, DecodesEachTunnelToTheInnerPacket) {
  for (const TunnelCase& c : tunnel_cases()) {
    Harness h;
    const Frame f = c.frame();
    ASSERT_EQ(h.decode(f, c.linktype), DecodeStatus::kOk) << c.name;
    EXPECT_EQ(h.pkt.ip_version, c.inner_version) << c.name;
    EXPECT_EQ(h.pkt.src, c.inner_version == 4 ? kInnerSrc : kInnerSrc6) << c.name;
    EXPECT_EQ(h.pkt.dst, c.inner_version == 4 ? kInnerDst : kInnerDst6) << c.name;
    EXPECT_EQ(h.pkt.proto, kProtoTcp) << c.name;
    EXPECT_EQ(h.pkt.sport, 40000) << c.name;
    EXPECT_EQ(h.pkt.dport, 80) << c.name;
    EXPECT_EQ(h.payload(), "inner data") << c.name;
    EXPECT_FALSE(h.pkt.checksum_bad) << c.name;
    EXPECT_FALSE(h.pkt.has_events()) << c.name;
    EXPECT_EQ(h.pkt.tunnel_depth, c.depth) << c.name;
    EXPECT_EQ(h.counters.get(c.counter), 1u) << c.name;
    if (c.depth > 0) {
      const bool outer6 = f.size() > 13 && f[12] == 0x86 && f[13] == 0xdd;
      EXPECT_EQ(h.pkt.tunnel_proto, c.outer_proto) << c.name;
      EXPECT_EQ(h.pkt.tunnel_src, outer6 ? kOuterA6 : kOuterA) << c.name;
      EXPECT_EQ(h.pkt.tunnel_dst, outer6 ? kOuterB6 : kOuterB) << c.name;
      EXPECT_EQ(h.pkt.tunnel_sport != 0, c.outer_proto == 17) << c.name;
    }
    EXPECT_EQ(h.pkt.frame.data(), h.frame.data()) << c.name;  // the frame is still the outer one
  }
}

TEST(Tunnel, RecordsTheOuterUdpPortsOfAUdpTunnel) {
  Harness h;
  ASSERT_EQ(h.decode(udp_tunnel(4789, testing::vxlan(1, inner_eth4()), 51000)), DecodeStatus::kOk);
  EXPECT_EQ(h.pkt.tunnel_sport, 51000);
  EXPECT_EQ(h.pkt.tunnel_dport, 4789);
  EXPECT_EQ(h.pkt.sport, 40000);
}

TEST(Tunnel, AddsVlansInsideATunnelAfterTheOuterOnes) {
  Harness h;
  testing::L4Options outer;
  outer.vlans = {10};
  Frame inner = testing::ethernet_frame(0x8100, {0x00, 0x14, 0x08, 0x00});  // VLAN 20, IPv4
  const Frame ip4 = inner_tcp4();
  inner.insert(inner.end(), ip4.begin(), ip4.end());
  const Frame f = testing::udp_packet(kOuterA, kOuterB, 50000, 4789,
                                      testing::as_text(testing::vxlan(7, inner)), outer);
  ASSERT_EQ(h.decode(f), DecodeStatus::kOk);
  EXPECT_EQ(h.pkt.vlan_count, 2);
  EXPECT_EQ(h.pkt.vlan[0], 10);
  EXPECT_EQ(h.pkt.vlan[1], 20);
}

TEST(Tunnel, KeepsTheOuterPacketWhenTheTunnelCarriesNoIp) {
  Harness h;
  const Frame arp = testing::ethernet_frame(0x0806, Frame(28, 0));
  ASSERT_EQ(h.decode(gre_frame(0x6558, arp)), DecodeStatus::kOk);
  EXPECT_EQ(h.pkt.tunnel_depth, 0);
  EXPECT_EQ(h.pkt.src, kOuterA);
  EXPECT_EQ(h.pkt.proto, kGre);
  EXPECT_EQ(h.pkt.payload.size(), arp.size());

  ASSERT_EQ(h.decode(udp_tunnel(4789, testing::vxlan(1, arp))), DecodeStatus::kOk);
  EXPECT_EQ(h.pkt.tunnel_depth, 0);
  EXPECT_EQ(h.pkt.proto, kProtoUdp);
  EXPECT_EQ(h.pkt.dport, 4789);

  // An unknown GRE protocol type: the GRE packet is the packet.
  ASSERT_EQ(h.decode(gre_frame(0x1234, inner_tcp4())), DecodeStatus::kOk);
  EXPECT_EQ(h.pkt.tunnel_depth, 0);
  EXPECT_EQ(h.pkt.proto, kGre);
}

TEST(Tunnel, RecordsUnknownVxlanAndGenevePayloadTypes) {
  Harness h;
  const Frame other = testing::ethernet_frame(0x88cc, Frame(30, 0));  // LLDP
  ASSERT_EQ(h.decode(udp_tunnel(4789, testing::vxlan(1, other))), DecodeStatus::kOk);
  EXPECT_TRUE(h.pkt.has_event(DecodeEvent::kVxlanUnknownPayloadType));
  EXPECT_EQ(h.pkt.dport, 4789);
  ASSERT_EQ(h.decode(udp_tunnel(6081, testing::geneve(0x88cc, 1, Frame(30, 0)))),
            DecodeStatus::kOk);
  EXPECT_TRUE(h.pkt.has_event(DecodeEvent::kGeneveUnknownPayloadType));
  EXPECT_EQ(h.counters.get("decoder.vxlan.unknown_payload_type"), 1u);
  EXPECT_EQ(h.counters.get("decoder.geneve.unknown_payload_type"), 1u);
}

TEST(Tunnel, TakesTeredoOnlyForAPlausibleIpv6Packet) {
  Harness h;
  // Not IPv6 at all: a DNS-looking payload on the Teredo port stays UDP.
  ASSERT_EQ(h.decode(udp_tunnel(3544, Frame(60, 0x41))), DecodeStatus::kOk);
  EXPECT_EQ(h.pkt.tunnel_depth, 0);
  EXPECT_EQ(h.pkt.proto, kProtoUdp);
  // An IPv6 header whose payload length disagrees with the UDP payload.
  Frame v6 = inner_tcp6();
  v6.push_back(0);
  ASSERT_EQ(h.decode(udp_tunnel(3544, v6)), DecodeStatus::kOk);
  EXPECT_EQ(h.pkt.tunnel_depth, 0);
  // An authentication indicator (RFC 4380 section 5.1.1): not decoded, as Suricata.
  Frame auth = {0, 1, 0, 0};
  auth.insert(auth.end(), 9, 0);
  const Frame ipv6 = inner_tcp6();
  auth.insert(auth.end(), ipv6.begin(), ipv6.end());
  ASSERT_EQ(h.decode(udp_tunnel(3544, auth)), DecodeStatus::kOk);
  EXPECT_EQ(h.pkt.tunnel_depth, 0);
  EXPECT_EQ(h.counters.get("decoder.teredo"), 0u);
}

TEST(Tunnel, DoesNotTakeVxlanWithoutTheIFlag) {
  Harness h;
  Frame v = testing::vxlan(1, inner_eth4());
  v[0] = 0;
  ASSERT_EQ(h.decode(udp_tunnel(4789, v)), DecodeStatus::kOk);
  EXPECT_EQ(h.pkt.tunnel_depth, 0);
  EXPECT_EQ(h.pkt.dport, 4789);
}

// The tunnel frames cut at every length (the outer headers then claim more than there is)
// and with the tunnel payload cut at every length inside correct outer headers: never a
// crash, spans inside the frame, and a malformed packet always says why.
TEST(Tunnel, SurvivesEveryTruncation) {
  for (const TunnelCase& c : tunnel_cases()) {
    const Frame f = c.frame();
    for (std::size_t n = 0; n < f.size(); ++n) {
      Harness h;
      const Frame cut(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(n));
      const DecodeStatus st = h.decode(cut, c.linktype);
      const Frame& frame = h.frame;
      ASSERT_TRUE(h.pkt.payload.empty() ||
                  (h.pkt.payload.data() >= frame.data() &&
                   h.pkt.payload.data() + h.pkt.payload.size() <= frame.data() + frame.size()))
          << c.name << " cut at " << n;
      if (st == DecodeStatus::kMalformed) {
        EXPECT_TRUE(h.pkt.has_events()) << c.name << " cut at " << n;
      }
    }
  }
}

// Random byte mutations of every tunnel frame, 20000 of them: no crash, the spans stay in
// the frame (or the reassembly buffer), VLAN and depth bounds hold.
TEST(Tunnel, SurvivesMutatedTunnelFrames) {
  std::mt19937 rng(20261206);
  auto rnd = [&](std::uint32_t n) { return n == 0 ? 0u : static_cast<std::uint32_t>(rng() % n); };
  std::vector<std::pair<Frame, int>> corpus;
  for (const TunnelCase& c : tunnel_cases()) corpus.emplace_back(c.frame(), c.linktype);
  corpus.emplace_back(nested_gre_frame(8), 1);
  Harness h;
  std::uint32_t tunnelled = 0;
  for (int i = 0; i < 20000; ++i) {
    auto [f, linktype] = corpus[rnd(static_cast<std::uint32_t>(corpus.size()))];
    const std::uint32_t flips = 1 + rnd(4);
    for (std::uint32_t k = 0; k < flips; ++k) {
      const std::size_t at = rnd(static_cast<std::uint32_t>(f.size()));
      f[at] = rnd(2) != 0 ? static_cast<std::uint8_t>(rng())
                          : static_cast<std::uint8_t>(f[at] ^ (1u << rnd(8)));
    }
    if (rnd(4) == 0) f.resize(rnd(static_cast<std::uint32_t>(f.size() + 1)));
    h.decode(f, linktype);
    const std::uint8_t* begin = h.frame.data();
    const std::uint8_t* end = h.frame.data() + h.frame.size();
    if (!h.pkt.reassembled) {
      ASSERT_TRUE(h.pkt.payload.empty() || (h.pkt.payload.data() >= begin &&
                                            h.pkt.payload.data() + h.pkt.payload.size() <= end))
          << "iteration " << i;
      ASSERT_TRUE(h.pkt.l3.empty() ||
                  (h.pkt.l3.data() >= begin && h.pkt.l3.data() + h.pkt.l3.size() <= end))
          << "iteration " << i;
    }
    ASSERT_LE(h.pkt.vlan_count, Packet::kMaxVlans) << "iteration " << i;
    ASSERT_LE(h.pkt.tunnel_depth, 8) << "iteration " << i;
    tunnelled += h.pkt.tunnel_depth > 0;
  }
  EXPECT_GT(tunnelled, 1000u) << "mutations should leave many tunnels decodable";
}

struct CutCase {
  const char* name;
  Frame payload;                      // the tunnel layer and what it carries
  std::function<Frame(Frame)> wrap;   // builds the frame around a cut payload
  std::vector<DecodeEvent> expected;  // the events a cut inside the layer's header may give
  std::size_t header;                 // cuts below this length are inside the header
};

TEST(Tunnel, CountsTheLayersAnomalyForAPayloadCutInItsHeader) {
  auto in_gre = [](Frame p) { return testing::ip_packet(kOuterA, kOuterB, kGre, p); };
  testing::GreOptions keyed;
  keyed.key = 1;
  keyed.sequence = 2;
  testing::GreOptions pptp;
  pptp.version = 1;
  pptp.sequence = 1;
  testing::GreOptions seq;
  seq.sequence = 1;
  const std::vector<CutCase> cases = {
      {"GRE", testing::gre(0x0800, inner_tcp4()), in_gre, {DecodeEvent::kGrePktTooSmall}, 4},
      {"GRE with key and sequence",
       testing::gre(0x0800, inner_tcp4(), keyed),
       in_gre,
       {DecodeEvent::kGrePktTooSmall, DecodeEvent::kGreVersion0HdrTooBig},
       12},
      {"PPTP GRE",
       testing::gre(0x880b, testing::ppp(0x21, inner_tcp4()), pptp),
       in_gre,
       {DecodeEvent::kGrePktTooSmall, DecodeEvent::kGreVersion1HdrTooBig},
       12},
      {"PPP in GRE",
       testing::ppp(0x21, inner_tcp4()),
       [&](Frame p) { return in_gre(testing::gre(0x880b, p)); },
       {DecodeEvent::kPppPktTooSmall, DecodeEvent::kPppIp4PktTooSmall},
       4 + 20},
      {"ERSPAN II",
       testing::erspan2(0, 1, inner_eth4()),
       [&](Frame p) { return in_gre(testing::gre(0x88be, p, seq)); },
       {DecodeEvent::kErspanHeaderTooSmall, DecodeEvent::kEthernetPktTooSmall},
       8 + 14},
      {"ERSPAN III",
       testing::erspan3(0, 1, inner_eth4()),
       [&](Frame p) { return in_gre(testing::gre(0x22eb, p, seq)); },
       {DecodeEvent::kErspanHeaderTooSmall, DecodeEvent::kEthernetPktTooSmall},
       12 + 14},
      {"MPLS",
       testing::mpls({100, 200}, inner_tcp4()),
       [](Frame p) { return testing::ethernet_frame(0x8847, p); },
       {DecodeEvent::kMplsHeaderTooSmall, DecodeEvent::kMplsPktTooSmall},
       9},
      {"IPv6 in IPv6",
       inner_tcp6(),
       [](Frame p) { return testing::ip_packet(kOuterA6, kOuterB6, 41, p); },
       {DecodeEvent::kIpv6Ipv6InIpv6TooSmall},
       40},
      {"IPv4 in IPv6",
       inner_tcp4(),
       [](Frame p) { return testing::ip_packet(kOuterA6, kOuterB6, 4, p); },
       {DecodeEvent::kIpv6Ipv4InIpv6TooSmall},
       20},
  };
  for (const CutCase& c : cases) {
    for (std::size_t n = 0; n < c.header; ++n) {
      Harness h;
      const Frame cut(c.payload.begin(), c.payload.begin() + static_cast<std::ptrdiff_t>(n));
      const DecodeStatus st = h.decode(c.wrap(cut));
      if (n == 0 && st == DecodeStatus::kOk) continue;  // nothing at all behind the header
      EXPECT_EQ(st, DecodeStatus::kMalformed) << c.name << " cut at " << n;
      bool named = false;
      for (DecodeEvent e : c.expected) named = named || h.pkt.has_event(e);
      EXPECT_TRUE(named) << c.name << " cut at " << n;
    }
  }
}

TEST(Tunnel, FlagsMalformedGreHeaders) {
  struct Case {
    const char* name;
    Frame gre;
    DecodeEvent event;
  };
  const Frame ip4 = inner_tcp4();
  auto with = [&](std::uint8_t f0, std::uint8_t f1, std::uint16_t proto, Frame extra = {}) {
    Frame g = {f0, f1, static_cast<std::uint8_t>(proto >> 8), static_cast<std::uint8_t>(proto)};
    g.insert(g.end(), extra.begin(), extra.end());
    g.insert(g.end(), ip4.begin(), ip4.end());
    return g;
  };
  const std::vector<Case> cases = {
      {"version 2", with(0, 2, 0x0800), DecodeEvent::kGreWrongVersion},
      {"recursion control", with(0x01, 0, 0x0800), DecodeEvent::kGreVersion0Recur},
      {"reserved flags", with(0, 0x40, 0x0800), DecodeEvent::kGreVersion0Flags},
      {"source route past the packet", with(0x40, 0, 0x0800, {0, 0, 0, 0, 0, 1, 0, 200}),
       DecodeEvent::kGreVersion0MalformedSreHdr},
      {"v1 checksum", with(0xa0, 1, 0x880b, Frame(8, 0)), DecodeEvent::kGreVersion1Chksum},
      {"v1 routing", with(0x60, 1, 0x880b, Frame(8, 0)), DecodeEvent::kGreVersion1Route},
      {"v1 strict source route", with(0x28, 1, 0x880b, Frame(4, 0)), DecodeEvent::kGreVersion1Ssr},
      {"v1 recursion", with(0x21, 1, 0x880b, Frame(4, 0)), DecodeEvent::kGreVersion1Recur},
      {"v1 flags", with(0x20, 0x09, 0x880b, Frame(4, 0)), DecodeEvent::kGreVersion1Flags},
      {"v1 no key", with(0x00, 1, 0x880b), DecodeEvent::kGreVersion1NoKey},
      {"v1 not PPP", with(0x20, 1, 0x0800, Frame(4, 0)), DecodeEvent::kGreVersion1WrongProtocol},
  };
  for (const Case& c : cases) {
    Harness h;
    EXPECT_EQ(h.decode(testing::ip_packet(kOuterA, kOuterB, kGre, c.gre)), DecodeStatus::kMalformed)
        << c.name;
    EXPECT_TRUE(h.pkt.has_event(c.event)) << c.name;
    EXPECT_EQ(
        h.counters.get(std::string("decoder.") + std::string(decode_event_info(c.event).name)), 1u)
        << c.name;
  }
}

TEST(Tunnel, FollowsAGreSourceRouteToItsEnd) {
  Harness h;
  Frame g = {0x40, 0, 0x08, 0x00, 0, 0, 0, 0};        // routing present: checksum/offset word
  g.insert(g.end(), {0x08, 0x00, 0, 4, 1, 2, 3, 4});  // one SRE of 4 bytes
  g.insert(g.end(), {0, 0, 0, 0});                    // the NULL SRE
  const Frame ip4 = inner_tcp4();
  g.insert(g.end(), ip4.begin(), ip4.end());
  ASSERT_EQ(h.decode(testing::ip_packet(kOuterA, kOuterB, kGre, g)), DecodeStatus::kOk);
  EXPECT_EQ(h.payload(), "inner data");
}

TEST(Tunnel, FlagsMplsReservedLabelsAndUnknownPayloads) {
  struct Case {
    std::uint32_t label;
    DecodeEvent event;
  };
  for (const Case& c : {Case{1, DecodeEvent::kMplsBadLabelRouterAlert},
                        Case{3, DecodeEvent::kMplsBadLabelImplicitNull},
                        Case{7, DecodeEvent::kMplsBadLabelReserved}}) {
    Harness h;
    ASSERT_EQ(h.decode(testing::ethernet_frame(0x8847, testing::mpls({c.label}, inner_tcp4()))),
              DecodeStatus::kOk);
    EXPECT_TRUE(h.pkt.has_event(c.event)) << c.label;
    EXPECT_EQ(h.payload(), "inner data");
  }
  Harness h;
  EXPECT_EQ(h.decode(testing::ethernet_frame(0x8847, testing::mpls({100}, Frame(30, 0x70)))),
            DecodeStatus::kMalformed);
  EXPECT_TRUE(h.pkt.has_event(DecodeEvent::kMplsUnknownPayloadType));
}

TEST(Tunnel, FlagsWrongPppProtocolsAndErspanVersions) {
  Harness h;
  EXPECT_EQ(h.decode(testing::ppp(0x1235, inner_tcp4()), 9), DecodeStatus::kMalformed);
  EXPECT_TRUE(h.pkt.has_event(DecodeEvent::kPppWrongType));
  EXPECT_EQ(h.decode(testing::ppp(0xc021, Frame(10, 0)), 9), DecodeStatus::kUnsupported);
  EXPECT_TRUE(h.pkt.has_event(DecodeEvent::kPppUnsupProto));

  testing::GreOptions seq;
  seq.sequence = 1;
  Frame e = testing::erspan2(0, 1, inner_eth4());
  e[0] = 0x30;  // version 3 under the type II protocol
  EXPECT_EQ(h.decode(gre_frame(0x88be, e, seq)), DecodeStatus::kMalformed);
  EXPECT_TRUE(h.pkt.has_event(DecodeEvent::kErspanUnsupportedVersion));
}

TEST(Tunnel, TakesTheErspanVlanAsALayer) {
  Harness h;
  testing::GreOptions seq;
  seq.sequence = 1;
  ASSERT_EQ(h.decode(gre_frame(0x88be, testing::erspan2(55, 1, inner_eth4()), seq)),
            DecodeStatus::kOk);
  EXPECT_EQ(h.pkt.vlan_count, 1);
  EXPECT_EQ(h.pkt.vlan[0], 55);

  testing::L4Options three;
  three.vlans = {1, 2, 3};
  const Frame f =
      testing::ip_packet(kOuterA, kOuterB, kGre,
                         testing::gre(0x88be, testing::erspan2(55, 1, inner_eth4()), seq), three);
  EXPECT_EQ(h.decode(f), DecodeStatus::kMalformed);
  EXPECT_TRUE(h.pkt.has_event(DecodeEvent::kErspanTooManyVlanLayers));
}

TEST(Tunnel, DecodesNestedTunnelsUpToTheDepthLimit) {
  Harness h;
  ASSERT_EQ(h.decode(nested_gre_frame(8)), DecodeStatus::kOk);
  EXPECT_EQ(h.pkt.tunnel_depth, 8);
  EXPECT_EQ(h.pkt.src, kInnerSrc);
  EXPECT_EQ(h.payload(), "inner data");
  EXPECT_EQ(h.pkt.tunnel_src, kOuterA);
  EXPECT_EQ(h.pkt.tunnel_proto, kGre);

  EXPECT_EQ(h.decode(nested_gre_frame(9)), DecodeStatus::kMalformed);
  EXPECT_TRUE(h.pkt.has_event(DecodeEvent::kTooManyLayers));
  EXPECT_EQ(h.counters.get("decoder.too_many_layers"), 1u);
}

TEST(Tunnel, MixesTunnelKindsInOnePacket) {
  // IPv6-in-IPv4 inside VXLAN inside GRE: three encapsulations.
  Harness h;
  const Frame in41 = testing::ip_packet(ip("192.0.2.7"), ip("192.0.2.8"), 41, inner_tcp6());
  const Frame vx = testing::udp_packet(ip("198.51.100.1"), ip("198.51.100.2"), 1, 4789,
                                       testing::as_text(testing::vxlan(9, in41)), {}, false);
  ASSERT_EQ(h.decode(gre_frame(0x0800, vx)), DecodeStatus::kOk);
  EXPECT_EQ(h.pkt.tunnel_depth, 3);
  EXPECT_EQ(h.pkt.src, kInnerSrc6);
  EXPECT_EQ(h.pkt.tunnel_src, kOuterA);
  EXPECT_EQ(h.pkt.tunnel_proto, kGre);
  EXPECT_EQ(h.payload(), "inner data");
}

TEST(Tunnel, BoundsPseudowireNestingWithoutAnIpLayer) {
  // MPLS pseudowire carrying Ethernet carrying MPLS ... never reaching IP.
  Frame f = inner_eth4();
  for (int i = 0; i < 40; ++i) {
    Frame pw = {0, 0, 0, 0};
    pw.insert(pw.end(), f.begin(), f.end());
    f = testing::ethernet_frame(0x8847, testing::mpls({100}, pw));
  }
  Harness h;
  EXPECT_EQ(h.decode(f), DecodeStatus::kMalformed);
  EXPECT_TRUE(h.pkt.has_event(DecodeEvent::kTooManyLayers));
}

TEST(Tunnel, ReassemblesInnerFragmentsOfATunnel) {
  Harness h;
  const std::string data(300, 'f');
  const auto frags =
      testing::fragment(testing::udp_packet(kInnerSrc, kInnerDst, 1000, 2000, data), 128);
  ASSERT_EQ(frags.size(), 3u);
  DecodeStatus st = DecodeStatus::kHeld;
  for (const Frame& fr : frags) st = h.decode(gre_frame(0x0800, testing::ip_part(fr)));
  ASSERT_EQ(st, DecodeStatus::kOk);
  EXPECT_TRUE(h.pkt.reassembled);
  EXPECT_EQ(h.pkt.tunnel_depth, 1);
  EXPECT_EQ(h.payload(), data);
  EXPECT_EQ(h.pkt.source, PacketSource::kDefrag);
}

TEST(Tunnel, DecodesTheInnerPacketOfAFragmentedOuterDatagram) {
  Harness h;
  const Frame outer = gre_frame(0x0800, inner_tcp4());
  const auto frags = testing::fragment(outer, 32);
  DecodeStatus st = DecodeStatus::kHeld;
  for (const Frame& fr : frags) st = h.decode(fr);
  ASSERT_EQ(st, DecodeStatus::kOk);
  EXPECT_TRUE(h.pkt.reassembled);
  EXPECT_EQ(h.pkt.tunnel_depth, 1);
  EXPECT_EQ(h.pkt.src, kInnerSrc);
  EXPECT_EQ(h.payload(), "inner data");
  EXPECT_EQ(h.pkt.source, PacketSource::kDecoderGre) << "the tunnel made the innermost packet";
}

TEST(Tunnel, NamesThePacketSourceAfterTheInnermostDecapsulation) {
  struct SourceCase {
    const char* name;
    Frame frame;
    PacketSource source;
  };
  const SourceCase cases[] = {
      {"GRE", gre_frame(0x0800, inner_tcp4()), PacketSource::kDecoderGre},
      {"IPv6 in IPv4", testing::ip_packet(kOuterA, kOuterB, 41, inner_tcp6()),
       PacketSource::kDecoderIpv4},
      {"IPv4 in IPv6", testing::ip_packet(kOuterA6, kOuterB6, 4, inner_tcp4()),
       PacketSource::kDecoderIpv6},
      {"VXLAN", udp_tunnel(4789, testing::vxlan(42, inner_eth4())), PacketSource::kDecoderVxlan},
      {"Geneve", udp_tunnel(6081, testing::geneve(0x86dd, 1, inner_tcp6())),
       PacketSource::kDecoderGeneve},
      {"Teredo", udp_tunnel(3544, inner_tcp6()), PacketSource::kDecoderTeredo},
      {"GRE inside VXLAN: the innermost decapsulation names it",
       udp_tunnel(4789, testing::vxlan(1, testing::ethernet_frame(
                                              0x0800, testing::ip_part(gre_frame(0x0800, inner_tcp4()))))),
       PacketSource::kDecoderGre},
      {"plain", testing::tcp_packet(kInnerSrc, kInnerDst, {}, "x"), PacketSource::kWire},
  };
  for (const SourceCase& c : cases) {
    Harness h;
    ASSERT_EQ(h.decode(c.frame), DecodeStatus::kOk) << c.name;
    EXPECT_EQ(h.pkt.source, c.source) << c.name;
  }
}

TEST(Tunnel, NamesTheDecodedLinkTypes) {
  for (int lt : {0, 1, 9, 12, 101, 108, 113, 228, 229, 276})
    EXPECT_TRUE(is_decoded_linktype(lt)) << lt;
  for (int lt : {105, 127, 147, 192}) EXPECT_FALSE(is_decoded_linktype(lt)) << lt;
}

}  // namespace
}  // namespace wp::decode
