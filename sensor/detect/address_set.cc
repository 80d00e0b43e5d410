#include "detect/address_set.h"

#include <algorithm>
#include <optional>

namespace wp::detect {
namespace {

// 128-bit arithmetic on the 16 network-order bytes; only +1 and -1 are needed to merge
// adjacent ranges and to build complements.
IpAddress next(IpAddress a) {
  for (int i = 15; i >= 0; --i) {
    if (++a.bytes[i] != 0) break;
  }
  return a;
}

IpAddress prev(IpAddress a) {
  for (int i = 15; i >= 0; --i) {
    if (a.bytes[i]-- != 0) break;
  }
  return a;
}

IpAddress min_address() { return IpAddress{}; }

IpAddress max_address() {
  IpAddress a;
  a.bytes.fill(0xff);
  return a;
}

// Sets every bit at position >= prefix_len (counted from the most significant bit) to
// `value`.
IpAddress with_host_bits(IpAddress a, int prefix_len, bool value) {
  for (int bit = prefix_len; bit < 128; ++bit) {
    auto mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
    if (value) {
      a.bytes[bit / 8] |= mask;
    } else {
      a.bytes[bit / 8] &= static_cast<std::uint8_t>(~mask);
    }
  }
  return a;
}

std::optional<int> parse_prefix_len(const std::string& text, int max) {
  if (text.empty() || text.size() > 3) return std::nullopt;
  int v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v > max) return std::nullopt;
  return v;
}

// "255.255.255.0" -> 24; nullopt when not a contiguous mask.
std::optional<int> netmask_to_prefix_len(const std::string& text) {
  auto m = IpAddress::parse(text);
  if (!m || !m->is_v4()) return std::nullopt;
  std::uint32_t v = m->v4_host_order();
  int len = 0;
  while (len < 32 && (v & (0x80000000u >> len)) != 0) ++len;
  if (len < 32 && (v << len) != 0) return std::nullopt;
  return len;
}

}  // namespace

AddressSet AddressSet::any() {
  AddressSet s;
  s.ranges_.push_back({min_address(), max_address()});
  return s;
}

AddressSet AddressSet::from_ranges(std::vector<IpRange> ranges) {
  std::sort(ranges.begin(), ranges.end(),
            [](const IpRange& a, const IpRange& b) { return a.lo < b.lo; });
  AddressSet s;
  for (const IpRange& r : ranges) {
    if (r.hi < r.lo) continue;
    if (!s.ranges_.empty()) {
      IpRange& last = s.ranges_.back();
      if (last.hi == max_address() || r.lo <= next(last.hi)) {
        if (last.hi < r.hi) last.hi = r.hi;
        continue;
      }
    }
    s.ranges_.push_back(r);
  }
  return s;
}

bool AddressSet::parse_cidr(const std::string& text, IpRange& out) {
  // Suricata also accepts an explicit range "a-b".
  if (std::size_t dash = text.find('-'); dash != std::string::npos) {
    auto lo = IpAddress::parse(text.substr(0, dash));
    auto hi = IpAddress::parse(text.substr(dash + 1));
    if (!lo || !hi || lo->is_v4() != hi->is_v4() || *hi < *lo) return false;
    out = {*lo, *hi};
    return true;
  }
  std::size_t slash = text.find('/');
  auto addr = IpAddress::parse(text.substr(0, slash));
  if (!addr) return false;
  if (slash == std::string::npos) {
    out = {*addr, *addr};
    return true;
  }
  std::string len_text = text.substr(slash + 1);
  std::optional<int> len;
  if (addr->is_v4()) {
    len = len_text.find('.') != std::string::npos ? netmask_to_prefix_len(len_text)
                                                  : parse_prefix_len(len_text, 32);
    if (len) *len += 96;  // the v4-mapped prefix ::ffff:0:0/96
  } else {
    len = parse_prefix_len(len_text, 128);
  }
  if (!len) return false;
  // Host bits set below the prefix ("192.168.1.5/24") are ignored, as Suricata does.
  out = {with_host_bits(*addr, *len, false), with_host_bits(*addr, *len, true)};
  return true;
}

bool AddressSet::contains(const IpAddress& a) const {
  const IpKey k = a.key();
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), k,
                             [](IpKey v, const IpRange& r) { return v < r.lo.key(); });
  if (it == ranges_.begin()) return false;
  --it;
  return k <= it->hi.key();
}

bool AddressSet::is_any() const {
  return ranges_.size() == 1 && ranges_[0].lo == min_address() && ranges_[0].hi == max_address();
}

AddressSet AddressSet::unite(const AddressSet& other) const {
  std::vector<IpRange> all = ranges_;
  all.insert(all.end(), other.ranges_.begin(), other.ranges_.end());
  return from_ranges(std::move(all));
}

AddressSet AddressSet::complement() const {
  AddressSet out;
  IpAddress start = min_address();
  bool open = true;  // [start, ...) is not yet covered
  for (const IpRange& r : ranges_) {
    if (start < r.lo) out.ranges_.push_back({start, prev(r.lo)});
    if (r.hi == max_address()) {
      open = false;
      break;
    }
    start = next(r.hi);
  }
  if (open) out.ranges_.push_back({start, max_address()});
  return out;
}

AddressSet AddressSet::subtract(const AddressSet& other) const {
  // A \ B = A ∩ ¬B; intersect two sorted disjoint lists with a merge walk.
  AddressSet keep = other.complement();
  AddressSet out;
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < ranges_.size() && j < keep.ranges_.size()) {
    const IpRange& a = ranges_[i];
    const IpRange& b = keep.ranges_[j];
    IpAddress lo = std::max(a.lo, b.lo);
    IpAddress hi = std::min(a.hi, b.hi);
    if (lo <= hi) out.ranges_.push_back({lo, hi});
    if (a.hi < b.hi) {
      ++i;
    } else {
      ++j;
    }
  }
  return out;
}

bool operator==(const AddressSet& a, const AddressSet& b) {
  return std::equal(
      a.ranges_.begin(), a.ranges_.end(), b.ranges_.begin(), b.ranges_.end(),
      [](const IpRange& x, const IpRange& y) { return x.lo == y.lo && x.hi == y.hi; });
}

PortSet PortSet::from_ranges(std::vector<PortRange> ranges) {
  std::sort(ranges.begin(), ranges.end(),
            [](const PortRange& a, const PortRange& b) { return a.lo < b.lo; });
  PortSet s;
  for (const PortRange& r : ranges) {
    if (r.hi < r.lo) continue;
    if (!s.ranges_.empty() && int{r.lo} <= int{s.ranges_.back().hi} + 1) {
      s.ranges_.back().hi = std::max(s.ranges_.back().hi, r.hi);
      continue;
    }
    s.ranges_.push_back(r);
  }
  return s;
}

PortSet PortSet::unite(const PortSet& other) const {
  std::vector<PortRange> all = ranges_;
  all.insert(all.end(), other.ranges_.begin(), other.ranges_.end());
  return from_ranges(std::move(all));
}

PortSet PortSet::complement() const {
  PortSet out;
  int start = 0;
  for (const PortRange& r : ranges_) {
    if (r.lo > start) {
      out.ranges_.push_back(
          {static_cast<std::uint16_t>(start), static_cast<std::uint16_t>(r.lo - 1)});
    }
    start = r.hi + 1;
  }
  if (start <= 65535) out.ranges_.push_back({static_cast<std::uint16_t>(start), 65535});
  return out;
}

PortSet PortSet::subtract(const PortSet& other) const {
  PortSet keep = other.complement();
  PortSet out;
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < ranges_.size() && j < keep.ranges_.size()) {
    const PortRange& a = ranges_[i];
    const PortRange& b = keep.ranges_[j];
    std::uint16_t lo = std::max(a.lo, b.lo);
    std::uint16_t hi = std::min(a.hi, b.hi);
    if (lo <= hi) out.ranges_.push_back({lo, hi});
    if (a.hi < b.hi) {
      ++i;
    } else {
      ++j;
    }
  }
  return out;
}

}  // namespace wp::detect
