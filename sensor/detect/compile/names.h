// NameTable: the append-only name -> id tables of an engine's variables (flowbits, flowints,
// xbits) and of its stream fast patterns. Every generation compiled by a sensor (startup and
// each reload) takes its ids from the same table and appends the names it is the first to
// use, so an id means the same name in every generation: the ids kept in flows (flowbits,
// flowints, remembered stream hits) and in the host state (xbits) stay meaningful after
// workers swap to a new generation. Names are never removed (a reload that drops a name
// leaves its id unused); the tables grow only by names never seen before.
//
// Thread-safety: id() and name() lock a mutex; they run on the cold path only (compiling a
// generation, reports). The packet path reads ids compiled into the rules, never this table.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace wp::detect {

class NameTable {
 public:
  enum class Kind : std::uint8_t { kFlowbit, kFlowint, kXbit, kPattern, kKinds };

  // The id of `name`, appended when new. Flowbit, flowint and xbit ids fit 16 bits (what a
  // Flow stores): std::nullopt when a new name would not.
  std::optional<std::uint32_t> id(Kind kind, std::string_view name);
  // The name of an id handed out before (empty when unknown).
  std::string name(Kind kind, std::uint32_t id) const;
  // Number of ids handed out so far.
  std::size_t size(Kind kind) const;

 private:
  struct Names {
    std::unordered_map<std::string, std::uint32_t> ids;
    std::vector<std::string> names;
  };
  mutable std::mutex mutex_;
  Names kinds_[static_cast<int>(Kind::kKinds)];
};

}  // namespace wp::detect
