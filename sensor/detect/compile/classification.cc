#include "detect/compile/classification.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <string_view>
#include <utility>

#include "common/text.h"

namespace wp::detect {
namespace {

struct DefaultClass {
  const char* name;
  const char* description;
  int priority;
};

// Suricata's classification.config, with the Emerging Threats additions and the Snort
// community classtypes (so both rule sets resolve without a configured file).
constexpr DefaultClass kDefaultClasses[] = {
    {"not-suspicious", "Not Suspicious Traffic", 3},
    {"unknown", "Unknown Traffic", 3},
    {"bad-unknown", "Potentially Bad Traffic", 2},
    {"attempted-recon", "Attempted Information Leak", 2},
    {"successful-recon-limited", "Information Leak", 2},
    {"successful-recon-largescale", "Large Scale Information Leak", 2},
    {"attempted-dos", "Attempted Denial of Service", 2},
    {"successful-dos", "Denial of Service", 2},
    {"attempted-user", "Attempted User Privilege Gain", 1},
    {"unsuccessful-user", "Unsuccessful User Privilege Gain", 1},
    {"successful-user", "Successful User Privilege Gain", 1},
    {"attempted-admin", "Attempted Administrator Privilege Gain", 1},
    {"successful-admin", "Successful Administrator Privilege Gain", 1},
    {"rpc-portmap-decode", "Decode of an RPC Query", 2},
    {"shellcode-detect", "Executable code was detected", 1},
    {"string-detect", "A suspicious string was detected", 3},
    {"suspicious-filename-detect", "A suspicious filename was detected", 2},
    {"suspicious-login", "An attempted login using a suspicious username was detected", 2},
    {"system-call-detect", "A system call was detected", 2},
    {"tcp-connection", "A TCP connection was detected", 4},
    {"trojan-activity", "A Network Trojan was detected", 1},
    {"unusual-client-port-connection", "A client was using an unusual port", 2},
    {"network-scan", "Detection of a Network Scan", 3},
    {"denial-of-service", "Detection of a Denial of Service Attack", 2},
    {"non-standard-protocol", "Detection of a non-standard protocol or event", 2},
    {"protocol-command-decode", "Generic Protocol Command Decode", 3},
    {"web-application-activity", "access to a potentially vulnerable web application", 2},
    {"web-application-attack", "Web Application Attack", 1},
    {"misc-activity", "Misc activity", 3},
    {"misc-attack", "Misc Attack", 2},
    {"icmp-event", "Generic ICMP event", 3},
    {"inappropriate-content", "Inappropriate Content was Detected", 1},
    {"policy-violation", "Potential Corporate Privacy Violation", 1},
    {"default-login-attempt", "Attempt to login by a default username and password", 2},
    // Emerging Threats
    {"targeted-activity", "Targeted Malicious Activity was Detected", 1},
    {"exploit-kit", "Exploit Kit Activity Detected", 1},
    {"external-ip-check", "Device Retrieving External IP Address Detected", 2},
    {"domain-c2", "Domain Observed Used for C2 Detected", 1},
    {"pup-activity", "Possibly Unwanted Program Detected", 2},
    {"credential-theft", "Successful Credential Theft Detected", 1},
    {"social-engineering", "Possible Social Engineering Attempted", 2},
    {"coin-mining", "Crypto Currency Mining Activity Detected", 2},
    {"command-and-control", "Malware Command and Control Activity Detected", 1},
    // Snort community rules
    {"sdf", "Sensitive Data was Transmitted Across the Network", 2},
    {"file-format", "Known malicious file or file based exploit", 1},
    {"malware-cnc", "Known malware command and control traffic", 1},
    {"client-side-exploit", "Known client side exploit attempt", 1},
};

// Suricata's reference.config.
constexpr std::pair<const char*, const char*> kDefaultReferences[] = {
    {"bugtraq", "http://www.securityfocus.com/bid/"},
    {"bid", "http://www.securityfocus.com/bid/"},
    {"cve", "http://cve.mitre.org/cgi-bin/cvename.cgi?name="},
    {"secunia", "http://www.secunia.com/advisories/"},
    {"arachnids", "http://www.whitehats.com/info/IDS"},
    {"mcafee", "http://vil.nai.com/vil/content/v_"},
    {"nessus", "http://cgi.nessus.org/plugins/dump.php3?id="},
    {"url", "http://"},
    {"et", "http://doc.emergingthreats.net/"},
    {"etpro", "http://doc.emergingthreatspro.com/"},
    {"telus", "http://"},
    {"osvdb", "http://osvdb.org/show/osvdb/"},
    {"threatexpert", "http://www.threatexpert.com/report.aspx?md5="},
    {"md5", "http://www.threatexpert.com/report.aspx?md5="},
    {"exploitdb", "http://www.exploit-db.com/exploits/"},
    {"openpacket", "https://www.openpacket.org/capture/grab/"},
    {"securitytracker", "http://securitytracker.com/id?"},
    {"xforce", "http://xforce.iss.net/xforce/xfdb/"},
    {"msft", "http://technet.microsoft.com/security/bulletin/"},
};

// Calls `on_line(number, text)` for every line that is not blank or a comment; stops at the
// first error it returns.
template <typename F>
Result<void> for_each_config_line(const std::string& path, F on_line) {
  std::ifstream in(path);
  if (!in) return make_error(std::string("cannot open: ") + std::strerror(errno), path);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::string_view t = trim(line);
    if (t.empty() || t.front() == '#') continue;
    Result<void> r = on_line(number, t);
    if (!r.ok()) return r;
  }
  return {};
}

// Strips "config <directive>:" and returns the rest, or nullopt when the line is not one.
std::optional<std::string_view> directive_value(std::string_view line, std::string_view directive) {
  if (line.substr(0, 6) != "config") return std::nullopt;
  std::string_view rest = trim(line.substr(6));
  if (rest.substr(0, directive.size()) != directive) return std::nullopt;
  rest = trim(rest.substr(directive.size()));
  if (rest.empty() || rest.front() != ':') return std::nullopt;
  return trim(rest.substr(1));
}

}  // namespace

ClassificationTable ClassificationTable::defaults() {
  ClassificationTable t;
  for (const DefaultClass& c : kDefaultClasses) t.add({c.name, c.description, c.priority});
  return t;
}

Result<ClassificationTable> ClassificationTable::load(const std::string& path) {
  ClassificationTable t;
  Result<void> r =
      for_each_config_line(path, [&](int number, std::string_view line) -> Result<void> {
        std::string where = path + ":" + std::to_string(number);
        auto value = directive_value(line, "classification");
        if (!value) {
          return make_error("expected 'config classification: name,description,priority'", where);
        }
        std::vector<std::string_view> parts = split(*value, ',');
        if (parts.size() != 3 || parts[0].empty()) {
          return make_error("expected 'config classification: name,description,priority'", where);
        }
        auto prio = parse_uint(parts[2]);
        if (!prio || *prio > 255) {
          return make_error("invalid priority '" + std::string(parts[2]) + "'", where);
        }
        t.add({to_lower(parts[0]), std::string(parts[1]), static_cast<int>(*prio)});
        return {};
      });
  if (!r.ok()) return r.error();
  return t;
}

const Classification* ClassificationTable::find(const std::string& name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) it = by_name_.find(to_lower(name));
  return it == by_name_.end() ? nullptr : &it->second;
}

void ClassificationTable::add(Classification c) {
  std::string key = c.name;
  by_name_.insert_or_assign(std::move(key), std::move(c));
}

std::string ClassificationTable::to_config_text() const {
  std::string out;
  for (const auto& [name, c] : by_name_) {
    out += "config classification: " + name + "," + c.description + "," +
           std::to_string(c.priority) + "\n";
  }
  return out;
}

std::string ReferenceTable::to_config_text() const {
  std::string out;
  for (const auto& [system, prefix] : prefix_) {
    out += "config reference: " + system + " " + prefix + "\n";
  }
  return out;
}

ReferenceTable ReferenceTable::defaults() {
  ReferenceTable t;
  for (const auto& [system, prefix] : kDefaultReferences) t.prefix_[system] = prefix;
  return t;
}

Result<ReferenceTable> ReferenceTable::load(const std::string& path) {
  ReferenceTable t;
  Result<void> r =
      for_each_config_line(path, [&](int number, std::string_view line) -> Result<void> {
        std::string where = path + ":" + std::to_string(number);
        auto value = directive_value(line, "reference");
        std::size_t space = value ? value->find_first_of(" \t") : std::string_view::npos;
        if (space == std::string_view::npos) {
          return make_error("expected 'config reference: system url-prefix'", where);
        }
        t.prefix_[to_lower(value->substr(0, space))] = std::string(trim(value->substr(space)));
        return {};
      });
  if (!r.ok()) return r.error();
  return t;
}

std::string ReferenceTable::url(const std::string& system, const std::string& id) const {
  auto it = prefix_.find(to_lower(system));
  if (it == prefix_.end()) return id;
  return it->second + id;
}

}  // namespace wp::detect
