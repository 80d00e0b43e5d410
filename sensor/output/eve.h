// EVE JSON and fast.log rendering of watchpost.v1 events. This library (wp_eve) depends
// only on proto/ and common/: the sensor's output thread and the collector both link it, so
// an alert renders the same wherever it is written. Functions append to a caller-owned,
// reused string; they allocate only when it has to grow.
#pragma once

#include <cstdint>
#include <string>

#include "watchpost/v1/event.pb.h"

namespace wp::output {

// Suricata's defaults: payload, printable payload and packet off, metadata on; flow records and
// application-layer anomalies on (decoder and stream anomalies off), as its default yaml.
struct EveOptions {
  bool payload = false;            // eve-log.payload (base64)
  bool payload_printable = false;  // eve-log.payload-printable
  bool packet = false;             // eve-log.packet (base64) and packet_info
  bool metadata = true;            // eve-log.metadata (alert.metadata, the alert's flow object)
  bool watchpost = true;           // eve-log.watchpost: our own fields in a `watchpost` object
  bool ethernet = false;           // eve-log.ethernet: the alert's `ether` object
  bool flow = true;                // eve-log.flow: a flow record at each flow's end
  bool anomaly = true;             // eve-log.anomaly.enabled
  bool anomaly_decode = false;     // eve-log.anomaly.decode
  bool anomaly_stream = false;     // eve-log.anomaly.stream
  bool anomaly_applayer = true;    // eve-log.anomaly.applayer
  bool stats = false;             // write stats events (stats.enabled, set by the sensor)
  bool stats_deltas = false;      // stats.deltas: NAME_delta beside each counter
};

// Appends one EVE alert record (no trailing newline) to `out`. Field names and formats are
// Suricata's (see docs/eve.md); `host` and `watchpost` carry the sensor identity.
void render_eve_alert(const watchpost::v1::Alert& alert, const EveOptions& options,
                      std::string& out);
// Appends one EVE stats record (no trailing newline): Suricata's shape,
// {"timestamp":..,"event_type":"stats","stats":{"uptime":S,"capture":{"kernel_packets":N,..},
// "decoder":{"pkts":N,"event":{"ipv4":{..}}},..}}: each counter name is split at its dots
// into nested objects. A name that is both a counter and a prefix of others
// ("a.b" and "a.b.c") keeps the value as "b" and nests the others under "b_". With
// options.stats_deltas, each counter in `stats.deltas` also has a sibling NAME_delta.
void render_eve_stats(const watchpost::v1::Stats& stats, const EveOptions& options,
                      std::string& out);
// Appends one EVE flow record (event_type "flow") or anomaly record (event_type "anomaly").
void render_eve_flow(const watchpost::v1::FlowRecord& flow, const EveOptions& options,
                     std::string& out);
void render_eve_anomaly(const watchpost::v1::Anomaly& anomaly, const EveOptions& options,
                        std::string& out);
// Appends one fast.log line (no trailing newline), as Suricata's fast.log writes it.
void render_fast_alert(const watchpost::v1::Alert& alert, std::string& out);

// EVE's "proto" text for an IP protocol number: "TCP", "UDP", "ICMP", "IPv6-ICMP", ... else
// the number.
std::string proto_name(std::uint32_t proto);
// libpcap's name of a DLT ("EN10MB", "RAW", "LINUX_SLL", ...), EVE packet_info.linktype_name.
std::string linktype_name(std::int32_t linktype);

}  // namespace wp::output
