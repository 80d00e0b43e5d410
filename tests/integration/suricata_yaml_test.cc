// An operator's suricata.yaml, reused: a configuration in the shape of Suricata 8's default
// suricata.yaml (written here from its documented keys, trimmed of comments) with its paths
// filled in loads, passes -T with Emerging Threats Open, and gives the effective values a
// Suricata user expects. Keys the sensor does not use are one warning, not hundreds.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "integration/run_program.h"
#include "support/temp_dir.h"

namespace wp {
namespace {

const std::string kSensor = WP_BINARY_DIR "/sensor/app/watchpost-sensor";
const std::string kEtOpen = WP_SOURCE_DIR "/../shared/data/rules/et-suricata5-2024";

constexpr const char* kSuricataYaml = R"YAML(%YAML 1.1
---
vars:
  address-groups:
    HOME_NET: "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"
    EXTERNAL_NET: "!$HOME_NET"
    HTTP_SERVERS: "$HOME_NET"
    SMTP_SERVERS: "$HOME_NET"
    SQL_SERVERS: "$HOME_NET"
    DNS_SERVERS: "$HOME_NET"
    TELNET_SERVERS: "$HOME_NET"
    AIM_SERVERS: "$EXTERNAL_NET"
    DC_SERVERS: "$HOME_NET"
    DNP3_SERVER: "$HOME_NET"
    DNP3_CLIENT: "$HOME_NET"
    MODBUS_CLIENT: "$HOME_NET"
    MODBUS_SERVER: "$HOME_NET"
    ENIP_CLIENT: "$HOME_NET"
    ENIP_SERVER: "$HOME_NET"
  port-groups:
    HTTP_PORTS: "80"
    SHELLCODE_PORTS: "!80"
    ORACLE_PORTS: 1521
    SSH_PORTS: 22
    DNP3_PORTS: 20000
    MODBUS_PORTS: 502
    FILE_DATA_PORTS: "[$HTTP_PORTS,110,143]"
    FTP_PORTS: 21
    GENEVE_PORTS: 6081
    VXLAN_PORTS: 4789
    TEREDO_PORTS: 3544

default-log-dir: LOGDIR

stats:
  enabled: yes
  interval: 8

plugins:
  - /usr/lib/suricata/plugins/example.so

outputs:
  - fast:
      enabled: yes
      filename: fast.log
      append: yes
  - eve-log:
      enabled: yes
      filetype: regular
      filename: eve.json
      pcap-file: false
      community-id: false
      community-id-seed: 0
      xff:
        enabled: no
        mode: extra-data
        deployment: reverse
        header: X-Forwarded-For
      types:
        - alert:
            tagged-packets: yes
        - frame:
            enabled: no
        - anomaly:
            enabled: yes
            types:
              decode: no
              stream: no
              applayer: yes
        - http:
            extended: yes
        - dns:
            enabled: yes
        - tls:
            extended: yes
        - files:
            force-magic: no
        - drop:
            alerts: yes
        - smtp:
        - ftp
        - rdp
        - nfs
        - smb
        - tftp
        - ike
        - dcerpc
        - krb5
        - bittorrent-dht
        - snmp
        - rfb
        - sip
        - quic
        - dhcp:
            enabled: yes
            extended: no
        - ssh
        - mqtt:
        - http2
        - pgsql:
            enabled: no
        - stats:
            totals: yes
            threads: no
            deltas: no
        - flow
  - http-log:
      enabled: no
      filename: http.log
      append: yes
  - tls-log:
      enabled: no
      filename: tls.log
      append: yes
  - tls-store:
      enabled: no
  - pcap-log:
      enabled: no
      filename: log.pcap
      limit: 1000mb
      max-files: 2000
      compression: none
      mode: normal
      use-stream-depth: no
      honor-pass-rules: no
  - alert-debug:
      enabled: no
      filename: alert-debug.log
      append: yes
  - stats:
      enabled: yes
      filename: stats.log
      append: yes
      totals: yes
      threads: no
  - syslog:
      enabled: no
      facility: local5
  - file-store:
      version: 2
      enabled: no
      xff:
        enabled: no
        mode: extra-data
        deployment: reverse
        header: X-Forwarded-For
  - tcp-data:
      enabled: no
      type: file
      filename: tcp-data.log
  - http-body-data:
      enabled: no
      type: file
      filename: http-data.log
  - lua:
      enabled: no
      scripts:

logging:
  default-log-level: notice
  default-output-filter:
  outputs:
  - console:
      enabled: yes
  - file:
      enabled: yes
      level: info
      filename: suricata.log
  - syslog:
      enabled: no
      facility: local5
      format: "[%i] <%d> -- "

af-packet:
  - interface: eth0
    cluster-id: 99
    cluster-type: cluster_flow
    defrag: yes
  - interface: default

pcap:
  - interface: eth0
  - interface: default

pcap-file:
  checksum-checks: auto

app-layer:
  protocols:
    telnet:
      enabled: yes
    rfb:
      enabled: yes
      detection-ports:
        dp: 5900, 5901, 5902, 5903, 5904, 5905, 5906, 5907, 5908, 5909
    tls:
      enabled: yes
      detection-ports:
        dp: 443
    http:
      enabled: yes
      libhtp:
        default-config:
          personality: IDS
          request-body-limit: 100kb
          response-body-limit: 100kb
          request-body-minimal-inspect-size: 32kb
          request-body-inspect-window: 4kb
          double-decode-path: no
          double-decode-query: no
        server-config:
    dns:
      tcp:
        enabled: yes
        detection-ports:
          dp: 53
      udp:
        enabled: yes
        detection-ports:
          dp: 53

asn1-max-frames: 256

sensor-name: suricata-sensor
run-as:
  user: suri
  group: suri

coredump:
  max-dump: unlimited

host-mode: auto
max-pending-packets: 1024
runmode: autofp
autofp-scheduler: hash
default-packet-size: 1514
unix-command:
  enabled: auto
  filename: custom.socket

legacy:
  uricontent: enabled

engine-analysis:
  rules-fast-pattern: yes
  rules: yes

pcre:
  match-limit: 3500
  match-limit-recursion: 1500

host-os-policy:
  windows: [0.0.0.0/0]
  bsd: []
  bsd-right: []
  old-linux: []
  linux: []
  old-solaris: []
  solaris: []
  hpux10: []
  hpux11: []
  irix: []
  macos: []
  vista: []
  windows2k3: []

defrag:
  memcap: 32mb
  hash-size: 65536
  trackers: 65535
  max-frags: 65535
  prealloc: yes
  timeout: 60

flow:
  memcap: 128mb
  hash-size: 65536
  prealloc: 10000
  emergency-recovery: 30

vlan:
  use-for-tracking: true

flow-timeouts:
  default:
    new: 30
    established: 300
    closed: 0
    bypassed: 100
    emergency-new: 10
    emergency-established: 100
    emergency-closed: 0
    emergency-bypassed: 50
  tcp:
    new: 60
    established: 600
    closed: 60
    bypassed: 100
    emergency-new: 5
    emergency-established: 100
    emergency-closed: 10
    emergency-bypassed: 50
  udp:
    new: 30
    established: 300
    bypassed: 100
    emergency-new: 10
    emergency-established: 100
    emergency-bypassed: 50
  icmp:
    new: 30
    established: 300
    bypassed: 100
    emergency-new: 10
    emergency-established: 100
    emergency-bypassed: 50

stream:
  memcap: 64mb
  checksum-validation: yes
  inline: auto
  reassembly:
    memcap: 256mb
    depth: 1mb
    toserver-chunk-size: 2560
    toclient-chunk-size: 2560
    randomize-chunk-size: yes

host:
  hash-size: 4096
  prealloc: 1000
  memcap: 32mb

decoder:
  teredo:
    enabled: true
    ports: $TEREDO_PORTS
  vxlan:
    enabled: true
    ports: $VXLAN_PORTS
  geneve:
    enabled: true
    ports: $GENEVE_PORTS

detect:
  profile: medium
  custom-values:
    toclient-groups: 3
    toserver-groups: 25
  sgh-mpm-context: auto
  inspection-recursion-limit: 3000
  prefilter:
    default: mpm
  grouping:
  profiling:
    grouping:
      dump-to-disk: false
      include-rules: false
      include-mpm-stats: false

mpm-algo: auto
spm-algo: auto

threading:
  set-cpu-affinity: no
  cpu-affinity:
    - management-cpu-set:
        cpu: [ 0 ]
    - receive-cpu-set:
        cpu: [ 0 ]
    - worker-cpu-set:
        cpu: [ "all" ]
        mode: "exclusive"
        prio:
          low: [ 0 ]
          medium: [ "1-2" ]
          high: [ 3 ]
          default: "medium"
  detect-thread-ratio: 1.0

luajit:
  states: 128

profiling:
  rules:
    enabled: yes
    filename: rule_perf.log
    append: yes
    limit: 10
    json: yes

nflog:
  - nflog-group: 2
    buffer-size: 18432
  - nflog-group: default
    qthreshold: 1
    qtimeout: 100
    max-size: 20000

capture:

netmap:
 - interface: eth2
 - interface: default

pfring:
  - interface: eth0
    threads: auto
    cluster-id: 99
    cluster-type: cluster_flow
  - interface: default

ipfw:

napatech:
    streams: ["0-3"]
    enable-stream-stats: no
    auto-config: yes
    hardware-bypass: yes
    inline: no
    ports: [0-1,2-3]
    hashmode: hash5tuplesorted

default-rule-path: RULEDIR
rule-files:
  - "*.rules"

classification-file: /etc/suricata/classification.config
reference-config-file: /etc/suricata/reference.config
# threshold-file: /etc/suricata/threshold.config
)YAML";

std::string with(std::string text, const std::string& what, const std::string& value) {
  text.replace(text.find(what), what.size(), value);
  return text;
}

struct SuricataYaml {
  testing::TempDir dir;
  std::string path = dir.file("suricata.yaml");

  explicit SuricataYaml(const std::string& rule_dir) {
    std::filesystem::create_directories(dir.file("log"));
    std::ofstream(path) << with(with(kSuricataYaml, "LOGDIR", dir.file("log")), "RULEDIR", rule_dir);
  }
  testing::ProgramResult run(std::vector<std::string> args) {
    args.insert(args.begin(), {kSensor, "-c", path, "--set",
                               "detect.sgh-mpm-caching-path=" + dir.file("hs")});
    return testing::run_program(args, dir.path().string());
  }
};

bool has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

TEST(SuricataYaml, DefaultShapeGivesTheEffectiveValuesASuricataUserExpects) {
  SuricataYaml y(WP_SOURCE_DIR "/rules");
  auto r = y.run({"--dump-config"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* line :
       {"flow.memcap: 134217728\n", "defrag.trackers: 65535\n", "stream.memcap: 67108864\n",
        "stream.reassembly.memcap: 268435456\n", "stats.interval: 8s\n",
        "sensor-name: suricata-sensor\n", "run-as.user: suri\n", "unix-command.filename: custom.socket\n",
        "host-os-policy.windows: 0.0.0.0/0\n", "fast.filename: fast.log\n", "fast.enabled: yes\n",
        "eve-log.filename: eve.json\n", "vars.port-groups.HTTP_PORTS: 80\n",
        "vars.port-groups.FILE_DATA_PORTS: \"[$HTTP_PORTS,110,143]\"\n",
        "vars.address-groups.EXTERNAL_NET: \"!$HOME_NET\"\n", "pcap-file.checksum-checks: auto\n",
        // outputs: - stats is Suricata's text stats.log: it does not rename stats.json.
        "stats.filename: stats.json\n", "stats.enabled: yes\n"}) {
    EXPECT_TRUE(has(r.out, line)) << line << " missing in\n" << r.out;
  }
  // One warning for the unused keys (with their count), one for the EVE types not written,
  // one for Suricata's stats.log.
  EXPECT_TRUE(has(r.err, "configuration keys are not used by watchpost and were ignored: "))
      << r.err;
  EXPECT_TRUE(has(r.err, "eve-log types not written by this sensor (alert, anomaly, flow and "
                         "stats are): frame, http, dns, tls"))
      << r.err;
  EXPECT_TRUE(has(r.err, "outputs: - stats (Suricata's text stats.log) is not written"))
      << r.err;
  EXPECT_LE(std::count(r.err.begin(), r.err.end(), '\n'), 7) << r.err;
}

TEST(SuricataYaml, DefaultShapePassesTestModeWithEtOpen) {
  if (!std::filesystem::exists(kEtOpen + "/emerging-dns.rules")) {
    GTEST_SKIP() << "ET Open 2024 not found at " << kEtOpen << " (../shared/data/rules)";
  }
  SuricataYaml y(kEtOpen);
  auto r = y.run({"-T"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.err, "configuration test passed: ")) << r.err;
  // Suricata's default classification and reference paths are warnings on a machine
  // without Suricata, not errors.
  EXPECT_TRUE(has(r.err, "warning: classification-file /etc/suricata/classification.config"))
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(y.dir.file("log/eve.json"))) << "-T opens no output";
}

TEST(SuricataYaml, ReplayWritesFastLogAndEveAsConfigured) {
  SuricataYaml y(WP_SOURCE_DIR "/rules");
  auto r = y.run({"-r", WP_SOURCE_DIR "/tools/trafficgen/captures/demo.pcap", "--set",
                  "run-as.user=", "--set", "run-as.group="});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(std::filesystem::file_size(y.dir.file("log/fast.log")), 0u);
  EXPECT_GT(std::filesystem::file_size(y.dir.file("log/eve.json")), 0u);
}

}  // namespace
}  // namespace wp
