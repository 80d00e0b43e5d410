// Minimal JSON text building for the output stage: escaping, base64, timestamps. Appends to
// a caller-owned std::string that is reused between events (no per-event allocation once it
// has grown).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace wp::output {

// Appends `s` as a JSON string literal (with quotes), escaping per RFC 8259; bytes that are
// not valid UTF-8 are written as \u00XX of the byte (Suricata does the same).
void append_json_string(std::string& out, std::string_view s);
void append_base64(std::string& out, std::span<const std::uint8_t> data);
// Suricata's payload_printable: printable ASCII, \n and \r kept, every other byte as '.'.
void append_printable(std::string& out, std::span<const std::uint8_t> data);
// "2025-07-01T03:04:05.123456+0000": local time (TZ) with numeric offset.
void append_timestamp(std::string& out, std::int64_t micros);

}  // namespace wp::output
