#!/usr/bin/env bash
# History scan benchmark: `keyfence history` against reading every object once with git cat-file.
#
#   scripts/bench_history.sh [COMMITS] [FILES]
#
# Builds (once, cached) a synthetic repository with scripts/gen_history.py (COMMITS commits,
# default 30000, over a project of FILES files, default 3000: ~248,000 unique blobs, 8 credential
# pairs that exist only in history), warms the page cache, and prints the median wall time of
# RUNS runs (default 3; KEYFENCE=BINARY times that binary instead of building one) of:
#   - the floor, `git cat-file --batch-all-objects --batch --unordered` (every object, one thread),
#   - `git log -p --all` (what gitleaks and trufflehog parse), as a reference point,
#   - `keyfence history --format json -o /dev/null`,
# then the ratio keyfence/floor, keyfence's peak RSS and CPU time (/usr/bin/time), and how many of
# the planted key IDs its JSON report holds (and whether each is attributed to the commit and path
# that introduced it). Uses hyperfine when it is installed (unless NO_HYPERFINE=1), a timing loop
# otherwise. The repository and its `.planted` list (`KEY_ID COMMIT PATH` lines) are kept in
# ${TMPDIR:-/tmp}. Numbers go in docs/PERFORMANCE.md.
#
# REPO=PATH times an existing repository instead (bare or not; nothing planted), such as the
# reference input: a `git clone --bare --no-local --single-branch --branch master` of a
# github.com/git/git snapshot. SKIP_LOG=1 leaves out `git log -p --all` (minutes on git/git).
set -euo pipefail
commits=${1:-30000}
files=${2:-3000}
runs=${RUNS:-3}
repo=${REPO:-${TMPDIR:-/tmp}/keyfence-bench-history-$commits-$files}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
planted_list=$repo.planted

# shellcheck source=scripts/bench_lib.sh
. "$root/scripts/bench_lib.sh"
find_keyfence

if [ -n "${REPO:-}" ]; then
  git -C "$repo" rev-parse --git-dir >/dev/null || { echo "REPO=$repo: not a git repository" >&2; exit 2; }
  planted_list=$work/planted # nothing planted
  : > "$planted_list"
elif [ ! -f "$repo.planted" ]; then
  rm -rf "$repo"
  echo "building $repo ($commits commits, $files files; a few minutes for the default size)..." >&2
  python3 "$root/scripts/gen_history.py" "$repo" "$commits" "$files" > "$repo.planted.tmp"
  mv "$repo.planted.tmp" "$repo.planted"
fi
cd "$repo"
objects=$(git rev-parse --git-path objects)


blobs=$(git cat-file --batch-all-objects --batch-check | grep -c ' blob ' || true)
blob_bytes=$(git cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' |
  awk '$1 == "blob" { s += $2 } END { printf "%.0f", s }')
trees=$(git cat-file --batch-all-objects --batch-check | grep -c ' tree ' || true)
ncommits=$(git rev-list --all --count)
merges=$(git rev-list --all --merges --count)
refs=$(git for-each-ref | wc -l)
pack_bytes=$(du -cb "$objects"/pack/*.pack | tail -1 | cut -f1)
planted=$(wc -l < "$planted_list")
echo "repo: $repo"
echo "  $ncommits commits ($merges merges), $refs refs, $blobs unique blobs ($blob_bytes bytes), $trees trees;" \
  "pack $pack_bytes bytes; $planted planted pairs; $(nproc) cores$([ -z "${NO_HYPERFINE:-}" ] && command -v hyperfine >/dev/null && echo ', hyperfine')"

cat "$objects"/pack/* >/dev/null # warm the page cache, then one unmeasured run of each
git cat-file --batch-all-objects --batch --unordered >/dev/null
floor=$(median_time "$runs" git cat-file --batch-all-objects --batch --unordered)
printf 'git cat-file --batch-all-objects --batch --unordered  %7.3f s   (the floor)\n' "$floor"
if [ -z "${SKIP_LOG:-}" ]; then
  git log -p --all >/dev/null
  log_t=$(median_time "$runs" git log -p --all)
  printf 'git log -p --all                                      %7.3f s   (%.2fx the floor)\n' \
    "$log_t" "$(echo "$log_t / $floor" | bc -l)"
fi

if ! "$kf" history --help >/dev/null 2>&1; then
  echo "keyfence history: not in this build ($kf)" >&2
  exit 2
fi
# One measured run for memory, CPU, the exit status and the report; it also warms keyfence up.
set +e
/usr/bin/time -f '%M %e %U %S' -o "$work/time" "$kf" history --format json -o "$work/report.json" 2>"$work/stderr"
rc=$?
set -e
read -r rss wall user sys < <(tail -1 "$work/time") # GNU time first notes a non-zero status
kf_t=$(median_time "$runs" "$kf" history --format json -o /dev/null)
printf 'keyfence history --format json                        %7.3f s   (%.2fx the floor)\n' \
  "$kf_t" "$(echo "$kf_t / $floor" | bc -l)"
printf '  peak RSS %d KB (%.0f MB), CPU %.2f s user + %.2f s sys in a %.2f s run, exit status %d\n' \
  "$rss" "$(echo "$rss / 1024" | bc -l)" "$user" "$sys" "$wall" "$rc"
if [ -s "$work/stderr" ]; then
  echo "  stderr: $(head -c 600 "$work/stderr")"
fi
python3 - "$work/report.json" "$planted_list" <<'EOF'
import json, sys
try:
    report = json.load(open(sys.argv[1]))
except (OSError, ValueError) as e:
    sys.exit(f"  no JSON report: {e}")
planted = [line.split() for line in open(sys.argv[2]) if line.strip()]
findings = report.get("findings", [])
by_key = {}
for f in findings:
    by_key.setdefault(f.get("key_id"), []).append(f)
found, attributed, notes = 0, 0, []
for key, commit, path in planted:
    hits = by_key.get(key, [])
    if not hits:
        notes.append(f"  missed {key} (added in {commit[:12]} as {path})")
        continue
    found += 1
    if any(isinstance(f.get("commit"), str) and len(f["commit"]) >= 7 and commit.startswith(f["commit"])
           and f.get("path") == path for f in hits):
        attributed += 1
    else:
        seen = ", ".join(f"{str(f.get('commit'))[:12]}:{f.get('path')}" for f in hits)
        notes.append(f"  {key}: introduced by {commit[:12]}:{path}, reported at {seen}")
others = [f for f in findings if f.get("key_id") not in {k for k, _, _ in planted}]
print(f"  planted key IDs found: {found} of {len(planted)} ({attributed} attributed to the commit and path"
      f" that introduced them); {len(findings)} findings, {len(others)} not planted;"
      f" {len(report.get('errors', []))} errors")
print("  stats: " + json.dumps(report.get("stats"), sort_keys=True))
for n in notes:
    print(n)
for f in others[:5]:
    print(f"  not planted: {f.get('rule_id')} {f.get('path')} {str(f.get('commit'))[:12]}")
for e in report.get("errors", [])[:5]:
    print(f"  error: {json.dumps(e)[:300]}")
EOF
