#include "stream/stream.h"

#include <algorithm>
#include <cstring>

#include "common/text.h"

namespace wp::stream {
namespace {

// An out-of-order segment: this header followed by `len` bytes, in one pool block.
struct OooSeg {
  OooSeg* next;
  std::uint64_t off;  // stream offset of the first byte
  std::uint32_t len;
  std::uint8_t* data() { return reinterpret_cast<std::uint8_t*>(this + 1); }
};

constexpr std::uint64_t kMaxAhead = 64ull << 20;  // a segment further ahead is bogus

// Whether the bytes of a new segment [ns, ne) replace those of a stored one [os, oe) where
// they overlap.
bool new_wins(OverlapPolicy p, std::uint64_t ns, std::uint64_t ne, std::uint64_t os,
              std::uint64_t oe) {
  switch (p) {
    case OverlapPolicy::kFirst: return false;
    case OverlapPolicy::kLast: return true;
    case OverlapPolicy::kBsd: return ns < os;
    case OverlapPolicy::kBsdRight: return ne > oe;
    case OverlapPolicy::kLinux: return ns < os || (ns == os && ne > oe);
    case OverlapPolicy::kSolaris: return ne >= oe;
  }
  return false;
}

struct PolicyName {
  const char* name;
  OverlapPolicy policy;
};
constexpr PolicyName kPolicyNames[] = {
    {"bsd", OverlapPolicy::kBsd},          {"irix", OverlapPolicy::kBsd},
    {"hpux11", OverlapPolicy::kBsd},       {"bsd-right", OverlapPolicy::kBsdRight},
    {"linux", OverlapPolicy::kLinux},      {"old-linux", OverlapPolicy::kLinux},
    {"solaris", OverlapPolicy::kSolaris},  {"old-solaris", OverlapPolicy::kSolaris},
    {"first", OverlapPolicy::kFirst},      {"windows", OverlapPolicy::kFirst},
    {"windows2k3", OverlapPolicy::kFirst}, {"vista", OverlapPolicy::kFirst},
    {"macos", OverlapPolicy::kFirst},      {"hpux10", OverlapPolicy::kFirst},
    {"last", OverlapPolicy::kLast},
};

}  // namespace

bool parse_overlap_policy(std::string_view name, OverlapPolicy& out) {
  for (const PolicyName& p : kPolicyNames) {
    if (name == p.name) {
      out = p.policy;
      return true;
    }
  }
  return false;
}

const char* overlap_policy_name(OverlapPolicy p) {
  switch (p) {
    case OverlapPolicy::kFirst: return "first";
    case OverlapPolicy::kLast: return "last";
    case OverlapPolicy::kBsd: return "bsd";
    case OverlapPolicy::kBsdRight: return "bsd-right";
    case OverlapPolicy::kLinux: return "linux";
    case OverlapPolicy::kSolaris: return "solaris";
  }
  return "bsd";
}

bool PolicyMap::add(std::string_view cidr, OverlapPolicy p) {
  cidr = trim(cidr);
  const std::size_t slash = cidr.find('/');
  auto addr = IpAddress::parse(cidr.substr(0, slash));
  if (!addr) return false;
  const int bits = addr->is_v4() ? 32 : 128;
  int prefix = bits;
  if (slash != std::string_view::npos) {
    auto n = parse_uint(cidr.substr(slash + 1));
    if (!n || *n > static_cast<std::uint64_t>(bits)) return false;
    prefix = static_cast<int>(*n);
  }
  prefix += 128 - bits;  // IPv4 lives in ::ffff:0:0/96
  const IpKey host_mask = prefix == 128 ? IpKey{0} : (~IpKey{0}) >> prefix;
  const IpKey lo = addr->key() & ~host_mask;
  entries_.push_back(Entry{lo, lo | host_mask, prefix, static_cast<std::uint32_t>(entries_.size()), p});
  rebuild();
  return true;
}

void PolicyMap::rebuild() {
  // Elementary intervals from every bound; each takes the policy of the most specific
  // (then the latest) entry covering it. Cold path (configuration load).
  std::vector<IpKey> bounds;
  for (const Entry& e : entries_) {
    bounds.push_back(e.lo);
    if (e.hi != ~IpKey{0}) bounds.push_back(e.hi + 1);
  }
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  starts_.clear();
  policies_.clear();
  for (IpKey b : bounds) {
    const Entry* best = nullptr;
    for (const Entry& e : entries_) {
      if (b < e.lo || b > e.hi) continue;
      if (best == nullptr || e.prefix > best->prefix ||
          (e.prefix == best->prefix && e.order > best->order)) {
        best = &e;
      }
    }
    starts_.push_back(b);
    policies_.push_back(best == nullptr ? -1 : static_cast<std::int16_t>(best->policy));
  }
}

OverlapPolicy PolicyMap::lookup(const IpAddress& a) const {
  auto it = std::upper_bound(starts_.begin(), starts_.end(), a.key());
  if (it == starts_.begin()) return default_;
  const std::int16_t p = policies_[static_cast<std::size_t>(it - starts_.begin()) - 1];
  return p < 0 ? default_ : static_cast<OverlapPolicy>(p);
}

// One direction of a session.
struct StreamEngine::Dir {
  bool active = false;         // the sequence base is known: data is reassembled
  bool depth_reached = false;
  bool fin = false;              // a FIN at fin_off was seen (reached once next_off == fin_off)
  bool syn = false;              // this direction's SYN (or SYN/ACK) was seen: isn is known
  bool rcv_known = false;        // the receiver has acknowledged something: rcv_* are set
  std::uint32_t isn = 0;         // initial sequence number (the SYN's)
  std::uint32_t rcv_ack = 0;     // the receiver's latest acknowledgement number
  std::uint32_t rcv_window = 0;  // and the window it advertised with it (scaled)
  std::uint32_t next_seq = 0;  // sequence number of the next in-order byte
  std::uint64_t next_off = 0;  // its stream offset (bytes delivered so far)
  std::uint64_t fin_off = 0;   // stream offset of the FIN
  std::uint64_t anchor = 0;    // stream offset where the current message started
  std::uint64_t peer_acked = 0;  // furthest stream offset the receiver acknowledged
  std::uint64_t window_end = 0;  // the receiver accepts nothing at or beyond this offset
  bool window_known = false;
  bool wscale_offered = false;   // this direction's sender offered window scaling (SYN)
  std::uint8_t wscale = 0;
  std::uint8_t* buf = nullptr; // stream bytes [base, base + len)
  std::uint32_t cap = 0;
  std::uint32_t len = 0;
  std::uint64_t base = 0;
  OooSeg* ooo = nullptr;       // sorted by offset, disjoint
  std::uint32_t ooo_bytes = 0;
  OverlapPolicy policy = OverlapPolicy::kBsd;  // the receiving host's
  HitRing hits;
};

struct StreamEngine::Session {
  Dir dir[2];  // [0]: to_server, [1]: to_client
  TcpState state = TcpState::kNone;
  std::int8_t last_data_dir = -1;  // direction of the last data delivered
  bool was_established = false;    // reached kEstablished (stays true once closed)
  bool handshake_seen = false;     // both SYNs seen (window scaling is known)
  bool split = false;              // split handshake: the server sent a SYN, the client a SYN/ACK
  bool in_use = false;
  Session* next_free = nullptr;
};

namespace {

// Sequence number comparisons modulo 2^32 (RFC 793 section 3.3): the signed distance is
// taken in 64 bits, so a distance of exactly 2^31 (no positive counterpart in 32 bits) is
// "behind" and never negated in 32 bits.
std::int64_t seq_diff(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b); }

bool accepts_reset_in_window(OverlapPolicy p) {
  // Suricata's model of the stacks: Linux and Solaris accept a RST anywhere in the window,
  // the BSD family (and Windows) only at the next expected sequence number.
  return p == OverlapPolicy::kLinux || p == OverlapPolicy::kSolaris;
}

flow::FlowState flow_state_of(TcpState t) {
  switch (t) {
    case TcpState::kEstablished:
      return flow::FlowState::kEstablished;
    case TcpState::kClosed:
      return flow::FlowState::kClosed;
    default:
      return flow::FlowState::kNew;
  }
}

}  // namespace

TcpState StreamEngine::state(const flow::Flow& f) {
  const auto* s = static_cast<const Session*>(f.stream_state);
  return s == nullptr ? TcpState::kNone : s->state;
}

std::size_t StreamEngine::session_bytes() { return sizeof(Session); }

bool StreamEngine::sizes(const flow::Flow& f, const decode::Packet* pending,
                         bool pending_to_server, std::uint64_t& client, std::uint64_t& server) {
  const auto* s = static_cast<const Session*>(f.stream_state);
  if (s == nullptr || !s->was_established) return false;
  client = s->dir[0].next_off + 1;
  server = s->dir[1].next_off + 1;
  if (pending != nullptr && !pending->payload.empty()) {
    const Dir& d = s->dir[pending_to_server ? 0 : 1];
    const bool syn = pending->tcp_flags & decode::kTcpSyn;
    if (d.active && !d.depth_reached && pending->tcp_seq + (syn ? 1u : 0u) == d.next_seq) {
      (pending_to_server ? client : server) += pending->payload.size();
    }
  }
  return true;
}

StreamEngine::StreamEngine(const StreamConfig& config, Counters& counters)
    : config_(config), pool_(config.reassembly_memcap), counters_(counters) {
  max_sessions_ = std::max<std::uint64_t>(config_.memcap / sizeof(Session), 1);
  if (config_.inspect_window < 64) config_.inspect_window = 64;
  // The direction buffer holds the window plus at least as much new data.
  const std::size_t max_buf = BlockPool::block_size(std::min<std::size_t>(
      2 * static_cast<std::size_t>(config_.inspect_window), BlockPool::kMaxBlock));
  if (config_.inspect_window > max_buf / 2) config_.inspect_window = static_cast<std::uint32_t>(max_buf / 2);
  c_sessions_ = counters_.add("stream.sessions");
  c_midstream_ = counters_.add("stream.midstream_pickups");
  c_memcap_ = counters_.add("stream.memcap_drop");
  c_reasm_memcap_ = counters_.add("stream.reassembly_memcap_drop");
  c_depth_ = counters_.add("stream.reassembly_depth_reached");
  c_gap_ = counters_.add("stream.reassembly_gap");
  c_overlap_ = counters_.add("stream.reassembly_overlap");
  c_overlap_diff_ = counters_.add("stream.reassembly_overlap_different_data", CounterKind::kAnomaly);
  c_retransmit_ = counters_.add("stream.retransmission");
  c_ooo_ = counters_.add("stream.out_of_order");
  c_bytes_ = counters_.add("stream.bytes");
  c_chunks_ = counters_.add("stream.chunks");
  c_after_fin_ = counters_.add("stream.data_after_fin", CounterKind::kAnomaly);
  c_bad_seq_ = counters_.add("stream.bad_sequence", CounterKind::kAnomaly);
  c_closed_ = counters_.add("stream.closed");
  c_out_of_window_ = counters_.add("stream.out_of_window", CounterKind::kAnomaly);
  c_established_ = counters_.add("stream.sessions_established");
  c_split_ = counters_.add("stream.split_handshake");
  c_async_ = counters_.add("stream.async_oneside");
  c_bad_ack_ = counters_.add("stream.handshake_invalid_ack", CounterKind::kAnomaly);
  c_rst_invalid_ = counters_.add("stream.rst_invalid", CounterKind::kAnomaly);
  c_fin_superseded_ = counters_.add("stream.fin_superseded", CounterKind::kAnomaly);
}

StreamEngine::~StreamEngine() {
  for (auto [slab, n] : session_slabs_) {
    for (std::size_t i = 0; i < n; ++i) {
      if (slab[i].in_use) {
        free_dir(slab[i].dir[0]);
        free_dir(slab[i].dir[1]);
      }
    }
    delete[] slab;
  }
}

StreamEngine::Session* StreamEngine::create_session(flow::Flow& f) {
  if (free_sessions_ == nullptr) {
    if (session_count_ >= max_sessions_) {
      counters_.inc(c_memcap_);
      return nullptr;
    }
    // Sessions come in slabs; a slab is allocated once per 256 new sessions at most.
    const std::size_t n = std::min<std::size_t>(256, max_sessions_ - session_count_);
    Session* slab = new Session[n];
    session_slabs_.emplace_back(slab, n);
    for (std::size_t i = 0; i < n; ++i) {
      slab[i].next_free = free_sessions_;
      free_sessions_ = &slab[i];
    }
    session_count_ += n;
  }
  Session* s = free_sessions_;
  free_sessions_ = s->next_free;
  *s = Session{};
  s->in_use = true;
  // Each direction's receiver decides how overlaps resolve.
  const IpAddress server = f.key.lo_addr == f.client_addr ? f.key.hi_addr : f.key.lo_addr;
  s->dir[0].policy = config_.policies.lookup(server);
  s->dir[1].policy = config_.policies.lookup(f.client_addr);
  f.stream_state = s;
  ++sessions_in_use_;
  counters_.inc(c_sessions_);
  return s;
}

void StreamEngine::free_dir(Dir& d) {
  pool_.free(d.buf, d.cap);
  d.buf = nullptr;
  d.cap = d.len = 0;
  while (d.ooo != nullptr) {
    OooSeg* s = d.ooo;
    d.ooo = s->next;
    pool_.free(reinterpret_cast<std::uint8_t*>(s), sizeof(OooSeg) + s->len);
  }
  d.ooo_bytes = 0;
}

void StreamEngine::release(flow::Flow& f) {
  auto* s = static_cast<Session*>(f.stream_state);
  if (s == nullptr) return;
  free_dir(s->dir[0]);
  free_dir(s->dir[1]);
  s->in_use = false;
  s->next_free = free_sessions_;
  free_sessions_ = s;
  f.stream_state = nullptr;
  --sessions_in_use_;
}

void StreamEngine::insert(Dir& d, std::uint64_t s, std::span<const std::uint8_t> data,
                          OverlapPolicy policy) {
  const std::uint64_t e = s + data.size();
  OooSeg** link = &d.ooo;
  while (*link != nullptr && (*link)->off + (*link)->len <= s) link = &(*link)->next;
  std::uint64_t cur = s;
  auto add_node = [&](std::uint64_t from, std::uint64_t to) -> OooSeg* {
    const std::size_t n = static_cast<std::size_t>(to - from);
    // Data that is in order now is delivered right after; only data waiting for a hole to
    // fill counts against the out-of-order limit.
    if (from != d.next_off && d.ooo_bytes + n > config_.max_ooo_bytes) {
      counters_.inc(c_reasm_memcap_);
      return nullptr;
    }
    auto* node = reinterpret_cast<OooSeg*>(pool_.allocate(sizeof(OooSeg) + n));
    if (node == nullptr) {
      counters_.inc(c_reasm_memcap_);
      return nullptr;
    }
    node->off = from;
    node->len = static_cast<std::uint32_t>(n);
    std::memcpy(node->data(), data.data() + (from - s), n);
    node->next = *link;
    *link = node;
    d.ooo_bytes += static_cast<std::uint32_t>(n);
    return node;
  };
  while (cur < e) {
    OooSeg* x = *link;
    if (x == nullptr || x->off >= e) {
      add_node(cur, e);
      return;
    }
    if (x->off > cur) {  // the part before x is new data
      if (OooSeg* node = add_node(cur, x->off)) link = &node->next;
      cur = x->off;
      continue;
    }
    // [cur, ov_end) overlaps x: the policy decides whose bytes the host keeps.
    const std::uint64_t x_end = x->off + x->len;
    const std::uint64_t ov_end = std::min(e, x_end);
    counters_.inc(c_overlap_);
    std::uint8_t* old_bytes = x->data() + (cur - x->off);
    const std::uint8_t* new_bytes = data.data() + (cur - s);
    const std::size_t n = static_cast<std::size_t>(ov_end - cur);
    if (std::memcmp(old_bytes, new_bytes, n) != 0) {
      anomaly(c_overlap_diff_, StreamEvent::kReassemblyOverlapDifferentData);
      if (new_wins(policy, s, e, x->off, x_end)) std::memcpy(old_bytes, new_bytes, n);
    }
    cur = ov_end;
    link = &x->next;
  }
}

void StreamEngine::deliver(Session& s, int di, std::span<const std::uint8_t> data, ChunkFn fn,
                           void* ctx) {
  Dir& d = s.dir[di];
  const bool to_server = di == 0;
  if (d.depth_reached) return;
  if (s.last_data_dir != di) {
    // A turn: data in this direction after data in the other one starts a new message.
    d.anchor = d.next_off;
    s.last_data_dir = static_cast<std::int8_t>(di);
  }
  if (config_.depth != 0 && d.next_off + data.size() >= config_.depth) {
    // next_off < depth here: a direction at or beyond the depth is marked depth_reached
    // before it gets here (skip_gap), so the difference cannot wrap.
    data =
        data.first(static_cast<std::size_t>(config_.depth - std::min(d.next_off, config_.depth)));
    d.depth_reached = true;
    anomaly(c_depth_, StreamEvent::kReassemblyDepthReached);
  }
  const std::size_t window = config_.inspect_window;
  const std::size_t max_cap = BlockPool::block_size(2 * window);
  while (!data.empty()) {
    if (d.len + data.size() > d.cap && d.cap < max_cap) {
      // Grow by size class (a few times per direction at most).
      const std::size_t want = std::min(max_cap, std::max<std::size_t>(d.len + data.size(), 2u * d.cap));
      const std::size_t size = BlockPool::block_size(want);
      if (std::uint8_t* nb = pool_.allocate(size)) {
        if (d.len != 0) std::memcpy(nb, d.buf, d.len);
        pool_.free(d.buf, d.cap);
        d.buf = nb;
        d.cap = static_cast<std::uint32_t>(size);
      } else {
        counters_.inc(c_reasm_memcap_);
      }
    }
    if (d.len + data.size() > d.cap && d.len > window) {
      // Slide: keep the last `window` bytes as context for what follows.
      const std::size_t drop = d.len - window;
      std::memmove(d.buf, d.buf + drop, window);
      d.base += drop;
      d.len = static_cast<std::uint32_t>(window);
    }
    std::size_t piece = std::min<std::size_t>(data.size(), d.cap - d.len);
    StreamChunk chunk;
    chunk.hits = &d.hits;
    chunk.to_server = to_server;
    chunk.anchor = d.anchor;
    if (piece == 0) {
      // No buffer (reassembly memcap): inspect the data on its own, without context.
      piece = data.size();
      chunk.data = data;
      chunk.new_from = 0;
      chunk.base = d.next_off;
      d.base = d.next_off + piece;
      d.len = 0;
    } else {
      std::memcpy(d.buf + d.len, data.data(), piece);
      chunk.data = {d.buf, d.len + piece};
      chunk.new_from = d.len;
      chunk.base = d.base;
      d.len += static_cast<std::uint32_t>(piece);
    }
    d.next_off += piece;
    d.next_seq += static_cast<std::uint32_t>(piece);
    counters_.inc(c_bytes_, piece);
    counters_.inc(c_chunks_);
    fn(ctx, chunk);
    data = data.subspan(piece);
  }
}

void StreamEngine::deliver_ready(Session& ss, int di, ChunkFn fn, void* ctx) {
  Dir& d = ss.dir[di];
  while (d.ooo != nullptr && d.ooo->off <= d.next_off) {
    OooSeg* s = d.ooo;
    d.ooo = s->next;
    d.ooo_bytes -= s->len;
    const std::uint64_t end = s->off + s->len;
    if (end > d.next_off) {
      const std::size_t skip = static_cast<std::size_t>(d.next_off - s->off);
      deliver(ss, di, {s->data() + skip, s->len - skip}, fn, ctx);
    }
    pool_.free(reinterpret_cast<std::uint8_t*>(s), sizeof(OooSeg) + s->len);
  }
}

void StreamEngine::skip_gap(Dir& d, std::uint64_t to) {
  // Data the receiver acknowledged but the sensor never saw: move past it. The retained
  // window no longer continues into what follows, so it is dropped.
  anomaly(c_gap_, StreamEvent::kReassemblySeqGap);
  d.next_seq += static_cast<std::uint32_t>(to - d.next_off);
  d.next_off = to;
  d.len = 0;
  d.base = to;
  d.anchor = to;
  d.hits.count = 0;
  if (config_.depth != 0 && to >= config_.depth) {
    // The gap ends at or beyond the depth: nothing of this direction is inspected any more,
    // and what it holds goes back to the pool.
    d.depth_reached = true;
    anomaly(c_depth_, StreamEvent::kReassemblyDepthReached);
    free_dir(d);
  }
}

void StreamEngine::note_receiver_window(Session& s, const decode::Packet& pkt, int di) {
  // What this packet's sender (the receiver of the other direction) acknowledges and how
  // much more it accepts. A SYN's window is never scaled (RFC 7323 section 2.2); others are
  // scaled by the sender's shift when both SYNs offered scaling.
  if (!(pkt.tcp_flags & decode::kTcpAck)) return;
  Dir& other = s.dir[1 - di];
  const bool syn = pkt.tcp_flags & decode::kTcpSyn;
  const bool scaled =
      !syn && s.handshake_seen && s.dir[0].wscale_offered && s.dir[1].wscale_offered;
  other.rcv_ack = pkt.tcp_ack;
  other.rcv_window = static_cast<std::uint32_t>(std::min<std::uint64_t>(
      std::uint64_t{pkt.tcp_window} << (scaled ? s.dir[di].wscale : 0), 0x7fffffffu));
  other.rcv_known = true;
}

bool StreamEngine::reset_accepted(const Session& s, const decode::Packet& pkt, int di) const {
  // A reset must carry a sequence number its receiver accepts (RFC 793 section 3.4; RFC 5961
  // section 3.2); a forged one elsewhere must not end the session for the sensor while the
  // host goes on.
  const Dir& d = s.dir[di];
  const Dir& other = s.dir[1 - di];
  const std::uint32_t seq = pkt.tcp_seq;
  if (!d.active) {
    // Nothing known of this direction's sequence numbers (its SYN and data were not seen):
    // a reset answering the other direction acknowledges exactly what that one sent.
    return (pkt.tcp_flags & decode::kTcpAck) && other.active && pkt.tcp_ack == other.next_seq;
  }
  if (seq == d.next_seq || (d.rcv_known && seq == d.rcv_ack)) return true;
  if (!accepts_reset_in_window(d.policy)) return false;
  const std::uint32_t left = d.rcv_known ? d.rcv_ack : d.next_seq;
  const std::int64_t into = seq_diff(seq, left);
  return into >= 0 && into < static_cast<std::int64_t>(d.rcv_known ? d.rcv_window : 0);
}

void StreamEngine::on_none(Session& s, const decode::Packet& pkt, int di) {
  // The packet that created the session: a SYN, or (stream.midstream) anything else.
  const std::uint8_t fl = pkt.tcp_flags;
  Dir& d = s.dir[di];
  if ((fl & decode::kTcpSyn) && !(fl & decode::kTcpAck)) {
    d.syn = d.active = true;
    d.isn = pkt.tcp_seq;
    d.next_seq = pkt.tcp_seq + 1;
    d.wscale_offered = pkt.tcp_has_wscale;
    d.wscale = std::min<std::uint8_t>(pkt.tcp_wscale, 14);
    s.state = TcpState::kSynSent;
    return;
  }
  counters_.inc(c_midstream_);
  if ((fl & decode::kTcpSyn) && (fl & decode::kTcpAck)) {
    // Picked up at the SYN/ACK (its SYN was missed; the flow made the receiver the client):
    // both sequence bases are known, the client's ACK completes it.
    Dir& client = s.dir[1 - di];
    d.syn = d.active = true;
    d.isn = pkt.tcp_seq;
    d.next_seq = pkt.tcp_seq + 1;
    client.syn = client.active = true;
    client.isn = pkt.tcp_ack - 1;
    client.next_seq = pkt.tcp_ack;
    s.state = TcpState::kSynRecv;
    note_receiver_window(s, pkt, di);
    return;
  }
  s.state = TcpState::kEstablished;  // mid-session: sequence bases come with the data
}

void StreamEngine::on_syn_sent(Session& s, const decode::Packet& pkt, int di) {
  const std::uint8_t fl = pkt.tcp_flags;
  const bool syn = fl & decode::kTcpSyn, ack = fl & decode::kTcpAck;
  Dir& client = s.dir[0];
  Dir& server = s.dir[1];
  if (di == 0) {
    if (syn && !ack) {
      // The SYN again; a new ISN (the client gave up on the first) restarts the session.
      client.isn = pkt.tcp_seq;
      client.next_seq = pkt.tcp_seq + 1;
      client.wscale_offered = pkt.tcp_has_wscale;
      client.wscale = std::min<std::uint8_t>(pkt.tcp_wscale, 14);
    } else if (syn && ack && s.split && pkt.tcp_ack == server.isn + 1) {
      // Split handshake: the client answers the server's SYN with a SYN/ACK.
      client.wscale_offered = pkt.tcp_has_wscale;
      client.wscale = std::min<std::uint8_t>(pkt.tcp_wscale, 14);
      s.handshake_seen = true;
      s.state = TcpState::kSynRecv;
      counters_.inc(c_split_);
    } else if (!syn && ack && config_.async_oneside && pkt.tcp_seq == client.next_seq) {
      // stream.async-oneside: only the client's side is visible; its ACK after the SYN
      // completes the handshake (the SYN/ACK took another path).
      s.state = TcpState::kEstablished;
      counters_.inc(c_async_);
    } else if (syn && ack) {
      anomaly(c_bad_ack_, StreamEvent::k3whsSynackInWrongDirection);
    }
    return;
  }
  if (syn && ack) {
    if (pkt.tcp_ack != client.isn + 1) {
      // Does not answer this SYN: not believed.
      anomaly(c_bad_ack_, StreamEvent::k3whsSynackWithWrongAck);
      return;
    }
    server.syn = server.active = true;
    server.isn = pkt.tcp_seq;
    server.next_seq = pkt.tcp_seq + 1;
    server.wscale_offered = pkt.tcp_has_wscale;
    server.wscale = std::min<std::uint8_t>(pkt.tcp_wscale, 14);
    s.handshake_seen = true;
    s.split = false;
    s.state = TcpState::kSynRecv;
  } else if (syn) {
    // The server answers a SYN with its own SYN (split handshake, or simultaneous open);
    // the client's SYN/ACK comes next. A bare ACK before it (the five-way variant) is
    // ignored here.
    server.syn = server.active = true;
    server.isn = pkt.tcp_seq;
    server.next_seq = pkt.tcp_seq + 1;
    server.wscale_offered = pkt.tcp_has_wscale;
    server.wscale = std::min<std::uint8_t>(pkt.tcp_wscale, 14);
    s.split = true;
  }
}

void StreamEngine::on_syn_recv(Session& s, const decode::Packet& pkt, int di) {
  const std::uint8_t fl = pkt.tcp_flags;
  if ((fl & decode::kTcpSyn) || !(fl & decode::kTcpAck)) return;
  Dir& self = s.dir[di];
  const Dir& peer = s.dir[1 - di];
  const int completer = s.split ? 1 : 0;  // the side that did not send the SYN/ACK
  if (di == completer) {
    // Its ACK completes the handshake: it must come at its next sequence number and
    // acknowledge the peer's SYN (or, when the bare ACK was not captured, data after it).
    const std::int64_t acked = seq_diff(pkt.tcp_ack, peer.isn + 1);
    if (pkt.tcp_seq != self.next_seq || acked < 0 || acked > static_cast<std::int64_t>(kMaxAhead)) {
      anomaly(c_bad_ack_, StreamEvent::k3whsWrongSeqWrongAck);
      return;
    }
  } else if (pkt.payload.empty() || pkt.tcp_seq != self.next_seq || pkt.tcp_ack != peer.next_seq) {
    // The SYN/ACK's sender already sends data that acknowledges exactly the other side's
    // SYN: the completing ACK was not captured (Suricata picks the session up the same way).
    return;
  }
  s.state = TcpState::kEstablished;
}

StreamVerdict StreamEngine::track(const decode::Packet& pkt, flow::FlowRef& fr) {
  events_ = 0;
  if (fr.flow == nullptr) return StreamVerdict::kUntracked;
  flow::Flow& f = *fr.flow;
  auto* s = static_cast<Session*>(f.stream_state);
  const std::uint8_t fl = pkt.tcp_flags;
  const int di = fr.to_server ? 0 : 1;
  if (s == nullptr) {
    // A session starts at a SYN; with stream.midstream at any packet but a reset.
    const bool syn_only = (fl & decode::kTcpSyn) && !(fl & decode::kTcpAck);
    if (!syn_only && (!config_.midstream || (fl & decode::kTcpRst)))
      return StreamVerdict::kUntracked;
    s = create_session(f);
    if (s == nullptr) return StreamVerdict::kUntracked;
  }
  // As Suricata: a packet is established when its session was before it; the packet that
  // establishes the session only when it carries data (a bare handshake ACK is not).
  const TcpState before = s->state;
  fr.established = before == TcpState::kEstablished;
  if (before != TcpState::kNone && before != TcpState::kClosed) note_receiver_window(*s, pkt, di);
  if ((fl & decode::kTcpRst) && before != TcpState::kNone && before != TcpState::kClosed) {
    if (reset_accepted(*s, pkt, di)) {
      close(*s, f);
    } else {
      anomaly(c_rst_invalid_, StreamEvent::kRstInvalid);
    }
  } else {
    switch (before) {
      case TcpState::kNone:
        on_none(*s, pkt, di);
        break;
      case TcpState::kSynSent:
        on_syn_sent(*s, pkt, di);
        break;
      case TcpState::kSynRecv:
        on_syn_recv(*s, pkt, di);
        break;
      case TcpState::kEstablished:
      case TcpState::kClosed:
        break;
    }
  }
  if (s->state != before) {
    if (s->state == TcpState::kEstablished) {
      s->was_established = true;
      counters_.inc(c_established_);
      fr.established = !pkt.payload.empty();
    }
    f.state = flow_state_of(s->state);
  }
  return s->was_established ? StreamVerdict::kTracked : StreamVerdict::kUntracked;
}

void StreamEngine::reassemble(const decode::Packet& pkt, const flow::FlowRef& fr, ChunkFn fn,
                              void* ctx) {
  flow::Flow& f = *fr.flow;
  auto* s = static_cast<Session*>(f.stream_state);
  if (s == nullptr || s->state != TcpState::kEstablished) return;
  const std::uint8_t fl = pkt.tcp_flags;
  if (fl & decode::kTcpRst) return;  // decided in track()
  const bool syn = fl & decode::kTcpSyn;
  const int di = fr.to_server ? 0 : 1;
  Dir& d = s->dir[di];

  // What this packet acknowledges of the other direction: a hole the receiver acknowledged
  // was lost to the sensor, not to the host.
  Dir& other = s->dir[1 - di];
  if ((fl & decode::kTcpAck) && other.active) {
    const std::int64_t ahead = seq_diff(pkt.tcp_ack, other.next_seq);
    const std::uint64_t behind = static_cast<std::uint64_t>(-std::min<std::int64_t>(ahead, 0));
    const std::uint64_t acked = ahead > 0 ? other.next_off + static_cast<std::uint64_t>(ahead)
                                : behind <= other.next_off ? other.next_off - behind
                                                           : 0;
    // The window this packet advertises bounds what the other direction's receiver (this
    // packet's sender) accepts; scaled only when both SYNs offered scaling, and only known
    // when both SYNs were seen.
    if (!syn && s->handshake_seen) {
      const bool scaled = s->dir[0].wscale_offered && s->dir[1].wscale_offered;
      const std::uint64_t window = std::uint64_t{pkt.tcp_window} << (scaled ? d.wscale : 0);
      other.window_end = std::max(other.window_end, acked + window);
      other.window_known = true;
    }
    if (ahead > 0) {
      other.peer_acked = std::max(other.peer_acked, acked);
      skip_acknowledged_gaps(*s, 1 - di, fn, ctx);
    }
  }

  const std::span<const std::uint8_t> payload = pkt.payload;
  if (!d.active) {
    // First data of a direction whose SYN we did not see (midstream, async one side).
    d.active = true;
    d.next_seq = pkt.tcp_seq + (syn ? 1u : 0u);
    d.next_off = 0;
  }
  const std::uint32_t data_seq = pkt.tcp_seq + (syn ? 1u : 0u);
  const std::int64_t rel = seq_diff(data_seq, d.next_seq);
  if (fl & decode::kTcpFin) {
    // A FIN behind the data already delivered is stale (or forged): the host has taken
    // those bytes. The first FIN at or beyond it is kept; it ends the stream once reached.
    const std::int64_t fin_at = static_cast<std::int64_t>(d.next_off) + rel +
                                static_cast<std::int64_t>(payload.size());
    if (!d.fin && fin_at >= static_cast<std::int64_t>(d.next_off)) {
      d.fin = true;
      d.fin_off = static_cast<std::uint64_t>(fin_at);
    }
  }
  if (payload.empty() || d.depth_reached) {
    close_if_finished(*s, f);
    return;
  }

  std::int64_t start = static_cast<std::int64_t>(d.next_off) + rel;
  std::int64_t end = start + static_cast<std::int64_t>(payload.size());
  if (end <= static_cast<std::int64_t>(d.next_off)) {
    anomaly(c_retransmit_, StreamEvent::kPktRetransmission);
    return;  // all of it was delivered (and inspected) before
  }
  if (start - static_cast<std::int64_t>(d.next_off) > static_cast<std::int64_t>(kMaxAhead)) {
    counters_.inc(c_bad_seq_);
    return;
  }
  std::span<const std::uint8_t> data = payload;
  if (start < static_cast<std::int64_t>(d.next_off)) {
    // The front was delivered already; the host keeps what it has.
    anomaly(c_retransmit_, StreamEvent::kPktRetransmission);
    data = data.subspan(static_cast<std::size_t>(static_cast<std::int64_t>(d.next_off) - start));
    start = static_cast<std::int64_t>(d.next_off);
  }
  if (d.fin && d.next_off >= d.fin_off) {
    // The FIN was reached: the host takes nothing after it. (A FIN still ahead of the
    // stream does not cut data: in-order data over its position supersedes it, as a
    // receiving stack drops such an out-of-order FIN.)
    counters_.inc(c_after_fin_);
    return;
  }
  const auto off = static_cast<std::uint64_t>(start);
  if (off == d.next_off && d.ooo == nullptr) {
    deliver(*s, di, data, fn, ctx);
  } else {
    if (off > d.next_off) {
      counters_.inc(c_ooo_);
      // Data beyond the receiver's window is dropped by the receiver: buffering it would let
      // an attacker plant bytes the host never sees (and that could win an overlap later).
      if (d.window_known && off + data.size() > d.window_end) {
        anomaly(c_out_of_window_, StreamEvent::kEstPacketOutOfWindow);
        if (off >= d.window_end) return;
        data = data.first(static_cast<std::size_t>(d.window_end - off));
      }
    }
    insert(d, off, data, d.policy);
    deliver_ready(*s, di, fn, ctx);
    skip_acknowledged_gaps(*s, di, fn, ctx);
  }
  if (d.fin && d.next_off > d.fin_off) {
    d.fin = false;  // data went past the FIN's position: that FIN was not the stream's end
    counters_.inc(c_fin_superseded_);
  }
  close_if_finished(*s, f);
}

void StreamEngine::skip_acknowledged_gaps(Session& s, int di, ChunkFn fn, void* ctx) {
  // Only up to data the sensor holds: an acknowledgement alone (perhaps forged, far ahead)
  // never makes the stream jump over bytes that may still arrive.
  Dir& d = s.dir[di];
  while (!d.depth_reached && d.ooo != nullptr && d.ooo->off > d.next_off &&
         d.peer_acked >= d.ooo->off) {
    skip_gap(d, d.ooo->off);
    deliver_ready(s, di, fn, ctx);
  }
}

void StreamEngine::close_if_finished(Session& s, flow::Flow& f) {
  // Both FINs reached (a direction past its depth: its FIN seen) ends the session.
  for (const Dir& d : s.dir) {
    if (!d.fin || (!d.depth_reached && d.next_off < d.fin_off)) return;
  }
  close(s, f);
}

void StreamEngine::close(Session& s, flow::Flow& f) {
  free_dir(s.dir[0]);
  free_dir(s.dir[1]);
  s.state = TcpState::kClosed;
  f.state = flow::FlowState::kClosed;
  counters_.inc(c_closed_);
}

}  // namespace wp::stream
