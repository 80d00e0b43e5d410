#include "capture/pcap_live.h"

#include <pcap/pcap.h>

namespace wp::capture {

Result<std::unique_ptr<PcapLiveSource>> PcapLiveSource::open(const LiveOptions& options,
                                                             std::uint32_t source) {
  char err[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<PcapLiveSource> s(new PcapLiveSource());
  s->options_ = options;
  s->source_ = source;
  const std::string where = "interface " + options.interface;
  s->pcap_ = pcap_create(options.interface.c_str(), err);
  if (s->pcap_ == nullptr) return make_error(std::string("cannot capture: ") + err, where);
  pcap_set_snaplen(s->pcap_, static_cast<int>(options.snaplen));
  pcap_set_promisc(s->pcap_, options.promisc ? 1 : 0);
  pcap_set_timeout(s->pcap_, kReadTimeoutMs);
  if (options.buffer_size != 0) pcap_set_buffer_size(s->pcap_, static_cast<int>(options.buffer_size));
  pcap_set_tstamp_precision(s->pcap_, PCAP_TSTAMP_PRECISION_MICRO);
  const int rc = pcap_activate(s->pcap_);
  if (rc < 0) {
    std::string why = pcap_statustostr(rc);
    const std::string detail = pcap_geterr(s->pcap_);
    if (!detail.empty() && detail != why) why += " (" + detail + ")";
    return make_error("cannot capture: " + why, where);
  }
  if (!options.bpf_filter.empty()) {
    bpf_program prog{};
    if (pcap_compile(s->pcap_, &prog, options.bpf_filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      return make_error("bpf-filter '" + options.bpf_filter + "': " + pcap_geterr(s->pcap_), where);
    }
    const int set = pcap_setfilter(s->pcap_, &prog);
    pcap_freecode(&prog);
    if (set != 0) {
      return make_error("bpf-filter '" + options.bpf_filter + "': " + pcap_geterr(s->pcap_), where);
    }
  }
  s->linktype_ = pcap_datalink(s->pcap_);
  if (s->linktype_ == 12) s->linktype_ = 101;  // DLT_RAW as LINKTYPE_RAW, as the file source
  return s;
}

PcapLiveSource::~PcapLiveSource() {
  if (pcap_ != nullptr) pcap_close(pcap_);
}

void PcapLiveSource::on_packet(unsigned char* user, const pcap_pkthdr* h, const unsigned char* bytes) {
  auto* s = reinterpret_cast<PcapLiveSource*>(user);
  RawPacket p;
  p.ts = Timestamp{static_cast<std::int64_t>(h->ts.tv_sec), static_cast<std::uint32_t>(h->ts.tv_usec)};
  p.data = bytes;
  p.caplen = h->caplen;
  p.wirelen = h->len;
  p.linktype = s->linktype_;
  p.source = s->source_;
  s->fn_(s->ctx_, p);
}

DispatchStatus PcapLiveSource::dispatch(Handler fn, void* ctx) {
  fn_ = fn;
  ctx_ = ctx;
  const int n = pcap_dispatch(pcap_, -1, &PcapLiveSource::on_packet, reinterpret_cast<unsigned char*>(this));
  if (n == PCAP_ERROR) {
    error_ = pcap_geterr(pcap_);
    if (error_.empty()) error_ = "capture failed";
    return DispatchStatus::kFailed;
  }
  return n == PCAP_ERROR_BREAK ? DispatchStatus::kBroken : DispatchStatus::kOk;
}

void PcapLiveSource::break_loop() { pcap_breakloop(pcap_); }

KernelStats PcapLiveSource::stats() const {
  pcap_stat st{};
  KernelStats k;
  if (pcap_stats(pcap_, &st) != 0) return k;
  k.packets = st.ps_recv;
  k.drops = st.ps_drop;
  k.ifdrops = st.ps_ifdrop;
  return k;
}

}  // namespace wp::capture
