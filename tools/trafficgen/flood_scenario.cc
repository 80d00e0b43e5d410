// The flood capture for benchmarks: many complete TCP sessions with pseudo-random text.
#include <string>

#include "scenarios.h"

namespace wp::trafficgen {

void flood(Generator& gen, const FloodOptions& options) {
  static constexpr std::uint16_t kServerPorts[] = {80, 443, 8080, 22, 25, 3306};
  std::string payload(options.payload_size, ' ');
  for (std::uint64_t f = 0; f < options.flows; ++f) {
    // Clients spread over 198.51.100.0/24 and 203.0.113.0/24, servers over 10.20.0.0/16.
    const std::uint32_t client_net = (f & 1) ? 0xc6336400 : 0xcb007100;  // 198.51.100/203.0.113
    const IpAddress client = IpAddress::v4(client_net | gen.rng().between(1, 254));
    const IpAddress server =
        IpAddress::v4(0x0a140000 | (gen.rng().between(1, 40) << 8) | gen.rng().between(1, 254));
    const std::uint16_t port = kServerPorts[gen.rng().between(0, 5)];
    TcpSession s(gen, {client, gen.ephemeral_port()}, {server, port});
    s.handshake();
    for (std::uint32_t p = 0; p < options.packets_per_flow; ++p) {
      // Lowercase words: never a rule's content, cheap to generate.
      for (char& c : payload) {
        const std::uint32_t r = gen.rng().between(0, 26);
        c = r == 26 ? ' ' : static_cast<char>('a' + r);
      }
      if (p % 2 == 0) {
        s.client_push(payload);
      } else {
        s.server_push(payload);
      }
    }
    s.close();
  }
}

}  // namespace wp::trafficgen
