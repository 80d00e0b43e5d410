#include "sample.h"

namespace wp::collector {
namespace {

struct SampleRule {
  const char* msg;
  const char* classtype;
  const char* category;
  const char* family;
};

constexpr SampleRule kRules[8] = {
    {"ET MALWARE Observed Malicious SSL Cert (AsyncRAT Server)", "trojan-activity",
     "A Network Trojan was detected", "AsyncRAT"},
    {"ET SCAN Suspicious inbound to MSSQL port 1433", "attempted-recon",
     "Attempted Information Leak", "Scanner"},
    {"ET EXPLOIT Apache log4j RCE Attempt (http uri) (CVE-2021-44228)", "attempted-admin",
     "Attempted Administrator Privilege Gain", "Log4Shell"},
    {"ET POLICY SSH session in progress on Unusual Port", "bad-unknown", "Potentially Bad Traffic",
     "SSH"},
    {"ET DNS Query for .top TLD - Often Malware Related", "bad-unknown", "Potentially Bad Traffic",
     "DNS"},
    {"ET WEB_SERVER Possible SQL Injection Attempt UNION SELECT", "web-application-attack",
     "Web Application Attack", "SQLi"},
    {"ET INFO Observed DNS Query to .onion proxy Domain", "misc-activity", "Misc activity", "Tor"},
    {"ET HUNTING Suspicious PowerShell User-Agent Inbound", "trojan-activity",
     "A Network Trojan was detected", "PowerShell"},
};

void add_meta(watchpost::v1::Signature& s, const char* key, const std::string& value) {
  (*s.mutable_metadata())[key].add_values(value);
}

}  // namespace

void sample_alert(std::uint64_t i, watchpost::v1::Alert& a) {
  a.Clear();
  const std::uint32_t r = static_cast<std::uint32_t>(i % 8);
  const SampleRule& rule = kRules[r];
  a.set_timestamp_us(1751328000000000LL + static_cast<std::int64_t>(i) * 1000);
  a.set_flow_id((i * 2654435761u) & ((1ull << 51) - 1));
  a.set_pcap_cnt(i + 1);
  if (i % 5 == 4) {
    a.set_src_ip("2001:db8::" + std::to_string(i % 65536 % 9000 + 1));
    a.set_dest_ip("2001:db8:1::" + std::to_string(i % 250 + 1));
  } else {
    a.set_src_ip("10.1." + std::to_string(i / 256 % 256) + "." + std::to_string(i % 256));
    a.set_dest_ip("192.0.2." + std::to_string(i % 250 + 1));
  }
  a.set_src_port(static_cast<std::uint32_t>(1024 + i % 60000));
  a.set_dest_port(r == 1 ? 1433 : r == 4 ? 53 : 443);
  a.set_ip_proto(r == 4 ? 17 : 6);
  a.set_direction(watchpost::v1::TO_SERVER);
  watchpost::v1::Signature& s = *a.mutable_signature();
  s.set_action("allowed");
  s.set_gid(1);
  s.set_signature_id(2000000 + 1000 * r);
  s.set_rev(3 + r);
  s.set_signature(rule.msg);
  s.set_category(rule.category);
  s.set_severity(static_cast<std::int32_t>(1 + i % 3));
  s.set_classtype(rule.classtype);
  add_meta(s, "affected_product", "Windows_XP_Vista_7_8_10_Server_32_64_Bit");
  add_meta(s, "attack_target", "Client_Endpoint");
  add_meta(s, "created_at", "2021_12_10");
  add_meta(s, "deployment", "Perimeter");
  add_meta(s, "malware_family", rule.family);
  add_meta(s, "signature_severity", "Major");
  add_meta(s, "updated_at", "2024_05_16");
  s.add_references("url,doc.emergingthreats.net/" + std::to_string(2000000 + 1000 * r));
  s.add_references("cve,2021-44228");
}

watchpost::v1::Batch sample_batch(const std::string& sensor, const std::string& site,
                                  std::uint64_t epoch, std::uint64_t first_seq, int n) {
  watchpost::v1::Batch b;
  b.set_sensor_id(sensor);
  b.set_site(site);
  b.set_epoch(epoch);
  b.set_first_seq(n > 0 ? first_seq : 0);
  for (int k = 0; k < n; ++k) {
    watchpost::v1::Event& e = *b.add_events();
    e.set_seq(first_seq + static_cast<std::uint64_t>(k));
    sample_alert(e.seq(), *e.mutable_alert());
  }
  return b;
}

}  // namespace wp::collector
