//! `keyfence staged`: what a pre-commit hook runs. Scans the blobs the index holds for files
//! added or changed against HEAD (the empty tree before the first commit), never the work tree,
//! and reports only the credentials the staged change introduces: credentials that the HEAD
//! versions of the changed or deleted files already held do not block the commit. The whole
//! staged blob is scanned, so a secret staged beside a committed key ID still pairs with it.
//! Its cost follows the size of the change.

use std::time::Instant;

use std::path::PathBuf;

use git2::{Delta, DiffOptions, Repository, Tree};

use super::blobs::{scan_here, Job, Side};
use super::odb::IndexFile;
use super::staged_changes::{Change, HeadChanges};
use super::{git_path, GitError, GitOptions, TIMING};
use crate::report::{ScanError, ScanReport};
use crate::scan::ScanEngine;
use crate::suppress::Suppressor;

const MODE_LINK: u32 = 0o120000;
const MODE_GITLINK: u32 = 0o160000;

/// Scans the staged change of `repo`.
pub(crate) fn scan_staged(
    repo: &Repository,
    engine: &ScanEngine,
    suppressor: &Suppressor,
    opts: &GitOptions,
) -> Result<ScanReport, GitError> {
    let result = scan(repo, engine, suppressor, opts);
    super::explain_damage(repo, result)
}

fn scan(
    repo: &Repository,
    engine: &ScanEngine,
    suppressor: &Suppressor,
    opts: &GitOptions,
) -> Result<ScanReport, GitError> {
    let started = Instant::now();
    if repo.is_bare() {
        return Err(GitError::Bare {
            dir: repo.path().display().to_string(),
        });
    }
    let head = match repo.head() {
        Ok(h) => Some(h.peel_to_tree().map_err(|e| {
            // Name the commit: libgit2 only names the reference when the object is unreadable.
            let commit = h
                .target()
                .map_or_else(String::new, |c| format!(" (commit {c})"));
            GitError::git(format!("reading HEAD's tree{commit}"), e)
        })?),
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
    let t0 = Instant::now();
    let changes = match IndexFile::read(&index_path(repo)) {
        Ok(index) => index
            .changes(repo, head.as_ref())
            .map_err(|e| GitError::git("comparing the index with HEAD", e))?,
        Err(_) => libgit2_changes(repo, head.as_ref())?,
    };
    let t1 = Instant::now();
    let mut report = ScanReport::default();
    let mut jobs = merged_versions(repo, &changes);
    for change in changes {
        if change.conflicted {
            report.errors.push(ScanError::path(
                String::from_utf8_lossy(&change.path),
                "unmerged (conflicted) path: resolve and stage it, then scan again",
            ));
            continue;
        }
        if let Some((oid, mode)) = change.old {
            if mode != MODE_LINK && mode != MODE_GITLINK {
                jobs.push(Job {
                    oid,
                    path: change.path.clone(),
                    side: Side::Before,
                });
            }
        }
        match change.new {
            None => {}
            Some((_, MODE_GITLINK)) => report.stats.submodules_skipped += 1,
            Some((_, MODE_LINK)) => report.stats.symlinks_skipped += 1,
            Some((oid, _)) => jobs.push(Job {
                oid,
                path: change.path,
                side: Side::Staged,
            }),
        }
    }
    let odb = repo
        .odb()
        .map_err(|e| GitError::git("opening the object database", e))?;
    let mut collected = scan_here(&odb, &jobs, engine, suppressor, opts);
    log::info!(
        target: TIMING,
        "open and HEAD {:.1} ms, index and changes {:.1} ms, {} blobs read and scanned {:.1} ms",
        (t0 - started).as_secs_f64() * 1e3,
        (t1 - t0).as_secs_f64() * 1e3,
        jobs.len(),
        t1.elapsed().as_secs_f64() * 1e3
    );
    report.stats.merge(&collected.stats);
    report.errors.append(&mut collected.errors);
    let (findings, preexisting) = super::attribution::introduced(collected);
    report.stats.preexisting = preexisting;
    report.findings = findings.into_iter().map(|(_, f)| f).collect();
    report.stats.elapsed_ms = started.elapsed().as_millis() as u64;
    report.finish();
    Ok(report)
}

/// While a merge is being concluded, the versions of the changed files on the branches being
/// merged (`MERGE_HEAD`): what they held was committed there, so only what the resolution adds
/// is introduced by this commit.
fn merged_versions(repo: &Repository, changes: &[Change]) -> Vec<Job> {
    let heads: Vec<git2::Oid> = if repo.state() == git2::RepositoryState::Merge {
        std::fs::read_to_string(repo.path().join("MERGE_HEAD"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| git2::Oid::from_str(l.trim()).ok())
            .collect()
    } else {
        Vec::new()
    };
    let mut jobs = Vec::new();
    for head in heads {
        let Ok(tree) = repo.find_commit(head).and_then(|c| c.tree()) else {
            continue;
        };
        for change in changes.iter().filter(|c| c.new.is_some()) {
            if let Ok(entry) = tree.get_path(&git_path(&change.path)) {
                let mode = entry.filemode() as u32;
                if entry.kind() == Some(git2::ObjectType::Blob) && mode != MODE_LINK {
                    jobs.push(Job {
                        oid: entry.id(),
                        path: change.path.clone(),
                        side: Side::Before,
                    });
                }
            }
        }
    }
    jobs
}

/// The index file the hook's git uses: `GIT_INDEX_FILE` (relative to the current directory, as
/// git sets it for `git commit -a` and `git commit PATH`), else the repository's own.
fn index_path(repo: &Repository) -> PathBuf {
    match std::env::var_os("GIT_INDEX_FILE").filter(|v| !v.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => repo.path().join("index"),
    }
}

/// The staged change from libgit2's tree-to-index diff, for indexes [`IndexFile`] leaves to it.
fn libgit2_changes(repo: &Repository, head: Option<&Tree<'_>>) -> Result<Vec<Change>, GitError> {
    let index = repo.index().map_err(|e| {
        let context = if e.message().contains("'link'") {
            "reading the index: it is a split index (core.splitIndex), which keyfence cannot read \
             yet; `git update-index --no-split-index` turns it off"
        } else {
            "reading the index"
        };
        GitError::git(context, e)
    })?;
    let mut opts = DiffOptions::new();
    opts.include_typechange(true).ignore_submodules(false);
    let diff = repo
        .diff_tree_to_index(head, Some(&index), Some(&mut opts))
        .map_err(|e| GitError::git("comparing the index with HEAD", e))?;
    let side = |f: git2::DiffFile<'_>| (!f.id().is_zero()).then(|| (f.id(), u32::from(f.mode())));
    Ok(diff
        .deltas()
        .map(|delta| {
            let (old, new) = (delta.old_file(), delta.new_file());
            let path = new
                .path_bytes()
                .or(old.path_bytes())
                .unwrap_or_default()
                .to_vec();
            let deleted = delta.status() == Delta::Deleted;
            Change {
                path,
                old: side(old),
                new: if deleted { None } else { side(new) },
                conflicted: delta.status() == Delta::Conflicted,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    use super::super::odb::testing::{git as run, output as git_output};

    fn git(dir: &Path, args: &[&str]) {
        run(dir, args);
    }

    fn write(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// The index reader's changes, and libgit2's, sorted.
    fn both(dir: &Path) -> (Vec<Change>, Vec<Change>) {
        let repo = Repository::open(dir).unwrap();
        let head = repo.head().ok().and_then(|h| h.peel_to_tree().ok());
        let index = IndexFile::read(&dir.join(".git/index")).expect("the reader takes this index");
        let mut fast = index.changes(&repo, head.as_ref()).unwrap();
        let mut slow = libgit2_changes(&repo, head.as_ref()).unwrap();
        fast.sort_by(|a, b| a.path.cmp(&b.path));
        slow.sort_by(|a, b| a.path.cmp(&b.path));
        (fast, slow)
    }

    /// The cache-tree shortcut changes nothing: every kind of staged change comes out as
    /// libgit2's own diff has it, in index versions 2, 3 and 4.
    #[test]
    fn the_index_reader_agrees_with_libgit2() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        git(d, &["init", "-q"]);
        for f in [
            "top.txt",
            "a/b/c.txt",
            "a/b/keep.txt",
            "a/z.txt",
            "x/one.txt",
            "x/sub/two.txt",
            "d/inner.txt",
            "f",
            "mode.sh",
        ] {
            write(d, f, &format!("{f}\n"));
        }
        git(d, &["add", "-A"]);
        let (fast, slow) = both(d);
        assert_eq!(fast, slow, "no commit yet");
        assert_eq!(fast.len(), 9);
        git(d, &["commit", "-qm", "one"]);
        let (fast, slow) = both(d);
        assert!(
            fast.is_empty() && slow.is_empty(),
            "nothing staged: {fast:?}"
        );

        write(d, "a/b/c.txt", "changed\n");
        write(d, "a/new.txt", "new\n");
        std::fs::remove_file(d.join("top.txt")).unwrap();
        std::fs::rename(d.join("x"), d.join("y")).unwrap();
        std::fs::remove_file(d.join("f")).unwrap();
        write(d, "f/g.txt", "file became a directory\n");
        std::fs::remove_dir_all(d.join("d")).unwrap();
        write(d, "d", "directory became a file\n");
        git(d, &["add", "-A"]);
        git(d, &["update-index", "--chmod=+x", "mode.sh"]);
        let commit = String::from_utf8(git_output(d, &["rev-parse", "HEAD"]).stdout).unwrap();
        git(
            d,
            &[
                "update-index",
                "--add",
                "--cacheinfo",
                &format!("160000,{},vendor/lib", commit.trim()),
            ],
        );
        for version in ["2", "3", "4"] {
            git(d, &["update-index", "--index-version", version]);
            let (fast, slow) = both(d);
            assert_eq!(fast, slow, "index version {version}");
            assert!(fast.len() >= 10, "{fast:?}");
        }
    }

    #[test]
    fn conflicts_and_intent_to_add() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        git(d, &["init", "-q", "-b", "main"]);
        write(d, "c.txt", "base\n");
        git(d, &["add", "-A"]);
        git(d, &["commit", "-qm", "base"]);
        git(d, &["checkout", "-qb", "side"]);
        write(d, "c.txt", "side\n");
        git(d, &["commit", "-qam", "side"]);
        git(d, &["checkout", "-q", "main"]);
        write(d, "c.txt", "main\n");
        git(d, &["commit", "-qam", "main"]);
        assert!(
            !git_output(d, &["merge", "-q", "side"]).status.success(),
            "must conflict"
        );
        let repo = Repository::open(d).unwrap();
        let head = repo.head().unwrap().peel_to_tree().unwrap();
        let index = IndexFile::read(&d.join(".git/index")).unwrap();
        let changes = index.changes(&repo, Some(&head)).unwrap();
        assert_eq!(changes.len(), 1);
        assert!(changes[0].conflicted && changes[0].path == b"c.txt");
        git(d, &["merge", "--abort"]);
        write(d, "later.txt", "not staged yet\n");
        git(d, &["add", "-N", "later.txt"]);
        let index = IndexFile::read(&d.join(".git/index")).unwrap();
        assert!(
            index.changes(&repo, Some(&head)).unwrap().is_empty(),
            "intent to add stages no content"
        );
    }
}
