#!/usr/bin/env bash
# Pre-receive benchmark: `keyfence pre-receive` inside a real push, against `git rev-list` of the
# same range in the same hook environment (quarantine included).
#
#   scripts/bench_pre_receive.sh [COMMITS] [FILES]
#
# Builds (once, cached) a synthetic repository with scripts/gen_history.py (COMMITS commits,
# default 5000, over a project of FILES files, default 50000), then a bare server repository that
# has the history of main up to `base`, the first-parent ancestor of main 1,000 commits behind
# it, with a measuring pre-receive hook. Two real `git push`es over file:// follow:
#   - one commit on top of `base` that edits one file (the everyday push),
#   - main: the 1,000 commits (merges and merged topic commits included) beyond `base`.
# The hook runs, RUNS times each (default 5) and in the hook's own environment (the pushed
# objects still in the quarantine): `keyfence pre-receive` with git's input, `git rev-list NEW
# --not --all` and `git rev-list --objects NEW --not --all` (what receive-pack's connectivity
# check walks); it prints the medians and rejects the push, so the next run starts from the same
# state. KEYFENCE=BINARY times that binary instead of building one; THREADS=N passes --threads.
# Numbers go in docs/PERFORMANCE.md.
set -euo pipefail
commits=${1:-5000}
files=${2:-50000}
runs=${RUNS:-5}
repo=${TMPDIR:-/tmp}/keyfence-bench-history-$commits-$files
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# shellcheck source=scripts/bench_lib.sh
. "$root/scripts/bench_lib.sh"
find_keyfence
[ -x "$kf" ] || { echo "no keyfence binary: $kf" >&2; exit 1; }

if [ ! -f "$repo.planted" ]; then
  rm -rf "$repo"
  echo "building $repo ($commits commits, $files files; several minutes)..." >&2
  python3 "$root/scripts/gen_history.py" "$repo" "$commits" "$files" > "$repo.planted.tmp"
  mv "$repo.planted.tmp" "$repo.planted"
fi

export GIT_CONFIG_NOSYSTEM=1 HOME=$work
git config --global user.name bench
git config --global user.email bench@example.com
# base: the first-parent ancestor of main with at least 1,000 commits between it and main.
lo=1 hi=$(git -C "$repo" rev-list --first-parent --count main)
hi=$((hi - 1))
while [ "$lo" -lt "$hi" ]; do
  mid=$(((lo + hi) / 2))
  if [ "$(git -C "$repo" rev-list --count "main~$mid..main")" -ge 1000 ]; then hi=$mid; else lo=$((mid + 1)); fi
done
git -C "$repo" branch -f base "main~$lo"
srv=$work/srv.git
git clone -q --bare --no-local --single-branch --branch base --no-tags "$repo" "$srv"
git -C "$srv" config receive.unpackLimit 100
git -C "$srv" repack -q -ad

cat > "$srv/hooks/pre-receive" <<'HOOK'
#!/usr/bin/env python3
# Measures keyfence pre-receive and git rev-list in the hook's environment, then rejects.
import os, statistics, subprocess, sys, time
data = sys.stdin.buffer.read()
new = data.split()[1].decode()
kf = [os.environ["KF"], "pre-receive"] + (["--threads", os.environ["THREADS"]] if os.environ.get("THREADS") else [])
def median(cmd, stdin=b""):
    times, out = [], None
    for _ in range(int(os.environ["RUNS"])):
        start = time.perf_counter()
        out = subprocess.run(cmd, input=stdin, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times), out
k, out = median(kf, data)
r, _ = median(["git", "rev-list", new, "--not", "--all"])
ro, objs = median(["git", "rev-list", "--objects", new, "--not", "--all"])
n = len(subprocess.run(["git", "rev-list", new, "--not", "--all"], capture_output=True).stdout.split())
sys.stderr.write(out.stderr.decode())
print(f"BENCH commits={n} objects={len(objs.stdout.splitlines())} keyfence={k:.3f}s "
      f"rev-list={r:.3f}s rev-list-objects={ro:.3f}s exit={out.returncode}", file=sys.stderr)
sys.exit(1)
HOOK
chmod +x "$srv/hooks/pre-receive"

echo "repo: $repo: $(git -C "$repo" rev-list --count --all) commits, $(git -C "$repo" ls-tree -r main | wc -l) files at main"
echo "keyfence: $kf ($("$kf" --version)), ${THREADS:-all} threads, $(nproc) cores, median of $runs runs"

# One commit on top of base that edits one file.
wt=$work/wt
git -C "$repo" worktree add -q --detach "$wt" base
f=$(git -C "$wt" ls-files | sed -n '1000p')
echo "one more line" >> "$wt/$f"
git -C "$wt" commit -q -am "edit one file"
echo "push of 1 commit:"
KF=$kf RUNS=$runs git -C "$wt" push "$srv" HEAD:refs/heads/one 2>&1 | grep -E "BENCH|keyfence:" | sed 's/^remote: /  /' || true
git -C "$repo" worktree remove --force "$wt"

echo "push of main ($(git -C "$repo" rev-list --count base..main) commits beyond base):"
KF=$kf RUNS=$runs git -C "$repo" push "$srv" main 2>&1 | grep -E "BENCH|keyfence:" | sed 's/^remote: /  /' || true
