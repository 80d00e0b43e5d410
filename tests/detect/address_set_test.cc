#include "detect/rules/address_set.h"

#include <gtest/gtest.h>

namespace wp::detect {
namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

IpRange cidr(const char* text) {
  IpRange r;
  EXPECT_TRUE(AddressSet::parse_cidr(text, r)) << text;
  return r;
}

AddressSet set_of(std::initializer_list<const char*> cidrs) {
  std::vector<IpRange> ranges;
  for (const char* c : cidrs) ranges.push_back(cidr(c));
  return AddressSet::from_ranges(std::move(ranges));
}

TEST(AddressSet, AnyContainsIpv4AndIpv6) {
  AddressSet any = AddressSet::any();
  EXPECT_TRUE(any.is_any());
  EXPECT_TRUE(any.contains(ip("0.0.0.0")));
  EXPECT_TRUE(any.contains(ip("255.255.255.255")));
  EXPECT_TRUE(any.contains(ip("::")));
  EXPECT_TRUE(any.contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
}

TEST(AddressSet, NoneContainsNothing) {
  AddressSet none = AddressSet::none();
  EXPECT_TRUE(none.empty());
  EXPECT_FALSE(none.contains(ip("10.0.0.1")));
}

TEST(AddressSet, Ipv4CidrCoversOnlyItsMappedRange) {
  AddressSet s = set_of({"10.0.0.0/8"});
  EXPECT_TRUE(s.contains(ip("10.0.0.0")));
  EXPECT_TRUE(s.contains(ip("10.255.255.255")));
  EXPECT_FALSE(s.contains(ip("11.0.0.0")));
  EXPECT_FALSE(s.contains(ip("9.255.255.255")));
  EXPECT_FALSE(s.contains(ip("a00::1")));  // same low bits, not v4-mapped
}

TEST(AddressSet, Ipv4SlashZeroIsAllIpv4ButNoIpv6) {
  AddressSet s = set_of({"0.0.0.0/0"});
  EXPECT_TRUE(s.contains(ip("1.2.3.4")));
  EXPECT_FALSE(s.contains(ip("2001:db8::1")));
  EXPECT_FALSE(s.is_any());
}

TEST(AddressSet, ParseCidrIgnoresHostBitsBelowThePrefix) {
  IpRange r = cidr("192.168.1.77/24");
  EXPECT_EQ(r.lo, ip("192.168.1.0"));
  EXPECT_EQ(r.hi, ip("192.168.1.255"));
}

TEST(AddressSet, ParseCidrAcceptsIpv6Prefixes) {
  IpRange r = cidr("2001:db8::/32");
  EXPECT_EQ(r.lo, ip("2001:db8::"));
  EXPECT_EQ(r.hi, ip("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
}

TEST(AddressSet, ParseCidrAcceptsDottedNetmaskAndExplicitRange) {
  IpRange r = cidr("172.16.0.0/255.240.0.0");
  EXPECT_EQ(r.hi, ip("172.31.255.255"));
  IpRange range = cidr("10.0.0.5-10.0.0.9");
  EXPECT_EQ(range.lo, ip("10.0.0.5"));
  EXPECT_EQ(range.hi, ip("10.0.0.9"));
}

TEST(AddressSet, ParseCidrRejectsMalformedText) {
  IpRange r;
  for (const char* bad : {"10.0.0.0/33", "10.0.0.256", "10.0.0.0/", "2001:db8::/129",
                          "10.0.0.0/255.0.255.0", "host", "10.0.0.9-10.0.0.5", ""}) {
    EXPECT_FALSE(AddressSet::parse_cidr(bad, r)) << bad;
  }
}

TEST(AddressSet, FromRangesMergesOverlappingAndAdjacentRanges) {
  AddressSet s = set_of({"10.0.1.0/24", "10.0.0.0/24", "10.0.0.128/25", "10.0.3.0/24"});
  ASSERT_EQ(s.ranges().size(), 2u);
  EXPECT_EQ(s.ranges()[0].lo, ip("10.0.0.0"));
  EXPECT_EQ(s.ranges()[0].hi, ip("10.0.1.255"));
  EXPECT_EQ(s.ranges()[1].lo, ip("10.0.3.0"));
}

TEST(AddressSet, ContainsIsInclusiveAtBothEndsOfEveryRange) {
  AddressSet s = set_of({"10.0.0.5-10.0.0.9", "10.0.0.20-10.0.0.29", "192.0.2.1"});
  EXPECT_FALSE(s.contains(ip("10.0.0.4")));
  EXPECT_TRUE(s.contains(ip("10.0.0.5")));
  EXPECT_TRUE(s.contains(ip("10.0.0.9")));
  EXPECT_FALSE(s.contains(ip("10.0.0.10")));
  EXPECT_TRUE(s.contains(ip("10.0.0.29")));
  EXPECT_TRUE(s.contains(ip("192.0.2.1")));
  EXPECT_FALSE(s.contains(ip("192.0.2.2")));
}

TEST(AddressSet, SubtractSplitsARangeAroundTheHole) {
  AddressSet s = set_of({"10.0.0.0/8"}).subtract(set_of({"10.1.0.0/16"}));
  ASSERT_EQ(s.ranges().size(), 2u);
  EXPECT_EQ(s.ranges()[0].hi, ip("10.0.255.255"));
  EXPECT_EQ(s.ranges()[1].lo, ip("10.2.0.0"));
  EXPECT_FALSE(s.contains(ip("10.1.2.3")));
  EXPECT_TRUE(s.contains(ip("10.200.0.1")));
}

TEST(AddressSet, ComplementOfAnyIsEmptyAndOfNoneIsAny) {
  EXPECT_TRUE(AddressSet::any().complement().empty());
  EXPECT_TRUE(AddressSet::none().complement().is_any());
}

TEST(AddressSet, ComplementOfIpv4NetworkIncludesAllIpv6) {
  AddressSet s = set_of({"192.168.0.0/16"}).complement();
  EXPECT_FALSE(s.contains(ip("192.168.1.1")));
  EXPECT_TRUE(s.contains(ip("192.169.0.0")));
  EXPECT_TRUE(s.contains(ip("2001:db8::1")));
  EXPECT_TRUE(s.contains(ip("::")));
  EXPECT_EQ(s.complement(), set_of({"192.168.0.0/16"}));
}

TEST(AddressSet, UniteIsCommutativeAndMerges) {
  AddressSet a = set_of({"10.0.0.0/24"});
  AddressSet b = set_of({"10.0.1.0/24"});
  EXPECT_EQ(a.unite(b), b.unite(a));
  EXPECT_EQ(a.unite(b).ranges().size(), 1u);
}

TEST(PortSet, FromRangesMergesAndContainsChecksBounds) {
  PortSet p = PortSet::from_ranges({{80, 80}, {81, 90}, {443, 443}, {85, 100}});
  ASSERT_EQ(p.ranges().size(), 2u);
  EXPECT_TRUE(p.contains(80));
  EXPECT_TRUE(p.contains(100));
  EXPECT_FALSE(p.contains(101));
  EXPECT_TRUE(p.contains(443));
  EXPECT_FALSE(p.contains(79));
}

TEST(PortSet, SubtractAndComplementCoverTheWholePortSpace) {
  PortSet not80 = PortSet::any().subtract(PortSet::from_ranges({{80, 80}}));
  EXPECT_FALSE(not80.contains(80));
  EXPECT_TRUE(not80.contains(0));
  EXPECT_TRUE(not80.contains(65535));
  EXPECT_TRUE(PortSet::any().complement().empty());
  EXPECT_TRUE(PortSet::from_ranges({}).complement().is_any());
  PortSet edges = PortSet::from_ranges({{0, 0}, {65535, 65535}}).complement();
  ASSERT_EQ(edges.ranges().size(), 1u);
  EXPECT_EQ(edges.ranges()[0].lo, 1);
  EXPECT_EQ(edges.ranges()[0].hi, 65534);
}

TEST(PortSet, UniteOfDisjointRangesKeepsBoth) {
  PortSet p = PortSet::from_ranges({{1, 10}}).unite(PortSet::from_ranges({{20, 30}}));
  EXPECT_EQ(p.ranges().size(), 2u);
  EXPECT_FALSE(p.contains(15));
}

}  // namespace
}  // namespace wp::detect
