// Decode events: the table of Suricata names and the events the decoder records on crafted
// packets of every layer it decodes (tunnel layers are in tunnel_test.cc).
#include "decode/events.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "decode/decoder.h"
#include "support/packet_builder.h"

namespace wp::decode {
namespace {

using testing::Frame;
using testing::ip;

constexpr std::size_t kEth = 14;
const IpAddress kSrc4 = ip("192.0.2.1");
const IpAddress kDst4 = ip("198.51.100.2");
const IpAddress kSrc6 = ip("2001:db8::1");
const IpAddress kDst6 = ip("2001:db8::2");

void set16(Frame& f, std::size_t at, std::uint16_t v) {
  f[at] = static_cast<std::uint8_t>(v >> 8);
  f[at + 1] = static_cast<std::uint8_t>(v);
}

// Inserts IPv6 extension headers (their next-header bytes chained here) after the header.
Frame with_ipv6_exts(Frame f, const std::vector<std::pair<std::uint8_t, Frame>>& exts) {
  std::uint8_t next = f[kEth + 6];
  Frame chain;
  for (auto it = exts.rbegin(); it != exts.rend(); ++it) {
    Frame e = it->second;
    e[0] = next;
    next = it->first;
    chain.insert(chain.begin(), e.begin(), e.end());
  }
  f[kEth + 6] = next;
  f.insert(f.begin() + kEth + 40, chain.begin(), chain.end());
  set16(f, kEth + 4, static_cast<std::uint16_t>(f.size() - kEth - 40));
  return f;
}

Frame udp6() { return testing::udp_packet(kSrc6, kDst6, 1, 2, "six"); }
Frame udp4() { return testing::udp_packet(kSrc4, kDst4, 1, 2, "four"); }

struct Case {
  const char* name;
  std::function<Frame()> frame;
  DecodeEvent event;
  DecodeStatus status;
  int linktype = 1;
};

std::vector<Case> cases() {
  const Frame pad = {0, 0, 1, 4, 0, 0, 0, 0};
  const Frame rh0 = {0, 0, 0, 0, 0, 0, 0, 0};  // routing type 0, segments left 0
  const Frame rh2 = {0, 0, 2, 0, 0, 0, 0, 0};
  return {
      {"IPv4 version 5",
       [] {
         Frame f = udp4();
         f[kEth] = 0x55;
         return f;
       },
       DecodeEvent::kIpv4WrongIpVersion, DecodeStatus::kMalformed},
      {"IPv4 IHL 4",
       [] {
         Frame f = udp4();
         f[kEth] = 0x44;
         return f;
       },
       DecodeEvent::kIpv4HlenTooSmall, DecodeStatus::kMalformed},
      {"IPv4 total length 10",
       [] {
         Frame f = udp4();
         set16(f, kEth + 2, 10);
         return f;
       },
       DecodeEvent::kIpv4IplenSmallerThanHlen, DecodeStatus::kMalformed},
      {"IPv4 option without its length byte",
       [] {
         testing::L4Options o;
         o.ipv4_options = {1, 1, 1, 7};
         return testing::udp_packet(kSrc4, kDst4, 1, 2, "x", o);
       },
       DecodeEvent::kIpv4OptEolRequired, DecodeStatus::kMalformed},
      {"IPv4 timestamp pointer 1",
       [] {
         testing::L4Options o;
         o.ipv4_options = {68, 8, 1, 0, 0, 0, 0, 0};
         return testing::udp_packet(kSrc4, kDst4, 1, 2, "x", o);
       },
       DecodeEvent::kIpv4OptMalformed, DecodeStatus::kMalformed},
      {"ICMPv6 over IPv4",
       [] {
         return testing::ip_packet(kSrc4, kDst4, 58, Frame{128, 0, 0, 0, 0, 1, 0, 1});
       },
       DecodeEvent::kIpv4Icmpv6, DecodeStatus::kOk},
      {"ICMPv4 over IPv6",
       [] {
         return testing::ip_packet(kSrc6, kDst6, 1, Frame{8, 0, 0, 0, 0, 1, 0, 1});
       },
       DecodeEvent::kIpv6Icmpv4, DecodeStatus::kOk},
      {"IPv6 version 4 in an IPv6 frame",
       [] {
         Frame f = udp6();
         f[kEth] = 0x40;
         return f;
       },
       DecodeEvent::kIpv6WrongIpVersion, DecodeStatus::kMalformed},
      {"IPv6 20 bytes", [] { return testing::ethernet_frame(0x86dd, Frame(20, 0x60)); },
       DecodeEvent::kIpv6PktTooSmall, DecodeStatus::kMalformed},
      {"IPv6 hop-by-hop past the payload",
       [] {
         Frame f = with_ipv6_exts(udp6(), {{0, Frame{0, 8, 1, 4, 0, 0, 0, 0}}});
         return f;
       },
       DecodeEvent::kIpv6TruncExthdr, DecodeStatus::kMalformed},
      {"IPv6 two hop-by-hop headers",
       [pad] {
         return with_ipv6_exts(udp6(), {{0, pad}, {0, pad}});
       },
       DecodeEvent::kIpv6ExthdrDuplHh, DecodeStatus::kMalformed},
      {"IPv6 routing type 0",
       [rh0] {
         return with_ipv6_exts(udp6(), {{43, rh0}});
       },
       DecodeEvent::kIpv6RhType0, DecodeStatus::kOk},
      {"IPv6 two routing headers",
       [rh2] {
         return with_ipv6_exts(udp6(), {{43, rh2}, {43, rh2}});
       },
       DecodeEvent::kIpv6ExthdrDuplRh, DecodeStatus::kOk},
      {"IPv6 fragment header reserved byte",
       [] {
         return with_ipv6_exts(udp6(), {{44, Frame{0, 9, 0, 0, 0, 0, 0, 1}}});
       },
       DecodeEvent::kIpv6FhNonZeroReservedField, DecodeStatus::kOk},
      {"IPv6 data after no next header",
       [] {
         Frame f = udp6();
         f[kEth + 6] = 59;
         return f;
       },
       DecodeEvent::kIpv6DataAfterNoneHeader, DecodeStatus::kOk},
      {"TCP option length past the header",
       [] {
         testing::TcpSpec t;
         t.options = {1, 1, 8, 10};
         return testing::tcp_packet(kSrc4, kDst4, t, "x");
       },
       DecodeEvent::kTcpInvalidOptlen, DecodeStatus::kOk},
      {"TCP two MSS options",
       [] {
         testing::TcpSpec t;
         t.options = {2, 4, 5, 180, 2, 4, 5, 180};
         return testing::tcp_packet(kSrc4, kDst4, t, "x");
       },
       DecodeEvent::kTcpOptDuplicate, DecodeStatus::kOk},
      {"TCP data offset 4",
       [] {
         Frame f = testing::tcp_packet(kSrc4, kDst4, {}, "x");
         f[kEth + 20 + 12] = 0x40;
         return f;
       },
       DecodeEvent::kTcpHlenTooSmall, DecodeStatus::kMalformed},
      {"UDP length past the IP payload",
       [] {
         Frame f = udp4();
         set16(f, kEth + 20 + 4, 200);
         return f;
       },
       DecodeEvent::kUdpPktTooSmall, DecodeStatus::kMalformed},
      {"UDP length shorter than the IP payload",
       [] {
         Frame f = udp4();
         set16(f, kEth + 20 + 4, 9);
         return f;
       },
       DecodeEvent::kUdpHlenInvalid, DecodeStatus::kMalformed},
      {"ICMPv4 of 4 bytes",
       [] {
         return testing::ip_packet(kSrc4, kDst4, 1, Frame{8, 0, 0, 0});
       },
       DecodeEvent::kIcmpv4PktTooSmall, DecodeStatus::kMalformed},
      {"Ethernet of 13 bytes", [] { return Frame(13, 0); }, DecodeEvent::kEthernetPktTooSmall,
       DecodeStatus::kMalformed},
      {"Linux cooked of 10 bytes", [] { return Frame(10, 0); }, DecodeEvent::kSllPktTooSmall,
       DecodeStatus::kMalformed, 113},
      {"loopback family 99",
       [] {
         return Frame{99, 0, 0, 0, 0x45};
       },
       DecodeEvent::kLtnullUnsupportedType, DecodeStatus::kUnsupported, 0},
      {"raw IP version 5",
       [] {
         return Frame{0x50, 0, 0, 0};
       },
       DecodeEvent::kIprawInvalidIpVersion, DecodeStatus::kMalformed, 101},
  };
}

TEST(DecodeEvents, RecordsTheSuricataEventOfEachCraftedPacket) {
  for (const Case& c : cases()) {
    Counters counters;
    Decoder decoder({}, counters);
    const Frame f = c.frame();
    capture::RawPacket raw;
    raw.data = f.data();
    raw.caplen = raw.wirelen = static_cast<std::uint32_t>(f.size());
    raw.linktype = c.linktype;
    Packet p;
    EXPECT_EQ(decoder.decode(raw, p), c.status) << c.name;
    EXPECT_TRUE(p.has_event(c.event)) << c.name << ": " << decode_event_info(c.event).name;
    const std::string_view counter = decode_event_info(c.event).counter;
    if (!counter.empty()) {
      EXPECT_GE(counters.get(counter), 1u) << c.name;
    }
  }
}

TEST(DecodeEvents, WellFormedPacketsCarryNone) {
  Counters counters;
  Decoder decoder({}, counters);
  testing::TcpSpec t;
  t.options = {2, 4, 5, 180, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0};
  for (const Frame& f : {udp4(), udp6(), testing::tcp_packet(kSrc4, kDst4, t, "x"),
                         testing::tcp_packet(kSrc6, kDst6, t, "y"),
                         testing::icmp_packet(kSrc4, kDst4, 8, 0, 1, 1, "ping"),
                         testing::icmp_packet(kSrc6, kDst6, 128, 0, 1, 1, "ping6")}) {
    capture::RawPacket raw;
    raw.data = f.data();
    raw.caplen = raw.wirelen = static_cast<std::uint32_t>(f.size());
    Packet p;
    ASSERT_EQ(decoder.decode(raw, p), DecodeStatus::kOk);
    EXPECT_FALSE(p.has_events());
  }
}

TEST(DecodeEvents, NamesAreUniqueAndFoundWhateverTheirCase) {
  std::set<std::string_view> names;
  for (const DecodeEventInfo& e : kDecodeEvents) {
    EXPECT_TRUE(names.insert(e.name).second) << e.name;
    EXPECT_EQ(find_decode_event(e.name), e.id) << e.name;
    EXPECT_FALSE(is_undetected_suricata_event(e.name)) << e.name;
    if (!e.counter.empty()) {
      EXPECT_EQ(e.counter.substr(0, 8), "decoder.") << e.name;
    }
  }
  EXPECT_EQ(find_decode_event("IPv4.PKT_TOO_SMALL"), DecodeEvent::kIpv4PktTooSmall);
  EXPECT_EQ(find_decode_event("ipv4.pkt_too_smal"), std::nullopt);
  EXPECT_TRUE(is_undetected_suricata_event("esp.pkt_too_small"));
  EXPECT_FALSE(is_undetected_suricata_event("no.such_event"));
}

TEST(DecodeEvents, EveryEventCounterIsRegisteredAsAnAnomaly) {
  Counters counters;
  Decoder decoder({}, counters);
  for (const DecodeEventInfo& e : kDecodeEvents) {
    if (e.counter.empty()) continue;
    bool found = false;
    for (CounterId i = 0; i < counters.size(); ++i) {
      if (counters.name(i) == e.counter) {
        found = true;
        EXPECT_TRUE(counters.is_anomaly(i)) << e.counter;
      }
    }
    EXPECT_TRUE(found) << e.counter;
  }
}

}  // namespace
}  // namespace wp::decode
