//! `keyfence staged`: what a pre-commit hook runs. Scans the blobs the index holds for files
//! added or changed against HEAD (the empty tree before the first commit), never the work tree,
//! and reports only the credentials the staged change introduces: credentials that the HEAD
//! versions of the changed or deleted files already held do not block the commit. The whole
//! staged blob is scanned, so a secret staged beside a committed key ID still pairs with it.
//! Its cost follows the size of the change.

use std::time::Instant;

use git2::{Delta, DiffOptions, Repository};

use super::blobs::{BlobScanner, Job};
use super::progress::Progress;
use super::GitError;
use crate::report_model::{ScanError, ScanReport};
use crate::scan::ScanEngine;

const MODE_LINK: i32 = 0o120000;
const MODE_GITLINK: i32 = 0o160000;

/// Scans the staged change of `repo`.
pub fn scan_staged(
    repo: &Repository,
    engine: &ScanEngine,
    scan_binary: bool,
) -> Result<ScanReport, GitError> {
    let started = Instant::now();
    let head = match repo.head() {
        Ok(h) => Some(
            h.peel_to_tree()
                .map_err(|e| GitError::git("reading HEAD's tree", e))?,
        ),
        Err(e)
            if matches!(
                e.code(),
                git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound
            ) =>
        {
            None
        }
        Err(e) => return Err(GitError::git("reading HEAD", e)),
    };
    let index = repo
        .index()
        .map_err(|e| GitError::git("reading the index", e))?;
    let mut opts = DiffOptions::new();
    opts.include_typechange(true).ignore_submodules(false);
    let diff = repo
        .diff_tree_to_index(head.as_ref(), Some(&index), Some(&mut opts))
        .map_err(|e| GitError::git("comparing the index with HEAD", e))?;

    let mut report = ScanReport::default();
    let mut jobs = Vec::new();
    for delta in diff.deltas() {
        let (old, new) = (delta.old_file(), delta.new_file());
        let path = new
            .path_bytes()
            .or(old.path_bytes())
            .map_or_else(String::new, |p| String::from_utf8_lossy(p).into_owned());
        if delta.status() == Delta::Conflicted {
            report.errors.push(ScanError {
                path,
                message: "unmerged (conflicted) path: resolve and stage it, then scan again".into(),
            });
            continue;
        }
        let old_mode = i32::from(old.mode());
        if !old.id().is_zero() && old_mode != MODE_LINK && old_mode != MODE_GITLINK {
            jobs.push(Job {
                oid: old.id(),
                path: path.clone(),
                commit: None,
            });
        }
        if matches!(delta.status(), Delta::Deleted) || new.id().is_zero() {
            continue;
        }
        match i32::from(new.mode()) {
            MODE_GITLINK => report.stats.submodules_skipped += 1,
            MODE_LINK => report.stats.symlinks_skipped += 1,
            _ => jobs.push(Job {
                oid: new.id(),
                path,
                commit: Some(u32::MAX),
            }),
        }
    }
    let odb = repo
        .odb()
        .map_err(|e| GitError::git("opening the object database", e))?;
    let progress = Progress::new(false);
    let mut scanner = BlobScanner::new(engine, scan_binary, &progress);
    for job in &jobs {
        scanner.scan(&odb, job);
    }
    let mut collected = scanner.out;
    report.stats.merge(&collected.stats);
    report.errors.append(&mut collected.errors);
    let (findings, preexisting) = super::history::introduced(collected);
    report.stats.preexisting = preexisting;
    report.findings = findings.into_iter().map(|(_, f)| f).collect();
    report.stats.elapsed_ms = started.elapsed().as_millis() as u64;
    report.finish();
    Ok(report)
}
