#include "detect/compile/hs_cache.h"

#include <fcntl.h>
#include <hs/hs.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "common/file_io.h"

namespace wp::detect {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'W', 'P', 'H', 'S', 'D', 'B', '0', '1'};
constexpr std::size_t kHeaderSize = sizeof kMagic + 32 + 8 + 32;
// Changes whenever the key derivation or the entry layout changes.
constexpr std::string_view kKeyDomain = "watchpost hyperscan cache v1";
constexpr std::string_view kSuffix = ".hsdb";
constexpr std::string_view kTmpSuffix = ".tmp";

using Digest = std::array<std::uint8_t, 32>;

// Incremental SHA-256 (OpenSSL's EVP interface).
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void add(const void* data, std::size_t n) { EVP_DigestUpdate(ctx_, data, n); }
  void add(std::string_view s) {
    add_u64(s.size());
    add(s.data(), s.size());
  }
  // Fixed width, little-endian: the key does not depend on this host's integer layout.
  void add_u64(std::uint64_t v) {
    std::uint8_t b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(v >> (8 * i));
    add(b, sizeof b);
  }
  Digest finish() {
    Digest d{};
    unsigned n = 0;
    EVP_DigestFinal_ex(ctx_, d.data(), &n);
    return d;
  }

 private:
  EVP_MD_CTX* ctx_;
};

Digest sha256(const void* data, std::size_t n) {
  Sha256 h;
  h.add(data, n);
  return h.finish();
}

void put_u64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

std::uint64_t get_u64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::string hs_error_text(hs_error_t e) {
  switch (e) {
    case HS_INVALID:
      return "invalid database";
    case HS_NOMEM:
      return "out of memory";
    case HS_DB_VERSION_ERROR:
      return "built by another Hyperscan version";
    case HS_DB_PLATFORM_ERROR:
      return "built for another platform";
    case HS_DB_MODE_ERROR:
      return "wrong mode";
    case HS_BAD_ALIGN:
      return "bad alignment";
    default:
      return "error " + std::to_string(e);
  }
}

// A unique temporary name next to `final_path` (pid + a per-process counter).
std::string temp_name(const std::string& final_path) {
  static std::atomic<unsigned> counter{0};
  return final_path + "." + std::to_string(::getpid()) + "." + std::to_string(counter++) +
         std::string(kTmpSuffix);
}

}  // namespace

void HsDatabaseDeleter::operator()(hs_database* db) const { hs_free_database(db); }

HsPlatform HsPlatform::current() {
  HsPlatform p;
  p.version = hs_version();
  hs_platform_info_t info{};
  if (hs_populate_platform(&info) == HS_SUCCESS) {
    p.tune = info.tune;
    p.cpu_features = info.cpu_features;
  }
  return p;
}

HsCacheKey hs_cache_key(const HsLiteralList& list, const HsPlatform& platform) {
  Sha256 h;
  h.add(kKeyDomain);
  h.add(platform.version);
  h.add_u64(platform.tune);
  h.add_u64(platform.cpu_features);
  h.add_u64(list.mode);
  h.add_u64(list.exprs.size());
  for (std::size_t i = 0; i < list.exprs.size(); ++i) {
    h.add_u64(list.ids[i]);
    h.add_u64(list.flags[i]);
    h.add(std::string_view(list.exprs[i], list.lens[i]));
  }
  return h.finish();
}

std::string to_hex(const HsCacheKey& key) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(key.size() * 2);
  for (std::uint8_t b : key) {
    s.push_back(kDigits[b >> 4]);
    s.push_back(kDigits[b & 15]);
  }
  return s;
}

Result<HsDatabasePtr> compile_literals(const HsLiteralList& list) {
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile_lit_multi(list.exprs.data(), list.flags.data(), list.ids.data(), list.lens.data(),
                           static_cast<unsigned>(list.exprs.size()), list.mode, nullptr, &db,
                           &err) != HS_SUCCESS) {
    std::string msg = "hyperscan compile failed: ";
    msg += err != nullptr && err->message != nullptr ? err->message : "unknown error";
    hs_free_compile_error(err);
    return make_error(msg);
  }
  return HsDatabasePtr(db);
}

HsCache HsCache::open(const HsCacheConfig& config, std::vector<std::string>& warnings) {
  if (!config.enabled) return HsCache();
  std::vector<std::string> candidates;
  if (!config.path.empty()) candidates.push_back(config.path);
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  if (xdg != nullptr && *xdg != '\0') {
    candidates.push_back((fs::path(xdg) / "watchpost" / "hs").string());
  } else if (home != nullptr && *home != '\0') {
    candidates.push_back((fs::path(home) / ".cache" / "watchpost" / "hs").string());
  }
  for (const std::string& dir : candidates) {
    std::string why = unusable_dir_reason(dir);
    if (why.empty()) return HsCache(dir);
    warnings.push_back(
        "hyperscan cache directory " + dir + ": " + why +
        (&dir == &candidates.back() ? "; compiling without a cache" : "; trying the next one"));
  }
  if (candidates.empty())
    warnings.push_back("hyperscan cache: no directory; compiling without a cache");
  return HsCache();
}

std::string HsCache::entry_path(const HsCacheKey& key) const {
  return dir_ + "/" + to_hex(key) + std::string(kSuffix);
}

HsDatabasePtr HsCache::load(const HsCacheKey& key, std::string& why) {
  const std::string path = entry_path(key);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) why = std::string("cannot open: ") + std::strerror(errno);
    return nullptr;
  }
  std::vector<std::uint8_t> data;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) data.resize(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (got < data.size()) {
    ssize_t n = ::read(fd, data.data() + got, data.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  data.resize(got);
  if (data.size() < kHeaderSize) {
    why = "truncated (" + std::to_string(data.size()) + " bytes, shorter than the header)";
    return nullptr;
  }
  const std::uint8_t* p = data.data();
  if (std::memcmp(p, kMagic, sizeof kMagic) != 0) {
    why = "not a cache entry (bad magic)";
    return nullptr;
  }
  p += sizeof kMagic;
  if (std::memcmp(p, key.data(), key.size()) != 0) {
    why = "written for another key";
    return nullptr;
  }
  p += key.size();
  const std::uint64_t length = get_u64(p);
  p += 8;
  if (length != data.size() - kHeaderSize) {
    why = "truncated (payload " + std::to_string(data.size() - kHeaderSize) + " of " +
          std::to_string(length) + " bytes)";
    return nullptr;
  }
  const std::uint8_t* checksum = p;
  p += 32;
  const Digest actual = sha256(p, length);
  if (std::memcmp(checksum, actual.data(), actual.size()) != 0) {
    why = "checksum mismatch (corrupt)";
    return nullptr;
  }
  hs_database_t* db = nullptr;
  hs_error_t rc = hs_deserialize_database(reinterpret_cast<const char*>(p), length, &db);
  if (rc != HS_SUCCESS) {
    why = "hyperscan rejected it: " + hs_error_text(rc);
    return nullptr;
  }
  // Last use, for prune().
  ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);
  return HsDatabasePtr(db);
}

Result<void> HsCache::store(const HsCacheKey& key, const hs_database* db) {
  char* bytes = nullptr;
  std::size_t length = 0;
  hs_error_t rc = hs_serialize_database(db, &bytes, &length);
  if (rc != HS_SUCCESS) return make_error("cannot serialize: " + hs_error_text(rc));
  std::unique_ptr<char, decltype(&std::free)> owned(bytes, &std::free);
  std::uint8_t header[kHeaderSize];
  std::uint8_t* p = header;
  std::memcpy(p, kMagic, sizeof kMagic);
  p += sizeof kMagic;
  std::memcpy(p, key.data(), key.size());
  p += key.size();
  put_u64(p, length);
  p += 8;
  const Digest checksum = sha256(bytes, length);
  std::memcpy(p, checksum.data(), checksum.size());

  const std::string path = entry_path(key);
  const std::string tmp = temp_name(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return make_error(std::string("cannot create: ") + std::strerror(errno), tmp);
  int write_errno = 0;
  const std::string_view head(reinterpret_cast<const char*>(header), sizeof header);
  const std::string_view body(reinterpret_cast<const char*>(bytes), length);
  bool ok = write_all(fd, head, write_errno) == head.size() &&
            write_all(fd, body, write_errno) == body.size();
  if (::close(fd) != 0) {
    if (ok) write_errno = errno;
    ok = false;
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    return make_error(std::string("cannot write: ") + std::strerror(write_errno), tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return make_error(std::string("cannot rename into place: ") + std::strerror(e), path);
  }
  return {};
}

Result<HsDatabasePtr> HsCache::get_or_compile(const HsLiteralList& list,
                                              std::vector<std::string>* warnings) {
  if (!enabled()) return compile_literals(list);
  const HsCacheKey key = hs_cache_key(list, platform_);
  std::string why;
  if (HsDatabasePtr db = load(key, why)) {
    ++stats_.hits;
    return db;
  }
  if (why.empty()) {
    ++stats_.misses;
  } else {
    ++stats_.rebuilt;
    if (warnings != nullptr) {
      warnings->push_back("hyperscan cache entry " + entry_path(key) + ": " + why + "; rebuilt");
    }
  }
  auto compiled = compile_literals(list);
  if (!compiled) return compiled;
  if (auto stored = store(key, compiled.value().get()); stored) {
    ++stats_.stored;
  } else if (warnings != nullptr) {
    warnings->push_back("hyperscan cache: " + stored.error().describe() +
                        "; the database is used without being cached");
  }
  return compiled;
}

std::size_t HsCache::prune(std::uint32_t max_age_days) {
  if (!enabled() || max_age_days == 0) return 0;
  const auto cutoff = fs::file_time_type::clock::now() - std::chrono::hours(24) * max_age_days;
  std::size_t removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const bool ours = name.ends_with(kSuffix) || name.ends_with(kTmpSuffix);
    std::error_code entry_ec;
    if (!ours || !it->is_regular_file(entry_ec)) continue;
    const auto mtime = it->last_write_time(entry_ec);
    if (entry_ec || mtime >= cutoff) continue;
    if (fs::remove(it->path(), entry_ec)) ++removed;
  }
  stats_.pruned += removed;
  return removed;
}

}  // namespace wp::detect
