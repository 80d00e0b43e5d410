#!/usr/bin/env bash
# make-certs.sh: a private CA and the certificates of a Watchpost deployment (openssl CLI).
#
#   tools/pki/make-certs.sh DIR [--san IP|DNS]... [--sensor ID]... [--days N]
#
# DIR/ca.pem, DIR/ca.key      the CA (created when missing, reused otherwise, so sensors can
#                             be added later)
# DIR/collector.pem, .key     the collector's certificate, made when --san is given: each
#                             --san is an IP address or a DNS name sensors use to reach it
# DIR/ID.pem, DIR/ID.key      one client certificate per --sensor ID, subject CN = ID (the
#                             collector takes the sensor id from it)
# Keys are ECDSA P-256, private keys mode 0600. See tools/pki/README.md.
set -euo pipefail

usage() {
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

(($# >= 1)) || usage
dir=$1
shift
[[ $dir != -* ]] || usage
sans=()
sensors=()
days=825
while (($#)); do
  case $1 in
    --san) (($# >= 2)) || usage; sans+=("$2"); shift 2 ;;
    --sensor) (($# >= 2)) || usage; sensors+=("$2"); shift 2 ;;
    --days) (($# >= 2)) || usage; days=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "make-certs.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
for id in "${sensors[@]}"; do
  if [[ ! $id =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ ]]; then
    echo "make-certs.sh: sensor id '$id': use letters, digits, '.', '_', '-' (at most 64)" >&2
    exit 2
  fi
done

mkdir -p "$dir"
umask 077
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

if [[ ! -f $dir/ca.pem ]]; then
  newkey "$dir/ca.key"
  openssl req -x509 -new -key "$dir/ca.key" -sha256 -days "$((days * 2))" \
    -subj "/O=Watchpost/CN=Watchpost CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$dir/ca.pem"
  chmod 644 "$dir/ca.pem"
  echo "make-certs.sh: CA $dir/ca.pem" >&2
fi

# sign NAME CN EXTFILE: DIR/NAME.key and DIR/NAME.pem signed by the CA.
sign() {
  newkey "$dir/$1.key"
  openssl req -new -key "$dir/$1.key" -subj "/O=Watchpost/CN=$2" -out "$tmp/$1.csr"
  openssl x509 -req -in "$tmp/$1.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -CAserial "$tmp/serial" -CAcreateserial -days "$days" -sha256 -extfile "$3" \
    -out "$dir/$1.pem" 2>/dev/null
  chmod 644 "$dir/$1.pem"
}

if ((${#sans[@]})); then
  alt=()
  for s in "${sans[@]}"; do
    if [[ $s =~ ^[0-9.]+$ || $s == *:* ]]; then alt+=("IP:$s"); else alt+=("DNS:$s"); fi
  done
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyAgreement"
    echo "extendedKeyUsage=serverAuth"
    echo "subjectAltName=$(IFS=,; echo "${alt[*]}")"
  } >"$tmp/collector.ext"
  sign collector "${sans[0]}" "$tmp/collector.ext"
  echo "make-certs.sh: collector $dir/collector.pem (${alt[*]})" >&2
fi

printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyAgreement" \
  "extendedKeyUsage=clientAuth" >"$tmp/sensor.ext"
for id in "${sensors[@]}"; do
  sign "$id" "$id" "$tmp/sensor.ext"
  echo "make-certs.sh: sensor $dir/$id.pem (CN=$id)" >&2
done
