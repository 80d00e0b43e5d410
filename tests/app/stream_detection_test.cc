// Detection on reassembled TCP streams, end to end through the Worker (decode -> flow ->
// stream -> detect -> alert): evasion cases built segment by segment, each asserting the
// exact alerts (sid, the packet that completed the match, stream or packet match).
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/config.h"
#include "app/worker.h"
#include "detect/rules/rule_parser.h"
#include "detect/compile/rule_set.h"
#include "support/packet_builder.h"
#include "support/rule_texts.h"

namespace wp::app {
namespace {

using testing::Frame;
using testing::ip;

struct Seen {
  std::uint32_t sid;
  std::uint64_t pcap_cnt;
  bool stream;
  friend bool operator==(const Seen&, const Seen&) = default;
};

std::ostream& operator<<(std::ostream& os, const Seen& s) {
  return os << "{sid " << s.sid << ", pkt " << s.pcap_cnt << (s.stream ? ", stream}" : ", packet}");
}

class Collect final : public output::AlertSink {
 public:
  void on_alert(const watchpost::v1::Alert& a) override {
    seen.push_back({a.signature().signature_id(), a.pcap_cnt(), a.stream()});
    payloads.push_back(a.payload());
  }
  std::vector<Seen> seen;
  std::vector<std::string> payloads;
};

// One sensor worker fed with frames built by the test.
struct Sensor {
  explicit Sensor(const std::vector<std::string>& rule_texts,
                  const std::vector<std::string>& settings = {}) {
    config.pcap_checksum_checks = ChecksumChecks::kYes;
    for (const std::string& s : settings) {
      auto r = apply_set(config, s);
      EXPECT_TRUE(r.ok()) << s << ": " << (r.ok() ? "" : r.error().describe());
    }
    detect::RuleParser parser(config.vars);
    auto set = detect::RuleSet::build(testing::parse_rule_texts(parser, rule_texts),
                                      detect::ClassificationTable::defaults(), nullptr);
    EXPECT_TRUE(set.ok());
    config.eve.payload = true;  // the tests read what each alert matched
    worker = std::make_unique<Worker>(config, set.value(), counters,
                                      &sink);
  }

  // Feeds one frame; returns its pcap_cnt.
  std::uint64_t send(const Frame& f) {
    capture::RawPacket raw;
    raw.ts = Timestamp{1751338800 + static_cast<std::int64_t>(number / 100), 0};
    raw.data = f.data();
    raw.caplen = raw.wirelen = static_cast<std::uint32_t>(f.size());
    raw.number = ++number;
    worker->process(raw);
    return number;
  }

  std::uint64_t counter(const char* name) const { return counters.get(name); }

  Config config;
  Counters counters;
  Collect sink;
  std::unique_ptr<Worker> worker;
  std::uint64_t number = 0;
};

constexpr std::uint8_t kSyn = 0x02, kAck = 0x10, kPshAck = 0x18, kFinAck = 0x11;

// A TCP connection between a client and a server; data offsets are relative to the first
// data byte of each direction (ISN + 1), so tests read like stream positions.
struct Conn {
  IpAddress client = ip("203.0.113.7");
  IpAddress server = ip("10.0.0.80");
  std::uint16_t cport = 41000;
  std::uint16_t sport = 80;
  std::uint32_t cisn = 1000;
  std::uint32_t sisn = 5000;
  std::uint32_t cacked = 0;  // client's view of server bytes (for its ACK numbers)

  Frame from_client(std::uint32_t off, std::string_view data, std::uint8_t flags = kPshAck,
                    bool bad_checksum = false) const {
    testing::TcpSpec t{cport, sport, cisn + 1 + off, sisn + 1 + cacked, flags};
    testing::L4Options o;
    o.corrupt_l4_checksum = bad_checksum;
    return testing::tcp_packet(client, server, t, data, o);
  }
  Frame from_server(std::uint32_t off, std::string_view data, std::uint32_t ack_off,
                    std::uint8_t flags = kPshAck) const {
    testing::TcpSpec t{sport, cport, sisn + 1 + off, cisn + 1 + ack_off, flags};
    return testing::tcp_packet(server, client, t, data);
  }
  Frame syn() const {
    return testing::tcp_packet(client, server, {cport, sport, cisn, 0, kSyn}, "");
  }
  Frame syn_ack() const {
    return testing::tcp_packet(server, client, {sport, cport, sisn, cisn + 1, kSyn | kAck}, "");
  }
  Frame ack() const {
    return testing::tcp_packet(client, server, {cport, sport, cisn + 1, sisn + 1, kAck}, "");
  }
  void handshake(Sensor& s) const {
    s.send(syn());
    s.send(syn_ack());
    s.send(ack());
  }
};

const std::string kEvil =
    R"(alert tcp any any -> any any (msg:"evil"; flow:established,to_server; content:"EVILPATTERN"; sid:1;))";

// --- split, reorder, retransmit -----------------------------------------------------------

TEST(StreamDetection, PatternSplitOverTwoSegmentsAlertsOnceOnTheCompletingPacket) {
  Sensor s({kEvil});
  Conn c;
  c.handshake(s);
  s.send(c.from_client(0, "GET /EVIL"));
  const auto last = s.send(c.from_client(9, "PATTERN HTTP/1.1\r\n"));
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{1, last, true}}));
  ASSERT_EQ(s.sink.payloads.size(), 1u);
  EXPECT_EQ(s.sink.payloads[0], "GET /EVILPATTERN HTTP/1.1\r\n");  // the stream data
}

TEST(StreamDetection, PatternSentOneBytePerSegmentAlertsOnce) {
  Sensor s({kEvil});
  Conn c;
  c.handshake(s);
  const std::string data = "xxEVILPATTERNyy";
  std::uint64_t completing = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto n = s.send(c.from_client(static_cast<std::uint32_t>(i), data.substr(i, 1)));
    if (i == 12) completing = n;  // the final 'N'
  }
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{1, completing, true}}));
}

TEST(StreamDetection, PatternSplitOverManySegmentsAlertsOnce) {
  Sensor s({kEvil});
  Conn c;
  c.handshake(s);
  s.send(c.from_client(0, "EV"));
  s.send(c.from_client(2, "IL"));
  s.send(c.from_client(4, "PAT"));
  const auto last = s.send(c.from_client(7, "TERN"));
  s.send(c.from_client(11, " and more data after it"));
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{1, last, true}}));
}

TEST(StreamDetection, OutOfOrderSegmentsAlertOnThePacketThatFillsTheHole) {
  Sensor s({kEvil});
  Conn c;
  c.handshake(s);
  s.send(c.from_client(9, "PATTERN!"));       // arrives first, buffered
  s.send(c.from_client(5, "EVIL"));           // still a hole at [0, 5)
  const auto fill = s.send(c.from_client(0, "GET /"));
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{1, fill, true}}));
  EXPECT_EQ(s.counter("stream.out_of_order"), 2u);
}

TEST(StreamDetection, IdenticalRetransmissionDoesNotAlertAgain) {
  Sensor s({kEvil});
  Conn c;
  c.handshake(s);
  const auto first = s.send(c.from_client(0, "EVILPATTERN"));
  s.send(c.from_client(0, "EVILPATTERN"));
  s.send(c.from_client(0, "EVILPATTERN"));
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{1, first, true}}));
  EXPECT_EQ(s.counter("stream.retransmission"), 2u);
}

TEST(StreamDetection, RetransmissionWithDifferentDataKeepsWhatWasDelivered) {
  // The receiver already accepted the first bytes; a later copy cannot replace them.
  Sensor s({kEvil});
  Conn c;
  c.handshake(s);
  s.send(c.from_client(0, "HARMLESSXYZ"));
  s.send(c.from_client(0, "EVILPATTERN"));
  EXPECT_TRUE(s.sink.seen.empty());
}

TEST(StreamDetection, PartialRetransmissionInspectsOnlyTheNewTail) {
  Sensor s({kEvil});
  Conn c;
  c.handshake(s);
  s.send(c.from_client(0, "xxEVIL"));
  // Overlaps the delivered "EVIL" and brings "PATTERN": one alert, on this packet.
  const auto n = s.send(c.from_client(2, "EVILPATTERN"));
  s.send(c.from_client(2, "EVILPATTERN"));
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{1, n, true}}));
}

TEST(StreamDetection, EachOccurrenceInNewDataAlertsOnce) {
  Sensor s({kEvil});
  Conn c;
  c.handshake(s);
  const auto a = s.send(c.from_client(0, "EVILPATTERN ... "));
  const auto b = s.send(c.from_client(16, "and again EVILPATTERN"));
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{1, a, true}, {1, b, true}}));
}

TEST(StreamDetection, RuleWithTwoContentsCompletedByALaterSegment) {
  // The fast pattern (the longest content) is in the first segment; the second content
  // arrives later. The remembered hit makes the rule a candidate again.
  Sensor s({R"(alert tcp any any -> any any (msg:"upload"; flow:established,to_server; content:"/upload/handler.php"; content:"<?php"; distance:0; sid:2;))"});
  Conn c;
  c.handshake(s);
  const std::string head = "POST /upload/handler.php HTTP/1.1\r\nContent-Length: 30\r\n\r\n";
  s.send(c.from_client(0, head));
  const auto body = s.send(c.from_client(static_cast<std::uint32_t>(head.size()), "<?php system($_GET['c']); ?>"));
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{2, body, true}}));
}

TEST(StreamDetection, AbsoluteDepthAnchorsAtTheMessageOrSegmentStartOnly) {
  // depth:4 looks at the first four bytes of the message or of a segment, not anywhere in
  // the window: "GET " in the middle of a segment does not match.
  Sensor s({R"(alert tcp any any -> any any (msg:"get"; flow:to_server; content:"GET "; depth:4; sid:3;))"});
  Conn c;
  c.handshake(s);
  const auto first = s.send(c.from_client(0, "GET / HTTP/1.1\r\n\r\n"));
  s.send(c.from_client(18, "x: GET /not-a-request\r\n"));
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{3, first, true}}));
}

TEST(StreamDetection, AbsolutePositionsCountFromTheStartOfEachMessage) {
  // A request after the server answered starts a new message: depth anchors there (SMB,
  // DCERPC and other binary-protocol rules rely on it), even when it arrives byte by byte.
  Sensor s({R"(alert tcp any any -> any 445 (msg:"smb"; flow:to_server; content:"|ff|SMB"; offset:4; depth:4; sid:4;))"});
  Conn c;
  c.sport = 445;
  c.handshake(s);
  const std::string msg = std::string("\0\0\0\x20\xffSMB", 8) + "rest of the request";
  const auto first = s.send(c.from_client(0, msg));
  s.send(c.from_server(0, "response bytes", static_cast<std::uint32_t>(msg.size())));
  std::uint64_t last = 0;
  const auto off = static_cast<std::uint32_t>(msg.size());
  for (std::uint32_t i = 0; i < msg.size(); ++i) last = s.send(c.from_client(off + i, msg.substr(i, 1)));
  const auto eighth = last - msg.size() + 8;  // the byte completing "|ff|SMB"
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{4, first, true}, {4, eighth, true}}));
  ASSERT_EQ(s.sink.payloads.size(), 2u);
  EXPECT_EQ(s.sink.payloads[1], msg.substr(0, 8));  // the message so far, not the first one
}

TEST(StreamDetection, PipelinedRequestInItsOwnSegmentAnchorsAtTheSegmentStart) {
  // Two requests back to back without an answer between are one message, but a request
  // that starts its own segment is also tried from that segment's start.
  Sensor s({R"(alert tcp any any -> any 445 (msg:"smb"; flow:to_server; content:"|ff|SMB"; offset:4; depth:4; sid:4;))"});
  Conn c;
  c.sport = 445;
  c.handshake(s);
  const std::string msg = std::string("\0\0\0\x20\xffSMB", 8) + "rest of the request";
  const auto first = s.send(c.from_client(0, msg));
  const auto second = s.send(c.from_client(static_cast<std::uint32_t>(msg.size()), msg));
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{4, first, true}, {4, second, true}}));
}

// --- overlap policies ---------------------------------------------------------------------

struct OverlapCase {
  const char* policy;
  std::uint32_t start_before;  // expected sid when the new segment starts before the old one
  std::uint32_t same_start;    // expected sid when it starts with the old one and ends after
};

class OverlapPolicyTest : public ::testing::TestWithParam<OverlapCase> {};

TEST_P(OverlapPolicyTest, OverlappingOutOfOrderSegmentsFollowThePolicy) {
  const OverlapCase& oc = GetParam();
  const std::vector<std::string> rules = {
      R"(alert tcp any any -> any any (msg:"new won"; content:"012BBBBBBB"; sid:11;))",
      R"(alert tcp any any -> any any (msg:"old won"; content:"012BBAAAAA"; sid:12;))",
      R"(alert tcp any any -> any any (msg:"new won"; content:"01234CCCCCCC"; sid:13;))",
      R"(alert tcp any any -> any any (msg:"old won"; content:"01234AAAAACC"; sid:14;))",
  };
  {
    Sensor s(rules, {std::string("host-os-policy.") + oc.policy + "=10.0.0.80"});
    Conn c;
    c.handshake(s);
    s.send(c.from_client(5, "AAAAA"));    // old: [5, 10)
    s.send(c.from_client(3, "BBBBBBB"));  // new: [3, 10), starts before
    const auto n = s.send(c.from_client(0, "012"));
    EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{oc.start_before, n, true}})) << oc.policy;
    EXPECT_EQ(s.counter("stream.reassembly_overlap_different_data"), 1u);
  }
  {
    Sensor s(rules, {std::string("host-os-policy.") + oc.policy + "=10.0.0.0/24"});
    Conn c;
    c.handshake(s);
    s.send(c.from_client(5, "AAAAA"));    // old: [5, 10)
    s.send(c.from_client(5, "CCCCCCC"));  // new: [5, 12), same start, ends after
    const auto n = s.send(c.from_client(0, "01234"));
    EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{oc.same_start, n, true}})) << oc.policy;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Policies, OverlapPolicyTest,
    ::testing::Values(OverlapCase{"bsd", 11, 14}, OverlapCase{"linux", 11, 13},
                      OverlapCase{"first", 12, 14}, OverlapCase{"windows", 12, 14},
                      OverlapCase{"last", 11, 13}, OverlapCase{"bsd-right", 12, 13},
                      OverlapCase{"solaris", 11, 13}),
    [](const auto& info) {
      std::string n = info.param.policy;
      for (char& ch : n) if (ch == '-') ch = '_';
      return n;
    });

TEST(StreamDetection, DefaultOverlapPolicyIsBsd) {
  Sensor s({R"(alert tcp any any -> any any (msg:"new won"; content:"012BBBBBBB"; sid:11;))"});
  Conn c;
  c.handshake(s);
  s.send(c.from_client(5, "AAAAA"));
  s.send(c.from_client(3, "BBBBBBB"));
  const auto n = s.send(c.from_client(0, "012"));
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{11, n, true}}));
}

TEST(StreamDetection, HostOsPolicyIsChosenByTheReceivingHost) {
  // Windows server (first wins) for 10.0.0.80 only; the default stays bsd elsewhere.
  const std::vector<std::string> rules = {
      R"(alert tcp any any -> any any (msg:"new won"; content:"012BBBBBBB"; sid:11;))",
      R"(alert tcp any any -> any any (msg:"old won"; content:"012BBAAAAA"; sid:12;))"};
  Sensor s(rules, {"host-os-policy.windows=[10.0.0.80]"});
  for (const char* server : {"10.0.0.80", "10.0.0.81"}) {
    Conn c;
    c.server = ip(server);
    c.handshake(s);
    s.send(c.from_client(5, "AAAAA"));
    s.send(c.from_client(3, "BBBBBBB"));
    s.send(c.from_client(0, "012"));
  }
  ASSERT_EQ(s.sink.seen.size(), 2u);
  EXPECT_EQ(s.sink.seen[0].sid, 12u);
  EXPECT_EQ(s.sink.seen[1].sid, 11u);
}

// --- gaps, session pick-up, limits --------------------------------------------------------

TEST(StreamDetection, GapAcknowledgedByTheReceiverIsSkippedAndCounted) {
  Sensor s({kEvil});
  Conn c;
  c.handshake(s);
  s.send(c.from_client(0, "xxxxEVIL"));
  // [8, 20) never reaches the sensor; the server acknowledges it, so it was lost to us.
  s.send(c.from_server(0, "", 20, kAck));
  const auto after = s.send(c.from_client(20, "PATTERN then EVILPATTERN"));
  // "EVIL" + gap + "PATTERN" is not a match; the pattern after the gap is.
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{1, after, true}}));
  EXPECT_EQ(s.counter("stream.reassembly_gap"), 1u);
}

TEST(StreamDetection, GapBeforeBufferedDataDeliversTheBufferedData) {
  Sensor s({kEvil});
  Conn c;
  c.handshake(s);
  s.send(c.from_client(10, "EVILPATTERN"));  // out of order, [0, 10) lost
  const auto ack = s.send(c.from_server(0, "", 21, kAck));
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{1, ack, true}}));
  EXPECT_EQ(s.counter("stream.reassembly_gap"), 1u);
}

TEST(StreamDetection, AcknowledgementFarAheadDoesNotSkipDataStillToCome) {
  Sensor s({kEvil});
  Conn c;
  c.handshake(s);
  s.send(c.from_client(0, "EVIL"));
  s.send(c.from_server(0, "", 100000, kAck));  // forged: acknowledges bytes never sent
  const auto n = s.send(c.from_client(4, "PATTERN"));
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{1, n, true}}));
  EXPECT_EQ(s.counter("stream.reassembly_gap"), 0u);
}

TEST(StreamDetection, SegmentBeyondTheReceiversWindowIsNotBuffered) {
  // The server advertises a 100-byte window: a segment planted beyond it is dropped by the
  // host, so it must not be buffered (and later win an overlap) in the sensor either.
  Sensor s({kEvil});
  Conn c;
  c.handshake(s);
  s.send(testing::tcp_packet(c.server, c.client, {c.sport, c.cport, c.sisn + 1, c.cisn + 1, kAck, 100}, ""));
  s.send(c.from_client(150, "EVILPATTERN"));  // out of window
  s.send(c.from_client(0, std::string(150, 'x')));
  s.send(c.from_client(150, "HARMLESSXYZ"));  // the real bytes, now in order
  EXPECT_TRUE(s.sink.seen.empty());
  EXPECT_EQ(s.counter("stream.out_of_window"), 1u);
  // Within the window, out-of-order data is buffered as usual.
  Conn d;
  d.cport = 41010;
  d.handshake(s);
  s.send(testing::tcp_packet(d.server, d.client, {d.sport, d.cport, d.sisn + 1, d.cisn + 1, kAck, 100}, ""));
  s.send(d.from_client(50, "EVILPATTERN"));
  const auto fill = s.send(d.from_client(0, std::string(50, 'x')));
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{1, fill, true}}));
}

TEST(StreamDetection, MidstreamOffInspectsPacketsOnTheirOwn) {
  const std::vector<std::string> rules = {
      R"(alert tcp any any -> any any (msg:"any"; content:"EVILPATTERN"; sid:1;))",
      R"(alert tcp any any -> any any (msg:"est"; flow:established; content:"EVILPATTERN"; sid:2;))"};
  Sensor s(rules);  // stream.midstream defaults to no
  Conn c;           // no handshake seen
  s.send(c.from_client(0, "EVIL"));
  s.send(c.from_client(4, "PATTERN"));                 // split: not seen per packet
  const auto whole = s.send(c.from_client(11, "EVILPATTERN"));
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{1, whole, false}}));
  EXPECT_EQ(s.counter("stream.sessions"), 0u);
}

TEST(StreamDetection, MidstreamOnPicksUpTheSession) {
  const std::vector<std::string> rules = {
      R"(alert tcp any any -> any any (msg:"est"; flow:established; content:"EVILPATTERN"; sid:2;))"};
  Sensor s(rules, {"stream.midstream=yes"});
  Conn c;
  s.send(c.from_client(0, "EVIL"));
  const auto n = s.send(c.from_client(4, "PATTERN"));
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{2, n, true}}));
  EXPECT_EQ(s.counter("stream.midstream_pickups"), 1u);
}

TEST(StreamDetection, AsyncOnesideTracksASessionSeenFromTheClientOnly) {
  for (bool async : {false, true}) {
    Sensor s({R"(alert tcp any any -> any any (msg:"x"; content:"EVILPATTERN"; sid:1;))"},
             {std::string("stream.async-oneside=") + (async ? "yes" : "no")});
    Conn c;
    s.send(c.syn());
    s.send(c.ack());  // the SYN/ACK took another path
    s.send(c.from_client(0, "EVIL"));
    const auto n = s.send(c.from_client(4, "PATTERN"));
    if (async) {
      EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{1, n, true}}));
    } else {
      EXPECT_TRUE(s.sink.seen.empty()) << "without async-oneside the split is not reassembled";
    }
  }
}

TEST(StreamDetection, DataBeyondTheDepthIsNotInspected) {
  Sensor s({R"(alert tcp any any -> any any (msg:"a"; content:"EARLY"; sid:1;))",
            R"(alert tcp any any -> any any (msg:"b"; content:"LATE!"; sid:2;))",
            R"(alert tcp any any -> any any (msg:"c"; content:"EDGE"; sid:3;))"},
           {"stream.reassembly.depth=32"});
  Conn c;
  c.handshake(s);
  const auto a = s.send(c.from_client(0, "EARLY data......."));          // [0, 17)
  s.send(c.from_client(17, "............EDGE"));                         // EDGE at [29, 33)
  s.send(c.from_client(33, "LATE! LATE! LATE!"));
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{1, a, true}}));
  EXPECT_EQ(s.counter("stream.reassembly_depth_reached"), 1u);
}

TEST(StreamDetection, StreamMemcapLeavesNewSessionsToPacketInspection) {
  // Room for one session only: the second connection is not tracked (counted) and its
  // split pattern is missed, while a whole pattern in one packet is still seen.
  Sensor s({R"(alert tcp any any -> any any (msg:"x"; content:"EVILPATTERN"; sid:1;))"},
           {"stream.memcap=" + std::to_string(stream::StreamEngine::session_bytes())});
  Conn a;
  Conn b;
  b.cport = 41001;
  a.handshake(s);
  b.handshake(s);
  s.send(b.from_client(0, "EVIL"));
  s.send(b.from_client(4, "PATTERN"));
  const auto whole = s.send(b.from_client(11, "EVILPATTERN"));
  s.send(a.from_client(0, "EVIL"));
  const auto tracked = s.send(a.from_client(4, "PATTERN"));
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{1, whole, false}, {1, tracked, true}}));
  // Counted per packet that would have started a session and found no memory: b's SYN
  // (without stream.midstream nothing else starts one).
  EXPECT_EQ(s.counter("stream.memcap_drop"), 1u);
}

TEST(StreamDetection, ReassemblyMemcapDropsOutOfOrderDataButInspectsInOrderData) {
  Sensor s({kEvil}, {"stream.reassembly.memcap=1kb"});
  Conn c;
  c.handshake(s);
  const std::string big(2000, 'x');
  s.send(c.from_client(100, big));  // out of order and larger than the memcap: dropped
  EXPECT_GE(s.counter("stream.reassembly_memcap_drop"), 1u);
  Conn d;
  d.cport = 41002;
  d.handshake(s);
  const auto n = s.send(d.from_client(0, "EVILPATTERN"));
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{1, n, true}}));
}

// ARCHITECTURE.md: a rule raises at most one alert per packet, however often its pattern
// occurs in the data that packet completed.
TEST(StreamDetection, ARuleAlertsOncePerPacketHoweverOftenItsPatternOccurs) {
  Sensor s({kEvil});
  Conn c;
  c.handshake(s);
  const auto n = s.send(c.from_client(0, "EVILPATTERN EVILPATTERN EVILPATTERN"));
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{1, n, true}}));
  // An out-of-order segment whose arrival completes two occurrences at once.
  Sensor t({kEvil});
  Conn d;
  d.handshake(t);
  t.send(d.from_client(11, "PATTERN"));
  const auto m = t.send(d.from_client(0, "EVILPATTERNEVIL"));
  EXPECT_EQ(t.sink.seen, (std::vector<Seen>{{1, m, true}}));
}

TEST(StreamDetection, SequenceNumbersWrapAround) {
  Sensor s({kEvil});
  Conn c;
  c.cisn = 0xfffffffau;  // the first data byte is 0xfffffffb; the pattern crosses 2^32
  c.handshake(s);
  s.send(c.from_client(0, "abcEVIL"));
  const auto n = s.send(c.from_client(7, "PATTERN"));
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{1, n, true}}));
}

TEST(StreamDetection, SegmentWithBadChecksumIsInspectedAsAPacketButKeptOutOfTheStream) {
  Sensor s({kEvil});
  Conn c;
  c.handshake(s);
  // As Suricata: the packet is inspected on its own (stream 0), the stream does not take it.
  const auto bad = s.send(c.from_client(0, "EVILPATTERN", kPshAck, /*bad_checksum=*/true));
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{1, bad, false}}));
  const auto good = s.send(c.from_client(0, "EVILPATTERN"));
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{1, bad, false}, {1, good, true}}));
  EXPECT_EQ(s.counter("stream.skipped_invalid_checksum"), 1u);

  Sensor t({kEvil});
  Conn d;
  d.handshake(t);
  const auto bad2 = t.send(d.from_client(0, "EVILPATTERN", kPshAck, /*bad_checksum=*/true));
  t.send(d.from_client(0, "HARMLESSXYZ"));
  EXPECT_EQ(t.sink.seen, (std::vector<Seen>{{1, bad2, false}}))
      << "the stream holds the valid copy the host kept";
}

TEST(StreamDetection, DataAfterFinIsNotInspected) {
  Sensor s({kEvil});
  Conn c;
  c.handshake(s);
  s.send(c.from_client(0, "bye", kFinAck));
  s.send(c.from_client(3, "EVILPATTERN"));
  EXPECT_TRUE(s.sink.seen.empty());
  EXPECT_EQ(s.counter("stream.data_after_fin"), 1u);
}

TEST(StreamDetection, NewConnectionOnAClosedFiveTupleIsTrackedAfresh) {
  Sensor s({kEvil});
  Conn c;
  c.handshake(s);
  s.send(c.from_client(0, "bye", kFinAck));
  s.send(c.from_server(0, "", 4, kFinAck));
  Conn again = c;  // same addresses and ports, new sequence numbers
  again.cisn = 90000;
  again.sisn = 70000;
  again.handshake(s);
  s.send(again.from_client(0, "EVIL"));
  const auto n = s.send(again.from_client(4, "PATTERN"));
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{1, n, true}}));
  EXPECT_EQ(s.counter("flow.tcp_reuse"), 1u);
}

// --- flow keywords ------------------------------------------------------------------------

TEST(StreamDetection, DirectionFollowsTheHandshakeNotThePort) {
  // The client uses source port 80 and connects to port 40000: it is still the client.
  Sensor s({R"(alert tcp any any -> any any (msg:"to server"; flow:to_server; content:"EVILPATTERN"; sid:1;))",
            R"(alert tcp any any -> any any (msg:"to client"; flow:to_client; content:"EVILPATTERN"; sid:2;))"});
  Conn c;
  c.cport = 80;
  c.sport = 40000;
  c.handshake(s);
  const auto req = s.send(c.from_client(0, "EVILPATTERN"));
  const auto resp = s.send(c.from_server(0, "EVILPATTERN", 11));
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{1, req, true}, {2, resp, true}}));
}

TEST(StreamDetection, OnlyStreamAndNoStreamSelectTheInspection) {
  const std::vector<std::string> rules = {
      R"(alert tcp any any -> any any (msg:"stream"; flow:only_stream; content:"EVILPATTERN"; sid:1;))",
      R"(alert tcp any any -> any any (msg:"packet"; flow:no_stream; content:"EVILPATTERN"; sid:2;))"};
  {
    Sensor s(rules);
    Conn c;
    c.handshake(s);
    s.send(c.from_client(0, "EVIL"));
    const auto split = s.send(c.from_client(4, "PATTERN"));
    const auto whole = s.send(c.from_client(11, "EVILPATTERN"));
    // The stream rule sees both; the packet rule only the whole one, as a packet match.
    EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{1, split, true}, {2, whole, false}, {1, whole, true}}));
  }
  {
    Sensor s(rules);
    Conn c;  // not tracked (no handshake, midstream off): only_stream never matches
    const auto n = s.send(c.from_client(0, "EVILPATTERN"));
    EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{2, n, false}}));
  }
}

TEST(StreamDetection, EstablishedNeedsTheHandshake) {
  const std::vector<std::string> rules = {
      R"(alert tcp any any -> any any (msg:"est"; flow:established; content:"EVILPATTERN"; sid:1;))",
      R"(alert tcp any any -> any any (msg:"not est"; flow:not_established; content:"EVILPATTERN"; sid:2;))"};
  Sensor s(rules);
  Conn c;
  s.send(c.syn());
  const auto early = s.send(c.from_client(0, "EVILPATTERN"));  // data before the handshake
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{2, early, false}}));
}

TEST(StreamDetection, StreamSizeComparesTheBytesEachSideSent) {
  // Suricata counts the SYN as one byte: after a 10-byte request the client's size is 11.
  Sensor s({R"(alert tcp any any -> any any (msg:"before any answer"; flow:established,to_server; stream_size:server,<,5; content:"EVILPATTERN"; sid:1;))",
            R"(alert tcp any any -> any any (msg:"client sent much"; flow:established,to_server; stream_size:client,>=,30; content:"EVILPATTERN"; sid:2;))",
            R"(alert tcp any any -> any any (msg:"either"; stream_size:either,=,1; content:"EVILPATTERN"; sid:3;))",
            R"(alert tcp any any -> any any (msg:"all of them"; stream_size:client,>,1; stream_size:server,=,1; content:"EVILPATTERN"; sid:4;))"});
  Conn c;
  c.handshake(s);
  const auto early = s.send(c.from_client(0, "EVILPATTERN"));  // client 12, server 1
  s.send(c.from_server(0, "a longer answer", 11));
  const auto later = s.send(c.from_client(11, "..........EVILPATTERN"));  // client 33, server 16
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{1, early, true}, {3, early, true}, {4, early, true},
                                             {2, later, true}}));
  // A packet rule counts the packet's own in-order data too, as Suricata does.
  Sensor p({R"(alert tcp-pkt any any -> any any (msg:"pkt"; stream_size:client,=,12; content:"EVILPATTERN"; sid:9;))"});
  Conn e;
  e.handshake(p);
  const auto n = p.send(e.from_client(0, "EVILPATTERN"));
  EXPECT_EQ(p.sink.seen, (std::vector<Seen>{{9, n, false}}));
    // Outside a tracked session stream_size never matches.
  Sensor t({R"(alert tcp any any -> any any (msg:"x"; stream_size:server,<,5; content:"EVILPATTERN"; sid:1;))"});
  Conn d;
  t.send(d.from_client(0, "EVILPATTERN"));
  EXPECT_TRUE(t.sink.seen.empty());
}

// --- hostile streams: crashes, blinding, undefined behaviour ------------------------------

TEST(StreamDetection, AcknowledgedGapBeyondTheDepthEndsInspectionWithoutReadingPastTheBuffer) {
  // Five packets that once crashed the sensor in its default configuration: the server
  // acknowledges 2 MiB of client data the sensor never saw (and opens its window there), the
  // client sends a segment at 2 MiB. Skipping the gap lands beyond the 1 MiB depth: the
  // direction's inspection ends, nothing is read past a buffer.
  Sensor s({kEvil});
  Conn c;
  c.handshake(s);
  constexpr std::uint32_t kFar = 2u << 20;
  s.send(c.from_server(0, "", kFar + 100, kAck));
  s.send(c.from_client(kFar, "EVILPATTERN"));
  s.send(c.from_client(kFar + 11, "EVILPATTERN"));
  EXPECT_TRUE(s.sink.seen.empty());
  EXPECT_EQ(s.counter("stream.reassembly_gap"), 1u);
  EXPECT_EQ(s.counter("stream.reassembly_depth_reached"), 1u);
}

TEST(StreamDetection, GapSkipLandingExactlyOnTheDepthStopsThere) {
  for (const std::uint32_t gap_end : {31u, 32u, 33u, 40u}) {
    Sensor s({kEvil}, {"stream.reassembly.depth=32"});
    Conn c;
    c.handshake(s);
    s.send(c.from_client(0, "xxxx"));
    s.send(c.from_server(0, "", gap_end + 11, kAck));
    const auto n = s.send(c.from_client(gap_end, "EVILPATTERN"));
    (void)n;
    EXPECT_TRUE(s.sink.seen.empty()) << gap_end;  // the pattern never fits before byte 32
    EXPECT_EQ(s.counter("stream.reassembly_depth_reached"), 1u) << gap_end;
  }
}

TEST(StreamDetection, AcknowledgementExactlyHalfTheSequenceSpaceAheadIsHandled) {
  // ack - next_seq == 2^31: the signed distance has no positive counterpart (once undefined
  // behaviour). It is treated as behind (sequence comparison modulo 2^32), skips nothing.
  Sensor s({kEvil});
  Conn c;
  c.handshake(s);
  s.send(c.from_client(0, "EVIL"));
  s.send(c.from_server(0, "", 4u + 0x80000000u, kAck));
  s.send(c.from_server(0, "", 0x80000000u, kAck));
  const auto n = s.send(c.from_client(4, "PATTERN"));
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{1, n, true}}));
  EXPECT_EQ(s.counter("stream.reassembly_gap"), 0u);
}

TEST(StreamDetection, ForgedResetDoesNotBlindEstablishedRules) {
  // A RST far outside the window is not believed by the receiving host: the session goes on,
  // and so must flow:established rules, on the stream and on packets.
  Sensor s(
      {kEvil,
       R"(alert tcp any any -> any any (msg:"pkt"; flow:established,to_server,no_stream; content:"EVILPATTERN"; sid:2;))"});
  Conn c;
  c.handshake(s);
  s.send(testing::tcp_packet(c.client, c.server, {c.cport, c.sport, c.cisn + 0x40000000u, 0, 0x04},
                             ""));
  s.send(
      testing::tcp_packet(c.server, c.client, {c.sport, c.cport, c.sisn + 12345678u, 0, 0x04}, ""));
  const auto n = s.send(c.from_client(0, "EVILPATTERN"));
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{2, n, false}, {1, n, true}}));
  EXPECT_EQ(s.counter("stream.rst_invalid"), 2u);
  EXPECT_EQ(s.counter("stream.closed"), 0u);
}

TEST(StreamDetection, ResetAtTheNextSequenceEndsTheSession) {
  Sensor s(
      {kEvil,
       R"(alert tcp any any -> any any (msg:"pkt"; flow:established,to_server,no_stream; content:"EVILPATTERN"; sid:2;))"});
  Conn c;
  c.handshake(s);
  s.send(c.from_client(0, "hello"));
  s.send(c.from_server(0, "", 5, 0x14));  // RST|ACK at the server's next sequence number
  s.send(c.from_client(5, "EVILPATTERN"));
  EXPECT_TRUE(s.sink.seen.empty());  // the flow is closed: not established any more
  EXPECT_EQ(s.counter("stream.closed"), 1u);
  EXPECT_EQ(s.counter("stream.rst_invalid"), 0u);
}

TEST(StreamDetection, ResetInTheWindowEndsALinuxReceiversSessionOnly) {
  // Linux (like Solaris) accepts a RST anywhere in its window; a BSD stack only at the next
  // sequence number. The receiver's host-os-policy decides, as for overlaps.
  for (const char* policy : {"linux", "bsd"}) {
    Sensor s({kEvil}, {std::string("host-os-policy.") + policy + "=[10.0.0.80]"});
    Conn c;
    c.handshake(s);
    s.send(testing::tcp_packet(c.client, c.server, {c.cport, c.sport, c.cisn + 1 + 1000, 0, 0x04},
                               ""));
    s.send(c.from_client(0, "EVILPATTERN"));
    if (std::string(policy) == "linux") {
      EXPECT_TRUE(s.sink.seen.empty()) << policy;
      EXPECT_EQ(s.counter("stream.closed"), 1u) << policy;
    } else {
      EXPECT_EQ(s.sink.seen.size(), 1u) << policy;
      EXPECT_EQ(s.counter("stream.rst_invalid"), 1u) << policy;
    }
  }
}

TEST(StreamDetection, BareAckCompletingTheHandshakeIsNotEstablished) {
  // As Suricata: the ACK that completes the handshake is established only if it carries
  // data; every packet after it is.
  const std::string rule =
      R"(alert tcp any any -> any any (msg:"est"; flow:established,to_server; flags:A+; sid:7;))";
  {
    Sensor s({rule});
    Conn c;
    c.handshake(s);  // SYN, SYN/ACK, bare ACK
    EXPECT_TRUE(s.sink.seen.empty());
    const auto n = s.send(c.from_client(0, "", kAck));
    EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{7, n, false}}));
  }
  {
    Sensor s({rule, kEvil});
    Conn c;
    s.send(c.syn());
    s.send(c.syn_ack());
    const auto n = s.send(c.from_client(0, "EVILPATTERN", kPshAck));  // completes it, with data
    EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{7, n, false}, {1, n, true}}));
  }
}

TEST(StreamDetection, SynAckNotAcknowledgingTheSynDoesNotEstablish) {
  Sensor s({kEvil});
  Conn c;
  s.send(c.syn());
  s.send(testing::tcp_packet(c.server, c.client,
                             {c.sport, c.cport, c.sisn, c.cisn + 77, kSyn | kAck}, ""));
  s.send(c.ack());
  s.send(c.from_client(0, "EVIL"));
  s.send(c.from_client(4, "PATTERN"));
  EXPECT_TRUE(s.sink.seen.empty());  // never established: the split is not reassembled
  EXPECT_EQ(s.counter("stream.sessions_established"), 0u);
}

TEST(StreamDetection, FourWaySplitHandshakeIsTracked) {
  // SYN ->, <- SYN, SYN/ACK ->, <- ACK (the "split handshake"): the initiator stays the
  // client, the session is established and reassembled.
  Sensor s({kEvil});
  Conn c;
  s.send(c.syn());
  s.send(testing::tcp_packet(c.server, c.client, {c.sport, c.cport, c.sisn, 0, kSyn}, ""));
  s.send(testing::tcp_packet(c.client, c.server,
                             {c.cport, c.sport, c.cisn, c.sisn + 1, kSyn | kAck}, ""));
  s.send(testing::tcp_packet(c.server, c.client, {c.sport, c.cport, c.sisn + 1, c.cisn + 1, kAck},
                             ""));
  s.send(c.from_client(0, "EVIL"));
  const auto n = s.send(c.from_client(4, "PATTERN"));
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{1, n, true}}));
  EXPECT_EQ(s.counter("stream.sessions_established"), 1u);
}

TEST(StreamDetection, FiveWaySplitHandshakeIsTracked) {
  // SYN ->, <- ACK, <- SYN, SYN/ACK ->, <- ACK.
  Sensor s({kEvil});
  Conn c;
  s.send(c.syn());
  s.send(testing::tcp_packet(c.server, c.client, {c.sport, c.cport, c.sisn, c.cisn + 1, kAck}, ""));
  s.send(testing::tcp_packet(c.server, c.client, {c.sport, c.cport, c.sisn, 0, kSyn}, ""));
  s.send(testing::tcp_packet(c.client, c.server,
                             {c.cport, c.sport, c.cisn, c.sisn + 1, kSyn | kAck}, ""));
  s.send(testing::tcp_packet(c.server, c.client, {c.sport, c.cport, c.sisn + 1, c.cisn + 1, kAck},
                             ""));
  s.send(c.from_client(0, "EVIL"));
  const auto n = s.send(c.from_client(4, "PATTERN"));
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{1, n, true}}));
}

TEST(StreamDetection, FinBothWaysClosesTheFlowForEstablishedRules) {
  Sensor s(
      {R"(alert tcp any any -> any any (msg:"pkt"; flow:established,to_server,no_stream; content:"EVILPATTERN"; sid:2;))"});
  Conn c;
  c.handshake(s);
  s.send(c.from_client(0, "bye", kFinAck));
  const auto half = s.send(c.from_client(4, "EVILPATTERN"));  // half closed: still established
  s.send(c.from_server(0, "", 4, kFinAck));
  s.send(c.from_client(4, "EVILPATTERN"));
  EXPECT_EQ(s.sink.seen, (std::vector<Seen>{{2, half, false}}));
}

TEST(StreamDetection, PassRulePassesTheWholeSession) {
  Sensor s({R"(pass tcp 203.0.113.7 any -> any any (msg:"trusted"; flow:to_server; sid:90;))", kEvil});
  Conn c;
  c.handshake(s);
  s.send(c.from_client(0, "EVIL"));
  s.send(c.from_client(4, "PATTERN"));
  EXPECT_TRUE(s.sink.seen.empty());
}

}  // namespace
}  // namespace wp::app
