// libFuzzer target: one TCP session built from the input, segment by segment, through the
// real Worker (decode -> flow -> stream -> detect -> alert building) with rules that use the
// keywords reading at computed positions (byte_*, base64, isdataat, relative pcre, negative
// distance, stream_size). Looks for crashes and sanitizer reports, not for alerts.
//
// Input: 4 bytes of client ISN, 4 of server ISN, then records
//   [flags byte: bit 7 = from server, low bits = TCP flags][seq offset: 2 bytes]
//   [ack offset: 2 bytes][window: 1 byte][length: 1 byte][length bytes of payload]
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "app/config.h"
#include "app/worker.h"
#include "detect/rule_parser.h"
#include "detect/rule_set.h"
#include "support/packet_builder.h"

namespace {

using namespace wp;

const char* const kRules[] = {
    R"(alert tcp any any -> any any (msg:"a"; content:"AB"; byte_test:2,>,100,0,relative; byte_jump:1,0,relative,post_offset -3; content:"C"; within:5; sid:1;))",
    R"(alert tcp any any -> any any (msg:"b"; content:"X"; byte_extract:1,0,len,relative; content:"Y"; distance:len; within:len; isdataat:len,relative; sid:2;))",
    R"(alert tcp any any -> any any (msg:"c"; content:"Q"; byte_math:bytes 1, offset 0, oper *, rvalue 3, result r, relative; byte_jump:1,r,relative,from_beginning; sid:3;))",
    R"(alert tcp any any -> any any (msg:"d"; content:"=="; base64_decode:bytes 40, offset 0, relative; base64_data; content:"hi"; bsize:>1; sid:4;))",
    R"(alert tcp any any -> any any (msg:"e"; content:"GET"; depth:3; pcre:"/^\s+\S+/R"; content:"H"; distance:-2; within:4; sid:5;))",
    R"(alert tcp any any -> any any (msg:"f"; flow:established,to_server; stream_size:client,>,3; content:"Z"; byte_test:4,&,1,0,relative,string,hex; sid:6;))",
    R"(alert tcp any any -> any any (msg:"g"; content:!"nope"; content:"K"; isdataat:!2,relative; flowbits:set,k; sid:7;))",
    R"(alert tcp any any -> any any (msg:"h"; flowbits:isset,k; content:"L"; byte_jump:2,-1,relative,from_end; sid:8;))",
};

struct Harness {
  Harness() {
    config.pcap_checksum_checks = app::ChecksumChecks::kNo;
    config.checksum_validation = false;
    config.flow.memcap = 1 << 20;
    config.stream.memcap = 1 << 20;
    config.stream.reassembly_memcap = 4 << 20;
    config.stream.inspect_window = 256;
    detect::RuleParser parser(config.vars);
    std::vector<detect::Rule> rules;
    int line = 1;
    for (const char* text : kRules) {
      auto r = parser.parse(text, "fuzz.rules", line++);
      if (!r.ok()) __builtin_trap();  // a rule above no longer parses: fix the harness
      rules.push_back(std::move(r.value()));
    }
    auto set = detect::RuleSet::build(std::move(rules), detect::ClassificationTable::defaults(), nullptr);
    if (!set.ok()) __builtin_trap();
    worker = std::make_unique<app::Worker>(config, set.value(), counters, std::vector<output::AlertSink*>{});
  }

  void send(const testing::Frame& f) {
    capture::RawPacket raw;
    raw.ts = Timestamp{1751338800 + static_cast<std::int64_t>(number / 1000), 0};
    raw.data = f.data();
    raw.caplen = raw.wirelen = static_cast<std::uint32_t>(f.size());
    raw.number = ++number;
    worker->process(raw);
  }

  app::Config config;
  Counters counters;
  std::unique_ptr<app::Worker> worker;
  std::uint64_t number = 0;
  std::uint16_t port = 1024;
};

std::uint32_t load32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Harness h;
  if (size < 8) return 0;
  const IpAddress client = testing::ip("203.0.113.7");
  const IpAddress server = testing::ip("10.0.0.80");
  const std::uint16_t cport = h.port++;  // a new session per input
  if (h.port == 0) h.port = 1024;
  const std::uint32_t cisn = load32(data), sisn = load32(data + 4);
  h.send(testing::tcp_packet(client, server, {cport, 80, cisn, 0, 0x02}, ""));
  h.send(testing::tcp_packet(server, client, {80, cport, sisn, cisn + 1, 0x12}, ""));
  h.send(testing::tcp_packet(client, server, {cport, 80, cisn + 1, sisn + 1, 0x10}, ""));
  std::size_t i = 8;
  while (i + 7 <= size) {
    const std::uint8_t fl = data[i];
    const std::uint16_t seq_off = static_cast<std::uint16_t>(data[i + 1] << 8 | data[i + 2]);
    const std::uint16_t ack_off = static_cast<std::uint16_t>(data[i + 3] << 8 | data[i + 4]);
    const std::uint16_t window = static_cast<std::uint16_t>(data[i + 5] << 4);
    const std::size_t len = std::min<std::size_t>(data[i + 6], size - i - 7);
    const std::string payload(reinterpret_cast<const char*>(data + i + 7), len);
    i += 7 + len;
    const std::uint8_t flags = static_cast<std::uint8_t>((fl & 0x3f) | 0x10);
    if (fl & 0x80) {
      h.send(testing::tcp_packet(server, client, {80, cport, sisn + 1 + seq_off, cisn + 1 + ack_off, flags, window}, payload));
    } else {
      h.send(testing::tcp_packet(client, server, {cport, 80, cisn + 1 + seq_off, sisn + 1 + ack_off, flags, window}, payload));
    }
  }
  return 0;
}
