// Rules written in a test, through the real parser: each text must parse (otherwise the
// test fails naming the rule and the error). Header-only, tests only (needs GoogleTest and
// wp_detect).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "detect/rules/rule_parser.h"

namespace wp::testing {

// Parses `texts` as lines 1, 2, ... of "test.rules"; the rules that parse, in order.
inline std::vector<detect::Rule> parse_rule_texts(detect::RuleParser& parser,
                                                  const std::vector<std::string>& texts) {
  std::vector<detect::Rule> rules;
  int line = 1;
  for (const std::string& t : texts) {
    auto r = parser.parse(t, "test.rules", line++);
    EXPECT_TRUE(r.ok()) << t << ": " << (r.ok() ? "" : r.error().describe());
    if (r.ok()) rules.push_back(std::move(r.value()));
  }
  return rules;
}

}  // namespace wp::testing
