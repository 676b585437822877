#!/usr/bin/env bash
# Builds what a release ships for one target: the wheel (maturin, `bindings = "bin"`) and the
# standalone archive (keyfence-VERSION-TARGET.tar.gz, .zip on Windows), each with a .sha256 file,
# into OUT_DIR (default dist/). .github/workflows/release.yml runs it once per target and .ci/run
# runs it for x86_64-unknown-linux-musl, so CI builds exactly what a release would.
#
#   1. cargo build --release --locked --target TARGET: the binary (symbols stripped)
#   2. scripts/gen_share.sh: manual pages and completions from that binary (KEYFENCE_SHARE_BIN
#      names another binary where TARGET's cannot run here)
#   3. maturin build --release --locked --target TARGET: the wheel around the binary of step 1
#      (cargo has nothing left to compile) and the pages of step 2; Linux musl binaries are
#      static, so their wheel is tagged manylinux2014 and musllinux_1_2 (glibc and musl alike)
#   4. scripts/make_archive.py: the archive and the checksums
#
# Needs maturin on PATH (packaging/requirements-build.txt) and TARGET's Rust standard library
# (`rustup target add TARGET`; Linux musl targets also need musl-gcc, Debian's musl-tools).
# Usage: scripts/release_build.sh TARGET [OUT_DIR]
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 TARGET [OUT_DIR]" >&2; exit 2; }
target=$1
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${2:-$root/dist}" && cd "${2:-$root/dist}" && pwd)
cd "$root"
python=$(command -v python3 || command -v python)
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
[ -n "$version" ] || { echo "no version in Cargo.toml" >&2; exit 2; }
# A profile setting, not a maturin flag: both builds then share one fingerprint.
export CARGO_PROFILE_RELEASE_STRIP=symbols
exe=keyfence
case "$target" in *windows*) exe=keyfence.exe ;; esac
compat=()
case "$target" in *linux-musl*) compat=(--compatibility manylinux2014 musllinux_1_2) ;; esac

t0=$SECONDS
cargo build --release --locked --target "$target"
binary="target/$target/release/$exe"
echo "release_build: cargo build $((SECONDS - t0))s"

t0=$SECONDS
bash scripts/gen_share.sh "${KEYFENCE_SHARE_BIN:-$binary}" packaging/wheel-data/data
maturin build --release --locked --target "$target" "${compat[@]}" --out "$out"
wheel=$(ls -t "$out"/keyfence-"$version"-*.whl | head -n 1)
echo "release_build: wheel $((SECONDS - t0))s"

archive=$("$python" scripts/make_archive.py archive "$binary" packaging/wheel-data/data \
  "keyfence-$version-$target" "$out")
"$python" scripts/make_archive.py checksum "$wheel" "$archive"
