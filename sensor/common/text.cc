#include "common/text.h"

#include <cctype>
#include <charconv>
#include <cstdio>
#include <limits>

namespace wp {

namespace {

// ASCII, as std::isspace/std::tolower in the "C" locale, inlined: rule loading calls these
// for every byte of every rule.
bool ascii_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

}  // namespace

std::string_view trim(std::string_view s) {
  while (!s.empty() && ascii_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && ascii_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      parts.push_back(trim(s.substr(start)));
      break;
    }
    parts.push_back(trim(s.substr(start, pos - start)));
    start = pos + 1;
  }
  return parts;
}

std::optional<std::uint64_t> parse_uint(std::string_view s) {
  s = trim(s);
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  s = trim(s);
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  auto u = parse_uint(s);
  if (!u || *u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return std::nullopt;
  }
  auto v = static_cast<std::int64_t>(*u);
  return neg ? -v : v;
}

std::optional<std::uint64_t> parse_size(std::string_view s) {
  std::string t = to_lower(trim(s));
  std::uint64_t mult = 1;
  auto ends = [&](std::string_view suf) {
    return t.size() > suf.size() && t.compare(t.size() - suf.size(), suf.size(), suf) == 0;
  };
  if (ends("kib") || ends("kb")) {
    mult = 1024;
  } else if (ends("mib") || ends("mb")) {
    mult = 1024 * 1024;
  } else if (ends("gib") || ends("gb")) {
    mult = 1024ull * 1024 * 1024;
  }
  if (mult != 1) {
    while (!t.empty() && std::isalpha(static_cast<unsigned char>(t.back()))) t.pop_back();
  } else if (ends("b")) {
    t.pop_back();
  }
  auto v = parse_uint(t);
  if (!v || *v > std::numeric_limits<std::uint64_t>::max() / mult) return std::nullopt;
  return *v * mult;
}

std::optional<std::uint64_t> parse_duration_ms(std::string_view s) {
  std::string t = to_lower(trim(s));
  std::size_t digits = 0;
  while (digits < t.size() && std::isdigit(static_cast<unsigned char>(t[digits]))) ++digits;
  if (digits == 0) return std::nullopt;
  const std::string_view unit = std::string_view(t).substr(digits);
  std::uint64_t mult = 0;
  if (unit.empty() || unit == "s") {
    mult = 1000;
  } else if (unit == "ms") {
    mult = 1;
  } else if (unit == "m") {
    mult = 60'000;
  } else if (unit == "h") {
    mult = 3'600'000;
  } else if (unit == "d") {
    mult = 86'400'000;
  } else {
    return std::nullopt;
  }
  auto v = parse_uint(std::string_view(t).substr(0, digits));
  if (!v || *v > std::numeric_limits<std::uint64_t>::max() / mult) return std::nullopt;
  return *v * mult;
}

std::string duration_text(std::uint64_t ms) {
  struct Unit {
    std::uint64_t ms;
    const char* name;
  };
  static constexpr Unit kUnits[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}};
  for (const Unit& u : kUnits) {
    if (ms != 0 && ms % u.ms == 0) return std::to_string(ms / u.ms) + u.name;
  }
  return std::to_string(ms) + "ms";
}

std::string size_text(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int unit = 0;
  while (unit < 6 && bytes >= (std::uint64_t{1} << (10 * (unit + 1)))) ++unit;
  const std::uint64_t scale = std::uint64_t{1} << (10 * unit);
  const auto whole = static_cast<unsigned long long>(bytes / scale);
  const auto tenths = static_cast<unsigned long long>((bytes % scale) * 10 / scale);
  char buf[32];
  if (bytes % scale == 0) {
    std::snprintf(buf, sizeof buf, "%llu %s", whole, kUnits[unit]);
  } else {
    // Rounded down, so a value just below a limit never reads as the limit itself.
    std::snprintf(buf, sizeof buf, "%llu.%llu %s", whole, tenths, kUnits[unit]);
  }
  return buf;
}

std::optional<bool> parse_bool(std::string_view s) {
  std::string t = to_lower(trim(s));
  if (t == "yes" || t == "true" || t == "on" || t == "1") return true;
  if (t == "no" || t == "false" || t == "off" || t == "0") return false;
  return std::nullopt;
}

void for_each_logical_line(std::string_view data, std::string_view joiner,
                           const std::function<void(std::string_view, int)>& fn) {
  auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  std::string pending;
  bool continuing = false;
  int start_line = 0;
  int number = 0;
  std::size_t pos = 0;
  while (pos < data.size()) {
    std::size_t eol = data.find('\n', pos);
    if (eol == std::string_view::npos) eol = data.size();
    std::string_view line = data.substr(pos, eol - pos);
    pos = eol + 1;
    ++number;
    while (!line.empty() && is_space(line.back())) line.remove_suffix(1);
    if (!continuing) {
      std::string_view t = trim(line);
      if (t.empty() || t.front() == '#') continue;
      start_line = number;
    }
    if (!line.empty() && line.back() == '\\') {
      line.remove_suffix(1);
      pending.append(line);
      pending.append(joiner);
      continuing = true;
      continue;
    }
    if (!continuing) {
      fn(line, start_line);
    } else {
      pending.append(line);
      fn(pending, start_line);
      pending.clear();
      continuing = false;
    }
  }
  if (continuing) fn(pending, start_line);
}

std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const unsigned char c = byte(0);
    // Length of a well-formed sequence starting at i (Unicode table 3-7), 0 if none.
    std::size_t n = 0;
    if (c < 0x80) {
      n = 1;
    } else if (c >= 0xc2 && c <= 0xf4) {
      const std::size_t want = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
      if (i + want <= s.size()) {
        // The second byte's range depends on the first; the others are 80..BF.
        const unsigned char lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
        const unsigned char hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
        bool ok = byte(1) >= lo && byte(1) <= hi;
        for (std::size_t k = 2; ok && k < want; ++k) ok = (byte(k) & 0xc0) == 0x80;
        if (ok) n = want;
      }
    }
    if (n != 0) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out.push_back(static_cast<char>(0xc0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3f)));
      ++i;
    }
  }
  return out;
}

}  // namespace wp
