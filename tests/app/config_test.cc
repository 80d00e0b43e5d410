#include "app/config.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <ostream>

#include "support/temp_dir.h"

namespace wp::app {
namespace {

TEST(Config, DefaultsAreSuricatas) {
  Config c;
  EXPECT_TRUE(c.checksum_validation);
  EXPECT_EQ(c.pcap_checksum_checks, ChecksumChecks::kAuto);
  EXPECT_EQ(c.vars.address_groups.at("HOME_NET"), "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]");
  EXPECT_EQ(c.vars.port_groups.at("HTTP_PORTS"), "80");
  // Suricata's default yaml: payload and packet off, metadata, flow records and
  // application-layer anomalies on.
  EXPECT_FALSE(c.eve.payload);
  EXPECT_FALSE(c.eve.payload_printable);
  EXPECT_FALSE(c.eve.packet);
  EXPECT_TRUE(c.eve.metadata);
  EXPECT_TRUE(c.eve.flow);
  EXPECT_TRUE(c.eve.anomaly);
  EXPECT_TRUE(c.eve.anomaly_applayer);
  EXPECT_FALSE(c.eve.anomaly_decode);
  EXPECT_FALSE(c.eve.anomaly_stream);
  EXPECT_TRUE(c.eve.watchpost);
  EXPECT_FALSE(c.eve.ethernet);
  EXPECT_EQ(c.detect.packet_alert_max, 15u);
}

TEST(Config, SetOverridesKnownKeys) {
  Config c;
  ASSERT_TRUE(apply_set(c, "stream.checksum-validation=no").ok());
  EXPECT_FALSE(c.checksum_validation);
  ASSERT_TRUE(apply_set(c, "flow.memcap=64mb").ok());
  EXPECT_EQ(c.flow.memcap, 64ull * 1024 * 1024);
  ASSERT_TRUE(apply_set(c, "vars.address-groups.HOME_NET=[10.20.0.0/16]").ok());
  EXPECT_EQ(c.vars.address_groups.at("HOME_NET"), "[10.20.0.0/16]");
  ASSERT_TRUE(apply_set(c, "eve-log.payload=on").ok());
  EXPECT_TRUE(c.eve.payload);
}

TEST(Config, ThresholdFileDefaultIsOptionalAndASetOneIsRequired) {
  Config c;
  EXPECT_EQ(c.threshold_file, "/etc/watchpost/threshold.config");
  EXPECT_FALSE(c.threshold_file_explicit);
  ASSERT_TRUE(apply_set(c, "threshold-file=/etc/suricata/threshold.config").ok());
  EXPECT_EQ(c.threshold_file, "/etc/suricata/threshold.config");
  EXPECT_TRUE(c.threshold_file_explicit);
  ASSERT_TRUE(apply_set(c, "threshold-file=").ok());
  EXPECT_EQ(c.threshold_file, "");
}

struct BadSet {
  const char* assignment;
  const char* message;
};

class ConfigErrors : public ::testing::TestWithParam<BadSet> {};

TEST_P(ConfigErrors, NameTheKey) {
  Config c;
  auto r = apply_set(c, GetParam().assignment);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().describe(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Config, ConfigErrors,
    ::testing::Values(
        BadSet{"stream.no-such-key=1", "unknown configuration key 'stream.no-such-key'"},
        BadSet{"stream.checksum-validation=maybe",
               "invalid value 'maybe' for 'stream.checksum-validation' (expected yes or no)"},
        BadSet{"flow.memcap=lots", "invalid value 'lots' for 'flow.memcap' (expected a size like 32mb)"},
        BadSet{"pcap-file.checksum-checks=sometimes",
               "invalid value 'sometimes' for 'pcap-file.checksum-checks' (expected yes, no or auto)"},
        BadSet{"novalue", "--set expects KEY=VALUE, got 'novalue'"}));

TEST(Config, YamlUsesSuricataKeyNamesAndWarnsOnUnknownKeys) {
  wp::testing::TempDir dir;
  const std::string path = dir.file("watchpost.yaml");
  std::ofstream(path) << "%YAML 1.1\n---\n"
                         "vars:\n"
                         "  address-groups:\n"
                         "    HOME_NET: \"[10.20.0.0/16]\"\n"
                         "  port-groups:\n"
                         "    HTTP_PORTS: \"[80,8080]\"\n"
                         "default-log-dir: /tmp/wp-logs\n"
                         "stream:\n"
                         "  checksum-validation: no\n"
                         "  bogus-key: 1\n"
                         "outputs:\n"
                         "  - eve-log:\n"
                         "      enabled: yes\n"
                         "      filename: alerts.json\n"
                         "      packet: no\n"
                         "rule-files:\n"
                         "  - a.rules\n"
                         "  - b.rules\n";
  Config c;
  std::vector<std::string> warnings;
  auto r = apply_config_file(c, path, warnings);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(c.vars.address_groups.at("HOME_NET"), "[10.20.0.0/16]");
  EXPECT_EQ(c.vars.port_groups.at("HTTP_PORTS"), "[80,8080]");
  EXPECT_EQ(c.log_dir, "/tmp/wp-logs");
  EXPECT_FALSE(c.checksum_validation);
  EXPECT_EQ(c.eve_file, "alerts.json");
  EXPECT_FALSE(c.eve.packet);
  EXPECT_EQ(c.rule_files, (std::vector<std::string>{"a.rules", "b.rules"}));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], path + ":11: unknown key 'stream.bogus-key'; ignored");
}

TEST(Config, StreamKeysAndHostOsPolicyFollowSuricataYaml) {
  wp::testing::TempDir dir;
  const std::string path = dir.file("stream.yaml");
  std::ofstream(path) << "stream:\n"
                         "  memcap: 128mb\n"
                         "  midstream: true\n"
                         "  async-oneside: yes\n"
                         "  reassembly:\n"
                         "    memcap: 1gb\n"
                         "    depth: 2mb\n"
                         "host-os-policy:\n"
                         "  windows: [0.0.0.0/0]\n"
                         "  linux: [10.0.0.0/8, \"2001:db8::/32\"]\n"
                         "  bsd: []\n";
  Config c;
  std::vector<std::string> warnings;
  auto r = apply_config_file(c, path, warnings);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(c.stream.memcap, 128ull << 20);
  EXPECT_TRUE(c.stream.midstream);
  EXPECT_TRUE(c.stream.async_oneside);
  EXPECT_EQ(c.stream.reassembly_memcap, 1ull << 30);
  EXPECT_EQ(c.stream.depth, 2ull << 20);
  EXPECT_EQ(c.stream.policies.lookup(*IpAddress::parse("192.0.2.1")), stream::OverlapPolicy::kFirst);
  EXPECT_EQ(c.stream.policies.lookup(*IpAddress::parse("10.1.2.3")), stream::OverlapPolicy::kLinux);
  EXPECT_EQ(c.stream.policies.lookup(*IpAddress::parse("2001:db8::1")), stream::OverlapPolicy::kLinux);
  EXPECT_NE(dump_config(c).find("host-os-policy.linux: 10.0.0.0/8"), std::string::npos);
}

TEST(Config, UnknownHostOsPolicyOrAddressIsAnError) {
  Config c;
  auto r = apply_set(c, "host-os-policy.beos=10.0.0.0/8");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().describe(), "unknown host-os-policy 'beos'");
  r = apply_set(c, "host-os-policy.linux=10.0.0.0/40");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().describe(), "invalid address '10.0.0.0/40' in host-os-policy.linux");
  r = apply_set(c, "host-os-policy.default=beos");
  ASSERT_FALSE(r.ok());
}

TEST(Config, BadValueInYamlNamesFileAndLine) {
  wp::testing::TempDir dir;
  const std::string path = dir.file("bad.yaml");
  std::ofstream(path) << "flow:\n  memcap: plenty\n";
  Config c;
  std::vector<std::string> warnings;
  auto r = apply_config_file(c, path, warnings);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().describe(),
            path + ":2: invalid value 'plenty' for 'flow.memcap' (expected a size like 32mb)");
}

TEST(Config, MissingFileIsAnError) {
  Config c;
  std::vector<std::string> warnings;
  auto r = apply_config_file(c, "/nonexistent/watchpost.yaml", warnings);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().describe(), "/nonexistent/watchpost.yaml: cannot read configuration file");
}

TEST(Config, TextInMemoryIsAppliedAsAFileWithItsNameInMessages) {
  Config c;
  std::vector<std::string> warnings;
  auto r = apply_config_text(c, "stream:\n  midstream: yes\n  bogus: 1\n", "inline.yaml", warnings);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_TRUE(c.stream.midstream);
  EXPECT_EQ(warnings,
            std::vector<std::string>{"inline.yaml:3: unknown key 'stream.bogus'; ignored"});
  r = apply_config_text(c, "flow:\n  memcap: plenty\n", "inline.yaml", warnings);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().describe(),
            "inline.yaml:2: invalid value 'plenty' for 'flow.memcap' (expected a size like 32mb)");
  r = apply_config_text(c, "a: [1\n", "inline.yaml", warnings);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().describe().rfind("inline.yaml:", 0), 0u) << r.error().describe();
}

TEST(Config, HelpListsEveryKeyWithItsDefault) {
  const std::string help = config_help();
  EXPECT_NE(help.find("stream.checksum-validation (bool, default: yes)"), std::string::npos);
  EXPECT_NE(help.find("pcap-file.checksum-checks (enum, default: auto)"), std::string::npos);
  EXPECT_NE(help.find("flow.memcap (size, default: 33554432)"), std::string::npos);
}

}  // namespace
}  // namespace wp::app

namespace wp::app {
namespace {

TEST(Config, HyperscanCacheKeysFromYamlSetAndDump) {
  Config c;
  EXPECT_TRUE(c.hs_cache.enabled);
  EXPECT_EQ(c.hs_cache.path, "/var/lib/watchpost/cache/hs");
  EXPECT_EQ(c.hs_cache.max_age_days, 7u);
  testing::TempDir dir;
  const std::string path = dir.file("w.yaml");
  std::ofstream(path) << "detect:\n  sgh-mpm-caching: no\n  sgh-mpm-caching-path: /srv/hs\n";
  std::vector<std::string> warnings;
  ASSERT_TRUE(apply_config_file(c, path, warnings).ok());
  EXPECT_TRUE(warnings.empty());
  EXPECT_FALSE(c.hs_cache.enabled);
  EXPECT_EQ(c.hs_cache.path, "/srv/hs");
  ASSERT_TRUE(apply_set(c, "detect.sgh-mpm-caching-max-age=30d").ok());
  EXPECT_EQ(c.hs_cache.max_age_days, 30u);
  ASSERT_TRUE(apply_set(c, "detect.sgh-mpm-caching-max-age=0").ok());
  EXPECT_EQ(c.hs_cache.max_age_days, 0u);
  auto bad = apply_set(c, "detect.sgh-mpm-caching-max-age=a week");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "invalid value 'a week' for 'detect.sgh-mpm-caching-max-age' (expected days like "
            "7d, or 0)");
  const std::string dump = dump_config(c);
  EXPECT_NE(dump.find("detect.sgh-mpm-caching: no\n"), std::string::npos) << dump;
  EXPECT_NE(dump.find("detect.sgh-mpm-caching-path: /srv/hs\n"), std::string::npos) << dump;
  EXPECT_NE(dump.find("detect.sgh-mpm-caching-max-age: 0d\n"), std::string::npos) << dump;
}

// A configuration file written by the test, and what loading it gave.
struct YamlFile {
  wp::testing::TempDir dir;
  std::string path = dir.file("watchpost.yaml");
  Config config;
  std::vector<std::string> warnings;

  Result<void> load(const std::string& yaml) {
    std::ofstream(path) << yaml;
    return apply_config_file(config, path, warnings);
  }
};

// "Billion laughs": nine levels of ten aliases of the level below, 10^9 leaves in 1 KiB.
std::string alias_bomb() {
  auto level = [](char name, const std::string& item) {
    std::string line = std::string(1, name) + ": &" + name + " {";
    for (int i = 0; i < 10; ++i) line += (i ? ", k" : "k") + std::to_string(i) + ": " + item;
    return line + "}\n";
  };
  std::string yaml = level('a', "x");
  for (char c = 'b'; c <= 'i'; ++c) yaml += level(c, std::string("*") + static_cast<char>(c - 1));
  return yaml;
}

TEST(Config, AliasBombIsRefusedWithoutExpandingIt) {
  YamlFile f;
  const std::string yaml = alias_bomb();
  ASSERT_LT(yaml.size(), 1024u);
  const auto started = std::chrono::steady_clock::now();
  auto r = f.load(yaml);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().describe(),
            f.path +
                ": configuration too large or too deeply nested (aliases expand to more than "
                "100000 nodes); refused");
  EXPECT_TRUE(f.warnings.empty()) << f.warnings.size() << " warnings, first: " << f.warnings[0];
  EXPECT_LT(elapsed, std::chrono::seconds(10));
}

TEST(Config, NestingDeeperThan64LevelsIsRefused) {
  YamlFile f;
  std::string yaml;
  for (int i = 0; i < 70; ++i) yaml += std::string(2 * i, ' ') + "k" + std::to_string(i) + ":\n";
  yaml += std::string(140, ' ') + "x: 1\n";
  auto r = f.load(yaml);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().describe(),
            f.path +
                ":65: configuration too large or too deeply nested (more than 64 levels); "
                "refused");
}

TEST(Config, AliasOfItsOwnMappingIsRefused) {
  YamlFile f;
  auto r = f.load("a: &a\n  b: *a\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("(more than 64 levels); refused"), std::string::npos)
      << r.error().describe();
}

TEST(Config, FileLargerThan16MiBIsRefusedBeforeParsing) {
  YamlFile f;
  std::ofstream(f.path) << "flow:\n  memcap: 64mb\n";
  std::filesystem::resize_file(f.path, (16u << 20) + 1);  // sparse: no 16 MiB written
  auto r = apply_config_file(f.config, f.path, f.warnings);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().describe(),
            f.path + ": configuration file larger than 16 MiB (16777217 bytes); refused");
}

TEST(Config, DirectoryIsNotAConfigurationFile) {
  YamlFile f;
  auto r = apply_config_file(f.config, f.dir.path().string(), f.warnings);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().describe(),
            f.dir.path().string() + ": cannot read configuration file: is a directory");
}

struct WrongType {
  const char* yaml;
  const char* message;  // after "FILE:"
};

void PrintTo(const WrongType& w, std::ostream* os) { *os << w.yaml; }

class ConfigTypeErrors : public ::testing::TestWithParam<WrongType> {};

TEST_P(ConfigTypeErrors, NameFileLineKeyAndExpectedType) {
  YamlFile f;
  auto r = f.load(GetParam().yaml);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().describe(), f.path + ":" + GetParam().message);
  EXPECT_TRUE(f.warnings.empty()) << f.warnings[0];
}

INSTANTIATE_TEST_SUITE_P(
    Config, ConfigTypeErrors,
    ::testing::Values(WrongType{"flow:\n  memcap:\n    - 32mb\n",
                                "2: 'flow.memcap' must be a size like 32mb, not a list"},
                      WrongType{"flow:\n  memcap: {value: 32mb}\n",
                                "2: 'flow.memcap' must be a size like 32mb, not a mapping"},
                      WrongType{"stream:\n  checksum-validation: [yes]\n",
                                "2: 'stream.checksum-validation' must be yes or no, not a list"},
                      WrongType{"flow:\n  hash-size: [1, 2]\n",
                                "2: 'flow.hash-size' must be a non-negative integer, not a list"},
                      WrongType{"eve-log:\n  filename:\n    name: eve.json\n",
                                "2: 'eve-log.filename' must be a string, not a mapping"},
                      WrongType{"vars:\n  address-groups:\n    HOME_NET: [[10.0.0.0/8]]\n",
                                "3: each of 'vars.address-groups.HOME_NET' must be an address or "
                                "port, not a list"},
                      WrongType{"rule-files:\n  - a.rules\n  - [b.rules]\n",
                                "1: each of 'rule-files' must be a file name, not a list"},
                      WrongType{"rule-files: a.rules\n",
                                "1: 'rule-files' must be a list of file names, not a single value"},
                      WrongType{
                          "host-os-policy:\n  linux: {a: 10.0.0.0/8}\n",
                          "2: 'host-os-policy.linux' must be a list of addresses, not a mapping"}));

TEST(Config, DuplicateKeyIsAWarningNamingBothLinesAndTheLaterValueWins) {
  YamlFile f;
  auto r = f.load(
      "flow:\n"
      "  memcap: 64mb\n"
      "  hash-size: 1024\n"
      "  memcap: 128mb\n");
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(f.warnings.size(), 1u);
  EXPECT_EQ(f.warnings[0], f.path +
                               ":4: duplicate key 'flow.memcap' (first at line 2); both are "
                               "applied in order, the later value wins");
  EXPECT_EQ(f.config.flow.memcap, 128ull << 20);
}

TEST(Config, SameKeyInDifferentMappingsIsNoDuplicate) {
  YamlFile f;
  auto r = f.load("flow:\n  memcap: 64mb\nstream:\n  memcap: 64mb\n");
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_TRUE(f.warnings.empty()) << f.warnings[0];
}

constexpr MemoryLimits kEightGiB{8ull << 30, 0};

TEST(ConfigValidate, DefaultsAreValid) {
  EXPECT_TRUE(Config{}.validate(kEightGiB).ok());
  EXPECT_TRUE(Config{}.validate().ok());  // this machine's limits
}

TEST(ConfigValidate, DepthAndInspectWindowAcceptZeroAndHashSizeItsBounds) {
  Config c;
  ASSERT_TRUE(apply_set(c, "stream.reassembly.depth=0").ok());
  ASSERT_TRUE(apply_set(c, "stream.reassembly.inspect-window=0").ok());
  ASSERT_TRUE(apply_set(c, "flow.hash-size=1").ok());
  EXPECT_TRUE(c.validate(kEightGiB).ok());
  ASSERT_TRUE(apply_set(c, "flow.hash-size=2147483648").ok());
  EXPECT_TRUE(c.validate(kEightGiB).ok());
  ASSERT_TRUE(apply_set(c, "flow.memcap=64kb").ok());
  ASSERT_TRUE(apply_set(c, "stream.memcap=8gb").ok());
  EXPECT_TRUE(c.validate(kEightGiB).ok());
}

struct OutOfRange {
  std::vector<const char*> sets;
  MemoryLimits limits;
  const char* message;
};

class ConfigValidateErrors : public ::testing::TestWithParam<OutOfRange> {};

TEST_P(ConfigValidateErrors, NameTheKeyTheValueAndTheLimit) {
  Config c;
  for (const char* s : GetParam().sets) ASSERT_TRUE(apply_set(c, s).ok()) << s;
  auto r = c.validate(GetParam().limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().describe(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    ConfigValidate, ConfigValidateErrors,
    ::testing::Values(
        OutOfRange{{"flow.memcap=0"}, kEightGiB, "flow.memcap 0 B is below the minimum of 64 KiB"},
        OutOfRange{{"flow.memcap=1b"}, kEightGiB, "flow.memcap 1 B is below the minimum of 64 KiB"},
        OutOfRange{
            {"stream.memcap=1kb"}, kEightGiB, "stream.memcap 1 KiB is below the minimum of 64 KiB"},
        OutOfRange{{"stream.reassembly.memcap=65535"},
                   kEightGiB,
                   "stream.reassembly.memcap 63.9 KiB is below the minimum of 64 KiB"},
        OutOfRange{
            {"defrag.memcap=0"}, kEightGiB, "defrag.memcap 0 B is below the minimum of 64 KiB"},
        OutOfRange{{"flow.memcap=9gb"},
                   kEightGiB,
                   "flow.memcap 9 GiB is larger than physical memory (8 GiB)"},
        OutOfRange{{"stream.reassembly.memcap=1000000gb"},
                   kEightGiB,
                   "stream.reassembly.memcap 976.5 TiB is larger than physical memory (8 GiB)"},
        OutOfRange{{"defrag.memcap=3gb"},
                   MemoryLimits{8ull << 30, 2ull << 30},
                   "defrag.memcap 3 GiB is larger than the address space limit (RLIMIT_AS, 2 "
                   "GiB)"},
        OutOfRange{
            {"flow.hash-size=0"}, kEightGiB, "flow.hash-size 0 is out of range (1 to 2147483648)"},
        OutOfRange{{"flow.hash-size=2147483649"},
                   kEightGiB,
                   "flow.hash-size 2147483649 is out of range (1 to 2147483648)"},
        OutOfRange{{"sensor-name=nt-01", "collector.address=collector.example"},
                   kEightGiB,
                   "collector.address 'collector.example': expected HOST:PORT"},
        OutOfRange{{"sensor-name=nt-01", "collector.address=10.0.0.1:0"},
                   kEightGiB,
                   "collector.address '10.0.0.1:0': the port must be 1 to 65535"},
        OutOfRange{{"sensor-name=nt-01", "collector.address=::1:9000"},
                   kEightGiB,
                   "collector.address '::1:9000': write an IPv6 address as [ADDRESS]:PORT"},
        OutOfRange{{"sensor-name=nt-01", "collector.address=[::1]:9000",
                    "collector.ca-file=ca.pem"},
                   kEightGiB,
                   "collector.cert-file is required with a collector (TLS with a client "
                   "certificate; collector.insecure-plaintext: yes for plain TCP)"},
        OutOfRange{{"sensor-name=nt-01", "collector.address=c:9000",
                    "collector.insecure-plaintext=yes", "collector.spool-max-size=1kb"},
                   kEightGiB,
                   "collector.spool-max-size 1 KiB is below the minimum of 64 KiB"},
        OutOfRange{{"sensor-name=nt-01", "collector.address=c:9000",
                    "collector.insecure-plaintext=yes", "collector.batch-events=0"},
                   kEightGiB,
                   "collector.batch-events 0 is out of range (1 to 100000)"},
        OutOfRange{{"sensor-name=nt-01", "collector.address=c:9000",
                    "collector.insecure-plaintext=yes", "collector.max-in-flight=0"},
                   kEightGiB,
                   "collector.max-in-flight 0 is below the minimum of 1"},
        OutOfRange{{"sensor-name=nt-01", "collector.address=c:9000",
                    "collector.insecure-plaintext=yes", "collector.heartbeat-interval=50ms"},
                   kEightGiB,
                   "collector.heartbeat-interval 50ms is below the minimum of 100ms"},
        OutOfRange{{"collector.address=c:9000", "collector.insecure-plaintext=yes"},
                   kEightGiB,
                   "a collector needs a sensor id (sensor-name, --sensor-id): it names the "
                   "spool and must match the certificate's CN"}));

TEST(Config, CollectorKeysFromYamlWithDurationsAndSizes) {
  testing::TempDir dir;
  const std::string path = dir.file("c.yaml");
  std::ofstream(path) << "collector:\n"
                         "  address: collector.dc1.example:9443\n"
                         "  ca-file: /etc/watchpost/ca.pem\n"
                         "  cert-file: /etc/watchpost/nt-01.pem\n"
                         "  key-file: /etc/watchpost/nt-01.key\n"
                         "  spool-dir: /srv/spool\n"
                         "  spool-max-size: 2gb\n"
                         "  drain-timeout: 2m\n"
                         "  batch-events: 500\n"
                         "  batch-delay: 20ms\n"
                         "  max-in-flight: 4\n"
                         "  heartbeat-interval: 1s\n";
  Config c;
  c.sensor_id = "nt-01";
  std::vector<std::string> warnings;
  ASSERT_TRUE(apply_config_file(c, path, warnings).ok());
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(c.collector.address, "collector.dc1.example:9443");
  EXPECT_EQ(c.collector.key_file, "/etc/watchpost/nt-01.key");
  EXPECT_EQ(c.collector.spool_dir, "/srv/spool");
  EXPECT_EQ(c.collector.spool_max_size, 2ull << 30);
  EXPECT_EQ(c.collector.drain_timeout_ms, 120'000u);
  EXPECT_EQ(c.collector.batch_events, 500u);
  EXPECT_EQ(c.collector.batch_delay_ms, 20u);
  EXPECT_EQ(c.collector.max_in_flight, 4u);
  EXPECT_EQ(c.collector.heartbeat_interval_ms, 1000u);
  EXPECT_TRUE(c.validate(kEightGiB).ok());
  const std::string dump = dump_config(c);
  EXPECT_NE(dump.find("collector.drain-timeout: 2m\n"), std::string::npos);
  EXPECT_NE(dump.find("collector.batch-delay: 20ms\n"), std::string::npos);
  auto bad = apply_set(c, "collector.drain-timeout=soon");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().describe(),
            "invalid value 'soon' for 'collector.drain-timeout' (expected a duration like 30s or 50ms)");
}

TEST(Config, CollectorDefaultsAreTheDeliveryDesigns) {
  const Config c;
  EXPECT_TRUE(c.collector.address.empty());
  EXPECT_EQ(c.collector.spool_dir, "/var/lib/watchpost/spool");
  EXPECT_EQ(c.collector.spool_max_size, 1ull << 30);
  EXPECT_EQ(c.collector.drain_timeout_ms, 30'000u);
  EXPECT_EQ(c.collector.batch_events, 1000u);
  EXPECT_EQ(c.collector.batch_delay_ms, 50u);
  EXPECT_EQ(c.collector.max_in_flight, 8u);
  EXPECT_EQ(c.collector.heartbeat_interval_ms, 5000u);
  EXPECT_FALSE(c.collector.insecure_plaintext);
}

}  // namespace
}  // namespace wp::app

namespace wp::app {
namespace {

TEST(Config, PcapListGivesEachInterfaceItsSettingsAndDefaultTheRest) {
  Config c;
  std::vector<std::string> warnings;
  ASSERT_TRUE(apply_config_text(c,
                                "pcap:\n"
                                "  - interface: eth1\n"
                                "    bpf-filter: not port 22\n"
                                "    snaplen: 1600\n"
                                "    buffer-size: 64mb\n"
                                "    promisc: no\n"
                                "    site: nha-trang\n"
                                "    checksum-checks: auto\n"
                                "  - interface: default\n"
                                "    snaplen: 9000\n"
                                "    colour: blue\n",
                                "w.yaml", warnings)
                  .ok());
  ASSERT_EQ(c.pcap.size(), 2u);
  const InterfaceConfig eth1 = interface_config(c, "eth1");
  EXPECT_EQ(eth1.bpf_filter, "not port 22");
  EXPECT_EQ(eth1.snaplen, 1600u);
  EXPECT_EQ(eth1.buffer_size, 64ull << 20);
  EXPECT_FALSE(eth1.promisc);
  EXPECT_EQ(eth1.site, "nha-trang");
  const InterfaceConfig eth2 = interface_config(c, "eth2");
  EXPECT_EQ(eth2.interface, "eth2");
  EXPECT_EQ(eth2.snaplen, 9000u);
  EXPECT_TRUE(eth2.promisc);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], "w.yaml:11: unknown key 'pcap.colour'; ignored");
  EXPECT_EQ(interface_config(Config{}, "eth0").snaplen, 262144u);  // no pcap list at all
}

TEST(Config, PcapEntryErrorsNameTheFileLineAndKey) {
  struct Case {
    const char* yaml;
    const char* error;
  };
  const Case cases[] = {
      {"pcap:\n  - snaplen: 1500\n", "w.yaml:2: a 'pcap' entry needs 'interface'"},
      {"pcap:\n  - interface: eth0\n    snaplen: 10\n",
       "w.yaml:3: invalid value '10' for 'pcap.snaplen' (expected 64 to 262144)"},
      {"pcap:\n  - interface: eth0\n    promisc: maybe\n",
       "w.yaml:3: invalid value 'maybe' for 'pcap.promisc' (expected yes or no)"},
      {"pcap: eth0\n", "w.yaml:1: 'pcap' must be a list of interfaces, not a single value"},
  };
  for (const Case& k : cases) {
    Config c;
    std::vector<std::string> warnings;
    auto r = apply_config_text(c, k.yaml, "w.yaml", warnings);
    ASSERT_FALSE(r.ok()) << k.yaml;
    EXPECT_EQ(r.error().describe(), k.error);
  }
}

TEST(Config, RuntimeKeysHaveSuricatasDefaultsAndParse) {
  Config c;
  EXPECT_EQ(c.runtime.stats_interval_ms, 8000u);
  EXPECT_TRUE(c.runtime.stats_enabled);
  EXPECT_FALSE(c.runtime.stats_deltas);
  EXPECT_EQ(c.runtime.unix_command, UnixCommand::kAuto);
  EXPECT_EQ(c.runtime.unix_command_file, "/run/watchpost/watchpost.socket");
  EXPECT_FALSE(c.runtime.metrics_enabled);
  EXPECT_EQ(c.runtime.metrics_listen, "127.0.0.1:9477");
  ASSERT_TRUE(apply_set(c, "stats.interval=30").ok());
  EXPECT_EQ(c.runtime.stats_interval_ms, 30000u);
  ASSERT_TRUE(apply_set(c, "unix-command.enabled=yes").ok());
  EXPECT_EQ(c.runtime.unix_command, UnixCommand::kYes);
  ASSERT_TRUE(apply_set(c, "metrics.enabled=yes").ok());
  ASSERT_TRUE(apply_set(c, "threading.ring-size=32mb").ok());
  EXPECT_EQ(c.runtime.ring_size, 32ull << 20);
  EXPECT_EQ(apply_set(c, "unix-command.enabled=sometimes").error().describe(),
            "invalid value 'sometimes' for 'unix-command.enabled' (expected auto, yes or no)");
}

TEST(Config, RuntimeRangesAreCheckedByValidate) {
  struct Case {
    const char* set;
    const char* error;
  };
  const Case cases[] = {
      {"stats.interval=10ms", "stats.interval 10ms is below the minimum of 100ms"},
      {"threads=1000", "threads 1000 is out of range (0 to 256)"},
      {"threading.ring-size=64kb", "threading.ring-size 64 KiB is out of range (1 MiB to 1 GiB)"},
  };
  for (const Case& k : cases) {
    Config c;
    ASSERT_TRUE(apply_set(c, k.set).ok()) << k.set;
    auto r = c.validate();
    ASSERT_FALSE(r.ok()) << k.set;
    EXPECT_EQ(r.error().describe(), k.error);
  }
}

}  // namespace
// --- a Suricata operator's suricata.yaml, reused ---------------------------------------

TEST(Config, IncludeAndBangIncludeReadFilesBesideTheConfiguration) {
  YamlFile f;
  std::ofstream(f.dir.file("vars.yaml")) << "vars:\n  address-groups:\n    HOME_NET: \"[10.20.0.0/16]\"\n";
  std::ofstream(f.dir.file("stream.yaml")) << "checksum-validation: no\nmidstream: yes\n";
  auto r = f.load("include: vars.yaml\nstream: !include stream.yaml\nflow:\n  hash-size: 1024\n");
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(f.config.vars.address_groups.at("HOME_NET"), "[10.20.0.0/16]");
  EXPECT_FALSE(f.config.checksum_validation);
  EXPECT_TRUE(f.config.stream.midstream);
  EXPECT_EQ(f.config.flow.hash_size, 1024u);
  EXPECT_TRUE(f.warnings.empty()) << f.warnings[0];
}

TEST(Config, IncludeErrorsNameTheIncludedFileAndWhereItWasIncluded) {
  YamlFile f;
  std::ofstream(f.dir.file("bad.yaml")) << "flow:\n  memcap: lots\n";
  auto missing = f.load("include:\n  - nowhere.yaml\n");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().describe().find("nowhere.yaml: cannot read configuration file"),
            std::string::npos)
      << missing.error().describe();
  EXPECT_NE(missing.error().describe().find("included at " + f.path + ":2"), std::string::npos);
  auto bad = f.load("include: bad.yaml\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().describe().find(f.dir.file("bad.yaml") + ":2"), std::string::npos)
      << bad.error().describe();
  std::ofstream(f.dir.file("loop.yaml")) << "include: loop.yaml\n";
  auto loop = f.load("include: loop.yaml\n");
  ASSERT_FALSE(loop.ok());
  EXPECT_NE(loop.error().describe().find("nested more than 8 deep"), std::string::npos);
}

TEST(Config, EveTypesAlertOptionsSetThePayloadKeys) {
  YamlFile f;
  auto r = f.load(
      "outputs:\n"
      "  - fast:\n"
      "      enabled: no\n"
      "      filename: fast.log\n"
      "  - eve-log:\n"
      "      enabled: yes\n"
      "      filetype: regular\n"
      "      filename: alerts.json\n"
      "      types:\n"
      "        - alert:\n"
      "            payload: no\n"
      "            payload-printable: no\n"
      "            packet: no\n"
      "            metadata:\n"
      "              app-layer: true\n"
      "        - stats:\n"
      "            deltas: yes\n"
      "        - flow\n"
      "        - dns:\n"
      "            enabled: yes\n");
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_FALSE(f.config.eve.payload);
  EXPECT_FALSE(f.config.eve.payload_printable);
  EXPECT_FALSE(f.config.eve.packet);
  EXPECT_TRUE(f.config.eve.metadata);
  EXPECT_TRUE(f.config.runtime.stats_deltas);
  EXPECT_EQ(f.config.eve_file, "alerts.json");
  EXPECT_EQ(f.config.fast_file, "fast.log");
  EXPECT_FALSE(f.config.fast_enabled);
  EXPECT_TRUE(f.config.eve.flow) << "listed";
  EXPECT_FALSE(f.config.eve.anomaly) << "not listed: not written";
  ASSERT_EQ(f.warnings.size(), 1u);
  EXPECT_EQ(f.warnings[0],
            "eve-log types not written by this sensor (alert, anomaly, flow and stats are): dns");
}

TEST(Config, EveTypesAnomalyOptionsSelectWhichAnomaliesAreWritten) {
  YamlFile f;
  auto r = f.load(
      "outputs:\n"
      "  - eve-log:\n"
      "      ethernet: yes\n"
      "      types:\n"
      "        - alert\n"
      "        - anomaly:\n"
      "            enabled: yes\n"
      "            types:\n"
      "              decode: yes\n"
      "              stream: no\n"
      "              applayer: no\n");
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_TRUE(f.config.eve.anomaly);
  EXPECT_TRUE(f.config.eve.anomaly_decode);
  EXPECT_FALSE(f.config.eve.anomaly_stream);
  EXPECT_FALSE(f.config.eve.anomaly_applayer);
  EXPECT_FALSE(f.config.eve.flow) << "not listed: not written";
  EXPECT_TRUE(f.config.eve.ethernet);
  EXPECT_TRUE(f.warnings.empty());
}

TEST(Config, AFiletypeTheSensorCannotWriteIsAnErrorAtItsLine) {
  YamlFile f;
  auto r = f.load("outputs:\n  - eve-log:\n      enabled: yes\n      filetype: redis\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().describe(),
            f.path + ":4: eve-log.filetype 'redis' is not supported: the sensor writes regular "
                     "files (and delivers to its collector)");
}

TEST(Config, UnquotedListForAnAddressGroupIsTheSameGroup) {
  YamlFile f;
  auto r = f.load("vars:\n  address-groups:\n    HOME_NET: [10.0.0.0/8, 192.168.0.0/16]\n"
                  "  port-groups:\n    HTTP_PORTS: [80, 8080]\n");
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(f.config.vars.address_groups.at("HOME_NET"), "[10.0.0.0/8,192.168.0.0/16]");
  EXPECT_EQ(f.config.vars.port_groups.at("HTTP_PORTS"), "[80,8080]");
}

TEST(Config, UnknownKeysAreSummarisedInOneWarning) {
  YamlFile f;
  std::string yaml;
  for (int i = 0; i < 8; ++i) yaml += "app-layer-thing-" + std::to_string(i) + ": yes\n";
  ASSERT_TRUE(f.load(yaml).ok());
  ASSERT_EQ(f.warnings.size(), 1u);
  EXPECT_EQ(f.warnings[0],
            "8 configuration keys are not used by watchpost and were ignored: 'app-layer-thing-0' (" +
                f.path + ":1), 'app-layer-thing-1' (" + f.path + ":2), 'app-layer-thing-2' (" +
                f.path + ":3), 'app-layer-thing-3' (" + f.path + ":4), 'app-layer-thing-4' (" +
                f.path + ":5), and 3 more (--dump-config shows what is used)");
}

TEST(Config, DumpConfigLoadsBackToTheSameConfiguration) {
  YamlFile f;
  ASSERT_TRUE(f.load("vars:\n  address-groups:\n    HOME_NET: [10.0.0.0/8]\n"
                     "rule-files:\n  - a.rules\n  - \"weird: name.rules\"\n"
                     "site: \"nha trang #1\"\nsensor-name: nt-1\n"
                     "pcap:\n  - interface: eth1\n    bpf-filter: \"not port 22\"\n    site: nt\n"
                     "host-os-policy:\n  linux: [10.0.0.0/8]\n"
                     "outputs:\n  - fast:\n      enabled: no\n      filename: fast.log\n")
                  .ok());
  const std::string first = dump_config(f.config);
  YamlFile again;
  auto r = again.load(first);
  ASSERT_TRUE(r.ok()) << r.error().describe() << "\n" << first;
  EXPECT_TRUE(again.warnings.empty()) << again.warnings[0];
  EXPECT_EQ(dump_config(again.config), first);
  EXPECT_EQ(again.config.rule_files, (std::vector<std::string>{"a.rules", "weird: name.rules"}));
  EXPECT_EQ(again.config.site, "nha trang #1");
  EXPECT_FALSE(again.config.threshold_file_explicit) << "the default threshold file stays optional";
}

}  // namespace wp::app
