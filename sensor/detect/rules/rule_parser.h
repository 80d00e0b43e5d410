// Rule parsing: Suricata/Snort rule text -> Rule. Cold path (load and reload). A rule that
// cannot be loaded yields a RuleError naming file, line and the reason; the rest of the file
// still loads.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "detect/rules/rule.h"

namespace wp::detect {

// Address and port variables (vars.address-groups / vars.port-groups), by name without '$'.
// Values are rule-header text and may reference other variables.
struct RuleVars {
  std::map<std::string, std::string> address_groups;
  std::map<std::string, std::string> port_groups;

  // Suricata's default groups (HOME_NET = RFC 1918 networks, EXTERNAL_NET = !$HOME_NET,
  // HTTP_PORTS = 80, ...).
  static RuleVars suricata_defaults();
};

struct RuleError {
  std::string file;
  int line = 0;
  std::string message;  // "FILE:LINE: ..." ready to print
  std::string reason;   // short key for the load summary, e.g. "buffer 'http.uri' not supported yet"
  // The rule is well-formed but uses something recognised and not supported yet (an
  // app-layer protocol or buffer, or a keyword such as stream_size): what
  // `watchpost-rulecheck --allow-unsupported` turns into a warning.
  bool not_supported = false;

  // The file itself could not be opened or read (line 0): nothing in it was loaded.
  bool unreadable_file() const { return line <= 0; }
};

struct RuleFileResult {
  std::vector<Rule> rules;
  std::vector<RuleError> errors;
};

// Two rules with the same gid and sid: as Suricata, the one with the higher rev is kept (the
// first one when the revs are equal). Returns the error reported for the one that is not,
// at its place, naming the other's (reason "duplicate sid").
RuleError duplicate_sid_error(const Rule& first, const Rule& later);
// Whether `later` replaces `first` (see duplicate_sid_error).
inline bool duplicate_replaces(const Rule& first, const Rule& later) { return later.rev > first.rev; }

namespace lang {
// One keyword or buffer name of the rule language, for --list-keywords: its family ("meta",
// "payload", "byte", "header", "flow", "threshold", "buffer", "buffer (dns)", ...) and
// whether rules using it load (false: recognised, "not supported yet").
struct KeywordListing {
  std::string name;
  std::string family;
  bool supported = true;
};
// Every keyword and buffer name, the supported ones first, each group by name.
std::vector<KeywordListing> list_keywords();
}  // namespace lang

class RuleParser {
 public:
  explicit RuleParser(RuleVars vars);

  // Parses one rule (a complete, already joined line). `file` and `line` are used for
  // messages and copied into the Rule.
  Result<Rule> parse(std::string_view text, std::string_view file = "<rule>", int line = 0);

  // Parses a rule file: comments, blank lines, `\` continuations (a rule's line is the line
  // it starts on). A file that cannot be read is one RuleError with line 0.
  RuleFileResult parse_file(const std::string& path);

  // Resolves an address group written as in a rule header ("10.0.0.0/8", "[192.0.2.1,
  // 2001:db8::/32]", "$HOME_NET", "!$HOME_NET") against the variables, for other files that
  // name addresses (threshold.config's `ip`). The error message is the one a rule gets, e.g.
  // "invalid address: 'x' is not an IP address or CIDR block", without location.
  Result<std::shared_ptr<const AddressSet>> parse_address(std::string_view text);

 private:
  // parse(); on failure also fills `detail` (reason and not_supported) when non-null.
  Result<Rule> parse_rule(std::string_view text, std::string_view file, int line,
                          RuleError* detail);

  RuleVars vars_;
  // Resolved address/port sets are interned by their expanded text.
  std::map<std::string, std::shared_ptr<const AddressSet>> address_cache_;
  std::map<std::string, std::shared_ptr<const PortSet>> port_cache_;
};

}  // namespace wp::detect
