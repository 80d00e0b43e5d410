#!/usr/bin/env bash
# The fuzzing pass: builds the libFuzzer targets with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer into build-fuzz/ and runs each for WP_FUZZ_SECONDS (default 60)
# from generated seeds (tools/fuzz/seeds.sh) plus what earlier runs kept in
# build-fuzz/corpus/. A crash, sanitizer report, leak, timeout (10 s per input) or out-of-memory
# fails the run and leaves the input in build-fuzz/artifacts/. tools/test.sh runs this after
# the sanitizer pass when clang and libFuzzer's runtime are installed; WP_SKIP_FUZZ=1 skips it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${WP_FUZZ_SECONDS:-60}
targets=(rules config stream)

probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' \
  >"$probe/probe.cc"
if ! command -v clang++ >/dev/null ||
  ! clang++ -fsanitize=fuzzer,address "$probe/probe.cc" -o "$probe/probe" 2>/dev/null; then
  echo "test-fuzz: clang++ with libFuzzer (packages clang, libclang-rt-14-dev) not found; skipped" >&2
  exit 0
fi

start=$SECONDS
sanitize="-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DWP_FUZZ=ON -DCMAKE_CXX_FLAGS="$sanitize" >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target watchpost-sensor \
  "${targets[@]/#/watchpost-fuzz-}"
built=$SECONDS
tools/fuzz/seeds.sh build-fuzz/seeds build-fuzz/sensor/app/watchpost-sensor

export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
mkdir -p build-fuzz/artifacts
failed=()
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t"
  log=build-fuzz/fuzz-$t.log
  if build-fuzz/tools/fuzz/watchpost-fuzz-$t "build-fuzz/corpus/$t" "build-fuzz/seeds/$t" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="build-fuzz/artifacts/$t-" >"$log" 2>&1; then
    result=ok
  else
    result=FAILED
    failed+=("$t")
    tail -n 60 "$log" >&2
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  echo "test-fuzz: $t: ${execs:-?} inputs in ${seconds} s, corpus $(ls "build-fuzz/corpus/$t" | wc -l) files: $result" >&2
done
echo "test-fuzz: build $((built - start)) s, fuzzing $((SECONDS - built)) s" >&2
if ((${#failed[@]})); then
  echo "test-fuzz: findings in ${failed[*]}: see build-fuzz/fuzz-NAME.log and build-fuzz/artifacts/" >&2
  exit 1
fi
