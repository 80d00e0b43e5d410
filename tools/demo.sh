#!/usr/bin/env bash
# The main job on bundled data: the sensor replays the bundled capture against the bundled
# rules and the alerts are shown.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh watchpost-sensor >/dev/null
out=build/demo
mkdir -p "$out"
rm -f "$out/eve.json"
build/sensor/app/watchpost-sensor -r tools/trafficgen/captures/demo.pcap -S rules/watchpost.rules \
  --eve "$out/eve.json" --fast - -l "$out"
echo "EVE JSON alerts: $out/eve.json; stats: $out/stats.json" >&2
