#include "stream_trace.h"

#include <algorithm>
#include <unordered_map>

#include "decode/decoder.h"
#include "flow/flow_table.h"
#include "stream/stream.h"

namespace wp::bench {
namespace {

struct Tracer {
  StreamTrace* trace;
  stream::StreamEngine* engine;
  std::size_t overlap[2];                                 // [0]: to_server, [1]: to_client
  std::unordered_map<std::uint64_t, std::uint32_t> dirs;  // flow id -> first of its 2 ids
  std::vector<std::uint8_t> open;                         // per direction
  std::size_t open_now = 0;
  std::uint64_t flow_id = 0;  // of the packet being reassembled

  std::uint32_t dir_of(std::uint64_t id, bool to_server) {
    auto [it, inserted] = dirs.emplace(id, trace->directions);
    if (inserted) {
      trace->directions += 2;
      open.resize(trace->directions, 0);
    }
    return it->second + (to_server ? 0 : 1);
  }

  void close(std::uint32_t dir) {
    if (!open[dir]) return;
    open[dir] = 0;
    --open_now;
    StreamTrace::Event e;
    e.dir = dir;
    e.close = true;
    trace->events.push_back(e);
  }

  void close_flow(std::uint64_t id) {
    auto it = dirs.find(id);
    if (it == dirs.end()) return;
    close(it->second);
    close(it->second + 1);
    dirs.erase(it);
  }

  static void on_release(void* self, flow::Flow& f, flow::FlowEndReason, const Timestamp&) {
    auto* t = static_cast<Tracer*>(self);
    t->close_flow(f.flow_id);
    t->engine->release(f);
  }

  static void on_chunk(void* self, const stream::StreamChunk& c) {
    auto* t = static_cast<Tracer*>(self);
    StreamTrace& tr = *t->trace;
    // Detector::inspect_stream: the new bytes plus max pattern length - 1 before them.
    const std::size_t want = t->overlap[c.to_server ? 0 : 1];
    const std::size_t from = c.new_from > want ? c.new_from - want : 0;
    StreamTrace::Event e;
    e.dir = t->dir_of(t->flow_id, c.to_server);
    e.to_server = c.to_server;
    e.overlap = static_cast<std::uint32_t>(c.new_from - from);
    e.length = static_cast<std::uint32_t>(c.data.size() - from);
    e.offset = tr.bytes.size();
    tr.bytes.insert(tr.bytes.end(), c.data.begin() + static_cast<std::ptrdiff_t>(from),
                    c.data.end());
    tr.events.push_back(e);
    if (!t->open[e.dir]) {
      t->open[e.dir] = 1;
      ++t->open_now;
      tr.peak_open_directions = std::max(tr.peak_open_directions, t->open_now);
    }
    ++tr.chunks;
    tr.new_bytes += e.length - e.overlap;
    tr.overlap_bytes += e.overlap;
  }
};

}  // namespace

StreamTrace trace_streams(const std::vector<capture::RawPacket>& packets, const app::Config& config,
                          const detect::RuleSet& rules) {
  StreamTrace trace;
  Counters counters;
  // As the Worker configures its stages (app/worker.cc).
  decode::DecoderConfig dc = config.decoder;
  dc.validate_checksums =
      config.checksum_validation && config.pcap_checksum_checks != app::ChecksumChecks::kNo;
  decode::Decoder decoder(dc, counters);
  stream::StreamEngine engine(config.stream, counters);
  flow::FlowTable flows(config.flow, counters);

  Tracer t;
  t.trace = &trace;
  t.engine = &engine;
  for (int dir = 0; dir < 2; ++dir) {
    const std::size_t len = rules.stream_group(dir == 0).max_pattern_len;
    t.overlap[dir] = len > 0 ? len - 1 : 0;
  }
  flows.set_release_hook(&Tracer::on_release, &t);

  decode::Packet pkt;
  for (const capture::RawPacket& raw : packets) {
    if (decoder.decode(raw, pkt) != decode::DecodeStatus::kOk || pkt.ip_version == 0) continue;
    flow::FlowRef fr = flows.process(pkt);
    if (pkt.checksum_bad) continue;
    trace.payload_bytes += pkt.payload.size();
    if (pkt.proto != decode::kProtoTcp) continue;
    trace.tcp_payload_bytes += pkt.payload.size();
    if (engine.track(pkt, fr) != stream::StreamVerdict::kTracked) {
      trace.untracked_tcp_bytes += pkt.payload.size();
      continue;
    }
    t.flow_id = fr.flow->flow_id;
    engine.reassemble(pkt, fr, &Tracer::on_chunk, &t);
    flows.refile(*fr.flow);
    trace.peak_sessions = std::max(trace.peak_sessions, engine.sessions());
  }
  // The end of the capture ends every session still open.
  std::vector<std::uint64_t> rest;
  for (const auto& [id, dir] : t.dirs) rest.push_back(id);
  std::sort(rest.begin(), rest.end());
  for (std::uint64_t id : rest) t.close_flow(id);
  return trace;
}

}  // namespace wp::bench
