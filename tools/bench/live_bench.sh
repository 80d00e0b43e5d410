#!/usr/bin/env bash
# The live benchmark (docs/performance.md, "Live, from a veth pair"): the sensor captures
# on one end of a veth pair in its own network namespace, tcpreplay replays a capture into
# the other end from a second namespace at each offered rate; prints the drops per rate.
# Root only (network namespaces). Usage:
#   tools/bench/live_bench.sh WORKERS RATE... (RATE: packets per second, or "top")
# Environment: PCAP (default: the mixed capture), LOOPS (tcpreplay --loop, default 5),
# RULES_DIR (default: ET Open 2024), SENSOR (default: build/sensor/app/watchpost-sensor).
set -euo pipefail
cd "$(dirname "$0")/../.."
workers=$1
shift
pcap=${PCAP:-../shared/data/pcap/mixed-public-captures.pcap}
rules_dir=${RULES_DIR:-../shared/data/rules/et-suricata5-2024}
sensor=${SENSOR:-build/sensor/app/watchpost-sensor}
rules=()
for f in "$rules_dir"/*.rules; do rules+=(--rules "$f"); done
del_netns() { ip netns del wpb-s 2>/dev/null || true; ip netns del wpb-t 2>/dev/null || true; }
del_netns  # a run interrupted before
out=$(mktemp -d)
trap 'del_netns; rm -rf "$out"' EXIT
ip netns add wpb-s
ip netns add wpb-t
ip link add wpb0 netns wpb-s type veth peer name wpb1 netns wpb-t
for pair in wpb-s:wpb0 wpb-t:wpb1; do
  ns=${pair%%:*} dev=${pair##*:}
  ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1"
  ip -n "$ns" link set "$dev" mtu 65535 up  # the capture has frames above 1500 bytes
done
for rate in "$@"; do
  rm -rf "${out:?}"/*
  ip netns exec wpb-s "$sensor" -i wpb0 "${rules[@]}" -l "$out" --threads "$workers" \
    --set stream.checksum-validation=no --set "classification-file=$rules_dir/classification.config" \
    --set unix-command.enabled=no --set stats.enabled=no 2>"$out/err" &
  pid=$!
  for _ in $(seq 300); do grep -qs "capturing on" "$out/err" && break; sleep 0.1; done
  if [[ $rate == top ]]; then speed=--topspeed; else speed=--pps=$rate; fi
  ip netns exec wpb-t tcpreplay -q --loop="${LOOPS:-5}" -i wpb1 "$speed" "$pcap" >"$out/replay" 2>&1
  sleep 1
  kill -TERM "$pid"
  wait "$pid"
  python3 - "$rate" "$workers" "$out" <<'PY'
import json, re, sys
rate, workers, out = sys.argv[1:4]
c = json.load(open(out + "/stats.json"))["counters"]
replay = open(out + "/replay").read()
m = re.search(r"Rated: ([0-9.]+) Bps, ([0-9.]+) Mbps, ([0-9.]+) pps", replay)
sent = re.search(r"Actual: (\d+) packets", replay)
print(f"{workers} workers, offered {rate} pps: sent {sent.group(1) if sent else '?'} at "
      f"{m.group(3) if m else '?'} pps ({m.group(2) if m else '?'} Mbit/s); "
      f"kernel_packets {c.get('capture.kernel_packets')} kernel_drops {c.get('capture.kernel_drops')} "
      f"ring_drops {c.get('capture.ring_drops')} decoded {c.get('decoder.pkts')} alerts {c.get('detect.alert')}")
PY
done
