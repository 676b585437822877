//! One Aho-Corasick automaton over every enabled rule's keywords: the only pass that touches every
//! byte of a blob. Everything else runs in windows around its hits.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::rules::{Matcher, RuleSet};
use crate::validate::key_id::CREDENTIAL_PREFIXES;

/// What a keyword hit means to the scanner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// A credential key-ID prefix (`AKIA`, …) for the AWS validator.
    KeyIdPrefix,
    /// The word "secret" for the AWS validator's keyword secrets.
    SecretKeyword,
    /// A keyword of the regex rule at this index.
    RegexRule(usize),
}

/// The prefilter: an automaton and, per pattern, the anchors it stands for.
#[derive(Debug, Clone)]
pub struct Prefilter {
    automaton: Option<AhoCorasick>,
    anchors: Vec<Vec<Anchor>>,
}

/// A keyword hit: its byte offset and what it anchors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// Offset of the keyword's first byte.
    pub offset: usize,
    /// Which pattern matched (index into the anchor table).
    pub pattern: usize,
}

impl Prefilter {
    /// Builds the automaton over the keywords of the enabled `rules`.
    pub fn new(rules: &RuleSet) -> Prefilter {
        let mut keywords: Vec<String> = Vec::new();
        let mut anchors: Vec<Vec<Anchor>> = Vec::new();
        let mut add = |keyword: &str, anchor: Anchor| {
            let lower = keyword.to_ascii_lowercase();
            let idx = match keywords.iter().position(|k| *k == lower) {
                Some(i) => i,
                None => {
                    keywords.push(lower);
                    anchors.push(Vec::new());
                    keywords.len() - 1
                }
            };
            if !anchors[idx].contains(&anchor) {
                anchors[idx].push(anchor);
            }
        };
        for (i, rule) in rules.rules.iter().enumerate() {
            for k in &rule.keywords {
                let anchor = match rule.matcher {
                    Matcher::Aws(_) if is_key_prefix(k) => Anchor::KeyIdPrefix,
                    Matcher::Aws(_) => Anchor::SecretKeyword,
                    Matcher::Regex { .. } => Anchor::RegexRule(i),
                };
                add(k, anchor);
            }
        }
        let automaton = (!keywords.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(&keywords)
                .expect("keywords are non-empty literals")
        });
        Prefilter { automaton, anchors }
    }

    /// All keyword hits in `data`, overlapping ones included, in order of their end.
    pub fn hits(&self, data: &[u8]) -> Vec<Hit> {
        let Some(ac) = &self.automaton else {
            return Vec::new();
        };
        ac.find_overlapping_iter(data)
            .map(|m| Hit {
                offset: m.start(),
                pattern: m.pattern().as_usize(),
            })
            .collect()
    }

    /// The anchors of a hit's pattern.
    pub fn anchors(&self, hit: &Hit) -> &[Anchor] {
        &self.anchors[hit.pattern]
    }
}

fn is_key_prefix(keyword: &str) -> bool {
    CREDENTIAL_PREFIXES
        .iter()
        .any(|(p, _)| p.eq_ignore_ascii_case(keyword))
}
