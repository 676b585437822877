//! Which commit a history reports a credential at: the first (walk order, then path and line)
//! of the blobs that hold it, unless a range's base already held it; a key ID committed before
//! its secret joins the pair's finding.

use std::collections::HashMap;

use super::blobs::Collected;
use crate::report::Finding;

/// A key ID committed alone and its secret committed later are one credential: the pair's
/// finding, at the commit that completed it, names the commit where the key ID appeared
/// (`key_id_commit`), and the key ID's own finding is dropped. A key ID that stays alone, or
/// whose pair came first, keeps its finding.
pub(crate) fn join_key_ids(findings: &mut Vec<(u32, Finding)>, commits: &[git2::Oid]) {
    let is_lone_key = |f: &Finding| f.secret.is_none() && f.session_token.is_none();
    // The latest commit that paired each key ID with a secret.
    let mut paired: HashMap<&str, u32> = HashMap::new();
    for (c, f) in findings.iter() {
        if let (Some(k), Some(_)) = (&f.key_id, &f.secret) {
            let e = paired.entry(k.as_str()).or_insert(*c);
            *e = (*e).max(*c);
        }
    }
    if paired.is_empty() {
        return;
    }
    // The earliest commit where each paired key ID was found alone, before its pair.
    let mut alone: HashMap<String, u32> = HashMap::new();
    for (c, f) in findings.iter() {
        if let Some(k) = f.key_id.as_deref().filter(|_| is_lone_key(f)) {
            if paired.get(k).is_some_and(|&p| p >= *c) {
                let e = alone.entry(k.to_string()).or_insert(*c);
                *e = (*e).min(*c);
            }
        }
    }
    if alone.is_empty() {
        return;
    }
    findings.retain(|(_, f)| {
        !(is_lone_key(f) && f.key_id.as_deref().is_some_and(|k| alone.contains_key(k)))
    });
    for (c, f) in findings.iter_mut() {
        if let (Some(k), Some(_)) = (&f.key_id, &f.secret) {
            if let Some(&first) = alone.get(k.as_str()).filter(|&&a| a < *c) {
                f.key_id_commit = commits.get(first as usize).map(|o| o.to_string());
            }
        }
    }
}

/// Keeps one finding per credential, the earliest (walk order, then path and line), and drops
/// the credentials that base versions held. Returns them and how many credentials were dropped
/// as already there.
pub(crate) fn introduced(collected: Collected) -> (Vec<(u32, Finding)>, u64) {
    let (first, _, preexisting) = introduced_and_others(collected);
    (first, preexisting)
}

/// Findings, each with the index of its commit in the walk.
pub(crate) type Placed = Vec<(u32, Finding)>;

/// [`introduced`], with the other places of the credentials it keeps (each other blob that
/// holds one, at its first commit and path).
pub(crate) fn introduced_and_others(collected: Collected) -> (Placed, Placed, u64) {
    let mut first: HashMap<String, (u32, Finding)> = HashMap::new();
    let mut others = Vec::new();
    for (c, f) in collected.found {
        match first.get_mut(&f.fingerprint) {
            Some(kept) if (kept.0, &kept.1.path, kept.1.line) <= (c, &f.path, f.line) => {
                others.push((c, f));
            }
            Some(kept) => others.push(std::mem::replace(kept, (c, f))),
            None => {
                first.insert(f.fingerprint.clone(), (c, f));
            }
        }
    }
    let before = first.len();
    first.retain(|fp, _| !collected.before.contains(fp));
    others.retain(|(_, f)| first.contains_key(&f.fingerprint));
    let preexisting = (before - first.len()) as u64;
    (first.into_values().collect(), others, preexisting)
}
