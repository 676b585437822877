#!/usr/bin/env bash
# The wheel-based pre-commit hooks (packaging/pre-commit/, published as the keyfence-pre-commit
# mirror) through the real pre-commit framework, with no Rust toolchain on PATH and no package
# index: the mirror folder is made a git repository and tagged like a release, a real
# .pre-commit-config.yaml points at it, pip finds the keyfence wheel in WHEEL_DIR (and setuptools,
# which builds the mirror's empty package) through PIP_FIND_LINKS with PIP_NO_INDEX=1, and real
# `git commit` / `git push` run the installed hooks:
#
#   a staged synthetic AWS key pair stops the commit (aws-access-key in the output)
#   a harmless staged file commits
#   a push of a commit that adds a pair (committed with --no-verify) is stopped at pre-push
#
# It also prints how long `pre-commit install-hooks` took (a fresh PRE_COMMIT_HOME).
# Usage: scripts/test_pre_commit_wheel.sh WHEEL_DIR   (pre-commit on PATH, or PRE_COMMIT=path)
# Credentials are generated at run time (scripts/synthetic.py), never stored in the repository.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 WHEEL_DIR" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
wheels=$(cd "$1" && pwd)
pre_commit=${PRE_COMMIT:-$(command -v pre-commit)}
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)
ls "$wheels"/keyfence-"$version"-*.whl >/dev/null || { echo "no keyfence $version wheel in $wheels"; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The find-links directory: the keyfence wheel and a setuptools wheel, nothing from an index.
mkdir -p "$work/links"
cp "$wheels"/keyfence-"$version"-*.whl "$work/links/"
python3 -m pip download --quiet --only-binary=:all: --dest "$work/links" 'setuptools>=61'
synthetic=$(python3 -c '
import sys
sys.path.insert(0, sys.argv[1])
from synthetic import Synthetic
s = Synthetic(11)
print("[default]")
print("aws_access_key_id = " + s.key_id("AKIA"))
print("aws_secret_access_key = " + s.secret())
' "$root/scripts")

# No cargo, no rustc: only the system directories and pre-commit's own.
clean_path="$(dirname "$pre_commit"):/usr/bin:/bin"
for tool in cargo rustc rustup; do
  if PATH=$clean_path command -v "$tool" >/dev/null; then
    echo "$tool is on the clean PATH ($clean_path): cannot show an install without Rust"
    exit 2
  fi
done
export PATH=$clean_path HOME="$work/home" PRE_COMMIT_HOME="$work/pre-commit-home"
export PIP_NO_INDEX=1 PIP_FIND_LINKS="$work/links" PIP_DISABLE_PIP_VERSION_CHECK=1
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME="Test Author" GIT_AUTHOR_EMAIL=author@example.com
export GIT_COMMITTER_NAME="Test Author" GIT_COMMITTER_EMAIL=author@example.com
unset KEYFENCE GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE PRE_COMMIT_FROM_REF PRE_COMMIT_TO_REF PIP_INDEX_URL
mkdir -p "$HOME"
git config --global init.defaultBranch main

# The mirror as its own repository, tagged as the release workflow tags it.
cp -R "$root/packaging/pre-commit" "$work/mirror"
git -C "$work/mirror" init --quiet
git -C "$work/mirror" add -A
git -C "$work/mirror" commit --quiet -m "keyfence $version"
git -C "$work/mirror" tag "v$version"

failures=0
n=0
pass() { n=$((n + 1)); echo "PASS  $1"; }
fail() { n=$((n + 1)); failures=$((failures + 1)); echo "FAIL  $1"; sed 's/^/    | /' "$2"; }

repo="$work/project"
git init --quiet "$repo"
git init --quiet --bare "$work/remote.git"
git -C "$repo" remote add origin "$work/remote.git"
cat >"$repo/.pre-commit-config.yaml" <<EOF
repos:
  - repo: file://$work/mirror
    rev: v$version
    hooks:
      - id: keyfence
      - id: keyfence-pre-push
EOF
echo "# demo" >"$repo/README.md"
git -C "$repo" add -A
(cd "$repo" && "$pre_commit" install --hook-type pre-commit --hook-type pre-push) >/dev/null

log="$work/install.log"
t0=$(date +%s.%N)
if (cd "$repo" && "$pre_commit" install-hooks) >"$log" 2>&1; then
  t1=$(date +%s.%N)
  seconds=$(python3 -c "print(f'{$t1 - $t0:.1f}')")
  env_bin=$(find "$PRE_COMMIT_HOME" -path '*/py_env-*/bin/keyfence' | head -n 1)
  if [ -n "$env_bin" ] && "$env_bin" --version | grep -qx "keyfence $version"; then
    pass "pre-commit install-hooks: keyfence $version from the wheel, no Rust on PATH (${seconds}s)"
  else
    echo "no keyfence $version in the hook's environment" >>"$log"
    fail "pre-commit install-hooks put the wheel's keyfence in the hook environment" "$log"
  fi
else
  fail "pre-commit install-hooks" "$log"
fi

log="$work/commit-clean.log"
if git -C "$repo" commit -m "initial" >"$log" 2>&1 && grep -q 'keyfence.*Passed' "$log"; then
  pass "a harmless commit passes the hook"
else
  fail "a harmless commit passes the hook" "$log"
fi

printf '%s\n' "$synthetic" >"$repo/credentials"
git -C "$repo" add credentials
log="$work/commit-pair.log"
if git -C "$repo" commit -m "add config" >"$log" 2>&1; then
  fail "a staged AWS key pair stops the commit (it was committed)" "$log"
elif grep -q 'aws-access-key' "$log" && grep -q 'keyfence.*Failed' "$log"; then
  pass "a staged AWS key pair stops the commit"
else
  fail "a staged AWS key pair stops the commit (no aws-access-key finding)" "$log"
fi

log="$work/push-clean.log"
if git -C "$repo" push --quiet origin main >"$log" 2>&1 && grep -q 'keyfence.*Passed' "$log"; then
  pass "a push of harmless commits passes the pre-push hook"
else
  fail "a push of harmless commits passes the pre-push hook" "$log"
fi

git -C "$repo" commit --quiet --no-verify -m "add config" >/dev/null
log="$work/push-pair.log"
if git -C "$repo" push origin main >"$log" 2>&1; then
  fail "a push adding an AWS key pair is stopped (it was pushed)" "$log"
elif grep -q 'aws-access-key' "$log"; then
  pass "a push adding an AWS key pair is stopped at pre-push"
else
  fail "a push adding an AWS key pair is stopped (no aws-access-key finding)" "$log"
fi

echo
if [ "$failures" -ne 0 ]; then
  echo "pre-commit wheel hooks: $failures of $n cases FAILED"
  exit 1
fi
echo "pre-commit wheel hooks: all $n cases passed"
