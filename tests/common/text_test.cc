#include "common/text.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace wp {
namespace {

TEST(Text, ParsesSizesWithSuricataSuffixes) {
  struct Case {
    const char* input;
    std::optional<std::uint64_t> expected;
  };
  const Case cases[] = {
      {"1024", 1024},
      {"10b", 10},
      {"64kb", 64 * 1024},
      {"64KB", 64 * 1024},
      {"1kib", 1024},
      {"1mb", 1024 * 1024},
      {"1mib", 1024 * 1024},
      {" 2gb ", 2ull * 1024 * 1024 * 1024},
      {"3GiB", 3ull * 1024 * 1024 * 1024},
      {"0", 0},
      {"", std::nullopt},
      {"mb", std::nullopt},
      {"1.5mb", std::nullopt},
      {"-1", std::nullopt},
      {"12 apples", std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(parse_size(c.input), c.expected) << "input: '" << c.input << "'";
  }
}

TEST(Text, ValidUtf8KeepsWellFormedSequencesAndReadsOtherBytesAsLatin1) {
  EXPECT_EQ(valid_utf8("plain ASCII"), "plain ASCII");
  EXPECT_EQ(valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(valid_utf8("caf\xe9"), "caf\xc3\xa9");                                // Latin-1 e-acute
  EXPECT_EQ(valid_utf8("\xc0\xaf"), "\xc3\x80\xc2\xaf");                          // overlong '/'
  EXPECT_EQ(valid_utf8("\xed\xa0\x80"), "\xc3\xad\xc2\xa0\xc2\x80");              // a surrogate
  EXPECT_EQ(valid_utf8("\xf4\x90\x80\x80"), "\xc3\xb4\xc2\x90\xc2\x80\xc2\x80");  // > U+10FFFF
  EXPECT_EQ(valid_utf8("\xe2\x82"), "\xc3\xa2\xc2\x82");  // cut short at the end
  EXPECT_EQ(valid_utf8(std::string("a\0b", 3)), std::string("a\0b", 3));
}

TEST(Text, ParsesSuricataBooleansCaseInsensitively) {
  struct Case {
    const char* input;
    std::optional<bool> expected;
  };
  const Case cases[] = {
      {"yes", true},       {"YES", true},       {"true", true},     {"on", true},
      {"1", true},         {" yes ", true},     {"no", false},      {"False", false},
      {"off", false},      {"0", false},        {"", std::nullopt}, {"maybe", std::nullopt},
      {"2", std::nullopt}, {"y", std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(parse_bool(c.input), c.expected) << "input: '" << c.input << "'";
  }
}

TEST(Text, ParsesDecimalAndHexUnsignedIntegers) {
  struct Case {
    const char* input;
    std::optional<std::uint64_t> expected;
  };
  const Case cases[] = {
      {"0", 0},
      {"12", 12},
      {" 7 ", 7},
      {"0x1F", 31},
      {"0X10", 16},
      {"18446744073709551615", 18446744073709551615ull},
      {"18446744073709551616", std::nullopt},  // overflow
      {"", std::nullopt},
      {"0x", std::nullopt},
      {"12abc", std::nullopt},
      {"-1", std::nullopt},
      {"+5", std::nullopt},
      {"1 2", std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(parse_uint(c.input), c.expected) << "input: '" << c.input << "'";
  }
}

TEST(Text, ParsesSignedIntegers) {
  EXPECT_EQ(parse_int("-42"), -42);
  EXPECT_EQ(parse_int("+42"), 42);
  EXPECT_EQ(parse_int("9223372036854775807"), 9223372036854775807ll);
  EXPECT_EQ(parse_int("9223372036854775808"), std::nullopt);
  EXPECT_EQ(parse_int("--1"), std::nullopt);
}

TEST(Text, SplitsOnSeparatorTrimmingPartsAndKeepingEmptyOnes) {
  struct Case {
    const char* input;
    char sep;
    std::vector<std::string> expected;
  };
  // clang-format off
  const Case cases[] = {
      {"a, b,,c", ',', {"a", "b", "", "c"}},
      {"", ',', {""}},
      {"single", ',', {"single"}},
      {" x ;y ", ';', {"x", "y"}},
      {"a,", ',', {"a", ""}},
      {"a b", ' ', {"a", "b"}},
  };
  // clang-format on
  for (const Case& c : cases) {
    std::vector<std::string> got;
    for (std::string_view part : split(c.input, c.sep)) got.emplace_back(part);
    EXPECT_EQ(got, c.expected) << "input: '" << c.input << "'";
  }
}

TEST(Text, TrimsWhitespaceAndLowersCase) {
  EXPECT_EQ(trim("  \t a b \n"), "a b");
  EXPECT_EQ(trim("   "), "");
  EXPECT_EQ(to_lower("HeLLo-1"), "hello-1");
}

}  // namespace
}  // namespace wp

namespace wp {
namespace {

TEST(LogicalLines, SkipCommentsAndJoinContinuationsKeepingTheFirstLineNumber) {
  std::vector<std::pair<std::string, int>> got;
  for_each_logical_line("# comment\n\nalert a \\\n  b;\r\n  # indented comment\nlast\\\n", "",
                        [&](std::string_view l, int n) { got.emplace_back(l, n); });
  EXPECT_EQ(got, (std::vector<std::pair<std::string, int>>{{"alert a   b;", 3}, {"last", 6}}));
  got.clear();
  for_each_logical_line("suppress gen_id 1,\\\nsig_id 2", " ",
                        [&](std::string_view l, int n) { got.emplace_back(l, n); });
  EXPECT_EQ(got, (std::vector<std::pair<std::string, int>>{{"suppress gen_id 1, sig_id 2", 1}}));
}

}  // namespace
}  // namespace wp

namespace wp {
namespace {

TEST(ParseSize, RejectsValuesThatOverflow) {
  EXPECT_EQ(parse_size("16777215gb"), std::optional<std::uint64_t>(16777215ull << 30));
  EXPECT_EQ(parse_size("17179869184gb"), std::nullopt);  // 2^34 GiB = 2^64 bytes
  EXPECT_EQ(parse_size("18446744073709551616"), std::nullopt);
}

TEST(SizeText, UsesTheLargestBinaryUnitWithOneDecimalRoundedDownUnlessExact) {
  EXPECT_EQ(size_text(0), "0 B");
  EXPECT_EQ(size_text(224), "224 B");
  EXPECT_EQ(size_text(1023), "1023 B");
  EXPECT_EQ(size_text(64 * 1024), "64 KiB");
  EXPECT_EQ(size_text(1536 * 1024), "1.5 MiB");
  EXPECT_EQ(size_text(8ull << 30), "8 GiB");
  EXPECT_EQ(size_text(25276166144ull), "23.5 GiB");
  EXPECT_EQ(size_text(65535), "63.9 KiB");
  EXPECT_EQ(size_text(1000000ull << 30), "976.5 TiB");
  EXPECT_EQ(size_text(~0ull), "15.9 EiB");
}

TEST(ParseDuration, ReadsSecondsByDefaultAndTheConfigurationUnits) {
  struct Case {
    const char* text;
    std::optional<std::uint64_t> ms;
  };
  const Case cases[] = {
      {"30", 30'000},
      {"30s", 30'000},
      {"50ms", 50},
      {" 2m ", 120'000},
      {"1h", 3'600'000},
      {"1D", 86'400'000},
      {"0", 0},
      {"", std::nullopt},
      {"s", std::nullopt},
      {"5 s", std::nullopt},
      {"5sec", std::nullopt},
      {"-1s", std::nullopt},
      {"1.5s", std::nullopt},
      {"18446744073709551615s", std::nullopt},
  };
  for (const Case& c : cases) EXPECT_EQ(parse_duration_ms(c.text), c.ms) << c.text;
}

TEST(DurationText, UsesTheLargestUnitThatDividesTheValue) {
  EXPECT_EQ(duration_text(50), "50ms");
  EXPECT_EQ(duration_text(1500), "1500ms");
  EXPECT_EQ(duration_text(30'000), "30s");
  EXPECT_EQ(duration_text(120'000), "2m");
  EXPECT_EQ(duration_text(0), "0ms");
}

}  // namespace
}  // namespace wp
