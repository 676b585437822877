//! `keyfence history --all-objects`: every object of the object database, reachable or not.
//! libgit2 lists the ids (packs, loose objects, alternates); the types of packed objects come
//! from the pack listing the whole-history scan makes anyway, the others from their headers.
//! The commits no reference reaches are walked after the reachable ones (parents first), so a
//! blob a reachable commit holds is always attributed to it; blobs and annotated tags that no
//! walked commit or tag leads to are scanned on their own, named by their ids.

use std::collections::{HashMap, HashSet};

use git2::{Oid, Repository};

use super::blobs::{Job, Side};
use super::odb::{ObjectType, PackEntries, PackOrder};
use super::oid_set::{raw, OidMap, OidSet};
use super::{GitError, TIMING};

/// The walk index the findings of a blob no walked commit holds carry: after every commit, and
/// never a commit's (a staged blob's is `u32::MAX`, not met in history).
pub(crate) const UNREACHED_BLOB: u32 = u32::MAX - 1;

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

impl Inventory {
    /// Jobs for the blobs that no walked tree holds (`met` are those the walk met), each named
    /// by its id, which is also its path.
    pub(crate) fn unmet_blobs<'s>(&'s self, met: &'s OidSet) -> impl Iterator<Item = Job> + 's {
        self.blobs
            .iter()
            .filter(|b| !met.contains(*b))
            .filter_map(|b| Oid::from_bytes(b).ok())
            .map(|oid| Job {
                oid,
                path: oid.to_string().into_bytes(),
                side: Side::Commit(UNREACHED_BLOB),
            })
    }
}

/// Lists the object database of `repo` (with `listed`, the whole history's pack listing, when
/// there is one) and the commits of it that are not in `walked`, in the order to walk them
/// after those (see [`unreached_commits`]).
pub(crate) fn unreached(
    repo: &Repository,
    walked: &[Oid],
    order: &PackOrder,
    listed: Option<&[PackEntries]>,
) -> Result<(Vec<Oid>, Inventory), GitError> {
    let t0 = std::time::Instant::now();
    let own;
    let packs = match listed {
        Some(p) => p,
        None => {
            own = order.packs();
            &own
        }
    };
    let inventory = list(repo, packs)?;
    let unreached = unreached_commits(repo, &inventory.commits, walked)?;
    log::info!(
        target: TIMING,
        "object database listed: {} commits ({} unreached), {} blobs, {} tags {:.2}s",
        inventory.commits.len(),
        unreached.len(),
        inventory.blobs.len(),
        inventory.tags.len(),
        t0.elapsed().as_secs_f64()
    );
    Ok((unreached, inventory))
}

/// The id that names the unreached object holding a finding of commit number `c` of `commits`
/// (the unreached ones from `from` on) at `path`: the blob, for a blob no walked commit holds
/// (its path is its id) or one of a commit no reference reaches (looked up in its tree; the
/// commit's id if that fails); `None` for what a reference reaches.
pub(crate) fn unreached_object(
    repo: &Repository,
    commits: &[Oid],
    from: usize,
    c: u32,
    path: &str,
) -> Option<String> {
    // An archive's member is `archive!member`: the blob is the archive.
    let blob_path = path.split('!').next().unwrap_or(path);
    if c == UNREACHED_BLOB {
        return Some(blob_path.to_string());
    }
    let &commit = commits.get(c as usize).filter(|_| c as usize >= from)?;
    let blob = repo
        .find_commit(commit)
        .and_then(|k| k.tree())
        .and_then(|t| t.get_path(std::path::Path::new(blob_path)).map(|e| e.id()));
    Some(blob.unwrap_or(commit).to_string())
}

/// Lists the objects of `repo` (its object directories and alternates): the packed ones typed
/// from `packs` (the pack listing of the scan), the rest from their headers. An object whose
/// type cannot be read is an error: it is one the scan was asked to read.
fn list(repo: &Repository, packs: &[PackEntries]) -> Result<Inventory, GitError> {
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
fn unreached_commits(repo: &Repository, all: &[Oid], walked: &[Oid]) -> Result<Vec<Oid>, GitError> {
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
