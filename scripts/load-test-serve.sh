#!/usr/bin/env bash
# Load test for `podmark serve`, side by side with `python3 -m http.server` and nginx serving the same
# folder: wrk with 200 connections for 30 s (each), half feed GETs and half 64 KiB range GETs at random
# offsets of a 50 MB enclosure (the mix podcast apps produce). Prints requests/s, p99 latency and
# errors for each server, plus whether the server honoured the Range header at all.
#
# Everything binds 127.0.0.1 and every server is stopped by its PID at the end. Needs wrk and nginx
# (`apt-get install -y wrk nginx`), python3 and cargo. Not part of `cargo test`: speed is measured here,
# never in timed tests.
#
# Usage: scripts/load-test-serve.sh [SECONDS] [CONNECTIONS]      (defaults 30 and 200)
# Set PODMARK=path/to/podmark to skip the release build.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${1:-30}
connections=${2:-200}
threads=2

for tool in wrk nginx python3 curl; do
  command -v "$tool" >/dev/null || { echo "load-test: $tool is missing (apt-get install -y wrk nginx)" >&2; exit 2; }
done

if [ -z "${PODMARK:-}" ]; then
  cargo build --release --quiet --bin podmark
  PODMARK=target/release/podmark
fi

work=$(mktemp -d)
chmod 755 "$work" # nginx workers run as an unprivileged user
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# The served folder: a feed of ~20 KB and a 50 MB enclosure.
site="$work/site"
mkdir -p "$site/audio"
head -c 50000000 /dev/urandom > "$site/audio/episode.mp3"
{
  echo '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Load</title>'
  for i in $(seq 1 60); do
    echo "<item><title>Episode $i</title><enclosure url=\"http://127.0.0.1/audio/episode.mp3\" length=\"50000000\" type=\"audio/mpeg\"/><description>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.</description></item>"
  done
  echo '</channel></rss>'
} > "$site/feed.xml"
feed_len=$(stat -c %s "$site/feed.xml")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

wait_port() {
  for _ in $(seq 1 200); do
    curl -s -o /dev/null "http://127.0.0.1:$1/feed.xml" && return 0
    sleep 0.05
  done
  echo "load-test: nothing answers on port $1" >&2
  return 1
}

cat > "$work/mix.lua" <<'EOF'
-- Half feed polls, half 64 KiB range reads at random offsets of the 50 MB enclosure.
local size = 50000000
local chunk = 65536
math.randomseed(os.time())
request = function()
  if math.random() < 0.5 then
    return wrk.format("GET", "/feed.xml")
  end
  local start = math.random(0, size - chunk)
  return wrk.format("GET", "/audio/episode.mp3", { ["Range"] = "bytes=" .. start .. "-" .. (start + chunk - 1) })
end
EOF

# nginx with the same folder: two workers (one per core), sendfile, no access log.
nginx_conf() {
  cat > "$work/nginx.conf" <<EOF
worker_processes 2;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path $work/nginx-tmp;
  proxy_temp_path $work/nginx-tmp;
  fastcgi_temp_path $work/nginx-tmp;
  uwsgi_temp_path $work/nginx-tmp;
  scgi_temp_path $work/nginx-tmp;
  server { listen 127.0.0.1:$1; root $site; }
}
EOF
}

start_server() { # name port -> starts it in the background, records its PID
  case "$1" in
    podmark) "$PODMARK" serve "$site" --addr "127.0.0.1:$2" --quiet >/dev/null 2>&1 & ;;
    python) python3 -m http.server "$2" --bind 127.0.0.1 --directory "$site" >/dev/null 2>&1 & ;;
    nginx) mkdir -p "$work/nginx-tmp"; nginx_conf "$2"; nginx -c "$work/nginx.conf" -e "$work/nginx-error.log" >/dev/null 2>&1 & ;;
  esac
  server_pid=$!
  pids+=("$server_pid")
}

printf '\n%-8s %12s %10s %8s %10s %8s  %s\n' server "requests/s" "p99" errors "non-2xx" timeouts "range -> 206?"
for name in podmark nginx python; do
  port=$(free_port)
  start_server "$name" "$port"
  wait_port "$port"
  # Correctness first: a range must give 206 and exactly those bytes.
  code=$(curl -s -o "$work/part" -w '%{http_code}' -r 100-199 "http://127.0.0.1:$port/audio/episode.mp3")
  if [ "$code" = 206 ] && cmp -s "$work/part" <(tail -c +101 "$site/audio/episode.mp3" | head -c 100); then
    ranges="yes"
  else
    ranges="no (HTTP $code, $(stat -c %s "$work/part") bytes)"
  fi
  out=$(timeout $((duration + 60)) wrk -t"$threads" -c"$connections" -d"${duration}s" --timeout 10s --latency \
        -s "$work/mix.lua" "http://127.0.0.1:$port" 2>&1) || true
  echo "$out" > "$work/wrk-$name.txt"
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  sock=$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' <<<"$out")
  timeouts=$(awk '/Socket errors/ {print $10}' <<<"$out")
  non2xx=$(awk '/Non-2xx or 3xx/ {print $5}' <<<"$out")
  printf '%-8s %12s %10s %8s %10s %8s  %s\n' "$name" "${rps:-?}" "${p99:-?}" "${sock:-0}" "${non2xx:-0}" "${timeouts:-0}" "$ranges"
  if [ "${VERBOSE:-0}" = 1 ]; then echo "$out"; fi
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
done
echo
echo "feed.xml: $feed_len bytes; range GETs: 64 KiB; $connections connections, $threads wrk threads, ${duration} s each; loopback."
