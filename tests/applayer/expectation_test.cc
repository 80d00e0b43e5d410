// ExpectationTable: a new flow from the expected initiator to the expected responder and port
// takes the expected protocol once; anything else (the other direction, another port or
// address) does not; expectations expire after their timeout and the oldest is dropped when
// the table is full; the counters say so.
#include "applayer/expectation.h"

#include <gtest/gtest.h>

namespace wp::applayer {
namespace {

const IpAddress kClient = *IpAddress::parse("203.0.113.5");
const IpAddress kServer = *IpAddress::parse("10.0.0.25");
const IpAddress kOther = *IpAddress::parse("10.0.0.26");
constexpr std::int64_t kT0 = 1751338800;

Timestamp at(std::int64_t sec) { return Timestamp{sec, 0}; }

TEST(ExpectationTable, AMatchingNewFlowTakesTheProtocolOnce) {
  Counters c;
  ExpectationTable t(c);
  t.expect(kClient, kServer, 50001, AppProto::kFtpData, at(kT0));
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(c.get("applayer.expectations"), 1u);
  EXPECT_EQ(t.take(kClient, kServer, 50001, at(kT0 + 1)), AppProto::kFtpData);
  EXPECT_EQ(t.take(kClient, kServer, 50001, at(kT0 + 1)), AppProto::kUnknown);  // consumed
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(c.get("applayer.expectations.created"), 1u);
  EXPECT_EQ(c.get("applayer.expectations.used"), 1u);
  EXPECT_EQ(c.get("applayer.expectations"), 0u);
}

TEST(ExpectationTable, NearMissesDoNotMatch) {
  Counters c;
  ExpectationTable t(c);
  t.expect(kClient, kServer, 50001, AppProto::kFtpData, at(kT0));
  EXPECT_EQ(t.take(kServer, kClient, 50001, at(kT0)), AppProto::kUnknown);  // other direction
  EXPECT_EQ(t.take(kClient, kServer, 50002, at(kT0)), AppProto::kUnknown);  // other port
  EXPECT_EQ(t.take(kClient, kOther, 50001, at(kT0)), AppProto::kUnknown);   // other server
  EXPECT_EQ(t.take(kOther, kServer, 50001, at(kT0)), AppProto::kUnknown);   // other client
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(c.get("applayer.expectations.used"), 0u);
  t.expect(kClient, kServer, 0, AppProto::kFtpData, at(kT0));  // no port announced
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.take(kClient, kServer, 0, at(kT0)), AppProto::kUnknown);
}

TEST(ExpectationTable, ExpiresAfterItsTimeout) {
  Counters c;
  ExpectationTable t(c);
  const std::int64_t last = kT0 + ExpectationTable::kTimeoutSec;
  t.expect(kClient, kServer, 50001, AppProto::kFtpData, at(kT0));
  t.expect(kClient, kServer, 50002, AppProto::kFtpData, at(kT0));
  EXPECT_EQ(t.take(kClient, kServer, 50001, at(last)), AppProto::kFtpData);  // still holds
  EXPECT_EQ(t.take(kClient, kServer, 50002, at(last + 1)), AppProto::kUnknown);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(c.get("applayer.expectations.expired"), 1u);
  // Expired entries are counted as they pass, even without a lookup: at the next expect().
  t.expect(kClient, kServer, 50003, AppProto::kFtpData, at(kT0 + 100));
  t.expect(kClient, kServer, 50004, AppProto::kFtpData, at(kT0 + 200));
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(c.get("applayer.expectations.expired"), 2u);
}

TEST(ExpectationTable, ExpectationsSharingAPortAreEachTakenOnceByTheirOwnFlow) {
  Counters c;
  ExpectationTable t(c);
  t.expect(kClient, kServer, 50001, AppProto::kFtpData, at(kT0));
  t.expect(kOther, kServer, 50001, AppProto::kFtpData, at(kT0));
  t.expect(kClient, kServer, 50002, AppProto::kFtpData, at(kT0));
  EXPECT_EQ(t.take(kOther, kServer, 50001, at(kT0)), AppProto::kFtpData);
  EXPECT_EQ(t.take(kOther, kServer, 50001, at(kT0)), AppProto::kUnknown);
  EXPECT_EQ(t.take(kClient, kServer, 50001, at(kT0)), AppProto::kFtpData);
  EXPECT_EQ(t.take(kClient, kServer, 50001, at(kT0)), AppProto::kUnknown);
  EXPECT_EQ(t.size(), 1u);  // 50002 is still expected, 50001 no longer
  EXPECT_EQ(t.take(kClient, kServer, 50002, at(kT0)), AppProto::kFtpData);
}

TEST(ExpectationTable, WhenFullTheOldestIsDropped) {
  Counters c;
  ExpectationTable t(c);
  const std::size_t n = ExpectationTable::kCapacity;
  for (std::size_t i = 0; i < n; ++i) {
    t.expect(kClient, kServer, static_cast<std::uint16_t>(10000 + i), AppProto::kFtpData, at(kT0));
  }
  EXPECT_EQ(t.size(), n);
  EXPECT_EQ(c.get("applayer.expectations.dropped"), 0u);
  t.expect(kClient, kServer, 9999, AppProto::kFtpData, at(kT0));
  EXPECT_EQ(t.size(), n);
  EXPECT_EQ(c.get("applayer.expectations.dropped"), 1u);
  EXPECT_EQ(t.take(kClient, kServer, 10000, at(kT0)), AppProto::kUnknown);  // the oldest
  EXPECT_EQ(t.take(kClient, kServer, 10001, at(kT0)), AppProto::kFtpData);
  EXPECT_EQ(t.take(kClient, kServer, 9999, at(kT0)), AppProto::kFtpData);   // the newest
  EXPECT_EQ(t.take(kClient, kServer, static_cast<std::uint16_t>(10000 + n - 1), at(kT0)),
            AppProto::kFtpData);
  EXPECT_EQ(t.size(), n - 3);
  // The ring keeps working through many rounds (consumed slots in the middle included).
  for (std::size_t i = 0; i < 5 * n; ++i) {
    const auto port = static_cast<std::uint16_t>(20000 + i % 30000);
    t.expect(kServer, kClient, port, AppProto::kFtpData, at(kT0 + 1));
    if (i % 3 == 0) EXPECT_EQ(t.take(kServer, kClient, port, at(kT0 + 1)), AppProto::kFtpData);
  }
  EXPECT_LE(t.size(), n);
}

}  // namespace
}  // namespace wp::applayer
