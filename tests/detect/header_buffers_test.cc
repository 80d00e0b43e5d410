// The packet header sticky buffers (ipv4.hdr, ipv6.hdr, tcp.hdr, udp.hdr, icmpv4.hdr,
// icmpv6.hdr): each rule runs on frames built by code and decoded by the real decoder, next
// to a near miss that must not alert.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "decode/decoder.h"
#include "detect/compile/rule_set.h"
#include "detect/engine/detector.h"
#include "detect/rules/rule_parser.h"
#include "support/packet_builder.h"
#include "support/packet_rule_harness.h"
#include "support/rule_texts.h"

namespace wp::detect {
namespace {

using testing::Frame;
using testing::ip;
using Sids = std::vector<std::uint32_t>;

using Harness = testing::PacketRuleHarness;

std::string rule(const std::string& proto, const std::string& options, int sid) {
  return "alert " + proto + " any any -> any any (msg:\"t\"; " + options +
         "; sid:" + std::to_string(sid) + ";)";
}

const IpAddress kA = ip("192.0.2.1");
const IpAddress kB = ip("192.0.2.2");
const IpAddress kA6 = ip("2001:db8::1");
const IpAddress kB6 = ip("2001:db8::2");

Frame tcp_with_options(std::vector<std::uint8_t> options) {
  testing::TcpSpec t;
  t.flags = 0x02;
  t.options = std::move(options);
  return testing::tcp_packet(kA, kB, t, "");
}

// An IPv6 packet whose header chain is a hop-by-hop header (8 bytes, PadN) then UDP.
Frame ipv6_hop_by_hop_udp(std::uint16_t dport) {
  Frame chain = {17, 0, 1, 4, 0, 0, 0, 0};  // next header UDP, length 0, PadN of 4
  const Frame udp = {0x04, 0xd2, static_cast<std::uint8_t>(dport >> 8),
                     static_cast<std::uint8_t>(dport), 0, 9, 0, 0, 'x'};
  chain.insert(chain.end(), udp.begin(), udp.end());
  return testing::ip_packet(kA6, kB6, 0, chain);
}

TEST(HeaderBuffers, Ipv4HdrIsTheHeaderWithItsOptions) {
  Harness h({rule("ip", "ipv4.hdr; content:\"|40 06|\"; offset:8; depth:2", 1),
             rule("ip", "ipv4.hdr; bsize:24", 2)});
  testing::L4Options ttl63;
  ttl63.ttl = 63;
  testing::L4Options options;
  options.ipv4_options = {1, 1, 1, 0};  // NOP NOP NOP EOL: a 24-byte header
  EXPECT_EQ(h.sids(testing::tcp_packet(kA, kB, {}, "x")), Sids{1});
  EXPECT_EQ(h.sids(testing::tcp_packet(kA, kB, {}, "x", ttl63)), Sids{}) << "TTL 63";
  EXPECT_EQ(h.sids(testing::tcp_packet(kA, kB, {}, "x", options)), (Sids{1, 2}));
  EXPECT_EQ(h.sids(testing::tcp_packet(kA6, kB6, {}, "x")), Sids{}) << "no IPv4 header";
}

TEST(HeaderBuffers, Ipv6HdrIncludesTheExtensionHeaders) {
  Harness h({rule("ip", "ipv6.hdr; bsize:48; content:\"|11 00|\"; offset:40; depth:2", 1),
             rule("ip", "ipv6.hdr; content:\"|20 01 0d b8|\"; offset:24; depth:4", 2),
             rule("ip", "ipv6.hdr; bsize:40", 3)});
  EXPECT_EQ(h.sids(ipv6_hop_by_hop_udp(53)), (Sids{1, 2}));
  EXPECT_EQ(h.sids(testing::udp_packet(kA6, kB6, 1234, 53, "x")), (Sids{2, 3}))
      << "no extension header: 40 bytes";
  EXPECT_EQ(h.sids(testing::udp_packet(kA, kB, 1234, 53, "x")), Sids{}) << "no IPv6 header";
}

TEST(HeaderBuffers, TcpHdrIncludesTheOptions) {
  Harness h({rule("tcp", "tcp.hdr; content:\"|02 04 05 b4|\"; offset:20", 1),
             rule("tcp", "tcp.hdr; bsize:20", 2),
             rule("tcp", "tcp.hdr; byte_test:2,=,80,2", 3)});
  EXPECT_EQ(h.sids(tcp_with_options({2, 4, 0x05, 0xb4})), (Sids{1, 3}));
  EXPECT_EQ(h.sids(tcp_with_options({2, 4, 0x01, 0x00})), Sids{3}) << "MSS 256";
  EXPECT_EQ(h.sids(tcp_with_options({})), (Sids{2, 3}));
}

TEST(HeaderBuffers, TcpHdrDoesNotReachThePayload) {
  Harness h({rule("tcp", "tcp.hdr; content:\"secret\"", 1),
             rule("tcp", "content:\"secret\"; tcp.hdr; content:\"|00 50|\"; offset:2; depth:2", 2)});
  testing::TcpSpec other_port;
  other_port.dport = 81;
  EXPECT_EQ(h.sids(testing::tcp_packet(kA, kB, {}, "a secret")), Sids{2});
  EXPECT_EQ(h.sids(testing::tcp_packet(kA, kB, other_port, "a secret")), Sids{})
      << "both lists must match: the payload's and the header's";
}

TEST(HeaderBuffers, UdpHdrIsEightBytes) {
  Harness h({rule("udp", "udp.hdr; content:\"|00 35|\"; offset:2; depth:2", 1),
             rule("udp", "udp.hdr; isdataat:7; isdataat:!8", 2)});
  EXPECT_EQ(h.sids(testing::udp_packet(kA, kB, 1234, 53, "x")), (Sids{1, 2}));
  EXPECT_EQ(h.sids(testing::udp_packet(kA, kB, 1234, 54, "xx\x00\x35")), Sids{2})
      << "the pattern in the payload is not in the header";
}

TEST(HeaderBuffers, IcmpHeadersAreTheirFamilysOnly) {
  Harness h({rule("icmp", "icmpv4.hdr; content:\"|08 00|\"; depth:2", 1),
             rule("icmp", "icmpv6.hdr; content:\"|80 00|\"; depth:2", 2),
             rule("icmp", "icmpv4.hdr; bsize:20", 3)});
  EXPECT_EQ(h.sids(testing::icmp_packet(kA, kB, 8, 0, 1, 1, "x")), Sids{1});
  EXPECT_EQ(h.sids(testing::icmp_packet(kA, kB, 0, 0, 1, 1, "x")), Sids{}) << "echo reply";
  EXPECT_EQ(h.sids(testing::icmp_packet(kA6, kB6, 128, 0, 1, 1, "x")), Sids{2});
  EXPECT_EQ(h.sids(testing::icmp_packet(kA6, kB6, 129, 0, 1, 1, "x")), Sids{});
  // A timestamp request's header holds its three timestamps (20 bytes).
  EXPECT_EQ(h.sids(testing::icmp_packet(kA, kB, 13, 0, 1, 1, std::string(12, '\0'))), Sids{3});
}

TEST(HeaderBuffers, AnIpRuleOnAPacketWithoutThatHeaderDoesNotMatch) {
  Harness h({rule("ip", "tcp.hdr; content:\"|00 35|\"; offset:2; depth:2", 1)});
  EXPECT_EQ(h.sids(testing::udp_packet(kA, kB, 1234, 53, "x")), Sids{});
  testing::TcpSpec dns;
  dns.dport = 53;
  EXPECT_EQ(h.sids(testing::tcp_packet(kA, kB, dns, "x")), Sids{1});
}

TEST(HeaderBuffers, RulesWithAHeaderBufferArePacketRules) {
  RuleParser parser(RuleVars::suricata_defaults());
  auto built = RuleSet::build(
      wp::testing::parse_rule_texts(
          parser, {rule("tcp", "content:\"GET\"; tcp.hdr; content:\"|00 50|\"; offset:2", 1),
                   rule("tcp", "content:\"GET\"", 2)}),
      ClassificationTable::defaults(), nullptr);
  ASSERT_TRUE(built.ok());
  ASSERT_EQ(built.value()->rules().size(), 2u);
  for (const CompiledRule& cr : built.value()->rules()) {
    EXPECT_EQ(cr.stream, cr.rule.sid == 2) << "sid " << cr.rule.sid;
  }
}

TEST(HeaderBuffers, ListKeywordsShowsThemAsSupported) {
  const auto listing = lang::list_keywords();
  for (const char* name : {"ipv4.hdr", "ipv6.hdr", "tcp.hdr", "udp.hdr", "icmpv4.hdr",
                           "icmpv6.hdr", "stream-event"}) {
    const auto it = std::find_if(listing.begin(), listing.end(),
                                 [&](const lang::KeywordListing& k) { return k.name == name; });
    ASSERT_NE(it, listing.end()) << name;
    EXPECT_TRUE(it->supported) << name;
    EXPECT_EQ(std::count_if(listing.begin(), listing.end(),
                            [&](const lang::KeywordListing& k) { return k.name == name; }),
              1)
        << name << " is listed once";
  }
}

struct ProtoCase {
  const char* text;
  const char* error;  // "" when the rule loads
};

class HeaderBufferProtocol : public ::testing::TestWithParam<ProtoCase> {};

TEST_P(HeaderBufferProtocol, TheRuleProtocolMustCarryTheHeader) {
  RuleParser parser(RuleVars::suricata_defaults());
  auto r = parser.parse(GetParam().text);
  if (*GetParam().error == '\0') {
    EXPECT_TRUE(r.ok()) << GetParam().text << ": " << (r.ok() ? "" : r.error().describe());
  } else {
    ASSERT_FALSE(r.ok()) << GetParam().text;
    EXPECT_NE(r.error().describe().find(GetParam().error), std::string::npos)
        << r.error().describe();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, HeaderBufferProtocol,
    ::testing::Values(
        ProtoCase{"alert udp any any -> any any (tcp.hdr; content:\"a\"; sid:1;)",
                  "invalid tcp.hdr: needs a rule of protocol tcp or ip"},
        ProtoCase{"alert tcp any any -> any any (udp.hdr; content:\"a\"; sid:1;)",
                  "invalid udp.hdr: needs a rule of protocol udp or ip"},
        ProtoCase{"alert tcp any any -> any any (icmpv4.hdr; content:\"a\"; sid:1;)",
                  "invalid icmpv4.hdr: needs a rule of protocol icmp or ip"},
        ProtoCase{"alert ip any any -> any any (tcp.hdr; content:\"a\"; sid:1;)", ""},
        ProtoCase{"alert tcp any any -> any any (ipv4.hdr; content:\"a\"; sid:1;)", ""},
        ProtoCase{"alert icmp any any -> any any (icmpv6.hdr; bsize:8; sid:1;)", ""}));

}  // namespace
}  // namespace wp::detect
