// The buffer table: every buffer a rule's payload keywords can inspect, with what the parser,
// the compiler and the engine need to know about it. One row per buffer; adding a buffer
// (http.uri, dns.query, ...) is one row here plus the code in the engine that fills it.
//
// Today's rows: `pkt_data` (the packet payload, or the reassembled stream of a tracked TCP
// session) and `base64_data` (what a rule's base64_decode decoded). Names recognised from
// Suricata's and Snort's rule languages that have no row yet make a rule "not supported yet"
// (recognised_buffer()).
//
// Static data; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace wp::detect {

// Index of a row of the buffer table.
using BufferId = std::uint8_t;
inline constexpr BufferId kPktData = 0;     // the packet payload / the reassembled stream
inline constexpr BufferId kBase64Data = 1;  // the output of the rule's base64_decode

// Which directions of a flow carry the buffer.
enum BufferDirections : std::uint8_t { kToServerOnly = 1, kToClientOnly = 2, kBothDirections = 3 };

// Per packet (the engine fills it for every packet or stream chunk) or per application-layer
// transaction (filled when the parser completes a part of a transaction).
enum class BufferScope : std::uint8_t { kPacket, kTransaction };

// Transforms (to_lowercase, ...) a rule may apply to a buffer: bits of BufferDef::transforms.
// None is supported yet; the parser rejects a transform a buffer does not allow.
enum Transform : std::uint32_t { kNoTransforms = 0 };

struct BufferDef {
  std::string_view name;       // the sticky-buffer keyword, e.g. "pkt_data", "http.uri"
  std::string_view app_proto;  // the application protocol that fills it; "" for any traffic
  std::uint8_t directions = kBothDirections;
  BufferScope scope = BufferScope::kPacket;
  std::uint32_t transforms = kNoTransforms;
  // The buffer exists before any rule runs, so its contents can be fast patterns (one
  // Hyperscan database per rule group of this buffer). base64_data is produced by the rule
  // itself: its contents are verified, never prefiltered.
  bool prefilter = true;
  // The buffer is produced by a keyword of the rule (base64_decode): the parser allows the
  // sticky keyword only after that keyword.
  std::string_view produced_by = {};
};

// Every row, indexed by BufferId.
std::span<const BufferDef> buffer_table();
inline const BufferDef& buffer_def(BufferId id) { return buffer_table()[id]; }
// The row named `name` (the sticky keyword), if any.
std::optional<BufferId> find_buffer(std::string_view name);

// A buffer or buffer modifier of Suricata's or Snort's rule languages without a row yet
// (app-layer and header buffers: http.uri, http_uri, dns.query, tcp.hdr, ...).
bool recognised_buffer(std::string_view name);
// An application-layer protocol Suricata accepts in a rule header ("http", "dns", ...).
bool is_app_layer_protocol(std::string_view name);

}  // namespace wp::detect
