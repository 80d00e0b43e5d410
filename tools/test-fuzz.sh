#!/usr/bin/env bash
# The fuzzing pass: runs each libFuzzer target (clang, AddressSanitizer, UndefinedBehaviorSanitizer)
# for WP_FUZZ_SECONDS (default 15) from generated seeds (tools/fuzz/seeds.sh) plus what earlier
# runs kept in DIR/corpus/. The targets come from build-asan/ when tools/test-sanitize.sh built
# it with clang (the usual case: one sanitizer build serves both passes); otherwise they are
# built into $dir/. A crash, sanitizer report, leak, timeout (10 s per input) or
# out-of-memory fails the run and leaves the input in DIR/artifacts/. tools/test.sh runs this
# after the sanitizer pass when clang and libFuzzer's runtime are installed; WP_SKIP_FUZZ=1
# skips it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${WP_FUZZ_SECONDS:-15}
targets=(rules config stream spool collector dns tls http smtp ftp ssh)

if ! tools/fuzz/have-libfuzzer.sh; then
  echo "test-fuzz: clang++ with libFuzzer (packages clang, libclang-rt-14-dev) not found; skipped" >&2
  exit 0
fi

start=$SECONDS
if grep -q '^WP_FUZZ:BOOL=ON' build-asan/CMakeCache.txt 2>/dev/null; then
  dir=build-asan
  cmake --build "$dir" -j"$(nproc)" --target watchpost-sensor "${targets[@]/#/watchpost-fuzz-}"
else
  dir=build-fuzz
  sanitize="-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
    -DWP_FUZZ=ON -DCMAKE_CXX_FLAGS="$sanitize" >/dev/null
  cmake --build "$dir" -j"$(nproc)" --target watchpost-sensor "${targets[@]/#/watchpost-fuzz-}"
fi
built=$SECONDS
tools/fuzz/seeds.sh "$dir/seeds" "$dir/sensor/app/watchpost-sensor" "$dir/tools/fuzz"

export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
mkdir -p "$dir/artifacts"
failed=()
# The spool target makes a real spool directory per input: on tmpfs when there is one.
tmp=
[[ -d /dev/shm && -w /dev/shm ]] && tmp=/dev/shm
for t in "${targets[@]}"; do
  mkdir -p "$dir/corpus/$t"
  log="$dir/fuzz-$t.log"
  if env ${tmp:+TMPDIR=$tmp} "$dir/tools/fuzz/watchpost-fuzz-$t" "$dir/corpus/$t" "$dir/seeds/$t" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$dir/artifacts/$t-" >"$log" 2>&1; then
    result=ok
  else
    result=FAILED
    failed+=("$t")
    tail -n 60 "$log" >&2
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  echo "test-fuzz: $t: ${execs:-?} inputs in ${seconds} s, corpus $(ls "$dir/corpus/$t" | wc -l) files: $result" >&2
done
echo "test-fuzz: build $((built - start)) s, fuzzing $((SECONDS - built)) s" >&2
if ((${#failed[@]})); then
  echo "test-fuzz: findings in ${failed[*]}: see $dir/fuzz-NAME.log and $dir/artifacts/" >&2
  exit 1
fi
