//! `keyfence history --all-objects`: every object of the object database, reachable or not.
//! libgit2 lists the ids (packs, loose objects, alternates); the types of packed objects come
//! from the pack listing the whole-history scan makes anyway, the others from their headers.
//! The commits no reference reaches are walked after the reachable ones (parents first), so a
//! blob a reachable commit holds is always attributed to it; blobs and annotated tags that no
//! walked commit or tag leads to are scanned on their own, named by their ids.

use std::collections::{HashMap, HashSet};

use git2::{Oid, Repository};

use super::odb::{ObjectType, PackEntries};
use super::oid_set::{raw, OidMap, OidSet};
use super::GitError;

/// Every commit, blob and annotated tag of a repository's object database.
#[derive(Debug, Default)]
pub(crate) struct Inventory {
    /// Commit ids, in no order.
    pub commits: Vec<Oid>,
    /// Blob ids.
    pub blobs: OidSet,
    /// Annotated tag ids.
    pub tags: Vec<Oid>,
}

/// Lists the objects of `repo` (its object directories and alternates): the packed ones typed
/// from `packs` (the pack listing of the scan), the rest from their headers. An object whose
/// type cannot be read is an error: it is one the scan was asked to read.
pub(crate) fn list(repo: &Repository, packs: &[PackEntries]) -> Result<Inventory, GitError> {
    let mut typed: OidMap<ObjectType> = OidMap::default();
    for pack in packs {
        for e in &pack.entries {
            if let Some(kind) = e.kind {
                typed.insert(raw(e.oid), kind);
            }
        }
    }
    let odb = repo
        .odb()
        .map_err(|e| GitError::git("listing the object database", e))?;
    let mut ids = Vec::new();
    odb.foreach(|oid| {
        ids.push(*oid);
        true
    })
    .map_err(|e| GitError::git("listing the object database", e))?;
    let mut out = Inventory::default();
    let mut seen = OidSet::default();
    for oid in ids {
        // An object in several packs (or packed and loose) is listed once.
        if !seen.insert(raw(oid)) {
            continue;
        }
        let kind = match typed.get(&raw(oid)) {
            Some(&kind) => kind,
            None => match odb.read_header(oid) {
                Ok((_, git2::ObjectType::Commit)) => ObjectType::Commit,
                Ok((_, git2::ObjectType::Blob)) => ObjectType::Blob,
                Ok((_, git2::ObjectType::Tag)) => ObjectType::Tag,
                Ok(_) => ObjectType::Tree,
                Err(e) => return Err(GitError::git(format!("object {oid}"), e)),
            },
        };
        match kind {
            ObjectType::Commit => out.commits.push(oid),
            ObjectType::Blob => {
                out.blobs.insert(raw(oid));
            }
            ObjectType::Tag => out.tags.push(oid),
            ObjectType::Tree => {}
        }
    }
    Ok(out)
}

/// The commits of `all` that are not in `walked`, ordered parents first (by commit time where
/// the parents do not decide): what no reference reaches, walked after what one does. A parent
/// that is missing (pruned while its child was kept) is no obstacle: a commit is ordered by the
/// parents the list holds.
pub(crate) fn unreached_commits(
    repo: &Repository,
    all: &[Oid],
    walked: &[Oid],
) -> Result<Vec<Oid>, GitError> {
    let walked: HashSet<Oid> = walked.iter().copied().collect();
    let left: Vec<Oid> = all
        .iter()
        .copied()
        .filter(|c| !walked.contains(c))
        .collect();
    if left.is_empty() {
        return Ok(left);
    }
    let index: HashMap<Oid, usize> = left.iter().enumerate().map(|(i, &c)| (c, i)).collect();
    let mut time = Vec::with_capacity(left.len());
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); left.len()];
    let mut waiting = vec![0usize; left.len()];
    for (i, &c) in left.iter().enumerate() {
        let commit = repo
            .find_commit(c)
            .map_err(|e| GitError::git(format!("unreachable commit {c}"), e))?;
        time.push(commit.time().seconds());
        for p in commit.parent_ids() {
            if let Some(&j) = index.get(&p) {
                children[j].push(i);
                waiting[i] += 1;
            }
        }
    }
    // Kahn's order, the oldest ready commit first.
    let mut ready: std::collections::BinaryHeap<std::cmp::Reverse<(i64, usize)>> = (0..left.len())
        .filter(|&i| waiting[i] == 0)
        .map(|i| std::cmp::Reverse((time[i], i)))
        .collect();
    let mut out = Vec::with_capacity(left.len());
    while let Some(std::cmp::Reverse((_, i))) = ready.pop() {
        out.push(left[i]);
        for &k in &children[i] {
            waiting[k] -= 1;
            if waiting[k] == 0 {
                ready.push(std::cmp::Reverse((time[k], k)));
            }
        }
    }
    // A cycle cannot be hashed into being; a crafted one is still walked, last.
    if out.len() < left.len() {
        let placed: HashSet<Oid> = out.iter().copied().collect();
        out.extend(left.iter().copied().filter(|c| !placed.contains(c)));
    }
    Ok(out)
}
