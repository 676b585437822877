#!/usr/bin/env python3
"""Packs a release archive of keyfence and writes SHA-256 checksum files.

    make_archive.py archive BINARY SHARE_PREFIX NAME OUT_DIR
        OUT_DIR/NAME.tar.gz (NAME.zip when BINARY ends in .exe) holding NAME/bin/keyfence[.exe],
        NAME/share/... (the manual pages and completion scripts under SHARE_PREFIX/share) and
        NAME/share/doc/keyfence/{LICENSE,README.md}: extracted with --strip-components=1 into a
        prefix such as ~/.local, everything lands where man and the shells look.
    make_archive.py checksum FILE...
        FILE.sha256 beside each FILE, in `sha256sum` format (`sha256sum -c FILE.sha256`).

Entries are sorted, with fixed times and modes, so the same inputs give the same archive.
"""

import hashlib
import io
import os
import sys
import tarfile
import zipfile

MTIME = 315532800  # 1980-01-01, the earliest time a zip entry can hold


def entries(binary, share_prefix, name):
    """(path in the archive, bytes, executable?) for every file, sorted by path."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    exe = "keyfence.exe" if binary.endswith(".exe") else "keyfence"
    files = [(f"{name}/bin/{exe}", read(binary), True)]
    share = os.path.join(share_prefix, "share")
    if not os.path.isdir(share):
        sys.exit(f"{share}: no such directory (scripts/gen_share.sh writes it)")
    for dirpath, _, names in os.walk(share):
        for n in names:
            path = os.path.join(dirpath, n)
            rel = os.path.relpath(path, share_prefix).replace(os.sep, "/")
            files.append((f"{name}/{rel}", read(path), False))
    for doc in ("LICENSE", "README.md"):
        files.append((f"{name}/share/doc/keyfence/{doc}", read(os.path.join(root, doc)), False))
    return sorted(files)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def archive(binary, share_prefix, name, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    files = entries(binary, share_prefix, name)
    if binary.endswith(".exe"):
        out = os.path.join(out_dir, name + ".zip")
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for path, data, executable in files:
                info = zipfile.ZipInfo(path, (1980, 1, 1, 0, 0, 0))
                info.external_attr = (0o100755 if executable else 0o100644) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, data)
    else:
        out = os.path.join(out_dir, name + ".tar.gz")
        with tarfile.open(out, "w:gz", format=tarfile.PAX_FORMAT) as t:
            for path, data, executable in files:
                info = tarfile.TarInfo(path)
                info.size = len(data)
                info.mode = 0o755 if executable else 0o644
                info.mtime = MTIME
                t.addfile(info, io.BytesIO(data))
    print(out)
    return out


def checksum(paths):
    for path in paths:
        digest = hashlib.sha256(read(path)).hexdigest()
        with open(path + ".sha256", "w", newline="\n") as f:
            f.write(f"{digest}  {os.path.basename(path)}\n")
        print(f"{digest}  {path}")


def main(argv):
    if len(argv) == 6 and argv[1] == "archive":
        archive(*argv[2:])
    elif len(argv) >= 3 and argv[1] == "checksum":
        checksum(argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
