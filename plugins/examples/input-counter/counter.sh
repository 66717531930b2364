#!/bin/sh
# kura input `counter`: reads the handshake line (docs/plugin-protocol.md), then writes COUNT JSON Lines records
# {"n": 1, "label": "row-1"} … to standard output and exits 0. Diagnostics go to standard error.
IFS= read -r hello || { echo "counter: no handshake on standard input" >&2; exit 2; }
count=$(printf '%s' "$hello" | sed -n 's/.*"count":\([0-9][0-9]*\).*/\1/p')
prefix=$(printf '%s' "$hello" | sed -n 's/.*"prefix":"\([^"\\]*\)".*/\1/p')
if [ -z "$count" ]; then
  echo "counter: option count must be a whole number" >&2
  exit 2
fi
n=1
while [ "$n" -le "$count" ]; do
  printf '{"n":%d,"label":"%s%d"}\n' "$n" "$prefix" "$n"
  n=$((n + 1))
done
