// libFuzzer target: rule text and threshold.config text from the input through the real
// parsers (and, for rules that parse, the rule-set compiler). Looks for crashes, hangs and
// sanitizer reports on malformed administrator input; every error must be a clean message.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "detect/compile/classification.h"
#include "detect/rules/rule_parser.h"
#include "detect/compile/rule_set.h"
#include "detect/compile/threshold_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace wp::detect;
  static const RuleVars vars = RuleVars::suricata_defaults();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  RuleParser parser(vars);
  auto r = parser.parse(std::string(text), "fuzz.rules", 1);
  if (r.ok()) {
    std::vector<Rule> rules;
    rules.push_back(std::move(r.value()));
    auto set = RuleSet::build(std::move(rules), ClassificationTable::defaults(), nullptr);
    (void)set;
  }
  auto t = parse_threshold_config(text, "fuzz.config", parser);
  (void)t;
  return 0;
}
