#include "applayer/ssh.h"

#include <algorithm>
#include <optional>

#include "applayer/tls.h"

namespace wp::applayer {
namespace {

constexpr std::string_view kSshEventNames[kSshEventCount] = {
    "invalid_banner", "long_banner", "invalid_record_length", "long_kex_record"};
constexpr std::uint8_t kMsgKexinit = 20;
constexpr std::uint8_t kMsgNewkeys = 21;
constexpr std::size_t kCookie = 16;

// The next name-list of a KEXINIT (RFC 4251 5: a 32-bit length and the names), or nullopt
// when it runs past the packet.
std::optional<std::string_view> name_list(ByteReader& r) {
  std::uint32_t n = 0;
  if (!r.be32(n) || n > r.remaining()) return std::nullopt;
  const Bytes b = r.rest().first(n);
  r.skip(n);
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

}  // namespace

std::string_view ssh_event_name(int bit) {
  return bit >= 0 && bit < kSshEventCount ? kSshEventNames[bit] : std::string_view{};
}

SshSession::SshSession() = default;

bool SshSession::feed(bool to_server, Bytes data, const SshSink& sink) {
  const int di = to_server ? 0 : 1;
  Direction& d = dirs_[di];
  while (!data.empty() && d.phase != Phase::kDone) {
    std::size_t used = 0;
    if (d.phase == Phase::kBanner) {
      used = d.line.feed(data, [&](std::string_view line, bool too_long) {
        if (!banner_line(di, line, too_long)) return true;  // not the identification yet
        sink(to_server, SshPoint::kBanner);
        return false;
      });
    } else {
      used = packet_bytes(di, data, sink);
    }
    data = data.subspan(used);
  }
  return dirs_[0].phase != Phase::kDone || dirs_[1].phase != Phase::kDone;
}

// The identification line "SSH-protoversion-softwareversion[ comments]": true when this is
// it (the direction then reads packets).
bool SshSession::banner_line(int di, std::string_view line, bool too_long) {
  if (!line.starts_with("SSH-")) return false;
  if (too_long) events_ |= kSshLongBanner;
  SshSide& side = sides_[di];
  const std::string_view rest = line.substr(4);
  const std::size_t dash = rest.find('-');
  if (dash == std::string_view::npos || dash == 0) {
    events_ |= kSshInvalidBanner;
    side.proto = rest.substr(0, rest.find(' '));
  } else {
    side.proto = rest.substr(0, dash);
    const std::string_view software = rest.substr(dash + 1);
    side.software = software.substr(0, software.find(' '));
    if (side.software.empty()) events_ |= kSshInvalidBanner;
  }
  side.banner = true;
  dirs_[di].phase = Phase::kLength;
  return true;
}

std::size_t SshSession::packet_bytes(int di, Bytes data, const SshSink& sink) {
  Direction& d = dirs_[di];
  if (d.phase == Phase::kLength) {
    std::size_t used = 0;
    while (d.length_have < 4 && used < data.size()) d.length[d.length_have++] = data[used++];
    if (d.length_have < 4) return used;
    d.length_have = 0;
    const std::uint32_t len = load_be32(d.length);
    if (len < 5 || len > kSshMaxPacket) {
      events_ |= kSshInvalidRecordLength;  // the packets can no longer be delimited
      d.phase = Phase::kDone;
      return used;
    }
    d.left = len;
    d.packet.clear();
    d.keep = true;  // the first two bytes always: padding length and message type
    d.phase = Phase::kPacket;
    return used;
  }
  const std::size_t take = std::min<std::size_t>(d.left, data.size());
  std::size_t kept = 0;
  if (d.keep) {
    // Up to the type byte, then the rest only for a KEXINIT within its bound.
    const std::size_t want = d.packet.size() < 2 ? 2 - d.packet.size() : take;
    kept = std::min(take, want);
    d.packet.insert(d.packet.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(kept));
    if (d.packet.size() == 2 && kept == want && d.packet[1] != kMsgKexinit) d.keep = false;
    if (d.packet.size() >= 2 && d.packet[1] == kMsgKexinit && d.left + d.packet.size() - kept > kSshMaxKexinit) {
      events_ |= kSshLongKexRecord;
      d.keep = false;
    }
  }
  const std::size_t used = d.keep ? kept : take;
  d.left -= static_cast<std::uint32_t>(used);
  if (d.left != 0) return used;
  const std::uint8_t type = d.packet.size() >= 2 ? d.packet[1] : 0;
  d.phase = Phase::kLength;
  if (type == kMsgKexinit && d.keep && !sides_[di].kexinit) {
    kexinit(di, d.packet);
    sink(di == 0, SshPoint::kKexinit);
  } else if (type == kMsgNewkeys) {
    d.phase = Phase::kDone;  // encrypted from here
  }
  return used;
}

// HASSH from a KEXINIT packet (padding length, type, cookie, name-lists, ...): kex algorithms
// and this side's own direction's encryption, MAC and compression lists.
void SshSession::kexinit(int di, Bytes packet) {
  const std::uint8_t padding = packet[0];
  if (packet.size() < 2u + kCookie + padding) return;
  ByteReader r(packet.subspan(2 + kCookie, packet.size() - 2 - kCookie - padding));
  std::optional<std::string_view> lists[8];
  for (auto& l : lists) {
    l = name_list(r);
    if (!l) return;
  }
  // 0 kex, 1 host key, 2/3 encryption c2s/s2c, 4/5 MAC, 6/7 compression.
  const int own = di == 0 ? 0 : 1;
  SshSide& side = sides_[di];
  side.hassh_string.assign(*lists[0]);
  for (const int i : {2 + own, 4 + own, 6 + own}) {
    side.hassh_string.push_back(';');
    side.hassh_string += *lists[i];
  }
  side.hassh = md5_hex(side.hassh_string);
  side.kexinit = true;
}

}  // namespace wp::applayer
