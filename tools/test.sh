#!/usr/bin/env bash
# The test command: installs what is needed, builds everything, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh
cd build
ctest --output-on-failure -j"$(nproc)" --timeout 900
