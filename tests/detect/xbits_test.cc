#include "detect/engine/xbits.h"

#include <gtest/gtest.h>

namespace wp::detect {
namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

constexpr std::int64_t kSec = 1000000;

TEST(XbitsTable, ABitIsSetUntilItsExpiryInPacketTime) {
  XbitsTable t(64);
  const XbitKey k = XbitKey::host(1, ip("192.0.2.1"));
  EXPECT_FALSE(t.is_set(k, 100 * kSec));
  EXPECT_TRUE(t.set(k, 100 * kSec + 500000, 10));
  EXPECT_TRUE(t.is_set(k, 100 * kSec + 500000));
  EXPECT_TRUE(t.is_set(k, 110 * kSec + 499999));
  EXPECT_FALSE(t.is_set(k, 110 * kSec + 500000));
}

TEST(XbitsTable, SettingAgainRefreshesTheExpiry) {
  XbitsTable t(64);
  const XbitKey k = XbitKey::host(1, ip("192.0.2.1"));
  EXPECT_TRUE(t.set(k, 0, 10));
  EXPECT_TRUE(t.set(k, 8 * kSec, 10));
  EXPECT_TRUE(t.is_set(k, 17 * kSec));
}

TEST(XbitsTable, KeysDifferByNameHostAndScope) {
  XbitsTable t(64);
  EXPECT_TRUE(t.set(XbitKey::host(1, ip("192.0.2.1")), 0, 30));
  EXPECT_FALSE(t.is_set(XbitKey::host(2, ip("192.0.2.1")), 1));
  EXPECT_FALSE(t.is_set(XbitKey::host(1, ip("192.0.2.2")), 1));
  // A host bit is not the pair (host, ::).
  EXPECT_FALSE(t.is_set(XbitKey::ip_pair(1, ip("192.0.2.1"), IpAddress{}), 1));
}

TEST(XbitsTable, AnAddressPairIsTheSameInBothDirections) {
  XbitsTable t(64);
  EXPECT_TRUE(t.set(XbitKey::ip_pair(1, ip("192.0.2.1"), ip("2001:db8::1")), 0, 30));
  EXPECT_TRUE(t.is_set(XbitKey::ip_pair(1, ip("2001:db8::1"), ip("192.0.2.1")), 1));
  EXPECT_FALSE(t.is_set(XbitKey::ip_pair(1, ip("192.0.2.1"), ip("2001:db8::2")), 1));
}

TEST(XbitsTable, UnsetAndToggle) {
  XbitsTable t(64);
  const XbitKey k = XbitKey::host(3, ip("10.0.0.1"));
  EXPECT_TRUE(t.toggle(k, 0, 30));
  EXPECT_TRUE(t.is_set(k, 1));
  EXPECT_TRUE(t.toggle(k, 2, 30));
  EXPECT_FALSE(t.is_set(k, 3));
  EXPECT_TRUE(t.set(k, 4, 30));
  t.unset(k);
  EXPECT_FALSE(t.is_set(k, 5));
  t.unset(XbitKey::host(4, ip("10.0.0.1")));  // never set: nothing happens
  EXPECT_FALSE(t.is_set(XbitKey::host(4, ip("10.0.0.1")), 5));
}

TEST(XbitsTable, FullTableRefusesAndCountsThenReusesExpiredSlots) {
  XbitsTable t(64);
  ASSERT_EQ(t.capacity(), 64u);
  auto key = [](std::uint32_t i) { return XbitKey::host(1, IpAddress::v4(0xC0000200u + i)); };
  std::uint32_t stored = 0;
  std::uint32_t refused = 200;  // the first key that was not stored
  for (std::uint32_t i = 0; i < 200; ++i) {
    if (t.set(key(i), 0, 100)) {
      ++stored;
    } else if (refused == 200) {
      refused = i;
    }
  }
  EXPECT_LE(stored, 64u);
  EXPECT_EQ(t.full(), 200u - stored);
  ASSERT_LT(refused, 200u);
  // A stored bit is still found and refreshed while the table is full.
  EXPECT_TRUE(t.set(key(0), 50 * kSec, 100));
  // Expired bits free their slots: the refused key now fits, the refreshed bit stays.
  EXPECT_TRUE(t.set(key(refused), 101 * kSec, 100));
  EXPECT_TRUE(t.is_set(key(refused), 101 * kSec));
  EXPECT_TRUE(t.is_set(key(0), 101 * kSec));
}

}  // namespace
}  // namespace wp::detect
