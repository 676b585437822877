#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into fuzz/corpus/<target>/seed-*.

  python3 fuzz/make_seeds.py

The seeds are small real-looking inputs: configurations from docs/, a baseline, `.git/index`
files and packs that the git binary writes for a tiny repository made here. No seed holds a
credential: the `scan` target expands `${keyid:AKIA:1}`-style templates itself, and
`scan_planted` plants its pair at run time. Rerun after a format change and commit the result.
"""
import os
import shutil
import struct
import subprocess
import tempfile
import zlib

FUZZ = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(FUZZ)
CORPUS = os.path.join(FUZZ, "corpus")


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def git(repo, *args, env=None):
    e = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", HOME=repo, GIT_AUTHOR_NAME="t",
             GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
             GIT_COMMITTER_EMAIL="t@example.com", GIT_AUTHOR_DATE="2020-01-01T00:00:00Z",
             GIT_COMMITTER_DATE="2020-01-01T00:00:00Z")
    e.update(env or {})
    return subprocess.run(["git", *args], cwd=repo, env=e, check=True,
                          capture_output=True).stdout


SCAN = {
    "ini": "[default]\naws_access_key_id = ${keyid:AKIA:1}\naws_secret_access_key = ${secret:1}\n"
           "region = eu-west-1\n",
    "env": "AWS_ACCESS_KEY_ID=${keyid:ASIA:2}\nAWS_SECRET_ACCESS_KEY=${secret:2}\n"
           "AWS_SESSION_TOKEN=${token:2}\n",
    "json": '{"Credentials": {"AccessKeyId": "${keyid:ASIA:2}", "SecretAccessKey": '
            '"${secret:2}", "SessionToken": "${token:2}"}}\n',
    "escaped": '{"config": "aws_access_key_id=${keyid:AKIA:1}\\naws_secret=${secret:1}"}\n',
    "directive": "# keyfence:allow\nkey = \"${keyid:AKIA:1}\"\nsecret = \"${secret:1}\"\n",
    "secret-only": "aws_secret_access_key: ${secret:1} # gitleaks:allow\nsecret = ${secret:2}\n",
    "prose": "Rotate keys regularly; AKIA marks long-term keys, ASIA temporary ones.\n",
}

PLANTED = {
    # First byte: where the rest splits into prefix and suffix (0..255 of its length).
    "ini": b"\x80[default]\nregion = us-east-1\noutput = json\n[other]\nregion = eu-west-1\n",
    "python": b"\x60import boto3\n\ndef client():\n    return boto3.client(\n        's3',\n"
              b"    )\n",
    "json": b'\x40{"a": "QUtJQ", "secret": "%2F%2B\\/", "b": [1, 2, 3]}',
}

BASELINE = """{
  "version": 1,
  "findings": [
    {
      "fingerprint": "3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a",
      "rule_id": "aws-access-key",
      "path": "config/dev.ini",
      "preview": "AKIAIOSFODNN7EXAMPLE / wJal****"
    },
    {
      "fingerprint": "0000000000000000000000000000000000000000000000000000000000000001",
      "rule_id": "aws-secret-access-key",
      "path": "src/\\u00e9t\\u00e9.py",
      "preview": "****"
    }
  ]
}
"""


def pack_entries(pack, offsets):
    """(offset, type, payload) of each entry of `pack` at `offsets`, payload inflated."""
    out = []
    for off in sorted(offsets):
        at = off
        c = pack[at]
        at += 1
        kind = (c >> 4) & 7
        while c & 0x80:
            c = pack[at]
            at += 1
        if kind == 6:
            c = pack[at]
            at += 1
            while c & 0x80:
                c = pack[at]
                at += 1
        elif kind == 7:
            at += 20
        out.append((off, kind, zlib.decompressobj().decompress(pack[at:])))
    return out


def idx_objects(idx):
    """(oid, offset) of a version-2 pack index (no 64-bit offsets in these small packs)."""
    count = struct.unpack(">I", idx[8 + 255 * 4:8 + 256 * 4])[0]
    shas = 8 + 256 * 4
    offs = shas + count * 24
    return [(idx[shas + i * 20:shas + i * 20 + 20],
             struct.unpack(">I", idx[offs + i * 4:offs + i * 4 + 4])[0]) for i in range(count)]


def main():
    for target in ("scan", "scan_planted", "config", "baseline", "index_file", "pack"):
        shutil.rmtree(os.path.join(CORPUS, target), ignore_errors=True)
    for name, text in SCAN.items():
        write("scan", name, text)
    for name, data in PLANTED.items():
        write("scan_planted", name, data)

    with open(os.path.join(ROOT, "docs", "config-example.toml")) as f:
        write("config", "example", f.read())
    with open(os.path.join(ROOT, ".keyfence.toml")) as f:
        write("config", "repository", f.read())
    write("config", "minimal", "pairing_window_lines = 3\ndisabled_rules = [\"aws-access-key-id\"]\n")
    write("config", "rule", "[[rules]]\nid = \"t\"\ndescription = \"d\"\nseverity = \"low\"\n"
          "keywords = [\"tok_\"]\nregex = '''tok_(?P<secret>[a-z0-9]{8,})'''\n"
          "[rules.allowlist]\nstopwords = [\"test\"]\nregex_target = \"match\"\n"
          "[[overrides]]\nrule = \"t\"\nseverity = \"critical\"\n")
    write("baseline", "two", BASELINE)
    write("baseline", "empty", '{"version": 1, "findings": []}')

    with tempfile.TemporaryDirectory() as repo:
        git(repo, "init", "-q")
        base = "".join(f"line {i}: some configuration text for the delta\n" for i in range(60))
        os.makedirs(os.path.join(repo, "dir", "sub"))
        for n in range(3):
            for path in ("a.txt", "dir/b.txt", "dir/sub/c.txt"):
                with open(os.path.join(repo, path), "w") as f:
                    f.write(base.replace("line 1", f"line {n} {path}") + f"version {n}\n")
            git(repo, "add", ".")
            git(repo, "commit", "-qm", f"commit {n}")
        index = os.path.join(repo, ".git", "index")
        for version in ("2", "3", "4"):
            git(repo, "update-index", "--index-version", version)
            with open(index, "rb") as f:
                write("index_file", f"v{version}", f.read())
        with open(os.path.join(repo, "new.txt"), "w") as f:
            f.write("new\n")
        git(repo, "add", "-N", "new.txt")  # intent-to-add: an extended entry (version 3)
        with open(os.path.join(repo, "a.txt"), "a") as f:
            f.write("more\n")
        git(repo, "add", "a.txt")  # an invalidated cache-tree node
        with open(index, "rb") as f:
            write("index_file", "intent-to-add", f.read())

        for name, config in (("ofs", "true"), ("ref", "false")):
            git(repo, "-c", f"repack.useDeltaBaseOffset={config}", "repack", "-adfq",
                "--window=10", "--depth=5")
            packdir = os.path.join(repo, ".git", "objects", "pack")
            stem = [p[:-4] for p in os.listdir(packdir) if p.endswith(".idx")][0]
            with open(os.path.join(packdir, stem + ".idx"), "rb") as f:
                idx = f.read()
            with open(os.path.join(packdir, stem + ".pack"), "rb") as f:
                pack = f.read()
            objects = idx_objects(idx)
            write("pack", f"idx-{name}", b"\x00" + idx)
            write("pack", f"pack-{name}", b"\x04" + struct.pack(">I", len(idx)) + idx + pack)
            offsets = sorted(o for _, o in objects)[:255]
            write("pack", f"offsets-{name}", b"\x03" + bytes([len(offsets)])
                  + b"".join(struct.pack(">I", o) for o in offsets) + pack)
            entries = pack_entries(pack, offsets)
            for off, kind, payload in entries:
                if kind == 6:
                    header = pack[off:off + 8]
                    write("pack", f"entry-{name}", b"\x01" + struct.pack(">I", off)[1:] + header)
                    break
            # A delta with its base: the base is the object it was made against, found by
            # applying the delta's sizes (the first whole object of the base's size).
            by_size = {len(p): p for _, k, p in entries if k in (1, 2, 3, 4)}
            for _, kind, payload in entries:
                if kind in (6, 7):
                    size, shift, at = 0, 0, 0
                    while True:
                        c = payload[at]
                        at += 1
                        size |= (c & 0x7F) << shift
                        shift += 7
                        if not c & 0x80:
                            break
                    if size in by_size:
                        base = by_size[size]
                        write("pack", f"delta-{name}",
                              b"\x02" + struct.pack(">H", len(base)) + base + payload)
                        break


if __name__ == "__main__":
    main()
