#!/usr/bin/env bash
# Runs keyfence's coverage-guided fuzz targets (fuzz/, cargo-fuzz on a nightly toolchain) one
# after another, each for a bounded time; exits non-zero on the first crash, whose input is
# left in fuzz/artifacts/<target>/ (reproduce: cargo +nightly fuzz run <target> <file>).
#
#   scripts/fuzz.sh [TARGET...]      all targets when none is named
#   KEYFENCE_FUZZ_SECONDS=300 scripts/fuzz.sh pack   (default: 20 s each)
#
# Installs the nightly toolchain and cargo-fuzz when missing. Each target starts from its seeds
# in fuzz/corpus/<target>/ (committed) and the corpus it grew before in
# fuzz/target/corpus/<target>/ (never committed).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${KEYFENCE_FUZZ_SECONDS:-20}"
all=(scan scan_planted config baseline index_file pack)
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=("${all[@]}")

rustup toolchain list | grep '^nightly' >/dev/null || rustup toolchain install nightly --profile minimal
cargo +nightly fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked

# Longest input per target: enough for the formats' interesting structure, short enough to stay
# fast; and a dictionary of the tokens each format is made of.
options() {
  case "$1" in
    scan) echo "-max_len=16384 -dict=fuzz/dict/scan.dict" ;;
    scan_planted) echo "-max_len=8192 -dict=fuzz/dict/scan.dict" ;;
    config) echo "-max_len=4096 -dict=fuzz/dict/config.dict" ;;
    baseline) echo "-max_len=4096" ;;
    index_file) echo "-max_len=8192 -dict=fuzz/dict/git.dict" ;;
    pack) echo "-max_len=65536 -dict=fuzz/dict/git.dict" ;;
    *) echo "unknown fuzz target: $1 (targets: ${all[*]})" >&2; return 2 ;;
  esac
}

# The pack target writes each input to files: keep them in memory when possible.
[ -w /dev/shm ] && export TMPDIR=/dev/shm

cargo +nightly fuzz build
for t in "${targets[@]}"; do
  opts=$(options "$t")
  mkdir -p "fuzz/target/corpus/$t"
  echo "== fuzz $t for ${seconds}s"
  # No allocation may exceed what the input's own sizes allow: 512 MiB is far past that for
  # every target at these lengths. A single input taking 10 s is a hang. libFuzzer's progress
  # lines and recommended dictionary are left out of the log.
  # shellcheck disable=SC2086
  cargo +nightly fuzz run "$t" "fuzz/target/corpus/$t" "fuzz/corpus/$t" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 \
    -print_final_stats=1 $opts 2>&1 | grep -v -e '^#[0-9]' -e '^"' || { echo "fuzz $t: crashed" >&2; exit 1; }
done
