//! The pass over every byte: the prefilter's literals (stems) with leftmost-first semantics.
//!
//! aho-corasick's packed searcher (Teddy) runs it. Left to choose, it changes from its "slim" mode
//! (8 buckets, 32 bytes a step with AVX2) to its "fat" one (16 buckets, 16 bytes a step) past 32
//! literals; the default rules fill 32 stems, so one keyword a configuration adds made the
//! directory scan ~6 % slower (docs/PERFORMANCE.md). Slim is kept up to [`SLIM_LIMIT`] literals:
//! more literals share each bucket, so more places are checked, but each step still covers 32
//! bytes. Measured on git/git's source with one thread: 37 literals 0.95x the time of fat, 44
//! literals 0.98x, 57 literals (three of them 3 bytes long) 1.38x: past the limit, and where
//! Teddy cannot run at all (no SSSE3 on x86-64, no NEON), aho-corasick chooses, as before.

use aho_corasick::{packed, AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

/// The most literals the slim mode is asked to take: five a bucket.
pub(crate) const SLIM_LIMIT: usize = 40;

/// The searcher of the pass over every byte.
#[derive(Debug, Clone)]
pub(crate) enum FastPass {
    /// Teddy in its slim mode.
    Packed(packed::Searcher),
    /// aho-corasick's automaton (which picks its own prefilter: fat Teddy up to 64 literals).
    Automaton(AhoCorasick),
}

impl FastPass {
    /// A searcher for `literals` (non-empty, none empty), in this order: the order decides the
    /// bucket each literal gets (see `buckets`), and which of two literals starting at the same
    /// byte is reported.
    pub(crate) fn new(literals: &[&[u8]]) -> FastPass {
        let packed = (literals.len() <= SLIM_LIMIT)
            .then(|| {
                packed::Config::new()
                    .match_kind(packed::MatchKind::LeftmostFirst)
                    .only_teddy_fat(Some(false))
                    .builder()
                    .extend(literals)
                    .build()
            })
            .flatten();
        match packed {
            Some(searcher) => FastPass::Packed(searcher),
            None => FastPass::Automaton(
                // The contiguous NFA builds in a fraction of a DFA's time (start-up counts for
                // hooks).
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    .kind(Some(AhoCorasickKind::ContiguousNFA))
                    .build(literals)
                    .expect("literals are non-empty"),
            ),
        }
    }

    /// Calls `found(start, end)` for each match in `data`, left to right, none overlapping.
    pub(crate) fn for_each(&self, data: &[u8], mut found: impl FnMut(usize, usize)) {
        match self {
            FastPass::Packed(s) => s.find_iter(data).for_each(|m| found(m.start(), m.end())),
            FastPass::Automaton(a) => a.find_iter(data).for_each(|m| found(m.start(), m.end())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` distinct literals of 4–7 bytes over a small alphabet, so that they share pieces.
    fn literals(n: usize, seed: u64) -> Vec<Vec<u8>> {
        let mut x = seed;
        let mut out: Vec<Vec<u8>> = Vec::new();
        while out.len() < n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = 4 + (x % 4) as usize;
            let lit: Vec<u8> = (0..len)
                .map(|i| b"AKIS0a_"[((x >> (8 + 3 * i)) % 7) as usize])
                .collect();
            if !out.contains(&lit) {
                out.push(lit);
            }
        }
        out
    }

    /// Whatever the searcher, the matches are aho-corasick's leftmost-first matches, on text long
    /// enough for Teddy's vectors and on text shorter than them.
    #[test]
    fn matches_are_leftmost_first_with_any_count_of_literals() {
        for n in [1, 8, 32, 33, 40, 41, 64, 70] {
            let lits = literals(n, n as u64 * 7919 + 1);
            let refs: Vec<&[u8]> = lits.iter().map(Vec::as_slice).collect();
            let pass = FastPass::new(&refs);
            let reference = AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostFirst)
                .build(&refs)
                .unwrap();
            let text: Vec<u8> = literals(3000, 99).concat();
            for data in [&text[..], &text[..20]] {
                let mut got = Vec::new();
                pass.for_each(data, |s, e| got.push((s, e)));
                let expected: Vec<(usize, usize)> = reference
                    .find_iter(data)
                    .map(|m| (m.start(), m.end()))
                    .collect();
                assert!(
                    !expected.is_empty() || data.len() < 100,
                    "the test tests nothing"
                );
                assert_eq!(got, expected, "{n} literals");
            }
        }
    }

    /// Up to `SLIM_LIMIT` literals the pass runs in Teddy's slim mode, where the CPU has it.
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn slim_teddy_up_to_the_limit() {
        if !std::arch::is_x86_feature_detected!("ssse3") {
            return;
        }
        for (n, packed) in [(32, true), (SLIM_LIMIT, true), (SLIM_LIMIT + 1, false)] {
            let lits = literals(n, 5);
            let refs: Vec<&[u8]> = lits.iter().map(Vec::as_slice).collect();
            let is_packed = matches!(FastPass::new(&refs), FastPass::Packed(_));
            assert_eq!(is_packed, packed, "{n} literals");
        }
    }
}
