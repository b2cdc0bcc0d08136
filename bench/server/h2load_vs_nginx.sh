#!/usr/bin/env bash
# h2load against `chunkbench serve` and a private nginx, same files, same certificate, same worker count,
# in one run: h2 (`-m 32`) and HTTP/1.1 (`--h1 -m 1`), 64 KiB files. Prints req/s per server and protocol
# (median of the repetitions, servers interleaved), the server CPU per request, and the ratio
# chunkbench/nginx both of the medians and as the median of the back-to-back pairs.
#
# usage: bench/server/h2load_vs_nginx.sh [CHUNKBENCH_BINARY]
# environment (defaults in brackets):
#   FILES [256] SIZE [65536] REQUESTS_H2 [60000] REQUESTS_H1 [20000] CLIENTS_H2 [4] CLIENTS_H1 [16]
#   STREAMS [32] WORKERS [1] REPEAT [9]
#   PIN [1]: run the servers on CPU 1 and h2load on CPU 0 (taskset), so neither steals the other's core
#   KEEP [0]: keep the work directory for inspection
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$here/build/cli/chunkbench}
FILES=${FILES:-256} SIZE=${SIZE:-65536} REQUESTS_H2=${REQUESTS_H2:-60000} REQUESTS_H1=${REQUESTS_H1:-20000}
CLIENTS_H2=${CLIENTS_H2:-4} CLIENTS_H1=${CLIENTS_H1:-16} STREAMS=${STREAMS:-32} WORKERS=${WORKERS:-1}
REPEAT=${REPEAT:-9} PIN=${PIN:-1} KEEP=${KEEP:-0}

for tool in h2load nginx openssl python3; do
  command -v "$tool" >/dev/null || { echo "h2load_vs_nginx: $tool is not installed" >&2; exit 2; }
done
[ -x "$bin" ] || { echo "h2load_vs_nginx: no chunkbench binary at $bin" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/h2load-vs-nginx.XXXXXX")
chmod 755 "$work"  # nginx workers run as nobody when started by root
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ "$KEEP" = 1 ] && echo "work directory kept: $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT INT TERM

server_cpu=() client_cpu=()
if [ "$PIN" = 1 ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  server_cpu=(taskset -c 1) client_cpu=(taskset -c 0)
  [ "$WORKERS" -gt 1 ] && server_cpu=()  # several workers: let the kernel place them
fi

mkdir -p "$work/www" "$work/nginx/logs" "$work/nginx/tmp"
for i in $(seq 0 $((FILES - 1))); do head -c "$SIZE" /dev/urandom >"$work/www/c$i.bin"; done
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$work/key.pem" \
  -out "$work/cert.pem" -days 2 -subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# nginx: access log off (chunkbench keeps no log either), keepalive_requests raised so that nginx's
# default of 1000 requests per connection does not force reconnects that chunkbench never makes.
nginx_port=$(free_port)
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes $WORKERS;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  default_type application/octet-stream;
  client_body_temp_path $work/nginx/tmp/body;
  proxy_temp_path $work/nginx/tmp/proxy;
  fastcgi_temp_path $work/nginx/tmp/fastcgi;
  uwsgi_temp_path $work/nginx/tmp/uwsgi;
  scgi_temp_path $work/nginx/tmp/scgi;
  keepalive_requests 10000000;
  server {
    listen 127.0.0.1:$nginx_port ssl http2;
    ssl_certificate $work/cert.pem;
    ssl_certificate_key $work/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    http2_max_concurrent_streams 128;
    root $work/www;
  }
}
EOF
"${server_cpu[@]}" nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
pids+=($!)
nginx_pid=$!

"${server_cpu[@]}" "$bin" serve --root "$work/www" --listen 127.0.0.1:0 --port-file "$work/cb.port" \
  --cert "$work/cert.pem" --key "$work/key.pem" --threads "$WORKERS" --max-concurrent-streams 128 \
  --stats "$work/cb-stats.json" --quiet &
pids+=($!)
cb_pid=$!
for _ in $(seq 100); do
  [ -s "$work/cb.port" ] && (echo >/dev/tcp/127.0.0.1/"$nginx_port") 2>/dev/null && break
  sleep 0.1
done
cb_port=$(cat "$work/cb.port")

for i in $(seq 0 $((FILES - 1))); do echo "/c$i.bin"; done >"$work/paths"
sed "s|^|https://127.0.0.1:$cb_port|" "$work/paths" >"$work/urls.cb"
sed "s|^|https://127.0.0.1:$nginx_port|" "$work/paths" >"$work/urls.nginx"

# CPU time (clock ticks, user + system) of a server: the process and, for nginx, its workers.
cpu_ticks() {
  local root=$1 total=0 p
  for p in $root $(pgrep -P "$root" || true); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$total"
}
hz=$(getconf CLK_TCK)

# One h2load run: sets RPS and appends the server's CPU us/request to cpu_us; fails loudly unless every
# request succeeded over the wanted protocol.
run() {  # run SERVER PROTO
  local server=$1 proto=$2 args out n pid
  if [ "$proto" = h2 ]; then
    n=$REQUESTS_H2 args=(-n "$REQUESTS_H2" -c "$CLIENTS_H2" -m "$STREAMS")
  else
    n=$REQUESTS_H1 args=(--h1 -n "$REQUESTS_H1" -c "$CLIENTS_H1" -m 1)
  fi
  if [ "$server" = cb ]; then pid=$cb_pid; else pid=$nginx_pid; fi
  local t0 t1
  t0=$(cpu_ticks "$pid")
  out=$("${client_cpu[@]}" h2load -t 1 "${args[@]}" -i "$work/urls.$server" 2>&1)
  t1=$(cpu_ticks "$pid")
  echo "$out" >>"$work/h2load.log"
  local total ok negotiated
  total=$(echo "$out" | sed -n 's/^requests: \([0-9]*\) total.*/\1/p')
  ok=$(echo "$out" | sed -n 's/^status codes: \([0-9]*\) 2xx.*/\1/p')
  negotiated=$(echo "$out" | sed -n 's/^Application protocol: //p')
  if [ -z "$total" ] || [ "$ok" != "$total" ]; then
    echo "h2load_vs_nginx: $server $proto: not every request succeeded:" >&2
    echo "$out" >&2
    exit 1
  fi
  if { [ "$proto" = h2 ] && [ "$negotiated" != h2 ]; } || { [ "$proto" = h1 ] && [ "$negotiated" != http/1.1 ]; }; then
    echo "h2load_vs_nginx: $server $proto: negotiated '$negotiated'" >&2
    exit 1
  fi
  RPS=$(echo "$out" | sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p')
  cpu_us["$server.$proto"]+="$(awk -v t=$((t1 - t0)) -v hz="$hz" -v n="$n" 'BEGIN {printf "%.1f", t / hz * 1e6 / n}') "
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

echo "files: $FILES x $SIZE bytes; workers: $WORKERS each; h2: -n $REQUESTS_H2 -c $CLIENTS_H2 -m $STREAMS;" \
  "h1: --h1 -n $REQUESTS_H1 -c $CLIENTS_H1 -m 1; h2load -t 1; repeat $REPEAT;" \
  "servers: ${server_cpu[*]:-unpinned}; h2load: ${client_cpu[*]:-unpinned}"
# Warm both (page cache, TLS session setup paths) before measuring.
declare -A results cpu_us pair_ratios
for s in cb nginx; do run "$s" h2; done
cpu_us=()
for proto in h2 h1; do
  for r in $(seq "$REPEAT"); do
    # Alternate who goes first, so drift in the shared machine's load does not favour one server.
    if [ $((r % 2)) = 1 ]; then order=(cb nginx); else order=(nginx cb); fi
    declare -A this=()
    for s in "${order[@]}"; do
      run "$s" "$proto"
      results[$s.$proto]+="$RPS "
      this[$s]=$RPS
    done
    # The two runs of one repetition are back to back: their ratio cancels slow changes in machine load.
    pair_ratios[$proto]+="$(awk -v c="${this[cb]}" -v n="${this[nginx]}" 'BEGIN {printf "%.2f", c / n}') "
  done
done

printf '%-6s %-10s %10s %14s   %s\n' proto server "req/s" "cpu us/req" "runs (req/s)"
for proto in h2 h1; do
  for s in cb nginx; do
    m=$(echo "${results[$s.$proto]}" | tr ' ' '\n' | grep . | median)
    c=$(echo "${cpu_us[$s.$proto]:-}" | tr ' ' '\n' | grep . | median)
    printf '%-6s %-10s %10.0f %14s   %s\n' "$proto" "$([ $s = cb ] && echo chunkbench || echo nginx)" "$m" "$c" \
      "${results[$s.$proto]}"
    eval "med_${s}_${proto}=$m"
  done
done
for proto in h2 h1; do
  eval "c=\$med_cb_$proto n=\$med_nginx_$proto"
  pm=$(echo "${pair_ratios[$proto]}" | tr ' ' '\n' | grep . | median)
  awk -v c="$c" -v n="$n" -v p="$proto" -v pm="$pm" -v pr="${pair_ratios[$proto]}" \
    'BEGIN {printf "ratio %s chunkbench/nginx: %.2f of medians, %.2f median of paired runs (%s)\n", p, c / n, pm, pr}'
done
