//! `keyfence history`: every commit of a selection, each unique blob read and scanned once, in
//! parallel, while one thread walks the commits. A credential is reported once, at the first
//! commit (in walk order) and path where it appeared. When the selection is a range, its base is
//! marked seen first, and credentials that its base versions of the changed files already held
//! are not reported: only what the range introduced.

use std::collections::HashMap;
use std::time::Instant;

use git2::Repository;

use super::blobs::{run_on_pool, scan_parallel, Collected, Job, Prescan};
use super::pack_order::PackOrder;
use super::progress::Progress;
use super::walk::{base_versions, walk_commits, CommitWalk, TreeWalker};
use super::{commit_info, GitError, GitOptions, RevSelection};
use crate::finding::Finding;
use crate::report_model::{ScanError, ScanReport};
use crate::scan::ScanEngine;

/// Scans the history `sel` selects in `repo`.
pub fn scan_history(
    repo: &Repository,
    sel: &RevSelection,
    engine: &ScanEngine,
    opts: &GitOptions,
) -> Result<ScanReport, GitError> {
    let started = Instant::now();
    let walk = walk_commits(repo, sel)?;
    let mut report = ScanReport::default();
    if let Some(edge) = walk.shallow_edge {
        if !sel.is_full() {
            return Err(GitError::ShallowRange {
                commit: edge.to_string(),
            });
        }
        report.errors.push(ScanError {
            path: "<history>".into(),
            message: format!(
                "shallow clone: history before commit {edge} is not in this clone and was not \
                 scanned; {}",
                super::FETCH_MORE_HINT
            ),
        });
    }
    let timing = std::env::var_os("KEYFENCE_TIMING").is_some();
    let progress = Progress::new(opts.progress);
    let (mut collected, produced) = std::thread::scope(|s| {
        let drawer = s.spawn(|| progress.draw_until_done(walk.commits.len()));
        let result = collect_and_scan(repo, &walk, engine, opts, &progress, timing);
        progress.finish();
        let _ = drawer.join();
        result
    })?;
    let stats = &mut report.stats;
    stats.merge(&collected.stats);
    stats.commits_scanned = walk.commits.len() as u64;
    stats.submodules_skipped = produced.submodules;
    stats.symlinks_skipped = produced.symlinks;
    report.errors.extend(produced.errors);
    report.errors.append(&mut collected.errors);
    let (findings, preexisting) = introduced(collected);
    report.stats.preexisting = preexisting;
    let mut infos = HashMap::new();
    for (c, mut f) in findings {
        let oid = walk.commits[c as usize];
        let info = infos.entry(c).or_insert_with(|| {
            repo.find_commit(oid)
                .ok()
                .map(|commit| commit_info(&commit))
        });
        f.commit = info.clone();
        report.findings.push(f);
    }
    report.stats.elapsed_ms = started.elapsed().as_millis() as u64;
    report.finish();
    Ok(report)
}

/// Walks the trees, then scans every new blob (and, for a range, the base versions) in pack
/// order on the workers.
fn collect_and_scan(
    repo: &Repository,
    walk: &CommitWalk,
    engine: &ScanEngine,
    opts: &GitOptions,
    progress: &Progress,
    timing: bool,
) -> Result<(Collected, Produced), GitError> {
    let t0 = Instant::now();
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        opts.threads
    };
    let git_dir = repo.path();
    let order = PackOrder::load(&git_dir.join("objects"));
    // A whole history holds nearly every blob of the packs: read them all in pack order while
    // the commit walk runs on a thread of its own, then give each the path the walk found.
    let whole = walk.boundary.is_empty() && !walk.commits.is_empty();
    let (produced, mut pre) = if whole {
        let packs = order.packs();
        let prescan = Prescan::new(&packs, engine, opts.scan_binary, progress);
        let produced = std::thread::scope(|s| {
            let walker = s.spawn(|| {
                let produced = Repository::open(git_dir)
                    .map_err(|e| GitError::git("opening the repository", e))
                    .and_then(|repo| produce(&repo, walk, progress));
                prescan.work();
                produced
            });
            run_on_pool(threads.saturating_sub(1).max(1), &|| prescan.work());
            walker.join().unwrap_or_else(|_| {
                Err(GitError::git(
                    "walking trees",
                    git2::Error::from_str("the walking thread panicked"),
                ))
            })
        });
        (produced, prescan.finish())
    } else {
        (produce(repo, walk, progress), HashMap::new())
    };
    let mut produced = produced?;
    let t1 = Instant::now();
    let mut collected = Collected::default();
    let mut rest: Vec<((usize, u64), Job)> = Vec::new();
    for job in produced.jobs.drain(..) {
        match (job.commit, pre.remove(&job.oid)) {
            (Some(commit), Some(p)) => collected.add_prescanned(commit, &job.path, p, engine),
            _ => rest.push((order.key(job.oid), job)),
        }
    }
    drop(pre);
    rest.sort_unstable_by_key(|(k, _)| *k);
    let rest: Vec<Job> = rest.into_iter().map(|(_, j)| j).collect();
    let t2 = Instant::now();
    let left = rest.len();
    collected.merge(scan_parallel(
        git_dir,
        rest,
        engine,
        opts.scan_binary,
        threads,
        progress,
    ));
    if timing {
        eprintln!(
            "keyfence: timing: walk and pack-order scan {:.2}s, attribution {:.2}s, \
             {left} blobs read after the walk {:.2}s",
            (t1 - t0).as_secs_f64(),
            (t2 - t1).as_secs_f64(),
            t2.elapsed().as_secs_f64()
        );
    }
    Ok((collected, produced))
}

/// What the tree walk found: new blobs to scan, the base versions of what changed, counts and
/// per-commit errors.
struct Produced {
    jobs: Vec<Job>,
    submodules: u64,
    symlinks: u64,
    errors: Vec<ScanError>,
}

/// Marks the trees of the base (a range's boundary) seen, walks the trees of every commit and
/// lists each new blob, then the base versions of what changed. A commit that cannot be read
/// fully is an error in the report; the walk goes on.
fn produce(
    repo: &Repository,
    walk: &CommitWalk,
    progress: &Progress,
) -> Result<Produced, GitError> {
    let mut errors = Vec::new();
    let mut jobs = Vec::new();
    let mut walker = TreeWalker::default();
    for &b in &walk.boundary {
        let seen = repo
            .find_commit(b)
            .map_err(|e| GitError::git(format!("commit {b}"), e))
            .and_then(|c| walker.mark_seen(repo, c.tree_id()));
        if let Err(e) = seen {
            errors.push(commit_error(b, &e));
        }
    }
    for (i, &oid) in walk.commits.iter().enumerate() {
        let walked = repo
            .find_commit(oid)
            .map_err(|e| GitError::git(format!("commit {oid}"), e))
            .and_then(|c| walker.walk_commit(repo, c.tree_id(), i as u32, &mut |j| jobs.push(j)));
        if let Err(e) = walked {
            errors.push(commit_error(oid, &e));
        }
        progress.commit();
    }
    if !walk.boundary.is_empty() {
        let touched = jobs.iter().map(|j| j.path.as_str()).collect();
        let mut base = Vec::new();
        base_versions(repo, walk, &touched, &mut |j| base.push(j))?;
        jobs.append(&mut base);
    }
    Ok(Produced {
        jobs,
        submodules: walker.submodules(),
        symlinks: walker.symlinks(),
        errors,
    })
}

fn commit_error(commit: git2::Oid, e: &GitError) -> ScanError {
    ScanError {
        path: format!("commit {commit}"),
        message: format!("not fully scanned: {e}"),
    }
}

/// Keeps one finding per credential, the earliest (walk order, then path and line), and drops
/// the credentials that base versions held. Returns them and how many credentials were dropped
/// as already there.
pub fn introduced(collected: Collected) -> (Vec<(u32, Finding)>, u64) {
    let mut first: HashMap<String, (u32, Finding)> = HashMap::new();
    for (c, f) in collected.found {
        match first.get_mut(&f.fingerprint) {
            Some(kept) if (kept.0, &kept.1.path, kept.1.line) <= (c, &f.path, f.line) => {}
            Some(kept) => *kept = (c, f),
            None => {
                first.insert(f.fingerprint.clone(), (c, f));
            }
        }
    }
    let before = first.len();
    first.retain(|fp, _| !collected.before.contains(fp));
    let preexisting = (before - first.len()) as u64;
    (first.into_values().collect(), preexisting)
}
