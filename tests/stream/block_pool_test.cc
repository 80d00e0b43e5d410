#include "stream/block_pool.h"

#include <gtest/gtest.h>

#include <vector>

namespace wp::stream {
namespace {

TEST(BlockPool, RoundsRequestsUpToPowerOfTwoClasses) {
  EXPECT_EQ(BlockPool::block_size(1), 64u);
  EXPECT_EQ(BlockPool::block_size(64), 64u);
  EXPECT_EQ(BlockPool::block_size(65), 128u);
  EXPECT_EQ(BlockPool::block_size(1500), 2048u);
  EXPECT_EQ(BlockPool::block_size(BlockPool::kMaxBlock), BlockPool::kMaxBlock);
  EXPECT_EQ(BlockPool::block_size(BlockPool::kMaxBlock + 1), 0u);
}

TEST(BlockPool, ReusesFreedBlocksWithoutGrowing) {
  BlockPool pool(1 << 20);
  std::uint8_t* a = pool.allocate(1000);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(pool.in_use(), 1024u);
  pool.free(a, 1000);
  EXPECT_EQ(pool.in_use(), 0u);
  EXPECT_EQ(pool.held(), 1024u);
  std::uint8_t* b = pool.allocate(900);  // same class: the same block comes back
  EXPECT_EQ(a, b);
  EXPECT_EQ(pool.held(), 1024u);
  pool.free(b, 900);
}

TEST(BlockPool, RefusesBeyondTheMemcap) {
  BlockPool pool(4096);
  std::uint8_t* a = pool.allocate(2048);
  std::uint8_t* b = pool.allocate(2048);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(pool.allocate(64), nullptr);
  EXPECT_EQ(pool.allocate(BlockPool::kMaxBlock + 1), nullptr);
  pool.free(a, 2048);
  pool.free(b, 2048);
}

TEST(BlockPool, ReleasesFreeBlocksOfOtherClassesToStayUnderTheMemcap) {
  BlockPool pool(4096);
  std::vector<std::uint8_t*> small;
  for (int i = 0; i < 64; ++i) small.push_back(pool.allocate(64));  // 4096 bytes
  for (std::uint8_t* p : small) pool.free(p, 64);
  EXPECT_EQ(pool.held(), 4096u);
  std::uint8_t* big = pool.allocate(4096);  // only possible after the free list shrinks
  ASSERT_NE(big, nullptr);
  EXPECT_LE(pool.held(), 4096u);
  EXPECT_EQ(pool.peak(), 4096u);
  pool.free(big, 4096);
}

}  // namespace
}  // namespace wp::stream
