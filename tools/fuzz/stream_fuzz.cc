// libFuzzer target: raw TCP packet sequences, both directions, through the real Worker
// (decode -> flow -> stream -> detect -> alert building) under a configuration the input
// chooses (reassembly depth, inspect window, midstream, async-oneside, overlap policy, small
// memcaps). Sequence and acknowledgement numbers are free (relative to the ISNs or absolute),
// so gaps, acknowledgements far ahead, forged resets and FINs, split handshakes and
// wrap-around are all reachable. The rules read at computed positions (byte_*, base64,
// isdataat, relative pcre, negative distance, stream_size, flowbits). Looks for crashes and
// sanitizer reports, not for alerts.
//
// Input: [config byte][mode byte][client ISN: 4][server ISN: 4], then records of
//   [ctl: bit 7 from server, bit 6 absolute seq/ack, bits 0-5 TCP flags (FIN SYN RST PSH
//    ACK URG)][seq: 4][ack: 4][window: 2][opts: bits 0-3 window scale, bit 4 scale option
//    present, bit 7 advance packet time by 61 s][length: 2][payload]
// config byte: bits 0-1 depth (1 MiB, 0 = none, 1, 17), bit 2 midstream, bit 3
//   async-oneside, bits 4-6 host-os-policy (bsd, bsd-right, linux, solaris, first, last,
//   windows, hpux11), bit 7 small memcaps and a 64-byte inspect window.
// mode byte: bit 0 starts with a regular three-way handshake; bits 1-2 choose the client
//   port among four (several inputs' sessions then meet on one 5-tuple: port reuse).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "app/config.h"
#include "app/worker.h"
#include "detect/rules/rule_parser.h"
#include "detect/compile/rule_set.h"
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
    R"(alert tcp any any -> any any (msg:"i"; flow:not_established; flags:R+; sid:9;))",
    R"(alert tcp any any -> any any (msg:"j"; flow:established,to_client; content:"M"; offset:2; depth:6; sid:10;))",
};

const char* const kPolicies[] = {"bsd",   "bsd-right", "linux",   "solaris",
                                 "first", "last",      "windows", "hpux11"};

std::shared_ptr<const detect::RuleSet> rule_set() {
  static const std::shared_ptr<const detect::RuleSet> set = [] {
    app::Config config;
    detect::RuleParser parser(config.vars);
    std::vector<detect::Rule> rules;
    int line = 1;
    for (const char* text : kRules) {
      auto r = parser.parse(text, "fuzz.rules", line++);
      if (!r.ok()) __builtin_trap();  // a rule above no longer parses: fix the harness
      rules.push_back(std::move(r.value()));
    }
    auto built =
        detect::RuleSet::build(std::move(rules), detect::ClassificationTable::defaults(), nullptr);
    if (!built.ok()) __builtin_trap();
    return built.value();
  }();
  return set;
}

struct Harness {
  explicit Harness(std::uint8_t selector) {
    config.pcap_checksum_checks = app::ChecksumChecks::kNo;
    config.checksum_validation = false;
    config.flow.prealloc = 64;
    static const char* const kDepths[] = {"1mb", "0", "1", "17"};
    const bool small = selector & 0x80;
    const std::vector<std::string> sets = {
        std::string("stream.reassembly.depth=") + kDepths[selector & 3],
        std::string("stream.midstream=") + ((selector & 4) ? "yes" : "no"),
        std::string("stream.async-oneside=") + ((selector & 8) ? "yes" : "no"),
        std::string("host-os-policy.default=") + kPolicies[(selector >> 4) & 7],
        std::string("stream.reassembly.inspect-window=") + (small ? "64" : "4096"),
        std::string("stream.memcap=") + (small ? "4kb" : "1mb"),
        std::string("stream.reassembly.memcap=") + (small ? "16kb" : "4mb"),
        std::string("flow.memcap=") + (small ? "8kb" : "1mb"),
    };
    for (const std::string& s : sets) {
      if (!app::apply_set(config, s).ok()) __builtin_trap();
    }
    worker = std::make_unique<app::Worker>(config, rule_set(), counters,
                                           nullptr);
  }

  void send(const testing::Frame& f) {
    capture::RawPacket raw;
    raw.ts = Timestamp{now, 0};
    raw.data = f.data();
    raw.caplen = raw.wirelen = static_cast<std::uint32_t>(f.size());
    raw.number = ++number;
    worker->process(raw);
  }

  app::Config config;
  Counters counters;
  std::unique_ptr<app::Worker> worker;
  std::uint64_t number = 0;
  std::int64_t now = 1751338800;
};

std::uint32_t load32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
std::uint16_t load16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

constexpr std::size_t kRecordHeader = 14;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A worker per configuration costs megabytes (flow chunk, detector scratch): keep the 16
  // most recently used, rebuilding others on demand (a worker starts with empty tables
  // anyway, as after a restart).
  static std::vector<std::pair<std::uint8_t, std::unique_ptr<Harness>>> harnesses;
  if (size < 10) return 0;
  auto it = std::find_if(harnesses.begin(), harnesses.end(),
                         [&](const auto& e) { return e.first == data[0]; });
  if (it == harnesses.end()) {
    if (harnesses.size() == 16) harnesses.erase(harnesses.begin());
    harnesses.emplace_back(data[0], std::make_unique<Harness>(data[0]));
    it = harnesses.end() - 1;
  } else {
    std::rotate(it, it + 1, harnesses.end());
    it = harnesses.end() - 1;
  }
  Harness& h = *it->second;
  const std::uint8_t mode = data[1];
  const IpAddress client = testing::ip("203.0.113.7");
  const IpAddress server = testing::ip("10.0.0.80");
  const std::uint16_t cport = static_cast<std::uint16_t>(40000 + ((mode >> 1) & 3));
  const std::uint32_t cisn = load32(data + 2), sisn = load32(data + 6);
  if (mode & 1) {
    h.send(testing::tcp_packet(client, server, {cport, 80, cisn, 0, 0x02}, ""));
    h.send(testing::tcp_packet(server, client, {80, cport, sisn, cisn + 1, 0x12}, ""));
    h.send(testing::tcp_packet(client, server, {cport, 80, cisn + 1, sisn + 1, 0x10}, ""));
  }
  std::size_t i = 10;
  while (i + kRecordHeader <= size) {
    const std::uint8_t ctl = data[i];
    const bool from_server = ctl & 0x80;
    const bool absolute = ctl & 0x40;
    const std::uint32_t seq_field = load32(data + i + 1);
    const std::uint32_t ack_field = load32(data + i + 5);
    const std::uint16_t window = load16(data + i + 9);
    const std::uint8_t opts = data[i + 11];
    const std::size_t len = std::min<std::size_t>(load16(data + i + 12), size - i - kRecordHeader);
    const std::string payload(reinterpret_cast<const char*>(data + i + kRecordHeader), len);
    i += kRecordHeader + len;
    if (opts & 0x80) h.now += 61;  // past the new-flow timeout: expiry and release paths
    const std::uint32_t own_isn = from_server ? sisn : cisn;
    const std::uint32_t peer_isn = from_server ? cisn : sisn;
    testing::TcpSpec t;
    t.sport = from_server ? 80 : cport;
    t.dport = from_server ? cport : 80;
    t.seq = absolute ? seq_field : own_isn + 1 + seq_field;
    t.ack = absolute ? ack_field : peer_isn + 1 + ack_field;
    t.flags = ctl & 0x3f;
    t.window = window;
    if (opts & 0x10) t.options = {3, 3, static_cast<std::uint8_t>(opts & 0x0f), 1};  // wscale, NOP
    h.send(from_server ? testing::tcp_packet(server, client, t, payload)
                       : testing::tcp_packet(client, server, t, payload));
  }
  return 0;
}
