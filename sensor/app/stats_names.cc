#include "app/stats_names.h"

#include <algorithm>
#include <iterator>

#include "decode/events.h"

namespace wp::app {
namespace {

struct Rename {
  std::string_view ours;
  std::string_view suricata;
};

// Sorted by our name (checked below). Same name where the concept and the name agree.
constexpr Rename kRenames[] = {
    {"applayer.expectations", "app_layer.expectations"},
    {"applayer.flow.dns", "app_layer.flow.dns_udp"},
    {"applayer.flow.ftp", "app_layer.flow.ftp"},
    {"applayer.flow.ftp-data", "app_layer.flow.ftp-data"},
    {"applayer.flow.http", "app_layer.flow.http"},
    {"applayer.flow.smtp", "app_layer.flow.smtp"},
    {"applayer.flow.ssh", "app_layer.flow.ssh"},
    {"applayer.flow.tls", "app_layer.flow.tls"},
    {"capture.kernel_drops", "capture.kernel_drops"},
    {"capture.kernel_ifdrops", "capture.kernel_ifdrops"},
    {"capture.kernel_packets", "capture.kernel_packets"},
    {"decoder.bytes", "decoder.bytes"},
    {"decoder.erspan", "decoder.erspan"},
    {"decoder.ethernet", "decoder.ethernet"},
    {"decoder.geneve", "decoder.geneve"},
    {"decoder.gre", "decoder.gre"},
    {"decoder.icmpv4", "decoder.icmpv4"},
    {"decoder.icmpv6", "decoder.icmpv6"},
    {"decoder.invalid", "decoder.invalid"},
    {"decoder.ipv4", "decoder.ipv4"},
    {"decoder.ipv6", "decoder.ipv6"},
    {"decoder.mpls", "decoder.mpls"},
    {"decoder.null", "decoder.null"},
    {"decoder.pkts", "decoder.pkts"},
    {"decoder.ppp", "decoder.ppp"},
    {"decoder.raw", "decoder.raw"},
    {"decoder.sll", "decoder.sll"},
    {"decoder.tcp", "decoder.tcp"},
    {"decoder.teredo", "decoder.teredo"},
    {"decoder.udp", "decoder.udp"},
    {"decoder.vlan", "decoder.vlan"},
    {"decoder.vlan_qinq", "decoder.vlan_qinq"},
    {"decoder.vxlan", "decoder.vxlan"},
    {"defrag.ipv4.fragments", "defrag.ipv4.fragments"},
    {"defrag.ipv4.reassembled", "defrag.ipv4.reassembled"},
    {"defrag.ipv6.fragments", "defrag.ipv6.fragments"},
    {"defrag.ipv6.reassembled", "defrag.ipv6.reassembled"},
    {"defrag.max_trackers_reached", "defrag.max_trackers_reached"},
    {"detect.alert", "detect.alert"},
    {"detect.alert_queue_overflow", "detect.alert_queue_overflow"},
    {"detect.suppressed", "detect.alerts_suppressed"},
    {"flow.evicted", "flow.mgr.flows_evicted"},
    {"flow.tcp", "flow.tcp"},
    {"flow.tcp_reuse", "flow.tcp_reuse"},
    {"flow.timeout", "flow.mgr.flows_timeout"},
    {"flow.total", "flow.total"},
    {"flow.udp", "flow.udp"},
    {"stream.memcap_drop", "tcp.ssn_memcap_drop"},
    {"stream.midstream_pickups", "tcp.midstream_pickups"},
    {"stream.reassembly_depth_reached", "tcp.stream_depth_reached"},
    {"stream.reassembly_gap", "tcp.reassembly_gap"},
    {"stream.reassembly_memcap_drop", "tcp.segment_memcap_drop"},
    {"stream.reassembly_overlap", "tcp.overlap"},
    {"stream.reassembly_overlap_different_data", "tcp.overlap_diff_data"},
    {"stream.sessions", "tcp.sessions"},
};

static_assert(std::is_sorted(std::begin(kRenames), std::end(kRenames),
                             [](const Rename& a, const Rename& b) { return a.ours < b.ours; }),
              "kRenames sorted by our name");

}  // namespace

std::string suricata_counter_name(std::string_view ours) {
  const auto it = std::lower_bound(std::begin(kRenames), std::end(kRenames), ours,
                                   [](const Rename& r, std::string_view n) { return r.ours < n; });
  if (it != std::end(kRenames) && it->ours == ours) return std::string(it->suricata);
  // A decoder event's counter: Suricata counts each event as decoder.event.<event name>.
  for (const decode::DecodeEventInfo& e : decode::kDecodeEvents) {
    if (!e.counter.empty() && e.counter == ours) return "decoder.event." + std::string(e.name);
  }
  return {};
}

}  // namespace wp::app
