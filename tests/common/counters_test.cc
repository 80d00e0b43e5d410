#include "common/counters.h"

#include <gtest/gtest.h>

namespace wp {
namespace {

TEST(Counters, AddReturnsTheSameIdForTheSameName) {
  Counters c;
  const CounterId a = c.add("decoder.pkts");
  EXPECT_EQ(c.add("decoder.pkts"), a);
  c.inc(a, 3);
  EXPECT_EQ(c.get("decoder.pkts"), 3u);
  EXPECT_EQ(c.get("never.registered"), 0u);
}

TEST(Counters, AnomalyKindIsKeptAndMerged) {
  Counters c;
  const CounterId vol = c.add("decoder.pkts");
  const CounterId bad = c.add("decoder.ipv4.trunc_pkt", CounterKind::kAnomaly);
  EXPECT_FALSE(c.is_anomaly(vol));
  EXPECT_TRUE(c.is_anomaly(bad));
  EXPECT_TRUE(c.is_anomaly(c.add("decoder.ipv4.trunc_pkt")));  // a later lookup keeps the kind
  c.inc(bad, 2);
  Counters total;
  total.merge(c);
  total.merge(c);
  EXPECT_EQ(total.get("decoder.ipv4.trunc_pkt"), 4u);
  EXPECT_TRUE(total.is_anomaly(total.add("decoder.ipv4.trunc_pkt")));
  EXPECT_FALSE(total.is_anomaly(total.add("decoder.pkts")));
}

}  // namespace
}  // namespace wp
