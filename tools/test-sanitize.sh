#!/usr/bin/env bash
# The sanitizer pass: builds the whole test suite with AddressSanitizer and
# UndefinedBehaviorSanitizer into build-asan/ and runs every test there, the real sensor,
# collector and query tool of the integration tests included. Any report fails the run: ASan
# stops at the first error, UBSan's checks do not recover. With clang and libFuzzer's runtime
# installed (tools/setup.sh installs them) the build uses clang with -DWP_FUZZ=ON, so the
# libFuzzer targets come out of the same build and tools/test-fuzz.sh only runs them; without
# them it falls back to gcc. tools/test.sh runs this after the Release tests;
# WP_SKIP_SANITIZE=1 skips it there for a quick local run (CI runs it).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
sanitize="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
compiler=()
if tools/fuzz/have-libfuzzer.sh; then
  compiler=(-DCMAKE_CXX_COMPILER=clang++ -DWP_FUZZ=ON)
  sanitize="-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
fi
# -O1 -g1 (line tables: file:line in every report) compile twice as fast as RelWithDebInfo's
# -O2 -g under the sanitizers; ASan's documentation recommends -O1.
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo "${compiler[@]}" \
  -DCMAKE_CXX_FLAGS="$sanitize" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build build-asan -j"$(nproc)"
built=$SECONDS
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
cd build-asan
ctest --output-on-failure -j"$(nproc)" --timeout 900
echo "test-sanitize: build $((built - start)) s ($(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' CMakeCache.txt)), tests $((SECONDS - built)) s" >&2
