#!/usr/bin/env bash
# What scanning commit messages, tag annotations and notes costs `keyfence history`: interleaved
# pairs of the same binary with and without `--no-messages` (file contents only), on a repository.
#
#   REPO=PATH scripts/bench_messages.sh [PAIRS] [REV...]
#
# PAIRS defaults to 16; REV (none: every reference) selects the history, e.g. `master` on the
# reference input (a bare snapshot of github.com/git/git). KEYFENCE=BINARY times that binary
# instead of building one. Prints, for CPU (user+sys) and wall time, the median of each side,
# their ratio and the median of the per-pair ratios (the machine is shared: pairs taken a few
# seconds apart are what compares). Numbers go in docs/PERFORMANCE.md.
set -euo pipefail
pairs=${1:-16}
shift || true
repo=${REPO:?set REPO to the repository to scan}
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${KEYFENCE:-}" ]; then
  cargo build --release --locked --manifest-path "$root/Cargo.toml" >&2
  KEYFENCE=$root/target/release/keyfence
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
cd "$repo"
for _ in $(seq 1 "$pairs"); do
  for side in with without; do
    flag=()
    [ "$side" = without ] && flag=(--no-messages)
    # Exit 1 (findings) or 2 (errors on a damaged snapshot) still times the scan.
    /usr/bin/time -f "$side %U %S %e" -a -o "$out" \
      "$KEYFENCE" history "$@" "${flag[@]}" --format json -o /dev/null 2>/dev/null || true
  done
done
python3 - "$out" <<'PY'
import statistics as st, sys
rows = [l.split() for l in open(sys.argv[1]) if l.split() and l.split()[0] in ("with", "without")]
side = lambda s: [r for r in rows if r[0] == s]
a, b = side("with"), side("without")
for name, f in (("CPU s", lambda r: float(r[1]) + float(r[2])), ("wall s", lambda r: float(r[3]))):
    x, y = [f(r) for r in a], [f(r) for r in b]
    paired = st.median(p / q for p, q in zip(x, y))
    print(f"{name:7} with {st.median(x):7.3f}  --no-messages {st.median(y):7.3f}  "
          f"ratio {st.median(x) / st.median(y):.3f}  paired median {paired:.3f}  ({len(x)} pairs)")
PY
