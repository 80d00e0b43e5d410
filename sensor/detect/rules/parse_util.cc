// Value parsing shared by the keyword families (rules/keyword.h).
#include <algorithm>
#include <cctype>
#include <limits>

#include "common/text.h"
#include "detect/rules/keyword.h"

namespace wp::detect::lang {

Failure failure(std::string reason, const std::string& detail) {
  std::string message = detail.empty() ? reason : reason + ": " + detail;
  return {std::move(reason), std::move(message)};
}

Failure not_supported(std::string reason, std::string message) {
  if (message.empty()) message = reason;
  return {std::move(reason), std::move(message), true};
}

Failure invalid(std::string_view keyword, const std::string& detail) {
  return failure("invalid " + std::string(keyword), detail);
}

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A decimal number within [0, max]; no sign, no hex.
std::optional<std::int64_t> parse_decimal(std::string_view s, std::int64_t max) {
  s = trim(s);
  if (!is_digits(s) || s.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  if (v > max) return std::nullopt;
  return v;
}

// An unsigned integer as Suricata reads keyword values (strtoull with base 0): decimal,
// 0x-prefixed hex, or octal with a leading 0. The whole text must be the number.
std::optional<std::uint64_t> parse_c_unsigned(std::string_view s) {
  s = trim(s);
  unsigned base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  } else if (s.size() > 1 && s[0] == '0') {
    base = 8;
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : 99;
    if (d >= static_cast<int>(base)) return std::nullopt;
    if (v > (std::numeric_limits<std::uint64_t>::max() - static_cast<unsigned>(d)) / base) {
      return std::nullopt;
    }
    v = v * base + static_cast<unsigned>(d);
  }
  return v;
}

// parse_c_unsigned with an optional leading '-', within [min, max].
std::optional<std::int64_t> parse_c_integer(std::string_view s, std::int64_t min,
                                            std::int64_t max) {
  s = trim(s);
  bool negative = !s.empty() && s.front() == '-';
  auto mag = parse_c_unsigned(negative ? s.substr(1) : s);
  if (!mag || *mag > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return std::nullopt;
  }
  std::int64_t v = negative ? -static_cast<std::int64_t>(*mag) : static_cast<std::int64_t>(*mag);
  if (v < min || v > max) return std::nullopt;
  return v;
}

// A byte_extract/byte_math variable name where a keyword takes a number: Suricata treats a
// value that starts with a letter as a variable name.
bool is_var_name(std::string_view v) {
  v = trim(v);
  return !v.empty() && (std::isalpha(static_cast<unsigned char>(v[0])) || v[0] == '_');
}

bool valid_var_name(std::string_view v) {
  return is_var_name(v) && std::all_of(v.begin(), v.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
         });
}

// ---------------------------------------------------------------------------------------
// Option values

// Resolves the escapes Suricata allows in a quoted option value (\" \; \\ \:), leaving other
// backslashes as written.
std::string unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() &&
        (s[i + 1] == '"' || s[i + 1] == ';' || s[i + 1] == '\\' || s[i + 1] == ':')) {
      ++i;
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string_view strip_quotes(std::string_view s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

// As in Suricata, only the ';' that ends the option may follow a quoted value's closing quote.
// Anything else is nearly always a missing ';' that swallowed the next option
// (`msg:"x" flow:established;`).
MaybeFailure text_after_quote(std::string_view keyword, std::string_view rest) {
  rest = trim(rest);
  if (rest.empty()) return std::nullopt;
  if (rest.front() == ',' && keyword == "content") {
    // Snort 3 writes content's modifiers after a comma: content:"x",depth 16,nocase;
    return snort3_syntax("content options after a comma (" + quoted(rest.substr(0, 40)) +
                         "), write each as an option of its own (content:\"x\"; depth:16)");
  }
  return invalid(keyword, "unexpected text after the closing quote: " + quoted(rest.substr(0, 40)));
}

Failure snort3_syntax(const std::string& what) {
  return {"Snort 3 syntax", "Snort 3 syntax is not supported: " + what};
}

bool snort3_keyword(std::string_view name) {
  // Keywords only Snort 3 has (Suricata and Snort 2 rules never use them).
  static constexpr std::string_view kSnort3[] = {
      "service", "bufferlen", "raw_data", "js_data", "vba_data", "rem", "file_type",
      "file_meta", "http_param", "http_trailer", "http_raw_trailer", "http_true_ip",
      "http_version_match", "http_num_headers", "http_num_trailers", "http_max_header_line",
      "http_max_trailer_line", "http_num_cookies", "sip_header", "sip_body", "script_data",
      "regex", "sd_pattern", "cvs", "so"};
  for (std::string_view k : kSnort3) {
    if (k == name) return true;
  }
  return false;
}

// A quoted value (after an optional '!'). `first_quote_closes`: the first unescaped '"' ends
// it (msg, content); otherwise the last one does (a pcre pattern may contain a '"', which
// Suricata allows). Unquoted values are left to the keyword.
MaybeFailure check_closing_quote(std::string_view keyword, std::string_view value,
                                 bool first_quote_closes) {
  std::string_view v = trim(value);
  if (!v.empty() && v.front() == '!') v = trim(v.substr(1));
  if (v.empty() || v.front() != '"') return std::nullopt;
  std::size_t close = std::string_view::npos;
  if (first_quote_closes) {
    for (std::size_t i = 1; i < v.size(); ++i) {
      if (v[i] == '\\') {
        ++i;
      } else if (v[i] == '"') {
        close = i;
        break;
      }
    }
  } else if (const std::size_t last = v.rfind('"'); last > 0) {
    close = last;
  }
  if (close == std::string_view::npos) return invalid(keyword, "unterminated string");
  return text_after_quote(keyword, v.substr(close + 1));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// content:"..." with |hex| blocks and escapes.
MaybeFailure decode_content(std::string_view value, ContentMatch& out) {
  std::string_view v = trim(value);
  if (!v.empty() && v.front() == '!') {
    out.negated = true;
    v = trim(v.substr(1));
  }
  if (v.empty() || v.front() != '"') return invalid("content", "value must be a quoted string");
  std::string& bytes = out.bytes;
  bool in_hex = false;
  int nibble = -1;  // pending high nibble inside a hex block
  std::size_t i = 1;
  for (; i < v.size(); ++i) {
    char c = v[i];
    if (in_hex) {
      if (c == '|') {
        if (nibble >= 0) return invalid("content", "odd number of hex digits");
        in_hex = false;
      } else if (is_space(c)) {
        continue;  // also between the two digits of a byte, as Suricata allows
      } else if (int h = hex_value(c); h >= 0) {
        if (nibble < 0) {
          nibble = h;
        } else {
          bytes.push_back(static_cast<char>(nibble << 4 | h));
          nibble = -1;
        }
      } else if (c == '"') {
        break;  // reported as an unterminated hex block below
      } else {
        return invalid("content", "invalid hex character " + quoted(std::string(1, c)));
      }
      continue;
    }
    if (c == '"') break;
    if (c == '|') {
      in_hex = true;
    } else if (c == '\\') {
      if (i + 1 >= v.size()) return invalid("content", "unterminated string");
      char e = v[++i];
      if (e != '"' && e != ';' && e != '\\' && e != ':') {
        return invalid("content", "invalid escape " + quoted(std::string("\\") + e));
      }
      bytes.push_back(e);
    } else {
      bytes.push_back(c);
    }
  }
  if (in_hex) return invalid("content", "unterminated hex block");
  if (i >= v.size()) return invalid("content", "unterminated string");
  if (auto f = text_after_quote("content", v.substr(i + 1))) return f;
  if (bytes.empty()) return invalid("content", "empty content");
  return std::nullopt;
}

std::optional<NumCmp> parse_numcmp(std::string_view text, std::int64_t max, unsigned forms) {
  std::string_view v = trim(text);
  NumCmp c;
  auto number = [&](std::string_view s) -> std::optional<std::int64_t> {
    s = trim(s);
    if ((forms & kAllowHex) != 0 && s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
      auto n = parse_c_unsigned(s);
      if (!n || *n > static_cast<std::uint64_t>(max)) return std::nullopt;
      return static_cast<std::int64_t>(*n);
    }
    return parse_decimal(s, max);
  };
  bool negated = false;
  if (!v.empty() && v[0] == '!' && (forms & kAllowNot) != 0) {
    negated = true;
    v.remove_prefix(v.size() > 1 && v[1] == '=' && (forms & kAllowNotRange) != 0 ? 2 : 1);
    v = trim(v);
  }
  if ((forms & kAllowRange) != 0 && (!negated || (forms & kAllowNotRange) != 0)) {
    std::size_t sep = v.find("<>");
    std::size_t sep_len = 2;
    if (sep == std::string_view::npos) {
      sep = v.find('-');
      sep_len = 1;
    }
    if (sep != std::string_view::npos && sep > 0) {
      auto a = number(v.substr(0, sep));
      auto b = number(v.substr(sep + sep_len));
      if (!a || !b || *a >= *b) return std::nullopt;
      c.op = negated ? NumCmp::Op::kNotRangeExclusive : NumCmp::Op::kRangeExclusive;
      c.a = *a;
      c.b = *b;
      return c;
    }
  }
  if (negated) {
    c.op = NumCmp::Op::kNe;
  } else if (!v.empty() && (v[0] == '<' || v[0] == '>') && (forms & kAllowLtGt) != 0) {
    bool lt = v[0] == '<';
    bool eq = v.size() > 1 && v[1] == '=';
    v.remove_prefix(eq ? 2 : 1);
    c.op = lt ? (eq ? NumCmp::Op::kLe : NumCmp::Op::kLt) : (eq ? NumCmp::Op::kGe : NumCmp::Op::kGt);
  } else if (v.size() > 1 && v[0] == '=' && (forms & kAllowLtGt) != 0) {
    v.remove_prefix(1);
  }
  auto a = number(v);
  if (!a) return std::nullopt;
  c.a = *a;
  return c;
}

// A comparison that no value in [0, max] satisfies: "<0", ">255" on an 8-bit field, an
// exclusive range with nothing between its ends ("5<>6"). A mistake, not a rule: Suricata
// rejects these too.
bool never_matches(const NumCmp& c, std::int64_t max) {
  switch (c.op) {
    case NumCmp::Op::kLt:
      return c.a <= 0;
    case NumCmp::Op::kGt:
      return c.a >= max;
    case NumCmp::Op::kRangeExclusive:
      return c.b - c.a <= 1;
    case NumCmp::Op::kRangeInclusive:
      return c.a > c.b;
    case NumCmp::Op::kNotRangeExclusive:  // excludes at most the values between 0 and max
      return c.a < 0 && c.b > max;
    default:
      return false;
  }
}

std::string never_matches_message(std::string_view text) {
  return quoted(trim(text)) + " can never match";
}

}  // namespace wp::detect::lang
