#include "generator.h"

#include <algorithm>
#include <optional>
#include <utility>

namespace wp::trafficgen {

namespace {

constexpr std::size_t kMss = 1460;

testing::L4Options l4_options(const LinkOptions& link, std::uint8_t ttl, std::uint16_t ip_id) {
  testing::L4Options opt;
  opt.ttl = ttl;
  opt.ip_id = ip_id;
  opt.dont_fragment = true;  // Linux sets DF on TCP and on most UDP
  opt.vlans = link.vlans;
  return opt;
}

void put_u16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

// RFC 1035 section 3.1: a name is a sequence of length-prefixed labels ending in a zero byte.
void put_name(std::string& out, std::string_view name) {
  while (!name.empty()) {
    const std::size_t dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    out.push_back(static_cast<char>(label.size()));
    out.append(label);
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  out.push_back('\0');
}

}  // namespace

std::uint64_t Rng::next() {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint32_t Rng::between(std::uint32_t lo, std::uint32_t hi) {
  return lo + static_cast<std::uint32_t>(next() % (std::uint64_t{hi} - lo + 1));
}

Generator::Generator(const std::string& out_path, std::uint64_t seed)
    : writer_(out_path), rng_(seed), ip_id_(static_cast<std::uint16_t>(rng_.between(1, 60000))) {}

void Generator::emit(const testing::Frame& frame) {
  writer_.write(Timestamp{now_us_ / 1000000, static_cast<std::uint32_t>(now_us_ % 1000000)}, frame);
  now_us_ += kPacketStepMicros;
  ++packets_;
}

std::vector<std::uint8_t> syn_options() {
  // MSS 1460; NOP, NOP, SACK permitted.
  return {0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x04, 0x02};
}

TcpSession::TcpSession(Generator& gen, Endpoint client, Endpoint server, LinkOptions link)
    : gen_(gen), link_(std::move(link)) {
  client_.ep = client;
  client_.next_seq = static_cast<std::uint32_t>(gen_.rng().next());
  client_.ttl = link_.client_ttl;
  client_.window = 64240;
  server_.ep = server;
  server_.next_seq = static_cast<std::uint32_t>(gen_.rng().next());
  server_.ttl = link_.server_ttl;
  server_.window = 65160;
}

void TcpSession::segment(Side& from, Side& to, std::uint8_t flags, std::string_view payload,
                         std::vector<std::uint8_t> options) {
  testing::TcpSpec spec;
  spec.sport = from.ep.port;
  spec.dport = to.ep.port;
  spec.seq = from.next_seq;
  spec.ack = (flags & kAck) ? to.next_seq : 0;
  spec.flags = flags;
  spec.window = from.window;
  spec.options = std::move(options);
  gen_.emit(testing::tcp_packet(from.ep.addr, to.ep.addr, spec, payload,
                                l4_options(link_, from.ttl, gen_.next_ip_id())));
  from.next_seq += static_cast<std::uint32_t>(payload.size());
  if (flags & (kSyn | kFin)) from.next_seq += 1;  // RFC 9293 3.4: SYN and FIN occupy one
}

void TcpSession::handshake() {
  segment(client_, server_, kSyn, {}, syn_options());
  segment(server_, client_, kSyn | kAck, {}, syn_options());
  segment(client_, server_, kAck, {});
}

void TcpSession::refused() {
  segment(client_, server_, kSyn, {}, syn_options());
  segment(server_, client_, kRst | kAck, {});
}

void TcpSession::send(Side& from, Side& to, const std::vector<std::string_view>& pieces) {
  for (std::string_view piece : pieces) {
    while (!piece.empty()) {
      const std::size_t n = std::min(piece.size(), kMss);
      segment(from, to, kPsh | kAck, piece.substr(0, n));
      piece.remove_prefix(n);
    }
  }
  segment(to, from, kAck, {});
}

void TcpSession::client_push(std::string_view data) {
  segment(client_, server_, kPsh | kAck, data);
}
void TcpSession::server_push(std::string_view data) {
  segment(server_, client_, kPsh | kAck, data);
}

void TcpSession::client_send(std::string_view data) { send(client_, server_, {data}); }
void TcpSession::server_send(std::string_view data) { send(server_, client_, {data}); }
void TcpSession::client_send_pieces(const std::vector<std::string_view>& pieces) {
  send(client_, server_, pieces);
}
void TcpSession::server_send_pieces(const std::vector<std::string_view>& pieces) {
  send(server_, client_, pieces);
}

void TcpSession::close() {
  segment(client_, server_, kFin | kAck, {});
  segment(server_, client_, kFin | kAck, {});
  segment(client_, server_, kAck, {});
  gen_.gap();
}

void TcpSession::close_by_server() {
  segment(server_, client_, kFin | kAck, {});
  segment(client_, server_, kFin | kAck, {});
  segment(server_, client_, kAck, {});
  gen_.gap();
}

void dns_lookup(Generator& gen, Endpoint client, Endpoint server, std::string_view name,
                std::string_view answer, LinkOptions link) {
  const auto id = static_cast<std::uint16_t>(gen.rng().next());
  std::string query;
  put_u16(query, id);
  put_u16(query, 0x0100);  // standard query, recursion desired
  put_u16(query, 1);       // QDCOUNT
  put_u16(query, 0);
  put_u16(query, 0);
  put_u16(query, 0);
  put_name(query, name);
  put_u16(query, 1);  // A
  put_u16(query, 1);  // IN

  const auto parsed = answer.empty() ? std::nullopt : IpAddress::parse(answer);
  std::string response = query;
  response[2] = static_cast<char>(0x81);                  // response, RD, RA
  response[3] = static_cast<char>(parsed ? 0x80 : 0x83);  // NOERROR or NXDOMAIN
  if (parsed) {
    response[7] = 1;            // ANCOUNT
    put_u16(response, 0xc00c);  // pointer to the question's name (RFC 1035 4.1.4)
    put_u16(response, 1);
    put_u16(response, 1);
    put_u16(response, 0);
    put_u16(response, 300);  // TTL
    put_u16(response, 4);
    for (int i = 12; i < 16; ++i) response.push_back(static_cast<char>(parsed->bytes[i]));
  }

  testing::L4Options opt;
  opt.vlans = link.vlans;
  opt.ttl = link.client_ttl;
  opt.ip_id = gen.next_ip_id();
  gen.emit(testing::udp_packet(client.addr, server.addr, client.port, server.port, query, opt));
  opt.ttl = link.server_ttl;
  opt.ip_id = gen.next_ip_id();
  gen.emit(testing::udp_packet(server.addr, client.addr, server.port, client.port, response, opt));
  gen.gap();
}

void ping(Generator& gen, const IpAddress& client, const IpAddress& server, std::uint16_t id,
          std::uint16_t seq, std::size_t payload_size, bool reply, LinkOptions link) {
  // Linux ping: an 8-byte timestamp, then bytes counting up from 0x10.
  std::string payload;
  payload.reserve(payload_size);
  for (std::size_t i = 0; i < payload_size; ++i) {
    payload.push_back(static_cast<char>(i < 8 ? (0x5a + i) : ((i + 8) & 0xff)));
  }
  const bool v6 = !client.is_v4();
  testing::L4Options opt;
  opt.vlans = link.vlans;
  opt.ttl = link.client_ttl;
  opt.ip_id = gen.next_ip_id();
  opt.dont_fragment = true;
  gen.emit(testing::icmp_packet(client, server, v6 ? 128 : 8, 0, id, seq, payload, opt));
  if (reply) {
    opt.ttl = link.server_ttl;
    opt.ip_id = gen.next_ip_id();
    opt.dont_fragment = false;
    gen.emit(testing::icmp_packet(server, client, v6 ? 129 : 0, 0, id, seq, payload, opt));
  }
}

void tcp_probe(Generator& gen, Endpoint from, Endpoint to, std::uint8_t flags, std::uint32_t seq,
               std::uint32_t ack, std::uint16_t window, std::vector<std::uint8_t> options,
               std::uint8_t ttl) {
  testing::TcpSpec spec;
  spec.sport = from.port;
  spec.dport = to.port;
  spec.seq = seq;
  spec.ack = ack;
  spec.flags = flags;
  spec.window = window;
  spec.options = std::move(options);
  testing::L4Options opt;
  opt.ttl = ttl;
  opt.ip_id = gen.next_ip_id();
  gen.emit(testing::tcp_packet(from.addr, to.addr, spec, {}, opt));
}

void http_exchange(Generator& gen, const IpAddress& client, const IpAddress& server,
                   const std::string& request, const std::string& response, LinkOptions link) {
  TcpSession s(gen, {client, gen.ephemeral_port()}, {server, 80}, std::move(link));
  s.handshake();
  s.client_send(request);
  s.server_send(response);
  s.close();
}

}  // namespace wp::trafficgen
