// kSanitizerBuild: this test (and the programs built with it, such as the sensor it runs) was
// compiled with AddressSanitizer (tools/test-sanitize.sh). Header-only; tests only. For the
// few checks that cannot hold there: a time limit, or an address space limit (RLIMIT_AS) that
// ASan's shadow memory alone exceeds. A test that skips says so.
#pragma once

namespace wp::testing {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitizerBuild = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kSanitizerBuild = true;
#else
inline constexpr bool kSanitizerBuild = false;
#endif
#else
inline constexpr bool kSanitizerBuild = false;
#endif

}  // namespace wp::testing
