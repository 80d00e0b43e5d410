#include "flat_scan.h"

#include <hs/hs.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>
#include <utility>

#include "common/counters.h"
#include "decode/decoder.h"

namespace wp::bench {
namespace {

struct Literal {
  std::string bytes;
  bool nocase;
  bool operator<(const Literal& o) const {
    return std::tie(bytes, nocase) < std::tie(o.bytes, o.nocase);
  }
};

// Counts the literals that occur in the payload (each once: HS_FLAG_SINGLEMATCH). Returning
// 0 lets the scan go on to the payload's end: a callback that stopped at the first match
// would leave most of each binary payload unscanned (short literals such as |00 01| occur
// near its start), and the baseline would not be "every payload scanned".
int on_match(unsigned, unsigned long long, unsigned long long, unsigned, void* ctx) {
  ++*static_cast<std::size_t*>(ctx);
  return 0;
}

}  // namespace

bool flat_scan(const std::vector<std::string>& pcaps, const detect::RuleSet& rules, int repeat,
               FlatScanResult& out) {
  std::set<Literal> literals;
  for (const detect::CompiledRule& cr : rules.rules()) {
    const std::string fp = detect::RuleSet::fast_pattern_bytes(cr);
    if (fp.empty()) continue;
    const auto& c = std::get<detect::ContentMatch>(cr.rule.payload[cr.fast_pattern].match);
    literals.insert({fp, c.nocase});
  }
  std::vector<const char*> exprs;
  std::vector<std::size_t> lens;
  std::vector<unsigned> flags, ids;
  for (const Literal& l : literals) {
    exprs.push_back(l.bytes.data());
    lens.push_back(l.bytes.size());
    flags.push_back(HS_FLAG_SINGLEMATCH | (l.nocase ? HS_FLAG_CASELESS : 0));
    ids.push_back(static_cast<unsigned>(ids.size()));
  }
  out.literals = literals.size();
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(),
                           static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr, &db,
                           &err) != HS_SUCCESS) {
    std::fprintf(stderr, "watchpost-bench: flat scan database: %s\n", err ? err->message : "?");
    hs_free_compile_error(err);
    return false;
  }
  hs_scratch_t* scratch = nullptr;
  hs_alloc_scratch(db, &scratch);
  out.seconds = 1e300;
  for (int run = 0; run < repeat; ++run) {
    Counters counters;
    decode::DecoderConfig dc;
    dc.validate_checksums = false;
    decode::Decoder decoder(dc, counters);
    decode::Packet pkt;
    std::size_t packets = 0, bytes = 0, matched = 0, literal_hits = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (const std::string& path : pcaps) {
      char errbuf[PCAP_ERRBUF_SIZE] = {};
      pcap_t* p = pcap_open_offline(path.c_str(), errbuf);
      if (p == nullptr) {
        std::fprintf(stderr, "watchpost-bench: %s: %s\n", path.c_str(), errbuf);
        return false;
      }
      const int linktype = pcap_datalink(p);
      pcap_pkthdr* h = nullptr;
      const u_char* data = nullptr;
      while (pcap_next_ex(p, &h, &data) == 1) {
        capture::RawPacket raw;
        raw.data = data;
        raw.caplen = h->caplen;
        raw.wirelen = h->len;
        raw.linktype = linktype;
        raw.number = ++packets;
        if (decoder.decode(raw, pkt) != decode::DecodeStatus::kOk || pkt.payload.empty()) continue;
        bytes += pkt.payload.size();
        std::size_t hit = 0;
        hs_scan(db, reinterpret_cast<const char*>(pkt.payload.data()),
                static_cast<unsigned>(pkt.payload.size()), 0, scratch, on_match, &hit);
        matched += hit != 0;
        literal_hits += hit;
      }
      pcap_close(p);
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out.seconds = std::min(out.seconds, s);
    out.packets = packets;
    out.scanned_bytes = bytes;
    out.matches = matched;
    out.literal_hits = literal_hits;
  }
  hs_free_scratch(scratch);
  hs_free_database(db);
  return true;
}

}  // namespace wp::bench
