// Packet-level behaviours through the Worker (decode -> flow -> stream -> detect -> alert), as
// Suricata: IP fragments inspected as packets and the reassembled datagram as its own packet
// (logged with the first fragment's link header and the rebuilt datagram), packets with a
// malformed transport header still inspected by ip and decode-event rules, and stream-event
// rules on the anomalies the stream stage finds.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "app/config.h"
#include "app/worker.h"
#include "detect/compile/rule_set.h"
#include "detect/rules/rule_parser.h"
#include "support/packet_builder.h"
#include "support/rule_texts.h"

namespace wp::app {
namespace {

using testing::Frame;
using testing::ip;
using Sids = std::vector<std::uint32_t>;

struct Seen {
  std::uint32_t sid;
  std::uint64_t pcap_cnt;
  std::string packet;  // EVE `packet`: the frame logged with the alert
  std::string pkt_src;
};

class Collect final : public output::AlertSink {
 public:
  void on_alert(const watchpost::v1::Alert& a) override {
    seen.push_back({a.signature().signature_id(), a.pcap_cnt(), a.packet(), a.pkt_src()});
  }
  void on_anomaly(const watchpost::v1::Anomaly& a) override {
    anomalies.push_back(a.type() + " " + a.event());
  }
  std::vector<Seen> seen;
  std::vector<std::string> anomalies;
};

struct Sensor {
  explicit Sensor(const std::vector<std::string>& rule_texts, bool stream_anomalies = false) {
    config.pcap_checksum_checks = ChecksumChecks::kYes;
    config.eve.anomaly = stream_anomalies;
    config.eve.anomaly_stream = stream_anomalies;
    config.eve.packet = true;  // the tests read the logged frame
    detect::RuleParser parser(config.vars);
    auto set = detect::RuleSet::build(testing::parse_rule_texts(parser, rule_texts),
                                      detect::ClassificationTable::defaults(), nullptr);
    EXPECT_TRUE(set.ok());
    worker = std::make_unique<Worker>(config, set.value(), counters, &sink);
  }
  std::uint64_t send(const Frame& f) {
    capture::RawPacket raw;
    raw.ts = Timestamp{1751338800, static_cast<std::uint32_t>(number)};
    raw.data = f.data();
    raw.caplen = raw.wirelen = static_cast<std::uint32_t>(f.size());
    raw.number = ++number;
    worker->process(raw);
    return number;
  }
  Sids sids() const {
    Sids out;
    for (const Seen& s : sink.seen) out.push_back(s.sid);
    return out;
  }

  Config config;
  Counters counters;
  Collect sink;
  std::unique_ptr<Worker> worker;
  std::uint64_t number = 0;
};

std::string bytes(const Frame& f) { return std::string(f.begin(), f.end()); }

const IpAddress kClient = ip("203.0.113.7");
const IpAddress kServer = ip("10.0.0.80");

// --- IP fragments ---------------------------------------------------------------------------

const std::vector<std::string> kFragmentRules = {
    R"(alert ip any any -> any any (msg:"more fragments"; fragbits:M; sid:1;))",
    R"(alert udp any any -> any 53 (msg:"payload"; content:"needle"; sid:2;))",
    R"(alert ip 203.0.113.7 any -> any any (msg:"from the client"; sid:3;))",
    R"(alert ip any any -> any any (msg:"in a fragment"; content:"needle"; sid:4;))",
};

TEST(FragmentDetection, EachFragmentIsAPacketAndTheDatagramAnother) {
  for (const bool v6 : {false, true}) {
    Sensor s(kFragmentRules);
    const IpAddress src = v6 ? ip("2001:db8::7") : kClient;
    const IpAddress dst = v6 ? ip("2001:db8::80") : kServer;
    const std::string payload = std::string(40, 'a') + "needle" + std::string(40, 'b');
    const Frame whole = testing::udp_packet(src, dst, 4000, 53, payload);
    const auto frags = testing::fragment(whole, 32);
    ASSERT_EQ(frags.size(), 3u);
    for (const Frame& f : frags) s.send(f);
    // Fragments 1 and 2 have MF set; the last one does not. The datagram's payload holds
    // the needle (split over two fragments: no fragment has it whole), and a rule on the
    // addresses only matches the datagram as a UDP packet (each fragment is no flow).
    // fragbits is IPv4's (as in Suricata); the IP-only rule matches each fragment (no flow)
    // and the datagram (its flow's first packet).
    Sids expected = {2, 4};
    if (!v6) expected = {1, 1, 2, 3, 3, 3, 3, 4};
    Sids got = s.sids();
    std::sort(got.begin(), got.end());
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(got, expected) << (v6 ? "IPv6" : "IPv4");
    for (const Seen& seen : s.sink.seen) {
      if (seen.sid == 2) {
        EXPECT_EQ(seen.pcap_cnt, 3u) << "the datagram is the last fragment's";
      }
      // EVE pkt_src: the datagram (sid 2 sees only it) was rebuilt; a fragment (sid 1
      // sees only those) came from the wire.
      if (seen.sid == 2) {
        EXPECT_EQ(seen.pkt_src, "defrag");
      } else if (seen.sid == 1) {
        EXPECT_EQ(seen.pkt_src, "wire/pcap");
      }
    }
  }
}

TEST(FragmentDetection, TheDatagramIsLoggedAsTheFirstLinkHeaderAndTheRebuiltDatagram) {
  for (const bool v6 : {false, true}) {
    Sensor s({R"(alert udp any any -> any 53 (msg:"payload"; content:"needle"; sid:2;))"});
    const IpAddress src = v6 ? ip("2001:db8::7") : kClient;
    const IpAddress dst = v6 ? ip("2001:db8::80") : kServer;
    testing::L4Options o;
    o.vlans = {42};
    const Frame whole =
        testing::udp_packet(src, dst, 4000, 53, std::string(30, 'a') + "needle", o);
    const auto frags = testing::fragment(whole, 16);
    ASSERT_GE(frags.size(), 2u);
    for (auto it = frags.rbegin(); it != frags.rend(); ++it) s.send(*it);  // last one first
    ASSERT_EQ(s.sink.seen.size(), 1u);
    // The rebuilt frame is the unfragmented frame: Ethernet and VLAN tag of the first
    // fragment, the IP header without fragment fields (IPv6: no fragment header), the data.
    Frame expected = whole;
    if (!v6) {
      // The rebuilt IPv4 header keeps the first fragment's identification; its checksum is
      // recomputed, as the builder computed it for the whole frame.
      EXPECT_EQ(s.sink.seen[0].packet.size(), expected.size());
      EXPECT_EQ(s.sink.seen[0].packet.substr(0, 18), bytes(expected).substr(0, 18));
      EXPECT_EQ(s.sink.seen[0].packet.substr(18 + 20), bytes(expected).substr(18 + 20));
    } else {
      EXPECT_EQ(s.sink.seen[0].packet, bytes(expected));
    }
  }
}

// --- malformed transport headers ------------------------------------------------------------

TEST(MalformedTransport, IpAndDecodeEventRulesStillSeeThePacket) {
  Sensor s({R"(alert ip 203.0.113.7 any -> any any (msg:"client"; sid:1;))",
            R"(alert pkthdr any any -> any any (msg:"hlen"; decode-event:tcp.hlen_too_small; sid:2;))",
            R"(alert tcp any any -> any 80 (msg:"port"; sid:3;))",
            R"(alert ip any any -> any any (msg:"payload"; content:"GET"; sid:4;))"});
  Frame f = testing::tcp_packet(kClient, kServer, {}, "GET / HTTP/1.0\r\n\r\n");
  f[14 + 20 + 12] = 0x40;  // data offset 4 words: under the 20-byte minimum
  s.send(f);
  EXPECT_EQ(s.sids(), (Sids{1, 2})) << "the transport layer is cleared: no port, no payload";
  Sensor well({R"(alert ip 203.0.113.7 any -> any any (msg:"client"; sid:1;))",
               R"(alert pkthdr any any -> any any (msg:"hlen"; decode-event:tcp.hlen_too_small; sid:2;))"});
  well.send(testing::tcp_packet(kClient, kServer, {}, "GET / HTTP/1.0\r\n\r\n"));
  EXPECT_EQ(well.sids(), (Sids{1}));
}

TEST(MalformedTransport, ATruncatedUdpHeaderStillMatchesIpRules) {
  Sensor s({R"(alert ip 203.0.113.7 any -> any any (msg:"client"; sid:1;))",
            R"(alert udp any any -> any any (msg:"udp"; sid:2;))"});
  s.send(testing::ip_packet(kClient, kServer, 17, Frame{0, 1, 0, 2}));
  EXPECT_EQ(s.sids(), Sids{1});
}

// --- stream events --------------------------------------------------------------------------

constexpr std::uint8_t kSyn = 0x02, kAck = 0x10, kPshAck = 0x18;

struct Conn {
  std::uint32_t cisn = 1000;
  std::uint32_t sisn = 5000;
  Frame from_client(std::uint32_t off, std::string_view data, std::uint8_t flags = kPshAck) const {
    return testing::tcp_packet(kClient, kServer, {41000, 80, cisn + 1 + off, sisn + 1, flags}, data);
  }
  void handshake(Sensor& s) const {
    s.send(testing::tcp_packet(kClient, kServer, {41000, 80, cisn, 0, kSyn}, ""));
    s.send(testing::tcp_packet(kServer, kClient, {80, 41000, sisn, cisn + 1, kSyn | kAck}, ""));
    s.send(testing::tcp_packet(kClient, kServer, {41000, 80, cisn + 1, sisn + 1, kAck}, ""));
  }
};

const std::vector<std::string> kStreamEventRules = {
    R"(alert tcp any any -> any any (msg:"overlap"; stream-event:reassembly_overlap_different_data; sid:1;))",
    R"(alert tcp any any -> any any (msg:"retransmission"; stream-event:stream.pkt_retransmission; sid:2;))",
    R"(alert tcp any any -> any any (msg:"synack"; stream-event:3whs_synack_in_wrong_direction; sid:3;))",
};

TEST(StreamEventDetection, OverlapWithDifferentDataFiresOnThePacketThatBroughtIt) {
  Sensor s(kStreamEventRules);
  Conn c;
  c.handshake(s);
  s.send(c.from_client(5, "AAAAA"));  // out of order: held
  const auto n = s.send(c.from_client(3, "BBBBBBB"));
  ASSERT_EQ(s.sink.seen.size(), 1u);
  EXPECT_EQ(s.sink.seen[0].sid, 1u);
  EXPECT_EQ(s.sink.seen[0].pcap_cnt, n);
  EXPECT_EQ(s.counters.get("stream.reassembly_overlap_different_data"), 1u);
}

TEST(StreamEventDetection, OverlapWithTheSameDataFiresNothing) {
  Sensor s(kStreamEventRules);
  Conn c;
  c.handshake(s);
  s.send(c.from_client(5, "AAAAA"));
  s.send(c.from_client(3, "AAAAAAA"));
  EXPECT_EQ(s.sids(), Sids{});
}

TEST(StreamEventDetection, RetransmittedDataFiresTheRetransmissionEvent) {
  Sensor s(kStreamEventRules);
  Conn c;
  c.handshake(s);
  s.send(c.from_client(0, "hello"));
  EXPECT_EQ(s.sids(), Sids{});
  s.send(c.from_client(0, "hello"));
  EXPECT_EQ(s.sids(), Sids{2});
}

TEST(StreamEventDetection, SynAckFromTheClientFiresTheHandshakeEvent) {
  Sensor s(kStreamEventRules);
  Conn c;
  s.send(testing::tcp_packet(kClient, kServer, {41000, 80, c.cisn, 0, kSyn}, ""));
  s.send(testing::tcp_packet(kClient, kServer, {41000, 80, c.cisn, 77, kSyn | kAck}, ""));
  EXPECT_EQ(s.sids(), Sids{3});
}

TEST(StreamEventDetection, EachStreamEventIsAnAnomalyRecordWhenAsked) {
  for (const bool asked : {false, true}) {
    Sensor s({}, asked);
    Conn c;
    c.handshake(s);
    s.send(c.from_client(5, "AAAAA"));
    s.send(c.from_client(3, "BBBBBBB"));
    EXPECT_EQ(s.sink.anomalies,
              asked ? std::vector<std::string>{"stream stream.reassembly_overlap_different_data"}
                    : std::vector<std::string>{});
  }
}

}  // namespace
}  // namespace wp::app
