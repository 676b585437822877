# Shared by the benchmark scripts: the keyfence binary to time, and the median wall time of
# repeated runs of a command. Source it after setting `root` (the repository) and `work` (a
# scratch directory).

# Sets `kf`: $KEYFENCE when given (not rebuilt), else a fresh release build. When the build
# fails, `kf` says so and the script times the git commands only.
find_keyfence() {
  if [ -n "${KEYFENCE:-}" ]; then
    kf=$KEYFENCE
  else
    kf="$root/target/release/keyfence"
    cargo build --release --quiet --manifest-path "$root/Cargo.toml" || {
      kf="(cargo build failed)"; echo "cargo build failed: timing git only" >&2; }
  fi
}

median_time() { # RUNS CMD...: median wall seconds of RUNS runs of CMD, after WARMUP (default 0)
  # unmeasured ones; hyperfine when installed (unless NO_HYPERFINE=1), else a timing loop
  local n=$1 warm=${WARMUP:-0}; shift
  if [ -z "${NO_HYPERFINE:-}" ] && command -v hyperfine >/dev/null; then
    hyperfine -N -i --style none --warmup "$warm" --runs "$n" --export-json "$work/hf.json" "$(printf '%q ' "$@")" >/dev/null 2>&1
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$work/hf.json"
  else
    python3 - "$n" "$warm" "$@" <<'EOF'
import statistics, subprocess, sys, time
times = []
for i in range(int(sys.argv[1]) + int(sys.argv[2])):
    start = time.perf_counter()
    subprocess.run(sys.argv[3:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    if i >= int(sys.argv[2]):
        times.append(time.perf_counter() - start)
print(statistics.median(times))
EOF
  fi
}
