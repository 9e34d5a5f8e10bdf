#!/usr/bin/env bash
# What --render costs (issue 16): heap-audit on a generated build folder with realistic installs
# (bench/gensite.py: Heap snippets, Segment, GTM, a consent manager, chat widget), once without
# and once with --render, in the same run; the seconds rendering added, per page rendered.
#
# Usage: bench/render.sh [PAGES=20] [RENDERED=20]   (RUNS=3, CONCURRENCY=2, WAIT=0)
#
# The vendors' files come from the stand-ins in fixtures/render/standins/ and the Segment settings
# and GTM container from fixtures/ through --remap, and --render-block-third-party refuses the
# rest (the pages' chat widget and analytics hosts): nothing leaves the machine. The target is at
# most 2 s per page beyond --render-wait at the default concurrency (2 tabs).
set -euo pipefail

PAGES="${1:-20}"
RENDERED="${2:-20}"
RUNS="${RUNS:-3}"
CONCURRENCY="${CONCURRENCY:-2}"
WAIT="${WAIT:-0}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
command -v chromium >/dev/null || { echo "bench: chromium is needed (apt-get install chromium)" >&2; exit 1; }
if [[ -z "${HEAP_AUDIT:-}" ]]; then
    echo "bench: building heap-audit (release)"
    (cd "$ROOT" && cargo build --release --locked --quiet)
    HEAP_AUDIT="$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps --locked |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/release/heap-audit"
fi
WORK="$(mktemp -d "${TMPDIR:-/tmp}/heap-audit-render.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
python3 -u "$HERE/gensite.py" "$WORK/site" "$PAGES" >/dev/null

S="$ROOT/fixtures/render/standins"
REMAPS=(
    --remap "https://cdn\\.heapanalytics\\.com/js/heap-[^/]*\\.js $S/heap-classic.js"
    --remap "https://cdn\\.us\\.heap-api\\.com/config/[^/]+/heap_config\\.js $S/heap-v5.js"
    --remap "https://cdn\\.segment\\.com/analytics\\.js/v1/[^/]+/analytics\\.min\\.js $S/analytics.js"
    --remap "https://cdn\\.segment\\.com/v1/projects/([^/]+)/settings $ROOT/fixtures/segment/\$1.json"
    --remap "https://www\\.googletagmanager\\.com/gtm\\.js\\?id=([^&]+).* $ROOT/fixtures/gtm/\$1.js"
)
run() {
    local out="$1"
    shift
    "$HEAP_AUDIT" scan "$WORK/site" --offline "${REMAPS[@]}" --fail-on never --format json -o "$out" "$@"
}

echo "bench: $(nproc) cores; $(chromium --version 2>/dev/null | head -n 1); heap-audit $("$HEAP_AUDIT" --version | cut -d' ' -f2)"
printf 'round\tstatic_s\trender_s\tpages_rendered\tadded_s_per_page\tconfirmed\tnot_seen\truntime_only\n'
for round in $(seq "$RUNS"); do
    a=$(date +%s.%N)
    run "$WORK/static.json"
    b=$(date +%s.%N)
    run "$WORK/render.json" --render --render-pages "$RENDERED" --render-concurrency "$CONCURRENCY" \
        --render-wait "$WAIT" --render-block-third-party
    c=$(date +%s.%N)
    python3 - "$WORK/render.json" "$round" "$a" "$b" "$c" "$WAIT" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
round_, a, b, c, wait = sys.argv[2], *map(float, sys.argv[3:6]), float(sys.argv[6]) / 1000
r = report.get("render") or {}
n = r.get("pages", 0)
if not n or r.get("failed"):
    sys.exit(f"bench: render: {n} pages rendered, {r.get('failed')} failed: {report['problems']}")
static, rendered = b - a, c - b
added = (rendered - static) / n - wait
print(f"{round_}\t{static:.2f}\t{rendered:.2f}\t{n}\t{added:.2f}\t{r['confirmed']}\t{r['not_seen']}\t{r['runtime_only']}")
EOF
done
