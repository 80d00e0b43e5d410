#!/usr/bin/env bash
# Writes the fuzz targets' seed corpora into DIR/{rules,config,stream,spool,collector,dns,tls,http,smtp,ftp,ssh},
# generated from what the repository holds (nothing is copied in): the bundled rules and the threshold.config
# examples of rules/README.md; with the public ET rule sets present in ../shared/data/rules
# (beside the checkout, or two levels up from a git worktree), a sample of their rules; the
# sensor's --dump-config output (when SENSOR is given) and YAML written below; the TCP
# stories of stream_seeds.py; for the spool target, the start of segments a real sensor run
# spools (SENSOR, with the bundled capture and rules, its collector unreachable); for the
# collector, dns, tls, http, smtp, ftp and ssh targets, the valid inputs each target writes itself (FUZZDIR holds the built
# targets). Usage: tools/fuzz/seeds.sh DIR [SENSOR [FUZZDIR]]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$1
sensor=${2:-}
fuzzdir=${3:-}
rm -rf "$out"
mkdir -p "$out/rules" "$out/config" "$out/stream" "$out/spool" "$out/collector" "$out/dns" "$out/tls" "$out/http" "$out/smtp" "$out/ftp" "$out/ssh"

# rules: one rule or threshold.config line per file.
n=0
emit_rule() { printf '%s\n' "$1" >"$out/rules/$((n += 1))"; }
while IFS= read -r line; do
  [[ -z $line || $line == \#* ]] || emit_rule "$line"
done <rules/watchpost.rules
while IFS= read -r line; do emit_rule "$line"; done \
  < <(grep -E '^(suppress|event_filter|threshold|rate_filter) gen_id' rules/README.md)
for shared in ../shared/data/rules ../../shared/data/rules; do
  [[ -d $shared ]] || continue
  # Every 50th active rule of each ET file: all keyword families, a few hundred seeds.
  for f in "$shared"/et-*/*.rules; do
    while IFS= read -r line; do emit_rule "$line"; done \
      < <(grep -E '^(alert|drop|pass|reject) ' "$f" | awk 'NR % 50 == 1')
  done
  break
done

# config: the effective configuration as flat keys, and nested documents.
if [[ -n $sensor && -x $sensor ]]; then
  "$sensor" --dump-config >"$out/config/dump.yaml"
fi
cat >"$out/config/suricata-like.yaml" <<'YAML'
%YAML 1.1
---
vars:
  address-groups:
    HOME_NET: "[10.20.0.0/16,192.168.0.0/16]"
    EXTERNAL_NET: "!$HOME_NET"
    DNS_SERVERS: "$HOME_NET"
  port-groups:
    HTTP_PORTS: "[80,8080,8000:8100]"
    SSH_PORTS: 22
default-log-dir: /var/log/watchpost
default-rule-path: /etc/watchpost/rules
rule-files:
  - watchpost.rules
  - local.rules
classification-file: /etc/watchpost/classification.config
threshold-file: ""
stats:
  enabled: yes
  interval: 8
  filename: stats.json
outputs:
  - fast:
      enabled: no
  - eve-log:
      enabled: yes
      filename: eve.json
      types:
        - alert:
            payload: yes
            payload-printable: yes
            packet: no
            metadata: yes
        - flow
        - stats:
            totals: yes
stream:
  memcap: 64mb
  checksum-validation: yes
  midstream: false
  async-oneside: false
  reassembly:
    memcap: 256mb
    depth: 1mb
    inspect-window: 4kb
host-os-policy:
  windows: [0.0.0.0/0]
  linux: [10.0.0.0/8, "2001:db8::/32"]
  bsd: []
flow:
  memcap: 32mb
  hash-size: 65536
flow-timeouts:
  tcp:
    new: 60
    established: 600
    closed: 30
  udp:
    new: 30s
    established: 5m
defrag:
  memcap: 32mb
  timeout: 60
pcap-file:
  checksum-checks: auto
packet-alert-max: 15
detect:
  sgh-mpm-caching: yes
  sgh-mpm-caching-path: /var/lib/watchpost/cache/hs
  sgh-mpm-caching-max-age: 7d
YAML
cat >"$out/config/anchors.yaml" <<'YAML'
base: &b {memcap: 1gb, depth: 0}
stream:
  reassembly: *b
  memcap: 1.5GiB
flow: {memcap: 999999999999999999999, hash-size: -1}
sensor-name: "nt-1"
site: nha-trang
vars: {address-groups: {HOME_NET: [10.0.0.0/8]}}
YAML
printf 'stream:\n  midstream: maybe\n' >"$out/config/bad-bool.yaml"
printf -- '- a\n- b\n' >"$out/config/list.yaml"

# stream: the TCP stories of tools/fuzz/stream_seeds.py (python3; without it the target
# starts from an empty corpus).
if command -v python3 >/dev/null; then python3 tools/fuzz/stream_seeds.py "$out/stream"; fi
# spool: a sensor whose collector cannot be reached spools every event; the first 4 KiB and
# 64 KiB of its segment (header and whole records; the target's first byte 1 = file as is).
if [[ -n $sensor && -x $sensor ]]; then
  run=$(mktemp -d)
  if "$sensor" -r tools/trafficgen/captures/demo.pcap -S rules/watchpost.rules -l "$run/log" \
    --collector 127.0.0.1:1 \
    --set collector.insecure-plaintext=yes --set collector.drain-timeout=0 \
    --set collector.spool-dir="$run/spool" >"$run/out" 2>&1; then
    i=0
    for seg in "$run"/spool/*/seg-*.wps; do
      [[ -f $seg ]] || continue
      for bytes in 4096 65536; do
        { printf '\001'; head -c "$bytes" "$seg"; } >"$out/spool/segment-$((i += 1))"
      done
    done
  else
    echo "seeds: the sensor run for spool seeds failed: $(tail -n 3 "$run/out")" >&2
  fi
  rm -rf "$run"
fi

# collector, dns, tls, http, smtp, ftp, ssh: valid inputs the targets write themselves (WP_FUZZ_WRITE_SEEDS).
for t in collector dns tls http smtp ftp ssh; do
  if [[ -n $fuzzdir && -x $fuzzdir/watchpost-fuzz-$t ]]; then
    WP_FUZZ_WRITE_SEEDS="$out/$t" "$fuzzdir/watchpost-fuzz-$t" -runs=0 >/dev/null 2>&1 || true
  fi
done
echo "seeds: $(ls "$out/rules" | wc -l) rules, $(ls "$out/config" | wc -l) config, $(ls "$out/stream" | wc -l) stream, $(ls "$out/spool" | wc -l) spool, $(ls "$out/collector" | wc -l) collector, $(ls "$out/dns" | wc -l) dns, $(ls "$out/tls" | wc -l) tls, $(ls "$out/http" | wc -l) http, $(ls "$out/smtp" | wc -l) smtp, $(ls "$out/ftp" | wc -l) ftp, $(ls "$out/ssh" | wc -l) ssh in $out" >&2
