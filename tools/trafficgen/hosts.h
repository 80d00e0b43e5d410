// The addresses the scenarios use: servers of a provincial data centre in 10.20.0.0/16
// (inside Suricata's default HOME_NET), clients and attackers in the documentation ranges
// 203.0.113.0/24 and 198.51.100.0/24, IPv6 in 2001:db8::/32.
#pragma once

#include "common/ip_address.h"
#include "support/packet_builder.h"

namespace wp::trafficgen::hosts {

// Servers.
inline IpAddress portal() { return testing::ip("10.20.1.10"); }  // citizen web portal
inline IpAddress api() { return testing::ip("10.20.1.11"); }     // e-government API (VLAN 120)
inline IpAddress dns() { return testing::ip("10.20.2.53"); }     // authoritative DNS
inline IpAddress ftp() { return testing::ip("10.20.3.21"); }     // document exchange FTP
inline IpAddress ssh() { return testing::ip("10.20.3.22"); }     // bastion host
inline IpAddress telnet() { return testing::ip("10.20.3.23"); }  // legacy switch management
inline IpAddress internal_scanner() { return testing::ip("10.20.9.9"); }  // authorised scanner
inline IpAddress portal_v6() { return testing::ip("2001:db8:20::10"); }

// Ordinary clients.
inline IpAddress citizen1() { return testing::ip("203.0.113.25"); }
inline IpAddress citizen2() { return testing::ip("203.0.113.71"); }
inline IpAddress office() { return testing::ip("198.51.100.14"); }
inline IpAddress partner() { return testing::ip("198.51.100.40"); }
inline IpAddress citizen_v6() { return testing::ip("2001:db8:100::25"); }

inline constexpr std::uint16_t kPortalVlan = 120;

}  // namespace wp::trafficgen::hosts
