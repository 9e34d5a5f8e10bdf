#!/usr/bin/env bash
# Scaling benchmark (issue 14): heap-audit on a build folder of SMALL and of LARGE pages, in the
# same run, and hyperlink on the SMALL folder when it is installed.
#
# Usage: bench/scale.sh [SMALL=10000] [LARGE=100000]
#
# 1. builds heap-audit (release), unless HEAP_AUDIT names a binary;
# 2. generates both folders with `bench/gensite.py --small` (about 5 KB a page, 500 MB of HTML for
#    100,000 pages): every page carries the generator's installs (Heap, Segment, GTM, first-party
#    bundles), so the rules and the advice do real work;
# 3. runs `heap-audit scan FOLDER --offline` with the Segment settings and the GTM container read
#    from fixtures/ through --remap (nothing leaves the machine), under /usr/bin/time -v, and
#    checks that every page was audited and that there are findings and a recommendation;
# 4. runs `hyperlink FOLDER` on the SMALL folder, if `hyperlink` is on PATH
#    (`cargo install --locked hyperlink`);
# 5. prints, for each of RUNS rounds (default 3) and as medians: seconds, CPU seconds, peak RSS,
#    pages/s, the time ratio LARGE/SMALL (target: at most 1.2 x LARGE/SMALL, 12x for the
#    defaults: linear with 20% to spare) and heap-audit pages/s / hyperlink pages/s on SMALL
#    (target: at least 1.0x).
#
# BENCH_DIR=DIR keeps the generated folders there and reuses them on the next run when the
# generator has not changed (otherwise they go in a temporary folder, removed at the end).
# Extra heap-audit flags: HEAP_AUDIT_ARGS.
set -euo pipefail

SMALL="${1:-10000}"
LARGE="${2:-100000}"
RUNS="${RUNS:-3}"
for n in "$SMALL" "$LARGE" "$RUNS"; do
    if ! [[ "$n" =~ ^[0-9]+$ ]] || ((n < 1)); then
        echo "usage: bench/scale.sh [SMALL=10000] [LARGE=100000]  (RUNS=3)" >&2
        exit 2
    fi
done
if ((LARGE <= SMALL)); then
    echo "bench: LARGE ($LARGE) must be more pages than SMALL ($SMALL)" >&2
    exit 2
fi
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
for t in python3 cargo; do
    command -v "$t" >/dev/null || { echo "bench: $t is needed" >&2; exit 1; }
done
[[ -x /usr/bin/time ]] || { echo "bench: GNU time is needed (apt-get install -y time)" >&2; exit 1; }

# ---- build -------------------------------------------------------------------------------------
if [[ -z "${HEAP_AUDIT:-}" ]]; then
    echo "bench: building heap-audit (release)"
    (cd "$ROOT" && cargo build --release --locked --quiet)
    HEAP_AUDIT="$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps --locked |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/release/heap-audit"
fi
HYPERLINK="$(command -v hyperlink || true)"

# ---- folders -----------------------------------------------------------------------------------
if [[ -n "${BENCH_DIR:-}" ]]; then
    WORK="$BENCH_DIR"
    mkdir -p "$WORK"
else
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/heap-audit-scale.XXXXXX")"
fi
RESULTS="$(mktemp "${TMPDIR:-/tmp}/heap-audit-scale-results.XXXXXX")"
cleanup() {
    rm -f "$RESULTS" "$WORK"/*.report.json "$WORK"/*.time "$WORK"/*.err
    [[ -n "${BENCH_DIR:-}" ]] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

GENERATOR="$(cat "$HERE/gensite.py" "$ROOT"/fixtures/pages/*.html "$ROOT"/fixtures/sites/shop/blog/index.html |
    cksum | cut -d' ' -f1)"
site() {
    local n="$1" dir="$WORK/site-$1"
    if [[ -f "$dir.stamp" && "$(cat "$dir.stamp")" == "$GENERATOR" ]]; then
        echo "bench: reusing $dir" >&2
    else
        rm -f "$dir.stamp"
        python3 -u "$HERE/gensite.py" "$dir" "$n" --small >&2
        echo "$GENERATOR" >"$dir.stamp"
    fi
    echo "$dir"
}
SMALL_SITE="$(site "$SMALL")"
LARGE_SITE="$(site "$LARGE")"
# Every run reads the pages from the page cache, none from the disk.
find "$SMALL_SITE" "$LARGE_SITE" -type f -exec cat {} + >/dev/null

echo "bench: $(nproc) cores, $(uname -m), $(free -g | awk '/^Mem/ { print $2 }') GiB;" \
    "heap-audit $("$HEAP_AUDIT" --version | cut -d' ' -f2)${HYPERLINK:+; $("$HYPERLINK" --version 2>&1 | head -n 1)}"

# ---- runs --------------------------------------------------------------------------------------
# measure RUN NAME PAGES COMMAND...: wall, CPU and peak RSS under /usr/bin/time -v.
measure() {
    local run="$1" name="$2" pages="$3" rc=0 start end
    shift 3
    start=$(date +%s.%N)
    /usr/bin/time -v -o "$WORK/$name.time" "$@" >/dev/null 2>"$WORK/$name.err" || rc=$?
    end=$(date +%s.%N)
    # hyperlink exits 1 for the generated pages' links to assets the folder does not have.
    if ((rc != 0)) && [[ "$name" != hyperlink ]]; then
        echo "bench: $name exited with status $rc:" >&2
        tail -n 5 "$WORK/$name.err" >&2
        exit 1
    fi
    awk -v run="$run" -v name="$name" -v pages="$pages" -v wall="$(python3 -c "print($end - $start)")" '
        /User time/ { user = $NF }
        /System time/ { sys = $NF }
        /Maximum resident set size/ { rss = $NF }
        END { printf "%s\t%s\t%s\t%.3f\t%.2f\t%.1f\n", run, name, pages, wall, user + sys, rss / 1024 }
    ' "$WORK/$name.time" >>"$RESULTS"
}

audit() {
    local run="$1" name="$2" site="$3" pages="$4"
    # shellcheck disable=SC2086
    measure "$run" "$name" "$pages" "$HEAP_AUDIT" scan "$site" --offline \
        --remap "https://cdn\\.segment\\.com/v1/projects/([^/]+)/settings $ROOT/fixtures/segment/\$1.json" \
        --remap "https://www\\.googletagmanager\\.com/gtm\\.js\\?id=([^&]+).* $ROOT/fixtures/gtm/\$1.js" \
        --max-pages $((pages + 1)) --format json -o "$WORK/$name.report.json" --fail-on never \
        ${HEAP_AUDIT_ARGS:-}
    python3 - "$WORK/$name.report.json" "$pages" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
want = int(sys.argv[2])
pages, findings = report["summary"]["pages"], report["summary"]["findings"]
if pages != want or not findings or report["recommendation"] is None:
    sys.exit(f"bench: {sys.argv[1]}: {pages} pages audited of {want}, {findings} findings, "
             f"recommendation {report['recommendation'] is not None}: not the work this benchmark measures")
EOF
}

for run in $(seq "$RUNS"); do
    echo "bench: round $run of $RUNS"
    audit "$run" small "$SMALL_SITE" "$SMALL"
    audit "$run" large "$LARGE_SITE" "$LARGE"
    if [[ -n "$HYPERLINK" ]]; then
        measure "$run" hyperlink "$SMALL" "$HYPERLINK" "$SMALL_SITE"
    fi
done
summary="$(python3 - "$WORK/small.report.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
s = r["summary"]
rules = sorted({f["rule"] for f in r["findings"]})
print(f"{s['pages']} pages: {s['pages_with_heap']} with Heap, installs {s['installs']}, "
      f"{s['findings']} findings of {len(rules)} rules, recommendation {r['recommendation']['install_path']}")
EOF
)"
echo "bench: the SMALL report: $summary"

# ---- results -----------------------------------------------------------------------------------
echo
python3 - "$RESULTS" "$SMALL" "$LARGE" <<'EOF'
import statistics, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
small, large = int(sys.argv[2]), int(sys.argv[3])
runs = sorted({int(r[0]) for r in rows})
by = {(int(r[0]), r[1]): dict(pages=int(r[2]), wall=float(r[3]), cpu=float(r[4]), rss=float(r[5])) for r in rows}
label = {"small": f"heap-audit, {small:,} pages", "large": f"heap-audit, {large:,} pages",
         "hyperlink": f"hyperlink, {small:,} pages"}
print(f"{'round':>5}  {'what':<28} {'seconds':>8} {'CPU s':>7} {'pages/s':>9} {'peak RSS MB':>12}")
for run in runs:
    for name in ("small", "large", "hyperlink"):
        r = by.get((run, name))
        if r:
            print(f"{run:>5}  {label[name]:<28} {r['wall']:>8.2f} {r['cpu']:>7.2f} {r['pages'] / r['wall']:>9.0f} {r['rss']:>12.1f}")
print()
limit = 1.2 * large / small
ratios = [by[(run, "large")]["wall"] / by[(run, "small")]["wall"] for run in runs]
med = statistics.median(ratios)
print(f"time {large:,} / {small:,} pages: " + ", ".join(f"{x:.1f}x" for x in ratios)
      + f"; median {med:.1f}x (target <= {limit:.0f}x: {'met' if med <= limit else 'NOT met'})")
if any((run, "hyperlink") in by for run in runs):
    pps = [(by[(run, "small")]["wall"] and by[(run, "hyperlink")]["wall"] / by[(run, "small")]["wall"])
           for run in runs if (run, "hyperlink") in by]
    med = statistics.median(pps)
    print(f"heap-audit / hyperlink pages/s on {small:,} pages: " + ", ".join(f"{x:.2f}x" for x in pps)
          + f"; median {med:.2f}x (target >= 1.0x: {'met' if med >= 1.0 else 'NOT met'})")
else:
    print("hyperlink: not on PATH, not measured (cargo install --locked hyperlink)")
for name in ("small", "large"):
    rss = statistics.median(by[(run, name)]["rss"] for run in runs)
    print(f"heap-audit peak RSS, {label[name].split(', ')[1]}: median {rss:.0f} MB")
EOF
