// Fragment reassembly, tested through the Decoder (the public path) and, for memory
// accounting, through the private Defragmenter directly.
#include "decode/defrag.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "decode/checksum.h"
#include "decode/decoder.h"
#include "support/packet_builder.h"

namespace wp::decode {
namespace {

using testing::Frame;
using testing::ip;

const IpAddress kSrc4 = ip("192.0.2.1");
const IpAddress kDst4 = ip("198.51.100.2");
const IpAddress kSrc6 = ip("2001:db8::1");
const IpAddress kDst6 = ip("2001:db8::2");
constexpr std::size_t kEth = 14;

struct Harness {
  explicit Harness(const DecoderConfig& config = {}) : decoder(config, counters) {}

  DecodeStatus decode(const Frame& f, std::int64_t sec = 1700000000, std::uint32_t wirelen = 0) {
    raw.ts = Timestamp{sec, 0};
    raw.data = f.data();
    raw.caplen = static_cast<std::uint32_t>(f.size());
    raw.wirelen = wirelen != 0 ? wirelen : raw.caplen;
    raw.linktype = 1;
    raw.number = ++number;
    return decoder.decode(raw, pkt);
  }
  std::string payload() const { return std::string(pkt.payload.begin(), pkt.payload.end()); }
  Frame l3() const { return Frame(pkt.l3.begin(), pkt.l3.end()); }

  Counters counters;
  Decoder decoder;
  Packet pkt;
  capture::RawPacket raw;
  std::uint64_t number = 0;
};

Frame ip_part(const Frame& f) { return Frame(f.begin() + kEth, f.end()); }

void set16(Frame& f, std::size_t at, std::uint16_t v) {
  f[at] = static_cast<std::uint8_t>(v >> 8);
  f[at + 1] = static_cast<std::uint8_t>(v);
}

// An Ethernet + IPv4 fragment carrying `data` at byte `offset` of the datagram (UDP).
Frame ipv4_fragment(std::uint16_t id, std::size_t offset, bool more, const Frame& data) {
  Frame f = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00};
  const Frame h = {0x45,
                   0,
                   0,
                   0,
                   static_cast<std::uint8_t>(id >> 8),
                   static_cast<std::uint8_t>(id),
                   0,
                   0,
                   64,
                   17,
                   0,
                   0,
                   192,
                   0,
                   2,
                   1,
                   198,
                   51,
                   100,
                   2};
  f.insert(f.end(), h.begin(), h.end());
  set16(f, kEth + 2, static_cast<std::uint16_t>(20 + data.size()));
  set16(f, kEth + 6, static_cast<std::uint16_t>((more ? 0x2000 : 0) | (offset / 8)));
  set16(f, kEth + 10, checksum_finish(checksum_add(0, Bytes(f.data() + kEth, 20))));
  f.insert(f.end(), data.begin(), data.end());
  return f;
}

// An Ethernet + IPv6 fragment (fragment header right after the IPv6 header).
Frame ipv6_fragment(std::uint32_t id, std::size_t offset, bool more, const Frame& data,
                    std::uint8_t next = 17) {
  Frame f = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd, 0x60, 0, 0, 0, 0, 0, 44, 64};
  set16(f, kEth + 4, static_cast<std::uint16_t>(8 + data.size()));
  f.insert(f.end(), kSrc6.bytes.begin(), kSrc6.bytes.end());
  f.insert(f.end(), kDst6.bytes.begin(), kDst6.bytes.end());
  f.push_back(next);
  f.push_back(0);
  f.push_back(static_cast<std::uint8_t>(offset >> 8));
  f.push_back(static_cast<std::uint8_t>((offset & 0xf8) | (more ? 1 : 0)));
  for (int shift = 24; shift >= 0; shift -= 8) f.push_back(static_cast<std::uint8_t>(id >> shift));
  f.insert(f.end(), data.begin(), data.end());
  return f;
}

Frame slice(const Frame& f, std::size_t from, std::size_t to) {
  return Frame(f.begin() + static_cast<std::ptrdiff_t>(from),
               f.begin() + static_cast<std::ptrdiff_t>(to));
}

// Feeds fragments in the given order; all but the last must be held.
void feed(Harness& h, const std::vector<Frame>& frags, const std::vector<std::size_t>& order,
          DecodeStatus last = DecodeStatus::kOk) {
  for (std::size_t i = 0; i < order.size(); ++i) {
    const bool final = i + 1 == order.size();
    ASSERT_EQ(h.decode(frags[order[i]]), final ? last : DecodeStatus::kHeld)
        << "fragment " << order[i] << " (step " << i << ")";
  }
}

TEST(Defrag, ReassemblesIpv4FragmentsInOrder) {
  Harness h;
  testing::L4Options opt;
  opt.ip_id = 0x4242;
  const std::string data(1000, 'x');
  const Frame whole = testing::udp_packet(kSrc4, kDst4, 1111, 2222, data, opt);
  const std::vector<Frame> frags = testing::fragment(whole, 256);
  ASSERT_EQ(frags.size(), 4u);
  feed(h, frags, {0, 1, 2, 3});
  EXPECT_TRUE(h.pkt.reassembled);
  EXPECT_EQ(h.l3(), ip_part(whole)) << "the rebuilt datagram is the original";
  EXPECT_EQ(h.payload(), data);
  EXPECT_EQ(h.pkt.sport, 1111);
  EXPECT_EQ(h.pkt.dport, 2222);
  EXPECT_EQ(h.pkt.ip_total_len, whole.size() - kEth);
  EXPECT_TRUE(h.pkt.checksum_checked);
  EXPECT_FALSE(h.pkt.checksum_bad);
  // The frame is rebuilt: the first fragment's Ethernet header, then the datagram. The capture
  // fields and fragment fields describe the last fragment.
  EXPECT_EQ(Frame(h.pkt.frame.begin(), h.pkt.frame.end()), whole);
  EXPECT_EQ(h.pkt.source, PacketSource::kDefrag);
  EXPECT_EQ(h.pkt.number, 4u);
  EXPECT_EQ(h.pkt.ip_id, 0x4242);
  EXPECT_FALSE(h.pkt.frag_mf);
  EXPECT_EQ(h.pkt.frag_offset, 3 * 256 / 8);
  EXPECT_EQ(h.counters.get("defrag.ipv4.fragments"), 4u);
  EXPECT_EQ(h.counters.get("defrag.ipv4.reassembled"), 1u);
  EXPECT_EQ(h.counters.get("decoder.ipv4"), 4u);
  EXPECT_EQ(h.counters.get("decoder.udp"), 1u);
}

TEST(Defrag, FillsTheIpLayerOfAHeldFragment) {
  Harness h;
  const std::vector<Frame> frags =
      testing::fragment(testing::udp_packet(kSrc4, kDst4, 1, 2, std::string(100, 'a')), 64);
  ASSERT_EQ(h.decode(frags[0]), DecodeStatus::kHeld);
  EXPECT_EQ(h.pkt.src, kSrc4);
  EXPECT_EQ(h.pkt.proto, kProtoUdp);
  EXPECT_TRUE(h.pkt.frag_mf);
  EXPECT_EQ(h.pkt.frag_offset, 0);
  EXPECT_FALSE(h.pkt.reassembled);
  EXPECT_EQ(h.pkt.payload.size(), 64u);
}

TEST(Defrag, RebuildsTheFrameWithTheFirstFragmentsLinkHeader) {
  // The first fragment arrives last: the rebuilt frame starts with its link header (Ethernet
  // and VLAN tag), and an IPv6 datagram loses its fragment header. That fragment is also
  // handed out as the packet it was (completed_fragment()).
  for (const IpAddress* src : {&kSrc4, &kSrc6}) {
    Harness h;
    testing::L4Options o;
    o.vlans = {7};
    const Frame whole = testing::udp_packet(*src, src == &kSrc4 ? kDst4 : kDst6, 1, 2,
                                            std::string(100, 'r'), o);
    const std::vector<Frame> frags = testing::fragment(whole, 32);
    ASSERT_GE(frags.size(), 3u);
    for (std::size_t i = frags.size(); i-- > 0;) {
      h.decode(frags[i]);
      const Packet* completing = h.decoder.completed_fragment();
      EXPECT_EQ(completing != nullptr, i == 0) << "fragment " << i;
      if (completing != nullptr) {
        EXPECT_EQ(completing->source, PacketSource::kWire);
        EXPECT_FALSE(completing->reassembled);
        EXPECT_TRUE(completing->frag_mf);
        EXPECT_EQ(completing->frag_offset, 0);
        EXPECT_EQ(completing->frame.data(), frags[0].data()) << "the captured fragment";
      }
    }
    ASSERT_TRUE(h.pkt.reassembled);
    EXPECT_EQ(h.pkt.source, PacketSource::kDefrag);
    EXPECT_EQ(Frame(h.pkt.frame.begin(), h.pkt.frame.end()), whole);
    EXPECT_EQ(h.pkt.l3.data(), h.pkt.frame.data() + 18) << "l3 lies inside the rebuilt frame";
  }
}

TEST(Defrag, ReassemblesFragmentsInAnyOrder) {
  const std::string data(700, 'y');
  const Frame v4 = testing::tcp_packet(kSrc4, kDst4, {}, data);
  const Frame v6 = testing::tcp_packet(kSrc6, kDst6, {}, data);
  const std::vector<std::vector<std::size_t>> orders = {
      {0, 1, 2}, {2, 1, 0}, {1, 2, 0}, {2, 0, 1}, {1, 0, 2}};
  for (const Frame& whole : {v4, v6}) {
    const std::vector<Frame> frags = testing::fragment(whole, 256);
    ASSERT_EQ(frags.size(), 3u);
    for (const auto& order : orders) {
      Harness h;
      feed(h, frags, order);
      EXPECT_TRUE(h.pkt.reassembled);
      EXPECT_EQ(h.l3(), ip_part(whole));
      EXPECT_EQ(h.pkt.proto, kProtoTcp);
      EXPECT_EQ(h.payload(), data);
      EXPECT_FALSE(h.pkt.checksum_bad);
    }
  }
}

TEST(Defrag, ReassemblesIpv6KeepingTheUnfragmentablePart) {
  Harness h;
  const std::string data(300, 'z');
  Frame whole = testing::icmp_packet(kSrc6, kDst6, 128, 0, 7, 9, data);
  // Add a hop-by-hop header: it stays in front of the fragment header in every fragment.
  const Frame hbh = {whole[kEth + 6], 0, 1, 4, 0, 0, 0, 0};
  whole[kEth + 6] = 0;
  whole.insert(whole.begin() + kEth + 40, hbh.begin(), hbh.end());
  set16(whole, kEth + 4, static_cast<std::uint16_t>(8 + 8 + data.size()));
  const std::vector<Frame> frags = testing::fragment(whole, 128);
  ASSERT_EQ(frags.size(), 3u);
  for (const Frame& f : frags) EXPECT_EQ(f[kEth + 40], 44) << "HBH then fragment header";
  feed(h, frags, {1, 0, 2});
  EXPECT_TRUE(h.pkt.reassembled);
  EXPECT_EQ(h.l3(), ip_part(whole));
  EXPECT_EQ(h.pkt.proto, kProtoIcmpv6);
  EXPECT_TRUE(h.pkt.icmp_has_id_seq);
  EXPECT_EQ(h.pkt.icmp_id, 7);
  EXPECT_EQ(h.payload(), data);
  EXPECT_FALSE(h.pkt.checksum_bad);
  EXPECT_EQ(h.counters.get("defrag.ipv6.fragments"), 3u);
  EXPECT_EQ(h.counters.get("defrag.ipv6.reassembled"), 1u);
}

// The real datagram: 8 bytes of UDP header and 32 bytes of data.
Frame real_udp_datagram() {
  const Frame f = testing::udp_packet(kSrc4, kDst4, 1000, 2000, "0123456789abcdefghijklmnopqrstuv");
  return slice(f, kEth + 20, f.size());
}

TEST(Defrag, KeepsTheFirstArrivedBytesWhenFragmentsOverlap) {
  const Frame real = real_udp_datagram();
  const Frame bogus(16, 'X');
  {
    // A late overlapping fragment cannot rewrite what was already received.
    Harness h;
    EXPECT_EQ(h.decode(ipv4_fragment(9, 0, true, slice(real, 0, 16))), DecodeStatus::kHeld);
    EXPECT_EQ(h.decode(ipv4_fragment(9, 8, true, Frame(8, 'X'))), DecodeStatus::kHeld);
    EXPECT_EQ(h.decode(ipv4_fragment(9, 16, false, slice(real, 16, 40))), DecodeStatus::kOk);
    EXPECT_EQ(Frame(h.pkt.l3.begin() + 20, h.pkt.l3.end()), real);
    EXPECT_FALSE(h.pkt.checksum_bad);
    EXPECT_EQ(h.counters.get("defrag.overlap"), 1u);
  }
  {
    // The first copy of a range wins even when it is the bogus one.
    Harness h;
    EXPECT_EQ(h.decode(ipv4_fragment(9, 16, true, bogus)), DecodeStatus::kHeld);
    EXPECT_EQ(h.decode(ipv4_fragment(9, 0, true, slice(real, 0, 24))), DecodeStatus::kHeld);
    EXPECT_EQ(h.decode(ipv4_fragment(9, 24, false, slice(real, 24, 40))), DecodeStatus::kOk);
    Frame expected = slice(real, 0, 16);
    expected.insert(expected.end(), bogus.begin(), bogus.end());
    expected.insert(expected.end(), real.begin() + 32, real.end());
    EXPECT_EQ(Frame(h.pkt.l3.begin() + 20, h.pkt.l3.end()), expected);
    EXPECT_TRUE(h.pkt.checksum_bad) << "the UDP checksum no longer matches";
    EXPECT_EQ(h.counters.get("defrag.overlap"), 2u);
  }
}

TEST(Defrag, KeepsTheFirstArrivedBytesWhenIpv6FragmentsOverlap) {
  const Frame whole = testing::udp_packet(kSrc6, kDst6, 1, 2, std::string(40, 'r'));
  const Frame real = slice(whole, kEth + 40, whole.size());  // 48 bytes
  Harness h;
  EXPECT_EQ(h.decode(ipv6_fragment(77, 0, true, slice(real, 0, 24))), DecodeStatus::kHeld);
  EXPECT_EQ(h.decode(ipv6_fragment(77, 16, true, Frame(16, 'X'))), DecodeStatus::kHeld);
  EXPECT_EQ(h.decode(ipv6_fragment(77, 32, false, slice(real, 32, 48))), DecodeStatus::kOk);
  Frame expected = slice(real, 0, 24);
  expected.insert(expected.end(), 8, 'X');
  expected.insert(expected.end(), real.begin() + 32, real.end());
  EXPECT_EQ(Frame(h.pkt.l3.begin() + 40, h.pkt.l3.end()), expected);
  EXPECT_EQ(h.counters.get("defrag.overlap"), 1u);
}

TEST(Defrag, DropsIncompleteDatagramsAfterTheTimeout) {
  DecoderConfig config;
  config.defrag_timeout_sec = 5;
  Harness h(config);
  const std::vector<Frame> frags =
      testing::fragment(testing::udp_packet(kSrc4, kDst4, 1, 2, std::string(100, 'a')), 64);
  ASSERT_EQ(frags.size(), 2u);
  EXPECT_EQ(h.decode(frags[0], 100), DecodeStatus::kHeld);
  EXPECT_EQ(h.decode(frags[1], 106), DecodeStatus::kHeld) << "the first fragment timed out";
  EXPECT_EQ(h.counters.get("defrag.timeout"), 1u);
  EXPECT_EQ(h.decode(frags[0], 111), DecodeStatus::kOk) << "within 5 s of the new first fragment";
  EXPECT_EQ(h.counters.get("defrag.ipv4.reassembled"), 1u);
}

TEST(Defrag, TimesOutOnPacketTimeEvenWithoutMoreFragments) {
  DecoderConfig config;
  config.defrag_timeout_sec = 5;
  Harness h(config);
  const Frame first =
      testing::fragment(testing::udp_packet(kSrc6, kDst6, 1, 2, std::string(100, 'a')), 64)[0];
  const Frame other = testing::udp_packet(kSrc4, kDst4, 3, 4, "unrelated");
  EXPECT_EQ(h.decode(first, 100), DecodeStatus::kHeld);
  EXPECT_EQ(h.decode(other, 105), DecodeStatus::kOk);
  EXPECT_EQ(h.counters.get("defrag.timeout"), 0u) << "5 s is not yet past the timeout";
  EXPECT_EQ(h.decode(other, 106), DecodeStatus::kOk);
  EXPECT_EQ(h.counters.get("defrag.timeout"), 1u);
}

TEST(Defrag, RefusesFragmentsBeyondTheMemcap) {
  DecoderConfig config;
  config.defrag_memcap = 4096;
  Harness h(config);
  int held = 0;
  int refused = 0;
  for (std::uint16_t id = 1; id <= 50; ++id) {
    testing::L4Options opt;
    opt.ip_id = id;
    const Frame first = testing::fragment(
        testing::udp_packet(kSrc4, kDst4, 1, 2, std::string(200, 'm'), opt), 96)[0];
    const DecodeStatus s = h.decode(first);
    if (s == DecodeStatus::kHeld) ++held;
    if (s == DecodeStatus::kMalformed) ++refused;
  }
  EXPECT_GT(held, 0);
  EXPECT_GT(refused, 0);
  EXPECT_EQ(held + refused, 50);
  EXPECT_EQ(h.counters.get("defrag.memcap_reached"), static_cast<std::uint64_t>(refused));

  // A datagram larger than the whole memcap can never be reassembled.
  Harness small(config);
  const std::vector<Frame> big =
      testing::fragment(testing::udp_packet(kSrc4, kDst4, 1, 2, std::string(8000, 'b')), 1480);
  DecodeStatus last = DecodeStatus::kHeld;
  for (const Frame& f : big) last = small.decode(f);
  EXPECT_EQ(last, DecodeStatus::kMalformed);
  EXPECT_GT(small.counters.get("defrag.memcap_reached"), 0u);
  EXPECT_EQ(small.counters.get("defrag.ipv4.reassembled"), 0u);
}

TEST(Defrag, RefusesNewDatagramsBeyondMaxTrackers) {
  DecoderConfig config;
  config.defrag_max_trackers = 2;
  Harness h(config);
  std::vector<std::vector<Frame>> datagrams;
  for (std::uint16_t id = 1; id <= 3; ++id) {
    testing::L4Options opt;
    opt.ip_id = id;
    datagrams.push_back(
        testing::fragment(testing::udp_packet(kSrc4, kDst4, 1, 2, std::string(100, 't'), opt), 64));
  }
  EXPECT_EQ(h.decode(datagrams[0][0]), DecodeStatus::kHeld);
  EXPECT_EQ(h.decode(datagrams[1][0]), DecodeStatus::kHeld);
  EXPECT_EQ(h.decode(datagrams[2][0]), DecodeStatus::kMalformed);
  EXPECT_EQ(h.counters.get("defrag.max_trackers_reached"), 1u);
  EXPECT_EQ(h.decode(datagrams[0][1]), DecodeStatus::kOk) << "completing one frees a tracker";
  EXPECT_EQ(h.decode(datagrams[2][0]), DecodeStatus::kHeld);
  EXPECT_EQ(h.decode(datagrams[2][1]), DecodeStatus::kOk);
}

TEST(Defrag, IgnoresFragmentsWithABadHeaderChecksum) {
  Harness h;
  const std::vector<Frame> frags =
      testing::fragment(testing::udp_packet(kSrc4, kDst4, 1, 2, std::string(100, 'c')), 64);
  Frame broken = frags[1];
  broken[kEth + 10] ^= 0x5a;
  EXPECT_EQ(h.decode(frags[0]), DecodeStatus::kHeld);
  EXPECT_EQ(h.decode(broken), DecodeStatus::kMalformed);
  EXPECT_TRUE(h.pkt.checksum_bad);
  EXPECT_EQ(h.counters.get("decoder.ipv4.invalid_checksum"), 1u);
  EXPECT_EQ(h.decode(frags[1]), DecodeStatus::kOk);
  EXPECT_FALSE(h.pkt.checksum_bad);
}

TEST(Defrag, DoesNotReassembleFragmentsCutByTheSnaplen) {
  Harness h;
  const std::vector<Frame> frags =
      testing::fragment(testing::udp_packet(kSrc4, kDst4, 1, 2, std::string(300, 'c')), 128);
  Frame cut = slice(frags[1], 0, 60);
  EXPECT_EQ(h.decode(frags[0]), DecodeStatus::kHeld);
  EXPECT_EQ(h.decode(cut, 1700000000, static_cast<std::uint32_t>(frags[1].size())),
            DecodeStatus::kMalformed);
  EXPECT_EQ(h.counters.get("decoder.ipv4.truncated"), 1u);
  EXPECT_EQ(h.decode(frags[2]), DecodeStatus::kHeld);
}

TEST(Defrag, RejectsMisSizedFragments) {
  struct Case {
    const char* what;
    Frame frame;
    const char* counter;
  };
  const Case cases[] = {
      {"IPv4 non-final fragment of 12 bytes", ipv4_fragment(1, 0, true, Frame(12, 1)),
       "decoder.ipv4.frag_invalid_length"},
      {"IPv4 fragment ending past 65535", ipv4_fragment(1, 65528, false, Frame(16, 1)),
       "decoder.ipv4.frag_pkt_too_large"},
      {"IPv6 non-final fragment of 12 bytes", ipv6_fragment(1, 0, true, Frame(12, 1)),
       "decoder.ipv6.frag_invalid_length"},
      {"IPv6 fragment ending past 65535", ipv6_fragment(1, 65528, false, Frame(16, 1)),
       "decoder.ipv6.frag_pkt_too_large"},
  };
  for (const Case& c : cases) {
    Harness h;
    EXPECT_EQ(h.decode(c.frame), DecodeStatus::kMalformed) << c.what;
    EXPECT_EQ(h.counters.get(c.counter), 1u) << c.what;
  }
}

TEST(Defrag, DropsFragmentsThatContradictTheDatagramEnd) {
  const Frame whole = testing::udp_packet(kSrc4, kDst4, 1, 2, std::string(56, 'e'));
  const Frame data = slice(whole, kEth + 20, whole.size());  // 64 bytes of UDP
  Harness h;
  EXPECT_EQ(h.decode(ipv4_fragment(5, 32, false, slice(data, 32, 64))), DecodeStatus::kHeld);
  EXPECT_EQ(h.decode(ipv4_fragment(5, 40, false, slice(data, 40, 56))), DecodeStatus::kMalformed)
      << "a second, different end";
  EXPECT_EQ(h.decode(ipv4_fragment(5, 56, true, Frame(16, 'e'))), DecodeStatus::kMalformed)
      << "data past the end";
  EXPECT_EQ(h.counters.get("defrag.frag_beyond_end"), 2u);
  EXPECT_EQ(h.decode(ipv4_fragment(5, 0, true, slice(data, 0, 32))), DecodeStatus::kOk);
  EXPECT_EQ(h.pkt.l3.size(), 20u + 64);
  EXPECT_EQ(Frame(h.pkt.l3.begin() + 20, h.pkt.l3.end()), data);
  EXPECT_FALSE(h.pkt.checksum_bad);
}

TEST(Defrag, KeepsDatagramsOnDifferentVlansApart) {
  testing::L4Options vlan10;
  vlan10.vlans = {10};
  testing::L4Options vlan20;
  vlan20.vlans = {20};
  const std::string data(100, 'v');
  const auto on10 = testing::fragment(testing::udp_packet(kSrc4, kDst4, 1, 2, data, vlan10), 64);
  const auto on20 = testing::fragment(testing::udp_packet(kSrc4, kDst4, 1, 2, data, vlan20), 64);
  Harness h;
  EXPECT_EQ(h.decode(on10[0]), DecodeStatus::kHeld);
  EXPECT_EQ(h.decode(on20[1]), DecodeStatus::kHeld) << "same id, other VLAN: another datagram";
  EXPECT_EQ(h.decode(on10[1]), DecodeStatus::kOk);
  EXPECT_EQ(h.pkt.vlan[0], 10);
  EXPECT_EQ(h.payload(), data);
}

TEST(Defrag, RebuildsWithTheFirstFragmentsOptions) {
  testing::L4Options opt;
  // Record route (not copied into later fragments) and loose source route (copied).
  opt.ipv4_options = {7, 7, 4, 0, 0, 0, 0, 131, 7, 4, 192, 0, 2, 9, 0, 0};
  const Frame whole = testing::udp_packet(kSrc4, kDst4, 1, 2, std::string(100, 'o'), opt);
  const std::vector<Frame> frags = testing::fragment(whole, 64);
  Harness h;
  ASSERT_EQ(h.decode(frags[1]), DecodeStatus::kHeld);
  EXPECT_EQ(h.pkt.ipv4_options, kIpoptLsrr | kIpoptEol) << "only the copied option";
  ASSERT_EQ(h.decode(frags[0]), DecodeStatus::kOk);
  EXPECT_EQ(h.pkt.ipv4_options, kIpoptRr | kIpoptLsrr | kIpoptEol);
  EXPECT_EQ(h.l3(), ip_part(whole));
}

TEST(Defrag, ReturnsAllMemoryWhenDatagramsCompleteOrExpire) {
  Counters counters;
  DecoderConfig config;
  config.defrag_timeout_sec = 10;
  Defragmenter defrag(config, counters);
  const Frame header = slice(testing::udp_packet(kSrc4, kDst4, 1, 2, ""), kEth, kEth + 20);
  auto frag = [&](std::uint32_t id, std::uint32_t offset, bool more, const Frame& data) {
    Fragment f;
    f.version = 4;
    f.src = kSrc4;
    f.dst = kDst4;
    f.id = id;
    f.proto = 17;
    f.offset = offset;
    f.more = more;
    f.header = header;
    f.data = data;
    return f;
  };
  const Frame chunk(800, 'k');
  Bytes out;
  Bytes frame;
  EXPECT_EQ(defrag.add(frag(1, 0, true, chunk), 0, out, frame), DefragStatus::kHeld);
  EXPECT_EQ(defrag.add(frag(2, 800, false, chunk), 0, out, frame), DefragStatus::kHeld);
  EXPECT_GT(defrag.memory_used(), 1600u);
  EXPECT_EQ(defrag.trackers(), 2u);
  EXPECT_EQ(defrag.add(frag(1, 800, false, chunk), 0, out, frame), DefragStatus::kComplete);
  EXPECT_EQ(out.size(), 20u + 1600);
  EXPECT_EQ(defrag.trackers(), 1u);
  defrag.expire(10'000'001);
  EXPECT_EQ(defrag.trackers(), 0u);
  EXPECT_EQ(defrag.memory_used(), 0u);
  EXPECT_EQ(counters.get("defrag.timeout"), 1u);
}

TEST(Defrag, StaysWithinTheMemcapUnderAFragmentStorm) {
  Counters counters;
  DecoderConfig config;
  config.defrag_memcap = 64 * 1024;
  config.defrag_max_trackers = 1000;
  Defragmenter defrag(config, counters);
  const Frame header = slice(testing::udp_packet(kSrc4, kDst4, 1, 2, ""), kEth, kEth + 20);
  std::mt19937 rng(7);
  Frame data(1480, 'd');
  Bytes out;
  Bytes rebuilt;
  for (int i = 0; i < 20000; ++i) {
    Fragment f;
    f.version = 4;
    f.src = kSrc4;
    f.dst = kDst4;
    f.id = rng() % 200;
    f.proto = 17;
    f.offset = (rng() % 8000) * 8;
    f.more = rng() % 4 != 0;
    f.header = header;
    f.data = Bytes(data.data(), (rng() % 185) * 8);
    (void)defrag.add(f, i * 1000, out, rebuilt);
    ASSERT_LE(defrag.memory_used(), config.defrag_memcap) << "iteration " << i;
  }
  EXPECT_GT(counters.get("defrag.memcap_reached"), 0u);
}

}  // namespace
}  // namespace wp::decode
