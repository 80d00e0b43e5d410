// Decoder: turns a RawPacket into a Packet view (of the innermost packet when tunnelled; the
// decoder events found are recorded in it). One Decoder per worker thread; it owns the
// IP fragment reassembly state (bounded memory, timeout driven by packet time). Malformed
// traffic never crashes: it returns kMalformed and bumps a named anomaly counter.
#pragma once

#include <cstdint>
#include <memory>

#include "capture/raw_packet.h"
#include "common/counters.h"
#include "decode/packet.h"

namespace wp::decode {

struct DecoderConfig {
  bool validate_checksums = true;
  std::uint64_t defrag_memcap = 32ull * 1024 * 1024;  // bytes held in fragment buffers
  std::uint32_t defrag_timeout_sec = 60;
  std::uint32_t defrag_max_trackers = 65536;
};

enum class DecodeStatus {
  kOk,         // `pkt` holds a decoded packet
  kHeld,       // an IP fragment was stored; no complete datagram yet
  kMalformed,  // an anomaly was counted; `pkt` holds whatever layers decoded cleanly
  kUnsupported // not IP (ARP, LLDP, ...); counted, not an anomaly
};

// Whether packets of link type `linktype` (a DLT/LINKTYPE value, as RawPacket::linktype) are
// decoded; the others are counted as decoder.unsupported_linktype.
bool is_decoded_linktype(int linktype);

class Decoder {
 public:
  Decoder(const DecoderConfig& config, Counters& counters);
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Decodes `raw` into `pkt` (which is reset first). Spans in `pkt` stay valid until the
  // next decode() call or until `raw.data` is released.
  DecodeStatus decode(const capture::RawPacket& raw, Packet& pkt);

  // When the last decode() completed an IP datagram (it returned the reassembled packet,
  // `reassembled` set): the fragment that completed it, decoded as a fragment (IP layer, no
  // transport layer), to be inspected as a packet of its own before the datagram. Null
  // otherwise. Valid until the next decode().
  const Packet* completed_fragment() const;

  // Turns checksum validation on or off (used by the pcap-file `auto` checksum mode).
  void set_validate_checksums(bool on);
  bool validate_checksums() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wp::decode
