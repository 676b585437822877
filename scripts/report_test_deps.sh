#!/usr/bin/env bash
# What the report tests need beyond cargo and moto:
# - Debian's `chromium`, which tests/it/report_html.rs drives headless (apt: about 1-2 minutes
#   and ~300 MB installed on a fresh image; nothing when it is there);
# - Python's `jsonschema`, which validates `--format gitlab` against GitLab's schema
#   (tests/it/report_grouped.rs); pip, else Debian's python3-jsonschema.
# The AWS CLI that tests/it/remediation.rs runs is installed by the test itself into a
# virtualenv under the target directory when `aws` is not on PATH (like moto).
set -euo pipefail

if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
chromium --version 2>/dev/null | grep -v 'unexpected operator' || true

if ! python3 -c 'import jsonschema' 2>/dev/null; then
  python3 -m pip install --quiet jsonschema 2>/dev/null || {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-jsonschema >/dev/null
  }
fi
python3 -c 'import importlib.metadata as m; print("jsonschema", m.version("jsonschema"))'
