//! Presence at the scanned tip, for the grouped view: whether each credential found in history
//! is still in the tree of a scanned tip (HEAD for a whole history or when the selection names
//! no start point, else each start point: the head of a range). A location is present when the
//! tip has a blob at its path that is the very blob the credential was found in, or that holds
//! a detection with the credential's fingerprint (the file changed, the credential stayed).
//! An archive entry (`a.zip!inner`) is looked up by the archive's path and counts only when
//! the archive is unchanged; so does a credential found decoded (base64, UTF-16), which the
//! engine alone does not see again.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use git2::{ObjectType, Oid, Repository, Tree};

use super::RevSelection;
use crate::report::ScanReport;
use crate::scan::ScanEngine;

/// The most bytes of a tip's blob scanned again to find a credential in a changed file.
const MAX_RESCAN: usize = 64 << 20;

/// The trees of the tips `sel` scanned.
fn tip_trees<'r>(repo: &'r Repository, sel: &RevSelection) -> Vec<Tree<'r>> {
    let starts: Vec<Oid> = if sel.all_refs || sel.include.is_empty() {
        repo.head()
            .ok()
            .and_then(|h| h.peel_to_commit().ok())
            .map(|c| c.id())
            .into_iter()
            .collect()
    } else {
        sel.include.clone()
    };
    starts
        .into_iter()
        .filter_map(|id| repo.find_object(id, None).ok()?.peel_to_tree().ok())
        .collect()
}

/// The blob at `path` in `tree`, if there is one.
fn blob_at(tree: &Tree<'_>, path: &str) -> Option<Oid> {
    let entry = tree.get_path(Path::new(path)).ok()?;
    (entry.kind() == Some(ObjectType::Blob)).then(|| entry.id())
}

/// Fills `report.at_tip` for the findings (reported and set aside) that have a commit. Leaves
/// it `None` when no tip can be read (an unborn HEAD).
pub(crate) fn mark_at_tip(
    repo: &Repository,
    sel: &RevSelection,
    engine: &ScanEngine,
    report: &mut ScanReport,
) {
    let tips = tip_trees(repo, sel);
    if tips.is_empty() {
        return;
    }
    let mut present = BTreeSet::new();
    let mut found_in: HashMap<(String, String), Option<Oid>> = HashMap::new();
    // The fingerprints each tip blob scanned again holds (once per blob).
    let mut holds: HashMap<Oid, HashSet<String>> = HashMap::new();
    let findings = report
        .findings
        .iter()
        .chain(&report.also_at)
        .chain(report.set_aside.iter().map(|s| &s.finding));
    for f in findings {
        let Some(commit) = &f.commit else { continue };
        let key = (f.fingerprint.clone(), f.path.clone());
        if present.contains(&key) {
            continue;
        }
        let (tree_path, whole) = match f.path.split_once('!') {
            Some((archive, _)) => (archive, false),
            None => (f.path.as_str(), f.decoded.is_empty()),
        };
        let origin = *found_in
            .entry((commit.id.clone(), tree_path.to_string()))
            .or_insert_with(|| {
                let id = Oid::from_str(&commit.id).ok()?;
                blob_at(&repo.find_commit(id).ok()?.tree().ok()?, tree_path)
            });
        let at_tip = tips.iter().any(|tree| match blob_at(tree, tree_path) {
            None => false,
            Some(id) if Some(id) == origin => true,
            Some(id) => {
                whole
                    && holds
                        .entry(id)
                        .or_insert_with(|| fingerprints(repo, id, engine))
                        .contains(&f.fingerprint)
            }
        });
        if at_tip {
            present.insert(key);
        }
    }
    report.at_tip = Some(present);
}

/// The fingerprints of the detections in the blob `id` (none for a blob over [`MAX_RESCAN`]).
fn fingerprints(repo: &Repository, id: Oid, engine: &ScanEngine) -> HashSet<String> {
    let Ok(blob) = repo.find_blob(id) else {
        return HashSet::new();
    };
    let data = blob.content();
    if data.len() > MAX_RESCAN {
        return HashSet::new();
    }
    engine
        .detect(data, 0..data.len())
        .list
        .into_iter()
        .map(|d| d.finding.fingerprint)
        .collect()
}
