// Small text helpers for the cold path (configuration and rule parsing).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wp {

std::string_view trim(std::string_view s);
std::string to_lower(std::string_view s);
// Splits on `sep`, trimming each part; empty parts are kept.
std::vector<std::string_view> split(std::string_view s, char sep);
// Decimal (or 0x-prefixed hex) unsigned integer; nullopt on junk or overflow.
std::optional<std::uint64_t> parse_uint(std::string_view s);
std::optional<std::int64_t> parse_int(std::string_view s);
// Sizes as suricata.yaml writes them: "1mb", "64kb", "2gb", "1024" (bytes).
std::optional<std::uint64_t> parse_size(std::string_view s);
// Durations as the configuration writes them, in milliseconds: "30" (seconds), "50ms", "5s",
// "2m", "1h", "1d"; nullopt on junk, another unit or overflow.
std::optional<std::uint64_t> parse_duration_ms(std::string_view s);
// A duration for people: "50ms", "5s", "2m", "1h", "1d" (the largest unit that divides it).
std::string duration_text(std::uint64_t ms);
// A byte count for people, in the largest binary unit it reaches: "224 B", "64 KiB",
// "23.5 GiB" (one decimal, rounded down, unless exact).
std::string size_text(std::uint64_t bytes);
// `s` as valid UTF-8 (RFC 3629: no overlong forms, surrogates or code points past U+10FFFF):
// well-formed sequences are kept, every other byte b becomes U+00b (as Latin-1 reads it, and
// as the EVE writer's \u00XX escape reads). Protobuf `string` fields must hold valid UTF-8:
// a parser rejects the whole message otherwise.
std::string valid_utf8(std::string_view s);
// Suricata booleans: yes/no, true/false, on/off, 1/0.
std::optional<bool> parse_bool(std::string_view s);

// The logical lines of a rules or threshold.config file: calls fn(line, first line number)
// for each, skipping blank lines and '#' comments; a line ending in a backslash continues on
// the next one, joined with `joiner` (Suricata joins rule lines directly, "").
void for_each_logical_line(std::string_view data, std::string_view joiner,
                           const std::function<void(std::string_view, int)>& fn);

}  // namespace wp
