#include "support/packet_builder.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace wp::testing {

namespace {

constexpr std::uint8_t kTcp = 6;
constexpr std::uint8_t kUdp = 17;
constexpr std::uint8_t kIcmp = 1;
constexpr std::uint8_t kIcmpv6 = 58;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "packet_builder: %s\n", what);
  std::abort();
}

void put16(Frame& f, std::uint16_t v) {
  f.push_back(static_cast<std::uint8_t>(v >> 8));
  f.push_back(static_cast<std::uint8_t>(v));
}
void put32(Frame& f, std::uint32_t v) {
  put16(f, static_cast<std::uint16_t>(v >> 16));
  put16(f, static_cast<std::uint16_t>(v));
}
void set16(Frame& f, std::size_t at, std::uint16_t v) {
  f[at] = static_cast<std::uint8_t>(v >> 8);
  f[at + 1] = static_cast<std::uint8_t>(v);
}
std::uint16_t get16(const Frame& f, std::size_t at) {
  return static_cast<std::uint16_t>((f[at] << 8) | f[at + 1]);
}
void append(Frame& f, const std::uint8_t* p, std::size_t n) { f.insert(f.end(), p, p + n); }

// RFC 1071, written independently of the decoder's so the two check each other.
std::uint32_t sum16(const std::uint8_t* p, std::size_t n, std::uint32_t sum = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2)
    sum += static_cast<std::uint32_t>((p[i] << 8) | p[i + 1]);
  if (n % 2 == 1) sum += static_cast<std::uint32_t>(p[n - 1] << 8);
  return sum;
}
std::uint16_t fold(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}
std::uint32_t pseudo_sum(const IpAddress& src, const IpAddress& dst, std::uint8_t proto,
                         std::size_t len) {
  std::uint32_t sum = 0;
  if (src.is_v4()) {
    sum = sum16(src.bytes.data() + 12, 4, sum);
    sum = sum16(dst.bytes.data() + 12, 4, sum);
  } else {
    sum = sum16(src.bytes.data(), 16, sum);
    sum = sum16(dst.bytes.data(), 16, sum);
  }
  return sum + proto + static_cast<std::uint32_t>(len >> 16) +
         static_cast<std::uint32_t>(len & 0xffff);
}

// A corrupted checksum must never be equivalent to the right one in one's complement
// (0x0000 vs 0xffff) nor read as "no checksum" (UDP over IPv4, 0).
std::uint16_t corrupt(std::uint16_t c) {
  std::uint16_t bad = c ^ 0x00ff;
  return bad == 0 ? 0x1234 : bad;
}

void pad4(Frame& f, std::size_t from) {
  while ((f.size() - from) % 4 != 0) f.push_back(0);
}

constexpr std::size_t kNoChecksum = ~std::size_t{0};

// Wraps a finished transport segment in IPv4 or IPv6 (and Ethernet), filling the checksum
// at `csum_at` first (none for kNoChecksum).
Frame finish(const IpAddress& src, const IpAddress& dst, std::uint8_t proto, Frame l4,
             std::size_t csum_at, const L4Options& opt, bool ethernet) {
  if (src.is_v4() != dst.is_v4()) fail("source and destination families differ");
  const bool v4 = src.is_v4();
  if (csum_at != kNoChecksum) {
    std::uint32_t sum = sum16(l4.data(), l4.size());
    if (!(v4 && proto == kIcmp)) sum += pseudo_sum(src, dst, proto, l4.size());
    std::uint16_t csum = fold(sum);
    if (proto == kUdp && csum == 0) csum = 0xffff;  // RFC 768: zero is sent as all ones
    if (opt.corrupt_l4_checksum) csum = corrupt(csum);
    set16(l4, csum_at, csum);
  }

  Frame f;
  if (ethernet) {
    static constexpr std::uint8_t kMacs[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
    append(f, kMacs, sizeof kMacs);
    for (std::size_t i = 0; i < opt.vlans.size(); ++i) {
      // Two or more tags: the outer one is an 802.1ad service tag (QinQ).
      const bool outer_qinq = opt.vlans.size() > 1 && i == 0;
      put16(f, outer_qinq ? 0x88a8 : 0x8100);
      put16(f, opt.vlans[i] & 0x0fff);
    }
    put16(f, v4 ? 0x0800 : 0x86dd);
  }
  const std::size_t ip_at = f.size();
  if (v4) {
    f.push_back(0x45);
    f.push_back(opt.tos);
    put16(f, 0);  // total length, below
    put16(f, opt.ip_id);
    put16(f, opt.dont_fragment ? 0x4000 : 0);
    f.push_back(opt.ttl);
    f.push_back(proto);
    put16(f, 0);
    append(f, src.bytes.data() + 12, 4);
    append(f, dst.bytes.data() + 12, 4);
    f.insert(f.end(), opt.ipv4_options.begin(), opt.ipv4_options.end());
    pad4(f, ip_at);
    const std::size_t hlen = f.size() - ip_at;
    if (hlen > 60) fail("IPv4 options longer than 40 bytes");
    f[ip_at] = static_cast<std::uint8_t>(0x40 | (hlen / 4));
    if (hlen + l4.size() > 65535) fail("IPv4 datagram longer than 65535 bytes");
    set16(f, ip_at + 2, static_cast<std::uint16_t>(hlen + l4.size()));
    std::uint16_t ipsum = fold(sum16(f.data() + ip_at, hlen));
    if (opt.corrupt_ip_checksum) ipsum = corrupt(ipsum);
    set16(f, ip_at + 10, ipsum);
  } else {
    if (l4.size() > 65535) fail("IPv6 payload longer than 65535 bytes");
    f.push_back(static_cast<std::uint8_t>(0x60 | (opt.tos >> 4)));
    f.push_back(static_cast<std::uint8_t>((opt.tos & 0x0f) << 4));
    put16(f, 0);  // flow label
    put16(f, static_cast<std::uint16_t>(l4.size()));
    f.push_back(proto);
    f.push_back(opt.ttl);
    append(f, src.bytes.data(), 16);
    append(f, dst.bytes.data(), 16);
  }
  f.insert(f.end(), l4.begin(), l4.end());
  return f;
}

void append_text(Frame& f, std::string_view s) {
  append(f, reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

std::uint32_t fnv32(const std::uint8_t* p, std::size_t n) {
  std::uint32_t h = 2166136261u;
  for (std::size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 16777619u;
  }
  return h;
}

}  // namespace

Frame tcp_packet(const IpAddress& src, const IpAddress& dst, const TcpSpec& tcp,
                 std::string_view payload, const L4Options& opt, bool ethernet) {
  Frame l4;
  put16(l4, tcp.sport);
  put16(l4, tcp.dport);
  put32(l4, tcp.seq);
  put32(l4, tcp.ack);
  put16(l4, 0);  // data offset, below
  put16(l4, tcp.window);
  put16(l4, 0);  // checksum
  put16(l4, 0);  // urgent pointer
  l4.insert(l4.end(), tcp.options.begin(), tcp.options.end());
  pad4(l4, 0);
  if (l4.size() > 60) fail("TCP options longer than 40 bytes");
  l4[12] = static_cast<std::uint8_t>((l4.size() / 4) << 4);
  l4[13] = tcp.flags;
  append_text(l4, payload);
  return finish(src, dst, kTcp, std::move(l4), 16, opt, ethernet);
}

Frame udp_packet(const IpAddress& src, const IpAddress& dst, std::uint16_t sport,
                 std::uint16_t dport, std::string_view payload, const L4Options& opt,
                 bool ethernet) {
  Frame l4;
  put16(l4, sport);
  put16(l4, dport);
  put16(l4, static_cast<std::uint16_t>(8 + payload.size()));
  put16(l4, 0);
  append_text(l4, payload);
  return finish(src, dst, kUdp, std::move(l4), 6, opt, ethernet);
}

Frame icmp_packet(const IpAddress& src, const IpAddress& dst, std::uint8_t type, std::uint8_t code,
                  std::uint16_t id, std::uint16_t seq, std::string_view payload,
                  const L4Options& opt, bool ethernet) {
  Frame l4;
  l4.push_back(type);
  l4.push_back(code);
  put16(l4, 0);
  put16(l4, id);
  put16(l4, seq);
  append_text(l4, payload);
  return finish(src, dst, src.is_v4() ? kIcmp : kIcmpv6, std::move(l4), 2, opt, ethernet);
}

Frame ip_packet(const IpAddress& src, const IpAddress& dst, std::uint8_t proto,
                const Frame& payload, const L4Options& opt, bool ethernet) {
  return finish(src, dst, proto, payload, kNoChecksum, opt, ethernet);
}

Frame ethernet_frame(std::uint16_t ethertype, const Frame& payload) {
  static constexpr std::uint8_t kMacs[12] = {2, 0, 0, 0, 0, 4, 2, 0, 0, 0, 0, 3};
  Frame f(kMacs, kMacs + sizeof kMacs);
  put16(f, ethertype);
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}

Frame ip_part(const Frame& frame) {
  std::size_t at = 12;
  while (at + 2 <= frame.size()) {
    const std::uint16_t type = get16(frame, at);
    at += 2;
    if (type != 0x8100 && type != 0x88a8 && type != 0x9100) break;
    at += 2;
  }
  if (at > frame.size()) fail("ip_part: no IP header");
  return Frame(frame.begin() + static_cast<std::ptrdiff_t>(at), frame.end());
}

Frame gre(std::uint16_t protocol, const Frame& inner, const GreOptions& opt) {
  Frame f;
  std::uint8_t flags = 0;
  if (opt.checksum) flags |= 0x80;
  if (opt.key || opt.version == 1) flags |= 0x20;
  if (opt.sequence) flags |= 0x10;
  f.push_back(flags);
  f.push_back(opt.version);
  put16(f, protocol);
  const std::size_t csum_at = f.size();
  if (opt.checksum) put32(f, 0);
  if (opt.version == 1) {
    // RFC 2637 section 4.1: the key is the payload length and the call id.
    put16(f, static_cast<std::uint16_t>(inner.size()));
    put16(f, static_cast<std::uint16_t>(opt.key.value_or(0)));
  } else if (opt.key) {
    put32(f, *opt.key);
  }
  if (opt.sequence) put32(f, *opt.sequence);
  f.insert(f.end(), inner.begin(), inner.end());
  if (opt.checksum) set16(f, csum_at, fold(sum16(f.data(), f.size())));
  return f;
}

namespace {
Frame erspan(std::uint8_t version, std::uint16_t vlan, std::uint16_t session,
             const Frame& ethernet) {
  Frame f;
  put16(f, static_cast<std::uint16_t>((version << 12) | (vlan & 0x0fff)));
  put16(f, static_cast<std::uint16_t>(session & 0x03ff));
  put32(f, version == 2 ? 0x12345678u : 0);  // type III: timestamp; type II: index
  if (version == 2) put32(f, 0);             // SGT, P, FT 0 (Ethernet), hardware id, O 0
  f.insert(f.end(), ethernet.begin(), ethernet.end());
  return f;
}
}  // namespace

Frame erspan2(std::uint16_t vlan, std::uint16_t session, const Frame& ethernet) {
  return erspan(1, vlan, session, ethernet);
}
Frame erspan3(std::uint16_t vlan, std::uint16_t session, const Frame& ethernet) {
  return erspan(2, vlan, session, ethernet);
}

Frame mpls(const std::vector<std::uint32_t>& labels, const Frame& inner) {
  Frame f;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const bool bottom = i + 1 == labels.size();
    put32(f, (labels[i] << 12) | (bottom ? 0x100u : 0u) | 64u);
  }
  f.insert(f.end(), inner.begin(), inner.end());
  return f;
}

Frame ppp(std::uint16_t protocol, const Frame& inner, bool address_control) {
  Frame f;
  if (address_control) {
    f.push_back(0xff);
    f.push_back(0x03);
  }
  put16(f, protocol);
  f.insert(f.end(), inner.begin(), inner.end());
  return f;
}

Frame vxlan(std::uint32_t vni, const Frame& ethernet) {
  Frame f = {0x08, 0, 0, 0};
  put32(f, vni << 8);
  f.insert(f.end(), ethernet.begin(), ethernet.end());
  return f;
}

Frame geneve(std::uint16_t protocol, std::uint32_t vni, const Frame& inner,
             std::uint8_t option_words) {
  Frame f;
  f.push_back(option_words & 0x3f);
  f.push_back(0);
  put16(f, protocol);
  put32(f, vni << 8);
  for (std::uint8_t i = 0; i < option_words; ++i) put32(f, 0x01020304u);
  f.insert(f.end(), inner.begin(), inner.end());
  return f;
}

Frame teredo_origin(std::uint16_t port, const IpAddress& address, const Frame& ipv6) {
  Frame f = {0, 0};
  // RFC 4380 section 5.1.1: port and address obfuscated (inverted).
  put16(f, static_cast<std::uint16_t>(~port));
  for (int i = 12; i < 16; ++i) f.push_back(static_cast<std::uint8_t>(~address.bytes[i]));
  f.insert(f.end(), ipv6.begin(), ipv6.end());
  return f;
}

std::string as_text(const Frame& f) { return std::string(f.begin(), f.end()); }

std::vector<Frame> fragment(const Frame& frame, std::size_t fragment_size) {
  // Builder frames either start with the Ethernet destination 02:... or, without Ethernet,
  // with the IP version nibble.
  if (frame.empty()) fail("fragment: empty frame");
  std::size_t l3 = 0;
  const int first_nibble = frame[0] >> 4;
  if (first_nibble != 4 && first_nibble != 6) {
    l3 = 12;
    while (l3 + 2 <= frame.size()) {
      const std::uint16_t type = get16(frame, l3);
      l3 += 2;
      if (type != 0x8100 && type != 0x88a8 && type != 0x9100) break;
      l3 += 2;
    }
  }
  if (l3 >= frame.size()) fail("fragment: no IP header");
  const Frame l2(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(l3));
  const std::size_t size = std::max<std::size_t>(8, fragment_size & ~std::size_t{7});
  std::vector<Frame> out;

  if ((frame[l3] >> 4) == 4) {
    const std::size_t hlen = std::size_t{frame[l3] & 0x0fu} * 4;
    const std::size_t total = get16(frame, l3 + 2);
    if (hlen < 20 || l3 + total > frame.size() || total < hlen) fail("fragment: bad IPv4 frame");
    // RFC 791 section 3.1: only options with the "copied" flag go into later fragments.
    Frame later_options;
    for (std::size_t i = l3 + 20; i < l3 + hlen;) {
      const std::uint8_t type = frame[i];
      if (type == 0) break;
      if (type == 1) {
        ++i;
        continue;
      }
      const std::size_t len = frame[i + 1];
      if (len < 2) break;
      if (type & 0x80) append(later_options, frame.data() + i, len);
      i += len;
    }
    const std::uint8_t* data = frame.data() + l3 + hlen;
    const std::size_t data_len = total - hlen;
    for (std::size_t off = 0; off < data_len || (off == 0 && data_len == 0); off += size) {
      const std::size_t n = std::min(size, data_len - off);
      const bool more = off + n < data_len;
      Frame f = l2;
      const std::size_t ip_at = f.size();
      if (off == 0) {
        append(f, frame.data() + l3, hlen);
      } else {
        append(f, frame.data() + l3, 20);
        f.insert(f.end(), later_options.begin(), later_options.end());
        pad4(f, ip_at);
      }
      const std::size_t fh = f.size() - ip_at;
      f[ip_at] = static_cast<std::uint8_t>(0x40 | (fh / 4));
      set16(f, ip_at + 2, static_cast<std::uint16_t>(fh + n));
      set16(f, ip_at + 6, static_cast<std::uint16_t>((more ? 0x2000 : 0) | (off / 8)));
      set16(f, ip_at + 10, 0);
      set16(f, ip_at + 10, fold(sum16(f.data() + ip_at, fh)));
      append(f, data + off, n);
      out.push_back(std::move(f));
      if (data_len == 0) break;
    }
    return out;
  }

  // IPv6 (RFC 8200 section 4.5): the unfragmentable part is the IPv6 header plus any
  // hop-by-hop and routing headers; everything after goes into the fragments.
  if (l3 + 40 > frame.size()) fail("fragment: bad IPv6 frame");
  const std::size_t total = 40 + get16(frame, l3 + 4);
  if (l3 + total > frame.size()) fail("fragment: bad IPv6 frame");
  std::size_t unfrag_end = 40;
  std::size_t nh_index = 6;
  {
    std::size_t pos = 40;
    std::uint8_t nh = frame[l3 + 6];
    while ((nh == 0 || nh == 43 || nh == 60) && pos + 2 <= total) {
      const std::size_t len = (std::size_t{frame[l3 + pos + 1]} + 1) * 8;
      if (nh != 60) {
        unfrag_end = pos + len;
        nh_index = pos;
      }
      nh = frame[l3 + pos];
      pos += len;
    }
  }
  const std::uint8_t orig_next = frame[l3 + nh_index];
  const std::uint32_t id = fnv32(frame.data() + l3, total);
  const std::uint8_t* data = frame.data() + l3 + unfrag_end;
  const std::size_t data_len = total - unfrag_end;
  for (std::size_t off = 0; off < data_len || off == 0; off += size) {
    const std::size_t n = std::min(size, data_len - off);
    const bool more = off + n < data_len;
    Frame f = l2;
    const std::size_t ip_at = f.size();
    append(f, frame.data() + l3, unfrag_end);
    f[ip_at + nh_index] = 44;
    set16(f, ip_at + 4, static_cast<std::uint16_t>(unfrag_end - 40 + 8 + n));
    f.push_back(orig_next);
    f.push_back(0);
    put16(f, static_cast<std::uint16_t>(off | (more ? 1 : 0)));
    put32(f, id);
    append(f, data + off, n);
    out.push_back(std::move(f));
    if (data_len == 0) break;
  }
  return out;
}

IpAddress ip(std::string_view text) {
  auto a = IpAddress::parse(text);
  if (!a) {
    std::fprintf(stderr, "packet_builder: bad address '%.*s'\n", static_cast<int>(text.size()),
                 text.data());
    std::abort();
  }
  return *a;
}

}  // namespace wp::testing
