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
        "presigned.txt": "download: https://bucket.s3.amazonaws.com/report.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                         f"&X-Amz-Credential={g.key_id()}%2F20261101%2Feu-west-1%2Fs3%2Faws4_request"
                         "&X-Amz-Date=20261101T120000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
                         f"&X-Amz-Signature={g.hex(64)}\n",
        "ses.properties": "mail.smtp.host=email-smtp.eu-west-1.amazonaws.com\n"
                          f"mail.smtp.user={g.key_id()}\nmail.smtp.password={g.ses_password()}\n",
        "session-token.sh": f"export AWS_SESSION_TOKEN={g.token()}\n",
        "mws.env": f"MWS_AUTH_TOKEN=amzn.mws.{g.uuid()}\n",
    }
    # A UTF-16 file (with its byte order mark): the finding says how it was decoded.
    files_utf16 = {
        "windows/credentials.txt": f"[default]\r\naws_access_key_id = {g.key_id()}\r\n"
                                   f"aws_secret_access_key = {g.secret()}\r\n",
    }
    for rel, text in files_utf16.items():
        path = os.path.join(out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(text.encode("utf-16"))
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
