// SSH (RFC 4253) as the application layer reads it, both directions split anywhere: each
// side's identification line ("SSH-2.0-OpenSSH_9.6 comments"; lines before it are skipped,
// as RFC 4253 4.2 lets a server send them), then its binary packets in clear up to NEWKEYS:
// the KEXINIT gives HASSH (client: kex;encryption;mac;compression algorithms client to
// server) and HASSH-server (the same server to client), each with its MD5, as Salesforce
// defines them and Suricata shows them. After NEWKEYS the direction is encrypted and not
// parsed.
//
// Bounds per direction: one banner line (kSshMaxBanner), one KEXINIT packet
// (kSshMaxKexinit; a larger one is flagged and ends the direction), packets up to 256 KiB
// (larger: invalid_record_length, the direction ends). Anomalies are flags named as
// Suricata's ssh events (ssh_event_name()). Allocation: the session's strings once per flow.
// Thread: the worker that owns the flow.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "applayer/line_buffer.h"
#include "common/byte_reader.h"

namespace wp::applayer {

inline constexpr std::size_t kSshMaxBanner = 256;  // Suricata's banner limit
inline constexpr std::size_t kSshMaxKexinit = 64 * 1024;
inline constexpr std::uint32_t kSshMaxPacket = 256 * 1024;

enum SshEvent : std::uint32_t {
  kSshInvalidBanner = 1u << 0,        // "SSH-" without a protocol and software version
  kSshLongBanner = 1u << 1,           // a banner line over kSshMaxBanner (cut)
  kSshInvalidRecordLength = 1u << 2,  // a packet length under 5 or over kSshMaxPacket
  kSshLongKexRecord = 1u << 3,        // a KEXINIT over kSshMaxKexinit
};
inline constexpr int kSshEventCount = 4;
std::string_view ssh_event_name(int bit);

// One side of the session.
struct SshSide {
  bool banner = false;   // its identification line was read
  bool kexinit = false;  // its KEXINIT was read
  std::string proto;     // "2.0" (ssh.proto)
  std::string software;  // "OpenSSH_9.6" (ssh.software: up to the first space)
  std::string hassh;         // MD5 of hassh_string, lower-case hex
  std::string hassh_string;  // "kex;enc;mac;comp" of this side's KEXINIT
};

enum class SshPoint : std::uint8_t { kBanner, kKexinit };
struct SshSink {
  void (*fn)(void* ctx, bool to_server, SshPoint point) = nullptr;
  void* ctx = nullptr;
  void operator()(bool to_server, SshPoint point) const {
    if (fn != nullptr) fn(ctx, to_server, point);
  }
};

class SshSession {
 public:
  SshSession();
  // Feeds in-order bytes of one direction. Returns false once neither direction is parsed
  // any more (both past NEWKEYS, or lost).
  bool feed(bool to_server, Bytes data, const SshSink& sink);
  void gap(bool to_server) { dirs_[to_server ? 0 : 1].phase = Phase::kDone; }

  const SshSide& client() const { return sides_[0]; }
  const SshSide& server() const { return sides_[1]; }
  std::uint32_t events() const { return events_; }

 private:
  enum class Phase : std::uint8_t { kBanner, kLength, kPacket, kDone };
  struct Direction {
    Phase phase = Phase::kBanner;
    LineBuffer line{kSshMaxBanner};
    std::uint8_t length[4] = {};
    int length_have = 0;
    std::uint32_t left = 0;      // bytes of the current packet still to come
    bool keep = false;           // the packet is kept (its type is KEXINIT)
    bool first = true;           // the next byte is the packet's first (padding length)
    std::vector<std::uint8_t> packet;
  };
  bool banner_line(int di, std::string_view line, bool too_long);
  std::size_t packet_bytes(int di, Bytes data, const SshSink& sink);
  void kexinit(int di, Bytes packet);

  Direction dirs_[2];  // [0] to server (the client's), [1] to client
  SshSide sides_[2];
  std::uint32_t events_ = 0;
};

}  // namespace wp::applayer
