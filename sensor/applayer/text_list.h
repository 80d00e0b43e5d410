// A list of short texts that keeps its strings' capacity when cleared, so a parser that
// fills one per transaction (SMTP recipients, FTP reply lines) stops allocating once warm.
// Iterates like a vector over the texts added since the last clear().
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace wp::applayer {

class TextList {
 public:
  using value_type = std::string;
  using iterator = std::vector<std::string>::const_iterator;
  using const_iterator = std::vector<std::string>::const_iterator;

  void clear() { size_ = 0; }
  void add(std::string_view text) {
    if (size_ == items_.size()) items_.emplace_back();
    items_[size_++].assign(text);
  }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const std::string& operator[](std::size_t i) const { return items_[i]; }
  const_iterator begin() const { return items_.begin(); }
  const_iterator end() const { return items_.begin() + static_cast<std::ptrdiff_t>(size_); }

  friend bool operator==(const TextList& a, const std::vector<std::string>& b) {
    if (a.size_ != b.size()) return false;
    for (std::size_t i = 0; i < b.size(); ++i) {
      if (a.items_[i] != b[i]) return false;
    }
    return true;
  }

 private:
  std::vector<std::string> items_;  // the first size_ are in the list; the rest keep capacity
  std::size_t size_ = 0;
};

}  // namespace wp::applayer
