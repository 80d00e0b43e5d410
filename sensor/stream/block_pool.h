// BlockPool: the memory of TCP reassembly. Blocks come in power-of-two size classes
// (64 B .. 256 KiB); freed blocks go to a free list per class and are reused, so a warm pool
// serves segments without calling the allocator. Everything held (in use plus free lists)
// stays under the memcap: when a class has no free block and the cap is reached, free
// blocks of other classes are returned to the system first, and only then does allocate()
// fail (the caller counts the drop). Not thread-safe: one pool per worker.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace wp::stream {

class BlockPool {
 public:
  static constexpr std::size_t kMinBlock = 64;
  static constexpr std::size_t kMaxBlock = 256 * 1024;
  static constexpr int kClasses = 13;  // 64 << 12 == 256 KiB

  explicit BlockPool(std::uint64_t memcap) : memcap_(memcap) {}
  ~BlockPool();
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;

  // The block size allocate(n) would return (n rounded up to its class); 0 if n > kMaxBlock.
  static std::size_t block_size(std::size_t n);

  // A block of block_size(n) bytes, or nullptr when n is too large or the memcap is reached.
  std::uint8_t* allocate(std::size_t n);
  // Returns a block obtained from allocate(n) (the same n or any n of the same class).
  void free(std::uint8_t* block, std::size_t n);

  std::uint64_t in_use() const { return in_use_; }  // bytes handed out
  std::uint64_t held() const { return held_; }      // in use plus free lists
  std::uint64_t peak() const { return peak_; }
  std::uint64_t memcap() const { return memcap_; }

 private:
  struct FreeBlock {
    FreeBlock* next;
  };
  static int class_of(std::size_t n);
  bool make_room(std::size_t bytes, int keep_class);

  std::uint64_t memcap_;
  std::uint64_t in_use_ = 0;
  std::uint64_t held_ = 0;
  std::uint64_t peak_ = 0;
  std::array<FreeBlock*, kClasses> free_{};
};

}  // namespace wp::stream
