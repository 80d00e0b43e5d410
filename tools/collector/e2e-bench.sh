#!/usr/bin/env bash
# End-to-end delivery benchmark: one real sensor replays a capture with a rule that alerts on
# every established TCP packet and delivers to a real collector over loopback TLS; the store
# then says how fast the alerts got in and how long each took from the sensor's spool to the
# store (alerts.received - alerts.spooled, one clock here). With --kill, the collector is
# killed (SIGKILL) once a third of the alerts are stored and restarted 1 s later on the same
# database: nothing may be lost or stored twice. With --backlog, the collector starts only once
# the sensor has spooled every alert (the replay is over): the rate is then delivery alone,
# from a spool backlog, not bounded by how fast the sensor raises alerts.
#
# Alerts carry no payload or packet (ARCHITECTURE.md's EVE default, as Suricata's); --payload
# adds both (eve-log.payload, eve-log.packet: about 5 KB per alert on this capture, not 0.5).
#
#   tools/collector/e2e-bench.sh [--kill | --backlog] [--payload] [--capture FILE] [--build DIR]
#
# Needs sqlite3 (the CLI) and a Release build (tools/build.sh). Figures: docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
kill_once=0
backlog=0
payload=no
capture=../shared/data/pcap/mixed-public-captures.pcap
build=build
while (($#)); do
  case $1 in
    --kill) kill_once=1; shift ;;
    --backlog) backlog=1; shift ;;
    --payload) payload=yes; shift ;;
    --capture) capture=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    *) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
[[ -r $capture ]] || { echo "e2e-bench: cannot read $capture" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "e2e-bench: needs the sqlite3 CLI (apt-get install sqlite3)" >&2; exit 2; }

work=$(mktemp -d)
collector_pid=
cleanup() {
  [[ -n $collector_pid ]] && kill "$collector_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
tools/pki/make-certs.sh "$work/pki" --san 127.0.0.1 --sensor nt-1 >/dev/null 2>&1
echo 'alert tcp any any -> any any (msg:"load"; flow:established; sid:1;)' >"$work/load.rules"
db=$work/alerts.sqlite

start_collector() {  # PORT (0: any)
  rm -f "$work/collector.out"
  "$build/tools/collector/watchpost-collector" --listen "127.0.0.1:$1" --db "$db" \
    --ca "$work/pki/ca.pem" --cert "$work/pki/collector.pem" --key "$work/pki/collector.key" \
    >"$work/collector.out" 2>>"$work/collector.log" &
  collector_pid=$!
  for _ in $(seq 200); do
    grep -q '^listening on' "$work/collector.out" 2>/dev/null && return
    sleep 0.05
  done
  echo "e2e-bench: the collector did not start" >&2
  cat "$work/collector.log" >&2
  exit 1
}
stored() { sqlite3 "$db" 'SELECT COUNT(*) FROM alerts' 2>/dev/null || echo 0; }

start_collector 0
address=$(sed -n 's/^listening on //p' "$work/collector.out")
port=${address##*:}
if ((backlog)); then  # the port stays known; the collector comes back on it later
  kill -TERM "$collector_pid"
  wait "$collector_pid" || true
fi

t0=$(date +%s.%N)
"$build/sensor/app/watchpost-sensor" -r "$capture" -S "$work/load.rules" -l "$work/log" \
  --sensor-id nt-1 --site nha-trang --collector "$address" \
  --set collector.ca-file="$work/pki/ca.pem" --set collector.cert-file="$work/pki/nt-1.pem" \
  --set collector.key-file="$work/pki/nt-1.key" --set collector.spool-dir="$work/spool" \
  --set stream.checksum-validation=no --set collector.drain-timeout=120s \
  --set eve-log.payload=$payload --set eve-log.payload-printable=$payload \
  --set eve-log.packet=$payload \
  >"$work/sensor.out" 2>&1 &
sensor_pid=$!

if ((backlog)); then
  # Spool first, then the EVE file: once the EVE file stops growing, the spool holds it all.
  last=-1
  while :; do
    sleep 1
    now=$(wc -l <"$work/log/eve.json" 2>/dev/null || echo 0)
    ((now > 0 && now == last)) && break
    last=$now
  done
  echo "the sensor spooled $now alerts with the collector down; starting the collector" >&2
  start_collector "$port"
elif ((kill_once)); then
  for _ in $(seq 2000); do
    (($(stored) >= 20000)) && break
    sleep 0.02
  done
  kill -KILL "$collector_pid"
  wait "$collector_pid" 2>/dev/null || true
  echo "killed the collector (SIGKILL) with $(stored) alerts stored; restarting it in 1 s" >&2
  sleep 1
  start_collector "$port"
fi

wait "$sensor_pid"
t1=$(date +%s.%N)
kill -TERM "$collector_pid"
wait "$collector_pid" || true
collector_pid=

grep -E '^(collector|watchpost):' "$work/sensor.out" >&2
expected=$(sed -n 's/^watchpost: .* \([0-9]*\) alerts from .*/\1/p' "$work/sensor.out")
sqlite3 -separator ' ' "$db" "
  WITH d AS (SELECT received - spooled AS lat FROM alerts WHERE spooled > 0),
       n AS (SELECT COUNT(*) AS c FROM d)
  SELECT
    (SELECT COUNT(*) FROM alerts),
    (SELECT COUNT(*) FROM (SELECT DISTINCT epoch, seq FROM alerts)),
    (SELECT (MAX(received) - MIN(received)) FROM alerts),
    (SELECT (MAX(received) - MIN(spooled)) FROM alerts WHERE spooled > 0),
    (SELECT lat FROM d ORDER BY lat LIMIT 1 OFFSET (SELECT c / 2 FROM n)),
    (SELECT lat FROM d ORDER BY lat LIMIT 1 OFFSET (SELECT c * 99 / 100 FROM n)),
    (SELECT MAX(lat) FROM d)" | {
  read -r count distinct ingest_us span_us p50 p99 max
  awk -v c="$count" -v d="$distinct" -v e="$expected" -v i="$ingest_us" -v s="$span_us" \
    -v p50="$p50" -v p99="$p99" -v m="$max" -v wall="$(echo "$t1 - $t0" | bc)" 'BEGIN {
    printf "alerts: %d raised by the sensor, %d stored, %d distinct (lost %d, doubled %d)\n", e, c, d, e - d, c - d
    printf "into the store: %.0f alerts/s (first to last stored, %.2f s); %.0f alerts/s from the first spooled (%.2f s); sensor run %.2f s\n",
      c / (i / 1e6), i / 1e6, c / (s / 1e6), s / 1e6, wall
    printf "latency spool -> store: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", p50 / 1e3, p99 / 1e3, m / 1e3
  }'
}
