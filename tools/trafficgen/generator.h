// Generator: the building blocks the traffic generator's scenarios are written with. A
// deterministic clock and random source, a capture file, and helpers that emit whole
// conversations (a TCP session with handshake, data and close; a DNS query and answer; an
// ICMP echo) with correct sequence numbers, acknowledgements and checksums.
//
// Single-threaded; a Generator owns its PcapWriter and every frame it builds. Nothing here is
// on the sensor's packet path, so it allocates freely.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "common/timestamp.h"
#include "support/packet_builder.h"
#include "support/pcap_writer.h"

namespace wp::trafficgen {

// 2025-07-01T03:04:05Z: every capture starts here, so the same scenario and seed always
// give the same bytes.
inline constexpr std::int64_t kStartEpochSeconds = 1751339045;
// Time between two packets of a conversation, and extra pause between conversations.
inline constexpr std::int64_t kPacketStepMicros = 700;
inline constexpr std::int64_t kConversationGapMicros = 25000;
inline constexpr std::uint64_t kDefaultSeed = 20250701;

// SplitMix64: a tiny generator whose output is fixed by its definition (std::mt19937 is too,
// but the std distributions are not portable across standard libraries).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  // Uniform-enough value in [lo, hi] (hi - lo is small next to 2^64).
  std::uint32_t between(std::uint32_t lo, std::uint32_t hi);

 private:
  std::uint64_t state_;
};

struct Endpoint {
  IpAddress addr;
  std::uint16_t port = 0;
};

// Per-conversation link-layer and IP details.
struct LinkOptions {
  std::vector<std::uint16_t> vlans;  // 802.1Q tags, outer first
  std::uint8_t client_ttl = 64;
  std::uint8_t server_ttl = 64;
};

class Generator {
 public:
  Generator(const std::string& out_path, std::uint64_t seed);

  Rng& rng() { return rng_; }
  // Writes `frame` stamped with the current time, then advances the clock one step.
  void emit(const testing::Frame& frame);
  // Leaves a pause between conversations.
  void gap(std::int64_t micros = kConversationGapMicros) { now_us_ += micros; }
  // A client port in the Linux ephemeral range.
  std::uint16_t ephemeral_port() { return static_cast<std::uint16_t>(rng_.between(32768, 60999)); }
  std::uint16_t next_ip_id() { return ip_id_++; }
  std::uint64_t packets() const { return packets_; }
  void close() { writer_.close(); }

 private:
  testing::PcapWriter writer_;
  Rng rng_;
  std::int64_t now_us_ = kStartEpochSeconds * 1000000;
  std::uint16_t ip_id_;
  std::uint64_t packets_ = 0;
};

// TCP flag bits.
inline constexpr std::uint8_t kFin = 0x01;
inline constexpr std::uint8_t kSyn = 0x02;
inline constexpr std::uint8_t kRst = 0x04;
inline constexpr std::uint8_t kPsh = 0x08;
inline constexpr std::uint8_t kAck = 0x10;
inline constexpr std::uint8_t kUrg = 0x20;
inline constexpr std::uint8_t kEce = 0x40;
inline constexpr std::uint8_t kCwr = 0x80;

// One TCP connection between a client and a server, written packet by packet as a real
// stack would: sequence numbers advance by the bytes sent (SYN and FIN count one), every
// data segment is acknowledged by the peer, data larger than the MSS is segmented.
class TcpSession {
 public:
  TcpSession(Generator& gen, Endpoint client, Endpoint server, LinkOptions link = {});

  // SYN, SYN-ACK, ACK.
  void handshake();
  // SYN answered by RST-ACK (closed port); the session is over.
  void refused();
  // Data from one side, one segment per piece (each split further at the MSS), then the
  // peer's ACK.
  void client_send(std::string_view data);
  void server_send(std::string_view data);
  void client_send_pieces(const std::vector<std::string_view>& pieces);
  void server_send_pieces(const std::vector<std::string_view>& pieces);
  // One data segment (at most one MSS) that also acknowledges everything the peer sent;
  // no ACK from the peer follows (the peer's next push acknowledges it).
  void client_push(std::string_view data);
  void server_push(std::string_view data);
  // Client FIN, server FIN-ACK, client ACK.
  void close();
  // Server FIN first (e.g. an FTP server after too many failures), client FIN, server ACK.
  void close_by_server();

 private:
  struct Side {
    Endpoint ep;
    std::uint32_t next_seq = 0;  // next sequence number this side sends
    std::uint8_t ttl = 64;
    std::uint16_t window = 64240;
  };
  void segment(Side& from, Side& to, std::uint8_t flags, std::string_view payload,
               std::vector<std::uint8_t> options = {});
  void send(Side& from, Side& to, const std::vector<std::string_view>& pieces);

  Generator& gen_;
  Side client_;
  Side server_;
  LinkOptions link_;
};

// A DNS query (type A, class IN) over UDP and its answer (one A record, or NXDOMAIN when
// `answer` is empty).
void dns_lookup(Generator& gen, Endpoint client, Endpoint server, std::string_view name,
                std::string_view answer, LinkOptions link = {});

// An ICMP echo request carrying `payload_size` bytes (Linux ping layout), and its reply
// unless `reply` is false. ICMPv6 when the addresses are IPv6.
void ping(Generator& gen, const IpAddress& client, const IpAddress& server, std::uint16_t id,
          std::uint16_t seq, std::size_t payload_size, bool reply = true, LinkOptions link = {});

// A single bare TCP segment (a scan probe), no payload.
void tcp_probe(Generator& gen, Endpoint from, Endpoint to, std::uint8_t flags, std::uint32_t seq,
               std::uint32_t ack, std::uint16_t window, std::vector<std::uint8_t> options = {},
               std::uint8_t ttl = 64);

// One HTTP request and its response on a fresh connection to `server`:80, closed by the
// client.
void http_exchange(Generator& gen, const IpAddress& client, const IpAddress& server,
                   const std::string& request, const std::string& response, LinkOptions link = {});

// Standard option bytes for a Linux-like SYN: MSS 1460, SACK permitted.
std::vector<std::uint8_t> syn_options();

}  // namespace wp::trafficgen
