#!/usr/bin/env bash
# Time from `pre-commit install-hooks` to a ready hook, first use (a fresh PRE_COMMIT_HOME each
# time), for the wheel-based hook (packaging/pre-commit/, language: python, the keyfence wheel
# from WHEEL_DIR, no index) against the `language: rust` hook (.pre-commit-hooks.yaml at this
# repository's HEAD: pre-commit runs `cargo install` of the crate, release profile, in a fresh
# target directory; CARGO_HOME is kept, so crates are not downloaded again: the rust numbers are a
# lower bound for a laptop that has never fetched them). Rounds alternate the two, so a change
# in the machine's load falls on both. Prints one line per install and the medians.
# Usage: scripts/bench_pre_commit_install.sh WHEEL_DIR [ROUNDS]   (pre-commit on PATH, or PRE_COMMIT=path)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
wheels=$(cd "$1" && pwd)
rounds=${2:-2}
pre_commit=${PRE_COMMIT:-$(command -v pre-commit)}
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CARGO_HOME=${CARGO_HOME:-"$HOME/.cargo"} RUSTUP_HOME=${RUSTUP_HOME:-"$HOME/.rustup"}
unset CARGO_TARGET_DIR
mkdir -p "$work/links"
cp "$wheels"/keyfence-"$version"-*.whl "$work/links/"
python3 -m pip download --quiet --only-binary=:all: --dest "$work/links" 'setuptools>=61'
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
cp -R "$root/packaging/pre-commit" "$work/mirror"
git -C "$work/mirror" init --quiet && git -C "$work/mirror" add -A
git -C "$work/mirror" commit --quiet -m mirror && git -C "$work/mirror" tag "v$version"
rev=$(git -C "$root" rev-parse HEAD)

project() { # project NAME REPO REV HOOK
  local dir="$work/$1"
  git init --quiet "$dir"
  printf 'repos:\n  - repo: %s\n    rev: %s\n    hooks:\n      - id: %s\n' "$2" "$3" "$4" \
    >"$dir/.pre-commit-config.yaml"
  echo "$dir"
}
wheel_dir=$(project wheel "file://$work/mirror" "v$version" keyfence)
rust_dir=$(project rust "file://$root" "$rev" keyfence)

measure() { # measure KIND DIR: seconds of a first-use install-hooks
  local kind=$1 dir=$2 home="$work/home-$1-$3" t0 t1
  rm -rf "$home"
  t0=$(date +%s.%N)
  if [ "$kind" = wheel ]; then
    (cd "$dir" && env PATH="$(dirname "$pre_commit"):/usr/bin:/bin" PRE_COMMIT_HOME="$home" \
      PIP_NO_INDEX=1 PIP_FIND_LINKS="$work/links" "$pre_commit" install-hooks) >"$work/log" 2>&1
  else
    (cd "$dir" && env PRE_COMMIT_HOME="$home" "$pre_commit" install-hooks) >"$work/log" 2>&1
  fi || { cat "$work/log"; exit 1; }
  t1=$(date +%s.%N)
  rm -rf "$home"
  python3 -c "print(f'{$t1 - $t0:.1f}')"
}

wheel_times=() rust_times=()
for r in $(seq 1 "$rounds"); do
  s=$(measure rust "$rust_dir" "$r"); rust_times+=("$s"); echo "round $r  language: rust    ${s}s"
  s=$(measure wheel "$wheel_dir" "$r"); wheel_times+=("$s"); echo "round $r  wheel (python)   ${s}s"
done
python3 - "${#rust_times[@]}" "${rust_times[@]}" "${wheel_times[@]}" <<'PY'
import statistics, sys
n = int(sys.argv[1]); rust = list(map(float, sys.argv[2:2 + n])); wheel = list(map(float, sys.argv[2 + n:]))
r, w = statistics.median(rust), statistics.median(wheel)
print(f"median: language: rust {r:.1f}s, wheel {w:.1f}s, ratio {r / w:.1f}x")
PY
