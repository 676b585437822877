#!/usr/bin/env python3
"""Writes a directory holding one file per keyfence finding kind, for report validation.

  make_fixture.py DIR
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synthetic import Synthetic, b64encode  # noqa: E402


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    g = Synthetic(2026)
    files = {
        "access key/credentials": f"[default]\naws_access_key_id = {g.key_id()}\naws_secret_access_key = {g.secret()}\n",
        "temporary.env": f"AWS_ACCESS_KEY_ID={g.key_id('ASIA')}\nAWS_SECRET_ACCESS_KEY={g.secret()}\nAWS_SESSION_TOKEN={g.token()}\n",
        "missing-token.env": f"AWS_ACCESS_KEY_ID={g.key_id('ASIA')}\nAWS_SECRET_ACCESS_KEY={g.secret()}\n",
        "secret-only.env": f"AWS_SECRET_ACCESS_KEY={g.secret()}\n",
        "key-id-only.log": f"AccessDenied for access key {g.key_id()}\n",
        "bedrock.env": f"BEDROCK_KEY=ABSKQmVkcm9ja0FQSUtleS{g.b64(160)}\n"
                       f"AWS_BEARER_TOKEN_BEDROCK=bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t{g.b64(600)}\n",
        "k8s-secret.yaml": f"kind: Secret\ndata:\n  AWS_ACCESS_KEY_ID: {b64encode(g.key_id())}\n"
                           f"  AWS_SECRET_ACCESS_KEY: {b64encode(g.secret())}\n",
    }
    for rel, text in files.items():
        path = os.path.join(out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    link = os.path.join(out, "dangling-link")
    if not os.path.lexists(link):
        os.symlink("nowhere", link)


if __name__ == "__main__":
    main()
