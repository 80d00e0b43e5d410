#include "app/build_info.h"

#include <google/protobuf/stubs/common.h>
#include <hs/hs.h>
#include <openssl/crypto.h>
#include <pcap/pcap.h>
#include <boost/version.hpp>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace wp::app {
namespace {

std::string pcre2_version() {
  char buf[64] = {};
  if (pcre2_config(PCRE2_CONFIG_VERSION, buf) < 0) return "unknown";
  std::string out = buf;
  std::uint32_t jit = 0;
  pcre2_config(PCRE2_CONFIG_JIT, &jit);
  return out + (jit != 0 ? " (JIT)" : " (no JIT)");
}

// The CPU features Hyperscan found on this machine (what its databases are compiled for).
std::string hyperscan_cpu() {
  if (hs_valid_platform() != HS_SUCCESS) return "unsupported CPU (needs SSSE3)";
  hs_platform_info_t info{};
  if (hs_populate_platform(&info) != HS_SUCCESS) return "unknown";
  std::string out = "SSSE3";
  if ((info.cpu_features & HS_CPU_FEATURES_AVX2) != 0) out += " AVX2";
  if ((info.cpu_features & HS_CPU_FEATURES_AVX512) != 0) out += " AVX512";
#ifdef HS_CPU_FEATURES_AVX512VBMI
  if ((info.cpu_features & HS_CPU_FEATURES_AVX512VBMI) != 0) out += " AVX512VBMI";
#endif
  return out;
}

}  // namespace

std::string version_text() {
  return std::string("watchpost-sensor ") + WP_VERSION + " (Suricata 8.0 rule language and EVE)";
}

std::string build_info_text() {
  std::string out = version_text() + "\n";
  auto line = [&](const char* name, const std::string& value) {
    out += std::string(name) + ": " + value + "\n";
  };
  line("hyperscan", hs_version());
  line("hyperscan cpu features", hyperscan_cpu());
  line("libpcap", pcap_lib_version());
  line("pcre2", pcre2_version());
  line("protobuf", google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION));
  line("boost", std::to_string(BOOST_VERSION / 100000) + "." +
                    std::to_string(BOOST_VERSION / 100 % 1000) + "." +
                    std::to_string(BOOST_VERSION % 100));
  line("openssl", OpenSSL_version(OPENSSL_VERSION));
#if defined(__clang__)
  line("compiler", std::string("clang ") + __clang_version__);
#elif defined(__GNUC__)
  line("compiler", std::string("gcc ") + __VERSION__);
#endif
  return out;
}

}  // namespace wp::app
