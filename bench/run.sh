#!/usr/bin/env bash
# Crawl benchmark: heap-audit against widely used crawlers and a link checker, on the same
# generated site, in the same run.
#
# Usage: bench/run.sh [N=10000]
#
# 1. builds heap-audit (release) and bench/parse-compare;
# 2. generates a deterministic site of N pages (bench/gensite.py) in a temporary folder;
# 3. serves it with nginx on a free loopback port (127.0.0.1 only; stopped on exit);
# 4. times, with /usr/bin/time -v: heap-audit crawling the served site, `wget2 --recursive
#    --spider`, `spider crawl` (spider_cli), heap-audit reading the folder, and `hyperlink` on
#    the folder; checks each visited about N pages (nginx's access log, or the tool's output);
# 5. prints pages/s, CPU seconds and peak RSS for each, the ratios, and the parse comparison.
#
# Tools: Debian `apt-get install -y wget2 nginx time python3`; crates
# `cargo install --locked spider_cli@1.46.5 hyperlink` (their binaries on PATH; ~/.cargo/bin is
# added). spider_cli 2.x (2.53.9 tried) is measured too if it is the one installed, but its `crawl`
# ends early: without -o it returns before crawling, and with -o it stops when its page channel
# lags (a few hundred to a few thousand of 10,000 pages); the script flags a short crawl.
# Nothing is installed unless BENCH_INSTALL=1. BENCH_KEEP=1 keeps the temporary folder.
# ROUNDS=K (default 1) times every tool K times, in turn, on the one generated site, and gives
# each round's ratios and their medians (the machine's noise shows in the spread).
# Extra heap-audit flags for both of its runs: HEAP_AUDIT_ARGS (e.g. "--concurrency 4").
# Nothing leaves the machine: heap-audit runs with --offline and every crawl stays on 127.0.0.1.
set -euo pipefail

N="${1:-10000}"
ROUNDS="${ROUNDS:-1}"
if ! [[ "$ROUNDS" =~ ^[0-9]+$ ]] || ((ROUNDS < 1)); then
    echo "bench: ROUNDS must be a whole number of at least 1" >&2
    exit 2
fi
if ! [[ "$N" =~ ^[0-9]+$ ]] || ((N < 10)); then
    echo "usage: bench/run.sh [N=10000]  (N >= 10 pages)" >&2
    exit 2
fi
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
export PATH="$PATH:$HOME/.cargo/bin"

# ---- tools -------------------------------------------------------------------------------------
missing_deb=()
for t in python3 nginx wget2; do command -v "$t" >/dev/null || missing_deb+=("$t"); done
[[ -x /usr/bin/time ]] || missing_deb+=(time)
# spider_cli and hyperlink are peers measured when present; wget2 is the crawl's reference.
missing_crates=()
if [[ "${BENCH_INSTALL:-0}" == 1 ]]; then
    command -v spider >/dev/null || missing_crates+=(spider_cli@1.46.5)
    command -v hyperlink >/dev/null || missing_crates+=(hyperlink)
fi
command -v cargo >/dev/null || { echo "bench: cargo is needed (https://rustup.rs)" >&2; exit 1; }
if ((${#missing_deb[@]} + ${#missing_crates[@]})); then
    if [[ "${BENCH_INSTALL:-0}" == 1 ]]; then
        if ((${#missing_deb[@]})); then
            echo "bench: installing ${missing_deb[*]} (apt-get)"
            sudo_=""; ((EUID == 0)) || sudo_="sudo"
            $sudo_ apt-get update -qq
            $sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_deb[@]}"
        fi
        if ((${#missing_crates[@]})); then
            echo "bench: installing ${missing_crates[*]} (cargo install --locked; this takes a while)"
            cargo install --locked "${missing_crates[@]}"
        fi
    else
        echo "bench: missing tools. Install them, or rerun with BENCH_INSTALL=1:" >&2
        ((${#missing_deb[@]})) && echo "  apt-get install -y ${missing_deb[*]}" >&2
        ((${#missing_crates[@]})) && echo "  cargo install --locked ${missing_crates[*]}" >&2
        exit 1
    fi
fi

# ---- build -------------------------------------------------------------------------------------
echo "bench: building heap-audit and bench/parse-compare (release)"
(cd "$ROOT" && cargo build --release --locked --quiet)
(cd "$HERE/parse-compare" && cargo build --release --locked --quiet)
target_dir() {
    (cd "$1" && cargo metadata --format-version 1 --no-deps --locked |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
}
HEAP_AUDIT="$(target_dir "$ROOT")/release/heap-audit"
PARSE_COMPARE="$(target_dir "$HERE/parse-compare")/release/parse-compare"

# ---- site and server ---------------------------------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/heap-audit-bench.XXXXXX")"
chmod 755 "$WORK"
NGINX_PID=""
cleanup() {
    if [[ -n "$NGINX_PID" ]]; then
        kill "$NGINX_PID" 2>/dev/null || true
        wait "$NGINX_PID" 2>/dev/null || true
    fi
    if [[ "${BENCH_KEEP:-0}" == 1 ]]; then echo "bench: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SITE="$WORK/site"
python3 "$HERE/gensite.py" "$SITE" "$N"
# Every tool reads the pages from the page cache, none from the disk.
find "$SITE" -type f -exec cat {} + >/dev/null

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
mkdir -p "$WORK/nginx-tmp"
user_line=""
((EUID == 0)) && user_line="user root root;"
cat >"$WORK/nginx.conf" <<EOF
$user_line
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
daemon off;
events { worker_connections 4096; }
http {
    types { text/html html; application/javascript js; text/css css; image/webp webp; }
    default_type application/octet-stream;
    log_format bench '\$status \$request_method \$request_uri \$body_bytes_sent';
    access_log $WORK/access.log bench;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    client_body_temp_path $WORK/nginx-tmp/body;
    proxy_temp_path $WORK/nginx-tmp/proxy;
    fastcgi_temp_path $WORK/nginx-tmp/fastcgi;
    uwsgi_temp_path $WORK/nginx-tmp/uwsgi;
    scgi_temp_path $WORK/nginx-tmp/scgi;
    server {
        listen 127.0.0.1:$PORT;
        root $SITE;
        index index.html;
    }
}
EOF
nginx -p "$WORK" -e "$WORK/nginx-error.log" -c "$WORK/nginx.conf" &
NGINX_PID=$!
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    sleep 0.05
done
(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null || {
    echo "bench: nginx did not start:" >&2
    cat "$WORK/nginx-error.log" >&2
    exit 1
}
URL="http://127.0.0.1:$PORT/"
echo "bench: serving $SITE at $URL (nginx $(nginx -v 2>&1 | sed 's/.*\///'))"
echo "bench: $(nproc) cores, $(uname -m); $(wget2 --version | head -n 1 | cut -d' ' -f1-3);" \
    "$(command -v spider >/dev/null && spider --version 2>&1 | head -n 1); $(command -v hyperlink >/dev/null && hyperlink --version 2>&1 | head -n 1)"

# ---- timing ------------------------------------------------------------------------------------
RESULTS="$WORK/results.tsv"
: >"$RESULTS"

# measure NAME PAGES_FROM COMMAND...: run under /usr/bin/time -v, record wall, CPU and peak RSS.
# PAGES_FROM is "log" (distinct pages served with 200 during the run, from nginx's access log) or
# a command run afterwards that prints the page count.
measure() {
    local name="$1" pages_from="$2"
    shift 2
    local log_before rc=0 start end pages requests
    log_before=$(wc -l <"$WORK/access.log")
    echo "bench: $name: $*"
    start=$(date +%s.%N)
    /usr/bin/time -v -o "$WORK/$name.time" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
    end=$(date +%s.%N)
    requests=$(($(wc -l <"$WORK/access.log") - log_before))
    if [[ "$pages_from" == log ]]; then
        pages=$(tail -n "+$((log_before + 1))" "$WORK/access.log" |
            awk '$1 == 200 && $3 ~ /\/$/ { seen[$3] = 1 } END { print length(seen) }')
    else
        pages=$(eval "$pages_from")
    fi
    # wget2 (8) and hyperlink (1) report the site's broken asset links in their exit status.
    ((rc == 0)) || echo "bench: $name exited with status $rc"
    ((rc == 0)) || tail -n 3 "$WORK/$name.err" | sed 's/^/    /'
    awk -v name="$name" -v pages="$pages" -v requests="$requests" -v wall="$(python3 -c "print($end - $start)")" '
        /User time/ { user = $NF }
        /System time/ { sys = $NF }
        /Maximum resident set size/ { rss = $NF }
        END { printf "%s\t%s\t%s\t%s\t%.3f\t%.2f\t%.1f\n", round, name, pages, requests, wall, user + sys, rss / 1024 }
    ' round="$ROUND" "$WORK/$name.time" >>"$RESULTS"
}

report_pages() { python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["pages"]))' "$1"; }
MAX=$((N + N / 10 + 10))
for ROUND in $(seq "$ROUNDS"); do
    ((ROUNDS == 1)) || echo "bench: round $ROUND of $ROUNDS"
    # shellcheck disable=SC2086
    measure heap-audit "report_pages $WORK/heap-audit.json" \
        "$HEAP_AUDIT" scan "$URL" --offline --max-pages "$MAX" --format json \
        -o "$WORK/heap-audit.json" --fail-on never ${HEAP_AUDIT_ARGS:-}
    measure wget2 log \
        wget2 --recursive --level=0 --spider --no-verbose --no-host-directories \
        --directory-prefix="$WORK/wget2" "$URL"
    # spider_cli 1.x takes --domain; 2.x takes --url, and crawls only with --output-links (see above).
    if command -v spider >/dev/null; then
        spider_help="$(spider --help 2>&1 || true)"
        if [[ "$spider_help" == *--domain* ]]; then
            measure spider log spider --domain "$URL" crawl
        else
            measure spider log spider --url "$URL" crawl --output-links
        fi
    else
        echo "bench: spider_cli not installed: not measured"
    fi
    # shellcheck disable=SC2086
    measure heap-audit-folder "report_pages $WORK/heap-audit-folder.json" \
        "$HEAP_AUDIT" scan "$SITE" --offline --max-pages "$MAX" --format json \
        -o "$WORK/heap-audit-folder.json" --fail-on never ${HEAP_AUDIT_ARGS:-}
    if command -v hyperlink >/dev/null; then
        measure hyperlink "find $SITE -name '*.html' | wc -l" \
            hyperlink "$SITE"
    else
        echo "bench: hyperlink not installed: not measured"
    fi
done

# ---- results -----------------------------------------------------------------------------------
echo
python3 - "$RESULTS" "$N" <<'EOF'
import statistics, sys
rounds = {}
for line in open(sys.argv[1]):
    rnd, name, pages, requests, wall, cpu, rss = line.rstrip("\n").split("\t")
    r = dict(pages=int(pages), requests=int(requests), wall=float(wall), cpu=float(cpu), rss=float(rss))
    r["pps"] = r["pages"] / r["wall"] if r["wall"] > 0 else 0
    rounds.setdefault(int(rnd), {})[name] = r
n = int(sys.argv[2])
many = len(rounds) > 1
print(f"{'round ' if many else ''}{'tool':<20} {'pages':>7} {'requests':>9} {'seconds':>8} {'pages/s':>9} {'CPU s':>7} {'peak RSS MB':>12}")
for rnd, rows in sorted(rounds.items()):
    for name, r in rows.items():
        req = r["requests"] if not name.startswith(("heap-audit-folder", "hyperlink")) else "-"
        print(f"{f'{rnd:>5} ' if many else ''}{name:<20} {r['pages']:>7} {req:>9} {r['wall']:>8.2f} {r['pps']:>9.0f} {r['cpu']:>7.2f} {r['rss']:>12.1f}")
        if abs(r["pages"] - n) > n // 100:
            print(f"  warning: {name} visited {r['pages']} pages, not about {n}")
print()
def complete(rows, name):
    return abs(rows[name]["pages"] - n) <= n // 100
def ratio(a, b, target):
    xs, comparable = [], True
    for rows in rounds.values():
        if a in rows and b in rows and rows[b]["pps"] > 0:
            xs.append(rows[a]["pps"] / rows[b]["pps"])
            comparable = comparable and complete(rows, a) and complete(rows, b)
    if not xs:
        return
    x = statistics.median(xs)
    verdict = "met" if x >= target else "NOT met"
    if not comparable:
        verdict = "not comparable: a crawl was incomplete"
    each = f"{', '.join(f'{v:.2f}x' for v in xs)}; median " if many else ""
    print(f"{a} / {b} pages/s: {each}{x:.2f}x (target >= {target}x: {verdict})")
ratio("heap-audit", "wget2", 0.8)
ratio("heap-audit", "spider", 1.5)
ratio("heap-audit-folder", "hyperlink", 1.0)
rss = [rows["heap-audit"]["rss"] for rows in rounds.values() if "heap-audit" in rows]
if rss:
    top = max(rss)
    print(f"heap-audit peak RSS: {'highest of the rounds ' if many else ''}{top:.1f} MB (target <= 64 MB: {'met' if top <= 64 else 'NOT met'})")
EOF

echo
"$PARSE_COMPARE" "$SITE" 2000
