#include "detect/rules/rule_parser.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <gtest/gtest.h>
#include <pcre2.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "decode/packet.h"

namespace wp::detect {
namespace {

namespace fs = std::filesystem;

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

Rule parse_ok(const std::string& text, RuleVars vars = RuleVars::suricata_defaults()) {
  RuleParser parser(std::move(vars));
  Result<Rule> r = parser.parse(text, "local.rules", 1);
  EXPECT_TRUE(r.ok()) << text << "\n -> " << (r.ok() ? "" : r.error().describe());
  return r.ok() ? std::move(r).value() : Rule{};
}

// A rule with the usual header and the given options.
Rule parse_options(const std::string& options) {
  return parse_ok("alert tcp any any -> any any (" + options + ")");
}

const ContentMatch& content_at(const Rule& r, std::size_t i) {
  static const ContentMatch kNone;
  if (i >= r.payload.size() || !std::holds_alternative<ContentMatch>(r.payload[i].match)) {
    ADD_FAILURE() << "payload item " << i << " is not a content";
    return kNone;
  }
  return std::get<ContentMatch>(r.payload[i].match);
}

// ---------------------------------------------------------------------------------------
// Header

TEST(RuleParser, ParsesActionsProtocolsAndDirection) {
  struct Case {
    const char* header;
    Action action;
    RuleProto proto;
    bool bidirectional;
  };
  for (const Case& c : {
           Case{"alert tcp any any -> any any", Action::kAlert, RuleProto::kTcp, false},
           Case{"pass udp any any -> any any", Action::kPass, RuleProto::kUdp, false},
           Case{"drop icmp any any <> any any", Action::kDrop, RuleProto::kIcmp, true},
           Case{"reject ip any any -> any any", Action::kReject, RuleProto::kIp, false},
           Case{"alert icmpv6 any any -> any any", Action::kAlert, RuleProto::kIcmp, false},
           Case{"alert icmpv4 any any -> any any", Action::kAlert, RuleProto::kIcmp, false},
           Case{"alert pkthdr any any -> any any", Action::kAlert, RuleProto::kIp, false},
       }) {
    Rule r = parse_ok(std::string(c.header) + " (sid:1;)");
    EXPECT_EQ(r.action, c.action) << c.header;
    EXPECT_EQ(r.proto, c.proto) << c.header;
    EXPECT_EQ(r.bidirectional, c.bidirectional) << c.header;
  }
}

TEST(RuleParser, TcpPktAndTcpStreamAreTcpWithAStreamFlowRestriction) {
  Rule pkt = parse_ok("alert tcp-pkt any any -> any any (sid:1;)");
  EXPECT_EQ(pkt.proto, RuleProto::kTcp);
  EXPECT_TRUE(pkt.flow.no_stream);
  EXPECT_FALSE(pkt.flow.only_stream);
  Rule stream = parse_ok("alert tcp-stream any any -> any any (sid:1;)");
  EXPECT_EQ(stream.proto, RuleProto::kTcp);
  EXPECT_TRUE(stream.flow.only_stream);
  // Restating no_stream on a tcp-pkt rule is not a duplicate.
  EXPECT_TRUE(parse_ok("alert tcp-pkt any any -> any any (flow:established,no_stream; sid:1;)")
                  .flow.no_stream);
}

TEST(RuleParser, ResolvesHomeNetAndExternalNetFromDefaults) {
  Rule r = parse_ok("alert tcp $HOME_NET any -> $EXTERNAL_NET any (sid:1;)");
  EXPECT_TRUE(r.src_addr->contains(ip("192.168.1.1")));
  EXPECT_TRUE(r.src_addr->contains(ip("10.1.2.3")));
  EXPECT_TRUE(r.src_addr->contains(ip("172.31.0.1")));
  EXPECT_FALSE(r.src_addr->contains(ip("172.32.0.1")));
  EXPECT_FALSE(r.dst_addr->contains(ip("10.1.2.3")));
  EXPECT_TRUE(r.dst_addr->contains(ip("8.8.8.8")));
  EXPECT_TRUE(r.dst_addr->contains(ip("2001:db8::1")));
  EXPECT_FALSE(r.src_addr_is_list);
  EXPECT_FALSE(r.dst_addr_is_list);
}

TEST(RuleParser, AddressListsUniteAndSubtractNegatedItems) {
  struct Case {
    const char* addr;
    std::vector<const char*> in;
    std::vector<const char*> out;
  };
  for (const Case& c : {
           Case{"1.2.3.4", {"1.2.3.4"}, {"1.2.3.5"}},
           Case{"[1.2.3.4,5.6.7.0/24]", {"1.2.3.4", "5.6.7.200"}, {"5.6.8.0"}},
           Case{"[10.0.0.0/8,!10.1.0.0/16]", {"10.2.0.1"}, {"10.1.0.1", "11.0.0.1"}},
           Case{"!10.0.0.0/8", {"11.0.0.1", "2001:db8::1"}, {"10.0.0.1"}},
           Case{"[!10.0.0.0/8,!192.168.0.0/16]", {"8.8.8.8"}, {"10.0.0.1", "192.168.0.1"}},
           Case{"![1.1.1.1,[2.2.2.2,3.3.3.3]]", {"4.4.4.4"}, {"1.1.1.1", "3.3.3.3"}},
           Case{"[$HOME_NET,!192.168.1.0/24]", {"192.168.2.1", "10.0.0.1"}, {"192.168.1.1"}},
           Case{"[2001:db8::/32, 192.0.2.1]", {"2001:db8::5", "192.0.2.1"}, {"2001:db9::1"}},
           Case{"any", {"1.2.3.4", "::1"}, {}},
       }) {
    Rule r = parse_ok(std::string("alert ip ") + c.addr + " any -> any any (sid:1;)");
    if (!r.src_addr) continue;
    for (const char* a : c.in) EXPECT_TRUE(r.src_addr->contains(ip(a))) << c.addr << " " << a;
    for (const char* a : c.out) EXPECT_FALSE(r.src_addr->contains(ip(a))) << c.addr << " " << a;
  }
}

TEST(RuleParser, MarksLiteralAddressListsForTheAddressIndex) {
  struct Case {
    const char* src;
    const char* dst;
    bool src_list;
    bool dst_list;
  };
  for (const Case& c : {Case{"[1.2.3.4,5.6.7.8]", "$HOME_NET", true, false},
                        Case{"any", "192.0.2.0/24", false, true},
                        Case{"$EXTERNAL_NET", "[$HOME_NET,1.2.3.4]", false, false}}) {
    Rule r = parse_ok(std::string("alert ip ") + c.src + " any -> " + c.dst + " any (sid:1;)");
    EXPECT_EQ(r.src_addr_is_list, c.src_list) << c.src;
    EXPECT_EQ(r.dst_addr_is_list, c.dst_list) << c.dst;
  }
}

TEST(RuleParser, SharesOneAddressSetBetweenRulesWithTheSameExpandedText) {
  RuleParser parser(RuleVars::suricata_defaults());
  auto a = parser.parse("alert tcp $HOME_NET any -> $EXTERNAL_NET 80 (sid:1;)");
  auto b = parser.parse("alert tcp $HOME_NET any -> !$HOME_NET 80 (sid:2;)");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->src_addr.get(), b->src_addr.get());
  EXPECT_EQ(a->dst_addr.get(), b->dst_addr.get());
  EXPECT_EQ(a->dst_port.get(), b->dst_port.get());
}

TEST(RuleParser, ResolvesVariablesRecursively) {
  RuleVars vars;
  vars.address_groups = {{"A", "[$B,10.0.0.1]"}, {"B", "$C"}, {"C", "192.0.2.0/24"}};
  vars.port_groups = {{"P", "[$Q,443]"}, {"Q", "8000:8080"}};
  Rule r = parse_ok("alert tcp $A $P -> any any (sid:1;)", vars);
  EXPECT_TRUE(r.src_addr->contains(ip("192.0.2.9")));
  EXPECT_TRUE(r.src_addr->contains(ip("10.0.0.1")));
  EXPECT_TRUE(r.src_port->contains(8042));
  EXPECT_TRUE(r.src_port->contains(443));
  EXPECT_FALSE(r.src_port->contains(80));
}

TEST(RuleParser, ParsesPortForms) {
  struct Case {
    const char* port;
    std::vector<int> in;
    std::vector<int> out;
  };
  for (const Case& c : {
           Case{"80", {80}, {81}},
           Case{"1024:", {1024, 65535}, {1023}},
           Case{":1023", {0, 1023}, {1024}},
           Case{"[80,443,8000:8080]", {80, 443, 8080}, {81, 8081}},
           Case{"!80", {0, 81}, {80}},
           Case{"[1:100,!50]", {1, 49, 51}, {50, 101}},
           Case{"$HTTP_PORTS", {80}, {8080}},
           Case{"$SHELLCODE_PORTS", {443}, {80}},
           Case{"$FILE_DATA_PORTS", {80, 110, 143}, {25}},
           Case{"any", {0, 65535}, {}},
       }) {
    Rule r = parse_ok(std::string("alert tcp any any -> any ") + c.port + " (sid:1;)");
    if (!r.dst_port) continue;
    for (int p : c.in)
      EXPECT_TRUE(r.dst_port->contains(static_cast<std::uint16_t>(p))) << c.port << " " << p;
    for (int p : c.out)
      EXPECT_FALSE(r.dst_port->contains(static_cast<std::uint16_t>(p))) << c.port << " " << p;
  }
}

TEST(RuleParser, DefaultVariablesCoverEveryVariableTheEtRulesUse) {
  RuleVars v = RuleVars::suricata_defaults();
  for (const char* name :
       {"HOME_NET", "EXTERNAL_NET", "HTTP_SERVERS", "SMTP_SERVERS", "SQL_SERVERS", "DNS_SERVERS",
        "TELNET_SERVERS", "AIM_SERVERS", "DC_SERVERS", "DNP3_SERVER", "DNP3_CLIENT",
        "MODBUS_CLIENT", "MODBUS_SERVER", "ENIP_CLIENT", "ENIP_SERVER", "SIP_SERVERS"}) {
    EXPECT_EQ(v.address_groups.count(name), 1u) << name;
  }
  for (const char* name : {"HTTP_PORTS", "SHELLCODE_PORTS", "ORACLE_PORTS", "SSH_PORTS",
                           "DNP3_PORTS", "MODBUS_PORTS", "FILE_DATA_PORTS", "FTP_PORTS",
                           "GENEVE_PORTS", "VXLAN_PORTS", "TEREDO_PORTS", "SIP_PORTS"}) {
    EXPECT_EQ(v.port_groups.count(name), 1u) << name;
  }
}

// ---------------------------------------------------------------------------------------
// Identity options

TEST(RuleParser, ParsesIdentityAndPresentationOptions) {
  Rule r = parse_options(
      "msg:\"ET TEST a \\\"quoted\\\" \\; thing\"; sid:2000001; rev:7; gid:3; "
      "classtype:trojan-activity; priority:2; reference:url,example.com/a; reference: cve , "
      "2021-1234; metadata:created_at 2010_01_01, former_category MALWARE, tag; "
      "metadata:updated_at 2024_04_19;");
  EXPECT_EQ(r.msg, "ET TEST a \"quoted\" ; thing");
  EXPECT_EQ(r.sid, 2000001u);
  EXPECT_EQ(r.rev, 7u);
  EXPECT_EQ(r.gid, 3u);
  EXPECT_EQ(r.classtype, "trojan-activity");
  EXPECT_EQ(r.priority, 2);
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(r.references, (Pairs{{"url", "example.com/a"}, {"cve", "2021-1234"}}));
  EXPECT_EQ(r.metadata, (Pairs{{"created_at", "2010_01_01"},
                               {"former_category", "MALWARE"},
                               {"tag", ""},
                               {"updated_at", "2024_04_19"}}));
  EXPECT_EQ(r.file, "local.rules");
  EXPECT_EQ(r.line, 1);
}

TEST(RuleParser, KeywordNamesAreCaseInsensitive) {
  Rule r = parse_options("MSG:\"x\"; Content:\"abc\"; NoCase; SID:5;");
  EXPECT_EQ(r.sid, 5u);
  EXPECT_TRUE(content_at(r, 0).nocase);
}

// ---------------------------------------------------------------------------------------
// Payload

TEST(RuleParser, DecodesContentHexBlocksAndEscapes) {
  struct Case {
    const char* value;
    std::string bytes;
  };
  for (const Case& c : {
           Case{"\"abc\"", "abc"},
           Case{"\"|41 42|C\"", "ABC"},
           Case{"\"|4142|\"", "AB"},
           Case{"\"a|00|b\"", std::string("a\0b", 3)},
           Case{"\"|3 a20|x\"", ":\x20x"},
           Case{"\"a\\;b\\\"c\\\\d\\:e\"", "a;b\"c\\d:e"},
           Case{"\"GET / HTTP/1.1|0d 0a|\"", "GET / HTTP/1.1\r\n"},
       }) {
    Rule r = parse_options(std::string("content:") + c.value + "; sid:1;");
    EXPECT_EQ(content_at(r, 0).bytes, c.bytes) << c.value;
  }
}

TEST(RuleParser, AppliesModifiersToTheMostRecentContent) {
  Rule r = parse_options(
      "content:\"first\"; offset:2; depth:10; content:!\"second\"; nocase; distance:-3; "
      "within:20; rawbytes; content:\"third\"; fast_pattern; startswith; endswith; sid:1;");
  ASSERT_EQ(r.payload.size(), 3u);
  const ContentMatch& a = content_at(r, 0);
  EXPECT_EQ(a.offset, 2);
  EXPECT_EQ(a.depth, 10);
  EXPECT_FALSE(a.nocase);
  EXPECT_FALSE(a.relative());
  const ContentMatch& b = content_at(r, 1);
  EXPECT_TRUE(b.negated);
  EXPECT_TRUE(b.nocase);
  EXPECT_TRUE(b.rawbytes);
  EXPECT_EQ(b.distance, -3);
  EXPECT_EQ(b.within, 20);
  EXPECT_TRUE(b.relative());
  const ContentMatch& c = content_at(r, 2);
  EXPECT_TRUE(c.fast_pattern);
  EXPECT_FALSE(c.fast_pattern_only);
  EXPECT_TRUE(c.startswith);
  EXPECT_TRUE(c.endswith);
  EXPECT_FALSE(c.offset.has_value());
}

TEST(RuleParser, ParsesFastPatternForms) {
  Rule only = parse_options("content:\"abcdef\"; fast_pattern:only; sid:1;");
  EXPECT_TRUE(content_at(only, 0).fast_pattern_only);
  Rule slice = parse_options("content:\"abcdef\"; fast_pattern:1,4; sid:1;");
  EXPECT_EQ(content_at(slice, 0).fp_offset, 1);
  EXPECT_EQ(content_at(slice, 0).fp_length, 4);
  EXPECT_EQ(content_at(only, 0).fp_offset, -1);
}

TEST(RuleParser, ParsesIsdataat) {
  struct Case {
    const char* value;
    int size;
    bool negated;
    bool relative;
    bool rawbytes;
  };
  for (const Case& c :
       {Case{"10", 10, false, false, false}, Case{"!1,relative", 1, true, true, false},
        Case{"4, relative, rawbytes", 4, false, true, true}}) {
    Rule r = parse_options(std::string("content:\"a\"; isdataat:") + c.value + "; sid:1;");
    ASSERT_EQ(r.payload.size(), 2u);
    const auto& d = std::get<IsDataAt>(r.payload[1].match);
    EXPECT_EQ(d.size, c.size) << c.value;
    EXPECT_EQ(d.negated, c.negated) << c.value;
    EXPECT_EQ(d.relative, c.relative) << c.value;
    EXPECT_EQ(d.rawbytes, c.rawbytes) << c.value;
  }
}

TEST(RuleParser, CompilesPcreWithFlagsAndModifiers) {
  Rule r =
      parse_options("content:\"x\"; pcre:\"/^ab+c\\x3b(d|e)$/ismxRB\"; pcre:!\"/foo/AEG\"; sid:1;");
  ASSERT_EQ(r.payload.size(), 3u);
  const auto& p = std::get<PcreMatch>(r.payload[1].match);
  EXPECT_EQ(p.pattern, "^ab+c\\x3b(d|e)$");
  EXPECT_EQ(p.options, static_cast<std::uint32_t>(PCRE2_CASELESS | PCRE2_DOTALL | PCRE2_MULTILINE |
                                                  PCRE2_EXTENDED));
  EXPECT_TRUE(p.relative);
  EXPECT_TRUE(p.rawbytes);
  EXPECT_FALSE(p.negated);
  EXPECT_NE(p.code, nullptr);
  const auto& q = std::get<PcreMatch>(r.payload[2].match);
  EXPECT_TRUE(q.negated);
  EXPECT_TRUE(q.anchored_start);
  EXPECT_EQ(q.options,
            static_cast<std::uint32_t>(PCRE2_ANCHORED | PCRE2_DOLLAR_ENDONLY | PCRE2_UNGREEDY));
  // The shared code matches.
  auto* code = static_cast<pcre2_code*>(p.code.get());
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(code, nullptr);
  const std::string subject = "ABBC;e";
  EXPECT_GE(pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0, 0,
                        md, nullptr),
            0);
  pcre2_match_data_free(md);
}

// ---------------------------------------------------------------------------------------
// Non-payload options

TEST(RuleParser, ParsesFlow) {
  struct Case {
    const char* value;
    FlowMatch expect;
  };
  auto flow = [](bool est, bool not_est, bool stateless, bool ts, bool tc, bool only, bool no) {
    return FlowMatch{est, not_est, stateless, ts, tc, only, no};
  };
  for (const Case& c : {
           Case{"established,to_server", flow(true, false, false, true, false, false, false)},
           Case{"to_client, established", flow(true, false, false, false, true, false, false)},
           Case{"from_server", flow(false, false, false, false, true, false, false)},
           Case{"from_client,not_established", flow(false, true, false, true, false, false, false)},
           Case{"stateless", flow(false, false, true, false, false, false, false)},
           Case{"established,to_server,only_stream",
                flow(true, false, false, true, false, true, false)},
           Case{"to_server,no_stream", flow(false, false, false, true, false, false, true)},
       }) {
    FlowMatch f = parse_options(std::string("flow:") + c.value + "; sid:1;").flow;
    EXPECT_EQ(f.established, c.expect.established) << c.value;
    EXPECT_EQ(f.not_established, c.expect.not_established) << c.value;
    EXPECT_EQ(f.stateless, c.expect.stateless) << c.value;
    EXPECT_EQ(f.to_server, c.expect.to_server) << c.value;
    EXPECT_EQ(f.to_client, c.expect.to_client) << c.value;
    EXPECT_EQ(f.only_stream, c.expect.only_stream) << c.value;
    EXPECT_EQ(f.no_stream, c.expect.no_stream) << c.value;
  }
}

TEST(RuleParser, ParsesTcpFlags) {
  using decode::kTcpAck;
  using decode::kTcpCwr;
  using decode::kTcpEce;
  using decode::kTcpFin;
  using decode::kTcpPsh;
  using decode::kTcpSyn;
  using decode::kTcpUrg;
  struct Case {
    const char* value;
    std::uint8_t bits;
    std::uint8_t ignore;
    BitsMatch::Mod mod;
  };
  for (const Case& c : {
           Case{"S", kTcpSyn, 0, BitsMatch::Mod::kExact},
           Case{"S,12", kTcpSyn, kTcpCwr | kTcpEce, BitsMatch::Mod::kExact},
           Case{"S,CE", kTcpSyn, kTcpCwr | kTcpEce, BitsMatch::Mod::kExact},
           Case{"A+", kTcpAck, 0, BitsMatch::Mod::kPlus},
           Case{"+SA", kTcpSyn | kTcpAck, 0, BitsMatch::Mod::kPlus},
           Case{"*FPU", kTcpFin | kTcpPsh | kTcpUrg, 0, BitsMatch::Mod::kAny},
           Case{"!A", kTcpAck, 0, BitsMatch::Mod::kNot},
           Case{"0", 0, 0, BitsMatch::Mod::kExact},
       }) {
    Rule r = parse_options(std::string("flags:") + c.value + "; sid:1;");
    const HeaderTest* flags = r.header_test("flags");
    ASSERT_NE(flags, nullptr) << c.value;
    EXPECT_EQ(flags->bits.bits, c.bits) << c.value;
    EXPECT_EQ(flags->bits.ignore, c.ignore) << c.value;
    EXPECT_EQ(flags->bits.mod, c.mod) << c.value;
  }
}

TEST(RuleParser, ParsesFragbitsAndIpopts) {
  Rule r = parse_options("fragbits:M+D; ipopts:lsrr; sid:1;");
  const HeaderTest* fragbits = r.header_test("fragbits");
  ASSERT_NE(fragbits, nullptr);
  EXPECT_EQ(fragbits->bits.bits, kFragBitM | kFragBitD);
  EXPECT_EQ(fragbits->bits.mod, BitsMatch::Mod::kPlus);
  ASSERT_NE(r.header_test("ipopts"), nullptr);
  EXPECT_EQ(r.header_test("ipopts")->cmp.a, decode::kIpoptLsrr);
  EXPECT_EQ(parse_options("ipopts:any; sid:1;").header_test("ipopts")->cmp.a, decode::kIpoptAny);
}

TEST(RuleParser, ParsesNumericComparisons) {
  using Op = NumCmp::Op;
  struct Case {
    const char* option;
    const char* keyword;
    Op op;
    std::int64_t a;
    std::int64_t b;
  };
  for (const Case& c : {
           Case{"dsize:>11", "dsize", Op::kGt, 11, 0},
           Case{"dsize:<=5", "dsize", Op::kLe, 5, 0},
           Case{"dsize:9<>18", "dsize", Op::kRangeExclusive, 9, 18},
           Case{"dsize:!0", "dsize", Op::kNe, 0, 0},
           Case{"ttl:64", "ttl", Op::kEq, 64, 0},
           Case{"ttl:1-3", "ttl", Op::kRangeExclusive, 1, 3},
           Case{"itype:8", "itype", Op::kEq, 8, 0},
           Case{"icode:>=1", "icode", Op::kGe, 1, 0},
           Case{"tos:!4", "tos", Op::kNe, 4, 0},
           Case{"tos:x10", "tos", Op::kEq, 16, 0},
           Case{"id:31337", "id", Op::kEq, 31337, 0},
           Case{"icmp_id:0", "icmp_id", Op::kEq, 0, 0},
           Case{"icmp_seq:7", "icmp_seq", Op::kEq, 7, 0},
           Case{"seq:4294967295", "seq", Op::kEq, 4294967295, 0},
           Case{"ack:0", "ack", Op::kEq, 0, 0},
           Case{"window:!1024", "window", Op::kNe, 1024, 0},
           Case{"fragoffset:>0", "fragoffset", Op::kGt, 0, 0},
           Case{"ip_proto:tcp", "ip_proto", Op::kEq, 6, 0},
           Case{"ip_proto:!47", "ip_proto", Op::kNe, 47, 0},
           Case{"ip_proto:<10", "ip_proto", Op::kLt, 10, 0},
       }) {
    Rule r = parse_options(std::string(c.option) + "; sid:1;");
    const HeaderTest* t = r.header_test(c.keyword);
    ASSERT_NE(t, nullptr) << c.option;
    const NumCmp* v = &t->cmp;
    EXPECT_EQ(v->op, c.op) << c.option;
    EXPECT_EQ(v->a, c.a) << c.option;
    EXPECT_EQ(v->b, c.b) << c.option;
  }
}

TEST(RuleParser, ParsesFlowbits) {
  Rule r = parse_options(
      "flowbits:set,ET.foo; flowbits:isset,a|b; flowbits: isnotset , c&d; flowbits:unset,e; "
      "flowbits:toggle,f; flowbits:noalert; sid:1;");
  ASSERT_EQ(r.flowbits.size(), 5u);
  using Cmd = FlowbitsOp::Cmd;
  using Names = std::vector<std::string>;
  EXPECT_EQ(r.flowbits[0].cmd, Cmd::kSet);
  EXPECT_EQ(r.flowbits[0].names, Names{"ET.foo"});
  EXPECT_EQ(r.flowbits[1].cmd, Cmd::kIsSet);
  EXPECT_EQ(r.flowbits[1].names, (Names{"a", "b"}));
  EXPECT_TRUE(r.flowbits[1].any);
  EXPECT_EQ(r.flowbits[2].cmd, Cmd::kIsNotSet);
  EXPECT_EQ(r.flowbits[2].names, (Names{"c", "d"}));
  EXPECT_FALSE(r.flowbits[2].any);
  EXPECT_EQ(r.flowbits[3].cmd, Cmd::kUnset);
  EXPECT_EQ(r.flowbits[4].cmd, Cmd::kToggle);
  EXPECT_TRUE(r.noalert);
}

TEST(RuleParser, ParsesFlowintModifiersAndValues) {
  using Op = FlowintOp::Op;
  struct Case {
    const char* option;
    Op op;
    const char* name;
    std::uint32_t value;
    const char* target_var;
  };
  const Case cases[] = {
      {"flowint:count,=,1", Op::kSet, "count", 1, ""},
      {"flowint: count , + , 10", Op::kAdd, "count", 10, ""},
      {"flowint:count,-,4294967295", Op::kSub, "count", 4294967295u, ""},
      {"flowint:count,==,5", Op::kEq, "count", 5, ""},
      {"flowint:count,!=,5", Op::kNe, "count", 5, ""},
      {"flowint:count,<,5", Op::kLt, "count", 5, ""},
      {"flowint:count,<=,5", Op::kLe, "count", 5, ""},
      {"flowint:count,>,5", Op::kGt, "count", 5, ""},
      {"flowint:count,>=,5", Op::kGe, "count", 5, ""},
      {"flowint:count,isset", Op::kIsSet, "count", 0, ""},
      {"flowint:count,notset", Op::kIsNotSet, "count", 0, ""},
      {"flowint:count,isnotset", Op::kIsNotSet, "count", 0, ""},
      {"flowint:ET.brute/ssh,>,limit_2", Op::kGt, "ET.brute/ssh", 0, "limit_2"},
      {"flowint:copy,=,count", Op::kSet, "copy", 0, "count"},
  };
  for (const Case& c : cases) {
    Rule r = parse_options(std::string(c.option) + "; sid:1;");
    ASSERT_EQ(r.flowints.size(), 1u) << c.option;
    EXPECT_EQ(r.flowints[0].op, c.op) << c.option;
    EXPECT_EQ(r.flowints[0].name, c.name) << c.option;
    EXPECT_EQ(r.flowints[0].value, c.value) << c.option;
    EXPECT_EQ(r.flowints[0].target_var, c.target_var) << c.option;
  }
}

TEST(RuleParser, ParsesXbits) {
  using Cmd = XbitsOp::Cmd;
  using Track = XbitsOp::Track;
  struct Case {
    const char* option;
    Cmd cmd;
    const char* name;
    Track track;
    std::uint32_t expire;
  };
  const Case cases[] = {
      {"xbits:set,ET.scan,track ip_src", Cmd::kSet, "ET.scan", Track::kIpSrc, 30},
      {"xbits:set,ET.scan,track ip_dst,expire 3600", Cmd::kSet, "ET.scan", Track::kIpDst, 3600},
      {"xbits: unset , a , track ip_pair", Cmd::kUnset, "a", Track::kIpPair, 30},
      {"xbits:toggle,a,expire 5,track ip_pair", Cmd::kToggle, "a", Track::kIpPair, 5},
      {"xbits:isset,a,track ip_src", Cmd::kIsSet, "a", Track::kIpSrc, 30},
      {"xbits:isnotset,a,track ip_dst", Cmd::kIsNotSet, "a", Track::kIpDst, 30},
  };
  for (const Case& c : cases) {
    Rule r = parse_options(std::string(c.option) + "; sid:1;");
    ASSERT_EQ(r.xbits.size(), 1u) << c.option;
    EXPECT_EQ(r.xbits[0].cmd, c.cmd) << c.option;
    EXPECT_EQ(r.xbits[0].name, c.name) << c.option;
    EXPECT_EQ(r.xbits[0].track, c.track) << c.option;
    EXPECT_EQ(r.xbits[0].expire, c.expire) << c.option;
  }
  EXPECT_TRUE(parse_options("xbits:noalert; sid:1;").noalert);
}

TEST(RuleParser, ParsesTagAndTargetAndKeepsThem) {
  using Type = TagSpec::Type;
  using Metric = TagSpec::Metric;
  using Dir = TagSpec::Direction;
  struct Case {
    const char* option;
    Type type;
    std::uint32_t count;
    Metric metric;
    Dir direction;
  };
  const Case cases[] = {
      {"tag:session", Type::kSession, 256, Metric::kPackets, Dir::kUnspecified},
      {"tag:session,10,seconds", Type::kSession, 10, Metric::kSeconds, Dir::kUnspecified},
      {"tag: host , 100 , bytes , src", Type::kHost, 100, Metric::kBytes, Dir::kSrc},
      {"tag:host,5,packets,dst", Type::kHost, 5, Metric::kPackets, Dir::kDst},
  };
  for (const Case& c : cases) {
    Rule r = parse_options(std::string(c.option) + "; sid:1;");
    ASSERT_EQ(r.tags.size(), 1u) << c.option;
    EXPECT_EQ(r.tags[0].type, c.type) << c.option;
    EXPECT_EQ(r.tags[0].count, c.count) << c.option;
    EXPECT_EQ(r.tags[0].metric, c.metric) << c.option;
    EXPECT_EQ(r.tags[0].direction, c.direction) << c.option;
  }
  EXPECT_EQ(parse_options("sid:1;").target, Target::kNone);
  EXPECT_EQ(parse_options("target:src_ip; sid:1;").target, Target::kSrcIp);
  EXPECT_EQ(parse_options("target:dest_ip; sid:1;").target, Target::kDestIp);
}

TEST(RuleParser, PriorityMayBeQuoted) {
  EXPECT_EQ(parse_options("priority:2; sid:1;").priority, 2);
  EXPECT_EQ(parse_options("priority:\"4\"; sid:1;").priority, 4);
}

TEST(RuleParser, ParsesThresholdAndDetectionFilterInAnyOrder) {
  using Type = ThresholdSpec::Type;
  using Track = ThresholdSpec::Track;
  struct Case {
    const char* option;
    Type type;
    Track track;
    std::uint32_t count;
    std::uint32_t seconds;
  };
  for (const Case& c : {
           Case{"threshold: type limit, track by_src, seconds 60, count 1", Type::kLimit,
                Track::kBySrc, 1, 60},
           Case{"threshold:type both,count 5,seconds 120,track by_dst", Type::kBoth, Track::kByDst,
                5, 120},
           Case{"threshold:type threshold, track by_rule, count 10, seconds 3600", Type::kThreshold,
                Track::kByRule, 10, 3600},
           Case{"threshold:type limit, track by_both, count 1, seconds 1", Type::kLimit,
                Track::kByBoth, 1, 1},
           Case{"threshold:type limit, track by_flow, count 2, seconds 5", Type::kLimit,
                Track::kByFlow, 2, 5},
           Case{"threshold: type backoff, track by_flow, count 1, multiplier 10", Type::kBackoff,
                Track::kByFlow, 1, 60},
       }) {
    Rule r = parse_options(std::string(c.option) + "; sid:1;");
    ASSERT_TRUE(r.threshold.has_value()) << c.option;
    EXPECT_EQ(r.threshold->type, c.type) << c.option;
    EXPECT_EQ(r.threshold->track, c.track) << c.option;
    EXPECT_EQ(r.threshold->count, c.count) << c.option;
    EXPECT_EQ(r.threshold->seconds, c.seconds) << c.option;
    EXPECT_FALSE(r.detection_filter.has_value());
  }
  Rule f = parse_options("detection_filter:track by_dst, count 30, seconds 60; sid:1;");
  ASSERT_TRUE(f.detection_filter.has_value());
  EXPECT_EQ(f.detection_filter->type, Type::kDetectionFilter);
  EXPECT_EQ(f.detection_filter->track, Track::kByDst);
  EXPECT_EQ(f.detection_filter->count, 30u);
  EXPECT_EQ(f.detection_filter->seconds, 60u);
  EXPECT_FALSE(f.threshold.has_value());
}

// What the checks against mistakes (a missing ';', options given twice, comparisons that
// never match, "!!", a byte_extract name set twice) must still accept, as Suricata does.
TEST(RuleParser, AcceptsTheNearMissesOfTheMistakeChecks) {
  for (const std::string rule : {
           // ET has pcres holding a '"'; Suricata takes the value up to the last quote.
           R"(alert tcp any any -> any any (pcre:"/^["']?post/Ri"; sid:1;))",
           R"(alert tcp any any -> any any (msg:"a \"quoted\" word" ; sid:1;))",
           R"(alert tcp any any -> any any (msg:"x"; rev:2; gid:1; priority:"1"; sid:1;))",
           "alert tcp any any -> any any (dsize:<1; sid:1;)",
           "alert tcp any any -> any any (ttl:>254; sid:1;)",
           "alert tcp any any -> any any (dsize:5<>7; sid:1;)",
           "alert icmp any any -> any any (icode:<=0; itype:>=255; sid:1;)",
           "alert tcp any any -> any any (stream_size:server,<,1; sid:1;)",
           "alert ip !1.1.1.1 any -> ![1.2.3.4,!1.2.3.5] any (sid:1;)",
           "alert ip ![!1.1.1.1,2.2.2.2] any -> any any (sid:1;)",
           "alert ip !$EXTERNAL_NET any -> any any (sid:1;)",
           "alert tcp any ![80,!81] -> any !80 (sid:1;)",
           "alert tcp any any -> any any (byte_extract:1,0,n; byte_math:bytes 1,offset 0,oper +,"
           "rvalue n,result n; sid:1;)",
       }) {
    parse_ok(rule);
  }
}

TEST(RuleParser, ParsesFlagKeywords) {
  Rule r = parse_options("sameip; noalert; pkt_data; sid:1;");
  EXPECT_NE(r.header_test("sameip"), nullptr);
  EXPECT_TRUE(r.noalert);
  EXPECT_TRUE(r.payload.empty());
}

// ---------------------------------------------------------------------------------------
// Rejected rules: the exact message and the summary reason.

struct Rejected {
  std::string rule;
  std::string message;  // Error::describe() for file "local.rules", line 3
  std::string reason;
};

std::vector<Rejected> rejected_cases() {
  const std::string h = "alert tcp any any -> any any ";
  return {
      {h + "(msg:\"x\"; foo; sid:1;)", "local.rules:3: sid 1: unknown keyword 'foo'; rule skipped",
       "unknown keyword 'foo'"},
      {h + "(msg:\"x\"; foo:bar;)", "local.rules:3: unknown keyword 'foo'; rule skipped",
       "unknown keyword 'foo'"},
      {h + "(content:\"a\"; hostbits:set,n; sid:1000005;)",
       "local.rules:3: sid 1000005: unsupported keyword 'hostbits'; rule skipped",
       "unsupported keyword 'hostbits'"},
      {h + "(content:\"a\"; asn1:bitstring_overflow; sid:7;)",
       "local.rules:3: sid 7: unsupported keyword 'asn1'; rule skipped",
       "unsupported keyword 'asn1'"},
      {h + "(stream_size:server,<; sid:7;)",
       "local.rules:3: sid 7: invalid stream_size: expected "
       "<server|client|both|either>,<op>,<number>; rule skipped",
       "invalid stream_size"},
      {h + "(msg:\"x\"; content:\"abc\",depth 16,nocase; sid:7;)",
       "local.rules:3: sid 7: Snort 3 syntax is not supported: content options after a comma "
       "(',depth 16,nocase'), write each as an option of its own (content:\"x\"; depth:16); "
       "rule skipped",
       "Snort 3 syntax"},
      {h + "(msg:\"x\"; content:\"abc\"; service:http; sid:7;)",
       "local.rules:3: sid 7: Snort 3 syntax is not supported: the keyword 'service'; rule skipped",
       "Snort 3 syntax"},
      {h + "(stream_size:peer,<,5; sid:7;)",
       "local.rules:3: sid 7: invalid stream_size: unknown side 'peer' (expected server, client, "
       "both or either); rule skipped",
       "invalid stream_size"},
      {h + "(stream_size:client,=>,5; sid:7;)",
       "local.rules:3: sid 7: invalid stream_size: unknown operator '=>'; rule skipped",
       "invalid stream_size"},
      {h + "(threshold:type backoff, track by_flow, count 1, seconds 60, multiplier 10; sid:7;)",
       "local.rules:3: sid 7: invalid threshold: type backoff takes no 'seconds'; rule skipped",
       "invalid threshold"},
      {h + "(threshold:type backoff, track by_flow, count 1; sid:7;)",
       "local.rules:3: sid 7: invalid threshold: missing 'multiplier'; rule skipped",
       "invalid threshold"},
      {h + "(threshold:type backoff, track by_flow, count 1, multiplier 1; sid:7;)",
       "local.rules:3: sid 7: invalid threshold: multiplier 1 is less than 2; rule skipped",
       "invalid threshold"},
      {h + "(threshold:type limit, track by_src, count 1, seconds 9, multiplier 2; sid:7;)",
       "local.rules:3: sid 7: invalid threshold: 'multiplier' needs type backoff; rule skipped",
       "invalid threshold"},
      {h + "(http.uri; content:\"/x\"; sid:8;)",
       "local.rules:3: sid 8: buffer 'http.uri' not supported yet; rule skipped",
       "buffer 'http.uri' not supported yet"},
      {h + "(content:\"/x\"; http_uri; sid:8;)",
       "local.rules:3: sid 8: buffer 'http_uri' not supported yet; rule skipped",
       "buffer 'http_uri' not supported yet"},
      {h + "(uricontent:\"/x\"; nocase; sid:8;)",
       "local.rules:3: sid 8: buffer 'uricontent' not supported yet; rule skipped",
       "buffer 'uricontent' not supported yet"},
      {h + "(pcre:\"/x/Ui\"; sid:9;)",
       "local.rules:3: sid 9: buffer 'http.uri' not supported yet (pcre flag 'U'); rule skipped",
       "buffer 'http.uri' not supported yet"},
      {"alert smb any any -> any any (content:\"x\"; sid:11;)",
       "local.rules:3: sid 11: app-layer protocol 'smb' not supported yet; rule skipped",
       "app-layer protocol 'smb' not supported yet"},
      {"alert sctp any any -> any any (sid:11;)",
       "local.rules:3: sid 11: protocol 'sctp' not supported yet; rule skipped",
       "protocol 'sctp' not supported yet"},
      // A malformed option outranks "not supported yet", wherever it is.
      {"alert dns any any -> any any (dns.query; content:\"|4\"; sid:10;)",
       "local.rules:3: sid 10: invalid content: unterminated hex block; rule skipped",
       "invalid content"},
      {h + "(msg:\"no sid\";)", "local.rules:3: missing sid; rule skipped", "missing sid"},
      {h + "(sid:abc;)", "local.rules:3: invalid sid: 'abc' is not a valid number; rule skipped",
       "invalid sid"},
      {h + "(sid:0;)", "local.rules:3: invalid sid: '0' is not a valid number; rule skipped",
       "invalid sid"},
      {h + "(sid:1; sid:2;)", "local.rules:3: sid 1: invalid sid: given twice; rule skipped",
       "invalid sid"},
      {h + "(sid:1; rev:x;)",
       "local.rules:3: sid 1: invalid rev: 'x' is not a valid number; rule skipped", "invalid rev"},
      {h + "(sid:1; classtype:a; classtype:b;)",
       "local.rules:3: sid 1: invalid classtype: given twice; rule skipped", "invalid classtype"},
      {h + "(sid:1; priority:0;)",
       "local.rules:3: sid 1: invalid priority: '0' is not a valid number; rule skipped",
       "invalid priority"},
      {h + "(sid:1; reference:cve;)",
       "local.rules:3: sid 1: invalid reference: expected 'system,id'; rule skipped",
       "invalid reference"},
      // Header
      {"alert tcp any any -> any any msg:\"x\"; sid:1;",
       "local.rules:3: syntax error: missing '(' before the options; rule skipped", "syntax error"},
      {"alert tcp any any -> any any (sid:1;",
       "local.rules:3: syntax error: rule does not end with ')'; rule skipped", "syntax error"},
      {"alert tcp any any -> any (sid:1;)",
       "local.rules:3: sid 1: syntax error: expected 'action protocol address port direction "
       "address "
       "port' before '(', found 6 fields; rule skipped",
       "syntax error"},
      {h + "(sid:1;; msg:\"x\";)", "local.rules:3: syntax error: empty option; rule skipped",
       "syntax error"},
      {"log tcp any any -> any any (sid:2;)",
       "local.rules:3: sid 2: invalid action: 'log' (expected alert, pass, drop or reject); rule "
       "skipped",
       "invalid action"},
      {"alert foo any any -> any any (sid:2;)",
       "local.rules:3: sid 2: invalid protocol: 'foo'; rule skipped", "invalid protocol"},
      {"alert tcp any any <- any any (sid:2;)",
       "local.rules:3: sid 2: invalid direction: '<-' (expected -> or <>); rule skipped",
       "invalid direction"},
      {"alert tcp $NOPE any -> any any (sid:2;)",
       "local.rules:3: sid 2: undefined variable '$NOPE'; rule skipped", "undefined variable"},
      {"alert tcp any $HOME_NET -> any any (sid:2;)",
       "local.rules:3: sid 2: undefined variable '$HOME_NET'; rule skipped", "undefined variable"},
      {"alert tcp $LOOP any -> any any (sid:2;)",
       "local.rules:3: sid 2: invalid address: variable '$LOOP' refers to itself; rule skipped",
       "invalid address"},
      {"alert tcp 1.2.3.256 any -> any any (sid:2;)",
       "local.rules:3: sid 2: invalid address: '1.2.3.256' is not an IP address or CIDR block; "
       "rule skipped",
       "invalid address"},
      {"alert tcp !any any -> any any (sid:2;)",
       "local.rules:3: sid 2: invalid address: '!any' matches no address; rule skipped",
       "invalid address"},
      {"alert tcp [1.2.3.4,!1.2.3.4] any -> any any (sid:2;)",
       "local.rules:3: sid 2: invalid address: '[1.2.3.4,!1.2.3.4]' matches no address; rule "
       "skipped",
       "invalid address"},
      {"alert tcp [1.2.3.4 any -> any any (sid:2;)",
       "local.rules:3: sid 2: syntax error: expected 'action protocol address port direction "
       "address "
       "port' before '(', found 3 fields; rule skipped",
       "syntax error"},
      {"alert tcp [1.2.3.4,] any -> any any (sid:2;)",
       "local.rules:3: sid 2: invalid address: empty list item in '[1.2.3.4,]'; rule skipped",
       "invalid address"},
      {"alert tcp any 70000 -> any any (sid:2;)",
       "local.rules:3: sid 2: invalid port: '70000' is out of range; rule skipped", "invalid port"},
      {"alert tcp any 100:50 -> any any (sid:2;)",
       "local.rules:3: sid 2: invalid port: '100:50' is an empty range; rule skipped",
       "invalid port"},
      {"alert tcp any http -> any any (sid:2;)",
       "local.rules:3: sid 2: invalid port: 'http' is not a port or port range; rule skipped",
       "invalid port"},
      {"alert tcp any [80,!80] -> any any (sid:2;)",
       "local.rules:3: sid 2: invalid port: '[80,!80]' matches no port; rule skipped",
       "invalid port"},
      // Content and its modifiers
      {h + "(content:\"|41 42\"; sid:10;)",
       "local.rules:3: sid 10: invalid content: unterminated hex block; rule skipped",
       "invalid content"},
      {h + "(content:\"|414|\"; sid:10;)",
       "local.rules:3: sid 10: invalid content: odd number of hex digits; rule skipped",
       "invalid content"},
      {h + "(content:\"|4g|\"; sid:10;)",
       "local.rules:3: sid 10: invalid content: invalid hex character 'g'; rule skipped",
       "invalid content"},
      {h + "(content:\"\"; sid:10;)",
       "local.rules:3: sid 10: invalid content: empty content; rule skipped", "invalid content"},
      {h + "(content:abc; sid:10;)",
       "local.rules:3: sid 10: invalid content: value must be a quoted string; rule skipped",
       "invalid content"},
      {h + "(content:\"abc; sid:10;)",
       "local.rules:3: sid 10: invalid content: unterminated string; rule skipped",
       "invalid content"},
      {h + "(content:\"a\\x\"; sid:10;)",
       "local.rules:3: sid 10: invalid content: invalid escape '\\x'; rule skipped",
       "invalid content"},
      {h + "(content:\"a\"b\"; sid:10;)",
       "local.rules:3: sid 10: invalid content: unexpected text after the closing quote: 'b\"'; "
       "rule skipped",
       "invalid content"},
      {h + "(nocase; content:\"a\"; sid:10;)",
       "local.rules:3: sid 10: invalid nocase: no preceding content; rule skipped",
       "invalid nocase"},
      {h + "(content:\"a\"; nocase:yes; sid:10;)",
       "local.rules:3: sid 10: invalid nocase: takes no value; rule skipped", "invalid nocase"},
      {h + "(content:\"a\"; nocase; nocase; sid:10;)",
       "local.rules:3: sid 10: invalid nocase: given twice for the same content; rule skipped",
       "invalid nocase"},
      {h + "(content:\"abcd\"; depth:2; sid:10;)",
       "local.rules:3: sid 10: invalid depth: depth 2 is smaller than the content length 4; rule "
       "skipped",
       "invalid depth"},
      {h + "(content:\"abcd\"; depth:-1; sid:10;)",
       "local.rules:3: sid 10: invalid depth: '-1' is not a non-negative number; rule skipped",
       "invalid depth"},
      {h + "(content:\"abcd\"; offset:; sid:10;)",
       "local.rules:3: sid 10: invalid offset: missing value; rule skipped", "invalid offset"},
      {h + "(content:\"abcd\"; within:3; sid:10;)",
       "local.rules:3: sid 10: invalid within: within 3 is smaller than the content length 4; rule "
       "skipped",
       "invalid within"},
      {h + "(content:\"abcd\"; offset:1; distance:0; sid:10;)",
       "local.rules:3: sid 10: invalid distance: cannot mix offset/depth with distance/within on "
       "the "
       "same content; rule skipped",
       "invalid distance"},
      {h + "(content:\"abcd\"; startswith; offset:1; sid:10;)",
       "local.rules:3: sid 10: invalid offset: cannot be combined with startswith on the same "
       "content; "
       "rule skipped",
       "invalid offset"},
      {h + "(content:\"abcd\"; depth:8; startswith; sid:10;)",
       "local.rules:3: sid 10: invalid startswith: cannot be combined with offset, depth, distance "
       "or "
       "within; rule skipped",
       "invalid startswith"},
      {h + "(content:\"abcd\"; fast_pattern; content:\"efgh\"; fast_pattern; sid:10;)",
       "local.rules:3: sid 10: invalid fast_pattern: only one content of a rule can be the fast "
       "pattern; rule skipped",
       "invalid fast_pattern"},
      {h + "(content:!\"abcd\"; fast_pattern:only; sid:10;)",
       "local.rules:3: sid 10: invalid fast_pattern: 'only' cannot be combined with negation, "
       "offset, "
       "depth, distance, within, startswith or endswith; rule skipped",
       "invalid fast_pattern"},
      {h + "(content:\"abcd\"; fast_pattern:2,3; sid:10;)",
       "local.rules:3: sid 10: invalid fast_pattern: offset 2 + length 3 is beyond the content "
       "length 4; "
       "rule skipped",
       "invalid fast_pattern"},
      {h + "(content:\"abcd\"; fast_pattern:first; sid:10;)",
       "local.rules:3: sid 10: invalid fast_pattern: expected 'only' or 'offset,length', got "
       "'first'; "
       "rule skipped",
       "invalid fast_pattern"},
      {h + "(content:\"a\"; isdataat:1x; sid:10;)",
       "local.rules:3: sid 10: invalid isdataat: '1x' is not a valid size; rule skipped",
       "invalid isdataat"},
      {h + "(content:\"a\"; isdataat:x; sid:10;)",
       "local.rules:3: sid 10: invalid isdataat: unknown variable 'x' (not set by an earlier "
       "byte_extract or byte_math); rule skipped",
       "invalid isdataat"},
      {h + "(content:\"a\"; isdataat:1,later; sid:10;)",
       "local.rules:3: sid 10: invalid isdataat: unknown modifier 'later'; rule skipped",
       "invalid isdataat"},
      // pcre
      {h + "(pcre:\"/(a/\"; sid:12;)",
       "local.rules:3: sid 12: invalid pcre: missing closing parenthesis at offset 2; rule skipped",
       "invalid pcre"},
      {h + "(pcre:\"/a/q\"; sid:12;)",
       "local.rules:3: sid 12: invalid pcre: unknown flag 'q'; rule skipped", "invalid pcre"},
      {h + "(pcre:\"abc\"; sid:12;)",
       "local.rules:3: sid 12: invalid pcre: expected \"/pattern/flags\"; rule skipped",
       "invalid pcre"},
      // Other options
      {h + "(flow:to_server,to_client; sid:13;)",
       "local.rules:3: sid 13: invalid flow: to_server and to_client conflict; rule skipped",
       "invalid flow"},
      {h + "(flow:established,not_established; sid:13;)",
       "local.rules:3: sid 13: invalid flow: established and not_established conflict; rule "
       "skipped",
       "invalid flow"},
      {h + "(flow:sideways; sid:13;)",
       "local.rules:3: sid 13: invalid flow: unknown option 'sideways'; rule skipped",
       "invalid flow"},
      {h + "(flow:established,established; sid:13;)",
       "local.rules:3: sid 13: invalid flow: 'established' given twice; rule skipped",
       "invalid flow"},
      {"alert tcp-pkt any any -> any any (flow:only_stream; sid:13;)",
       "local.rules:3: sid 13: invalid flow: only_stream and no_stream conflict; rule skipped",
       "invalid flow"},
      {h + "(flags:SX; sid:14;)",
       "local.rules:3: sid 14: invalid flags: unknown flag 'X'; rule skipped", "invalid flags"},
      {h + "(flags:+*S; sid:14;)",
       "local.rules:3: sid 14: invalid flags: more than one modifier in '+*S'; rule skipped",
       "invalid flags"},
      {h + "(flags:0S; sid:14;)",
       "local.rules:3: sid 14: invalid flags: '0' (no flags) cannot be combined with flags; rule "
       "skipped",
       "invalid flags"},
      {h + "(fragbits:MX; sid:14;)",
       "local.rules:3: sid 14: invalid fragbits: unknown flag 'X'; rule skipped",
       "invalid fragbits"},
      {h + "(dsize:>70000; sid:15;)",
       "local.rules:3: sid 15: invalid dsize: '>70000' is not a valid value; rule skipped",
       "invalid dsize"},
      {h + "(dsize:9<>3; sid:15;)",
       "local.rules:3: sid 15: invalid dsize: '9<>3' is not a valid value; rule skipped",
       "invalid dsize"},
      {h + "(dsize:1; dsize:2; sid:15;)",
       "local.rules:3: sid 15: invalid dsize: given twice; rule skipped", "invalid dsize"},
      {h + "(ttl:300; sid:15;)",
       "local.rules:3: sid 15: invalid ttl: '300' is not a valid value; rule skipped",
       "invalid ttl"},
      {h + "(seq:>5; sid:15;)",
       "local.rules:3: sid 15: invalid seq: '>5' is not a valid value; rule skipped",
       "invalid seq"},
      {h + "(ip_proto:foo; sid:15;)",
       "local.rules:3: sid 15: invalid ip_proto: unknown protocol 'foo'; rule skipped",
       "invalid ip_proto"},
      {h + "(ipopts:xyz; sid:15;)",
       "local.rules:3: sid 15: invalid ipopts: unknown option 'xyz'; rule skipped",
       "invalid ipopts"},
      {h + "(ipopts:rr; ipopts:ts; sid:15;)",
       "local.rules:3: sid 15: invalid ipopts: given twice; rule skipped", "invalid ipopts"},
      // flowbits, threshold, detection_filter
      {h + "(flowbits:flip,a; sid:16;)",
       "local.rules:3: sid 16: invalid flowbits: unknown command 'flip'; rule skipped",
       "invalid flowbits"},
      {h + "(flowbits:set; sid:16;)",
       "local.rules:3: sid 16: invalid flowbits: 'set' needs one name (or names joined by | or &); "
       "rule skipped",
       "invalid flowbits"},
      {h + "(flowbits:set,a|b; sid:16;)",
       "local.rules:3: sid 16: invalid flowbits: '|' (any of) is only for isset and isnotset; rule "
       "skipped",
       "invalid flowbits"},
      {h + "(flowbits:isset,a|b&c; sid:16;)",
       "local.rules:3: sid 16: invalid flowbits: cannot mix '|' and '&' in 'a|b&c'; rule skipped",
       "invalid flowbits"},
      {h + "(flowbits:noalert,x; sid:16;)",
       "local.rules:3: sid 16: invalid flowbits: 'noalert' takes no name; rule skipped",
       "invalid flowbits"},
      {h + "(threshold:type limit, track by_src, count 1; sid:17;)",
       "local.rules:3: sid 17: invalid threshold: missing 'seconds'; rule skipped",
       "invalid threshold"},
      {h + "(threshold:type often, track by_src, count 1, seconds 60; sid:17;)",
       "local.rules:3: sid 17: invalid threshold: unknown type 'often'; rule skipped",
       "invalid threshold"},
      {h + "(threshold:type limit, track by_host, count 1, seconds 60; sid:17;)",
       "local.rules:3: sid 17: invalid threshold: unknown track 'by_host'; rule skipped",
       "invalid threshold"},
      {h + "(threshold:type limit, track by_src, count 0, seconds 60; sid:17;)",
       "local.rules:3: sid 17: invalid threshold: count '0' is not a positive number; rule skipped",
       "invalid threshold"},
      {h + "(threshold:type limit, track by_src, count 1, count 2, seconds 60; sid:17;)",
       "local.rules:3: sid 17: invalid threshold: 'count' given twice; rule skipped",
       "invalid threshold"},
      {h + "(detection_filter:type limit, track by_src, count 1, seconds 60; sid:17;)",
       "local.rules:3: sid 17: invalid detection_filter: unknown option 'type limit'; rule skipped",
       "invalid detection_filter"},
      {h + "(threshold:type limit, track by_src, count 1, seconds 60; detection_filter:track "
           "by_src, count 5, seconds 60; sid:17;)",
       "local.rules:3: sid 17: invalid detection_filter: cannot be combined with threshold; rule "
       "skipped",
       "invalid detection_filter"},
      {h + "(sameip:1; sid:15;)",
       "local.rules:3: sid 15: invalid sameip: takes no value; rule skipped", "invalid sameip"},
      // flowint
      {h + "(flowint:n; sid:20;)",
       "local.rules:3: sid 20: invalid flowint: expected 'name,modifier[,value]', got 'n'; rule "
       "skipped",
       "invalid flowint"},
      {h + "(flowint:n,+,1,2; sid:20;)",
       "local.rules:3: sid 20: invalid flowint: expected 'name,modifier[,value]', got 'n,+,1,2'; "
       "rule skipped",
       "invalid flowint"},
      {h + "(flowint:1n,+,1; sid:20;)",
       "local.rules:3: sid 20: invalid flowint: '1n' is not a valid name; rule skipped",
       "invalid flowint"},
      {h + "(flowint:n,=>,1; sid:20;)",
       "local.rules:3: sid 20: invalid flowint: unknown modifier '=>'; rule skipped",
       "invalid flowint"},
      {h + "(flowint:n,+; sid:20;)",
       "local.rules:3: sid 20: invalid flowint: '+' needs a value; rule skipped",
       "invalid flowint"},
      {h + "(flowint:n,isset,1; sid:20;)",
       "local.rules:3: sid 20: invalid flowint: 'isset' takes no value; rule skipped",
       "invalid flowint"},
      {h + "(flowint:n,>,4294967296; sid:20;)",
       "local.rules:3: sid 20: invalid flowint: '4294967296' is not a number from 0 to "
       "4294967295; rule skipped",
       "invalid flowint"},
      {h + "(flowint:n,>,-1; sid:20;)",
       "local.rules:3: sid 20: invalid flowint: '-1' is not a number or a flowint name; rule "
       "skipped",
       "invalid flowint"},
      // xbits
      {h + "(xbits:mark,a,track ip_src; sid:21;)",
       "local.rules:3: sid 21: invalid xbits: unknown command 'mark'; rule skipped",
       "invalid xbits"},
      {h + "(xbits:set; sid:21;)",
       "local.rules:3: sid 21: invalid xbits: 'set' needs a name; rule skipped", "invalid xbits"},
      {h + "(xbits:isset,a|b,track ip_src; sid:21;)",
       "local.rules:3: sid 21: invalid xbits: invalid name 'a|b' (one name per xbits); rule "
       "skipped",
       "invalid xbits"},
      {h + "(xbits:set,a; sid:21;)",
       "local.rules:3: sid 21: invalid xbits: missing 'track ip_src|ip_dst|ip_pair'; rule skipped",
       "invalid xbits"},
      {h + "(xbits:set,a,track ip_host; sid:21;)",
       "local.rules:3: sid 21: invalid xbits: unknown track 'ip_host' (expected ip_src, ip_dst or "
       "ip_pair); rule skipped",
       "invalid xbits"},
      {h + "(xbits:set,a,track ip_src,expire 0; sid:21;)",
       "local.rules:3: sid 21: invalid xbits: expire '0' is not a positive number; rule skipped",
       "invalid xbits"},
      {h + "(xbits:set,a,track ip_src,track ip_dst; sid:21;)",
       "local.rules:3: sid 21: invalid xbits: 'track' given twice; rule skipped", "invalid xbits"},
      {h + "(xbits:set,a,track ip_src,ttl 5; sid:21;)",
       "local.rules:3: sid 21: invalid xbits: unknown option 'ttl 5'; rule skipped",
       "invalid xbits"},
      {h + "(xbits:set,a,track tx; sid:21;)",
       "local.rules:3: sid 21: xbits track 'tx' not supported yet; rule skipped",
       "xbits track 'tx' not supported yet"},
      // tag and target
      {h + "(tag:flow; sid:22;)",
       "local.rules:3: sid 22: invalid tag: unknown type 'flow' (expected session or host); rule "
       "skipped",
       "invalid tag"},
      {h + "(tag:session,10; sid:22;)",
       "local.rules:3: sid 22: invalid tag: expected "
       "'session|host[,count,packets|bytes|seconds[,src|dst]]', got 'session,10'; rule skipped",
       "invalid tag"},
      {h + "(tag:host,ten,packets,src; sid:22;)",
       "local.rules:3: sid 22: invalid tag: count 'ten' is not a number; rule skipped",
       "invalid tag"},
      {h + "(tag:host,10,frames,src; sid:22;)",
       "local.rules:3: sid 22: invalid tag: unknown metric 'frames' (expected packets, bytes or "
       "seconds); rule skipped",
       "invalid tag"},
      {h + "(tag:host,10,packets,both; sid:22;)",
       "local.rules:3: sid 22: invalid tag: unknown direction 'both' (expected src or dst); rule "
       "skipped",
       "invalid tag"},
      {h + "(target:server; sid:23;)",
       "local.rules:3: sid 23: invalid target: 'server' (expected src_ip or dest_ip); rule skipped",
       "invalid target"},
      {h + "(target:src_ip; target:dest_ip; sid:23;)",
       "local.rules:3: sid 23: invalid target: given twice; rule skipped", "invalid target"},
      {h + "(priority:high; sid:24;)",
       "local.rules:3: sid 24: invalid priority: 'high' is not a valid number; rule skipped",
       "invalid priority"},
      // A missing ';' after a quoted value: Suricata rejects the rule instead of letting the
      // value swallow the next option.
      {h + "(msg:\"x\" flow:established,to_server; content:\"a\"; sid:30;)",
       "local.rules:3: sid 30: invalid msg: unexpected text after the closing quote: "
       "'flow:established,to_server'; rule skipped",
       "invalid msg"},
      {h + "(msg:\"a \\\"b\\\"\" rev:2; sid:30;)",
       "local.rules:3: sid 30: invalid msg: unexpected text after the closing quote: 'rev:2'; rule "
       "skipped",
       "invalid msg"},
      {h + "(msg:\"x; sid:30;)",
       "local.rules:3: sid 30: invalid msg: unterminated string; rule skipped", "invalid msg"},
      {h + "(content:\"a\" nocase; sid:30;)",
       "local.rules:3: sid 30: invalid content: unexpected text after the closing quote: "
       "'nocase'; rule skipped",
       "invalid content"},
      {h + "(pcre:\"/a/i\" nocase; sid:30;)",
       "local.rules:3: sid 30: invalid pcre: unexpected text after the closing quote: 'nocase'; "
       "rule skipped",
       "invalid pcre"},
      {h + "(priority:\"1\" classtype:trojan-activity; sid:30;)",
       "local.rules:3: sid 30: invalid priority: unexpected text after the closing quote: "
       "'classtype:trojan-activity'; rule skipped",
       "invalid priority"},
      // Options Suricata accepts once per rule.
      {h + "(msg:\"a\"; msg:\"b\"; sid:31;)",
       "local.rules:3: sid 31: invalid msg: given twice; rule skipped", "invalid msg"},
      {h + "(sid:31; rev:1; rev:2;)",
       "local.rules:3: sid 31: invalid rev: given twice; rule skipped", "invalid rev"},
      {h + "(sid:31; gid:1; gid:1;)",
       "local.rules:3: sid 31: invalid gid: given twice; rule skipped", "invalid gid"},
      {h + "(sid:31; priority:1; priority:2;)",
       "local.rules:3: sid 31: invalid priority: given twice; rule skipped", "invalid priority"},
      // Comparisons no value can satisfy.
      {"alert icmp any any -> any any (icode:<0; sid:32;)",
       "local.rules:3: sid 32: invalid icode: '<0' can never match; rule skipped", "invalid icode"},
      {"alert icmp any any -> any any (itype:<0; sid:32;)",
       "local.rules:3: sid 32: invalid itype: '<0' can never match; rule skipped", "invalid itype"},
      {"alert icmp any any -> any any (itype:>255; sid:32;)",
       "local.rules:3: sid 32: invalid itype: '>255' can never match; rule skipped",
       "invalid itype"},
      {h + "(ttl:< 0; sid:32;)",
       "local.rules:3: sid 32: invalid ttl: '< 0' can never match; rule skipped", "invalid ttl"},
      {h + "(dsize:>65535; sid:32;)",
       "local.rules:3: sid 32: invalid dsize: '>65535' can never match; rule skipped",
       "invalid dsize"},
      {h + "(dsize:5<>6; sid:32;)",
       "local.rules:3: sid 32: invalid dsize: '5<>6' can never match; rule skipped",
       "invalid dsize"},
      {h + "(dsize:5-6; sid:32;)",
       "local.rules:3: sid 32: invalid dsize: '5-6' can never match; rule skipped",
       "invalid dsize"},
      {h + "(fragoffset:<0; sid:32;)",
       "local.rules:3: sid 32: invalid fragoffset: '<0' can never match; rule skipped",
       "invalid fragoffset"},
      {h + "(ip_proto:<0; sid:32;)",
       "local.rules:3: sid 32: invalid ip_proto: '<0' can never match; rule skipped",
       "invalid ip_proto"},
      {h + "(ip_proto:>255; sid:32;)",
       "local.rules:3: sid 32: invalid ip_proto: '>255' can never match; rule skipped",
       "invalid ip_proto"},
      {h + "(stream_size:client,<,0; sid:32;)",
       "local.rules:3: sid 32: invalid stream_size: 'client,<,0' can never match; rule skipped",
       "invalid stream_size"},
      // Multiple negation in the header.
      {"alert ip !!!1.1.1.1 any -> any any (sid:33;)",
       "local.rules:3: sid 33: invalid address: multiple negation ('!!') in '!!!1.1.1.1'; rule "
       "skipped",
       "invalid address"},
      {"alert ip any any -> [10.0.0.0/8,! !10.1.1.1] any (sid:33;)",
       "local.rules:3: sid 33: invalid address: multiple negation ('!!') in '[10.0.0.0/8,! "
       "!10.1.1.1]'; rule skipped",
       "invalid address"},
      {"alert tcp any !!80 -> any any (sid:33;)",
       "local.rules:3: sid 33: invalid port: multiple negation ('!!') in '!!80'; rule skipped",
       "invalid port"},
      // A byte_extract name set twice.
      {h + "(byte_extract:1,0,n; byte_extract:1,1,n; sid:34;)",
       "local.rules:3: sid 34: invalid byte_extract: variable 'n' already set by an earlier "
       "byte_extract or byte_math; rule skipped",
       "invalid byte_extract"},
      {h + "(byte_math:bytes 1,offset 0,oper +,rvalue 1,result n; byte_extract:1,1,n; sid:34;)",
       "local.rules:3: sid 34: invalid byte_extract: variable 'n' already set by an earlier "
       "byte_extract or byte_math; rule skipped",
       "invalid byte_extract"},
  };
}

RuleVars vars_with_loop() {
  RuleVars v = RuleVars::suricata_defaults();
  v.address_groups["LOOP"] = "[1.2.3.4,$LOOP2]";
  v.address_groups["LOOP2"] = "$LOOP";
  return v;
}

TEST(RuleParser, RejectsInvalidRulesWithExactMessages) {
  RuleParser parser(vars_with_loop());
  for (const Rejected& c : rejected_cases()) {
    Result<Rule> r = parser.parse(c.rule, "local.rules", 3);
    ASSERT_FALSE(r.ok()) << c.rule;
    EXPECT_EQ(r.error().describe(), c.message) << c.rule;
  }
}

// ---------------------------------------------------------------------------------------
// Files

class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("wp_rule_parser_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string write(const std::string& name, const std::string& content) const {
    std::string p = (path_ / name).string();
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }

 private:
  fs::path path_;
};

TEST(RuleParser, ParseFileReportsTheSummaryReasonOfEachRejectedRule) {
  TempDir dir;
  std::string text;
  std::vector<Rejected> cases = rejected_cases();
  for (const Rejected& c : cases) text += c.rule + "\n";
  RuleParser parser(vars_with_loop());
  RuleFileResult r = parser.parse_file(dir.write("local.rules", text));
  EXPECT_TRUE(r.rules.empty());
  ASSERT_EQ(r.errors.size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(r.errors[i].reason, cases[i].reason) << cases[i].rule;
    bool not_supported = cases[i].reason.find("not supported yet") != std::string::npos ||
                         cases[i].reason.rfind("unsupported keyword", 0) == 0;
    EXPECT_EQ(r.errors[i].not_supported, not_supported) << cases[i].rule;
    EXPECT_EQ(r.errors[i].line, static_cast<int>(i + 1));
  }
}

TEST(RuleParser, ParseFileSkipsCommentsAndJoinsContinuationLines) {
  TempDir dir;
  std::string path = dir.write("local.rules",
                               "# a comment\n"
                               "\n"
                               "#alert tcp any any -> any any (msg:\"disabled\"; sid:1;)\n"
                               "   \t\n"
                               "alert tcp any any -> any any (msg:\"one\"; \\\n"
                               "    content:\"abc\"; \\\r\n"
                               "    sid:2;)\r\n"
                               "alert udp any any -> any 53 (msg:\"two\"; sid:3;)\n"
                               "alert udp any any -> any 53 (msg:\"bad\"; foo; sid:4;)\n"
                               "alert udp any any -> any 53 (msg:\"last, no newline\"; sid:5;)");
  RuleParser parser(RuleVars::suricata_defaults());
  RuleFileResult r = parser.parse_file(path);
  ASSERT_EQ(r.rules.size(), 3u);
  EXPECT_EQ(r.rules[0].sid, 2u);
  EXPECT_EQ(r.rules[0].line, 5);
  EXPECT_EQ(r.rules[0].file, path);
  EXPECT_EQ(content_at(r.rules[0], 0).bytes, "abc");
  EXPECT_EQ(r.rules[1].line, 8);
  EXPECT_EQ(r.rules[2].line, 10);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].message, path + ":9: sid 4: unknown keyword 'foo'; rule skipped");
  EXPECT_EQ(r.errors[0].file, path);
  EXPECT_EQ(r.errors[0].line, 9);
}

TEST(RuleParser, ParseFileKeepsTheFirstOfTwoRulesWithTheSameSid) {
  TempDir dir;
  std::string path = dir.write("local.rules",
                               "alert tcp any any -> any any (msg:\"first\"; sid:7;)\n"
                               "alert tcp any any -> any any (msg:\"other gid\"; gid:2; sid:7;)\n"
                               "alert tcp any any -> any any (msg:\"second\"; sid:7;)\n");
  RuleParser parser(RuleVars::suricata_defaults());
  RuleFileResult r = parser.parse_file(path);
  ASSERT_EQ(r.rules.size(), 2u);
  EXPECT_EQ(r.rules[0].msg, "first");
  EXPECT_EQ(r.rules[1].gid, 2u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].message,
            path + ":3: sid 7: duplicate sid (first at " + path + ":1); rule skipped");
  EXPECT_EQ(r.errors[0].reason, "duplicate sid");
}

TEST(RuleParser, ParseFileKeepsTheHigherRevOfTwoRulesWithTheSameSid) {
  TempDir dir;
  std::string path = dir.write("local.rules",
                               "alert tcp any any -> any any (msg:\"old\"; sid:7; rev:2;)\n"
                               "alert tcp any any -> any any (msg:\"new\"; sid:7; rev:3;)\n"
                               "alert tcp any any -> any any (msg:\"older\"; sid:7; rev:1;)\n");
  RuleParser parser(RuleVars::suricata_defaults());
  RuleFileResult r = parser.parse_file(path);
  ASSERT_EQ(r.rules.size(), 1u);
  EXPECT_EQ(r.rules[0].msg, "new");
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0].message, path + ":1: sid 7: duplicate sid (rev 2; rev 3 at " + path +
                                     ":2 is kept); rule skipped");
  EXPECT_EQ(r.errors[0].line, 1);
  EXPECT_EQ(r.errors[1].message, path + ":3: sid 7: duplicate sid (rev 1; rev 3 at " + path +
                                     ":2 is kept); rule skipped");
}

TEST(RuleParser, ParseFileOfAMissingFileIsOneErrorAtLineZero) {
  RuleParser parser(RuleVars::suricata_defaults());
  RuleFileResult r = parser.parse_file("/nonexistent/local.rules");
  EXPECT_TRUE(r.rules.empty());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].line, 0);
  EXPECT_EQ(r.errors[0].message,
            "/nonexistent/local.rules: cannot open: No such file or directory");
}

TEST(RuleParser, BundledRulesAllLoad) {
  fs::path bundled = fs::path(WP_SOURCE_DIR) / "rules" / "watchpost.rules";
  if (!fs::exists(bundled)) GTEST_SKIP() << "no bundled rules at " << bundled;
  RuleParser parser(RuleVars::suricata_defaults());
  RuleFileResult r = parser.parse_file(bundled.string());
  for (const RuleError& e : r.errors) ADD_FAILURE() << e.message;
  EXPECT_FALSE(r.rules.empty());
}

}  // namespace
}  // namespace wp::detect
