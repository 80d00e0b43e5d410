// HsCache: an on-disk cache of compiled Hyperscan databases, so that a sensor restarted (or
// reloaded) with the same rules deserializes its databases instead of compiling them.
//
// Entries. One file per database, `<dir>/<key>.hsdb`, where the key is the SHA-256 of
// everything the compiled database depends on: the cache format version, the Hyperscan
// version (hs_version()), the target platform (hs_populate_platform(): tuning and CPU
// features), the mode, and every pattern's bytes, flags and id. A file is
//   magic "WPHSDB01" (8) | key (32) | payload length (8, little-endian) |
//   SHA-256 of the payload (32) | payload: hs_serialize_database() bytes
// An entry is trusted only when the magic, the key, the length and the checksum agree and
// hs_deserialize_database() accepts the payload; anything else (truncated, corrupt, written
// by another version or for another CPU) is counted as rebuilt: the database is compiled and
// the entry rewritten.
//
// Concurrency. Entries are written to a temporary file in the same directory and renamed
// into place, so several sensors sharing a directory never read a half-written entry; the
// last writer wins with identical content. No fsync: an entry cut short by a power loss fails
// its checksum and is rebuilt.
//
// Growth. A rule set that changes leaves the entries of its old groups behind (each the size
// of its database: up to 0.7 MB for ET Open 2024). A hit sets the entry's modification time
// to now, and load_rules() then calls prune() with detect.sgh-mpm-caching-max-age (7 days by
// default), which removes entries not used for that long.
//
// Cold path only; not thread-safe (one loader at a time per HsCache object; several
// processes may share a directory).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

struct hs_database;

namespace wp::detect {

struct HsDatabaseDeleter {
  void operator()(hs_database* db) const;
};
using HsDatabasePtr = std::unique_ptr<hs_database, HsDatabaseDeleter>;

struct HsCacheConfig {
  bool enabled = true;                               // detect.sgh-mpm-caching
  std::string path = "/var/lib/watchpost/cache/hs";  // detect.sgh-mpm-caching-path
  std::uint32_t max_age_days = 7;  // detect.sgh-mpm-caching-max-age; 0: never prune
};

// The arguments of one hs_compile_lit_multi() call. The pointers in `exprs` must stay valid
// while the list is used.
struct HsLiteralList {
  std::vector<const char*> exprs;
  std::vector<std::size_t> lens;
  std::vector<unsigned> flags;
  std::vector<unsigned> ids;
  unsigned mode = 0;  // HS_MODE_BLOCK, ...
};

// What a serialized database is only valid for.
struct HsPlatform {
  std::string version;                  // hs_version()
  unsigned tune = 0;                    // hs_platform_info_t::tune
  unsigned long long cpu_features = 0;  // hs_platform_info_t::cpu_features
  // This process's Hyperscan library and CPU.
  static HsPlatform current();
};

using HsCacheKey = std::array<std::uint8_t, 32>;

// SHA-256 over the cache format version, the platform and the literal list.
HsCacheKey hs_cache_key(const HsLiteralList& list, const HsPlatform& platform);
// Lower-case hex, 64 characters.
std::string to_hex(const HsCacheKey& key);

struct HsCacheStats {
  std::size_t hits = 0;     // deserialized from a valid entry
  std::size_t misses = 0;   // no entry: compiled (and stored)
  std::size_t rebuilt = 0;  // an entry existed but was rejected: compiled and rewritten
  std::size_t stored = 0;   // entries written
  std::size_t pruned = 0;   // entries removed by prune()
};

class HsCache {
 public:
  // A cache that stores nothing: every lookup compiles.
  HsCache() = default;

  // Opens the cache directory: `config.path` when it can be created and written to, else
  // $XDG_CACHE_HOME/watchpost/hs, else $HOME/.cache/watchpost/hs. Each rejected directory
  // adds a warning naming it and why; when none is usable, or `config.enabled` is false, the
  // returned cache is disabled.
  static HsCache open(const HsCacheConfig& config, std::vector<std::string>& warnings);

  bool enabled() const { return !dir_.empty(); }
  // The directory in use; empty when disabled.
  const std::string& dir() const { return dir_; }
  std::string entry_path(const HsCacheKey& key) const;

  // The database for `list`: from a valid cache entry, else compiled with
  // hs_compile_lit_multi() and stored. A rejected entry or a failed write adds a warning
  // (the database is still returned). An error only when Hyperscan cannot compile `list`.
  Result<HsDatabasePtr> get_or_compile(const HsLiteralList& list,
                                       std::vector<std::string>* warnings);

  // Removes entries (and stale temporary files) whose modification time is older than
  // `max_age_days` days. Returns the number removed.
  std::size_t prune(std::uint32_t max_age_days);

  const HsCacheStats& stats() const { return stats_; }

 private:
  explicit HsCache(std::string dir) : dir_(std::move(dir)) {}
  // A valid entry's database, or null with the reason in `why` (empty `why`: no entry).
  HsDatabasePtr load(const HsCacheKey& key, std::string& why);
  Result<void> store(const HsCacheKey& key, const hs_database* db);

  std::string dir_;
  HsPlatform platform_ = HsPlatform::current();
  HsCacheStats stats_;
};

// hs_compile_lit_multi() of `list` for this host, without any cache.
Result<HsDatabasePtr> compile_literals(const HsLiteralList& list);

}  // namespace wp::detect
