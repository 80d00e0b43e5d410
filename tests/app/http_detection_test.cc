// HTTP rules end to end through the Worker (decode -> flow -> stream -> applayer -> detect ->
// alert), on traffic built here: for every http.* buffer, legacy content modifier, pcre HTTP
// flag and transform a rule that fires and a near miss that does not; requests split across
// segments; pipelined requests with their own tx_id and no match across transactions; a
// gzip-compressed chunked body through file.data; the alert's http object and its EVE form.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "app/config.h"
#include "app/worker.h"
#include "detect/compile/rule_set.h"
#include "detect/rules/rule_parser.h"
#include "output/eve.h"
#include "support/app_messages.h"
#include "support/packet_builder.h"
#include "support/worker_harness.h"
#include "support/rule_texts.h"

namespace wp::app {
namespace {

using testing::ip;

using Sensor = testing::WorkerHarness;

const IpAddress kClient = ip("10.0.0.7");
const IpAddress kServer = ip("198.51.100.9");

// A TCP connection with a handshake; data offsets per direction.
// This suite's connections: kClient:`client_port` to kServer:`server_port`.
struct Conn : testing::TcpConnection {
  Conn(Sensor& s, std::uint16_t client_port, std::uint16_t server_port = 80)
      : TcpConnection(s, kClient, client_port, kServer, server_port) {}
};

const std::string kBody = "user=alice&pw=secret";
const std::string kResponseBody = "hello from the response body";

std::string request() {
  return testing::http_request(
      "POST", "/Dir/./Index.php?q=%41b",
      {"Host: WWW.Example.com:8080", "User-Agent: Test  Agent/1.0", "Referer: http://ref.example/",
       "Accept: text/html", "Accept-Encoding: gzip", "Accept-Language: vi-VN",
       "Cookie: sess=abc123", "Connection: keep-alive",
       "Content-Type: application/x-www-form-urlencoded"},
      kBody);
}

std::string response() {
  return testing::http_response(302, "Found",
                                {"Server: TestServer/2.0", "Location: http://next.example/",
                                 "Set-Cookie: id=xyz", "Content-Type: text/plain"},
                                kResponseBody);
}

// One exchange: the request and the response, each in one segment.
void exchange(Sensor& s, std::uint16_t port = 41000) {
  Conn c(s, port);
  c.client(s, request());
  c.server(s, response());
}

// Rules by sid: odd sids must fire on exchange(), even sids are near misses.
struct Case {
  std::uint32_t sid;
  std::string options;
};

std::vector<std::string> rule_texts(const std::vector<Case>& cases) {
  std::vector<std::string> out;
  for (const Case& c : cases) {
    out.push_back("alert http any any -> any any (msg:\"t\"; " + c.options +
                  " sid:" + std::to_string(c.sid) + ";)");
  }
  return out;
}

std::vector<std::uint32_t> odd_sids(const std::vector<Case>& cases) {
  std::vector<std::uint32_t> out;
  for (const Case& c : cases) {
    if (c.sid % 2 == 1) out.push_back(c.sid);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void expect_only_odd_fire(const std::vector<Case>& cases) {
  Sensor s(rule_texts(cases));
  exchange(s);
  EXPECT_EQ(s.sink.sorted_sids(), odd_sids(cases));
}

TEST(HttpDetection, EveryBufferFiresAndItsNearMissDoesNot) {
  const std::string content_len = std::to_string(kBody.size());
  expect_only_odd_fire({
      {1, R"(http.uri; content:"/dir/index.php?q=%41b"; startswith; endswith;)"},
      {2, R"(http.uri; content:"/Dir/";)"},
      {3, R"(http.uri.raw; content:"/Dir/./Index.php";)"},
      {4, R"(http.uri.raw; content:"/dir/index.php";)"},
      {5, R"(http.method; content:"POST"; bsize:4;)"},
      {6, R"(http.method; content:"GET";)"},
      {7, R"(http.request_line; content:"POST /Dir/./Index.php?q=%41b HTTP/1.1"; endswith;)"},
      {8, R"(http.request_line; content:"HTTP/1.0";)"},
      {9, R"(flow:to_server; http.protocol; content:"HTTP/1.1";)"},
      {10, R"(flow:to_server; http.protocol; content:"HTTP/1.0";)"},
      {11, R"(http.host; content:"www.example.com"; startswith; endswith;)"},
      {12, R"(http.host; content:"WWW";)"},
      {13, R"(http.host.raw; content:"WWW.Example.com:8080";)"},
      {14, R"(http.host.raw; content:"www.example.com";)"},
      {15, R"(http.user_agent; content:"Test  Agent/1.0";)"},
      {16, R"(http.user_agent; content:"Other";)"},
      {17, R"(http.referer; content:"ref.example";)"},
      {18, R"(http.referer; content:"next.example";)"},
      {19, R"(http.accept; content:"text/html";)"},
      {20, R"(http.accept; content:"image";)"},
      {21, R"(http.accept_enc; content:"gzip";)"},
      {22, R"(http.accept_enc; content:"br";)"},
      {23, R"(http.accept_lang; content:"vi-VN";)"},
      {24, R"(http.accept_lang; content:"en-US";)"},
      {25, R"(flow:to_server; http.cookie; content:"sess=abc123";)"},
      {26, R"(flow:to_server; http.cookie; content:"id=xyz";)"},
      {27, R"(flow:to_client; http.cookie; content:"id=xyz";)"},
      {28, R"(flow:to_client; http.cookie; content:"sess";)"},
      {29, R"(flow:to_server; http.header; content:"User-Agent|3a 20|Test  Agent/1.0|0d 0a|";)"},
      {30, R"(flow:to_server; http.header; content:"Cookie";)"},  // left out of http.header
      {31, R"(flow:to_client; http.header; content:"Server|3a 20|TestServer/2.0|0d 0a|";)"},
      {32, R"(flow:to_client; http.header; content:"User-Agent";)"},
      {33, R"(flow:to_server; http.header.raw; content:"Cookie: sess=abc123|0d 0a|";)"},
      {34, R"(flow:to_server; http.header.raw; content:"cookie: sess";)"},
      {35, R"(flow:to_server; http.header_names; content:"|0d 0a|Host|0d 0a|";)"},
      {36, R"(flow:to_server; http.header_names; content:"|0d 0a|Server|0d 0a|";)"},
      {37, R"(flow:to_server; http.content_type; content:"application/x-www-form-urlencoded";)"},
      {38, R"(flow:to_server; http.content_type; content:"text/plain";)"},
      {39, R"(flow:to_client; http.content_type; content:"text/plain";)"},
      {40, R"(flow:to_client; http.content_type; content:"application";)"},
      {41, "flow:to_server; http.content_len; content:\"" + content_len + "\"; bsize:2;"},
      {42, R"(flow:to_server; http.content_len; content:"999";)"},
      {43, R"(flow:to_server; http.connection; content:"keep-alive";)"},
      {44, R"(flow:to_server; http.connection; content:"close";)"},
      {45, R"(flow:to_server; http.start; content:"POST /Dir/./Index.php?q=%41b HTTP/1.1|0d 0a|Host|3a 20|";)"},
      {46, R"(flow:to_server; http.start; content:"HTTP/1.1 302";)"},
      {47, R"(http.request_body; content:"pw=secret"; endswith;)"},
      {48, R"(http.request_body; content:"pw=other";)"},
      {49, R"(http.stat_code; content:"302";)"},
      {50, R"(http.stat_code; content:"200";)"},
      {51, R"(http.stat_msg; content:"Found";)"},
      {52, R"(http.stat_msg; content:"OK";)"},
      {53, R"(http.response_line; content:"HTTP/1.1 302 Found"; startswith; endswith;)"},
      {54, R"(http.response_line; content:"HTTP/1.0";)"},
      {55, R"(http.location; content:"next.example";)"},
      {56, R"(http.location; content:"ref.example";)"},
      {57, R"(http.server; content:"TestServer";)"},
      {58, R"(http.server; content:"nginx";)"},
      {59, R"(http.response_body; content:"response body"; endswith;)"},
      {60, R"(http.response_body; content:"pw=secret";)"},
      {61, R"(flow:to_client; file.data; content:"hello from";)"},
      {62, R"(flow:to_client; file_data; content:"pw=secret";)"},
      {63, R"(flow:to_client; http.protocol; content:"HTTP/1.1"; http.stat_code; content:"302";)"},
      {64, R"(http.uri; content:"/dir"; http.stat_code; content:"404";)"},
  });
}

TEST(HttpDetection, LegacyModifiersUricontentAndUrilen) {
  expect_only_odd_fire({
      {101, R"(content:"/dir/index.php"; http_uri;)"},
      {102, R"(content:"/Dir/"; http_uri;)"},
      {103, R"(content:"/Dir/./"; http_raw_uri;)"},
      {104, R"(content:"/dir/index"; http_raw_uri;)"},
      {105, R"(content:"User-Agent|3a 20|Test"; http_header;)"},
      {106, R"(content:"Cookie|3a|"; http_header; flow:to_server;)"},
      {107, R"(content:"Cookie: sess"; http_raw_header; flow:to_server;)"},
      {108, R"(content:"COOKIE: sess"; http_raw_header;)"},
      {109, R"(content:"pw=secret"; http_client_body;)"},
      {110, R"(content:"pw=other"; http_client_body;)"},
      {111, R"(content:"from the"; http_server_body;)"},
      {112, R"(content:"pw="; http_server_body;)"},
      {113, R"(content:"sess="; http_cookie; flow:to_server;)"},
      {114, R"(content:"nope="; http_cookie;)"},
      {115, R"(content:"POST"; http_method;)"},
      {116, R"(content:"PUT"; http_method;)"},
      {117, R"(content:"302"; http_stat_code;)"},
      {118, R"(content:"301"; http_stat_code;)"},
      {119, R"(content:"Found"; http_stat_msg;)"},
      {120, R"(content:"Moved"; http_stat_msg;)"},
      {121, R"(content:"Agent/1.0"; http_user_agent;)"},
      {122, R"(content:"Agent/2.0"; http_user_agent;)"},
      {123, R"(content:"www.example.com"; http_host;)"},
      {124, R"(content:"Example"; http_host;)"},
      {125, R"(content:"Example.com:8080"; http_raw_host;)"},
      {126, R"(content:"example.com:8080"; http_raw_host;)"},
      {127, R"(uricontent:"index.php"; content:"q="; http_uri; distance:0;)"},
      {128, R"(uricontent:"q="; content:"index"; http_uri; distance:0;)"},
      {129, R"(urilen:21; content:"POST"; http_method;)"},  // /dir/index.php?q=%41b
      {130, R"(urilen:>21;)"},
      {131, R"(urilen:23,raw;)"},  // /Dir/./Index.php?q=%41b
      {132, R"(urilen:21,raw;)"},
      {133, R"(content:"index"; http_uri; content:"pw=secret"; http_client_body; content:"Agent"; http_user_agent;)"},
      {134, R"(content:"index"; http_uri; content:"pw=secret"; http_client_body; content:"Agent"; http_host;)"},
  });
}

TEST(HttpDetection, PcreHttpFlagsSelectTheirBuffer) {
  expect_only_odd_fire({
      {201, R"(pcre:"/^\/dir\/index\.php/U";)"},
      {202, R"(pcre:"/^\/Dir/U";)"},
      {203, R"(pcre:"/^\/Dir\/\.\//I";)"},
      {204, R"(pcre:"/^\/dir/I";)"},
      {205, R"(pcre:"/^Host: WWW\.Example\.com:8080\r$/mH";)"},
      {206, R"(pcre:"/^Cookie/mH"; flow:to_server;)"},
      {207, R"(pcre:"/^Host: WWW\.Example\.com:8080\r$/mD"; flow:to_server;)"},
      {208, R"(pcre:"/^host: www/mD";)"},
      {209, R"(pcre:"/^POST$/M";)"},
      {210, R"(pcre:"/^GET$/M";)"},
      {211, R"(pcre:"/^sess=[a-z0-9]+$/C"; flow:to_server;)"},
      {212, R"(pcre:"/^id=/C"; flow:to_server;)"},
      {213, R"(pcre:"/pw=s\w+$/P";)"},
      {214, R"(pcre:"/pw=o/P";)"},
      {215, R"(pcre:"/^hello/Q";)"},
      {216, R"(pcre:"/^user/Q";)"},  // the client's body is not the server's
      {217, R"(pcre:"/^30\d$/S";)"},
      {218, R"(pcre:"/^20\d$/S";)"},
      {219, R"(pcre:"/^Found$/Y";)"},
      {220, R"(pcre:"/^Not/Y";)"},
      {221, R"(pcre:"/Agent\/\d\.\d$/V";)"},
      {222, R"(pcre:"/^Mozilla/V";)"},
      {223, R"(pcre:"/^www\.example\.com$/W";)"},
      {224, R"(pcre:"/8080/W";)"},
  });
}

std::string hex_digest(const EVP_MD* md, const std::string& in) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(in.data(), in.size(), d, &n, md, nullptr);
  std::string out = "|";
  static const char* kHex = "0123456789abcdef";
  for (unsigned i = 0; i < n; ++i) {
    out += kHex[d[i] >> 4];
    out += kHex[d[i] & 15];
    out += ' ';
  }
  out.back() = '|';
  return out;
}

TEST(HttpDetection, TransformsApplyToTheirBufferForThatRule) {
  const std::string md5 = hex_digest(EVP_md5(), "www.example.com");
  const std::string sha1 = hex_digest(EVP_sha1(), "www.example.com");
  const std::string sha256 = hex_digest(EVP_sha256(), "www.example.com");
  // "pw=secret" as it is in the body XORed with 0x01 0x02 (the key restarts at the body's
  // start, so its offset decides which key byte meets which character).
  std::string xored;
  for (std::size_t i = kBody.find("pw="); i < kBody.size(); ++i) {
    xored += static_cast<char>(kBody[i] ^ (i % 2 == 0 ? 1 : 2));
  }
  std::string xored_hex = "|";
  for (unsigned char c : xored) {
    char b[4];
    std::snprintf(b, sizeof b, "%02x ", c);
    xored_hex += b;
  }
  xored_hex.back() = '|';
  expect_only_odd_fire({
      {301, R"(http.uri.raw; to_lowercase; content:"/dir/./index.php";)"},
      {302, R"(http.uri.raw; to_lowercase; content:"/Dir";)"},
      {303, R"(http.method; to_uppercase; content:"POST"; http.host; to_uppercase; content:"WWW.EXAMPLE.COM";)"},
      {304, R"(http.host; to_uppercase; content:"www";)"},
      {305, R"(http.user_agent; strip_whitespace; content:"TestAgent/1.0"; bsize:13;)"},
      {306, R"(http.user_agent; strip_whitespace; content:"Test Agent";)"},
      {307, R"(http.user_agent; compress_whitespace; content:"Test Agent/1.0"; bsize:14;)"},
      {308, R"(http.user_agent; compress_whitespace; content:"Test  Agent";)"},
      {309, R"(http.uri.raw; url_decode; content:"q=Ab"; endswith;)"},
      {310, R"(http.uri.raw; url_decode; content:"%41";)"},
      {311, "http.host; to_md5; content:\"" + md5 + "\"; bsize:16;"},
      {312, "http.host.raw; to_md5; content:\"" + md5 + "\";"},
      {313, "http.host; to_sha1; content:\"" + sha1 + "\";"},
      {314, "http.host.raw; to_sha1; content:\"" + sha1 + "\";"},
      {315, "http.host; to_sha256; content:\"" + sha256 + "\";"},
      {316, "http.host.raw; to_sha256; content:\"" + sha256 + "\";"},
      {317, R"x(http.user_agent; pcrexform:"Agent/([0-9.]+)"; content:"1.0"; startswith; endswith;)x"},
      {318, R"x(http.user_agent; pcrexform:"Agent/([0-9.]+)"; content:"Test";)x"},
      {319, "http.request_body; xor:\"0102\"; content:\"" + xored_hex + "\";"},
      {320, "http.request_body; xor:\"0103\"; content:\"" + xored_hex + "\";"},
      {321, R"(flow:to_server; http.header.raw; header_lowercase; content:"user-agent: Test";)"},
      {322, R"(flow:to_server; http.header.raw; header_lowercase; content:"User-Agent";)"},
      {323, R"(flow:to_server; http.header; strip_pseudo_headers; content:"Host: WWW.Example.com:8080";)"},
      {324, R"(flow:to_server; http.header; strip_pseudo_headers; content:":authority";)"},
      // The same buffer with and without a chain in one rule: each list sees its own bytes.
      {325, R"(http.uri.raw; content:"/Dir/"; http.uri.raw; to_lowercase; content:"/dir/";)"},
      {326, R"(http.uri.raw; content:"/dir/"; http.uri.raw; to_lowercase; content:"/dir/";)"},
  });
}

TEST(HttpDetection, DotprefixAnchorsADomainOnADnsQuery) {
  Sensor s({R"(alert dns any any -> any any (msg:"d"; dns.query; dotprefix; content:".evil.example"; endswith; sid:1;))"});
  auto q = [&](const std::string& name, std::uint16_t id) {
    s.send(testing::udp_packet(kClient, kServer, 40000, 53,
                               testing::DnsBuilder(id, 0x0100, 1, 0).question(name, 1).text()));
  };
  q("evil.example", 1);       // ".evil.example": fires
  q("a.b.evil.example", 2);   // fires
  q("notevil.example", 3);    // ".notevil.example": near miss
  q("evil.example.org", 4);   // near miss (endswith)
  ASSERT_EQ(s.sink.alerts.size(), 2u);
  EXPECT_EQ(s.sink.alerts[0].dns().queries(0).rrname(), "evil.example");
  EXPECT_EQ(s.sink.alerts[1].dns().queries(0).rrname(), "a.b.evil.example");
}

// The compiled rule set of `texts` (each must parse).
std::shared_ptr<const detect::RuleSet> compile(const std::vector<std::string>& texts) {
  detect::RuleParser parser(detect::RuleVars::suricata_defaults());
  auto rules = testing::parse_rule_texts(parser, texts);
  auto set = detect::RuleSet::build(std::move(rules), detect::ClassificationTable::defaults(), nullptr);
  EXPECT_TRUE(set.ok());
  return set.value();
}

TEST(HttpDetection, DotprefixContentPrefiltersWithoutItsDot) {
  auto set = compile({R"(alert dns any any -> any any (msg:"d"; dns.query; dotprefix; content:".evil.example"; endswith; sid:1;))",
                      R"(alert dns any any -> any any (msg:"d"; dns.query; dotprefix; to_uppercase; content:".EVIL.EXAMPLE"; sid:2;))",
                      R"(alert http any any -> any any (msg:"s"; http.user_agent; strip_whitespace; content:"TestAgent"; sid:3;))"});
  ASSERT_EQ(set->rules().size(), 3u);
  EXPECT_EQ(detect::RuleSet::fast_pattern_bytes(set->rules()[0]), "evil.example");
  EXPECT_EQ(detect::RuleSet::fast_pattern_bytes(set->rules()[1]), "EVIL.EXAMPLE");
  // strip_whitespace can join bytes the original buffer has apart: no prefilter.
  EXPECT_EQ(set->rules()[2].prefilter, detect::Prefilter::kEveryPacket);
}

TEST(HttpDetection, RulesAtALaterPointPrefilterOnAnEarlierBuffer) {
  const std::vector<std::string> texts = {
      R"(alert http any any -> any any (msg:"l"; http.uri; content:"/dir/index.php"; http.header_names; content:!"|0d 0a|X-Absent|0d 0a|"; sid:1;))",
      R"(alert http any any -> any any (msg:"l"; http.uri; content:"/dir/index.php"; http.header_names; content:!"|0d 0a|Host|0d 0a|"; sid:2;))",
      R"(alert http any any -> any any (msg:"l"; flow:to_client; http.uri; content:"index.php"; http.stat_code; bsize:3; sid:3;))",
      R"(alert http any any -> any any (msg:"l"; flow:to_client; http.uri; content:"/elsewhere"; http.stat_code; bsize:3; sid:4;))",
      R"(alert http any any -> any any (msg:"l"; http.method; content:"POST"; file.data; content:!"MZ"; sid:5;))"};
  auto set = compile(texts);
  for (const auto& cr : set->rules()) {
    EXPECT_EQ(cr.prefilter, detect::Prefilter::kFastPattern) << cr.rule.sid;
  }
  Sensor s(texts);
  exchange(s);
  EXPECT_EQ(s.sink.sorted_sids(), (std::vector<std::uint32_t>{1, 3, 5}));
}

TEST(HttpDetection, ATransformAfterTheBuffersContentAppliesToTheWholeList) {
  // As Suricata applies it: the content before the transform sees the transformed buffer.
  Sensor s({R"(alert http any any -> any any (msg:"x"; http.uri.raw; content:"/dir/"; to_lowercase; content:"index.php"; sid:1;))",
            R"(alert http any any -> any any (msg:"x"; http.uri.raw; content:"/Dir/"; to_lowercase; content:"index.php"; sid:2;))"});
  exchange(s);
  EXPECT_EQ(s.sink.sorted_sids(), (std::vector<std::uint32_t>{1}));
}

TEST(HttpDetection, TransformsRejectedWhereSuricataRejectsThem) {
  detect::RuleParser parser(detect::RuleVars::suricata_defaults());
  EXPECT_FALSE(parser.parse(R"(alert http any any -> any any (msg:"x"; http.uri; xor:"0"; content:"a"; sid:2;))").ok());
  EXPECT_FALSE(parser.parse(R"x(alert http any any -> any any (msg:"x"; http.uri; pcrexform:"("; content:"a"; sid:3;))x").ok());
  EXPECT_FALSE(parser.parse(R"(alert http any any -> any any (msg:"x"; content:"a"; http_uri; http_header; sid:4;))").ok());
}

TEST(HttpDetection, RequestSplitAcrossSegmentsAtSeveralPoints) {
  const std::string req = request();
  const std::vector<std::string> rules = {
      R"(alert http any any -> any any (msg:"u"; http.uri; content:"/dir/index.php"; sid:1;))",
      R"(alert http any any -> any any (msg:"h"; http.user_agent; content:"Agent/1.0"; http.host; content:"example"; sid:2;))",
      R"(alert http any any -> any any (msg:"b"; http.request_body; content:"alice&pw"; sid:3;))",
      R"(alert http any any -> any any (msg:"n"; http.request_body; content:"bob"; sid:4;))"};
  for (std::size_t cut : {std::size_t{1}, std::size_t{4}, std::size_t{13}, req.find("Agent"),
                          req.find("\r\n\r\n") + 2, req.find("alice") + 2, req.size() - 1}) {
    Sensor s(rules);
    Conn c(s, 41000);
    c.client(s, req.substr(0, cut));
    c.client(s, req.substr(cut));
    c.server(s, response());
    EXPECT_EQ(s.sink.sorted_sids(), (std::vector<std::uint32_t>{1, 2, 3})) << "cut at " << cut;
  }
}

TEST(HttpDetection, PipelinedRequestsHaveTheirOwnTransactions) {
  Sensor s({R"(alert http any any -> any any (msg:"across"; http.uri; content:"/first"; http.user_agent; content:"second-agent"; sid:1;))",
            R"(alert http any any -> any any (msg:"within"; http.uri; content:"/second"; http.user_agent; content:"second-agent"; sid:2;))",
            R"(alert http any any -> any any (msg:"each"; http.method; content:"GET"; sid:3;))"});
  Conn c(s, 41000);
  c.client(s, testing::http_request("GET", "/first", {"Host: a.example", "User-Agent: first-agent"}) +
                  testing::http_request("GET", "/second", {"Host: a.example", "User-Agent: second-agent"}));
  c.server(s, testing::http_response(200, "OK", {}, "one") + testing::http_response(200, "OK", {}, "two"));
  ASSERT_EQ(s.sink.sorted_sids(), (std::vector<std::uint32_t>{2, 3, 3}));
  std::vector<std::pair<std::uint32_t, std::uint64_t>> got;
  for (const auto& a : s.sink.alerts) got.emplace_back(a.signature().signature_id(), a.tx_id());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::pair<std::uint32_t, std::uint64_t>>{{2, 1}, {3, 0}, {3, 1}}));
}

TEST(HttpDetection, AKeepAliveConnectionOfManyTransactionsKeepsDetecting) {
  // More transactions than the parser keeps alive (512): each one is released once its
  // response completed, so the last one is still parsed and detected with its own id.
  Sensor s({R"(alert http any any -> any any (msg:"last"; http.uri; content:"/item-599"; endswith; sid:1;))",
            R"(alert http any any -> any any (msg:"code"; http.uri; content:"/item-3"; endswith; http.stat_code; content:"404"; sid:2;))"});
  Conn c(s, 41000);
  for (int i = 0; i < 600; ++i) {
    c.client(s, testing::http_request("GET", "/item-" + std::to_string(i), {"Host: k.example"}));
    c.server(s, testing::http_response(i == 3 ? 404 : 200, "X", {}, "body"));
  }
  std::vector<std::pair<std::uint32_t, std::uint64_t>> got;
  for (const auto& a : s.sink.alerts) got.emplace_back(a.signature().signature_id(), a.tx_id());
  EXPECT_EQ(got, (std::vector<std::pair<std::uint32_t, std::uint64_t>>{{2, 3}, {1, 599}}));
}

TEST(HttpDetection, GzipChunkedResponseBodyIsInflatedForFileData) {
  Sensor s({R"(alert http any any -> any any (msg:"z"; flow:to_client; file.data; content:"secret payload inside"; sid:1;))",
            R"(alert http any any -> any any (msg:"raw"; flow:to_client; file.data; content:"|1f 8b|"; startswith; sid:2;))"});
  Conn c(s, 41000);
  c.client(s, testing::http_request("GET", "/z", {"Host: z.example"}));
  const std::string body = testing::gzip("<html>a secret payload inside a page</html>");
  const std::string wire = testing::http_response(
      200, "OK", {"Content-Encoding: gzip", "Transfer-Encoding: chunked"}, testing::http_chunked(body, 7));
  c.server(s, wire.substr(0, wire.size() / 2));
  c.server(s, wire.substr(wire.size() / 2));
  EXPECT_EQ(s.sink.sorted_sids(), (std::vector<std::uint32_t>{1}));
}

TEST(HttpDetection, AppLayerEventOnAnHttpAnomaly) {
  Sensor s({R"(alert http any any -> any any (msg:"no host"; app-layer-event:http.missing_host_header; sid:1;))"});
  Conn c(s, 41000);
  c.client(s, "GET /x HTTP/1.1\r\nUser-Agent: a\r\n\r\n");
  c.server(s, testing::http_response(200, "OK", {}, "x"));
  EXPECT_EQ(s.sink.sorted_sids(), (std::vector<std::uint32_t>{1}));
}

TEST(HttpDetection, AlertCarriesTheHttpObjectAsSuricataWritesIt) {
  Sensor s({R"(alert http any any -> any any (msg:"body"; flow:to_client; file.data; content:"hello"; sid:1;))"});
  exchange(s);
  ASSERT_EQ(s.sink.alerts.size(), 1u);
  const auto& a = s.sink.alerts[0];
  EXPECT_EQ(a.tx_id(), 0u);
  EXPECT_EQ(a.http().hostname(), "www.example.com");
  EXPECT_EQ(a.http().url(), "/Dir/./Index.php?q=%41b");
  EXPECT_EQ(a.http().status(), 302u);
  std::string eve;
  output::render_eve_alert(a, output::EveOptions{}, eve);
  const std::string expected =
      R"("http":{"hostname":"www.example.com","url":"/Dir/./Index.php?q=%41b","http_user_agent":"Test  Agent/1.0",)"
      R"("http_content_type":"text/plain","http_refer":"http://ref.example/","http_method":"POST","protocol":"HTTP/1.1",)"
      R"("status":302,"redirect":"http://next.example/","length":)" +
      std::to_string(kResponseBody.size()) + "}";
  EXPECT_NE(eve.find(expected), std::string::npos) << eve;
  EXPECT_NE(eve.find(R"("app_proto":"http")"), std::string::npos) << eve;
}

}  // namespace
}  // namespace wp::app
