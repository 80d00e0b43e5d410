// DNS messages (RFC 1035) as the application layer reads them: the header, the questions and
// the answer records, every name decompressed into dotted text. Used for UDP payloads and for
// the messages of a DNS-over-TCP stream (DnsTcpFramer below removes their 2-byte lengths).
//
// Packet path: parse_dns() does not allocate once a DnsMessage has been warmed up (its
// vectors and name buffer keep their capacity across calls) and never reads outside the
// message, whatever it holds. Names are bounded (kMaxNameLength bytes of text, kMaxJumps
// compression pointers, each pointing before the pointer itself, so a loop cannot
// happen); the number of records kept is bounded (kMaxRecords per section; more are counted
// and skipped). Anomalies are flags with Suricata's dns event names.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/byte_reader.h"

namespace wp::applayer {

// Longest decompressed name kept, in bytes of dotted text (a longer one is cut here and
// flagged kNameTooLong). RFC 1035 allows 255 bytes on the wire; Suricata keeps 1025.
inline constexpr std::size_t kMaxNameLength = 1025;
// Most compression pointers followed in one name.
inline constexpr int kMaxJumps = 128;
// Most questions or answers kept per message.
inline constexpr std::size_t kMaxRecords = 64;

// Anomalies, as flags; the names are Suricata's dns events (dns_event_name()).
enum DnsEvent : std::uint32_t {
  kDnsMalformedData = 1u << 0,  // a record or name runs past the message, or junk in it
  kDnsNotARequest = 1u << 1,    // reserved for the stage (direction checks)
  kDnsNotAResponse = 1u << 2,
  kDnsZFlagSet = 1u << 3,        // the reserved Z bit is set
  kDnsInfiniteLoop = 1u << 4,    // a compression pointer loops (or points forward)
  kDnsTooManyLabels = 1u << 5,   // more than 255 labels in one name
  kDnsInvalidOpcode = 1u << 6,   // opcode 3 or above 6
  kDnsNameTooLong = 1u << 7,     // a name longer than kMaxNameLength (cut)
  kDnsTooManyRecords = 1u << 8,  // more than kMaxRecords in a section (the rest skipped)
};
inline constexpr int kDnsEventCount = 9;
// "malformed_data", "not_a_request", ... for the flag with bit `bit`.
std::string_view dns_event_name(int bit);

enum class DnsStatus : std::uint8_t {
  kOk,         // header and every kept record parsed (flags may still be set)
  kTooShort,   // fewer than 12 bytes: not a DNS message
  kMalformed,  // the header parsed; a section could not (what parsed before it is kept)
};

// A name in DnsMessage::names: [offset, offset + length).
struct DnsName {
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
};

struct DnsQuestion {
  DnsName name;
  std::uint16_t type = 0;
  std::uint16_t klass = 0;
};

struct DnsAnswer {
  DnsName name;
  std::uint16_t type = 0;
  std::uint16_t klass = 0;
  std::uint32_t ttl = 0;
  // For CNAME, NS, PTR, MX (exchange), SOA (mname): the name the data holds; length 0
  // otherwise. The raw rdata: message bytes [rdata_offset, rdata_offset + rdata_length).
  DnsName data_name;
  std::uint32_t rdata_offset = 0;
  std::uint16_t rdata_length = 0;
};

struct DnsMessage {
  std::uint16_t id = 0;
  std::uint16_t flags = 0;  // the header's second 16 bits
  bool response = false;    // QR
  std::uint8_t opcode = 0;
  std::uint8_t rcode = 0;
  std::uint16_t question_count = 0;  // as the header says
  std::uint16_t answer_count = 0;
  std::vector<DnsQuestion> questions;  // at most kMaxRecords
  std::vector<DnsAnswer> answers;      // at most kMaxRecords
  std::string names;                   // every decoded name, back to back
  std::uint32_t events = 0;            // DnsEvent flags

  // The text of `n` (dotted, no trailing dot; "" for the root). Valid until the next
  // parse_dns() into this message.
  std::string_view name(DnsName n) const {
    return std::string_view(names).substr(n.offset, n.length);
  }
};

// Parses one DNS message (a UDP payload, or one message of a TCP stream without its length).
// `out` is reset first. Authority and additional records are not parsed.
DnsStatus parse_dns(Bytes message, DnsMessage& out);

// The messages of one direction of a DNS-over-TCP stream: each is a 2-byte big-endian length
// and that many bytes, possibly split over stream chunks or several in one chunk. Keeps at
// most one partial message (up to 65,535 bytes) per direction.
class DnsTcpFramer {
 public:
  // Calls fn(Bytes message) for each message `data` completes, in order. The span is valid
  // during the call only.
  template <typename Fn>
  void feed(Bytes data, Fn&& fn);

  // Bytes held for an incomplete message.
  std::size_t buffered() const { return partial_.size(); }
  // A gap in the stream: the partial message is dropped.
  void reset() { partial_.clear(); }

 private:
  std::vector<std::uint8_t> partial_;
};

template <typename Fn>
void DnsTcpFramer::feed(Bytes data, Fn&& fn) {
  while (!data.empty()) {
    if (partial_.empty() && data.size() >= 2) {
      // Fast path: whole messages straight from the chunk.
      const std::size_t len = load_be16(data.data());
      if (data.size() - 2 >= len) {
        fn(data.subspan(2, len));
        data = data.subspan(2 + len);
        continue;
      }
    }
    // Accumulate: first the 2 length bytes, then the body they announce.
    std::size_t want = 2;
    if (partial_.size() >= 2) want = 2 + std::size_t{load_be16(partial_.data())};
    const std::size_t take = std::min(want - partial_.size(), data.size());
    partial_.insert(partial_.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
    data = data.subspan(take);
    if (partial_.size() >= 2) {
      want = 2 + std::size_t{load_be16(partial_.data())};
      if (partial_.size() == want) {
        fn(Bytes(partial_).subspan(2));
        partial_.clear();
      }
    }
  }
}

}  // namespace wp::applayer
