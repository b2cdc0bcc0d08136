#!/bin/sh
# Runs one example program against the installed chunkbench: makes two synthetic image versions,
# chunks the new one into a store, serves it with `chunkbench serve` on 127.0.0.1 and calls
#   EXAMPLE STORE_URL CA_FILE INDEX OUTPUT SEED
# with CHUNKBENCH_BIN and CHUNKBENCH_ROOT (the served directory) in the environment. The server
# and the scratch directory are removed however the example ends. Exit status: the example's
# (77 = skipped, e.g. an example that needs root).
set -eu
example=$1
bin=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/chunkbench-example-XXXXXX")
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
"$bin" testimage --kind synthetic --size 4M --out "$work" >/dev/null
mkdir -p "$work/root"
"$bin" make -s "$work/root/store" "$work/v2.caibx" "$work/v2.img" >/dev/null
"$bin" serve --root "$work/root" --listen 127.0.0.1:0 --port-file "$work/port" --ca-out "$work/ca.pem" -q &
server=$!
i=0
while [ ! -s "$work/port" ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i + 1)); done
[ -s "$work/port" ] || { echo "run_example: chunkbench serve did not start" >&2; exit 1; }
port=$(cat "$work/port")
status=0
CHUNKBENCH_BIN=$bin CHUNKBENCH_ROOT=$work/root "$example" "https://127.0.0.1:$port/store/" "$work/ca.pem" \
  "$work/v2.caibx" "$work/out.img" "$work/v1.img" || status=$?
if [ $status -eq 0 ] && [ -f "$work/out.img" ] && ! cmp -s "$work/out.img" "$work/v2.img"; then
  echo "run_example: $example wrote an image that differs from the original" >&2
  status=1
fi
exit $status
