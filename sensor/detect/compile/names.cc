#include "detect/compile/names.h"

#include <limits>

namespace wp::detect {

std::optional<std::uint32_t> NameTable::id(Kind kind, std::string_view name) {
  std::lock_guard lock(mutex_);
  Names& n = kinds_[static_cast<int>(kind)];
  auto it = n.ids.find(std::string(name));
  if (it != n.ids.end()) return it->second;
  const std::size_t limit = kind == Kind::kPattern ? std::numeric_limits<std::uint32_t>::max()
                                                   : std::numeric_limits<std::uint16_t>::max();
  if (n.names.size() >= limit) return std::nullopt;
  const auto id = static_cast<std::uint32_t>(n.names.size());
  n.ids.emplace(std::string(name), id);
  n.names.emplace_back(name);
  return id;
}

std::string NameTable::name(Kind kind, std::uint32_t id) const {
  std::lock_guard lock(mutex_);
  const Names& n = kinds_[static_cast<int>(kind)];
  return id < n.names.size() ? n.names[id] : std::string();
}

std::size_t NameTable::size(Kind kind) const {
  std::lock_guard lock(mutex_);
  return kinds_[static_cast<int>(kind)].names.size();
}

}  // namespace wp::detect
