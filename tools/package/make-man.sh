#!/usr/bin/env bash
# make-man.sh PROGRAM SUMMARY OUT: a section 8 man page for PROGRAM from its own --help
# text (so the page says what the program says), plus see-also links. Run by the build.
set -euo pipefail
prog=$1 summary=$2 out=$3
name=$(basename "$prog")
version=$("$prog" --version 2>/dev/null | head -1 || true)
help=$("$prog" --help)
{
  echo ".TH \"$(echo "$name" | tr a-z A-Z)\" 8 \"\" \"${version:-watchpost}\" \"Watchpost\""
  echo ".SH NAME"
  echo "$name \\- $summary"
  echo ".SH DESCRIPTION"
  echo ".nf"
  # roff: a leading '.' or \' starts a request and backslashes escape: neutralise both.
  printf '%s\n' "$help" | sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"
  echo ".fi"
  echo ".SH SEE ALSO"
  for other in watchpost-sensor watchpost-rulecheck watchpost-collector watchpost-alerts; do
    [[ "$other" == "$name" ]] || echo ".BR $other (8)"
  done
} > "$out"
