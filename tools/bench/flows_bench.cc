#include "flows_bench.h"

#include <malloc.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "app/worker.h"
#include "bench_util.h"

namespace wp::bench {
namespace {

constexpr std::int64_t kStartMicros = 1751339045ll * 1000000;  // 2025-07-01T03:04:05Z
constexpr std::size_t kHeaders = 14 + 20 + 20;                 // Ethernet, IPv4, TCP
constexpr std::uint64_t kBatchPackets = 1u << 16;

// Packets built ahead of a timed loop; `packets[i].data` points into `arena` once finish()
// has run.
struct Batch {
  std::vector<std::uint8_t> arena;
  std::vector<capture::RawPacket> packets;
  std::vector<std::size_t> offsets;
  void clear() {
    arena.clear();
    packets.clear();
    offsets.clear();
  }
  void finish() {
    for (std::size_t i = 0; i < packets.size(); ++i) packets[i].data = arena.data() + offsets[i];
  }
};

void put16(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
void put32(std::uint8_t* p, std::uint32_t v) {
  put16(p, v >> 16);
  put16(p + 2, v & 0xffff);
}

// RFC 1071 one's-complement sum of big-endian 16-bit words.
std::uint32_t sum16(const std::uint8_t* p, std::size_t n, std::uint32_t sum = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2)
    sum += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += static_cast<std::uint32_t>(p[n - 1] << 8);
  return sum;
}
std::uint16_t fold(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

std::uint32_t mix32(std::uint64_t x) {  // splitmix64 finaliser, for initial sequence numbers
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return static_cast<std::uint32_t>(x ^ (x >> 31));
}

std::string pad_to(std::string head, const std::string& tail, std::size_t size, char fill) {
  if (head.size() + tail.size() < size) head.append(size - head.size() - tail.size(), fill);
  return head + tail;
}

// The packets of N flows. Flow i: client 198.18.0.0/15 (RFC 2544 benchmark addresses, outside
// $HOME_NET) port 20000 + i % 4096, server 10.20.0.1 + i % 64 port 80. The request and the
// response carry the flow number, so payloads differ between flows.
class FlowTraffic {
 public:
  static constexpr int kSteps = 10;

  explicit FlowTraffic(const FlowsOptions& o) {
    request_ = pad_to(
        "GET /catalog/item-0000000.html HTTP/1.1\r\nHost: shop.example.net\r\n"
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
        "Accept: text/html\r\nX-Pad: ",
        "\r\n\r\n", o.request_bytes, 'a');
    const std::string body_head =
        "<!doctype html><html><head><title>Item 0000000</title></head><body><p>";
    const std::string body_tail = "</p></body></html>\n";
    std::string head =
        "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html; charset=utf-8\r\n"
        "Connection: close\r\nContent-Length: 0000\r\n\r\n";
    const std::size_t body_len =
        o.response_bytes > head.size() ? o.response_bytes - head.size() : 0;
    std::string len = std::to_string(10000 + body_len).substr(1);
    head.replace(head.find("0000\r\n\r\n"), 4, len);
    response_ = head + pad_to(body_head, body_tail, body_len, 'x');
    req_num_ = request_.find("0000000");
    resp_num_ = response_.find("0000000");
  }

  std::uint64_t packets() const { return packet_no_; }
  void restart() { packet_no_ = 0; }
  std::size_t request_size() const { return request_.size(); }
  std::size_t response_size() const { return response_.size(); }

  // The payload of flow i's request (to_server) or response into `out`.
  void payload(std::uint64_t i, bool request, std::string& out) const {
    out = request ? request_ : response_;
    char num[8];
    std::snprintf(num, sizeof num, "%07llu", static_cast<unsigned long long>(i % 10000000));
    std::memcpy(out.data() + (request ? req_num_ : resp_num_), num, 7);
  }

  // Appends packet `step` of flow i, stamped 1 µs after the previous packet.
  void append(std::uint64_t i, int step, Batch& b) {
    const std::uint32_t q = static_cast<std::uint32_t>(request_.size());
    const std::uint32_t r = static_cast<std::uint32_t>(response_.size());
    const std::uint32_t c0 = mix32(2 * i), s0 = mix32(2 * i + 1);
    constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kPsh = 0x08, kAck = 0x10;
    bool client = true;
    std::uint8_t flags = kAck;
    std::uint32_t seq = 0, ack = 0;
    int data = 0;  // 1: request, 2: response
    switch (step) {
      case 0:
        flags = kSyn;
        seq = c0;
        break;
      case 1:
        client = false;
        flags = kSyn | kAck;
        seq = s0;
        ack = c0 + 1;
        break;
      case 2:
        seq = c0 + 1;
        ack = s0 + 1;
        break;
      case 3:
        flags = kPsh | kAck;
        seq = c0 + 1;
        ack = s0 + 1;
        data = 1;
        break;
      case 4:
        client = false;
        seq = s0 + 1;
        ack = c0 + 1 + q;
        break;
      case 5:
        client = false;
        flags = kPsh | kAck;
        seq = s0 + 1;
        ack = c0 + 1 + q;
        data = 2;
        break;
      case 6:
        seq = c0 + 1 + q;
        ack = s0 + 1 + r;
        break;
      case 7:
        flags = kFin | kAck;
        seq = c0 + 1 + q;
        ack = s0 + 1 + r;
        break;
      case 8:
        client = false;
        flags = kFin | kAck;
        seq = s0 + 1 + r;
        ack = c0 + 2 + q;
        break;
      default:
        seq = c0 + 2 + q;
        ack = s0 + 2 + r;
        break;
    }
    const std::uint32_t caddr = 0xc6120000u | static_cast<std::uint32_t>((i >> 12) & 0x1ffff);
    const std::uint32_t saddr = 0x0a140001u + static_cast<std::uint32_t>(i % 64);
    const std::uint16_t cport = static_cast<std::uint16_t>(20000 + (i & 4095));
    const std::uint16_t sport = 80;
    std::string payload;
    if (data != 0) this->payload(i, data == 1, payload);

    const std::size_t at = b.arena.size();
    const std::size_t len = kHeaders + payload.size();
    b.arena.resize(at + len);
    std::uint8_t* f = b.arena.data() + at;
    std::memset(f, 0, kHeaders);
    // Ethernet: client 02:00:00:00:00:01, server 02:00:00:00:00:02.
    f[5] = client ? 2 : 1;
    f[11] = client ? 1 : 2;
    f[0] = f[6] = 0x02;
    put16(f + 12, 0x0800);
    std::uint8_t* ip = f + 14;
    ip[0] = 0x45;
    put16(ip + 2, static_cast<std::uint32_t>(len - 14));
    put16(ip + 4,
          static_cast<std::uint32_t>(i * kSteps + static_cast<std::uint64_t>(step)) & 0xffff);
    put16(ip + 6, 0x4000);  // DF
    ip[8] = 64;
    ip[9] = 6;
    put32(ip + 12, client ? caddr : saddr);
    put32(ip + 16, client ? saddr : caddr);
    put16(ip + 10, fold(sum16(ip, 20)));
    std::uint8_t* tcp = ip + 20;
    put16(tcp, client ? cport : sport);
    put16(tcp + 2, client ? sport : cport);
    put32(tcp + 4, seq);
    put32(tcp + 8, ack);
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    put16(tcp + 14, client ? 64240 : 65160);
    std::memcpy(tcp + 20, payload.data(), payload.size());
    // RFC 793 section 3.1: the checksum covers a pseudo header, the header and the data.
    std::uint32_t sum = sum16(ip + 12, 8);
    sum += 6 + static_cast<std::uint32_t>(20 + payload.size());
    put16(tcp + 16, fold(sum16(tcp, 20 + payload.size(), sum)));

    capture::RawPacket raw;
    const std::int64_t us = kStartMicros + static_cast<std::int64_t>(packet_no_);
    raw.ts = Timestamp{us / 1000000, static_cast<std::uint32_t>(us % 1000000)};
    raw.caplen = raw.wirelen = static_cast<std::uint32_t>(len);
    raw.number = ++packet_no_;
    b.offsets.push_back(at);
    b.packets.push_back(raw);
  }

 private:
  std::string request_, response_;
  std::size_t req_num_ = 0, resp_num_ = 0;
  std::uint64_t packet_no_ = 0;
};

// Feeds the worker steps [from, to) of flows [0, n): step by step over all flows
// (concurrent) or flow by flow; only the worker's loop is timed.
double feed(app::Worker& w, FlowTraffic& gen, std::uint64_t n, bool concurrent, int from, int to,
            Batch& b) {
  double t = 0;
  auto run = [&] {
    b.finish();
    const auto t0 = Clock::now();
    for (const capture::RawPacket& p : b.packets) w.process(p);
    t += seconds_since(t0);
    b.clear();
  };
  if (concurrent) {
    for (int step = from; step < to; ++step) {
      for (std::uint64_t i = 0; i < n; ++i) {
        gen.append(i, step, b);
        if (b.packets.size() == kBatchPackets) run();
      }
      if (!b.packets.empty()) run();
    }
  } else {
    for (std::uint64_t i = 0; i < n; ++i) {
      for (int step = from; step < to; ++step) gen.append(i, step, b);
      if (b.packets.size() + FlowTraffic::kSteps > kBatchPackets) run();
    }
    if (!b.packets.empty()) run();
  }
  return t;
}

double mib(double bytes) { return bytes / kMiB; }

void print_counters(const Counters& c) {
  static const char* kNames[] = {
      "flow.total",      "flow.evicted",       "flow.timeout",
      "stream.sessions", "stream.memcap_drop", "stream.reassembly_memcap_drop",
      "stream.bytes",    "stream.chunks",      "stream.reassembly_gap",
      "detect.alert"};
  std::printf("counters:");
  for (const char* n : kNames)
    std::printf(" %s=%llu", n, static_cast<unsigned long long>(c.get(n)));
  std::printf("\n");
}

}  // namespace

int flows_bench(const app::Config& config, const std::shared_ptr<const detect::RuleSet>& rules,
                const FlowsOptions& o) {
  const std::uint64_t n = o.count;
  FlowTraffic gen(o);
  Batch batch;
  batch.arena.reserve(kBatchPackets *
                      (kHeaders + std::max(gen.request_size(), gen.response_size())));
  batch.packets.reserve(kBatchPackets);
  batch.offsets.reserve(kBatchPackets);
  // Rule loading leaves freed heap pages resident; return them so that what follows shows
  // up in the resident figures.
  malloc_trim(0);
  const bool peak_reset = reset_peak_memory();
  const ResidentMemory at_start = resident_memory();

  std::printf(
      "flows: %llu concurrent TCP flows, %d packets each (handshake, %zu B request, ACK, %zu B "
      "response, ACK, FIN close)\n",
      static_cast<unsigned long long>(n), FlowTraffic::kSteps, gen.request_size(),
      gen.response_size());
  const std::uint64_t blocks = stream::BlockPool::block_size(gen.request_size()) +
                               stream::BlockPool::block_size(gen.response_size());
  std::printf(
      "settings: flow.memcap=%llu flow.hash-size=%u stream.memcap=%llu "
      "stream.reassembly.memcap=%llu\n",
      static_cast<unsigned long long>(config.flow.memcap), config.flow.hash_size,
      static_cast<unsigned long long>(config.stream.memcap),
      static_cast<unsigned long long>(config.stream.reassembly_memcap));
  std::printf(
      "  needed for %llu flows: flow.memcap >= %llu (sizeof(Flow) %zu B), stream.memcap >= %llu "
      "(session %zu B),"
      " stream.reassembly.memcap >= %llu (%llu B of buffer blocks per flow)\n",
      static_cast<unsigned long long>(n), static_cast<unsigned long long>(n * sizeof(flow::Flow)),
      sizeof(flow::Flow),
      static_cast<unsigned long long>(n * stream::StreamEngine::session_bytes()),
      stream::StreamEngine::session_bytes(), static_cast<unsigned long long>(n * blocks),
      static_cast<unsigned long long>(blocks));

  // 1. Concurrent, with memory at each phase boundary.
  double t_conc = 0;
  ResidentMemory after_worker, peak;
  Counters conc_counters;
  std::uint64_t alerts = 0;
  std::uint64_t pool_peak = 0, pool_held = 0;
  std::size_t sessions_peak = 0, table_capacity = 0;
  {
    Counters& c = conc_counters;
    NullSink sink;
    app::Worker w(config, rules, c, &sink);
    after_worker = resident_memory();
    static const struct {
      const char* name;
      int from, to;
    } kPhases[] = {{"open (SYN, SYN/ACK, ACK)", 0, 3},
                   {"data (request, ACK, response, ACK)", 3, 7},
                   {"close (FIN, FIN/ACK, ACK)", 7, 10}};
    std::printf("concurrent run, memory after each phase:\n");
    for (const auto& ph : kPhases) {
      const double t = feed(w, gen, n, true, ph.from, ph.to, batch);
      t_conc += t;
      const ResidentMemory m = resident_memory();
      sessions_peak = std::max(sessions_peak, w.stream().sessions());
      std::printf(
          "  %-36s %7.3f s  RSS %7.1f MiB  stream sessions %zu  pool in use %.1f MiB, held %.1f "
          "MiB\n",
          ph.name, t, mib(static_cast<double>(m.rss)), w.stream().sessions(),
          mib(static_cast<double>(w.stream().pool().in_use())),
          mib(static_cast<double>(w.stream().pool().held())));
    }
    peak = resident_memory();
    pool_peak = w.stream().pool().peak();
    pool_held = w.stream().pool().held();
    table_capacity = static_cast<std::size_t>(
        std::max<std::uint64_t>(config.flow.memcap / sizeof(flow::Flow), 16));
    alerts = sink.alerts;
  }
  const std::uint64_t packets = gen.packets();

  // 2. Sequential: the same packets flow by flow, fresh worker.
  gen.restart();
  double t_seq = 0;
  {
    Counters c;
    NullSink sink;
    app::Worker w(config, rules, c, &sink);
    t_seq = feed(w, gen, n, false, 0, FlowTraffic::kSteps, batch);
  }

  // 3. Concurrent again with stage timing (the timers cost time; shares only).
  gen.restart();
  std::array<std::uint64_t, app::kStages> stage_ns{};
  {
    Counters c;
    NullSink sink;
    app::Worker w(config, rules, c, &sink);
    w.enable_stage_timing();
    feed(w, gen, n, true, 0, FlowTraffic::kSteps, batch);
    stage_ns = w.stage_ns();
  }

  // 4. Ceiling: Hyperscan alone on the same payloads (packet and stream groups).
  double t_ceiling = 0;
  {
    Counters c;
    detect::Detector det(rules, config.detect, c);
    std::vector<std::string> payloads(2 * 4096);
    decode::Packet p;
    p.proto = decode::kProtoTcp;
    for (std::uint64_t i0 = 0; i0 < n; i0 += 4096) {
      const std::uint64_t k = std::min<std::uint64_t>(4096, n - i0);
      for (std::uint64_t j = 0; j < k; ++j) {
        gen.payload(i0 + j, true, payloads[2 * j]);
        gen.payload(i0 + j, false, payloads[2 * j + 1]);
      }
      const auto t0 = Clock::now();
      for (std::uint64_t j = 0; j < 2 * k; ++j) {
        p.payload = {reinterpret_cast<const std::uint8_t*>(payloads[j].data()), payloads[j].size()};
        det.prefilter_only(p, flow::FlowRef{nullptr, j % 2 == 0, false});
      }
      t_ceiling += seconds_since(t0);
    }
  }

  const double dn = static_cast<double>(n);
  std::printf("concurrent: %.3f s  %.0f flows/s  %.0f pkt/s  (%llu alerts)\n", t_conc, dn / t_conc,
              static_cast<double>(packets) / t_conc, static_cast<unsigned long long>(alerts));
  std::printf("sequential: %.3f s  %.0f flows/s\n", t_seq, dn / t_seq);
  std::printf("ceiling (Hyperscan only on the %llu payloads): %.3f s  %.0f flows/s\n",
              static_cast<unsigned long long>(2 * n), t_ceiling, dn / t_ceiling);
  std::printf("concurrent / sequential: %.2f   concurrent / ceiling: %.3f\n", t_seq / t_conc,
              t_ceiling / t_conc);
  std::uint64_t stage_total = 0;
  for (auto ns : stage_ns) stage_total += ns;
  std::printf("time share per stage (concurrent):");
  for (int i = 0; i < app::kStages; ++i) {
    std::printf(" %s %.1f%%", stage_name(i),
                stage_total
                    ? 100.0 * static_cast<double>(stage_ns[i]) / static_cast<double>(stage_total)
                    : 0.0);
  }
  std::printf("\n");
  print_counters(conc_counters);

  const double flow_table =
      static_cast<double>(table_capacity * sizeof(flow::Flow)) +
      4.0 * static_cast<double>(std::bit_ceil(std::max<std::uint32_t>(config.flow.hash_size, 16)));
  const double sessions =
      static_cast<double>(sessions_peak * stream::StreamEngine::session_bytes());
  if (!peak_reset)
    std::printf("(VmHWM could not be reset: the peak below includes rule loading)\n");
  std::printf(
      "memory: RSS after rule load %.1f MiB, with the worker built %.1f MiB, peak in the run "
      "(VmHWM) %.1f MiB;"
      " peak - rule load = %.1f MiB = %.0f B per flow; peak - worker built = %.0f B per flow\n",
      mib(static_cast<double>(at_start.rss)), mib(static_cast<double>(after_worker.rss)),
      mib(static_cast<double>(peak.peak)), mib(static_cast<double>(peak.peak - at_start.rss)),
      static_cast<double>(peak.peak - at_start.rss) / dn,
      static_cast<double>(peak.peak - after_worker.rss) / dn);
  std::printf(
      "  flow table %.1f MiB (%zu flows x %zu B, preallocated, + buckets); sessions %.1f MiB (%zu "
      "x %zu B);"
      " block pool peak %.1f MiB, held %.1f MiB\n",
      mib(flow_table), table_capacity, sizeof(flow::Flow), mib(sessions), sessions_peak,
      stream::StreamEngine::session_bytes(), mib(static_cast<double>(pool_peak)),
      mib(static_cast<double>(pool_held)));
  std::printf("  per flow: Flow %zu B + session %zu B + buffers %.0f B = %.0f B\n",
              sizeof(flow::Flow), stream::StreamEngine::session_bytes(),
              static_cast<double>(pool_peak) / dn,
              static_cast<double>(sizeof(flow::Flow) + stream::StreamEngine::session_bytes()) +
                  static_cast<double>(pool_peak) / dn);
  return 0;
}

}  // namespace wp::bench
