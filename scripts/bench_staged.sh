#!/usr/bin/env bash
# Staged scan (pre-commit) benchmark: `keyfence staged` against `git diff --cached --stat`.
#
#   scripts/bench_staged.sh [FILES]
#
# Builds (once, cached in ${TMPDIR:-/tmp}) a checked-out one-commit repository of FILES source-like
# files (default 50000, ~420 MB; scripts/gen_history.py with COMMITS=1), then stages a change: one
# new file holding one synthetic credential pair and one modified file. Prints the median wall time
# of RUNS runs (default 20; KEYFENCE=BINARY times that binary instead of building one) of
# `git diff --cached --stat` (the floor), `git diff --cached` (reference) and `keyfence staged`
# (exit status 1 expected: the pair is found), their ratio, and `keyfence staged` with nothing
# staged (exit status 0 expected, although the working tree still holds the pair, untracked). Uses
# hyperfine when it is installed (unless NO_HYPERFINE=1), a timing loop otherwise. The repository
# is reset afterwards. Numbers go in docs/PERFORMANCE.md.
set -euo pipefail
files=${1:-50000}
runs=${RUNS:-20}
repo=${TMPDIR:-/tmp}/keyfence-bench-staged-$files
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# shellcheck source=scripts/bench_lib.sh
. "$root/scripts/bench_lib.sh"
find_keyfence

if [ ! -f "$repo.ready" ]; then
  rm -rf "$repo"
  echo "building $repo ($files files, one commit)..." >&2
  python3 "$root/scripts/gen_history.py" "$repo" 1 "$files" >/dev/null
  touch "$repo.ready"
fi
cd "$repo"

WARMUP=3
ms() { echo "$1 * 1000" | bc -l; }
status() { local rc=0; "$@" >/dev/null 2>&1 || rc=$?; echo "$rc"; }

# The staged change: a new file with one pair next to a modified file in the middle of the tree.
git reset -q --hard
tracked=$(git ls-files | wc -l)
mod=$(git ls-files | sed -n "$((tracked / 2))p")
new="$(dirname "$mod")/upload_settings.py"
cleanup() { git reset -q --hard; rm -f "$new"; rm -rf "$work"; }
trap cleanup EXIT
key=$(PYTHONPATH="$root/scripts" python3 - "$new" "$mod" <<'EOF'
import sys
from synthetic import Synthetic
g = Synthetic(20261201)
key, secret = g.key_id(), g.secret()
with open(sys.argv[1], "w") as f:
    f.write(f'import boto3\n\nSETTINGS = {{\n    "bucket": "staging-uploads",\n'
            f'    "aws_access_key_id": "{key}",\n    "aws_secret_access_key": "{secret}",\n}}\n')
lines = open(sys.argv[2]).readlines()
lines.insert(len(lines) // 2, "\tupload retry timeout(42);\n")
open(sys.argv[2], "w").writelines(lines)
print(key)
EOF
)
git add "$new" "$mod"
echo "repo: $repo, $tracked files, $(du -sb --exclude=.git . | cut -f1) bytes checked out;" \
  "staged: $(git diff --cached --shortstat); $(nproc) cores$([ -z "${NO_HYPERFINE:-}" ] && command -v hyperfine >/dev/null && echo ', hyperfine')"

cat .git/index >/dev/null; git diff --cached --stat >/dev/null # warm up
diff_t=$(median_time "$runs" git diff --cached --stat)
patch_t=$(median_time "$runs" git diff --cached)
printf 'git diff --cached --stat         %8.2f ms   (the floor)\n' "$(ms "$diff_t")"
printf 'git diff --cached                %8.2f ms\n' "$(ms "$patch_t")"
if ! "$kf" staged --help >/dev/null 2>&1; then
  echo "keyfence staged: not in this build ($kf)" >&2
  exit 2
fi
set +e
"$kf" staged --format json -o "$work/report.json" 2>"$work/stderr"
rc=$?
set -e
kf_t=$(median_time "$runs" "$kf" staged)
found=$(grep -c "\"$key\"" "$work/report.json" || true)
printf 'keyfence staged                  %8.2f ms   (%.2fx git diff --cached --stat; exit status %d, expected 1;' \
  "$(ms "$kf_t")" "$(echo "$kf_t / $diff_t" | bc -l)" "$rc"
echo " staged key ID $([ "$found" -gt 0 ] && echo found || echo MISSED))"
if [ -s "$work/stderr" ]; then
  echo "  stderr: $(head -c 600 "$work/stderr")"
fi

git reset -q # unstage: the index matches HEAD again, the working tree keeps both files
empty_diff_t=$(median_time "$runs" git diff --cached --stat)
rc0=$(status "$kf" staged)
empty_t=$(median_time "$runs" "$kf" staged)
printf 'nothing staged: git diff --cached --stat %.2f ms, keyfence staged %.2f ms (exit status %d, expected 0)\n' \
  "$(ms "$empty_diff_t")" "$(ms "$empty_t")" "$rc0"
