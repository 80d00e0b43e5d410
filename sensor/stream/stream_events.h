// Stream events: the TCP anomalies the stream engine detects, named as Suricata's
// rules/stream-events.rules names them (`stream-event:reassembly_overlap_different_data;`).
// The engine records the events of the packet it is working on (StreamEngine::events());
// the worker copies them into Packet::stream_events for the `stream-event` rule keyword.
// Header-only static data, so the rule parser needs no link to the stream library.
#pragma once

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string_view>

namespace wp::stream {

enum class StreamEvent : std::uint8_t {
  k3whsSynackInWrongDirection,     // a SYN/ACK from the side that sent the SYN
  k3whsSynackWithWrongAck,         // a SYN/ACK that does not acknowledge the SYN
  k3whsWrongSeqWrongAck,           // the handshake's ACK at the wrong sequence or acknowledgment
  kRstInvalid,                     // a reset outside the window (not accepted)
  kPktRetransmission,              // data delivered before, sent again
  kEstPacketOutOfWindow,           // data past the receiver's advertised window
  kReassemblySeqGap,               // data the receiver acknowledged was never seen
  kReassemblyOverlapDifferentData, // an overlap whose bytes differ from those held
  kReassemblyDepthReached,         // the direction reached stream.reassembly.depth
  kCount
};

struct StreamEventInfo {
  StreamEvent id;
  std::string_view name;  // Suricata's name, without its "stream." prefix
};

inline constexpr StreamEventInfo kStreamEvents[] = {
    {StreamEvent::k3whsSynackInWrongDirection, "3whs_synack_in_wrong_direction"},
    {StreamEvent::k3whsSynackWithWrongAck, "3whs_synack_with_wrong_ack"},
    {StreamEvent::k3whsWrongSeqWrongAck, "3whs_wrong_seq_wrong_ack"},
    {StreamEvent::kRstInvalid, "rst_invalid"},
    {StreamEvent::kPktRetransmission, "pkt_retransmission"},
    {StreamEvent::kEstPacketOutOfWindow, "est_packet_out_of_window"},
    {StreamEvent::kReassemblySeqGap, "reassembly_seq_gap"},
    {StreamEvent::kReassemblyOverlapDifferentData, "reassembly_overlap_different_data"},
    {StreamEvent::kReassemblyDepthReached, "reassembly_depth_reached"},
};
static_assert(std::size(kStreamEvents) == static_cast<std::size_t>(StreamEvent::kCount));
static_assert(static_cast<unsigned>(StreamEvent::kCount) <= 32, "a 32-bit set per packet");

// Suricata's other stream event names: checks this engine does not make (its finer TCP state
// machine: FIN/CLOSE states, SYN resends, timestamps, window updates, ...). A rule using one
// is "not supported", naming the event.
inline constexpr std::string_view kUndetectedStreamEvents[] = {
    "3whs_ack_in_wrong_dir", "3whs_async_wrong_seq", "3whs_right_seq_wrong_ack_evasion",
    "3whs_synack_resend_with_different_ack", "3whs_synack_resend_with_diff_seq",
    "3whs_synack_toserver_on_syn_recv", "3whs_synack_flood", "3whs_syn_resend_diff_seq_on_syn_recv",
    "3whs_syn_toclient_on_syn_recv", "3whs_ack_data_inject", "3whs_syn_flood",
    "4whs_synack_with_wrong_ack", "4whs_synack_with_wrong_syn", "4whs_wrong_seq",
    "4whs_invalid_ack", "closewait_ack_out_of_window", "closewait_fin_out_of_window",
    "closewait_pkt_before_last_ack", "closewait_invalid_ack", "closing_ack_wrong_seq",
    "closing_invalid_ack", "est_pkt_before_last_ack", "est_synack_resend",
    "est_synack_resend_with_different_ack", "est_synack_resend_with_diff_seq",
    "est_synack_toserver", "est_syn_resend", "est_syn_resend_diff_seq", "est_syn_toclient",
    "est_invalid_ack", "fin_invalid_ack", "fin1_ack_wrong_seq", "fin1_fin_wrong_seq",
    "fin1_invalid_ack", "fin2_ack_wrong_seq", "fin2_fin_wrong_seq", "fin2_invalid_ack",
    "fin_but_no_session", "fin_out_of_window", "fin_syn", "lastack_ack_wrong_seq",
    "lastack_invalid_ack", "rst_but_no_session", "timewait_ack_wrong_seq",
    "timewait_invalid_ack", "shutdown_syn_resend", "pkt_invalid_timestamp", "pkt_invalid_ack",
    "pkt_broken_ack", "pkt_spurious_retransmission", "pkt_bad_window_update",
    "suspected_rst_inject", "wrong_thread", "reassembly_segment_before_base_seq",
    "reassembly_no_segment", "reassembly_internal_error", "reassembly_urgent_oob_limit_reached",
    "reassembly_insert_memcap", "reassembly_insert_limit", "reassembly_insert_invalid",
};

inline std::optional<StreamEvent> find_stream_event(std::string_view name) {
  for (const StreamEventInfo& e : kStreamEvents) {
    if (e.name == name) return e.id;
  }
  return std::nullopt;
}

inline bool is_undetected_stream_event(std::string_view name) {
  return std::find(std::begin(kUndetectedStreamEvents), std::end(kUndetectedStreamEvents), name) !=
         std::end(kUndetectedStreamEvents);
}

constexpr std::uint32_t stream_event_bit(StreamEvent e) {
  return std::uint32_t{1} << static_cast<unsigned>(e);
}

}  // namespace wp::stream
