// The buffer table: every buffer a rule's payload keywords can inspect, with what the parser,
// the compiler and the engine need to know about it. One row per buffer; adding a buffer
// (http.uri, dns.query, ...) is one row here plus the code in the engine that fills it.
//
// Rows: `pkt_data` (the packet payload, or the reassembled stream of a tracked TCP session),
// `base64_data` (what a rule's base64_decode decoded), and the transaction buffers the
// application layer fills (DNS: dns.query, dns.queries.rrname, dns.answer.name; TLS: tls.sni,
// the certificate fields, tls.certs, ja3/ja3s). Legacy names (dns_query, tls_sni, ja3_hash,
// ...) are aliases of their rows. Names recognised from Suricata's and Snort's rule languages
// that have no row yet make a rule "not supported yet" (recognised_buffer()).
//
// Static data; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "applayer/transaction.h"

namespace wp::detect {

// Index of a row of the buffer table.
using BufferId = std::uint8_t;
inline constexpr BufferId kPktData = 0;     // the packet payload / the reassembled stream
inline constexpr BufferId kBase64Data = 1;  // the output of the rule's base64_decode
// Transaction buffers (scope kTransaction), in table order.
inline constexpr BufferId kDnsQuery = 2;          // dns.query: each question's name (request)
inline constexpr BufferId kDnsQueriesRrname = 3;  // dns.queries.rrname: same, both directions
inline constexpr BufferId kDnsAnswerName = 4;     // dns.answer.name: each answer's name
inline constexpr BufferId kTlsSni = 5;
inline constexpr BufferId kJa3Hash = 6;
inline constexpr BufferId kJa3String = 7;
inline constexpr BufferId kJa3sHash = 8;
inline constexpr BufferId kJa3sString = 9;
inline constexpr BufferId kTlsCertSubject = 10;  // of the leaf certificate
inline constexpr BufferId kTlsCertIssuer = 11;
inline constexpr BufferId kTlsCertSerial = 12;
inline constexpr BufferId kTlsCertFingerprint = 13;
inline constexpr BufferId kTlsCerts = 14;  // each certificate's DER

// Which directions of a flow carry the buffer.
enum BufferDirections : std::uint8_t { kToServerOnly = 1, kToClientOnly = 2, kBothDirections = 3 };

// Per packet (the engine fills it for every packet or stream chunk) or per application-layer
// transaction (filled when the parser completes a part of a transaction).
enum class BufferScope : std::uint8_t { kPacket, kTransaction };

// Transforms (to_lowercase, ...) a rule may apply to a buffer: bits of BufferDef::transforms.
// None is supported yet; the parser rejects a transform a buffer does not allow.
enum Transform : std::uint32_t { kNoTransforms = 0 };

// Progress points of a transaction, per direction: applayer/transaction.h.
using applayer::kMaxProgress;
using applayer::kProgressMessage;
using applayer::kTlsCertificate;
using applayer::kTlsClientHello;
using applayer::kTlsServerHello;

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
  // Transaction buffers: the progress point (in each of its directions) at which the parser
  // makes it available; it is inspected then, once.
  std::uint8_t progress = 0;
  // Several instances per transaction (each question's name, each certificate): a rule's
  // items of this buffer must all match within one instance.
  bool multi = false;
};

// Every row, indexed by BufferId.
std::span<const BufferDef> buffer_table();
inline const BufferDef& buffer_def(BufferId id) { return buffer_table()[id]; }
// The row named `name` (the sticky keyword or a legacy alias: dns_query, tls_sni, ...), if any.
std::optional<BufferId> find_buffer(std::string_view name);

// A buffer or buffer modifier of Suricata's or Snort's rule languages without a row yet
// (app-layer and header buffers: http.uri, http_uri, dns.query, tcp.hdr, ...).
bool recognised_buffer(std::string_view name);
// An application-layer protocol Suricata accepts in a rule header ("http", "dns", ...).
bool is_app_layer_protocol(std::string_view name);

// For --list-keywords: the buffer names recognised without a row yet, and the legacy names
// (dns_query, ...) that stand for a row.
std::vector<std::string_view> buffer_names_not_supported();
std::vector<std::string_view> buffer_aliases();

}  // namespace wp::detect
