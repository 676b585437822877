#!/usr/bin/env python3
"""Builds a reproducible tree of source-like text with a few planted AWS credential pairs.

  gen_tree.py DIR SIZE_MB [PLANTED]

The tree mimics many releases of one project side by side: a pool of distinct files is generated
once and written again under each release directory with small edits, until SIZE_MB is reached.
Planted credentials are generated here with a valid structure (random base32 key IDs, random
base64 secrets); they are printed on stdout as `path key_id` lines so a run can be checked.
"""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synthetic import Synthetic  # noqa: E402

WORDS = ("static int struct return const char void size_t buffer index length result error "
         "config value request response handler region bucket upload timeout retry client "
         "session path commit object tree blob parse strbuf options argv argc free alloc").split()
EXTS = [".c", ".h", ".py", ".sh", ".txt", ".md", ".js", ".css", ".go", ".rs"]


def source_file(rng, size):
    lines, n = [], 0
    while n < size:
        indent = "\t" * rng.randrange(4)
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(3, 11)))
        line = f"{indent}{words}({rng.randrange(100000)});\n"
        lines.append(line)
        n += len(line)
    return "".join(lines)


def main():
    out, size_mb = sys.argv[1], int(sys.argv[2])
    planted = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    rng = random.Random(20261122)
    synthetic = Synthetic(20261122)
    pool = []
    for i in range(4000):
        ext = rng.choice(EXTS)
        pool.append((f"src/mod{i % 97}/file{i}{ext}", source_file(rng, rng.randrange(2000, 16000))))
    pool_bytes = sum(len(t) for _, t in pool)
    releases = max(1, size_mb * 1_000_000 // pool_bytes)
    plant_at = {(rng.randrange(releases), rng.randrange(len(pool))) for _ in range(planted)}
    for r in range(releases):
        for i, (rel, text) in enumerate(pool):
            path = os.path.join(out, f"release-{r:03}", rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if (r, i) in plant_at:
                key, secret = synthetic.key_id(), synthetic.secret()
                text = (text + f'aws_access_key_id = "{key}"\n'
                        f'aws_secret_access_key = "{secret}"\n')
                print(f"{path} {key}")
            else:
                text = text.replace("timeout", f"timeout{r}", 1)
            with open(path, "w") as f:
                f.write(text)


if __name__ == "__main__":
    main()
