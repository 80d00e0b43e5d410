// Transform chains (rules/rule.h TransformOp) applied to a buffer: what a rule's items after
// `http.uri; to_lowercase;` or `dns.query; dotprefix;` inspect. The output goes to the
// worker's scratch vectors (their capacity is kept: no allocation once warm, except that a
// buffer larger than any before grows them once). Private to engine/; worker thread.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "detect/rules/rule.h"

struct pcre2_real_match_data_8;

namespace wp::detect {

class TransformScratch {
 public:
  TransformScratch();
  ~TransformScratch();
  TransformScratch(const TransformScratch&) = delete;
  TransformScratch& operator=(const TransformScratch&) = delete;

  // `in` through every op of `chain`; the result is valid until the next apply() call.
  std::span<const std::uint8_t> apply(const TransformChain& chain,
                                      std::span<const std::uint8_t> in);

 private:
  std::vector<std::uint8_t> buf_[2];
  pcre2_real_match_data_8* md_ = nullptr;
};

// One op from `in` into `out` (cleared first). `md`: match data for pcrexform.
void apply_transform(const TransformOp& op, std::span<const std::uint8_t> in,
                     std::vector<std::uint8_t>& out, pcre2_real_match_data_8* md);

}  // namespace wp::detect
