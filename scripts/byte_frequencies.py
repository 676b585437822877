#!/usr/bin/env python3
"""Prints the byte-frequency table of src/scan/byte_frequencies.rs from the files under the
directories given (it was made from the sources of git/git's master tree and of the crates
in a Cargo registry: real code and text, no generated benchmark data).

    scripts/byte_frequencies.py DIR... > src/scan/byte_frequencies.rs
"""
import os
import sys

counts = [0] * 256
for top in sys.argv[1:]:
    for root, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        for name in sorted(files):
            path = os.path.join(root, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            with open(path, "rb") as f:
                data = f.read()
            for b, n in enumerate(data.count(bytes([v])) for v in range(256)):
                counts[b] += n
total = sum(counts)
# Parts per 2^32 (at least 1: no byte is impossible), so sums of up to 256 entries fit in a u64.
table = [max(1, round(c * (1 << 32) / total)) for c in counts]
print("//! How often each byte occurs in source code and text, in parts per 2^32: made by")
print("//! `scripts/byte_frequencies.py` from git/git's master tree and the crates of a Cargo registry.")
print("//! The prefilter uses it to place similar literals in the same bucket of its SIMD searcher.")
print()
print("/// Frequency of each byte value, in parts per 2^32.")
print("pub(crate) const BYTE_FREQUENCIES: [u32; 256] = [")
for i in range(0, 256, 8):
    print("    " + " ".join(f"{v}," for v in table[i:i + 8]))
print("];")
