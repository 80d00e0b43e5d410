// Suricata 8's header keywords and integer syntax (keywords_header.cc): each rule runs on
// frames built by code and decoded by the real decoder, next to a near miss that must not
// alert; the parse errors are table-driven.
#include <gtest/gtest.h>

#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include "decode/decoder.h"
#include "detect/compile/rule_set.h"
#include "detect/engine/detector.h"
#include "detect/rules/rule_parser.h"
#include "support/packet_builder.h"
#include "support/packet_rule_harness.h"
#include "support/rule_texts.h"
#include "support/temp_dir.h"

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

Frame syn(const std::vector<std::uint8_t>& options) {
  testing::TcpSpec t;
  t.flags = 0x02;
  t.options = options;
  return testing::tcp_packet(ip("192.0.2.1"), ip("192.0.2.2"), t, "");
}

TEST(HeaderKeywords, TcpMssMatchesTheOptionAndNeedsIt) {
  Harness h({rule("tcp", "tcp.mss:<536", 1), rule("tcp", "tcp.mss:1460", 2)});
  EXPECT_EQ(h.sids(syn({2, 4, 0x01, 0x00})), Sids{1});   // MSS 256
  EXPECT_EQ(h.sids(syn({2, 4, 0x05, 0xb4})), Sids{2});   // MSS 1460
  EXPECT_EQ(h.sids(syn({1, 1, 1, 1})), Sids{}) << "no MSS option: no match, even for <536";
}

TEST(HeaderKeywords, TcpWscaleMatchesTheOption) {
  Harness h({rule("tcp", "tcp.wscale:>=14", 1)});
  EXPECT_EQ(h.sids(syn({3, 3, 14, 1})), Sids{1});
  EXPECT_EQ(h.sids(syn({3, 3, 7, 1})), Sids{});
  EXPECT_EQ(h.sids(syn({})), Sids{});
}

TEST(HeaderKeywords, TcpFlagsIsSuricata8sNameForFlags) {
  Harness h({rule("tcp", "tcp.flags:S,12", 1)});
  EXPECT_EQ(h.sids(syn({})), Sids{1});
  testing::TcpSpec synack;
  synack.flags = 0x12;
  EXPECT_EQ(h.sids(testing::tcp_packet(ip("192.0.2.1"), ip("192.0.2.2"), synack, "")), Sids{});
}

TEST(HeaderKeywords, Icmpv6MtuMatchesPacketTooBigOnly) {
  Harness h({rule("icmp", "icmpv6.mtu:<1280", 1)});
  // Type 2 carries the MTU in the second word (id, seq here): 0x0000, 0x0400 = 1024.
  EXPECT_EQ(h.sids(testing::icmp_packet(ip("2001:db8::1"), ip("2001:db8::2"), 2, 0, 0, 1024, "x")),
            Sids{1});
  EXPECT_EQ(h.sids(testing::icmp_packet(ip("2001:db8::1"), ip("2001:db8::2"), 2, 0, 0, 1500, "x")),
            Sids{});
  EXPECT_EQ(h.sids(testing::icmp_packet(ip("2001:db8::1"), ip("2001:db8::2"), 128, 0, 0, 1024, "x")),
            Sids{}) << "an echo request has no MTU";
}

Frame vlan_frame(std::vector<std::uint16_t> vlans) {
  testing::L4Options o;
  o.vlans = std::move(vlans);
  return testing::udp_packet(ip("192.0.2.1"), ip("192.0.2.2"), 1000, 2000, "x", o);
}

TEST(HeaderKeywords, VlanIdMatchesAnyLayerOrTheOneNamed) {
  Harness h({rule("udp", "vlan.id:200", 1), rule("udp", "vlan.id:200,0", 2),
             rule("udp", "vlan.id:200,-1", 3), rule("udp", "vlan.id:>4000,1", 4)});
  EXPECT_EQ(h.sids(vlan_frame({100, 200})), (Sids{1, 3}));
  EXPECT_EQ(h.sids(vlan_frame({200, 4001})), (Sids{1, 2, 4}));
  EXPECT_EQ(h.sids(vlan_frame({200})), (Sids{1, 2, 3}));
  EXPECT_EQ(h.sids(vlan_frame({})), Sids{});
}

TEST(HeaderKeywords, VlanLayersCountsTheTags) {
  Harness h({rule("udp", "vlan.layers:2", 1), rule("udp", "vlan.layers:0", 2)});
  EXPECT_EQ(h.sids(vlan_frame({10, 20})), Sids{1});
  EXPECT_EQ(h.sids(vlan_frame({10})), Sids{});
  EXPECT_EQ(h.sids(vlan_frame({})), Sids{2});
}

TEST(HeaderKeywords, ChecksumKeywordsComputeTheirLayersChecksum) {
  Harness h({rule("ip", "ipv4-csum:invalid", 1), rule("tcp", "tcpv4-csum:invalid", 2),
             rule("udp", "udpv4-csum:invalid", 3), rule("icmp", "icmpv4-csum:invalid", 4),
             rule("tcp", "tcpv6-csum:invalid", 5), rule("udp", "udpv6-csum:invalid", 6),
             rule("icmp", "icmpv6-csum:invalid", 7), rule("udp", "udpv4-csum:valid", 8)});
  testing::L4Options bad;
  bad.corrupt_l4_checksum = true;
  testing::L4Options bad_ip;
  bad_ip.corrupt_ip_checksum = true;
  const IpAddress a = ip("192.0.2.1"), b = ip("192.0.2.2");
  const IpAddress a6 = ip("2001:db8::1"), b6 = ip("2001:db8::2");
  EXPECT_EQ(h.sids(testing::udp_packet(a, b, 1, 2, "x")), Sids{8});
  EXPECT_EQ(h.sids(testing::udp_packet(a, b, 1, 2, "x", bad)), Sids{3});
  EXPECT_EQ(h.sids(testing::udp_packet(a, b, 1, 2, "x", bad_ip)), (Sids{1, 8}));
  EXPECT_EQ(h.sids(testing::tcp_packet(a, b, {}, "x", bad)), Sids{2});
  EXPECT_EQ(h.sids(testing::icmp_packet(a, b, 8, 0, 1, 1, "x", bad)), Sids{4});
  EXPECT_EQ(h.sids(testing::tcp_packet(a6, b6, {}, "x", bad)), Sids{5});
  EXPECT_EQ(h.sids(testing::udp_packet(a6, b6, 1, 2, "x", bad)), Sids{6});
  EXPECT_EQ(h.sids(testing::icmp_packet(a6, b6, 128, 0, 1, 1, "x", bad)), Sids{7});
  EXPECT_EQ(h.sids(testing::tcp_packet(a6, b6, {}, "x")), Sids{});
}

TEST(HeaderKeywords, Suricata8IntegerSyntax) {
  Harness h({rule("ip", "ttl:!=64", 1), rule("ip", "ttl:!60-70", 2), rule("ip", "ttl:0x40", 3),
             rule("ip", "id:1-10", 4), rule("ip", "ttl:=64", 5)});
  testing::L4Options o;
  o.ttl = 64;
  o.ip_id = 5;
  EXPECT_EQ(h.sids(testing::udp_packet(ip("192.0.2.1"), ip("192.0.2.2"), 1, 2, "x", o)),
            (Sids{3, 4, 5}));
  o.ttl = 128;
  o.ip_id = 10;
  EXPECT_EQ(h.sids(testing::udp_packet(ip("192.0.2.1"), ip("192.0.2.2"), 1, 2, "x", o)),
            (Sids{1, 2}));
}

TEST(HeaderKeywords, DsizeGreaterThanNeverMatchesAnEmptyPayload) {
  Harness h({rule("udp", "dsize:>=0", 1), rule("udp", "dsize:<5", 2), rule("udp", "dsize:!3", 3)});
  EXPECT_EQ(h.sids(testing::udp_packet(ip("192.0.2.1"), ip("192.0.2.2"), 1, 2, "")), (Sids{2, 3}));
  EXPECT_EQ(h.sids(testing::udp_packet(ip("192.0.2.1"), ip("192.0.2.2"), 1, 2, "abc")),
            (Sids{1, 2}));
}

TEST(HeaderKeywords, IpVersionProtocolsInTheRuleHeader) {
  Harness h({rule("ipv4", "ttl:64", 1), rule("ip4", "ttl:64", 2), rule("ipv6", "ttl:64", 3),
             rule("ip6", "ttl:64", 4), rule("icmpv4", "itype:8", 5), rule("icmpv6", "itype:128", 6),
             rule("icmp", "icode:0", 7)});
  EXPECT_EQ(h.sids(testing::udp_packet(ip("192.0.2.1"), ip("192.0.2.2"), 1, 2, "x")), (Sids{1, 2}));
  EXPECT_EQ(h.sids(testing::udp_packet(ip("2001:db8::1"), ip("2001:db8::2"), 1, 2, "x")),
            (Sids{3, 4}));
  EXPECT_EQ(h.sids(testing::icmp_packet(ip("192.0.2.1"), ip("192.0.2.2"), 8, 0, 1, 1, "x")),
            (Sids{1, 2, 5, 7}));
  EXPECT_EQ(h.sids(testing::icmp_packet(ip("2001:db8::1"), ip("2001:db8::2"), 128, 0, 1, 1, "x")),
            (Sids{3, 4, 6, 7}));
}

TEST(HeaderKeywords, PrefilterIsAcceptedAsAHint) {
  Harness h({rule("udp", "content:\"abc\"; prefilter", 1)});
  EXPECT_EQ(h.sids(testing::udp_packet(ip("192.0.2.1"), ip("192.0.2.2"), 1, 2, "xabcx")), Sids{1});
}

// Parse results, table-driven: the text after "sid:1; " in a rule's options, and the
// message's expected fragment ("" when the rule loads).
struct ParseCase {
  const char* options;
  const char* error;
};

void PrintTo(const ParseCase& c, std::ostream* os) { *os << c.options; }

class HeaderKeywordParsing : public ::testing::TestWithParam<ParseCase> {};

TEST_P(HeaderKeywordParsing, ReportsWhatIsWrong) {
  RuleParser parser(RuleVars::suricata_defaults());
  auto r = parser.parse(std::string("alert ip any any -> any any (msg:\"t\"; ") + GetParam().options +
                        " sid:1;)");
  if (*GetParam().error == '\0') {
    EXPECT_TRUE(r.ok()) << GetParam().options << ": " << (r.ok() ? "" : r.error().describe());
  } else {
    ASSERT_FALSE(r.ok()) << GetParam().options;
    EXPECT_NE(r.error().describe().find(GetParam().error), std::string::npos)
        << GetParam().options << ": " << r.error().describe();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, HeaderKeywordParsing,
    ::testing::Values(ParseCase{"tcp.mss:!=1460;", ""}, ParseCase{"tcp.mss:70000;", "not a valid"},
                      ParseCase{"tcp.wscale:15-14;", "not a valid"},
                      ParseCase{"icmpv6.mtu:0x500;", ""}, ParseCase{"vlan.id:4096;", "VLAN id"},
                      ParseCase{"vlan.id:10,3;", "layer"}, ParseCase{"vlan.id:10,-4;", "layer"},
                      ParseCase{"vlan.id:10,-1;", ""}, ParseCase{"vlan.layers:>3;", ""},
                      ParseCase{"ipv4-csum:valid;", ""}, ParseCase{"tcpv4-csum:broken;", "valid"},
                      ParseCase{"ttl:!1-3;", ""}, ParseCase{"ttl:0x1ff;", "not a valid"},
                      ParseCase{"tos:!=4;", "not a valid"}, ParseCase{"prefilter;", ""},
                      ParseCase{"requires: version >= 7.0.3;", ""},
                      ParseCase{"requires: version >= 7 < 8 | >= 8.0.0;", ""},
                      ParseCase{"requires: version >= 9;", "requires version >= 9"},
                      ParseCase{"requires: feature geoip;", "requires feature geoip"},
                      ParseCase{"requires: colour blue;", "expected"},
                      ParseCase{"requires: version >> 8;", "not a version requirement"},
                      ParseCase{"flow.pkts:toserver,>5;", ""},
                      ParseCase{"flow.pkts:sideways,>5;", "unknown direction"},
                      ParseCase{"flow.bytes:>5;", "expected 'toserver|toclient|either|both"},
                      ParseCase{"flow.pkts_toclient:!=0x10;", ""}, ParseCase{"flow.age:<3600;", ""},
                      ParseCase{"flow.age:lots;", "not a valid value"},
                      ParseCase{"stream-event:reassembly_overlap_different_data;", ""},
                      ParseCase{"stream-event:stream.rst_invalid;", ""},
                      ParseCase{"stream-event:3whs_synack_in_wrong_direction;", ""},
                      ParseCase{"stream-event:pkt_invalid_timestamp;",
                                "'pkt_invalid_timestamp' is not detected by this stream engine"},
                      ParseCase{"stream-event:no_such_event;", "unknown stream event 'no_such_event'"}));

TEST(HeaderKeywords, UnmetRequirementSkipsTheRuleAsNotSupported) {
  testing::TempDir dir;
  std::ofstream(dir.file("r.rules"))
      << "alert ip any any -> any any (msg:\"t\"; requires: version >= 9.1; sid:1;)\n"
      << "alert ip any any -> any any (msg:\"t\"; requires: version >= 8; sid:2;)\n";
  RuleParser parser(RuleVars::suricata_defaults());
  const RuleFileResult r = parser.parse_file(dir.file("r.rules"));
  ASSERT_EQ(r.rules.size(), 1u);
  EXPECT_EQ(r.rules[0].sid, 2u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].reason, "requires");
  EXPECT_TRUE(r.errors[0].not_supported);
}

}  // namespace
}  // namespace wp::detect
