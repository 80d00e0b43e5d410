#include "detect/rules/address_set.h"

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


// The range algebra both sets share, over sorted, disjoint, merged ranges of values V with
// Bounds<V> giving the domain's ends and the successor/predecessor of a value.
template <typename V>
struct Bounds;

template <>
struct Bounds<IpAddress> {
  static IpAddress min() { return min_address(); }
  static IpAddress max() { return max_address(); }
  static IpAddress succ(const IpAddress& v) { return next(v); }
  static IpAddress pred(const IpAddress& v) { return prev(v); }
};

template <>
struct Bounds<std::uint16_t> {
  static std::uint16_t min() { return 0; }
  static std::uint16_t max() { return 65535; }
  static std::uint16_t succ(std::uint16_t v) { return static_cast<std::uint16_t>(v + 1); }
  static std::uint16_t pred(std::uint16_t v) { return static_cast<std::uint16_t>(v - 1); }
};

// Sorts, drops empty ranges, merges overlapping and adjacent ones.
template <typename R>
std::vector<R> normalize(std::vector<R> ranges) {
  using B = Bounds<decltype(R::lo)>;
  std::sort(ranges.begin(), ranges.end(), [](const R& a, const R& b) { return a.lo < b.lo; });
  std::vector<R> out;
  for (const R& r : ranges) {
    if (r.hi < r.lo) continue;
    if (!out.empty()) {
      R& last = out.back();
      if (last.hi == B::max() || r.lo <= B::succ(last.hi)) {
        if (last.hi < r.hi) last.hi = r.hi;
        continue;
      }
    }
    out.push_back(r);
  }
  return out;
}

template <typename R>
std::vector<R> complement_of(const std::vector<R>& ranges) {
  using B = Bounds<decltype(R::lo)>;
  std::vector<R> out;
  auto start = B::min();
  for (const R& r : ranges) {
    if (start < r.lo) out.push_back({start, B::pred(r.lo)});
    if (r.hi == B::max()) return out;
    start = B::succ(r.hi);
  }
  out.push_back({start, B::max()});
  return out;
}

// A ∩ B with a merge walk.
template <typename R>
std::vector<R> intersect(const std::vector<R>& a, const std::vector<R>& b) {
  std::vector<R> out;
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() && j < b.size()) {
    const auto lo = std::max(a[i].lo, b[j].lo);
    const auto hi = std::min(a[i].hi, b[j].hi);
    if (lo <= hi) out.push_back({lo, hi});
    if (a[i].hi < b[j].hi) {
      ++i;
    } else {
      ++j;
    }
  }
  return out;
}

template <typename R>
std::vector<R> united(const std::vector<R>& a, const std::vector<R>& b) {
  std::vector<R> all = a;
  all.insert(all.end(), b.begin(), b.end());
  return normalize(std::move(all));
}

}  // namespace

AddressSet AddressSet::any() {
  AddressSet s;
  s.ranges_.push_back({min_address(), max_address()});
  return s;
}

AddressSet AddressSet::from_ranges(std::vector<IpRange> ranges) {
  AddressSet s;
  s.ranges_ = normalize(std::move(ranges));
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
  AddressSet out;
  out.ranges_ = united(ranges_, other.ranges_);
  return out;
}

AddressSet AddressSet::complement() const {
  AddressSet out;
  out.ranges_ = complement_of(ranges_);
  return out;
}

AddressSet AddressSet::subtract(const AddressSet& other) const {
  // A \ B = A ∩ ¬B.
  AddressSet out;
  out.ranges_ = intersect(ranges_, complement_of(other.ranges_));
  return out;
}

bool operator==(const AddressSet& a, const AddressSet& b) {
  return std::equal(
      a.ranges_.begin(), a.ranges_.end(), b.ranges_.begin(), b.ranges_.end(),
      [](const IpRange& x, const IpRange& y) { return x.lo == y.lo && x.hi == y.hi; });
}

PortSet PortSet::from_ranges(std::vector<PortRange> ranges) {
  return PortSet(normalize(std::move(ranges)));
}

PortSet PortSet::unite(const PortSet& other) const { return PortSet(united(ranges_, other.ranges_)); }

PortSet PortSet::complement() const { return PortSet(complement_of(ranges_)); }

PortSet PortSet::subtract(const PortSet& other) const {
  return PortSet(intersect(ranges_, complement_of(other.ranges_)));
}

}  // namespace wp::detect
