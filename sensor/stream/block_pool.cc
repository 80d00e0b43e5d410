#include "stream/block_pool.h"

#include <bit>
#include <new>

namespace wp::stream {

BlockPool::~BlockPool() {
  for (int c = 0; c < kClasses; ++c) {
    while (free_[c] != nullptr) {
      FreeBlock* b = free_[c];
      free_[c] = b->next;
      ::operator delete(b);
    }
  }
}

int BlockPool::class_of(std::size_t n) {
  if (n <= kMinBlock) return 0;
  return std::bit_width(n - 1) - std::bit_width(kMinBlock - 1);
}

std::size_t BlockPool::block_size(std::size_t n) {
  if (n > kMaxBlock) return 0;
  return kMinBlock << class_of(n);
}

bool BlockPool::make_room(std::size_t bytes, int keep_class) {
  for (int c = kClasses - 1; c >= 0 && held_ + bytes > memcap_; --c) {
    if (c == keep_class) continue;
    while (free_[c] != nullptr && held_ + bytes > memcap_) {
      FreeBlock* b = free_[c];
      free_[c] = b->next;
      ::operator delete(b);
      held_ -= kMinBlock << c;
    }
  }
  return held_ + bytes <= memcap_;
}

std::uint8_t* BlockPool::allocate(std::size_t n) {
  if (n > kMaxBlock) return nullptr;
  const int c = class_of(n);
  const std::size_t size = kMinBlock << c;
  std::uint8_t* out;
  if (free_[c] != nullptr) {
    FreeBlock* b = free_[c];
    free_[c] = b->next;
    out = reinterpret_cast<std::uint8_t*>(b);
  } else {
    if (held_ + size > memcap_ && !make_room(size, c)) return nullptr;
    out = static_cast<std::uint8_t*>(::operator new(size));
    held_ += size;
  }
  in_use_ += size;
  if (in_use_ > peak_) peak_ = in_use_;
  return out;
}

void BlockPool::free(std::uint8_t* block, std::size_t n) {
  if (block == nullptr) return;
  const int c = class_of(n);
  auto* b = reinterpret_cast<FreeBlock*>(block);
  b->next = free_[c];
  free_[c] = b;
  in_use_ -= kMinBlock << c;
}

}  // namespace wp::stream
