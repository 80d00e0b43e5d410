// Tunnelled traffic and decoder events end to end through the Worker (decode -> flow ->
// stream -> detect -> alert): rules see the innermost packet of every tunnel kind, and
// decode-event rules (Suricata's decoder-events.rules style) fire on crafted malformed
// packets and not on well-formed ones.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/config.h"
#include "app/worker.h"
#include "detect/compile/rule_set.h"
#include "detect/rules/rule_parser.h"
#include "support/packet_builder.h"
#include "support/worker_harness.h"
#include "support/rule_texts.h"
#include "support/temp_dir.h"

namespace wp::app {
namespace {

using testing::Frame;
using testing::ip;

struct Seen {
  std::uint32_t sid;
  std::string src_ip;
  std::string dest_ip;
};

class Collect final : public output::AlertSink {
 public:
  void on_alert(const watchpost::v1::Alert& a) override {
    seen.push_back({a.signature().signature_id(), a.src_ip(), a.dest_ip()});
  }
  std::vector<Seen> seen;
};

struct Sensor {
  explicit Sensor(const std::vector<std::string>& rule_texts) {
    config.pcap_checksum_checks = ChecksumChecks::kYes;
    detect::RuleParser parser(config.vars);
    auto set = detect::RuleSet::build(testing::parse_rule_texts(parser, rule_texts),
                                      detect::ClassificationTable::defaults(), nullptr);
    EXPECT_TRUE(set.ok());
    worker = std::make_unique<Worker>(config, set.value(), counters, &sink);
  }
  void send(const Frame& f, int linktype = 1) {
    capture::RawPacket raw;
    raw.ts = Timestamp{1751338800 + static_cast<std::int64_t>(number), 0};
    raw.data = f.data();
    raw.caplen = raw.wirelen = static_cast<std::uint32_t>(f.size());
    raw.linktype = linktype;
    raw.number = ++number;
    worker->process(raw);
  }
  std::vector<std::uint32_t> sids() const {
    std::vector<std::uint32_t> out;
    for (const Seen& s : sink.seen) out.push_back(s.sid);
    return out;
  }

  Config config;
  Counters counters;
  Collect sink;
  std::unique_ptr<Worker> worker;
  std::uint64_t number = 0;
};

const IpAddress kOuterA = ip("203.0.113.1");
const IpAddress kOuterB = ip("203.0.113.2");
const IpAddress kInnerSrc = ip("10.0.0.1");
const IpAddress kInnerDst = ip("10.0.0.2");

Frame inner_udp4() {
  return testing::udp_packet(kInnerSrc, kInnerDst, 5353, 53, "tunnelled secret", {}, false);
}
Frame inner_udp6() {
  return testing::udp_packet(ip("fd00::1"), ip("fd00::2"), 5353, 53, "tunnelled secret", {}, false);
}
Frame gre_frame(std::uint16_t protocol, const Frame& inner, const testing::GreOptions& o = {}) {
  return testing::ip_packet(kOuterA, kOuterB, 47, testing::gre(protocol, inner, o));
}
Frame udp_frame(std::uint16_t dport, const Frame& payload) {
  return testing::udp_packet(kOuterA, kOuterB, 50000, dport, testing::as_text(payload));
}

struct TunnelKind {
  const char* name;
  std::function<Frame()> frame;
  int linktype = 1;
};

std::vector<TunnelKind> tunnel_kinds() {
  const auto eth = [] { return testing::ethernet_frame(0x0800, inner_udp4()); };
  testing::GreOptions seq;
  seq.sequence = 1;
  testing::GreOptions pptp;
  pptp.version = 1;
  return {
      {"GRE", [] { return gre_frame(0x0800, inner_udp4()); }},
      {"GRE IPv6", [] { return gre_frame(0x86dd, inner_udp6()); }},
      {"GRE PPP", [] { return gre_frame(0x880b, testing::ppp(0x21, inner_udp4())); }},
      {"PPTP GRE",
       [pptp] { return gre_frame(0x880b, testing::ppp(0x21, inner_udp4(), false), pptp); }},
      {"GRE Ethernet", [eth] { return gre_frame(0x6558, eth()); }},
      {"ERSPAN I", [eth] { return gre_frame(0x88be, eth()); }},
      {"ERSPAN II", [eth, seq] { return gre_frame(0x88be, testing::erspan2(0, 1, eth()), seq); }},
      {"ERSPAN III", [eth, seq] { return gre_frame(0x22eb, testing::erspan3(0, 1, eth()), seq); }},
      {"MPLS", [] { return testing::ethernet_frame(0x8847, testing::mpls({99}, inner_udp4())); }},
      {"VXLAN", [eth] { return udp_frame(4789, testing::vxlan(1, eth())); }},
      {"Geneve", [eth] { return udp_frame(6081, testing::geneve(0x6558, 1, eth())); }},
      {"Teredo", [] { return udp_frame(3544, inner_udp6()); }},
      {"IP-in-IP", [] { return testing::ip_packet(kOuterA, kOuterB, 4, inner_udp4()); }},
      {"6in4", [] { return testing::ip_packet(kOuterA, kOuterB, 41, inner_udp6()); }},
      {"PPP link", [] { return testing::ppp(0x21, inner_udp4()); }, 9},
  };
}

TEST(TunnelDetection, ContentOnTheInnerPayloadFiresForEveryTunnelKind) {
  for (const TunnelKind& k : tunnel_kinds()) {
    Sensor s({"alert udp any any -> any 53 (msg:\"inner\"; content:\"tunnelled secret\"; sid:1;)",
              "alert udp any any -> any 4789 (msg:\"outer\"; sid:2;)",
              "alert ip any any -> any any (msg:\"gre\"; ip_proto:47; sid:3;)"});
    s.send(k.frame(), k.linktype);
    ASSERT_EQ(s.sids(), std::vector<std::uint32_t>{1}) << k.name;
    if (std::string(k.name).find("6") == std::string::npos && std::string(k.name) != "Teredo") {
      EXPECT_EQ(s.sink.seen[0].src_ip, "10.0.0.1") << k.name;
      EXPECT_EQ(s.sink.seen[0].dest_ip, "10.0.0.2") << k.name;
    }
  }
}

TEST(TunnelDetection, TcpSessionInsideGreIsReassembledOnTheInnerFlow) {
  Sensor s(
      {"alert tcp any any -> any 80 (msg:\"split\"; flow:established,to_server; "
       "content:\"GET /secret\"; sid:10;)"});
  auto seg = [](bool out, std::uint32_t seq, std::uint32_t ack, std::uint8_t flags,
                std::string_view data) {
    testing::TcpSpec t;
    t.sport = out ? 40000 : 80;
    t.dport = out ? 80 : 40000;
    t.seq = seq;
    t.ack = ack;
    t.flags = flags;
    const Frame inner = out ? testing::tcp_packet(kInnerSrc, kInnerDst, t, data, {}, false)
                            : testing::tcp_packet(kInnerDst, kInnerSrc, t, data, {}, false);
    return out ? testing::ip_packet(kOuterA, kOuterB, 47, testing::gre(0x0800, inner))
               : testing::ip_packet(kOuterB, kOuterA, 47, testing::gre(0x0800, inner));
  };
  s.send(seg(true, 100, 0, 0x02, ""));
  s.send(seg(false, 500, 101, 0x12, ""));
  s.send(seg(true, 101, 501, 0x10, ""));
  s.send(seg(true, 101, 501, 0x18, "GET /se"));
  s.send(seg(true, 108, 501, 0x18, "cret HTTP/1.1\r\n"));
  EXPECT_EQ(s.sids(), std::vector<std::uint32_t>{10});
  EXPECT_EQ(s.counters.get("flow.tcp"), 1u);
}

// Rules in the style of Suricata's rules/decoder-events.rules.
const std::vector<std::string> kDecoderEventRules = {
    "alert pkthdr any any -> any any (msg:\"SURICATA IPv4 packet too small\"; "
    "decode-event:ipv4.pkt_too_small; classtype:protocol-command-decode; sid:2200000; rev:2;)",
    "alert pkthdr any any -> any any (msg:\"SURICATA IPv4 truncated packet\"; "
    "decode-event:ipv4.trunc_pkt; classtype:protocol-command-decode; sid:2200005; rev:2;)",
    "alert pkthdr any any -> any any (msg:\"SURICATA IPv4 invalid option length\"; "
    "decode-event:ipv4.opt_invalid_len; classtype:protocol-command-decode; sid:2200007; rev:2;)",
    "alert pkthdr any any -> any any (msg:\"SURICATA IPv6 duplicated Fragment extension header\"; "
    "decode-event:ipv6.exthdr_dupl_fh; classtype:protocol-command-decode; sid:2200080; rev:2;)",
    "alert pkthdr any any -> any any (msg:\"SURICATA IPv6 useless Fragment extension header\"; "
    "decode-event:ipv6.exthdr_useless_fh; classtype:protocol-command-decode; sid:2200081; rev:2;)",
    "alert pkthdr any any -> any any (msg:\"SURICATA FRAG IPv6 Fragmentation overlap\"; "
    "decode-event:ipv6.frag_overlap; classtype:protocol-command-decode; sid:2200069; rev:2;)",
    "alert pkthdr any any -> any any (msg:\"SURICATA TCP option invalid length\"; "
    "decode-event:tcp.opt_invalid_len; classtype:protocol-command-decode; sid:2200035; rev:2;)",
    "alert pkthdr any any -> any any (msg:\"SURICATA UDP header length too small\"; "
    "decode-event:udp.hlen_too_small; classtype:protocol-command-decode; sid:2200038; rev:2;)",
    "alert pkthdr any any -> any any (msg:\"SURICATA GRE version 0 recursion control\"; "
    "decode-event:gre.version0_recur; classtype:protocol-command-decode; sid:2200053; rev:2;)",
    "alert pkthdr any any -> any any (msg:\"SURICATA MPLS header too small\"; "
    "decode-event:mpls.header_too_small; classtype:protocol-command-decode; sid:2200111; rev:2;)",
    "alert pkthdr any any -> any any (msg:\"SURICATA too many layers\"; "
    "decode-event:too_many_layers; classtype:protocol-command-decode; sid:2200116; rev:2;)",
    // As in Emerging Threats' emerging-exploit.rules.
    "alert ipv6 any any -> any any (msg:\"IPv6 deprecated RH Type 0\"; decode-event:ipv6.rh_type_0; "
    "classtype:attempted-admin; sid:2030386; rev:1;)",
};

Frame udp_ok() { return testing::udp_packet(kInnerSrc, kInnerDst, 5353, 53, "fine"); }

void set16(Frame& f, std::size_t at, std::uint16_t v) {
  f[at] = static_cast<std::uint8_t>(v >> 8);
  f[at + 1] = static_cast<std::uint8_t>(v);
}

struct MalformedCase {
  const char* name;
  std::function<std::vector<Frame>()> frames;
  std::vector<std::uint32_t> sids;
};

std::vector<MalformedCase> malformed_cases() {
  return {
      {"10 bytes of IPv4",
       [] {
         Frame f = testing::ethernet_frame(0x0800, Frame(10, 0x45));
         return std::vector<Frame>{f};
       },
       {2200000}},
      {"IPv4 total length past the frame",
       [] {
         Frame f = udp_ok();
         set16(f, 14 + 2, 200);
         return std::vector<Frame>{f};
       },
       {2200005}},
      {"IPv4 option length past the header",
       [] {
         testing::L4Options o;
         o.ipv4_options = {7, 40, 4, 0};  // record route claiming 40 bytes
         return std::vector<Frame>{testing::udp_packet(kInnerSrc, kInnerDst, 1, 2, "x", o)};
       },
       {2200007}},
      {"IPv6 atomic fragment",
       [] {
         Frame f = testing::udp_packet(ip("fd00::1"), ip("fd00::2"), 1, 2, "atomic");
         const std::uint8_t next = f[14 + 6];
         f[14 + 6] = 44;
         const Frame fh = {next, 0, 0, 0, 0, 0, 0, 7};
         f.insert(f.begin() + 14 + 40, fh.begin(), fh.end());
         set16(f, 14 + 4, static_cast<std::uint16_t>(f.size() - 14 - 40));
         return std::vector<Frame>{f};
       },
       {2200081}},
      {"IPv6 two fragment headers",
       [] {
         Frame f = testing::udp_packet(ip("fd00::1"), ip("fd00::2"), 1, 2, "dup");
         const std::uint8_t next = f[14 + 6];
         f[14 + 6] = 44;
         const Frame fh = {44, 0, 0, 0, 0, 0, 0, 7, next, 0, 0, 1, 0, 0, 0, 8};
         f.insert(f.begin() + 14 + 40, fh.begin(), fh.end());
         set16(f, 14 + 4, static_cast<std::uint16_t>(f.size() - 14 - 40));
         return std::vector<Frame>{f};
       },
       // The first fragment header is atomic (offset 0, no more): useless, and the second
       // one duplicates it.
       {2200080, 2200081}},
      {"IPv6 overlapping fragments",
       [] {
         const Frame big =
             testing::udp_packet(ip("fd00::1"), ip("fd00::2"), 1, 2, std::string(64, 'a'));
         auto frags = testing::fragment(big, 32);
         Frame again = frags[0];  // the first fragment again: it overlaps itself
         frags.insert(frags.begin() + 1, again);
         return frags;
       },
       {2200069}},
      {"TCP MSS option of length 3",
       [] {
         testing::TcpSpec t;
         t.options = {2, 3, 5, 1};
         return std::vector<Frame>{testing::tcp_packet(kInnerSrc, kInnerDst, t, "x")};
       },
       {2200035}},
      {"4 bytes of UDP",
       [] {
         return std::vector<Frame>{testing::ip_packet(kInnerSrc, kInnerDst, 17, Frame{0, 1, 0, 2})};
       },
       {2200038}},
      {"GRE recursion control",
       [] {
         Frame g = testing::gre(0x0800, testing::ip_part(udp_ok()));
         g[0] |= 0x02;
         return std::vector<Frame>{testing::ip_packet(kOuterA, kOuterB, 47, g)};
       },
       {2200053}},
      {"IPv6 routing header type 0",
       [] {
         Frame f = testing::udp_packet(ip("fd00::1"), ip("fd00::2"), 1, 2, "routed");
         const std::uint8_t next = f[14 + 6];
         f[14 + 6] = 43;
         const Frame rh = {next, 0, 0, 0, 0, 0, 0, 0};
         f.insert(f.begin() + 14 + 40, rh.begin(), rh.end());
         set16(f, 14 + 4, static_cast<std::uint16_t>(f.size() - 14 - 40));
         return std::vector<Frame>{f};
       },
       {2030386}},
      {"MPLS label cut",
       [] {
         return std::vector<Frame>{testing::ethernet_frame(0x8847, Frame{0, 0, 1})};
       },
       {2200111}},
      {"nine GRE encapsulations",
       [] {
         Frame p = testing::ip_part(udp_ok());
         for (int i = 0; i < 9; ++i) {
           p = testing::ip_part(testing::ip_packet(kOuterA, kOuterB, 47, testing::gre(0x0800, p)));
         }
         return std::vector<Frame>{testing::ethernet_frame(0x0800, p)};
       },
       {2200116}},
  };
}

TEST(DecodeEventDetection, EachRuleFiresOnItsMalformedPacketOnly) {
  for (const MalformedCase& c : malformed_cases()) {
    Sensor s(kDecoderEventRules);
    for (const Frame& f : c.frames()) s.send(f);
    EXPECT_EQ(s.sids(), c.sids) << c.name;
  }
}

TEST(DecodeEventDetection, WellFormedTrafficFiresNoDecodeEventRule) {
  Sensor s(kDecoderEventRules);
  s.send(udp_ok());
  s.send(testing::udp_packet(ip("fd00::1"), ip("fd00::2"), 1, 2, "v6"));
  testing::TcpSpec t;
  t.options = {2, 4, 5, 180, 1, 3, 3, 7};
  s.send(testing::tcp_packet(kInnerSrc, kInnerDst, t, "opts"));
  s.send(gre_frame(0x0800, inner_udp4()));
  s.send(testing::ethernet_frame(0x8847, testing::mpls({99}, inner_udp4())));
  for (const Frame& f : testing::fragment(
           testing::udp_packet(ip("fd00::1"), ip("fd00::2"), 1, 2, std::string(100, 'b')), 32)) {
    s.send(f);
  }
  EXPECT_TRUE(s.sids().empty());
}

TEST(DecodeEventDetection, SuricataDecoderEventRulesLoad) {
  // A file in the style of Suricata's decoder-events.rules: every event the decoder detects
  // loads (with or without the "decoder." prefix); an event Suricata has and this decoder
  // does not detect is "not supported", named; an unknown name is an error.
  testing::TempDir dir;
  const std::string path = dir.file("decoder-events.rules");
  {
    std::ofstream out(path);
    out << "# decoder events\n";
    for (const std::string& r : kDecoderEventRules) out << r << "\n";
    out << "alert pkthdr any any -> any any (msg:\"SURICATA VLAN header too small\"; "
           "decode-event:vlan.header_too_small; classtype:protocol-command-decode; sid:2200091; "
           "rev:2;)\n"
        << "alert pkthdr any any -> any any (msg:\"prefixed\"; "
           "decode-event:decoder.gre.pkt_too_small; "
           "sid:1;)\n"
        << "alert pkthdr any any -> any any (msg:\"SURICATA ESP packet too small\"; "
           "decode-event:esp.pkt_too_small; classtype:protocol-command-decode; sid:2200112; "
           "rev:2;)\n"
        << "alert pkthdr any any -> any any (msg:\"typo\"; decode-event:ipv4.pkt_too_smal; "
           "sid:2;)\n";
  }
  Config config;
  detect::RuleParser parser(config.vars);
  const detect::RuleFileResult r = parser.parse_file(path);
  EXPECT_EQ(r.rules.size(), kDecoderEventRules.size() + 2);
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_TRUE(r.errors[0].not_supported);
  EXPECT_NE(r.errors[0].message.find("decode-event 'esp.pkt_too_small' is not detected"),
            std::string::npos)
      << r.errors[0].message;
  EXPECT_FALSE(r.errors[1].not_supported);
  EXPECT_NE(r.errors[1].message.find("unknown decoder event 'ipv4.pkt_too_smal'"),
            std::string::npos)
      << r.errors[1].message;
}

TEST(DecodeEventDetection, EveryDetectedEventHasAParsableName) {
  Config config;
  detect::RuleParser parser(config.vars);
  for (const decode::DecodeEventInfo& e : decode::kDecodeEvents) {
    const std::string rule =
        "alert pkthdr any any -> any any (msg:\"e\"; decode-event:" + std::string(e.name) +
        "; sid:1;)";
    EXPECT_TRUE(parser.parse(rule).ok()) << e.name;
    EXPECT_FALSE(decode::is_undetected_suricata_event(e.name)) << e.name;
  }
}

TEST(TunnelDetection, AnAlertNamesTheOuterLayerAndHowThePacketWasDecapsulated) {
  const std::string rule =
      R"(alert udp any any -> any 53 (msg:"inner"; content:"tunnelled secret"; sid:1;))";
  struct Case {
    Frame frame;
    const char* pkt_src;
    std::uint32_t outer_proto, outer_dport;
  };
  const Case cases[] = {{gre_frame(0x0800, inner_udp4()), "gre tunnel", 47, 0},
                        {udp_frame(4789, testing::vxlan(7, testing::ethernet_frame(0x0800, inner_udp4()))),
                         "vxlan encapsulation", 17, 4789}};
  for (const Case& c : cases) {
    testing::WorkerHarness h({rule});
    h.send(c.frame);
    ASSERT_EQ(h.sink.alerts.size(), 1u) << c.pkt_src;
    const watchpost::v1::Alert& a = h.sink.alerts[0];
    EXPECT_EQ(a.pkt_src(), c.pkt_src);
    EXPECT_EQ(a.src_ip(), "10.0.0.1") << "the inner packet's addresses";
    EXPECT_EQ(a.tunnel().src_ip(), "203.0.113.1");
    EXPECT_EQ(a.tunnel().dest_ip(), "203.0.113.2");
    EXPECT_EQ(a.tunnel().ip_proto(), c.outer_proto);
    EXPECT_EQ(a.tunnel().dest_port(), c.outer_dport);
    EXPECT_EQ(a.tunnel().depth(), 1u);
  }
}

}  // namespace
}  // namespace wp::app
