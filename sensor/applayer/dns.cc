#include "applayer/dns.h"

#include <array>

namespace wp::applayer {

namespace {

constexpr std::size_t kHeaderSize = 12;
constexpr std::uint16_t kZFlag = 0x0040;

enum : std::uint16_t { kTypeNs = 2, kTypeCname = 5, kTypeSoa = 6, kTypePtr = 12, kTypeMx = 15 };

// Reads the name that starts at `pos` into out.names and moves `pos` past it (past the first
// compression pointer when there is one). False, with `out.events` saying why and nothing
// appended, when the name cannot be read.
bool read_name(Bytes msg, std::size_t& pos, DnsMessage& out, DnsName& name) {
  const std::size_t start = out.names.size();
  std::size_t p = pos;
  std::size_t resume = 0;  // where the caller continues: after the first pointer or the end
  bool jumped = false;
  int jumps = 0;
  int labels = 0;
  bool cut = false;
  const auto fail = [&](std::uint32_t event) {
    out.events |= event;
    out.names.resize(start);
    return false;
  };
  for (;;) {
    if (p >= msg.size()) return fail(kDnsMalformedData);
    const std::uint8_t len = msg[p];
    if ((len & 0xc0) == 0xc0) {
      if (msg.size() - p < 2) return fail(kDnsMalformedData);
      const std::size_t target = (std::size_t{len & 0x3fu} << 8) | msg[p + 1];
      if (!jumped) resume = p + 2;
      jumped = true;
      // Only backwards, and a bounded number of times: a loop ends here.
      if (target >= p || ++jumps > kMaxJumps) return fail(kDnsInfiniteLoop);
      p = target;
      continue;
    }
    if ((len & 0xc0) != 0) return fail(kDnsMalformedData);  // extended label types (RFC 6891)
    if (len == 0) {
      if (!jumped) resume = p + 1;
      break;
    }
    if (msg.size() - p - 1 < len) return fail(kDnsMalformedData);
    if (++labels > 255) return fail(kDnsTooManyLabels);
    if (!cut) {
      const std::size_t have = out.names.size() - start;
      const std::size_t add = len + (have != 0 ? 1 : 0);
      if (have + add > kMaxNameLength) {
        cut = true;
        out.events |= kDnsNameTooLong;
      } else {
        if (have != 0) out.names.push_back('.');
        out.names.append(reinterpret_cast<const char*>(msg.data() + p + 1), len);
      }
    }
    p += 1 + std::size_t{len};
  }
  name.offset = static_cast<std::uint32_t>(start);
  name.length = static_cast<std::uint32_t>(out.names.size() - start);
  pos = resume;
  return true;
}

}  // namespace

std::string_view dns_event_name(int bit) {
  static constexpr std::array<std::string_view, kDnsEventCount> kNames = {
      "malformed_data",  "not_a_request",  "not_a_response", "z_flag_set",      "infinite_loop",
      "too_many_labels", "invalid_opcode", "name_too_long",  "too_many_records"};
  return bit >= 0 && bit < kDnsEventCount ? kNames[static_cast<std::size_t>(bit)] : "";
}

DnsStatus parse_dns(Bytes message, DnsMessage& out) {
  out.questions.clear();
  out.answers.clear();
  out.names.clear();
  out.events = 0;
  if (message.size() < kHeaderSize) return DnsStatus::kTooShort;
  const std::uint8_t* h = message.data();
  out.id = load_be16(h);
  out.flags = load_be16(h + 2);
  out.response = (out.flags & 0x8000) != 0;
  out.opcode = static_cast<std::uint8_t>((out.flags >> 11) & 0xf);
  out.rcode = static_cast<std::uint8_t>(out.flags & 0xf);
  out.question_count = load_be16(h + 4);
  out.answer_count = load_be16(h + 6);
  if ((out.flags & kZFlag) != 0) out.events |= kDnsZFlagSet;
  if (out.opcode == 3 || out.opcode > 6) out.events |= kDnsInvalidOpcode;

  std::size_t pos = kHeaderSize;
  for (std::uint32_t i = 0; i < out.question_count; ++i) {
    DnsQuestion q;
    if (!read_name(message, pos, out, q.name)) return DnsStatus::kMalformed;
    if (message.size() - pos < 4) {
      out.names.resize(q.name.offset);
      out.events |= kDnsMalformedData;
      return DnsStatus::kMalformed;
    }
    q.type = load_be16(message.data() + pos);
    q.klass = load_be16(message.data() + pos + 2);
    pos += 4;
    if (out.questions.size() < kMaxRecords) {
      out.questions.push_back(q);
    } else {
      out.names.resize(q.name.offset);
      out.events |= kDnsTooManyRecords;
    }
  }
  for (std::uint32_t i = 0; i < out.answer_count; ++i) {
    DnsAnswer a;
    if (!read_name(message, pos, out, a.name)) return DnsStatus::kMalformed;
    if (message.size() - pos < 10) {
      out.names.resize(a.name.offset);
      out.events |= kDnsMalformedData;
      return DnsStatus::kMalformed;
    }
    const std::uint8_t* f = message.data() + pos;
    a.type = load_be16(f);
    a.klass = load_be16(f + 2);
    a.ttl = load_be32(f + 4);
    a.rdata_length = load_be16(f + 8);
    pos += 10;
    if (message.size() - pos < a.rdata_length) {
      out.names.resize(a.name.offset);
      out.events |= kDnsMalformedData;
      return DnsStatus::kMalformed;
    }
    a.rdata_offset = static_cast<std::uint32_t>(pos);
    const std::size_t rdata_end = pos + a.rdata_length;
    std::size_t data_at = rdata_end;  // where a name in the data starts, if it holds one
    switch (a.type) {
      case kTypeNs:
      case kTypeCname:
      case kTypePtr:
      case kTypeSoa:
        data_at = pos;
        break;
      case kTypeMx:
        data_at = pos + 2;
        break;
      default:
        break;
    }
    if (data_at < rdata_end) {
      std::size_t p = data_at;
      // A name that cannot be read leaves data_name empty; the record itself is whole.
      if (!read_name(message, p, out, a.data_name) || p > rdata_end) {
        if (p > rdata_end) out.names.resize(a.data_name.offset);
        a.data_name = {};
        out.events |= kDnsMalformedData;
      }
    }
    pos = rdata_end;
    if (out.answers.size() < kMaxRecords) {
      out.answers.push_back(a);
    } else {
      out.names.resize(a.name.offset);
      out.events |= kDnsTooManyRecords;
    }
  }
  return DnsStatus::kOk;
}

}  // namespace wp::applayer
