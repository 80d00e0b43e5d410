// The payload inspection primitives (detect/engine/payload_inspect.h): the content search
// against a plain reference search, and the pruning of cursors that cannot match
// (Inspect::kExhausted) against inspection without it, on rules and payloads generated here.
#include "detect/engine/payload_inspect.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "detect/rules/rule_parser.h"

namespace wp::detect::inspect {
namespace {

// The first occurrence, byte by byte (ASCII case folded with nocase).
long reference_find(const std::string& hay, std::size_t from, std::size_t to,
                    const std::string& pat, bool nocase) {
  auto fold = [nocase](unsigned char c) {
    return nocase && c >= 'A' && c <= 'Z' ? static_cast<unsigned char>(c + 32) : c;
  };
  if (to < from || to - from < pat.size()) return -1;
  for (std::size_t i = from; i + pat.size() <= to; ++i) {
    std::size_t j = 0;
    while (j < pat.size() && fold(static_cast<unsigned char>(hay[i + j])) ==
                                 fold(static_cast<unsigned char>(pat[j]))) {
      ++j;
    }
    if (j == pat.size()) return static_cast<long>(i);
  }
  return -1;
}

TEST(PayloadInspect, FindAgreesWithAByteByByteSearchOnEveryRangeAndCase) {
  // Letters next to the bytes that differ from them only in bit 0x20 ('@' and '`', '[' and
  // '{'), so folding must not confuse them; haystacks long enough for several 16-byte steps.
  const std::string alphabet = "aAbB@`[{z\xc1\xe1";
  std::mt19937 rng(20261206);
  auto pick = [&](std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += alphabet[rng() % alphabet.size()];
    return s;
  };
  for (int trial = 0; trial < 20000; ++trial) {
    const std::string hay = pick(rng() % 70);
    std::string pat = pick(1 + rng() % 4);
    if (!hay.empty() && rng() % 2 == 0) {  // often a pattern taken from the haystack
      const std::size_t at = rng() % hay.size();
      pat = hay.substr(at, 1 + rng() % 5);
    }
    const std::size_t from = hay.empty() ? 0 : rng() % (hay.size() + 1);
    const std::size_t to = from + (hay.size() == from ? 0 : rng() % (hay.size() - from + 1));
    const bool nocase = rng() % 2 == 0;
    const auto* h = reinterpret_cast<const std::uint8_t*>(hay.data());
    ASSERT_EQ(find(h, from, to, pat, nocase), reference_find(hay, from, to, pat, nocase))
        << "hay '" << hay << "' [" << from << ", " << to << ") pat '" << pat << "' nocase "
        << nocase;
  }
}

TEST(PayloadInspect, FindDoesNotReadPastTheEndOfTheRange) {
  // The haystack ends at the end of a guarded allocation's usable part: a read past `to`
  // is caught by AddressSanitizer in the sanitizer run.
  for (std::size_t len = 1; len < 64; ++len) {
    std::vector<std::uint8_t> hay(len, 'x');
    hay[len - 1] = 'y';
    EXPECT_EQ(find(hay.data(), 0, len, "y", false), static_cast<long>(len - 1));
    EXPECT_EQ(find(hay.data(), 0, len, "XY", true), len >= 2 ? static_cast<long>(len - 2) : -1);
    EXPECT_EQ(find(hay.data(), 0, len, "xz", false), -1);
  }
}

// A rule's payload items with their own scratch, inspected over one payload with or without
// the pruning of exhausted cursors.
class Items {
 public:
  explicit Items(const Rule& rule) : rule_(rule) {
    md_ = pcre2_match_data_create(32, nullptr);
  }
  ~Items() { pcre2_match_data_free(md_); }
  Items(const Items&) = delete;
  Items& operator=(const Items&) = delete;

  // Whether the items match; `steps`: the recursion budget they used.
  bool match(const std::string& payload, bool prune, int& steps) {
    int budget = 1 << 30;
    InspectCtx cx{reinterpret_cast<const std::uint8_t*>(payload.data()),
                  payload.size(),
                  0,
                  0,
                  rule_.payload.size(),
                  &rule_.payload,
                  md_,
                  nullptr,
                  &budget,
                  vars_,
                  base64_,
                  sizeof base64_};
    cx.pcre_fallback = &fallback_;
    cx.counters = &counters_;
    cx.cursor_only = prune;
    const bool ok = inspect_items(cx, 0, 0, 0) == Inspect::kMatch;
    steps = (1 << 30) - budget;
    return ok;
  }

 private:
  const Rule& rule_;
  pcre2_match_data* md_;
  PcreFallback fallback_;
  Counters counters_;
  std::uint64_t vars_[8] = {};
  std::uint8_t base64_[256] = {};
};

// A random rule of 1 to 4 items over the letters a, b, c: contents (absolute or relative
// with distance and within, negated, nocase, endswith), relative isdataat and pcre
// (relative after the first item).
std::string random_options(std::mt19937& rng) {
  std::string out;
  const int items = 1 + static_cast<int>(rng() % 4);
  for (int k = 0; k < items; ++k) {
    const unsigned kind = rng() % 10;
    if (k > 0 && kind == 0) {
      out += "isdataat:" + std::to_string(rng() % 4) + ",relative; ";
      continue;
    }
    if (kind == 1) {
      // The second pattern's next match can end before the one before it ("abc", then "b").
      const char* pattern = rng() % 2 == 0 ? "[ab]c?" : "a[abc]?c|b";
      out += std::string("pcre:\"/") + pattern + (k > 0 ? "/R\"; " : "/\"; ");
      continue;
    }
    std::string c;
    for (unsigned n = 1 + rng() % 2; n > 0; --n) c += "abcA"[rng() % 4];
    out += rng() % 5 == 0 ? "content:!\"" + c + "\"; " : "content:\"" + c + "\"; ";
    if (rng() % 3 == 0) out += "nocase; ";
    if (k > 0 && rng() % 3 != 0) {
      out += "distance:" + std::to_string(static_cast<int>(rng() % 5) - 1) + "; ";
      if (rng() % 2 == 0) out += "within:" + std::to_string(c.size() + rng() % 5) + "; ";
    } else if (rng() % 4 == 0) {
      out += "endswith; ";
    }
  }
  return out;
}

TEST(PayloadInspect, PruningExhaustedCursorsNeverChangesWhetherARuleMatches) {
  RuleParser parser(RuleVars::suricata_defaults());
  std::mt19937 rng(61206);
  int rules = 0, pruned_cheaper = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    const std::string options = random_options(rng);
    auto parsed = parser.parse("alert tcp any any -> any any (msg:\"p\"; " + options + "sid:1;)",
                               "test.rules", 1);
    if (!parsed.ok()) continue;  // e.g. a within shorter than the content
    ++rules;
    const Rule rule = std::move(parsed).value();
    Items items(rule);
    for (int p = 0; p < 20; ++p) {
      std::string payload;
      for (unsigned n = rng() % 40; n > 0; --n) payload += "aabcA"[rng() % 5];
      int plain_steps = 0, pruned_steps = 0;
      const bool plain = items.match(payload, false, plain_steps);
      const bool pruned = items.match(payload, true, pruned_steps);
      ASSERT_EQ(pruned, plain) << options << " on '" << payload << "'";
      ASSERT_LE(pruned_steps, plain_steps) << options << " on '" << payload << "'";
      if (pruned_steps < plain_steps) ++pruned_cheaper;
    }
  }
  EXPECT_GT(rules, 1500);           // the generator mostly writes rules that load
  EXPECT_GT(pruned_cheaper, 1000);  // and pruning did happen
}

}  // namespace
}  // namespace wp::detect::inspect
