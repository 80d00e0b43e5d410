#!/usr/bin/env bash
# The test command: installs what is needed, builds everything, runs every test; then the
# same tests built with ASan+UBSan (tools/test-sanitize.sh) and each libFuzzer target for a
# bounded time (tools/test-fuzz.sh, when clang is installed). For a quick local run:
# WP_SKIP_SANITIZE=1 and/or WP_SKIP_FUZZ=1 (CI runs everything).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
tools/setup.sh
tools/build.sh
(cd build && ctest --output-on-failure -j"$(nproc)" --timeout 900)
echo "test: release build and tests $((SECONDS - start)) s" >&2
if [[ ${WP_SKIP_SANITIZE:-0} != 1 ]]; then
  tools/test-sanitize.sh
else
  echo "test: sanitizer pass skipped (WP_SKIP_SANITIZE=1)" >&2
fi
if [[ ${WP_SKIP_FUZZ:-0} != 1 ]]; then
  tools/test-fuzz.sh
else
  echo "test: fuzzing skipped (WP_SKIP_FUZZ=1)" >&2
fi
echo "test: all passes $((SECONDS - start)) s" >&2
