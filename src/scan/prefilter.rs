//! One pass over every byte of a blob for every enabled rule's keywords (`fast_pass`), confirmed
//! by an Aho-Corasick automaton around its matches. Everything else runs in windows around the
//! hits.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use super::buckets;
use super::encodings::{encoded_keywords, Form};
use super::fast_pass::FastPass;
use super::stems::{self, FAST_LITERALS};
use crate::rules::{Matcher, RuleSet};
use crate::validate::{AwsAnchor, CREDENTIAL_PREFIXES, ENCODED_CREDENTIAL_PREFIXES};

/// What a keyword hit means to the scanner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    /// An anchor of the AWS validator (a key-ID prefix, "secret", a token start, …).
    Aws(AwsAnchor),
    /// The base64 encoding of a credential prefix (`QUtJQ`, …): an encoded key ID.
    EncodedKeyIdPrefix,
    /// A keyword of the regex rule at this index.
    RegexRule(usize),
    /// An encoded form of a credential prefix (or of a Docker configuration's `"auth"` key):
    /// where a decoder may find an encoded run.
    Encoded(Form),
}

/// The prefilter: its two searchers and, per pattern, the anchors it stands for.
///
/// The scan over every byte looks for the keywords' stems (the keywords themselves, or at most
/// [`FAST_LITERALS`] shared pieces of them: see `stems`) with leftmost-first semantics, which
/// lets it run in aho-corasick's SIMD (Teddy) searcher (`fast_pass`): about ten times faster
/// than an overlapping search. Around each stem hit, the keywords are looked for with an overlapping automaton;
/// that costs work only at hits, and finds a keyword whose stem a neighbouring match hid too.
#[derive(Debug, Clone)]
pub(crate) struct Prefilter {
    /// The pass over every byte and the overlapping automaton around its matches.
    searchers: Option<(FastPass, AhoCorasick)>,
    anchors: Vec<Vec<Anchor>>,
    max_len: usize,
    /// How far before its stem's hit a keyword can start.
    back: usize,
    /// How many literals the pass over every byte looks for (checked by a test).
    #[cfg_attr(not(test), allow(dead_code))]
    fast_literals: usize,
}

/// A keyword hit: its byte offset and what it anchors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    /// Offset of the keyword's first byte.
    pub offset: usize,
    /// Which pattern matched (index into the anchor table).
    pub pattern: usize,
}

impl Prefilter {
    /// Builds the searchers for the keywords of the enabled `rules`.
    pub(crate) fn new(rules: &RuleSet) -> Prefilter {
        let mut keywords: Vec<String> = Vec::new();
        let mut anchors: Vec<Vec<Anchor>> = Vec::new();
        let mut add = |keyword: String, anchor: Anchor| {
            let idx = match keywords.iter().position(|k| *k == keyword) {
                Some(i) => i,
                None => {
                    keywords.push(keyword);
                    anchors.push(Vec::new());
                    keywords.len() - 1
                }
            };
            if !anchors[idx].contains(&anchor) {
                anchors[idx].push(anchor);
            }
        };
        let mut prefixes: Vec<&str> = Vec::new();
        for (i, rule) in rules.rules.iter().enumerate() {
            for k in &rule.keywords {
                let anchor = match rule.matcher {
                    // Rule compilation checks that the kind has a use for each keyword.
                    Matcher::Aws(kind) => match kind.anchor(k) {
                        Some(a) => Anchor::Aws(a),
                        None => continue,
                    },
                    Matcher::Regex { .. } => Anchor::RegexRule(i),
                };
                for variant in case_variants(k, anchor, rule.exact_keywords) {
                    add(variant, anchor);
                }
                if anchor == Anchor::Aws(AwsAnchor::KeyIdPrefix) {
                    if let Some(encoded) = encoded_prefix(k) {
                        add(encoded.to_string(), Anchor::EncodedKeyIdPrefix);
                    }
                    let canonical = CREDENTIAL_PREFIXES
                        .iter()
                        .find(|(p, _)| p.eq_ignore_ascii_case(k))
                        .map(|(p, _)| *p);
                    if let Some(p) = canonical.filter(|p| !prefixes.contains(p)) {
                        prefixes.push(p);
                    }
                }
            }
        }
        if !prefixes.is_empty() {
            for (keyword, form) in encoded_keywords(&prefixes) {
                add(keyword, Anchor::Encoded(form));
            }
        }
        let literals: Vec<&[u8]> = keywords.iter().map(|k| k.as_bytes()).collect();
        let stems = stems::choose(&literals, FAST_LITERALS);
        let ordered = buckets::arrange(stems.list);
        let stem_list: Vec<&[u8]> = ordered.iter().map(Vec::as_slice).collect();
        let searchers = (!keywords.is_empty()).then(|| {
            // The contiguous NFA builds in a fraction of a DFA's time (start-up counts for
            // hooks); it only runs around the fast pass's matches.
            let overlapping = AhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .build(&literals)
                .expect("keywords are non-empty literals");
            (FastPass::new(&stem_list), overlapping)
        });
        let max_len = keywords.iter().map(String::len).max().unwrap_or(0);
        Prefilter {
            searchers,
            anchors,
            max_len,
            back: stems.back,
            fast_literals: stem_list.len(),
        }
    }

    /// All keyword hits in `data`, overlapping ones included, ordered by offset.
    pub(crate) fn hits(&self, data: &[u8]) -> Vec<Hit> {
        let Some((leftmost, overlapping)) = &self.searchers else {
            return Vec::new();
        };
        let mut hits = Vec::new();
        leftmost.for_each(data, |m_start, m_end| {
            // Every keyword whose stem starts within this match: a stem the leftmost-first pass
            // did not report lies inside a match it did, so no keyword is missed.
            let start = m_start.saturating_sub(self.back);
            let end = (m_end - 1 + self.max_len).min(data.len());
            hits.extend(
                overlapping
                    .find_overlapping_iter(&data[start..end])
                    .filter(|o| start + o.start() < m_end)
                    .map(|o| Hit {
                        offset: start + o.start(),
                        pattern: o.pattern().as_usize(),
                    }),
            );
        });
        hits.sort_unstable_by_key(|h| (h.offset, h.pattern));
        hits.dedup();
        hits
    }

    /// The anchors of a hit's pattern.
    pub(crate) fn anchors(&self, hit: &Hit) -> &[Anchor] {
        &self.anchors[hit.pattern]
    }
}

/// The spellings of a keyword the prefilter looks for. Keywords match case-insensitively in the
/// common spellings (as written, lower, UPPER, Capitalised) rather than in every mix of cases:
/// a case-sensitive automaton keeps the fast SIMD prefilter, where an ASCII-case-insensitive one
/// halves throughput. Key-ID prefixes are uppercase by definition, and token starts are base64
/// (case matters), so only their own spelling is kept.
fn case_variants(keyword: &str, anchor: Anchor, exact: bool) -> Vec<String> {
    match anchor {
        Anchor::Aws(AwsAnchor::KeyIdPrefix) => return vec![keyword.to_ascii_uppercase()],
        Anchor::Aws(a) if a.is_exact() => return vec![keyword.to_string()],
        _ if exact => return vec![keyword.to_string()],
        _ => {}
    }
    let lower = keyword.to_ascii_lowercase();
    let mut capital = lower.clone();
    if let Some(first) = capital.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    let mut out = vec![
        keyword.to_string(),
        lower,
        keyword.to_ascii_uppercase(),
        capital,
    ];
    out.sort();
    out.dedup();
    out
}

/// The base64 form of a credential prefix keyword, for key IDs stored encoded.
fn encoded_prefix(keyword: &str) -> Option<&'static str> {
    CREDENTIAL_PREFIXES
        .iter()
        .position(|(p, _)| p.eq_ignore_ascii_case(keyword))
        .map(|i| ENCODED_CREDENTIAL_PREFIXES[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keywords_rule(keywords: &[&str]) -> String {
        let list: Vec<String> = keywords.iter().map(|k| format!("{k:?}")).collect();
        format!(
            "[[rules]]\nid='r'\ndescription='d'\nseverity='low'\nregex='x'\nkeywords=[{}]\n",
            list.join(",")
        )
    }

    #[test]
    fn keywords_inside_other_matches_are_found() {
        let rules =
            RuleSet::from_toml(&keywords_rule(&["aws_secret", "secret", "cret_k"]), "t").unwrap();
        let p = Prefilter::new(&rules);
        let offsets: Vec<usize> = p
            .hits(b"x aws_secret_key y")
            .iter()
            .map(|h| h.offset)
            .collect();
        assert_eq!(offsets, [2, 6, 8]);
    }

    /// The searcher behind the prefilter (Teddy, SIMD) runs in its fast mode for at most 32
    /// literals: the default rules' keywords must fit under that many stems.
    #[test]
    fn the_default_rules_keep_the_fast_searcher() {
        let p = Prefilter::new(&RuleSet::builtin().unwrap());
        assert!(p.anchors.len() > FAST_LITERALS, "the test tests nothing");
        assert!(
            p.fast_literals <= FAST_LITERALS,
            "{} literals",
            p.fast_literals
        );
    }

    /// The prefilter's hit offsets in `text` for one exact-keyword rule per word, and every
    /// offset where a word occurs.
    fn hits_and_occurrences(words: &[&str], text: &[u8]) -> (Vec<usize>, Vec<usize>) {
        let mut toml = String::new();
        for (i, w) in words.iter().enumerate() {
            toml.push_str(&format!(
                "[[rules]]\nid='r{i}'\ndescription='d'\nseverity='low'\nregex='x'\nkeywords=[{w:?}]\nexact_keywords=true\n"
            ));
        }
        let p = Prefilter::new(&RuleSet::from_toml(&toml, "t").unwrap());
        let mut expected: Vec<usize> = words
            .iter()
            .flat_map(|w| (0..text.len()).filter(move |&i| text[i..].starts_with(w.as_bytes())))
            .collect();
        expected.sort_unstable();
        (p.hits(text).iter().map(|h| h.offset).collect(), expected)
    }

    /// Whatever the stems, the hits are every occurrence of every keyword.
    #[test]
    fn stems_find_every_keyword_occurrence() {
        let words = [
            "session_token",
            "security_token",
            "SessionToken",
            "sessionToken",
            "secret",
            "Secret",
            "SECRET",
            "AKIA",
            "x=AKIA",
            "token",
        ];
        let text = b"x=AKIAsession_tokenSessionTokensecurity_tokentokenSECRETsecretsessionToken";
        let (got, expected) = hits_and_occurrences(&words, text);
        assert_eq!(got, expected);
    }

    #[test]
    fn common_spellings_match() {
        let rules = RuleSet::from_toml(&keywords_rule(&["password"]), "t").unwrap();
        let p = Prefilter::new(&rules);
        assert_eq!(p.hits(b"password Password PASSWORD pAssword").len(), 3);
    }

    proptest::proptest! {
        /// Random keywords over a small alphabet (so that they share pieces and contain each
        /// other) and random text: the hits are every occurrence of every keyword spelling.
        #[test]
        fn hits_are_every_occurrence(
            words in proptest::collection::btree_set("[abAB_]{4,9}", 1..60),
            text in "[abAB_x]{0,400}",
        ) {
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            let (got, expected) = hits_and_occurrences(&words, text.as_bytes());
            proptest::prop_assert_eq!(got, expected);
        }
    }
}
