//! The literals the prefilter's fast pass searches for: its keywords, or fewer shared pieces of
//! them (stems) when there are more keywords than the fast searcher takes.
//!
//! aho-corasick's SIMD searcher (Teddy) checks 32 bytes a step in its "slim" mode, with 8 buckets
//! of literals; the more literals share a bucket, the more places it stops to check. Left to
//! choose, it switches from 33 literals to a "fat" mode that checks half as many bytes per step
//! (the 1 GB benchmark tree scanned 1.26x slower with 50 literals than with 24; `fast_pass` holds
//! it in slim up to 40), and past 64 it falls back to the automaton (2.8x slower). So keywords
//! are grouped under stems until at most 32 remain, where pieces they share allow it:
//!
//! 1. A keyword that contains another keyword is found through it, at no cost: the inner keyword
//!    is searched anyway (`X-Amz-Credential=AKIA` through `AKIA`).
//! 2. Then, while too many groups remain, the longest piece (at least [`MIN_STEM`] bytes) that
//!    every keyword of two or more groups contains becomes their common stem (`ecret` for
//!    `secret` and `Secret`). Longer stems first, because a short stem is more often met in text
//!    that holds none of its keywords; each such meeting costs a look at a few bytes around it.
//!
//! A stem's hit is only a candidate: the prefilter looks for the stem's keywords around it.

use std::collections::BTreeMap;

use memchr::memmem;

/// How many literals the fast searcher takes in its fast mode.
pub(crate) const FAST_LITERALS: usize = 32;

/// The shortest stem: the SIMD searcher fingerprints the first bytes of every literal (up to 4),
/// and a shorter literal makes it fingerprint fewer bytes of all of them.
pub(crate) const MIN_STEM: usize = 4;

/// The chosen stems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stems {
    /// The literals to search for.
    pub list: Vec<Vec<u8>>,
    /// How far before its stem a keyword can start, in bytes.
    pub back: usize,
}

/// Chooses at most `limit` stems for `keywords` (distinct, non-empty), when pieces shared by
/// enough of them exist; otherwise as few as it can.
pub(crate) fn choose(keywords: &[&[u8]], limit: usize) -> Stems {
    let mut groups = subsume(keywords);
    if groups.len() > limit {
        merge(keywords, &mut groups, limit);
    }
    let back = groups
        .iter()
        .flat_map(|g| g.members.iter().map(|m| keywords[m].len() - g.stem.len()))
        .max()
        .unwrap_or(0);
    Stems {
        list: groups.into_iter().map(|g| g.stem).collect(),
        back,
    }
}

/// A set of keyword indices.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Set(Vec<u64>);

impl Set {
    fn new(n: usize) -> Set {
        Set(vec![0; n.div_ceil(64)])
    }
    fn insert(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    fn union(&mut self, other: &Set) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a |= b);
    }
    fn is_subset(&self, other: &Set) -> bool {
        self.0.iter().zip(&other.0).all(|(a, b)| a & !b == 0)
    }
    fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.0.len() * 64).filter(|&i| self.0[i / 64] & (1 << (i % 64)) != 0)
    }
}

/// Keywords found through one stem.
#[derive(Debug)]
struct Group {
    stem: Vec<u8>,
    members: Set,
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memmem::find(haystack, needle).is_some()
}

/// Step 1: each keyword that contains another keyword joins the group of the smallest keyword
/// inside it (which contains no other keyword, so groups do not chain).
fn subsume(keywords: &[&[u8]]) -> Vec<Group> {
    let inner = |i: usize| {
        (0..keywords.len())
            .filter(|&j| j != i && contains(keywords[i], keywords[j]))
            .min_by_key(|&j| (keywords[j].len(), j))
    };
    let mut by_stem: BTreeMap<usize, Set> = BTreeMap::new();
    for i in 0..keywords.len() {
        by_stem
            .entry(inner(i).unwrap_or(i))
            .or_insert_with(|| Set::new(keywords.len()))
            .insert(i);
    }
    by_stem
        .into_iter()
        .map(|(stem, members)| Group {
            stem: keywords[stem].to_vec(),
            members,
        })
        .collect()
}

/// Step 2: merges groups under shared pieces, longest pieces first, until `limit` groups remain
/// or no piece is shared.
fn merge(keywords: &[&[u8]], groups: &mut Vec<Group>, limit: usize) {
    // Every piece of MIN_STEM bytes or more that two or more keywords contain, with those keywords.
    let mut holders: BTreeMap<&[u8], Set> = BTreeMap::new();
    for (i, k) in keywords.iter().enumerate() {
        for start in 0..k.len() {
            for end in start + MIN_STEM..=k.len() {
                holders
                    .entry(&k[start..end])
                    .or_insert_with(|| Set::new(keywords.len()))
                    .insert(i);
            }
        }
    }
    // Of the pieces held by the same keywords only the longest can be chosen (then the first in
    // byte order: the choice never depends on hashing).
    let mut by_holders: BTreeMap<Set, &[u8]> = BTreeMap::new();
    for (piece, set) in holders {
        if set.len() < 2 {
            continue;
        }
        let kept = by_holders.entry(set).or_insert(piece);
        if piece.len() > kept.len() {
            *kept = piece;
        }
    }
    let pieces: Vec<(&[u8], Set)> = by_holders.into_iter().map(|(s, p)| (p, s)).collect();
    while groups.len() > limit {
        // The longest piece covering two or more groups; then the one covering most groups, then
        // most keywords.
        let mut best: Option<((usize, usize, usize), usize)> = None;
        for (index, (piece, set)) in pieces.iter().enumerate() {
            let covered = groups.iter().filter(|g| g.members.is_subset(set));
            let (count, members) = covered.fold((0, 0), |(c, m), g| (c + 1, m + g.members.len()));
            let key = (piece.len(), count, members);
            if count >= 2 && best.is_none_or(|(b, _)| key > b) {
                best = Some((key, index));
            }
        }
        let Some((_, index)) = best else {
            return;
        };
        let (piece, set) = &pieces[index];
        let mut merged = Group {
            stem: piece.to_vec(),
            members: Set::new(keywords.len()),
        };
        groups.retain(|g| {
            if g.members.is_subset(set) {
                merged.members.union(&g.members);
                false
            } else {
                true
            }
        });
        groups.push(merged);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stems_of(keywords: &[&str], limit: usize) -> Stems {
        let bytes: Vec<&[u8]> = keywords.iter().map(|k| k.as_bytes()).collect();
        choose(&bytes, limit)
    }

    fn texts(s: &Stems) -> Vec<String> {
        let mut v: Vec<String> = s
            .list
            .iter()
            .map(|x| String::from_utf8_lossy(x).into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn keywords_inside_other_keywords_are_found_through_them() {
        let s = stems_of(&["AKIA", "X-Amz-Credential=AKIA", "ASIA"], 32);
        assert_eq!(texts(&s), ["AKIA", "ASIA"]);
        assert_eq!(s.back, "X-Amz-Credential=".len());
    }

    #[test]
    fn few_keywords_are_their_own_stems() {
        let s = stems_of(&["secret", "Secret", "token"], 32);
        assert_eq!(texts(&s), ["Secret", "secret", "token"]);
        assert_eq!(s.back, 0);
    }

    #[test]
    fn past_the_limit_the_longest_shared_pieces_are_chosen() {
        let s = stems_of(
            &[
                "session_token",
                "security_token",
                "secret",
                "Secret",
                "xyz1",
            ],
            3,
        );
        assert_eq!(texts(&s), ["_token", "ecret", "xyz1"]);
        assert_eq!(s.back, "security".len());
    }

    #[test]
    fn nothing_shared_leaves_the_keywords() {
        let s = stems_of(&["abcd", "efgh", "ijkl"], 2);
        assert_eq!(texts(&s), ["abcd", "efgh", "ijkl"]);
    }
}
