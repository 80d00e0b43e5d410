#!/usr/bin/env bash
# Exit status 0 when clang++ can link a libFuzzer target with ASan (packages clang and
# libclang-rt-14-dev); used by tools/test-sanitize.sh and tools/test-fuzz.sh.
set -euo pipefail
command -v clang++ >/dev/null || exit 1
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' \
  >"$probe/probe.cc"
clang++ -fsanitize=fuzzer,address "$probe/probe.cc" -o "$probe/probe" 2>/dev/null
