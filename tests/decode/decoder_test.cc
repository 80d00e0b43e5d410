#include "decode/decoder.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "decode/checksum.h"
#include "support/packet_builder.h"

namespace wp::decode {
namespace {

using testing::Frame;
using testing::ip;

const IpAddress kSrc4 = ip("192.0.2.1");
const IpAddress kDst4 = ip("198.51.100.2");
const IpAddress kSrc6 = ip("2001:db8::1");
const IpAddress kDst6 = ip("2001:db8::2");

constexpr std::size_t kEth = 14;  // where the IP header starts in a builder frame

struct Harness {
  explicit Harness(const DecoderConfig& config = {}) : decoder(config, counters) {}

  DecodeStatus decode(const Frame& f, int linktype = 1, std::uint32_t wirelen = 0,
                      Timestamp ts = {1700000000, 0}) {
    raw.ts = ts;
    raw.data = f.data();
    raw.caplen = static_cast<std::uint32_t>(f.size());
    raw.wirelen = wirelen != 0 ? wirelen : raw.caplen;
    raw.linktype = linktype;
    raw.number = ++number;
    return decoder.decode(raw, pkt);
  }
  std::string payload() const { return std::string(pkt.payload.begin(), pkt.payload.end()); }

  Counters counters;
  Decoder decoder;
  Packet pkt;
  capture::RawPacket raw;
  std::uint64_t number = 0;
};

void set16(Frame& f, std::size_t at, std::uint16_t v) {
  f[at] = static_cast<std::uint8_t>(v >> 8);
  f[at + 1] = static_cast<std::uint8_t>(v);
}

void fix_ipv4_checksum(Frame& f, std::size_t ip_at = kEth) {
  const std::size_t hlen = std::size_t{f[ip_at] & 0x0fu} * 4;
  set16(f, ip_at + 10, 0);
  set16(f, ip_at + 10, checksum_finish(checksum_add(0, Bytes(f.data() + ip_at, hlen))));
}

// Inserts an IPv6 extension header right after the IPv6 header; ext[0] is overwritten with
// the previous next header. Upper-layer checksums do not cover extension headers.
Frame with_ipv6_ext(Frame f, std::uint8_t type, Frame ext, std::size_t ip_at = kEth) {
  ext[0] = f[ip_at + 6];
  f[ip_at + 6] = type;
  f.insert(f.begin() + static_cast<std::ptrdiff_t>(ip_at + 40), ext.begin(), ext.end());
  const std::uint16_t plen = static_cast<std::uint16_t>((f[ip_at + 4] << 8) | f[ip_at + 5]);
  set16(f, ip_at + 4, static_cast<std::uint16_t>(plen + ext.size()));
  return f;
}

const Frame kPadOptions = {0, 0, 1, 4, 0, 0, 0, 0};  // hop-by-hop / destination: PadN

Frame strip_ethernet(const Frame& f) { return Frame(f.begin() + kEth, f.end()); }

Frame tcp4(std::string_view payload = "payload", const testing::L4Options& opt = {}) {
  return testing::tcp_packet(kSrc4, kDst4, {}, payload, opt);
}
Frame tcp6(std::string_view payload = "payload", const testing::L4Options& opt = {}) {
  return testing::tcp_packet(kSrc6, kDst6, {}, payload, opt);
}
Frame udp4(std::string_view payload = "payload", const testing::L4Options& opt = {}) {
  return testing::udp_packet(kSrc4, kDst4, 5353, 53, payload, opt);
}
Frame udp6(std::string_view payload = "payload", const testing::L4Options& opt = {}) {
  return testing::udp_packet(kSrc6, kDst6, 5353, 53, payload, opt);
}

TEST(Decoder, RegistersEveryCounterAtConstruction) {
  Counters counters;
  Decoder decoder({}, counters);
  std::vector<std::string> names;
  for (CounterId i = 0; i < counters.size(); ++i) names.push_back(counters.name(i));
  for (const char* expected : {"decoder.pkts",
                               "decoder.bytes",
                               "decoder.ipv4",
                               "decoder.ipv6",
                               "decoder.tcp",
                               "decoder.udp",
                               "decoder.icmpv4",
                               "decoder.icmpv6",
                               "decoder.vlan",
                               "decoder.ethernet.pkt_too_small",
                               "decoder.vlan.too_many_layers",
                               "decoder.ipv4.trunc_pkt",
                               "decoder.ipv4.opt_invalid",
                               "decoder.ipv6.exthdr_invalid",
                               "decoder.tcp.opt_invalid",
                               "decoder.udp.hlen_invalid",
                               "decoder.tcp.invalid_checksum",
                               "defrag.memcap_reached",
                               "defrag.timeout",
                               "defrag.overlap",
                               "defrag.ipv4.reassembled",
                               "defrag.ipv6.reassembled"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  }
}

TEST(Decoder, DecodesTcpOverIpv4Ethernet) {
  Harness h;
  testing::TcpSpec spec;
  spec.sport = 41234;
  spec.dport = 443;
  spec.seq = 0x01020304;
  spec.ack = 0x0a0b0c0d;
  spec.flags = kTcpSyn | kTcpAck;
  spec.window = 1234;
  testing::L4Options opt;
  opt.ttl = 17;
  opt.tos = 0x28;
  opt.ip_id = 0xbeef;
  opt.dont_fragment = true;
  const Frame f = testing::tcp_packet(kSrc4, kDst4, spec, "GET / HTTP/1.0\r\n", opt);
  ASSERT_EQ(h.decode(f), DecodeStatus::kOk);
  const Packet& p = h.pkt;
  EXPECT_EQ(p.ip_version, 4);
  EXPECT_EQ(p.src, kSrc4);
  EXPECT_EQ(p.dst, kDst4);
  EXPECT_EQ(p.proto, kProtoTcp);
  EXPECT_EQ(p.ttl, 17);
  EXPECT_EQ(p.tos, 0x28);
  EXPECT_EQ(p.ip_id, 0xbeef);
  EXPECT_TRUE(p.frag_df);
  EXPECT_FALSE(p.frag_mf);
  EXPECT_FALSE(p.reassembled);
  EXPECT_EQ(p.ip_total_len, f.size() - kEth);
  EXPECT_EQ(p.sport, 41234);
  EXPECT_EQ(p.dport, 443);
  EXPECT_EQ(p.tcp_seq, 0x01020304u);
  EXPECT_EQ(p.tcp_ack, 0x0a0b0c0du);
  EXPECT_EQ(p.tcp_flags, kTcpSyn | kTcpAck);
  EXPECT_EQ(p.tcp_window, 1234);
  EXPECT_TRUE(p.has_ports());
  EXPECT_EQ(h.payload(), "GET / HTTP/1.0\r\n");
  EXPECT_EQ(p.frame.data(), f.data());
  EXPECT_EQ(p.frame.size(), f.size());
  EXPECT_EQ(p.l3.data(), f.data() + kEth);
  EXPECT_EQ(p.l3.size(), f.size() - kEth);
  EXPECT_EQ(p.number, 1u);
  EXPECT_EQ(p.wirelen, f.size());
  EXPECT_EQ(p.vlan_count, 0);
  EXPECT_TRUE(p.checksum_checked);
  EXPECT_FALSE(p.checksum_bad);
  EXPECT_EQ(h.counters.get("decoder.pkts"), 1u);
  EXPECT_EQ(h.counters.get("decoder.bytes"), f.size());
  EXPECT_EQ(h.counters.get("decoder.ethernet"), 1u);
  EXPECT_EQ(h.counters.get("decoder.ipv4"), 1u);
  EXPECT_EQ(h.counters.get("decoder.tcp"), 1u);
  EXPECT_EQ(h.counters.get("decoder.invalid"), 0u);
}

TEST(Decoder, DecodesTcpOptionsIntoPacketFields) {
  Harness h;
  testing::TcpSpec spec;
  spec.flags = kTcpSyn;
  spec.options = {2, 4,  0x05, 0xb4,                     // MSS 1460
                  4, 2,                                  // SACK permitted
                  8, 10, 0,    0,    0, 1, 0, 0, 0, 2,   // timestamps 1, 2
                  1,                                     // NOP
                  3, 3,  7,                              // window scale 7
                  5, 10, 0,    0,    0, 1, 0, 0, 0, 9};  // one SACK block
  const Frame f = testing::tcp_packet(kSrc4, kDst4, spec, "");
  ASSERT_EQ(h.decode(f), DecodeStatus::kOk);
  EXPECT_EQ(h.pkt.tcp_mss, 1460);
  EXPECT_TRUE(h.pkt.tcp_has_sack_permitted);
  EXPECT_TRUE(h.pkt.tcp_has_timestamp);
  EXPECT_EQ(h.pkt.tcp_tsval, 1u);
  EXPECT_EQ(h.pkt.tcp_tsecr, 2u);
  EXPECT_TRUE(h.pkt.tcp_has_wscale);
  EXPECT_EQ(h.pkt.tcp_wscale, 7);
  EXPECT_TRUE(h.pkt.payload.empty());
}

TEST(Decoder, DecodesUdpOverIpv6) {
  Harness h;
  testing::L4Options opt;
  opt.ttl = 3;
  opt.tos = 0xb8;
  const Frame f = udp6("dns?", opt);
  ASSERT_EQ(h.decode(f), DecodeStatus::kOk);
  EXPECT_EQ(h.pkt.ip_version, 6);
  EXPECT_EQ(h.pkt.src, kSrc6);
  EXPECT_EQ(h.pkt.dst, kDst6);
  EXPECT_EQ(h.pkt.proto, kProtoUdp);
  EXPECT_EQ(h.pkt.ttl, 3);
  EXPECT_EQ(h.pkt.tos, 0xb8);
  EXPECT_EQ(h.pkt.ip_total_len, f.size() - kEth);
  EXPECT_EQ(h.pkt.sport, 5353);
  EXPECT_EQ(h.pkt.dport, 53);
  EXPECT_EQ(h.payload(), "dns?");
  EXPECT_TRUE(h.pkt.checksum_checked);
  EXPECT_FALSE(h.pkt.checksum_bad);
  EXPECT_EQ(h.counters.get("decoder.ipv6"), 1u);
  EXPECT_EQ(h.counters.get("decoder.udp"), 1u);
}

TEST(Decoder, DecodesIcmpEchoIdentifierAndSequence) {
  struct Case {
    IpAddress src, dst;
    std::uint8_t type;
    bool echo;
    std::uint8_t proto;
  };
  const Case cases[] = {
      {kSrc4, kDst4, 8, true, kProtoIcmp},     {kSrc4, kDst4, 0, true, kProtoIcmp},
      {kSrc4, kDst4, 3, false, kProtoIcmp},    {kSrc6, kDst6, 128, true, kProtoIcmpv6},
      {kSrc6, kDst6, 129, true, kProtoIcmpv6}, {kSrc6, kDst6, 1, false, kProtoIcmpv6},
  };
  for (const Case& c : cases) {
    Harness h;
    const Frame f = testing::icmp_packet(c.src, c.dst, c.type, 4, 0x1234, 0x0042, "ping");
    ASSERT_EQ(h.decode(f), DecodeStatus::kOk) << int{c.type};
    EXPECT_EQ(h.pkt.proto, c.proto);
    EXPECT_EQ(h.pkt.icmp_type, c.type);
    EXPECT_EQ(h.pkt.icmp_code, 4);
    EXPECT_EQ(h.pkt.icmp_has_id_seq, c.echo) << int{c.type};
    EXPECT_EQ(h.pkt.icmp_id, c.echo ? 0x1234 : 0);
    EXPECT_EQ(h.pkt.icmp_seq, c.echo ? 0x0042 : 0);
    EXPECT_EQ(h.payload(), "ping");
    EXPECT_FALSE(h.pkt.has_ports());
    EXPECT_TRUE(h.pkt.checksum_checked);
    EXPECT_FALSE(h.pkt.checksum_bad) << int{c.type};
    EXPECT_EQ(h.counters.get(c.proto == kProtoIcmp ? "decoder.icmpv4" : "decoder.icmpv6"), 1u);
  }
}

TEST(Decoder, DecodesEveryLinkType) {
  const Frame ip4 = strip_ethernet(udp4("v4"));
  const Frame ip6 = strip_ethernet(udp6("v6"));
  auto prefixed = [](Frame prefix, const Frame& ip_part) {
    prefix.insert(prefix.end(), ip_part.begin(), ip_part.end());
    return prefix;
  };
  const Frame sll_v4 = {0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00};
  const Frame sll_v6 = {0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x86, 0xdd};
  const Frame sll2_v4 = {0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0};
  const Frame sll2_v6 = {0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6, 2, 0, 0, 0, 0, 1, 0, 0};
  struct Case {
    const char* name;
    int linktype;
    Frame frame;
    int version;
  };
  const Case cases[] = {
      {"ethernet v4", 1, udp4("v4"), 4},
      {"ethernet v6", 1, udp6("v6"), 6},
      {"raw 101 v4", 101, ip4, 4},
      {"raw 101 v6", 101, ip6, 6},
      {"raw 12 v4", 12, ip4, 4},
      {"raw 12 v6", 12, ip6, 6},
      {"ipv4 228", 228, ip4, 4},
      {"ipv6 229", 229, ip6, 6},
      {"sll v4", 113, prefixed(sll_v4, ip4), 4},
      {"sll v6", 113, prefixed(sll_v6, ip6), 6},
      {"sll2 v4", 276, prefixed(sll2_v4, ip4), 4},
      {"sll2 v6", 276, prefixed(sll2_v6, ip6), 6},
      {"null little-endian AF_INET", 0, prefixed({2, 0, 0, 0}, ip4), 4},
      {"null big-endian AF_INET", 0, prefixed({0, 0, 0, 2}, ip4), 4},
      {"null AF_INET6 (BSD 24)", 0, prefixed({24, 0, 0, 0}, ip6), 6},
      {"null AF_INET6 (FreeBSD 28)", 0, prefixed({28, 0, 0, 0}, ip6), 6},
      {"null AF_INET6 (macOS 30)", 0, prefixed({30, 0, 0, 0}, ip6), 6},
      {"null AF_INET6 big-endian", 0, prefixed({0, 0, 0, 30}, ip6), 6},
      {"loop AF_INET", 108, prefixed({0, 0, 0, 2}, ip4), 4},
      {"loop AF_INET6", 108, prefixed({0, 0, 0, 24}, ip6), 6},
  };
  for (const Case& c : cases) {
    Harness h;
    ASSERT_EQ(h.decode(c.frame, c.linktype), DecodeStatus::kOk) << c.name;
    EXPECT_EQ(h.pkt.linktype, c.linktype) << c.name;
    EXPECT_EQ(h.pkt.ip_version, c.version) << c.name;
    EXPECT_EQ(h.pkt.src, c.version == 4 ? kSrc4 : kSrc6) << c.name;
    EXPECT_EQ(h.pkt.sport, 5353) << c.name;
    EXPECT_EQ(h.payload(), c.version == 4 ? "v4" : "v6") << c.name;
    EXPECT_FALSE(h.pkt.checksum_bad) << c.name;
  }
}

TEST(Decoder, ReportsUnknownLinkTypesAndFamiliesAsUnsupported) {
  Harness h;
  const Frame f = udp4();
  EXPECT_EQ(h.decode(f, 9999), DecodeStatus::kUnsupported);
  EXPECT_EQ(h.counters.get("decoder.unsupported_linktype"), 1u);
  Frame ipx = {23, 0, 0, 0, 1, 2, 3, 4};
  EXPECT_EQ(h.decode(ipx, 0), DecodeStatus::kUnsupported);
  EXPECT_EQ(h.counters.get("decoder.null.unsupported_family"), 1u);
  EXPECT_EQ(h.counters.get("decoder.invalid"), 0u);
}

TEST(Decoder, ReportsNonIpEthertypesAsUnsupportedNotMalformed) {
  Harness h;
  Frame arp = udp4();
  set16(arp, 12, 0x0806);
  EXPECT_EQ(h.decode(arp), DecodeStatus::kUnsupported);
  Frame lldp_in_vlan = tcp4();
  lldp_in_vlan.insert(lldp_in_vlan.begin() + 12, {0x81, 0x00, 0x00, 0x07});
  set16(lldp_in_vlan, 16, 0x88cc);
  EXPECT_EQ(h.decode(lldp_in_vlan), DecodeStatus::kUnsupported);
  EXPECT_EQ(h.pkt.vlan_count, 1);
  EXPECT_EQ(h.counters.get("decoder.unsupported_ethertype"), 2u);
  EXPECT_EQ(h.counters.get("decoder.invalid"), 0u);
}

TEST(Decoder, RecordsUpToTwoVlanIdsOuterFirst) {
  auto tagged = [](std::vector<std::pair<std::uint16_t, std::uint16_t>> tags) {
    Frame f = udp4("vlan");
    Frame hdr;
    for (auto [tpid, id] : tags) {
      hdr.push_back(static_cast<std::uint8_t>(tpid >> 8));
      hdr.push_back(static_cast<std::uint8_t>(tpid));
      // priority 5 in the top bits must not leak into the id
      hdr.push_back(static_cast<std::uint8_t>(0xa0 | (id >> 8)));
      hdr.push_back(static_cast<std::uint8_t>(id));
    }
    f.insert(f.begin() + 12, hdr.begin(), hdr.end());
    return f;
  };
  testing::L4Options qinq;
  qinq.vlans = {100, 200};
  testing::L4Options single;
  single.vlans = {42};
  struct Case {
    const char* name;
    Frame frame;
    std::uint8_t count;
    std::uint16_t outer, inner;
  };
  const Case cases[] = {
      {"builder 802.1Q", udp4("vlan", single), 1, 42, 0},
      {"builder QinQ 88a8+8100", udp4("vlan", qinq), 2, 100, 200},
      {"stacked 8100+8100", tagged({{0x8100, 10}, {0x8100, 4094}}), 2, 10, 4094},
      {"old QinQ 9100+8100", tagged({{0x9100, 7}, {0x8100, 8}}), 2, 7, 8},
      {"single with priority", tagged({{0x8100, 300}}), 1, 300, 0},
  };
  for (const Case& c : cases) {
    Harness h;
    ASSERT_EQ(h.decode(c.frame), DecodeStatus::kOk) << c.name;
    EXPECT_EQ(h.pkt.vlan_count, c.count) << c.name;
    EXPECT_EQ(h.pkt.vlan[0], c.outer) << c.name;
    EXPECT_EQ(h.pkt.vlan[1], c.inner) << c.name;
    EXPECT_EQ(h.payload(), "vlan") << c.name;
    EXPECT_EQ(h.counters.get("decoder.vlan"), c.count) << c.name;
  }
}

TEST(Decoder, KeepsThreeVlanLayers) {
  Harness h;
  testing::L4Options opt;
  opt.vlans = {1, 2, 3};
  const Frame f = udp4("x", opt);
  ASSERT_EQ(h.decode(f), DecodeStatus::kOk);
  EXPECT_EQ(h.pkt.vlan_count, 3);
  EXPECT_EQ(h.pkt.vlan[2], 3);
  EXPECT_EQ(h.payload(), "x");
}

TEST(Decoder, CountsAFourthVlanLayerAsAnomaly) {
  Harness h;
  testing::L4Options opt;
  opt.vlans = {1, 2, 3, 4};
  const Frame f = udp4("x", opt);
  EXPECT_EQ(h.decode(f), DecodeStatus::kMalformed);
  EXPECT_EQ(h.counters.get("decoder.vlan.too_many_layers"), 1u);
  EXPECT_TRUE(h.pkt.has_event(DecodeEvent::kVlanTooManyLayers));
  EXPECT_EQ(h.pkt.vlan[0], 1);
  EXPECT_EQ(h.pkt.vlan[1], 2);
  EXPECT_EQ(h.pkt.vlan[2], 3);
}

TEST(Decoder, ParsesIpv4OptionsIntoBits) {
  struct Case {
    const char* name;
    std::vector<std::uint8_t> options;
    std::uint16_t bits;
  };
  const Case cases[] = {
      {"record route", {7, 7, 4, 0, 0, 0, 0}, kIpoptRr | kIpoptEol},
      {"timestamp", {68, 8, 5, 0, 0, 0, 0, 0}, kIpoptTs},
      {"loose source route", {131, 7, 4, 192, 0, 2, 9, 1}, kIpoptLsrr | kIpoptNop},
      {"strict source route", {137, 7, 8, 192, 0, 2, 9}, kIpoptSsrr | kIpoptEol},
      {"security", {130, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0}, kIpoptSec | kIpoptEol},
      {"extended security", {133, 3, 1}, kIpoptEsec | kIpoptEol},
      {"stream id", {136, 4, 0, 1}, kIpoptSatid},
      {"router alert (other)", {148, 4, 0, 0}, kIpoptAny},
      {"nop then eol", {1, 0}, kIpoptNop | kIpoptEol},
      {"several", {1, 136, 4, 0, 1, 7, 3, 4}, kIpoptNop | kIpoptSatid | kIpoptRr},
  };
  for (const Case& c : cases) {
    Harness h;
    testing::L4Options opt;
    opt.ipv4_options = c.options;
    const Frame f = udp4("opts", opt);
    ASSERT_EQ(h.decode(f), DecodeStatus::kOk) << c.name;
    EXPECT_EQ(h.pkt.ipv4_options, c.bits) << c.name;
    EXPECT_EQ(h.payload(), "opts") << c.name;
    EXPECT_FALSE(h.pkt.checksum_bad) << c.name;
  }
}

TEST(Decoder, CountsMalformedIpv4OptionsAsAnomaly) {
  struct Case {
    const char* name;
    std::vector<std::uint8_t> options;
  };
  const Case cases[] = {
      {"length zero", {148, 0, 0, 0}},
      {"length one", {148, 1, 0, 0}},
      {"length past header", {148, 9, 0, 0}},
      {"no length byte", {1, 1, 1, 148}},
      {"record route pointer below 4", {7, 7, 3, 0, 0, 0, 0, 0}},
      {"record route pointer past option", {7, 7, 12, 0, 0, 0, 0, 0}},
      {"timestamp too short", {68, 3, 5, 0}},
      {"stream id wrong length", {136, 3, 0, 0}},
  };
  for (const Case& c : cases) {
    Harness h;
    testing::L4Options opt;
    opt.ipv4_options = c.options;
    const Frame f = udp4("opts", opt);
    EXPECT_EQ(h.decode(f), DecodeStatus::kMalformed) << c.name;
    EXPECT_EQ(h.counters.get("decoder.ipv4.opt_invalid"), 1u) << c.name;
    EXPECT_EQ(h.pkt.src, kSrc4) << c.name << ": the IP layer stays decoded";
  }
}

struct MalformedCase {
  const char* counter;
  const char* what;
  std::function<Frame()> make;
  int linktype = 1;
};

std::vector<MalformedCase> malformed_cases() {
  constexpr std::size_t kL4 = kEth + 20;  // transport header of an option-less IPv4 frame
  constexpr std::size_t kL4v6 = kEth + 40;
  return {
      {"decoder.ethernet.pkt_too_small", "10-byte frame", [] { return Frame(10, 0); }},
      {"decoder.vlan.pkt_too_small", "tag cut short",
       [] {
         Frame f = tcp4();
         f.resize(12);
         f.insert(f.end(), {0x81, 0x00, 0x00});
         return f;
       }},
      {"decoder.vlan.too_many_layers", "four tags",
       [] {
         testing::L4Options o;
         o.vlans = {1, 2, 3, 4};
         return tcp4("x", o);
       }},
      {"decoder.ipv4.pkt_too_small", "10 bytes of IP",
       [] {
         Frame f = tcp4();
         f.resize(kEth + 10);
         return f;
       }},
      {"decoder.ipv4.wrong_ip_version", "version 6 under ethertype 0800",
       [] {
         Frame f = tcp4();
         f[kEth] = 0x65;
         return f;
       }},
      {"decoder.ipv4.hlen_too_small", "IHL 4",
       [] {
         Frame f = tcp4();
         f[kEth] = 0x44;
         return f;
       }},
      {"decoder.ipv4.trunc_pkt", "IHL 15 past the data",
       [] {
         Frame f = tcp4("");
         f[kEth] = 0x4f;
         return f;
       }},
      {"decoder.ipv4.trunc_pkt", "total length past the frame",
       [] {
         Frame f = tcp4();
         set16(f, kEth + 2, 1000);
         fix_ipv4_checksum(f);
         return f;
       }},
      {"decoder.ipv4.iplen_smaller_than_hlen", "total length 10",
       [] {
         Frame f = tcp4();
         set16(f, kEth + 2, 10);
         return f;
       }},
      {"decoder.ipv6.pkt_too_small", "30 bytes of IPv6",
       [] {
         Frame f = tcp6();
         f.resize(kEth + 30);
         return f;
       }},
      {"decoder.ipv6.wrong_ip_version", "version 4 under ethertype 86dd",
       [] {
         Frame f = tcp6();
         f[kEth] = 0x45;
         return f;
       }},
      {"decoder.ipv6.trunc_pkt", "payload length past the frame",
       [] {
         Frame f = tcp6();
         set16(f, kEth + 4, 2000);
         return f;
       }},
      {"decoder.ipv6.exthdr_invalid", "hop-by-hop longer than the payload",
       [] {
         Frame ext = kPadOptions;
         ext[1] = 10;
         return with_ipv6_ext(tcp6(), 0, ext);
       }},
      {"decoder.ipv6.exthdr_invalid", "hop-by-hop after destination options",
       [] { return with_ipv6_ext(with_ipv6_ext(tcp6(), 0, kPadOptions), 60, kPadOptions); }},
      {"decoder.ipv6.exthdr_invalid", "two fragment headers",
       [] {
         const Frame frag = {0, 0, 0, 0, 0, 0, 0, 1};
         return with_ipv6_ext(with_ipv6_ext(tcp6(), 44, frag), 44, frag);
       }},
      {"decoder.ipv6.exthdr_invalid", "AH past the payload",
       [] {
         return with_ipv6_ext(udp6(""), 51, {0, 9, 0, 0, 0, 0, 0, 0});
       }},
      {"decoder.tcp.pkt_too_small", "10 bytes of TCP",
       [] {
         Frame f = tcp4("");
         set16(f, kEth + 2, 30);
         fix_ipv4_checksum(f);
         return f;
       }},
      {"decoder.tcp.hlen_too_small", "data offset 4",
       [] {
         Frame f = tcp4();
         f[kL4 + 12] = 0x40;
         return f;
       }},
      {"decoder.tcp.hlen_too_small", "data offset past the segment",
       [] {
         Frame f = tcp4("");
         f[kL4 + 12] = 0xf0;
         return f;
       }},
      {"decoder.tcp.opt_invalid", "option length zero",
       [] {
         testing::TcpSpec s;
         s.options = {8, 0, 0, 0};
         return testing::tcp_packet(kSrc4, kDst4, s, "");
       }},
      {"decoder.tcp.opt_invalid", "MSS length 3",
       [] {
         testing::TcpSpec s;
         s.options = {2, 3, 5, 0};
         return testing::tcp_packet(kSrc4, kDst4, s, "");
       }},
      {"decoder.tcp.opt_invalid", "option past the header",
       [] {
         testing::TcpSpec s;
         s.options = {1, 1, 3, 10};
         return testing::tcp_packet(kSrc6, kDst6, s, "");
       }},
      {"decoder.tcp.opt_invalid", "timestamp length 8",
       [] {
         testing::TcpSpec s;
         s.options = {8, 8, 0, 0, 0, 0, 0, 0};
         return testing::tcp_packet(kSrc4, kDst4, s, "");
       }},
      {"decoder.udp.pkt_too_small", "4 bytes of UDP",
       [] {
         Frame f = udp4("");
         set16(f, kEth + 2, 24);
         fix_ipv4_checksum(f);
         return f;
       }},
      {"decoder.udp.pkt_too_small", "UDP length past the IP payload",
       [] {
         Frame f = udp4();
         set16(f, kL4 + 4, 500);
         return f;
       }},
      {"decoder.udp.hlen_invalid", "UDP length 4",
       [] {
         Frame f = udp4();
         set16(f, kL4 + 4, 4);
         return f;
       }},
      {"decoder.udp.hlen_invalid", "UDP length shorter than the IP payload",
       [] {
         Frame f = udp6("12345678");
         set16(f, kL4v6 + 4, 8);
         return f;
       }},
      {"decoder.icmpv4.pkt_too_small", "4 bytes of ICMP",
       [] {
         Frame f = testing::icmp_packet(kSrc4, kDst4, 8, 0, 1, 1, "");
         set16(f, kEth + 2, 24);
         fix_ipv4_checksum(f);
         return f;
       }},
      {"decoder.icmpv6.pkt_too_small", "4 bytes of ICMPv6",
       [] {
         Frame f = testing::icmp_packet(kSrc6, kDst6, 128, 0, 1, 1, "");
         set16(f, kEth + 4, 4);
         f.resize(kL4v6 + 4);
         return f;
       }},
      {"decoder.ipraw.invalid_ip_version", "version 5 on raw IP",
       [] {
         return Frame{0x50, 0, 0, 20};
       },
       101},
      {"decoder.ipraw.invalid_ip_version", "empty raw frame", [] { return Frame{}; }, 101},
      {"decoder.sll.pkt_too_small", "10-byte cooked frame", [] { return Frame(10, 0); }, 113},
      {"decoder.sll2.pkt_too_small", "12-byte cooked v2 frame", [] { return Frame(12, 0); }, 276},
      {"decoder.null.pkt_too_small", "2-byte loopback frame", [] { return Frame(2, 2); }, 0},
      {"decoder.ipv4.pkt_too_small", "empty IPv4 link type", [] { return Frame{}; }, 228},
  };
}

TEST(Decoder, CountsEachMalformedCaseUnderItsNamedAnomaly) {
  for (const MalformedCase& c : malformed_cases()) {
    Harness h;
    const Frame f = c.make();
    // A bad TCP option is an anomaly, yet the packet is still delivered for inspection, as
    // a receiving host would still accept its data.
    const bool still_inspected = std::string(c.counter) == "decoder.tcp.opt_invalid";
    EXPECT_EQ(h.decode(f, c.linktype),
              still_inspected ? DecodeStatus::kOk : DecodeStatus::kMalformed)
        << c.what;
    EXPECT_EQ(h.counters.get(c.counter), 1u) << c.what << " should count " << c.counter;
    EXPECT_TRUE(h.counters.is_anomaly(h.counters.add(c.counter))) << c.counter;
    EXPECT_EQ(h.counters.get("decoder.invalid"), 1u) << c.what;
  }
}

TEST(Decoder, CountsBadChecksumsPerProtocol) {
  testing::L4Options bad_l4;
  bad_l4.corrupt_l4_checksum = true;
  testing::L4Options bad_ip;
  bad_ip.corrupt_ip_checksum = true;
  struct Case {
    const char* counter;
    Frame frame;
  };
  const Case cases[] = {
      {"decoder.ipv4.invalid_checksum", tcp4("x", bad_ip)},
      {"decoder.tcp.invalid_checksum", tcp4("x", bad_l4)},
      {"decoder.tcp.invalid_checksum", tcp6("odd", bad_l4)},
      {"decoder.udp.invalid_checksum", udp4("x", bad_l4)},
      {"decoder.udp.invalid_checksum", udp6("x", bad_l4)},
      {"decoder.icmpv4.invalid_checksum",
       testing::icmp_packet(kSrc4, kDst4, 8, 0, 1, 2, "abc", bad_l4)},
      {"decoder.icmpv6.invalid_checksum",
       testing::icmp_packet(kSrc6, kDst6, 128, 0, 1, 2, "abc", bad_l4)},
  };
  for (const Case& c : cases) {
    Harness h;
    EXPECT_EQ(h.decode(c.frame), DecodeStatus::kOk) << c.counter;
    EXPECT_TRUE(h.pkt.checksum_checked) << c.counter;
    EXPECT_TRUE(h.pkt.checksum_bad) << c.counter;
    EXPECT_EQ(h.counters.get(c.counter), 1u) << c.counter;
    EXPECT_EQ(h.counters.get("decoder.invalid"), 0u) << "a bad checksum is not malformed";
  }
}

TEST(Decoder, TreatsZeroUdpChecksumAsNoneOverIpv4ButBadOverIpv6) {
  Harness h;
  Frame v4 = udp4();
  set16(v4, kEth + 20 + 6, 0);
  ASSERT_EQ(h.decode(v4), DecodeStatus::kOk);
  EXPECT_FALSE(h.pkt.checksum_bad);
  Frame v6 = udp6();
  set16(v6, kEth + 40 + 6, 0);
  ASSERT_EQ(h.decode(v6), DecodeStatus::kOk);
  EXPECT_TRUE(h.pkt.checksum_bad);
  EXPECT_EQ(h.counters.get("decoder.udp.invalid_checksum"), 1u);
}

TEST(Decoder, SkipsChecksumsWhenValidationIsOff) {
  DecoderConfig config;
  config.validate_checksums = false;
  Harness h(config);
  EXPECT_FALSE(h.decoder.validate_checksums());
  testing::L4Options bad;
  bad.corrupt_l4_checksum = true;
  bad.corrupt_ip_checksum = true;
  const Frame f = tcp4("x", bad);
  ASSERT_EQ(h.decode(f), DecodeStatus::kOk);
  EXPECT_FALSE(h.pkt.checksum_checked);
  EXPECT_FALSE(h.pkt.checksum_bad);
  h.decoder.set_validate_checksums(true);
  EXPECT_TRUE(h.decoder.validate_checksums());
  ASSERT_EQ(h.decode(f), DecodeStatus::kOk);
  EXPECT_TRUE(h.pkt.checksum_bad);
  EXPECT_EQ(h.counters.get("decoder.tcp.invalid_checksum"), 1u);
  EXPECT_EQ(h.counters.get("decoder.ipv4.invalid_checksum"), 1u);
}

TEST(Decoder, CountsSnaplenTruncationInsteadOfChecksumFailure) {
  struct Case {
    const char* name;
    Frame frame;
    const char* ip_counter;
    const char* l4_counter;
  };
  const std::string big(300, 'a');
  const Case cases[] = {
      {"tcp4", tcp4(big), "decoder.ipv4.truncated", "decoder.tcp.truncated"},
      {"udp6", udp6(big), "decoder.ipv6.truncated", "decoder.udp.truncated"},
      {"icmp4", testing::icmp_packet(kSrc4, kDst4, 8, 0, 1, 1, big), "decoder.ipv4.truncated",
       "decoder.icmpv4.truncated"},
      {"icmp6", testing::icmp_packet(kSrc6, kDst6, 128, 0, 1, 1, big), "decoder.ipv6.truncated",
       "decoder.icmpv6.truncated"},
  };
  for (const Case& c : cases) {
    Harness h;
    Frame cut(c.frame.begin(), c.frame.begin() + 96);
    ASSERT_EQ(h.decode(cut, 1, static_cast<std::uint32_t>(c.frame.size())), DecodeStatus::kOk)
        << c.name;
    EXPECT_FALSE(h.pkt.checksum_bad) << c.name;
    EXPECT_EQ(h.counters.get(c.ip_counter), 1u) << c.name;
    EXPECT_EQ(h.counters.get(c.l4_counter), 1u) << c.name;
    EXPECT_EQ(h.pkt.l3.size(), 96 - kEth) << c.name << ": l3 is bounded by the capture";
    EXPECT_EQ(h.pkt.payload.data() + h.pkt.payload.size(), cut.data() + cut.size()) << c.name;
    EXPECT_EQ(h.pkt.ip_total_len, c.frame.size() - kEth) << c.name;
  }
}

TEST(Decoder, IgnoresEthernetPaddingAfterTheDatagram) {
  Harness h;
  Frame f = udp4("hi");
  const std::size_t ip_len = f.size() - kEth;
  f.resize(60, 0);
  ASSERT_EQ(h.decode(f), DecodeStatus::kOk);
  EXPECT_EQ(h.payload(), "hi");
  EXPECT_EQ(h.pkt.l3.size(), ip_len);
  EXPECT_FALSE(h.pkt.checksum_bad);
}

TEST(Decoder, GivesOtherProtocolsThePayloadAfterTheIpHeader) {
  Harness h;
  Frame sctp = udp4("inner");
  sctp[kEth + 9] = 132;
  fix_ipv4_checksum(sctp);
  ASSERT_EQ(h.decode(sctp), DecodeStatus::kOk);
  EXPECT_EQ(h.pkt.proto, 132);
  EXPECT_EQ(h.pkt.payload.data(), sctp.data() + kEth + 20);
  EXPECT_EQ(h.pkt.payload.size(), sctp.size() - kEth - 20);
  EXPECT_FALSE(h.pkt.has_ports());
  EXPECT_EQ(h.pkt.sport, 0);
}

TEST(Decoder, WalksIpv6ExtensionHeadersToTheTransportHeader) {
  const Frame routing = {0, 0, 253, 0, 0, 0, 0, 0};
  const Frame ah = {0, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0xaa, 0xbb, 0xcc, 0xdd};
  const Frame atomic_fragment = {0, 0, 0, 0, 0, 0, 0, 9};
  struct Case {
    const char* name;
    Frame frame;
    std::uint8_t proto;
    std::size_t ext_len;
  };
  const Case cases[] = {
      {"hop-by-hop", with_ipv6_ext(tcp6("data"), 0, kPadOptions), kProtoTcp, 8},
      {"hop-by-hop, routing, destination",
       with_ipv6_ext(with_ipv6_ext(with_ipv6_ext(tcp6("data"), 60, kPadOptions), 43, routing), 0,
                     kPadOptions),
       kProtoTcp, 24},
      {"authentication header", with_ipv6_ext(udp6("data"), 51, ah), kProtoUdp, 16},
      {"atomic fragment", with_ipv6_ext(udp6("data"), 44, atomic_fragment), kProtoUdp, 8},
  };
  for (const Case& c : cases) {
    Harness h;
    ASSERT_EQ(h.decode(c.frame), DecodeStatus::kOk) << c.name;
    EXPECT_EQ(h.pkt.proto, c.proto) << c.name;
    EXPECT_EQ(h.payload(), "data") << c.name;
    EXPECT_NE(h.pkt.sport, 0) << c.name;
    EXPECT_FALSE(h.pkt.checksum_bad) << c.name;
    EXPECT_FALSE(h.pkt.reassembled) << c.name;
    EXPECT_EQ(h.pkt.l3.size(), c.frame.size() - kEth) << c.name;
  }
}

TEST(Decoder, StopsAtEspAndNoNextHeader) {
  Harness h;
  Frame esp = udp6("encrypted");
  esp[kEth + 6] = 50;
  ASSERT_EQ(h.decode(esp), DecodeStatus::kOk);
  EXPECT_EQ(h.pkt.proto, 50);
  EXPECT_EQ(h.pkt.payload.size(), esp.size() - kEth - 40);
  Frame none = with_ipv6_ext(udp6("x"), 60, kPadOptions);
  none[kEth + 40] = 59;
  ASSERT_EQ(h.decode(none), DecodeStatus::kOk);
  EXPECT_EQ(h.pkt.proto, 59);
  EXPECT_TRUE(h.pkt.payload.empty());
}

TEST(Decoder, ResetsThePacketBetweenDecodes) {
  Harness h;
  testing::L4Options opt;
  opt.vlans = {5};
  opt.ipv4_options = {148, 4, 0, 0};
  const Frame first = tcp4("first", opt);
  const Frame second = testing::icmp_packet(kSrc6, kDst6, 128, 0, 1, 2, "");
  ASSERT_EQ(h.decode(first), DecodeStatus::kOk);
  ASSERT_EQ(h.decode(second), DecodeStatus::kOk);
  EXPECT_EQ(h.pkt.vlan_count, 0);
  EXPECT_EQ(h.pkt.ipv4_options, 0);
  EXPECT_EQ(h.pkt.sport, 0);
  EXPECT_EQ(h.pkt.tcp_seq, 0u);
  EXPECT_EQ(h.pkt.ip_version, 6);
  EXPECT_EQ(h.pkt.number, 2u);
}

bool within(Bytes inner, Bytes outer) {
  return inner.empty() || (inner.data() >= outer.data() &&
                           inner.data() + inner.size() <= outer.data() + outer.size());
}

TEST(Decoder, SurvivesRandomAndMutatedFrames) {
  DecoderConfig config;
  config.defrag_memcap = 256 * 1024;
  config.defrag_max_trackers = 64;
  config.defrag_timeout_sec = 1;
  Harness h(config);
  std::mt19937 rng(20240601);
  auto rnd = [&](std::uint32_t n) { return static_cast<std::uint32_t>(rng() % n); };

  std::vector<Frame> corpus;
  testing::L4Options vlan;
  vlan.vlans = {7, 8};
  testing::L4Options opts;
  opts.ipv4_options = {7, 7, 4, 0, 0, 0, 0, 1};
  testing::TcpSpec syn;
  syn.options = {2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7};
  for (const Frame& f :
       {tcp4("GET / HTTP/1.1\r\n"), tcp6("x"), udp4("q", vlan), udp6("r"), udp4("o", opts),
        testing::tcp_packet(kSrc4, kDst4, syn, ""), testing::tcp_packet(kSrc6, kDst6, syn, "y"),
        testing::icmp_packet(kSrc4, kDst4, 8, 0, 1, 1, "p"),
        testing::icmp_packet(kSrc6, kDst6, 129, 0, 1, 1, "p"),
        with_ipv6_ext(with_ipv6_ext(tcp6("e"), 60, kPadOptions), 0, kPadOptions)}) {
    corpus.push_back(f);
  }
  for (const Frame& f : testing::fragment(udp4(std::string(200, 'f')), 64)) corpus.push_back(f);
  for (const Frame& f : testing::fragment(tcp6(std::string(200, 'g')), 64)) corpus.push_back(f);

  const int linktypes[] = {0, 1, 12, 101, 108, 113, 228, 229, 276, 147};
  std::uint64_t decoded = 0;
  for (int i = 0; i < 30000; ++i) {
    Frame f;
    int linktype = 1;
    if (i % 3 == 0) {
      f.resize(rnd(160));
      for (auto& b : f) b = static_cast<std::uint8_t>(rng());
      linktype = linktypes[rnd(std::size(linktypes))];
    } else {
      f = corpus[rnd(static_cast<std::uint32_t>(corpus.size()))];
      const std::uint32_t flips = 1 + rnd(4);
      for (std::uint32_t k = 0; k < flips; ++k) {
        // Bias mutations towards the headers, where the length fields are.
        const std::size_t at = rnd(4) != 0 ? rnd(std::min<std::uint32_t>(80, f.size()))
                                           : rnd(static_cast<std::uint32_t>(f.size()));
        f[at] = rnd(2) != 0 ? static_cast<std::uint8_t>(rng())
                            : static_cast<std::uint8_t>(f[at] ^ (1u << rnd(8)));
      }
      if (rnd(4) == 0) f.resize(rnd(static_cast<std::uint32_t>(f.size() + 1)));
      if (i % 7 == 1) {
        // Re-encapsulate as raw IP now and then.
        if (f.size() >= kEth) f.erase(f.begin(), f.begin() + kEth);
        linktype = 101;
      }
    }
    const std::uint32_t wirelen =
        rnd(5) == 0 ? static_cast<std::uint32_t>(f.size() + rnd(2000)) : 0;
    const Timestamp ts{1700000000 + i / 1000, 0};
    const DecodeStatus status = h.decode(f, linktype, wirelen, ts);
    if (status == DecodeStatus::kOk) ++decoded;
    const Bytes frame(f.data(), f.size());
    if (!h.pkt.reassembled) {
      ASSERT_TRUE(within(h.pkt.l3, frame)) << "iteration " << i;
      ASSERT_TRUE(within(h.pkt.payload, frame)) << "iteration " << i;
    } else {
      ASSERT_TRUE(within(h.pkt.payload, h.pkt.l3)) << "iteration " << i;
    }
    ASSERT_LE(h.pkt.vlan_count, Packet::kMaxVlans) << "iteration " << i;
  }
  EXPECT_GT(decoded, 1000u) << "mutations should leave many frames decodable";
  EXPECT_EQ(h.counters.get("decoder.pkts"), 30000u);
  // The mutations reach the deeper paths, not just the first length check.
  for (const char* reached :
       {"defrag.ipv4.fragments", "defrag.ipv6.fragments", "decoder.tcp", "decoder.udp",
        "decoder.icmpv6", "decoder.vlan", "decoder.tcp.opt_invalid", "decoder.ipv4.opt_invalid",
        "decoder.ipv6.exthdr_invalid", "decoder.ipv4.truncated"}) {
    EXPECT_GT(h.counters.get(reached), 0u) << reached;
  }
}

}  // namespace
}  // namespace wp::decode
