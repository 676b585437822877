#!/usr/bin/env bash
# Directory scan benchmark: keyfence against ripgrep's literal search on the same tree.
#
#   scripts/bench.sh [SIZE_MB] [TREE_DIR]
#
# Builds (once) a ~SIZE_MB tree of source-like text with planted credential pairs, warms the page
# cache, and prints the median wall time of 3 runs of each command, and their ratio
# (KEYFENCE=BINARY times that binary instead of building one). Installs
# ripgrep with apt when it is missing. Numbers go in docs/PERFORMANCE.md.
set -euo pipefail
size_mb=${1:-1000}
tree=${2:-${TMPDIR:-/tmp}/keyfence-bench-tree-$size_mb}
root=$(cd "$(dirname "$0")/.." && pwd)

if ! command -v rg >/dev/null; then
  echo "installing ripgrep..." >&2
  (apt-get update -qq && apt-get install -y -qq ripgrep) >/dev/null || { echo "cannot install ripgrep" >&2; exit 2; }
fi
# shellcheck source=scripts/bench_lib.sh
. "$root/scripts/bench_lib.sh"
find_keyfence # KEYFENCE=BINARY times that binary instead of a fresh release build

if [ ! -f "$tree/.planted" ]; then
  rm -rf "$tree"; mkdir -p "$tree"
  echo "building $tree (~$size_mb MB)..." >&2
  python3 "$root/scripts/gen_tree.py" "$tree" "$size_mb" 20 > "$tree/.planted.tmp"
  mv "$tree/.planted.tmp" "$tree/.planted"
fi
files=$(find "$tree" -type f -not -name '.planted' | wc -l)
bytes=$(du -sb --exclude=.planted "$tree" | cut -f1)
planted=$(wc -l < "$tree/.planted")
echo "tree: $tree, $files files, $bytes bytes, $planted planted pairs; $(nproc) cores"

median() { sort -n | sed -n '2p'; }
time_it() { # prints seconds for one run of "$@"
  local s e
  s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N)
  echo "$e - $s" | bc -l
}
find "$tree" -type f -exec cat {} + >/dev/null # warm the page cache

rg_t=$(for _ in 1 2 3; do time_it rg -c -uuu 'AKIA|ASIA' "$tree"; done | median)
kf_t=$(for _ in 1 2 3; do time_it "$kf" scan "$tree" --format json -o /dev/null; done | median)
found=$("$kf" scan "$tree" --format jsonl | grep -c '"aws-access-key"' || true)
printf 'rg -c -uuu AKIA|ASIA   %6.3f s\n' "$rg_t"
printf 'keyfence scan          %6.3f s   (%.2fx ripgrep; %s of %s planted pairs found)\n' \
  "$kf_t" "$(echo "$kf_t / $rg_t" | bc -l)" "$found" "$planted"
