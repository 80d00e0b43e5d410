// AddressSet and PortSet: the address and port parts of a rule header, compiled to sorted,
// disjoint, merged ranges so membership is a binary search, never a scan of the rule's
// original list. Immutable after construction; shared between rules that use the same text
// (e.g. every rule with $HOME_NET points at one set).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/ip_address.h"

namespace wp::detect {

struct IpRange {
  IpAddress lo;  // inclusive
  IpAddress hi;  // inclusive
};

class AddressSet {
 public:
  static AddressSet any();
  static AddressSet none() { return AddressSet(); }
  // Builds from arbitrary (possibly overlapping, unsorted) ranges.
  static AddressSet from_ranges(std::vector<IpRange> ranges);
  // One address or a CIDR block ("10.0.0.0/8", "2001:db8::/32", "192.0.2.1").
  static bool parse_cidr(const std::string& text, IpRange& out);

  bool contains(const IpAddress& a) const;
  bool is_any() const;
  bool empty() const { return ranges_.empty(); }

  AddressSet unite(const AddressSet& other) const;
  AddressSet subtract(const AddressSet& other) const;
  AddressSet complement() const;
  const std::vector<IpRange>& ranges() const { return ranges_; }
  friend bool operator==(const AddressSet& a, const AddressSet& b);

 private:
  std::vector<IpRange> ranges_;  // sorted by lo, disjoint, non-adjacent
};

struct PortRange {
  std::uint16_t lo;
  std::uint16_t hi;
};

class PortSet {
 public:
  static PortSet any() { return PortSet({{0, 65535}}); }
  static PortSet from_ranges(std::vector<PortRange> ranges);

  bool contains(std::uint16_t port) const {
    for (const PortRange& r : ranges_) {  // few ranges per rule; sorted
      if (port < r.lo) return false;
      if (port <= r.hi) return true;
    }
    return false;
  }
  bool is_any() const { return ranges_.size() == 1 && ranges_[0].lo == 0 && ranges_[0].hi == 65535; }
  bool empty() const { return ranges_.empty(); }
  PortSet unite(const PortSet& other) const;
  PortSet subtract(const PortSet& other) const;
  PortSet complement() const;
  const std::vector<PortRange>& ranges() const { return ranges_; }

 private:
  explicit PortSet(std::vector<PortRange> r) : ranges_(std::move(r)) {}
  PortSet() = default;
  std::vector<PortRange> ranges_;
};

}  // namespace wp::detect
