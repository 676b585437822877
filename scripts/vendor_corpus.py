#!/usr/bin/env python3
"""Vendors the shared labelled corpus into the repository with every credential templated.

  scripts/vendor_corpus.py [--src ../shared/corpus] [--dst tests/data/corpus]

Reads SRC/labels.json and SRC/files/**, and writes DST/labels.json and DST/files/** (DST's old
files/ and labels.json are replaced, so rerun it when the shared corpus grows and commit the
result). The copy holds no credential literal: each credential becomes a placeholder that
`keyfence::synthetic::expand_template` expands at test time (tests/it/scan.rs):

- key IDs (AKIA/ASIA/ABIA/ACCA and 16 base32 characters, bounded or glued to a word):
  `${keyid:PREFIX:SEED}`, or `${keyid_legacy:PREFIX:SEED}` for an old-format ID (5th character
  before `Q`, no account encoded). Documentation examples (`…EXAMPLE`) and placeholders
  (`AKIAXXXX…`) are decoys and stay as written.
- session tokens (a known header and a base64 run of 100 characters or more): the header as
  written, `${b64:LEN:SEED}` for the rest, and the `=` padding as written, so length and header
  (the token's kind) are kept.
- secret access keys: each `expect` string of a positive case, and any other 40-character run in
  a positive file that the validator would take for a secret: `${secret:SEED}`. The seed is
  chosen so that the generated secret has the original's traits (`/` in it or not, `+` in it or
  not, alphanumeric first and last character or not), using a mirror of src/validate/synthetic.rs below.

Every file keeps its bytes around the credentials, so lines and columns of everything else, and
labels.json's `lines`, stay right. `expect` in the copied labels.json holds the same placeholders.
Seeds are derived from the file's number (`NNN_name`: NNN*1000 and up), so adding a file to the
shared corpus leaves the placeholders of the others as they were.

The script refuses (exit 1) to write a copy that still holds a credential it recognises, in plain
or in an encoded form it does not template (JSON-escaped, URL-encoded, base64): add a template
form to `expand_template` and a case here before vendoring such a file.
"""
import argparse
import base64
import json
import math
import os
import re
import shutil
import sys
import urllib.parse
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

BASE32 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
BASE64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
MASK = (1 << 64) - 1

# src/validate/token.rs SESSION_TOKEN_PREFIXES and SESSION_TOKEN_MIN_LEN.
TOKEN_HEADERS = [b"IQoJb3JpZ2luX2Vj", b"FwoGZXIvYXdz", b"FQoGZXIvYXdz", b"FQoDYXdz", b"AQoDYXdz"]
TOKEN_MIN_LEN = 100
TOKEN_RE = re.compile(
    b"(?<![A-Za-z0-9+/])(" + b"|".join(TOKEN_HEADERS) + b")([A-Za-z0-9+/]+)(=*)"
)
KEY_ID_RE = re.compile(rb"(AKIA|ASIA|ABIA|ACCA)([A-Z2-7]{16})")
SECRET_RE = re.compile(rb"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{40}(?![A-Za-z0-9+/=])")
PLACEHOLDER_RE = re.compile(rb"\$\{(keyid|keyid_legacy|secret|token|b64)(:[^}]*)?\}")

# src/validate/placeholder.rs
PLACEHOLDER_WORDS = [b"EXAMPLE", b"SAMPLE", b"PLACEHOLDER", b"REDACTED", b"DUMMY", b"FAKE",
                     b"XXXX", b"YOURKEY", b"YOURSECRET", b"CHANGEME", b"NOTREAL"]


# --- a mirror of src/validate/synthetic.rs and the validator checks that its secret() loop applies ------

class Rng:
    """SplitMix64, as `keyfence::synthetic::Rng`."""

    def __init__(self, seed):
        self.state = (seed ^ 0x9E3779B97F4A7C15) & MASK

    def next_u64(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def string(self, alphabet, n):
        return bytes(alphabet[self.next_u64() % len(alphabet)] for _ in range(n))


def is_doc_example(s):
    return s.endswith(b"EXAMPLE") or s.endswith(b"EXAMPLEKEY")


def looks_like_placeholder(s):
    if any(w in s.upper() for w in PLACEHOLDER_WORDS):
        return True
    rep = best_rep = 1
    up = down = best_seq = 1
    for a, b in zip(s, s[1:]):
        rep = rep + 1 if a == b else 1
        same = chr(a).isalnum() and chr(b).isalnum() and chr(a).isdigit() == chr(b).isdigit()
        up = up + 1 if same and b == a + 1 else 1
        down = down + 1 if same and a == b + 1 else 1
        best_rep, best_seq = max(best_rep, rep), max(best_seq, up, down)
    return best_rep > 4 or best_seq > 5


def is_secret_text(s):
    """src/validate/secret.rs check_secret_text."""
    if all(chr(c) in "0123456789abcdefABCDEF" for c in s):
        return False
    text = s.decode()
    if not (any(c.islower() for c in text) and any(c.isupper() for c in text)
            and any(c.isdigit() or c in "+/" for c in text)):
        return False
    if is_doc_example(s) or looks_like_placeholder(s):
        return False
    counts = [s.count(c) for c in set(s)]
    entropy = -sum(n / len(s) * math.log2(n / len(s)) for n in counts)
    return entropy >= 4.0


def synthetic_secret(seed):
    rng = Rng((seed + 0x5EC2E7) & MASK)
    while True:
        s = rng.string(BASE64, 40)
        if is_secret_text(s):
            return s


def secret_traits(s):
    return (b"/" in s, b"+" in s, chr(s[0]).isalnum(), chr(s[-1]).isalnum())


def is_new_format(key_id):
    """The format flag bit: set when the 5th character is Q or later in base32."""
    return BASE32.index(key_id[4:5]) >= 16


def takes_for_key_id(key_id):
    body = key_id[4:]
    return not is_doc_example(key_id) and not looks_like_placeholder(body)


def expand_positions(text):
    """The spans `expand_template` would replace: it takes `${` up to the next `}`."""
    spans, i = [], 0
    while True:
        start = text.find(b"${", i)
        if start < 0:
            return spans
        end = text.find(b"}", start + 2)
        if end < 0:
            return spans
        spans.append(text[start:end + 1])
        i = end + 1


# --- templating -----------------------------------------------------------------------------

class Seeds:
    """Seeds for one file: NNN*1000 and up for a file named `NNN_…`, else from its path's CRC."""

    def __init__(self, rel):
        m = re.match(r"(\d+)_", os.path.basename(rel))
        base = int(m.group(1)) if m else 1000 + zlib.crc32(rel.encode()) % 1_000_000
        self.next = base * 1000

    def take(self, accept=lambda seed: True):
        while not accept(self.next):
            self.next += 1
        seed, self.next = self.next, self.next + 1
        return seed


def template_file(rel, data, case):
    """The templated bytes of one corpus file and a map of each replaced literal to its
    placeholder."""
    positive = case is not None and case["label"] == "positive"
    spans = []  # (start, end, kind, literal)
    for m in TOKEN_RE.finditer(data):
        if len(m.group(1)) + len(m.group(2)) >= TOKEN_MIN_LEN and not is_doc_example(m.group(0)):
            spans.append((m.start(), m.end(), "token", m.group(0)))
    for m in KEY_ID_RE.finditer(data):
        if takes_for_key_id(m.group(0)):
            spans.append((m.start(), m.end(), "keyid", m.group(0)))
    secrets = set()
    if positive:
        expect = [e.encode() for e in case.get("expect", [])]
        secrets.update(e for e in expect if not KEY_ID_RE.fullmatch(e))
        secrets.update(m.group(0) for m in SECRET_RE.finditer(data) if is_secret_text(m.group(0)))
    for s in secrets:
        for m in re.finditer(re.escape(s), data):
            spans.append((m.start(), m.end(), "secret", s))
    # Tokens first, then the longest: a key ID or secret inside a token goes with the token.
    order = {"token": 0, "secret": 1, "keyid": 2}
    spans.sort(key=lambda s: (order[s[2]], s[0]))
    taken, chosen = [], []
    for span in spans:
        if all(span[1] <= a or span[0] >= b for a, b in taken):
            taken.append((span[0], span[1]))
            chosen.append(span)
    chosen.sort()

    seeds, placeholders, out, pos = Seeds(rel), {}, [], 0
    for start, end, kind, literal in chosen:
        if literal not in placeholders:
            if kind == "keyid":
                form = "keyid" if is_new_format(literal) else "keyid_legacy"
                p = f"${{{form}:{literal[:4].decode()}:{seeds.take()}}}"
            elif kind == "secret":
                want = secret_traits(literal)
                seed = seeds.take(lambda s: secret_traits(synthetic_secret(s)) == want)
                p = f"${{secret:{seed}}}"
            else:
                head, body, pad = (g.decode() for g in TOKEN_RE.fullmatch(literal).groups())
                p = f"{head}${{b64:{len(body)}:{seeds.take()}}}{pad}"
            placeholders[literal] = p
        out.append(data[pos:start])
        out.append(placeholders[literal].encode())
        pos = end
    out.append(data[pos:])
    return b"".join(out), placeholders


def encodings(value):
    """The plain and encoded forms a credential may take in a file."""
    forms = {value, value.replace("/", "\\/"), urllib.parse.quote(value, safe=""),
             urllib.parse.quote_plus(value), base64.b64encode(value.encode()).decode()}
    return {f for f in forms if f}


def check(rel, original, templated, placeholders, case, problems):
    """Appends to `problems` whatever makes the templated copy unfit to commit."""
    if PLACEHOLDER_RE.search(original):
        problems.append(f"{rel}: the original already holds a template placeholder")
    if original.count(b"\n") != templated.count(b"\n"):
        problems.append(f"{rel}: line count changed")
    spans = expand_positions(templated)
    for p in placeholders.values():
        inner = re.search(rb"\$\{[^}]*\}", p.encode()).group(0)
        if spans.count(inner) != templated.count(inner):
            problems.append(f"{rel}: {p} would not expand (a stray `${{` before it)")
    text = templated.decode("latin-1")
    for m in KEY_ID_RE.finditer(templated):
        if takes_for_key_id(m.group(0)):
            problems.append(f"{rel}: key ID left at offset {m.start()}")
    for m in TOKEN_RE.finditer(templated):
        if len(m.group(1)) + len(m.group(2)) >= TOKEN_MIN_LEN:
            problems.append(f"{rel}: session token left at offset {m.start()}")
    positive = case is not None and case["label"] == "positive"
    if positive:
        for m in SECRET_RE.finditer(templated):
            if is_secret_text(m.group(0)):
                problems.append(f"{rel}: secret left at offset {m.start()}")
        lines = templated.split(b"\n")
        for e in case.get("expect", []):
            p = placeholders.get(e.encode())
            if p is None:
                continue
            if not any(p.encode() in lines[n - 1] for n in case["lines"] if n <= len(lines)):
                problems.append(f"{rel}: {p} is on none of the labelled lines {case['lines']}")
    for e in (case or {}).get("expect", []):
        for form in encodings(e):
            if form in text:
                problems.append(f"{rel}: an expected credential is left as written or encoded "
                                f"({len(form)} characters); add a template form for it")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", default=os.path.join(ROOT, "..", "shared", "corpus"))
    ap.add_argument("--dst", default=os.path.join(ROOT, "tests", "data", "corpus"))
    args = ap.parse_args()

    labels = json.load(open(os.path.join(args.src, "labels.json"), encoding="utf-8"))
    cases = {c["path"]: c for c in labels["cases"]}
    files_dir = os.path.join(args.src, "files")
    rels = sorted(
        os.path.relpath(os.path.join(d, f), files_dir).replace(os.sep, "/")
        for d, _, fs in os.walk(files_dir) for f in fs
    )
    missing = sorted(set(cases) - set(rels))
    problems = [f"{p}: labelled but absent" for p in missing]

    outputs, new_cases, changed = {}, [], 0
    for rel in rels:
        original = open(os.path.join(files_dir, rel), "rb").read()
        case = cases.get(rel)
        templated, placeholders = template_file(rel, original, case)
        check(rel, original, templated, placeholders, case, problems)
        outputs[rel] = templated
        changed += templated != original
        if case is not None:
            case = dict(case)
            case["expect"] = [placeholders.get(e.encode(), e) for e in case.get("expect", [])]
            cases[rel] = case
    for c in labels["cases"]:
        new_cases.append(cases[c["path"]])
    labels_text = json.dumps({**labels, "cases": new_cases}, indent=1, ensure_ascii=False) + "\n"
    for c in labels["cases"]:
        for e in c.get("expect", []):
            if any(form in labels_text for form in encodings(e)):
                problems.append(f"labels.json: an expected credential of {c['path']} is left")
    if problems:
        print("not vendored:", *problems, sep="\n  ", file=sys.stderr)
        return 1

    shutil.rmtree(os.path.join(args.dst, "files"), ignore_errors=True)
    for rel, data in outputs.items():
        path = os.path.join(args.dst, "files", rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    with open(os.path.join(args.dst, "labels.json"), "w", encoding="utf-8") as f:
        f.write(labels_text)
    print(f"vendored {len(rels)} files ({changed} templated, {len(labels['cases'])} cases) "
          f"into {os.path.relpath(args.dst)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
