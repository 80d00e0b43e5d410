// PcapLiveSource: live capture on one interface through libpcap (Linux: TPACKET_V3). Opened
// with a read timeout (kReadTimeoutMs, not immediate mode) so the kernel fills whole blocks
// and a quiet link still hands over its packets within the timeout. Each packet is passed to
// a callback as a RawPacket pointing into libpcap's ring, valid for the call only.
//
// An interface that goes down or disappears makes dispatch() return kFailed with the reason;
// the owner closes the source and opens it again later (the capture thread retries every
// second). Kernel counters (pcap_stats) accumulate across such reopenings.
//
// Threads: used by its capture thread only; stats() may be called from that thread only
// (the thread publishes them in its Counters).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "capture/raw_packet.h"
#include "common/result.h"

typedef struct pcap pcap_t;
struct pcap_pkthdr;

namespace wp::capture {

inline constexpr int kReadTimeoutMs = 100;  // at most 250 ms (ARCHITECTURE.md, live latency)

struct LiveOptions {
  std::string interface;
  std::string bpf_filter;          // empty: every frame
  std::uint32_t snaplen = 262144;
  std::uint64_t buffer_size = 0;   // bytes; 0: libpcap's default
  bool promisc = true;
};

struct KernelStats {
  std::uint64_t packets = 0;  // received by the kernel's capture (pcap_stats ps_recv)
  std::uint64_t drops = 0;    // dropped by it for lack of buffer space (ps_drop)
  std::uint64_t ifdrops = 0;  // dropped by the interface (ps_ifdrop)
};

enum class DispatchStatus {
  kOk,      // the packets available were handed over (maybe none: the read timed out)
  kBroken,  // break_loop() ended the read
  kFailed,  // the interface went down or away: error()
};

class PcapLiveSource {
 public:
  // Opens and activates the capture; `source` is stored in each RawPacket. The error names
  // the interface and libpcap's reason (no such device, permission denied, a bad filter).
  static Result<std::unique_ptr<PcapLiveSource>> open(const LiveOptions& options,
                                                      std::uint32_t source);
  ~PcapLiveSource();
  PcapLiveSource(const PcapLiveSource&) = delete;
  PcapLiveSource& operator=(const PcapLiveSource&) = delete;

  using Handler = void (*)(void* ctx, const RawPacket& packet);
  // Hands every packet available now to `fn`, waiting for the first one at most the read
  // timeout once packets flow (TPACKET_V3: a link with no packet at all keeps the read
  // waiting until break_loop()). kFailed: the interface went down or away; error() says why.
  DispatchStatus dispatch(Handler fn, void* ctx);
  // Makes a dispatch() waiting in another thread return (pcap_breakloop; libpcap >= 1.10
  // wakes the waiting read). Any thread, while the source exists.
  void break_loop();

  // Kernel counters since this source was opened.
  KernelStats stats() const;
  const std::string& error() const { return error_; }
  int linktype() const { return linktype_; }
  const LiveOptions& options() const { return options_; }

 private:
  PcapLiveSource() = default;
  static void on_packet(unsigned char* user, const ::pcap_pkthdr* h, const unsigned char* bytes);

  pcap_t* pcap_ = nullptr;
  LiveOptions options_;
  std::uint32_t source_ = 0;
  int linktype_ = 1;
  Handler fn_ = nullptr;
  void* ctx_ = nullptr;
  std::string error_;
};

}  // namespace wp::capture
