// The DNS parser: questions, answers, name compression and its abuses, truncation at every
// length, bounds, and DNS-over-TCP framing split at every byte. Messages are built here.
#include "applayer/dns.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace wp::applayer {
namespace {

// A DNS message under construction.
struct Msg {
  std::vector<std::uint8_t> b;

  Msg(std::uint16_t id, std::uint16_t flags, std::uint16_t qd, std::uint16_t an) {
    u16(id);
    u16(flags);
    u16(qd);
    u16(an);
    u16(0);
    u16(0);
  }
  Msg& u8(int v) {
    b.push_back(static_cast<std::uint8_t>(v));
    return *this;
  }
  Msg& u16(int v) { return u8(v >> 8).u8(v & 0xff); }
  Msg& u32(std::uint32_t v) {
    return u16(static_cast<int>(v >> 16)).u16(static_cast<int>(v & 0xffff));
  }
  // Labels of a dotted name, then the root label (or a pointer instead, when ptr >= 0).
  Msg& name(const std::string& dotted, int ptr = -1) {
    std::size_t start = 0;
    while (start < dotted.size()) {
      std::size_t dot = dotted.find('.', start);
      if (dot == std::string::npos) dot = dotted.size();
      u8(static_cast<int>(dot - start));
      for (std::size_t i = start; i < dot; ++i) u8(dotted[i]);
      start = dot + 1;
    }
    if (ptr >= 0) return u16(0xc000 | ptr);
    return u8(0);
  }
  Msg& question(const std::string& n, int type, int ptr = -1) {
    return name(n, ptr).u16(type).u16(1);
  }
  std::size_t size() const { return b.size(); }
  Bytes bytes() const { return b; }
};

constexpr int kA = 1, kCname = 5, kMx = 15, kTxt = 16;

TEST(Dns, ParsesTheHeaderAndAQuestion) {
  const Msg m = Msg(0x1234, 0x0100, 1, 0).question("www.example.com", kA);
  DnsMessage out;
  ASSERT_EQ(parse_dns(m.bytes(), out), DnsStatus::kOk);
  EXPECT_EQ(out.id, 0x1234);
  EXPECT_FALSE(out.response);
  EXPECT_EQ(out.opcode, 0);
  ASSERT_EQ(out.questions.size(), 1u);
  EXPECT_EQ(out.name(out.questions[0].name), "www.example.com");
  EXPECT_EQ(out.questions[0].type, kA);
  EXPECT_EQ(out.questions[0].klass, 1);
  EXPECT_EQ(out.events, 0u);
}

TEST(Dns, DecompressesAnswerNamesAndTheNamesInCnameAndMxData) {
  Msg m(7, 0x8180, 1, 3);
  m.question("www.example.com", kA);  // name at offset 12; "example.com" at 16
  // www.example.com CNAME cdn.example.com (the data: "cdn" + pointer to 16)
  m.u16(0xc000 | 12).u16(kCname).u16(1).u32(300).u16(6).name("cdn", 16);
  // example.com MX 10 mail.example.com
  m.u16(0xc000 | 16).u16(kMx).u16(1).u32(60).u16(9).u16(10).name("mail", 16);
  // example.com TXT "hi": no name in the data
  m.u16(0xc000 | 16).u16(kTxt).u16(1).u32(60).u16(3).u8(2).u8('h').u8('i');
  DnsMessage out;
  ASSERT_EQ(parse_dns(m.bytes(), out), DnsStatus::kOk);
  EXPECT_TRUE(out.response);
  EXPECT_EQ(out.rcode, 0);
  ASSERT_EQ(out.answers.size(), 3u);
  EXPECT_EQ(out.name(out.answers[0].name), "www.example.com");
  EXPECT_EQ(out.answers[0].ttl, 300u);
  EXPECT_EQ(out.name(out.answers[0].data_name), "cdn.example.com");
  EXPECT_EQ(out.name(out.answers[1].name), "example.com");
  EXPECT_EQ(out.name(out.answers[1].data_name), "mail.example.com");
  EXPECT_EQ(out.answers[2].data_name.length, 0u);
  EXPECT_EQ(out.answers[2].rdata_length, 3);
  EXPECT_EQ(m.b[out.answers[2].rdata_offset + 1], 'h');
  EXPECT_EQ(out.events, 0u);
}

TEST(Dns, TheRootNameIsEmpty) {
  const Msg m = Msg(1, 0, 1, 0).u8(0).u16(2).u16(1);  // ". NS"
  DnsMessage out;
  ASSERT_EQ(parse_dns(m.bytes(), out), DnsStatus::kOk);
  ASSERT_EQ(out.questions.size(), 1u);
  EXPECT_EQ(out.name(out.questions[0].name), "");
}

TEST(Dns, CompressionLoopsAndForwardPointersAreInfiniteLoops) {
  struct Case {
    const char* what;
    Msg msg;
  };
  std::vector<Case> cases = {
      {"a pointer to itself", Msg(1, 0, 1, 0).u16(0xc000 | 12).u16(kA).u16(1)},
      {"a pointer forward", Msg(1, 0, 1, 0).u16(0xc000 | 14).u8(0).u16(kA).u16(1)},
      // "a" at 12, then a pointer back to 12: a.a.a.... forever, bounded by the jumps.
      {"two labels pointing at each other", Msg(1, 0, 1, 0).u8(1).u8('a').u16(0xc000 | 12)},
  };
  for (const Case& c : cases) {
    DnsMessage out;
    EXPECT_EQ(parse_dns(c.msg.bytes(), out), DnsStatus::kMalformed) << c.what;
    EXPECT_NE(out.events & kDnsInfiniteLoop, 0u) << c.what;
    EXPECT_TRUE(out.questions.empty()) << c.what;
    EXPECT_TRUE(out.names.empty()) << c.what;
  }
}

TEST(Dns, ANameLongerThanTheLimitIsCutThereAndFlagged) {
  std::string longname;
  for (int i = 0; i < 20; ++i)
    longname += (i ? "." : "") + std::string(63, static_cast<char>('a' + i));
  const Msg m = Msg(1, 0, 1, 0).question(longname, kA);  // 1,279 bytes of text
  DnsMessage out;
  ASSERT_EQ(parse_dns(m.bytes(), out), DnsStatus::kOk);
  ASSERT_EQ(out.questions.size(), 1u);
  const std::string_view n = out.name(out.questions[0].name);
  EXPECT_LE(n.size(), kMaxNameLength);
  EXPECT_EQ(n, std::string_view(longname).substr(0, n.size()));
  EXPECT_EQ(out.questions[0].type, kA);  // the rest of the record still read
  EXPECT_NE(out.events & kDnsNameTooLong, 0u);
}

TEST(Dns, MoreThan255LabelsAreTooManyLabels) {
  std::string many;
  for (int i = 0; i < 256; ++i) many += i ? ".x" : "x";
  const Msg m = Msg(1, 0, 1, 0).question(many, kA);
  DnsMessage out;
  EXPECT_EQ(parse_dns(m.bytes(), out), DnsStatus::kMalformed);
  EXPECT_NE(out.events & kDnsTooManyLabels, 0u);
}

TEST(Dns, EveryTruncationOfAResponseIsMalformedOrTooShortNeverMore) {
  Msg m(7, 0x8180, 1, 1);
  m.question("www.example.com", kA);
  m.u16(0xc000 | 12).u16(kCname).u16(1).u32(300).u16(6).name("cdn", 16);
  DnsMessage out;
  ASSERT_EQ(parse_dns(m.bytes(), out), DnsStatus::kOk);
  for (std::size_t n = 0; n < m.size(); ++n) {
    const DnsStatus s = parse_dns(m.bytes().first(n), out);
    EXPECT_EQ(s, n < 12 ? DnsStatus::kTooShort : DnsStatus::kMalformed) << n;
    if (n >= 12) {
      EXPECT_NE(out.events & kDnsMalformedData, 0u) << n;
    }
    EXPECT_TRUE(out.answers.empty()) << n;
  }
}

TEST(Dns, ZFlagAndReservedOpcodesAreFlagged) {
  DnsMessage out;
  ASSERT_EQ(parse_dns(Msg(1, 0x0040, 0, 0).bytes(), out), DnsStatus::kOk);
  EXPECT_EQ(out.events, std::uint32_t{kDnsZFlagSet});
  for (int opcode : {0, 1, 2, 3, 4, 5, 6, 7, 15}) {
    ASSERT_EQ(parse_dns(Msg(1, opcode << 11, 0, 0).bytes(), out), DnsStatus::kOk);
    EXPECT_EQ(out.opcode, opcode);
    EXPECT_EQ((out.events & kDnsInvalidOpcode) != 0, opcode == 3 || opcode > 6) << opcode;
  }
}

TEST(Dns, KeepsAtMostMaxRecordsAndFlagsTheRest) {
  const int n = static_cast<int>(kMaxRecords) + 5;
  Msg m(1, 0, static_cast<std::uint16_t>(n), 1);
  for (int i = 0; i < n; ++i) m.question("q" + std::to_string(i) + ".example", kA);
  m.u16(0xc000 | 12).u16(kA).u16(1).u32(1).u16(4).u32(0x0a000001);
  DnsMessage out;
  ASSERT_EQ(parse_dns(m.bytes(), out), DnsStatus::kOk);
  EXPECT_EQ(out.questions.size(), kMaxRecords);
  EXPECT_EQ(out.question_count, n);
  EXPECT_NE(out.events & kDnsTooManyRecords, 0u);
  ASSERT_EQ(out.answers.size(), 1u);  // the answer after the skipped questions is still read
  EXPECT_EQ(out.name(out.answers[0].name), "q0.example");
  EXPECT_EQ(out.name(out.questions.back().name),
            "q" + std::to_string(kMaxRecords - 1) + ".example");
}

TEST(Dns, EventNamesAreSuricatas) {
  EXPECT_EQ(dns_event_name(0), "malformed_data");
  EXPECT_EQ(dns_event_name(4), "infinite_loop");
  EXPECT_EQ(dns_event_name(7), "name_too_long");
  EXPECT_EQ(dns_event_name(kDnsEventCount), "");
}

TEST(DnsTcpFramer, DeliversEachMessageWhateverTheChunkBoundaries) {
  const Msg a = Msg(1, 0x0100, 1, 0).question("a.example", kA);
  const Msg b = Msg(2, 0x0100, 1, 0).question("bb.example", kA);
  std::vector<std::uint8_t> stream;
  for (const Msg* m : {&a, &b}) {
    stream.push_back(static_cast<std::uint8_t>(m->size() >> 8));
    stream.push_back(static_cast<std::uint8_t>(m->size() & 0xff));
    stream.insert(stream.end(), m->b.begin(), m->b.end());
  }
  stream.push_back(0);  // the start of a third length
  // Two cuts anywhere: three chunks.
  for (std::size_t i = 0; i <= stream.size(); ++i) {
    for (std::size_t j = i; j <= stream.size(); ++j) {
      DnsTcpFramer framer;
      std::vector<std::string> names;
      const auto on_message = [&](Bytes msg) {
        DnsMessage out;
        ASSERT_EQ(parse_dns(msg, out), DnsStatus::kOk);
        names.emplace_back(out.name(out.questions.at(0).name));
      };
      const Bytes s(stream);
      framer.feed(s.first(i), on_message);
      framer.feed(s.subspan(i, j - i), on_message);
      framer.feed(s.subspan(j), on_message);
      ASSERT_EQ(names, (std::vector<std::string>{"a.example", "bb.example"})) << i << " " << j;
      EXPECT_EQ(framer.buffered(), 1u);
    }
  }
}

TEST(DnsTcpFramer, AnEmptyMessageAndAResetAreHandled) {
  DnsTcpFramer framer;
  int messages = 0;
  const std::uint8_t empty[] = {0, 0};
  framer.feed(empty, [&](Bytes m) { messages += m.empty() ? 1 : 100; });
  EXPECT_EQ(messages, 1);
  const std::uint8_t partial[] = {0, 40, 1, 2, 3};
  framer.feed(partial, [&](Bytes) { ++messages; });
  EXPECT_EQ(framer.buffered(), 5u);
  framer.reset();
  EXPECT_EQ(framer.buffered(), 0u);
  EXPECT_EQ(messages, 1);
}

}  // namespace
}  // namespace wp::applayer
