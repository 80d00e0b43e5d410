#!/usr/bin/env bash
# Installs the Debian 12 packages Watchpost needs to build and test. Idempotent and
# non-interactive; installs nothing when everything is present. Run as root.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libpcap-dev           # capture
  libhyperscan-dev      # multi-pattern matching
  libpcre2-dev          # pcre verification (JIT)
  libssl-dev            # SHA-256 of the Hyperscan cache (libcrypto); TLS to the collector
  libboost1.74-dev      # Boost.Asio, Asio SSL, Beast (header-only): the shipper, the control socket and /metrics, the collector
  libprotobuf-dev protobuf-compiler  # event format (proto/)
  libyaml-cpp-dev       # configuration
  libgtest-dev          # tests
  libhtp-dev            # libhtp (Suricata's HTTP/1 parser): the HTTP comparison bench and the normalization parity test (sensor/applayer/README.md)
  zlib1g-dev            # HTTP gzip/deflate bodies (sensor/applayer)
  nlohmann-json3-dev    # tests parse EVE JSON
  clang libclang-rt-14-dev  # the fuzzing pass (tools/test-fuzz.sh): libFuzzer; ~55 MB download
  libsqlite3-dev        # the collector's store, the query tool
  openssl               # tools/pki/make-certs.sh (the tests make their certificates with it)
  iproute2              # ip netns / veth pairs: the live-capture tests
  tcpreplay             # the live benchmark (docs/performance.md)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing packages: ${missing[*]}; run this script as root" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
