//! Which commits a history scan walks: revisions as `git log` takes them, resolved into commits
//! to start from and commits (or reference globs) to stop at.

use std::collections::HashSet;

use git2::{Oid, Repository};

use super::GitError;

/// Commits to walk: reachable from `include`, not from `exclude` nor from any reference that
/// `exclude_globs` matches. With nothing included, `all_refs` walks every reference and HEAD.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RevSelection {
    /// Start points.
    pub include: Vec<Oid>,
    /// Stop points: their history is the base.
    pub exclude: Vec<Oid>,
    /// Reference globs whose history is the base (`refs/remotes/origin/*`).
    pub exclude_globs: Vec<String>,
    /// Walk every reference (branches, tags, remotes, notes, stash) and HEAD.
    pub all_refs: bool,
    /// Annotated tags (name, tag object) whose messages are scanned besides those under
    /// `refs/tags/`: a push's new tags, whose refs do not exist yet.
    pub tags: Vec<(String, Oid)>,
    /// Notes references a push updates (name, new commit, old commit when there was one): the
    /// notes the new commit holds and the old one did not are scanned as notes, their refs not
    /// being updated yet.
    pub notes: Vec<(String, Oid, Option<Oid>)>,
    /// Also every object no reference reaches (`--all-objects`): the commits, blobs and
    /// annotated tags of the object database that the walk of the references does not meet.
    pub all_objects: bool,
}

impl RevSelection {
    /// Every reference and HEAD.
    pub(crate) fn all() -> RevSelection {
        RevSelection {
            all_refs: true,
            ..RevSelection::default()
        }
    }

    /// True when nothing is excluded: the whole history of the start points.
    pub(crate) fn is_full(&self) -> bool {
        self.exclude.is_empty() && self.exclude_globs.is_empty()
    }

    /// Parses revisions as `git log` does: `REV`, `^REV`, `A..B` (either side may be empty for
    /// HEAD) and `A...B` (both sides, minus their merge bases). No revisions: every reference.
    pub(crate) fn parse(repo: &Repository, specs: &[String]) -> Result<RevSelection, GitError> {
        if specs.is_empty() {
            return Ok(RevSelection::all());
        }
        let mut sel = RevSelection::default();
        for spec in specs {
            if let Some(rest) = spec.strip_prefix('^') {
                sel.exclude.push(resolve(repo, rest)?);
            } else if let Some((a, b)) = spec.split_once("...") {
                let (a, b) = (resolve(repo, or_head(a))?, resolve(repo, or_head(b))?);
                sel.include.extend([a, b]);
                match repo.merge_bases(a, b) {
                    Ok(bases) => sel.exclude.extend(bases.iter().copied()),
                    Err(e) if e.code() == git2::ErrorCode::NotFound => {}
                    Err(e) => return Err(GitError::git(format!("merge base of {spec}"), e)),
                }
            } else if let Some((a, b)) = spec.split_once("..") {
                sel.exclude.push(resolve(repo, or_head(a))?);
                sel.include.push(resolve(repo, or_head(b))?);
            } else {
                sel.include.push(resolve(repo, spec)?);
            }
        }
        if sel.include.is_empty() {
            // Only exclusions (`^main`): like git, start from HEAD.
            sel.include.push(resolve(repo, "HEAD")?);
        }
        Ok(sel)
    }
}

fn or_head(side: &str) -> &str {
    if side.is_empty() {
        "HEAD"
    } else {
        side
    }
}

/// Resolves a revision to a commit. In a shallow clone, a revision that does not resolve is the
/// shallow-clone error (a missing commit, or a branch a single-branch clone did not fetch), so
/// the user is told to fetch more history.
pub(crate) fn resolve(repo: &Repository, spec: &str) -> Result<Oid, GitError> {
    let object = match repo.revparse_single(spec) {
        Ok(o) => o,
        Err(e) => {
            if repo.is_shallow() {
                return Err(GitError::ShallowMissing {
                    what: spec.to_string(),
                });
            }
            return Err(GitError::BadRevision {
                spec: spec.to_string(),
                message: e.message().to_string(),
            });
        }
    };
    object
        .peel_to_commit()
        .map(|c| c.id())
        .map_err(|e| GitError::BadRevision {
            spec: spec.to_string(),
            message: e.message().to_string(),
        })
}

/// The commits a shallow clone was cut at (their parents are missing), from `shallow` in the
/// git directory; empty for a complete clone.
pub(crate) fn shallow_commits(repo: &Repository) -> HashSet<Oid> {
    if !repo.is_shallow() {
        return HashSet::new();
    }
    let text = std::fs::read_to_string(repo.commondir().join("shallow")).unwrap_or_default();
    text.lines()
        .filter_map(|l| Oid::from_str(l.trim()).ok())
        .collect()
}
