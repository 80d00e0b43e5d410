// The byte keywords: byte_test, byte_jump, byte_extract, byte_math (keyword.h).
#include <algorithm>
#include <limits>

#include "common/text.h"
#include "detect/rules/keyword.h"

namespace wp::detect::lang {
namespace {

MaybeFailure check_nbytes(std::string_view keyword, const ByteRead& r, bool zero_ok) {
  const int n = r.nbytes;
  auto base_name = [&]() {
    return std::string(r.base == 16 ? "hex" : r.base == 8 ? "oct" : "dec");
  };
  if (keyword == "byte_math") {
    if (r.base != 0 && (n < 1 || n > 10)) {
      return invalid(keyword, std::to_string(n) + " bytes with 'string' (1 to 10)");
    }
    if (r.base == 0 && n != 1 && n != 2 && n != 3 && n != 4 && n != 8) {
      return invalid(keyword, std::to_string(n) + " bytes without 'string' (1, 2, 3, 4 or 8)");
    }
    return std::nullopt;
  }
  if (r.base == 0) {
    if (n < 1 || n > 8) {
      return invalid(keyword, std::to_string(n) + " bytes without 'string' (1 to 8)");
    }
    return std::nullopt;
  }
  int max = 23;
  if (keyword == "byte_test") max = r.base == 16 ? 16 : r.base == 10 ? 20 : 23;
  if (keyword == "byte_extract") max = r.base == 16 ? 14 : r.base == 10 ? 20 : 23;
  if ((n == 0 && !zero_ok) || n > max) {
    return invalid(keyword, std::to_string(n) + " bytes with 'string " + base_name() + "' (" +
                                (zero_ok ? "0" : "1") + " to " + std::to_string(max) + ")");
  }
  return std::nullopt;
}

MaybeFailure parse_nbytes(std::string_view keyword, std::string_view text, ByteRead& r) {
  auto n = parse_decimal(text, 255);
  if (!n) return invalid(keyword, quoted(text) + " is not a valid number of bytes");
  r.nbytes = static_cast<std::uint8_t>(*n);
  return std::nullopt;
}

// byte_jump's first argument and byte_math's `bytes`: a count, or (Suricata 8) the name of a
// variable set by an earlier byte_extract or byte_math, whose value is checked at run time.
MaybeFailure parse_nbytes_or_var(const RuleBuilder& b, std::string_view keyword,
                                 std::string_view text, ByteRead& r) {
  text = trim(text);
  if (!is_var_name(text)) return parse_nbytes(keyword, text, r);
  std::int64_t unused = 0;
  return b.number_or_var(keyword, "bytes", text, 0, 0, unused, r.nbytes_var);
}

MaybeFailure parse_bitmask(std::string_view keyword, std::string_view text, ByteRead& r) {
  auto m = parse_c_unsigned(text);
  if (!m || *m == 0 || *m > std::numeric_limits<std::uint32_t>::max()) {
    return invalid(keyword, "bitmask " + quoted(text) + " is not a number from 1 to 0xffffffff");
  }
  r.bitmask = static_cast<std::uint32_t>(*m);
  return std::nullopt;
}

Failure dce_not_supported(std::string_view keyword) {
  std::string reason = std::string(keyword) + " option 'dce' not supported yet";
  return not_supported(reason, reason + " (needs the dcerpc parser)");
}

constexpr std::int64_t kMaxByteOffset = 65535;

// The options after the fixed arguments of byte_test, byte_jump and byte_extract.
MaybeFailure parse_byte_options(RuleBuilder& b, std::string_view keyword,
                                const std::vector<std::string_view>& parts, std::size_t first,
                                ByteRead& read, ByteJump* jump, ByteExtract* extract, bool& dce) {
  std::vector<std::string> seen;
  std::uint8_t base = 0;
  bool string = false;
  for (std::size_t i = first; i < parts.size(); ++i) {
    std::string_view part = parts[i];
    std::size_t space = part.find_first_of(" \t");
    std::string key = to_lower(part.substr(0, space));
    std::string_view arg = space == std::string_view::npos ? "" : trim(part.substr(space));
    std::string group = key;  // options that exclude each other share a group
    const bool takes_arg = (key == "bitmask" && extract == nullptr) ||
                           (key == "multiplier" && (jump != nullptr || extract != nullptr)) ||
                           (key == "post_offset" && jump != nullptr) ||
                           (key == "align" && extract != nullptr);
    if (takes_arg && arg.empty()) return invalid(keyword, quoted(key) + " needs a value");
    if (!takes_arg && !arg.empty()) return invalid(keyword, "unknown option " + quoted(part));
    if (key == "relative") {
      read.relative = true;
    } else if (key == "big" || key == "little" || key == "dce") {
      group = "endianness";
      read.little_endian = key == "little";
      dce = dce || key == "dce";
    } else if (key == "string") {
      string = true;
    } else if (key == "hex" || key == "dec" || key == "oct") {
      group = "hex/dec/oct";
      base = key == "hex" ? 16 : key == "dec" ? 10 : 8;
    } else if (key == "bitmask" && extract == nullptr) {
      if (auto f = parse_bitmask(keyword, arg, read)) return f;
    } else if (key == "multiplier" && (jump != nullptr || extract != nullptr)) {
      auto m = parse_c_integer(arg, 1, 65535);
      if (!m)
        return invalid(keyword, "multiplier " + quoted(arg) + " is not a number from 1 to 65535");
      (jump != nullptr ? jump->multiplier : extract->multiplier) = static_cast<std::uint32_t>(*m);
    } else if (key == "align" && jump != nullptr) {
      jump->align = true;
    } else if (key == "align" && extract != nullptr) {
      if (arg != "2" && arg != "4")
        return invalid(keyword, "align " + quoted(arg) + " is not 2 or 4");
      extract->align = static_cast<std::uint8_t>(arg[0] - '0');
    } else if ((key == "from_beginning" || key == "from_end") && jump != nullptr) {
      group = "from_beginning/from_end";
      (key == "from_end" ? jump->from_end : jump->from_beginning) = true;
    } else if (key == "post_offset" && jump != nullptr) {
      auto n = parse_c_integer(arg, -kMaxByteOffset, kMaxByteOffset);
      if (!n) {
        return invalid(keyword,
                       "post_offset " + quoted(arg) + " is not a number from -65535 to 65535");
      }
      jump->post_offset = static_cast<std::int32_t>(*n);
    } else {
      return invalid(keyword, "unknown option " + quoted(part));
    }
    if (std::find(seen.begin(), seen.end(), group) != seen.end()) {
      return invalid(keyword, quoted(group) + " given twice");
    }
    seen.push_back(group);
  }
  if (base != 0 && !string) {
    return invalid(keyword, std::string("'") +
                                (base == 16   ? "hex"
                                 : base == 10 ? "dec"
                                              : "oct") +
                                "' needs 'string'");
  }
  if (string) read.base = base != 0 ? base : 10;
  return std::nullopt;
}

// byte_test:bytes, [!]operator, value, offset[, relative][, big|little|dce]
//           [, string[, hex|dec|oct]][, bitmask MASK]
MaybeFailure parse_byte_test(RuleBuilder& b, std::string_view value) {
  constexpr std::string_view kKw = "byte_test";
  std::vector<std::string_view> parts = split(value, ',');
  if (parts.size() < 4) {
    return invalid(kKw, "expected 'bytes, [!]operator, value, offset[, options]'");
  }
  ByteTest t;
  if (auto f = parse_nbytes(kKw, parts[0], t.read)) return f;
  std::string_view op = parts[1];
  if (!op.empty() && op.front() == '!') {
    t.negated = true;
    op = trim(op.substr(1));
  }
  if (op == "<") {
    t.op = ByteTest::Op::kLt;
  } else if (op == ">") {
    t.op = ByteTest::Op::kGt;
  } else if (op == "=" || (op.empty() && t.negated)) {  // a lone "!" means "!="
    t.op = ByteTest::Op::kEq;
  } else if (op == "<=") {
    t.op = ByteTest::Op::kLe;
  } else if (op == ">=") {
    t.op = ByteTest::Op::kGe;
  } else if (op == "&") {
    t.op = ByteTest::Op::kAnd;
  } else if (op == "^") {
    t.op = ByteTest::Op::kXor;
  } else {
    return invalid(kKw, "unknown operator " + quoted(parts[1]));
  }
  if (is_var_name(parts[2])) {
    std::int64_t unused = 0;
    if (auto f = b.number_or_var(kKw, "value", parts[2], 0, 0, unused, t.value_var)) return f;
  } else {
    auto n = parse_c_unsigned(parts[2]);
    if (!n) return invalid(kKw, "value " + quoted(parts[2]) + " is not a number");
    t.value = *n;
  }
  std::int64_t offset = 0;
  if (auto f = b.number_or_var(kKw, "offset", parts[3], -kMaxByteOffset, kMaxByteOffset, offset,
                               t.read.offset_var)) {
    return f;
  }
  t.read.offset = static_cast<std::int32_t>(offset);
  bool dce = false;
  if (auto f = parse_byte_options(b, kKw, parts, 4, t.read, nullptr, nullptr, dce)) return f;
  if (auto f = check_nbytes(kKw, t.read, true)) return f;
  b.add_item(t);
  if (dce) return dce_not_supported(kKw);
  return std::nullopt;
}

// byte_jump:bytes, offset[, relative][, multiplier N][, big|little|dce][, string[, hex|dec|oct]]
//           [, align][, from_beginning|from_end][, post_offset N][, bitmask MASK]
MaybeFailure parse_byte_jump(RuleBuilder& b, std::string_view value) {
  constexpr std::string_view kKw = "byte_jump";
  std::vector<std::string_view> parts = split(value, ',');
  if (parts.size() < 2) return invalid(kKw, "expected 'bytes, offset[, options]'");
  ByteJump j;
  if (auto f = parse_nbytes_or_var(b, kKw, parts[0], j.read)) return f;
  std::int64_t offset = 0;
  if (auto f = b.number_or_var(kKw, "offset", parts[1], -kMaxByteOffset, kMaxByteOffset, offset,
                               j.read.offset_var)) {
    return f;
  }
  j.read.offset = static_cast<std::int32_t>(offset);
  bool dce = false;
  if (auto f = parse_byte_options(b, kKw, parts, 2, j.read, &j, nullptr, dce)) return f;
  if (j.read.nbytes_var == kNoVar) {
    if (auto f = check_nbytes(kKw, j.read, false)) return f;
  }
  b.add_item(j);
  if (dce) return dce_not_supported(kKw);
  return std::nullopt;
}

// byte_extract:bytes, offset, name[, relative][, multiplier N][, big|little|dce]
//              [, string[, hex|dec|oct]][, align 2|4]
MaybeFailure parse_byte_extract(RuleBuilder& b, std::string_view value) {
  constexpr std::string_view kKw = "byte_extract";
  std::vector<std::string_view> parts = split(value, ',');
  if (parts.size() < 3) return invalid(kKw, "expected 'bytes, offset, name[, options]'");
  ByteExtract e;
  if (auto f = parse_nbytes(kKw, parts[0], e.read)) return f;
  auto offset = parse_c_integer(parts[1], -kMaxByteOffset, kMaxByteOffset);
  if (!offset) {
    return invalid(kKw, "offset " + quoted(parts[1]) + " is not a number from -65535 to 65535");
  }
  e.read.offset = static_cast<std::int32_t>(*offset);
  bool dce = false;
  if (auto f = parse_byte_options(b, kKw, parts, 3, e.read, nullptr, &e, dce)) return f;
  if (auto f = check_nbytes(kKw, e.read, false)) return f;
  if (auto f = b.define_var(kKw, parts[2], e.var)) return f;
  b.add_item(e);
  if (dce) return dce_not_supported(kKw);
  return std::nullopt;
}

// byte_math:bytes N, offset N, oper OP, rvalue N|VAR, result NAME[, relative]
//           [, endian big|little|dce][, string hex|dec|oct][, dce][, bitmask MASK]
MaybeFailure parse_byte_math(RuleBuilder& b, std::string_view value) {
  constexpr std::string_view kKw = "byte_math";
  ByteMath m;
  std::vector<std::string> seen;
  std::string_view result;
  bool dce = false;
  for (std::string_view part : split(value, ',')) {
    std::size_t space = part.find_first_of(" \t");
    std::string key = to_lower(part.substr(0, space));
    std::string_view arg = space == std::string_view::npos ? "" : trim(part.substr(space));
    bool flag = key == "relative" || key == "dce";
    if (flag && !arg.empty()) return invalid(kKw, "unknown option " + quoted(part));
    if (!flag && arg.empty()) {
      if (key == "bytes" || key == "offset" || key == "oper" || key == "rvalue" ||
          key == "result" || key == "endian" || key == "string" || key == "bitmask") {
        return invalid(kKw, quoted(key) + " needs a value");
      }
      return invalid(kKw, "unknown option " + quoted(part));
    }
    if (key == "bytes") {
      if (auto f = parse_nbytes_or_var(b, kKw, arg, m.read)) return f;
    } else if (key == "offset") {
      auto n = parse_c_integer(arg, -kMaxByteOffset, kMaxByteOffset);
      if (!n)
        return invalid(kKw, "offset " + quoted(arg) + " is not a number from -65535 to 65535");
      m.read.offset = static_cast<std::int32_t>(*n);
    } else if (key == "oper") {
      if (arg == "+") {
        m.oper = ByteMath::Oper::kAdd;
      } else if (arg == "-") {
        m.oper = ByteMath::Oper::kSub;
      } else if (arg == "*") {
        m.oper = ByteMath::Oper::kMul;
      } else if (arg == "/") {
        m.oper = ByteMath::Oper::kDiv;
      } else if (arg == "<<") {
        m.oper = ByteMath::Oper::kShl;
      } else if (arg == ">>") {
        m.oper = ByteMath::Oper::kShr;
      } else {
        return invalid(kKw, "unknown operator " + quoted(arg) + " (+, -, *, /, << or >>)");
      }
    } else if (key == "rvalue") {
      if (is_var_name(arg)) {
        std::int64_t unused = 0;
        if (auto f = b.number_or_var(kKw, "rvalue", arg, 0, 0, unused, m.rvalue_var)) return f;
      } else {
        auto n = parse_c_unsigned(arg);
        if (!n || *n > std::numeric_limits<std::uint32_t>::max()) {
          return invalid(kKw, "rvalue " + quoted(arg) + " is not a number from 0 to 4294967295");
        }
        m.rvalue = *n;
      }
    } else if (key == "result") {
      result = arg;
    } else if (key == "relative") {
      m.read.relative = true;
    } else if (key == "endian") {
      std::string e = to_lower(arg);
      if (e == "dce") {
        dce = true;
      } else if (e == "big" || e == "little") {
        m.read.little_endian = e == "little";
      } else {
        return invalid(kKw, "endian " + quoted(arg) + " is not big, little or dce");
      }
    } else if (key == "dce") {
      dce = true;
    } else if (key == "string") {
      std::string b = to_lower(arg);
      m.read.base = b == "hex" ? 16 : b == "dec" ? 10 : b == "oct" ? 8 : 0;
      if (m.read.base == 0)
        return invalid(kKw, "string " + quoted(arg) + " is not hex, dec or oct");
    } else if (key == "bitmask") {
      if (auto f = parse_bitmask(kKw, arg, m.read)) return f;
    } else {
      return invalid(kKw, "unknown option " + quoted(part));
    }
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      return invalid(kKw, quoted(key) + " given twice");
    }
    seen.push_back(key);
  }
  for (const char* required : {"bytes", "offset", "oper", "rvalue", "result"}) {
    if (std::find(seen.begin(), seen.end(), required) == seen.end()) {
      return invalid(kKw, std::string("missing '") + required + "'");
    }
  }
  if (m.read.nbytes_var == kNoVar) {
    if (auto f = check_nbytes(kKw, m.read, false)) return f;
  }
  if (m.rvalue_var == kNoVar && m.rvalue == 0 && m.oper == ByteMath::Oper::kDiv) {
    return invalid(kKw, "division by zero");
  }
  if (auto f = b.define_var(kKw, result, m.result_var)) return f;
  b.add_item(m);
  if (dce) return dce_not_supported(kKw);
  return std::nullopt;
}

constexpr KeywordDef kByteKeywords[] = {
    {.name = "byte_test", .family = KeywordFamily::kByte, .parse = with_value<parse_byte_test>},
    {.name = "byte_jump", .family = KeywordFamily::kByte, .parse = with_value<parse_byte_jump>},
    {.name = "byte_extract",
     .family = KeywordFamily::kByte,
     .parse = with_value<parse_byte_extract>},
    {.name = "byte_math", .family = KeywordFamily::kByte, .parse = with_value<parse_byte_math>},
};

}  // namespace

std::span<const KeywordDef> byte_keywords() { return kByteKeywords; }

}  // namespace wp::detect::lang
