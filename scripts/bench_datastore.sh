#!/usr/bin/env bash
# Datastore benchmark: what `--datastore` costs on a first history run, what an incremental run
# costs after new commits, and the store's size.
#
#   scripts/bench_datastore.sh [NEW_COMMITS]
#
# On a clone of git/git's master (REPO=PATH names another repository; default: a
# `git clone --no-local --single-branch --branch master` of the snapshot at
# /work/.mirror/git+git/repo, or $SNAPSHOT, kept in ${TMPDIR:-/tmp}), prints medians over RUNS
# interleaved rounds (default 3; KEYFENCE=BINARY times that binary instead of building one) of:
#   - `keyfence history --format json -o /dev/null` (no store),
#   - the same with `--datastore` on a new store (the first run),
# and their paired ratio (target ≤ 1.10); then adds NEW_COMMITS commits (default 10: each adds a
# file and changes one) to a copy of the clone and times, over RUNS rounds, the incremental run
# from a copy of the first run's store, and its ratio to the first run (target ≤ 0.05); then the
# store's size on disk and that the incremental report lists what a full run of the copy does.
set -euo pipefail
new_commits=${1:-10}
runs=${RUNS:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
snapshot=${SNAPSHOT:-/work/.mirror/git+git/repo}
repo=${REPO:-${TMPDIR:-/tmp}/keyfence-bench-datastore-master}

# shellcheck source=scripts/bench_lib.sh
. "$root/scripts/bench_lib.sh"
find_keyfence
kf=${kf:?}

if [ -z "${REPO:-}" ] && [ ! -d "$repo/.git" ]; then
  rm -rf "$repo"
  echo "cloning master of $snapshot into $repo..." >&2
  git clone -q --no-local --single-branch --branch master "$snapshot" "$repo"
fi
git -C "$repo" rev-parse --git-dir >/dev/null
echo "repo: $repo: $(git -C "$repo" rev-list --all --count) commits, $(nproc) cores"
cat "$(git -C "$repo" rev-parse --path-format=absolute --git-path objects)"/pack/* >/dev/null

# The changed copy: the clone with NEW_COMMITS more commits (shares its objects).
changed=$work/changed
git clone -q --shared "$repo" "$changed"
# The same repository to the store: it is named by its origin's URL.
git -C "$changed" remote set-url origin "$(git -C "$repo" remote get-url origin)"
git -C "$changed" config user.name "Bench"
git -C "$changed" config user.email "bench@example.com"
for i in $(seq 1 "$new_commits"); do
  printf 'bench change %s\n' "$i" > "$changed/bench-$i.txt"
  printf 'a line added by the benchmark, %s\n' "$i" >> "$changed/README.md"
  git -C "$changed" add -A
  git -C "$changed" commit -q --no-verify -m "bench $i"
done

plain() { (cd "$repo" && "$kf" history --format json -o /dev/null) || true; }
stored() { rm -f "$work/first.db"*; (cd "$repo" && "$kf" history --datastore "$work/first.db" --format json -o /dev/null) 2>/dev/null || true; }
plain; stored # warm up
# One run: "WALL CPU" seconds (CPU: user + system, less moved by other load than wall time).
timed() { /usr/bin/time -f '%e %U %S' -o "$work/t" "$@" >/dev/null 2>&1 || true; tail -1 "$work/t" | awk '{ print $1, $2 + $3 }'; }
no_store() { cd "$repo" && timed "$kf" history --format json -o /dev/null; }
with_store() { rm -f "$work/first.db"*; cd "$repo" && timed "$kf" history --datastore "$work/first.db" --format json -o /dev/null; }
for r in $(seq 1 "$runs"); do
  # Interleaved, the order swapped every round.
  if [ $((r % 2)) -eq 1 ]; then a=$(no_store); b=$(with_store); else b=$(with_store); a=$(no_store); fi
  echo "round $r: no store (wall cpu) $a, first run with the store $b" >&2
  printf '%s %s\n' "$a" "$b" >> "$work/first.times"
done
stored # the store of the first run, kept for the incremental rounds
med() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
plain_t=$(cut -d' ' -f1 "$work/first.times" | med)
first_t=$(cut -d' ' -f3 "$work/first.times" | med)
plain_c=$(cut -d' ' -f2 "$work/first.times" | med)
first_c=$(cut -d' ' -f4 "$work/first.times" | med)
ratio=$(awk '{ print $3 / $1 }' "$work/first.times" | med)
ratio_c=$(awk '{ print $4 / $2 }' "$work/first.times" | med)
printf 'history, no store                 %7.3f s wall, %7.3f s CPU\n' "$plain_t" "$plain_c"
printf 'history --datastore, first run    %7.3f s wall, %7.3f s CPU   (paired ratios %.3f wall, %.3f CPU; target <= 1.10)\n' \
  "$first_t" "$first_c" "$ratio" "$ratio_c"

for r in $(seq 1 "$runs"); do
  cp "$work/first.db" "$work/inc.db"
  t=$(median_time 1 bash -c "cd '$changed' && '$kf' history --datastore '$work/inc.db' --format json -o /dev/null")
  echo "round $r: incremental $t s" >&2
  echo "$t" >> "$work/inc.times"
done
inc_t=$(med < "$work/inc.times")
printf 'after %s new commits, incremental %7.3f s   (%.4f of the first run; target <= 0.05)\n' \
  "$new_commits" "$inc_t" "$(echo "$inc_t / $first_t" | bc -l)"
cp "$work/first.db" "$work/inc.db"
(cd "$changed" && "$kf" history --datastore "$work/inc.db" --format json -o "$work/inc.json") 2>"$work/inc.err" || true
(cd "$changed" && "$kf" history --format json -o "$work/full.json") 2>/dev/null || true
python3 - "$work/inc.json" "$work/full.json" <<'PY'
import json, sys
key = lambda f: (f["fingerprint"], f["path"], f["commit"] or "", f["line"])
inc, full = (json.load(open(p)) for p in sys.argv[1:3])
same = sorted(map(key, inc["findings"])) == sorted(map(key, full["findings"]))
s = inc["stats"]
print(f"incremental run: {s['commits_scanned']} commits walked, {s['files_scanned']} blobs read, "
      f"{s['blobs_known']} known; findings {'the same as' if same else 'DIFFERENT from'} a full run "
      f"({len(full['findings'])})")
PY
size=$(du -cb "$work/first.db"* | tail -1 | cut -f1)
blobs=$(python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute("select coalesce(sum(length(oids)), 0) / 20 from blobs").fetchone()[0])' "$work/first.db")
printf 'store after the first run: %s bytes (%s blob ids)\n' "$size" "$blobs"
