#!/usr/bin/env bash
# Runs keyfence's .pre-commit-hooks.yaml through the real pre-commit framework (`pre-commit
# try-repo`) in throwaway git repositories: a staged synthetic AWS key pair must stop the hook
# (with the `aws-access-key` finding in its output), a harmless staged file must pass.
#
#   keyfence-system           the debug binary ($KEYFENCE_BIN_DIR, default target/debug) on PATH
#   keyfence-pre-push-system  the same, at the pre-push stage (--from-ref/--to-ref)
#   keyfence-commit-msg-system  the same, at the commit-msg stage (--commit-msg-filename)
#   keyfence                  language: rust; pre-commit builds the crate itself with `cargo
#                             install` (a release build; CARGO_HOME is kept, so the crates cache
#                             is reused, and one target directory serves both cases)
#
# KEYFENCE_REPO (default: this repository) is the repository handed to try-repo; it snapshots
# uncommitted changes to tracked files but not untracked files, so run it on a clean clone.
# PRE_COMMIT_CASES=system skips the language: rust cases (no release build).
# Credentials are generated at run time (scripts/synthetic.py), never stored in the repository.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scripts_dir="$root/scripts"
repo=${KEYFENCE_REPO:-$root}
bin_dir=${KEYFENCE_BIN_DIR:-"$root/target/debug"}
cases=${PRE_COMMIT_CASES:-all}

if command -v pre-commit >/dev/null 2>&1; then
  pre_commit=(pre-commit)
else
  python3 -c 'import pre_commit' 2>/dev/null || python3 -m pip install --quiet pre-commit
  pre_commit=(python3 -m pre_commit)
fi
echo "using $("${pre_commit[@]}" --version)"
[ -x "$bin_dir/keyfence" ] || cargo build --quiet --manifest-path "$root/Cargo.toml"
[ -x "$bin_dir/keyfence" ] || { echo "no keyfence binary in $bin_dir"; exit 2; }
bin_dir=$(cd "$bin_dir" && pwd)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# cargo and rustup find their homes through HOME unless told; keep them before HOME moves.
export CARGO_HOME=${CARGO_HOME:-"$HOME/.cargo"}
export RUSTUP_HOME=${RUSTUP_HOME:-"$HOME/.rustup"}
# `cargo install --path` builds in the clone's own target directory; share one across cases.
export CARGO_TARGET_DIR=${PRE_COMMIT_CARGO_TARGET_DIR:-"$root/target/pre-commit-framework"}
# The hook's behaviour does not depend on optimisation, which makes the release build several
# times slower (the cases scan a few small files): off here unless PRE_COMMIT_RELEASE_PROFILE=full.
if [ "${PRE_COMMIT_RELEASE_PROFILE:-fast}" != full ]; then
  export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
  export CARGO_PROFILE_RELEASE_OPT_LEVEL=0
fi
export HOME="$work/home" GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME="Test Author" GIT_AUTHOR_EMAIL=author@example.com
export GIT_COMMITTER_NAME="Test Author" GIT_COMMITTER_EMAIL=author@example.com
unset KEYFENCE GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE PRE_COMMIT_FROM_REF PRE_COMMIT_TO_REF
mkdir -p "$HOME"

synthetic_pair() {
  python3 -c '
import sys
sys.path.insert(0, sys.argv[1])
from synthetic import Synthetic
s = Synthetic(7)
print("[default]")
print("aws_access_key_id = " + s.key_id("AKIA"))
print("aws_secret_access_key = " + s.secret())
' "$scripts_dir"
}

# A fresh repository with one commit; prints its path.
new_repo() {
  local dir="$work/$1"
  git init --quiet "$dir"
  echo "# demo" >"$dir/README.md"
  git -C "$dir" add README.md
  git -C "$dir" commit --quiet -m initial
  echo "$dir"
}

failures=0
n=0
# check NAME EXPECT(fail|pass) DIR try-repo-args...: runs try-repo in DIR and judges the result.
check() {
  local name=$1 expect=$2 dir=$3
  shift 3
  n=$((n + 1))
  local log="$work/case-$n.log" code=0
  (cd "$dir" && "${pre_commit[@]}" try-repo "$repo" "$@" --verbose) >"$log" 2>&1 || code=$?
  local ok=1 why=""
  if [ "$expect" = fail ]; then
    [ "$code" -ne 0 ] || { ok=0; why="exit 0, expected a failure"; }
    grep -q 'aws-access-key' "$log" || { ok=0; why="${why:+$why; }no aws-access-key finding in the output"; }
  else
    [ "$code" -eq 0 ] || { ok=0; why="exit $code, expected success"; }
    if grep -q 'aws-access-key' "$log"; then ok=0; why="${why:+$why; }a finding in the output"; fi
  fi
  if [ "$ok" = 1 ]; then
    echo "PASS  $name (exit $code)"
  else
    echo "FAIL  $name: $why"
    sed 's/^/    | /' "$log"
    failures=$((failures + 1))
  fi
}

# pre-commit stage: a staged credential fails, a harmless staged file passes.
commit_cases() {
  local hook=$1
  local dir
  dir=$(new_repo "$hook-credential")
  synthetic_pair >"$dir/credentials"
  git -C "$dir" add credentials
  check "$hook: staged AWS key pair is stopped" fail "$dir" "$hook"

  dir=$(new_repo "$hook-clean")
  echo "print('hello')" >"$dir/hello.py"
  git -C "$dir" add hello.py
  check "$hook: harmless staged file passes" pass "$dir" "$hook"
}

# pre-push stage: the range base..tip is what pre-commit passes as PRE_COMMIT_FROM/TO_REF.
push_cases() {
  local hook=$1
  local dir base
  dir=$(new_repo "$hook-credential")
  base=$(git -C "$dir" rev-parse HEAD)
  synthetic_pair >"$dir/credentials"
  git -C "$dir" add credentials
  git -C "$dir" commit --quiet -m "add config"
  check "$hook: pushed commit with an AWS key pair is stopped" fail "$dir" "$hook" \
    --hook-stage pre-push --from-ref "$base" --to-ref HEAD

  dir=$(new_repo "$hook-clean")
  base=$(git -C "$dir" rev-parse HEAD)
  echo "print('hello')" >"$dir/hello.py"
  git -C "$dir" add hello.py
  git -C "$dir" commit --quiet -m "add hello"
  check "$hook: pushed harmless commit passes" pass "$dir" "$hook" \
    --hook-stage pre-push --from-ref "$base" --to-ref HEAD
}

# commit-msg stage: a message holding a key pair fails (its comment lines are not the cause:
# the pair is in the text), a harmless message with a comment holding the pair passes (git's
# cleanup drops comment lines, so they are never committed).
commit_msg_cases() {
  local hook=$1
  local dir
  dir=$(new_repo "$hook-credential")
  { echo "fix deploy"; echo; synthetic_pair; } >"$work/$hook-leaky-msg"
  check "$hook: commit message with an AWS key pair is stopped" fail "$dir" "$hook" \
    --hook-stage commit-msg --commit-msg-filename "$work/$hook-leaky-msg"

  dir=$(new_repo "$hook-clean")
  { echo "add hello"; synthetic_pair | sed 's/^/# /'; } >"$work/$hook-clean-msg"
  check "$hook: harmless commit message passes" pass "$dir" "$hook" \
    --hook-stage commit-msg --commit-msg-filename "$work/$hook-clean-msg"
}

PATH="$bin_dir:$PATH" commit_cases keyfence-system
PATH="$bin_dir:$PATH" commit_msg_cases keyfence-commit-msg-system
PATH="$bin_dir:$PATH" push_cases keyfence-pre-push-system
if [ "$cases" = all ]; then
  # pre-commit builds keyfence from the repository and puts that build first on PATH.
  commit_cases keyfence
fi

echo
if [ "$failures" -ne 0 ]; then
  echo "pre-commit framework: $failures of $n cases FAILED"
  exit 1
fi
echo "pre-commit framework: all $n cases passed"
