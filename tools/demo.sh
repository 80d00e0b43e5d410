#!/usr/bin/env bash
# The main job on bundled data, end to end: a collector with its store, and two sensors (Nha
# Trang and Phan Rang), each replaying a bundled capture against the bundled rules and
# delivering its alerts over TLS with its own client certificate; then the analysts' view of
# the store (watchpost-alerts). Everything lands in build/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh watchpost-sensor watchpost-collector watchpost-alerts >/dev/null
bin=build
out=build/demo
rm -rf "$out"
mkdir -p "$out"

# A private CA, the collector's certificate for 127.0.0.1 and one client certificate per
# sensor (the subject CN is the sensor id the collector records).
tools/pki/make-certs.sh "$out/pki" --san 127.0.0.1 --sensor nt-1 --sensor pr-1 >/dev/null

"$bin/tools/collector/watchpost-collector" --listen 127.0.0.1:0 --db "$out/alerts.sqlite" \
  --eve "$out/collector-eve.json" --ca "$out/pki/ca.pem" \
  --cert "$out/pki/collector.pem" --key "$out/pki/collector.key" \
  >"$out/collector.out" 2>"$out/collector.log" &
collector=$!
trap 'kill "$collector" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q '^listening on' "$out/collector.out" 2>/dev/null && break
  kill -0 "$collector" 2>/dev/null || { cat "$out/collector.log" >&2; exit 1; }
  sleep 0.1
done
address=$(sed -n 's/^listening on //p' "$out/collector.out")
echo "collector: listening on $address, store $out/alerts.sqlite" >&2

sensor() {  # sensor ID SITE CAPTURE
  echo "sensor $1 ($2): replaying $3" >&2
  "$bin/sensor/app/watchpost-sensor" -r "$3" -S rules/watchpost.rules -l "$out/$2" \
    --sensor-id "$1" --site "$2" --collector "$address" \
    --set collector.ca-file="$out/pki/ca.pem" \
    --set collector.cert-file="$out/pki/$1.pem" --set collector.key-file="$out/pki/$1.key" \
    --set collector.spool-dir="$out/spool" 2>&1 | grep -E '^(collector|watchpost):' | sed 's/^/  /' >&2
}
sensor nt-1 nha-trang tools/trafficgen/captures/demo.pcap
sensor pr-1 phan-rang tools/trafficgen/captures/demo-phan-rang.pcap

kill -TERM "$collector"
wait "$collector" || true
trap - EXIT

alerts=("$bin/tools/alerts/watchpost-alerts" --db "$out/alerts.sqlite")
echo
echo "== the sensors, as the collector saw them"
"${alerts[@]}" --sensors
echo
echo "== alerts per site, then per rule"
"${alerts[@]}" --count-by site
"${alerts[@]}" --count-by sid --limit 10
echo
echo "== the 25 newest alerts (filters: $bin/tools/alerts/watchpost-alerts --help)"
"${alerts[@]}" --limit 25
