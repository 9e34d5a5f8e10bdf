#!/usr/bin/env bash
# Memory benchmark: heap-audit crawling a link farm, a site where every page is a ~9.5 MB list of
# links to pages no other page links to (so nothing is ever "seen before"). Peak RSS must stay at
# most 150 MB at the default flags and at --concurrency 64 (each with URL-pattern sampling on and
# off), whatever the number of links.
#
# Usage: bench/linkfarm.sh [MAX_PAGES=200]
#
# nginx (127.0.0.1, a free port, stopped on exit) serves one page for every path, with `sub_filter`
# writing the request's own path into each of its ~250,000 links: /a links to /a/1 ... /a/250000,
# /a/1 to /a/1/1 ..., so every page is new and every link unique. heap-audit runs with --offline
# and /usr/bin/time -v. Needs `apt-get install -y nginx time python3`. Exit status 1 if a run
# goes over the bound.
set -euo pipefail

MAX_PAGES="${1:-200}"
BOUND_MB=150
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
for t in nginx python3; do
    command -v "$t" >/dev/null || { echo "linkfarm: $t is needed (apt-get install -y $t)" >&2; exit 1; }
done
[[ -x /usr/bin/time ]] || { echo "linkfarm: GNU time is needed (apt-get install -y time)" >&2; exit 1; }

(cd "$ROOT" && cargo build --release --quiet)
BIN="$ROOT/target/release/heap-audit"

WORK="$(mktemp -d)"
cleanup() {
    [[ -f "$WORK/nginx.pid" ]] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
    [[ "${LINKFARM_KEEP:-0}" == 1 ]] && echo "linkfarm: kept $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/www" "$WORK/logs"
chmod 755 "$WORK" "$WORK/www"  # nginx workers run as another user
python3 - "$WORK/www/farm.html" <<'EOF'
import sys
# ~9.5 MB, under the default --max-body of 10 MiB: the whole page is read.
links = 250_000
with open(sys.argv[1], "w") as f:
    f.write("<!doctype html><html><head><title>Link farm</title></head><body>\n")
    for i in range(1, links + 1):
        f.write(f'<a href="HERE/{i}">{i}</a>\n')
    f.write("</body></html>\n")
EOF
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cat >"$WORK/nginx.conf" <<EOF
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log;
events { worker_connections 1024; }
http {
    access_log $WORK/logs/access.log;
    client_body_temp_path $WORK/logs;
    proxy_temp_path $WORK/logs;
    fastcgi_temp_path $WORK/logs;
    uwsgi_temp_path $WORK/logs;
    scgi_temp_path $WORK/logs;
    server {
        listen 127.0.0.1:$PORT;
        root $WORK/www;

        location = /robots.txt { return 404; }
        location / {
            try_files /farm.html =404;
            sub_filter_types text/html;
            sub_filter 'HERE' '\$uri';
            sub_filter_once off;
        }
    }
}
EOF
nginx -c "$WORK/nginx.conf" -e "$WORK/logs/error.log"
for _ in $(seq 50); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT)).close()" 2>/dev/null && break
    sleep 0.1
done

size="$(python3 -c "import urllib.request; print(len(urllib.request.urlopen('http://127.0.0.1:$PORT/a').read()))" 2>/dev/null || true)"
echo "linkfarm: one page is ${size:-?} bytes; crawling at most $MAX_PAGES pages"
status=0
run() {
    local label="$1"; shift
    : >"$WORK/logs/access.log"
    local t0="$EPOCHREALTIME"
    /usr/bin/time -v -o "$WORK/time.txt" ${LINKFARM_ENV:-} "$BIN" scan "http://127.0.0.1:$PORT/a" --offline \
        --max-pages "$MAX_PAGES" --format json --output "$WORK/report.json" "$@" \
        >/dev/null 2>"$WORK/stderr.txt" || true
    local t1="$EPOCHREALTIME"
    local rss_kb pages left
    rss_kb="$(awk -F: '/Maximum resident set size/ {gsub(/ /,"",$2); print $2}' "$WORK/time.txt")"
    pages="$(grep -c '"GET ' "$WORK/logs/access.log" || true)"
    left="$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); c=r.get('coverage') or [{}]; print(c[0].get('urls_left_out','?'), 'at least' if c[0].get('at_least') else '')" "$WORK/report.json" 2>/dev/null || echo '? (no report)')"
    [[ -s "$WORK/report.json" ]] || { echo "linkfarm: heap-audit wrote no report:" >&2; tail -5 "$WORK/stderr.txt" >&2; }
    local mb=$((rss_kb / 1024))
    local verdict=ok
    ((mb <= BOUND_MB)) || { verdict="OVER ${BOUND_MB} MB"; status=1; }
    printf '%-40s %5d requests  %6.1f s  peak RSS %4d MB  left out: %s  %s\n' \
        "$label" "$pages" "$(python3 -c "print($t1 - $t0)")" "$mb" "$left" "$verdict"
}
# At the defaults, sampling by URL pattern (--max-per-pattern 50) refuses most links; with it
# off, the crawl fills --max-pages from the first pages and counts every later link.
run "defaults"
run "--concurrency 64" --concurrency 64
run "--max-per-pattern 0" --max-per-pattern 0
run "--concurrency 64 --max-per-pattern 0" --concurrency 64 --max-per-pattern 0
exit "$status"
