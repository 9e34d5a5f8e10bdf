#!/usr/bin/env bash
# Compare `cargo bench --bench extract` between two commits, each built in a worktree of its own
# and run in the same script, alternating, on the same machine: issues 10 and 11 ask that the
# scanner and the extraction stay within 10% of the commit before a change.
#
#   bench/compare-extract.sh OLD_REV [NEW_REV] [RUNS]     (NEW_REV: HEAD; RUNS: 5)
#
# Prints each run's "html scan + detectors" time and ratio to the baseline, then the medians.
set -euo pipefail
old=${1:?usage: bench/compare-extract.sh OLD_REV [NEW_REV] [RUNS]}
new=${2:-HEAD}
runs=${3:-5}
root=$(git rev-parse --show-toplevel)
work=$(mktemp -d)
# One target folder for both (and later runs): the dependencies are built once.
export CARGO_TARGET_DIR=${BENCH_TARGET:-$root/target/compare-extract}
cleanup() {
  for side in old new; do git -C "$root" worktree remove --force "$work/$side" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT
git -C "$root" worktree add --detach "$work/old" "$old" >/dev/null
git -C "$root" worktree add --detach "$work/new" "$new" >/dev/null
echo "building $old and $new (release)..." >&2
(cd "$work/old" && cargo bench --bench extract --no-run -q)
(cd "$work/new" && cargo bench --bench extract --no-run -q)
run() { (cd "$1" && cargo bench --bench extract -q 2>/dev/null) | grep -E 'html scan \+ detectors|ratio' | head -2 | tr '\n' ' '; }
: >"$work/old.txt"; : >"$work/new.txt"
for i in $(seq "$runs"); do
  o=$(run "$work/old"); n=$(run "$work/new")
  echo "run $i  old: $o" | tr -s ' '; echo "run $i  new: $n" | tr -s ' '
  echo "$o" >>"$work/old.txt"; echo "$n" >>"$work/new.txt"
done
python3 - "$work/old.txt" "$work/new.txt" <<'PY'
import re, statistics, sys
def ms(line):
    m = re.search(r'detectors:\s*([\d.]+)(ms|s|µs)', line)
    v = float(m.group(1)); return v * {'ms': 1, 's': 1000, 'µs': 0.001}[m.group(2)]
old = [ms(l) for l in open(sys.argv[1]) if l.strip()]
new = [ms(l) for l in open(sys.argv[2]) if l.strip()]
mo, mn = statistics.median(old), statistics.median(new)
print(f"median html scan + detectors: old {mo:.1f} ms, new {mn:.1f} ms, new/old {mn/mo:.3f}")
PY
