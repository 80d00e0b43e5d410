#!/usr/bin/env bash
# flat-compare.sh CAPTURE RULE_DIR [RUNS]: the sensor's processing time (its summary line,
# rule loading excluded, Hyperscan cache warm) next to the flat scan baseline
# (watchpost-bench --flat-scan), alternating so each pair ran under the same machine load;
# one line per pair with the ratio, then the median ratio. Run from the repository root
# after a Release build.
set -euo pipefail
pcap=$1 rules=$2 runs=${3:-5}
build=${BUILD:-build}
cache=$(mktemp -d)
logs=$(mktemp -d)
trap 'rm -rf "$cache" "$logs"' EXIT
args=()
for f in "$rules"/*.rules; do args+=(--rules "$f"); done
sensor() {
  "$build/sensor/app/watchpost-sensor" -r "$pcap" "${args[@]}" -l "$logs" --threads 1 -q \
    --set stream.checksum-validation=no --set stats.enabled=no \
    --set detect.sgh-mpm-caching-path="$cache" 2>&1 | tail -1
}
flat() {
  "$build/tools/bench/watchpost-bench" -r "$pcap" --rules "$rules" --repeat 1 --flat-scan \
    --set detect.sgh-mpm-caching-path="$cache" | tail -1
}
sensor >/dev/null  # warm the Hyperscan cache and the page cache
ratios=()
for ((i = 1; i <= runs; i++)); do
  line=$(sensor)
  s=$(grep -o 'in [0-9.]* s' <<<"$line" | awk '{print $2}')
  f=$(flat | grep -o 'in [0-9.]* s' | awk '{print $2}')
  r=$(awk -v s="$s" -v f="$f" 'BEGIN { printf "%.2f", s / f }')
  ratios+=("$r")
  echo "pair $i: sensor $s s, flat scan $f s, ratio $r  ($(grep -o '[0-9]* rules loaded' <<<"$line"); $(grep -o 'peak memory.*' <<<"$line"))"
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print "median ratio: " a[int((NR+1)/2)]}'
