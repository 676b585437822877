#!/usr/bin/env bash
# Validates keyfence's SARIF output against the official SARIF 2.1.0 JSON schema.
#
# The schema comes from the npm package @microsoft/jest-sarif (lib/schemas/sarif-2.1.0-rtm.5.json),
# installed into .ci/cache; the validator is Python's jsonschema (installed with pip if missing).
# Every finding kind is produced from a generated fixture (scripts/make_fixture.py), plus a scan
# error; with SARIF_EXTRA=FILE..., further SARIF files (e.g. from git modes) are validated too.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache="$root/.ci/cache"
schema="$cache/node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"
kf=${KEYFENCE:-"$root/target/debug/keyfence"}

if [ ! -f "$schema" ]; then
  mkdir -p "$cache"
  npm install --prefix "$cache" --no-save --no-audit --no-fund --silent @microsoft/jest-sarif >/dev/null
fi
python3 -c 'import jsonschema' 2>/dev/null || python3 -m pip install --quiet jsonschema
[ -x "$kf" ] || cargo build --quiet --manifest-path "$root/Cargo.toml"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$root/scripts/make_fixture.py" "$work/fixture"
set +e
"$kf" scan "$work/fixture" --format sarif -o "$work/scan.sarif"
code=$?
set -e
[ "$code" = 1 ] || { echo "expected exit 1 (findings), got $code"; exit 1; }

# The same findings from the git modes: history, and ci on a range (commit, author, date).
repo="$work/repo"
mkdir -p "$repo"
g() { git -C "$repo" -c user.name=ci -c user.email=ci@example.com -c commit.gpgsign=false "$@"; }
g init -q
echo "base" > "$repo/README"
g add -A && g commit -qm base
cp -r "$work/fixture/." "$repo/"
g add -A && g commit -qm fixture
set +e
(cd "$repo" && "$kf" history --format sarif -o "$work/history.sarif")
h=$?
(cd "$repo" && "$kf" ci --base HEAD~1 --format sarif -o "$work/ci.sarif")
c=$?
set -e
[ "$h" = 1 ] && [ "$c" = 1 ] || { echo "git modes: expected exit 1, got history $h, ci $c"; exit 1; }

python3 - "$schema" "$work/scan.sarif" "$work/history.sarif" "$work/ci.sarif" ${SARIF_EXTRA:-} <<'PY'
import json, sys
import jsonschema

schema = json.load(open(sys.argv[1]))
validator = jsonschema.Draft7Validator(schema)
expected = {"aws-access-key", "aws-temporary-credentials", "aws-temporary-key-missing-token",
            "aws-secret-access-key", "aws-access-key-id", "aws-bedrock-api-key",
            "aws-bedrock-short-term-key", "aws-presigned-url", "aws-ses-smtp-credentials",
            "aws-session-token", "amazon-mws-auth-token"}
for i, path in enumerate(sys.argv[2:]):
    log = json.load(open(path))
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    for e in errors[:20]:
        print(f"{path}: {'/'.join(map(str, e.path))}: {e.message}")
    if errors:
        sys.exit(f"{path}: {len(errors)} schema errors")
    run = log["runs"][0]
    seen = {r["ruleId"] for r in run["results"]}
    if i <= 2:
        missing = expected - seen
        if missing:
            sys.exit(f"{path}: no result for {sorted(missing)}")
    if i == 0 and not run["invocations"][0]["toolExecutionNotifications"]:
        sys.exit(f"{path}: the scan error is not reported")
    if i in (1, 2):
        for r in run["results"]:
            assert len(r["properties"]["commit"]) == 40, r
    props = [r["properties"] for r in run["results"]]
    if i <= 2:
        assert any(p.get("expires") and p.get("region") == "eu-west-1" for p in props), props
        assert any(p.get("decoded") == ["utf-16le"] for p in props), props
    for r in run["results"]:
        assert r["partialFingerprints"]["keyfence/v1"], r
        assert r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1, r
    print(f"{path}: valid SARIF 2.1.0, {len(run['results'])} results, rules {sorted(seen)}")
PY
