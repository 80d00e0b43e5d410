// watchpost-rulecheck as an administrator runs it: the real binary on rule files and a
// capture written by the test; exit status, report lines, the JSON document.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "integration/run_program.h"
#include "support/packet_builder.h"
#include "support/pcap_writer.h"
#include "support/temp_dir.h"

namespace wp {
namespace {

using nlohmann::json;
using testing::ip;

const std::string kRulecheck = WP_BINARY_DIR "/tools/rulecheck/watchpost-rulecheck";

constexpr const char* kGood =
    "alert tcp $EXTERNAL_NET any -> $HOME_NET 80 (msg:\"evil get\"; flow:established,to_server; "
    "content:\"GET /evil\"; classtype:web-application-attack; sid:1000001; rev:3;)\n";

struct Fixture {
  testing::TempDir dir;

  std::string write(const std::string& name, const std::string& text) {
    const std::string path = dir.file(name);
    std::ofstream(path) << text;
    return path;
  }

  // Runs the checker with the cache in the temporary directory (never the system's).
  testing::ProgramResult run(std::vector<std::string> args) {
    std::vector<std::string> argv = {kRulecheck, "--set",
                                     "detect.sgh-mpm-caching-path=" + dir.file("hs")};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::run_program(argv, dir.path().string());
  }

  bool has_line(const std::string& text, const std::string& line) {
    return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
  }
};

TEST(Rulecheck, EveryRuleLoadsExitsZero) {
  Fixture fx;
  const std::string rules = fx.write("good.rules", kGood);
  auto r = fx.run({rules});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(fx.has_line(
      r.out, "rulecheck: 1 rule in 1 file: 1 loaded, 0 rejected, 0 not supported yet; 0 costly"))
      << r.out;
  auto v = fx.run({"--verbose", rules});
  EXPECT_TRUE(fx.has_line(v.out, rules + ":1: sid 1000001: loaded")) << v.out;
}

TEST(Rulecheck, RejectedRuleIsNamedWithFileAndLineAndExitsOne) {
  Fixture fx;
  const std::string rules =
      fx.write("local.rules", std::string("# a comment\n") + kGood +
                                  "alert tcp any any -> any any (msg:\"x\"; frobnicate; sid:5;)\n");
  auto r = fx.run({rules});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(fx.has_line(r.out, rules + ":3: sid 5: unknown keyword 'frobnicate'; rule skipped"))
      << r.out;
  EXPECT_TRUE(fx.has_line(
      r.out, "rulecheck: 2 rules in 1 file: 1 loaded, 1 rejected, 0 not supported yet; 0 costly"))
      << r.out;
}

TEST(Rulecheck, NotSupportedYetIsARejectionUnlessAllowed) {
  Fixture fx;
  const std::string rules = fx.write(
      "app.rules", std::string(kGood) +
                       "alert smb any any -> any any (msg:\"smb\"; content:\"|ff|SMB\"; sid:6;)\n");
  const std::string message =
      rules + ":2: sid 6: app-layer protocol 'smb' not supported yet; rule skipped";
  auto strict = fx.run({rules});
  EXPECT_EQ(strict.exit_code, 1) << strict.out;
  EXPECT_TRUE(fx.has_line(strict.out, message)) << strict.out;
  auto allowed = fx.run({"--allow-unsupported", rules});
  EXPECT_EQ(allowed.exit_code, 0) << allowed.out;
  EXPECT_TRUE(fx.has_line(allowed.out, "warning: " + message)) << allowed.out;
  EXPECT_TRUE(fx.has_line(allowed.out,
                          "rulecheck: 2 rules in 1 file: 1 loaded, 0 rejected, 1 not supported "
                          "yet (allowed); 0 costly"))
      << allowed.out;
  // A malformed rule still fails with --allow-unsupported.
  const std::string bad = fx.write("bad.rules", "alert tcp any any -> any any (sid:7; nope;)\n");
  EXPECT_EQ(fx.run({"--allow-unsupported", rules, bad}).exit_code, 1);
}

TEST(Rulecheck, DuplicateSidNamesBothLocations) {
  Fixture fx;
  const std::string a = fx.write("a.rules", kGood);
  const std::string b = fx.write(
      "b.rules",
      "\nalert udp any any -> any 53 (msg:\"again\"; content:\"abcdef\"; sid:1000001; rev:4;)\n");
  auto r = fx.run({a, b});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  // The higher rev is kept, as in Suricata: the first rule (rev 3) is the one skipped.
  EXPECT_TRUE(fx.has_line(r.out, a + ":1: sid 1000001: duplicate sid (rev 3; rev 4 at " + b +
                                     ":2 is kept); rule skipped"))
      << r.out;
  // Within one file too; at equal revs the first loads.
  const std::string c = fx.write("c.rules", std::string(kGood) + kGood);
  auto same = fx.run({c});
  EXPECT_EQ(same.exit_code, 1);
  EXPECT_TRUE(fx.has_line(
      same.out, c + ":2: sid 1000001: duplicate sid (first at " + c + ":1); rule skipped"))
      << same.out;
}

TEST(Rulecheck, CostlyRulesAreWarningsNotFailures) {
  Fixture fx;
  const std::string rules = fx.write(
      "costly.rules",
      "alert tcp any any -> any any (msg:\"short\"; content:\"ab\"; sid:11;)\n"
      "alert tcp any any -> any any (msg:\"common\"; content:\"Host|3a| \"; sid:12;)\n"
      "alert udp any any -> any any (msg:\"pcre only\"; pcre:\"/foo.*bar/i\"; sid:13;)\n"
      "alert tcp any any -> any any (msg:\"syn\"; flags:S; sid:14;)\n"
      "alert ip [192.0.2.1,198.51.100.0/24] any -> $HOME_NET any (msg:\"reputation\"; sid:15;)\n"
      "alert udp any any -> any any (msg:\"anchored\"; content:\"xyzzy-long\"; "
      "pcre:\"/^abc/\"; sid:16;)\n"
      "alert tcp any any -> any 21 (msg:\"bounce\"; ftpbounce; sid:17;)\n");
  auto r = fx.run({rules});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::vector<std::string> expected = {
      "warning: costly: " + rules +
          ":1: sid 11: fast pattern 'ab' is only 2 bytes: the rule is verified on most packets "
          "containing it",
      "warning: costly: " + rules +
          ":2: sid 12: fast pattern 'Host: ' occurs in common traffic ('|0d 0a|Host: '): the "
          "rule is verified on most such packets",
      "warning: costly: " + rules +
          ":3: sid 13: pcre /foo.*bar/ without content: runs over the payload of every udp "
          "packet that passes the header checks",
      "warning: costly: " + rules +
          ":4: sid 14: no content: checked against every tcp packet (no fast pattern)",
      // A transaction rule is checked at its protocol's transactions, not at every packet.
      "warning: costly: " + rules +
          ":7: sid 17: no content: checked against every ftp transaction (no fast pattern)",
  };
  for (const std::string& line : expected)
    EXPECT_TRUE(fx.has_line(r.out, line)) << line << "\n" << r.out;
  // The address-indexed rule and the rule with a long rare content are not costly.
  EXPECT_EQ(r.out.find("sid 15:"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("sid 16:"), std::string::npos) << r.out;
  EXPECT_TRUE(fx.has_line(
      r.out, "rulecheck: 7 rules in 1 file: 7 loaded, 0 rejected, 0 not supported yet; 5 costly"))
      << r.out;
}

TEST(Rulecheck, ConfigVariablesAreHonoured) {
  Fixture fx;
  const std::string rules =
      fx.write("vars.rules",
               "alert tcp $DMZ_NET any -> any $ADMIN_PORTS (msg:\"dmz\"; content:\"admin!\"; "
               "sid:21;)\n");
  auto undefined = fx.run({rules});
  EXPECT_EQ(undefined.exit_code, 1);
  EXPECT_TRUE(
      fx.has_line(undefined.out, rules + ":1: sid 21: undefined variable '$DMZ_NET'; rule skipped"))
      << undefined.out;
  const std::string config =
      fx.write("watchpost.yaml", "vars:\n  address-groups:\n    DMZ_NET: \"[192.0.2.0/24]\"\n");
  auto r = fx.run({"-c", config, "--set", "vars.port-groups.ADMIN_PORTS=[8443,9000:9100]", rules});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(Rulecheck, JsonIsOneDocumentWithEveryRule) {
  Fixture fx;
  const std::string rules = fx.write(
      "mixed.rules", std::string(kGood) +
                         "alert tcp any any -> any any (msg:\"x\"; frobnicate; sid:5;)\n" +
                         "alert smb any any -> any any (msg:\"smb\"; content:\"abcd\"; sid:6;)\n" +
                         "alert tcp any any -> any any (msg:\"short\"; content:\"ab\"; sid:7;)\n");
  auto r = fx.run({"--json", rules});
  EXPECT_EQ(r.exit_code, 1);
  json doc = json::parse(r.out);  // throws (fails the test) on anything but one document
  EXPECT_EQ(doc["version"], 1);
  EXPECT_EQ(doc["exit_status"], 1);
  EXPECT_EQ(doc["files"], json::array({rules}));
  EXPECT_EQ(doc["summary"]["rules"], 4);
  EXPECT_EQ(doc["summary"]["loaded"], 2);
  EXPECT_EQ(doc["summary"]["rejected"], 1);
  EXPECT_EQ(doc["summary"]["unsupported"], 1);
  EXPECT_EQ(doc["summary"]["costly"], 1);
  ASSERT_EQ(doc["rules"].size(), 4u);
  const json& good = doc["rules"][0];
  EXPECT_EQ(good["line"], 1);
  EXPECT_EQ(good["status"], "loaded");
  EXPECT_EQ(good["sid"], 1000001);
  EXPECT_EQ(good["rev"], 3);
  EXPECT_EQ(good["msg"], "evil get");
  const json& bad = doc["rules"][1];
  EXPECT_EQ(bad["status"], "rejected");
  EXPECT_EQ(bad["sid"], 5);
  EXPECT_EQ(bad["reason"], "unknown keyword 'frobnicate'");
  EXPECT_EQ(bad["message"], rules + ":2: sid 5: unknown keyword 'frobnicate'; rule skipped");
  EXPECT_EQ(doc["rules"][2]["status"], "unsupported");
  EXPECT_EQ(doc["costly"][0]["kind"], "short-fast-pattern");
  EXPECT_EQ(doc["costly"][0]["sid"], 7);
  EXPECT_EQ(doc["hs_cache"]["dir"], fx.dir.file("hs"));
  EXPECT_FALSE(doc.contains("pcap"));
  // --allow-unsupported in the document and the status.
  json allowed = json::parse(fx.run({"--json", "--allow-unsupported", rules}).out);
  EXPECT_EQ(allowed["summary"]["unsupported_allowed"], true);
  EXPECT_EQ(allowed["exit_status"], 1);  // sid 5 is still malformed
}

TEST(Rulecheck, PcapListsFiredRulesAndTheirCost) {
  Fixture fx;
  const std::string pcap = fx.dir.file("in.pcap");
  constexpr int kEvil = 3;
  {
    testing::PcapWriter w(pcap);
    for (int i = 0; i < kEvil; ++i) {
      w.write({1751339045, static_cast<std::uint32_t>(i) * 1000}, testing::udp_packet(ip("203.0.113.5"), ip("10.0.0.2"),
                                                          40000 + i, 53, "some evil payload"));
    }
    w.write({1751339046, 0},
            testing::udp_packet(ip("203.0.113.5"), ip("10.0.0.2"), 41000, 53, "benign"));
  }
  const std::string rules =
      fx.write("pcap.rules",
               "alert udp any any -> any 53 (msg:\"evil\"; content:\"evil\"; sid:31;)\n"
               "alert udp any any -> any 53 (msg:\"evil but not this\"; content:\"evil payload\"; "
               "content:\"never\"; sid:32;)\n"
               "alert udp any any -> any 80 (msg:\"other port\"; content:\"evil\"; sid:33;)\n"
               "alert tcp any any -> any any (msg:\"tcp\"; content:\"evil\"; sid:34;)\n");
  auto r = fx.run({"--json", "--pcap", pcap, rules});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  json doc = json::parse(r.out);
  const json& p = doc["pcap"];
  EXPECT_EQ(p["packets"], kEvil + 1);
  EXPECT_EQ(p["alerts"], kEvil);
  std::map<int, json> by_sid;
  for (const json& j : p["rules"]) by_sid[j["sid"].get<int>()] = j;
  ASSERT_EQ(by_sid.size(), 3u) << p.dump(2);  // the tcp rule was never a candidate
  EXPECT_EQ(by_sid[31]["alerts"], kEvil);
  EXPECT_EQ(by_sid[31]["checks"], kEvil);
  EXPECT_EQ(by_sid[31]["matches"], kEvil);
  EXPECT_EQ(by_sid[32]["alerts"], 0);
  EXPECT_EQ(by_sid[32]["checks"], kEvil);
  EXPECT_EQ(by_sid[32]["matches"], 0);
  EXPECT_EQ(by_sid[33]["checks"], kEvil);  // port mismatch: checked, never matched
  EXPECT_EQ(by_sid[33]["matches"], 0);
  // Sorted by verification time.
  for (std::size_t i = 1; i < p["rules"].size(); ++i) {
    EXPECT_GE(p["rules"][i - 1]["verify_ns"].get<std::uint64_t>(),
              p["rules"][i]["verify_ns"].get<std::uint64_t>());
  }

  auto text = fx.run({"--pcap", pcap, rules});
  ASSERT_EQ(text.exit_code, 0) << text.out;
  EXPECT_NE(text.out.find("capture: 4 packets"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("3 alerts from 1 rule; 3 rules were candidates"), std::string::npos)
      << text.out;
  EXPECT_TRUE(fx.has_line(text.out, "           3  1:31:0  evil")) << text.out;
  EXPECT_NE(text.out.find("rules by verification time (3 of 3):"), std::string::npos) << text.out;
}

TEST(Rulecheck, ThresholdFileLinesAreCheckedAndABadOneFailsTheCheck) {
  Fixture fx;
  const std::string rules = fx.write("good.rules", kGood);
  const std::string good = fx.write("ok.config", "suppress gen_id 1, sig_id 1000001\n");
  auto ok = fx.run({"--set", "threshold-file=" + good, rules});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_TRUE(fx.has_line(ok.out, "threshold-file " + good + ": 1 entries loaded, 0 lines skipped"))
      << ok.out;

  const std::string bad = fx.write(
      "bad.config", "suppress gen_id 1, sig_id 1000001\nevent_filter gen_id 1, sig_id 1\n");
  auto r = fx.run({"--set", "threshold-file=" + bad, rules});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find(bad + ":2: "), std::string::npos) << r.out;
  auto j = fx.run({"--json", "--set", "threshold-file=" + bad, rules});
  const json doc = json::parse(j.out);
  EXPECT_EQ(doc["exit_status"], 1);
  EXPECT_EQ(doc["threshold_file"]["entries"], 1);
  ASSERT_EQ(doc["threshold_file"]["errors"].size(), 1u);

  auto missing = fx.run({"--set", "threshold-file=" + fx.dir.file("nope.config"), rules});
  EXPECT_EQ(missing.exit_code, 2) << missing.out << missing.err;
}

TEST(Rulecheck, QuietListsOnlyRejectionsAndByFileCountsEachFile) {
  Fixture fx;
  const std::string a = fx.write(
      "a.rules", std::string(kGood) +
                     "alert tcp any any -> any any (msg:\"files\"; filestore; sid:2;)\n"
                     "alert tcp any any -> any any (msg:\"bad\"; frobnicate; sid:3;)\n");
  const std::string b = fx.write(
      "b.rules", "alert udp any any -> any any (msg:\"no content\"; dsize:>10; sid:4;)\n");
  auto q = fx.run({"-q", "--by-file", "--allow-unsupported", a, b});
  EXPECT_EQ(q.exit_code, 1) << q.out << q.err;
  EXPECT_TRUE(fx.has_line(q.out, a + ":3: sid 3: unknown keyword 'frobnicate'; rule skipped"))
      << q.out;
  EXPECT_EQ(q.out.find(a + ":2:"), std::string::npos) << "not supported yet: counted only";
  EXPECT_EQ(q.out.find("warning: costly"), std::string::npos) << q.out;
  EXPECT_TRUE(fx.has_line(q.out, "       3        1        1            1       0  " + a)) << q.out;
  EXPECT_TRUE(fx.has_line(q.out, "       1        1        0            0       1  " + b)) << q.out;
  EXPECT_EQ(fx.run({"-q", "-v", a}).exit_code, 2);
}

TEST(Rulecheck, UsageErrorsExitTwo) {
  Fixture fx;
  const std::string rules = fx.write("good.rules", kGood);
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{}, "watchpost-rulecheck: no rule files (give FILE... or -c CONFIG with rule-files)"},
      {{"--frob", rules}, "watchpost-rulecheck: unknown option '--frob'"},
      {{"--set", "detect.bogus=1", rules},
       "watchpost-rulecheck: --set detect.bogus=1: unknown configuration key 'detect.bogus'"},
      {{"--top", "many", rules}, "watchpost-rulecheck: --top expects a number, got 'many'"},
  };
  for (const Case& c : cases) {
    auto r = fx.run(c.args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(c.message + "\n"), std::string::npos) << r.err;
  }
  auto missing = fx.run({fx.dir.file("nope.rules")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.out.find(fx.dir.file("nope.rules") + ": cannot open"), std::string::npos)
      << missing.out;
  auto missing_pcap = fx.run({"--pcap", fx.dir.file("nope.pcap"), rules});
  EXPECT_EQ(missing_pcap.exit_code, 2);
  EXPECT_NE(missing_pcap.out.find(fx.dir.file("nope.pcap")), std::string::npos) << missing_pcap.out;
}

TEST(Rulecheck, HelpDescribesOptionsAndExitStatus) {
  auto r = testing::run_program({kRulecheck, "--help"}, testing::TempDir().path().string());
  EXPECT_EQ(r.exit_code, 0);
  for (const char* word :
       {"--allow-unsupported", "--json", "--pcap", "--set", "-c CONFIG.yaml", "exit status: 0"}) {
    EXPECT_NE(r.out.find(word), std::string::npos) << word;
  }
}

}  // namespace
}  // namespace wp
