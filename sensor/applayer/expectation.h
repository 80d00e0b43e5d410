// ExpectationTable: connections a control channel announced and that are expected next, as
// Suricata's app-layer expectations. FTP fills it: PORT/EPRT (active: the server will connect
// to the client's announced port) and the 227/229 answers to PASV/EPSV (passive: the client
// will connect to the server's announced port). The first new TCP flow from the expected
// initiator to the expected responder on that port (any source port) takes the expected
// protocol (ftp-data) and consumes the expectation.
//
// Keyed as Suricata keys them: the control connection's two addresses (not the address a
// PORT command or a 227 reply names, which NAT rewrites and ftpbounce forges) and the
// announced port, with the direction: active, initiator = the control connection's server;
// passive, initiator = its client. VLAN ids are not part of the key.
//
// Bounds: kCapacity expectations per worker (a ring: when full the oldest is dropped, counted
// as applayer.expectations.dropped); each lives kTimeoutSec seconds of packet time
// (Suricata's EXPECTATION_TIMEOUT, and half the tcp new-flow timeout: a data connection
// follows its announcement within seconds). Fixed arrays, nothing allocated after
// construction. A new flow whose destination port no expectation names costs one array
// read (a count per port); only a flow to an announced port scans the live span.
// Thread: the worker's; no locks.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "common/app_proto.h"
#include "common/counters.h"
#include "common/ip_address.h"
#include "common/timestamp.h"

namespace wp::applayer {

class ExpectationTable {
 public:
  static constexpr std::size_t kCapacity = 1024;
  static constexpr std::int64_t kTimeoutSec = 30;

  explicit ExpectationTable(Counters& counters);

  // Expects a TCP connection from `initiator` to `responder`:`port` of protocol `proto`, from
  // `now` for kTimeoutSec seconds. Port 0 (nothing announced) is ignored.
  void expect(const IpAddress& initiator, const IpAddress& responder, std::uint16_t port,
              AppProto proto, const Timestamp& now);
  // A new TCP flow from `initiator` to `responder`:`port` at `now`: the protocol expected for
  // it (the expectation is consumed), or kUnknown.
  AppProto take(const IpAddress& initiator, const IpAddress& responder, std::uint16_t port,
                const Timestamp& now);

  std::size_t size() const { return live_; }

 private:
  struct Entry {
    IpAddress initiator;
    IpAddress responder;
    std::int64_t expires = 0;  // packet time (seconds) after which it no longer holds
    AppProto proto = AppProto::kUnknown;
  };

  // Drops the expectations at the old end of the ring that expired or were consumed.
  void expire(const Timestamp& now);
  void clear_slot(std::size_t slot);
  std::size_t slot_at(std::size_t age) const { return (oldest_ + age) % kCapacity; }

  // The port of each slot (0: free), apart from the entries so a lookup compares ports first
  // in a dense array.
  std::array<std::uint16_t, kCapacity> port_{};
  // Live expectations per announced port (at most kCapacity each, so 16 bits hold it).
  std::array<std::uint16_t, 65536> per_port_{};
  std::array<Entry, kCapacity> entries_{};
  std::size_t oldest_ = 0;  // ring start: the oldest slot still in the span
  std::size_t span_ = 0;    // slots from oldest_ on that were filled (some since consumed)
  std::size_t live_ = 0;    // expectations held

  Counters& counters_;
  CounterId c_created_, c_used_, c_dropped_, c_expired_, c_live_;
};

}  // namespace wp::applayer
