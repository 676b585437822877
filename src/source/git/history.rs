//! `keyfence history`: every commit of a selection, each unique blob read and scanned once. A
//! credential is reported once, at the first commit (in walk order) and path where it appeared.
//!
//! A whole history reads every blob of the packs in pack order, on all cores, while the commit
//! walk (cut into stretches on long histories) finds where each first appears; then each
//! finding gets its commit and path. With more than one thread, the reading starts while
//! libgit2 still lists the commits. A range walks only its commits: its base is marked seen
//! first, the blobs its commits introduced are read in pack order, and credentials that the base
//! versions of the files it changed already held are not reported: only what it introduced.
//! Those base versions are read only when the new blobs hold a credential at all.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use git2::Repository;

use super::attribution::{introduced_and_others, join_key_ids};
use super::blobs::{scan_parallel, Collected, Job, Prescan, Prescanned, Side};
use super::inventory;
use super::messages::WalkMessages;
use super::odb::{only_packs, PackEntries, PackObjects, PackOrder};
use super::oid_set::{raw, OidMap, OidSet};
use super::walk::{base_versions, walk_commits, CommitWalk, TreeWalker};
use super::{commit_info, open_with_objects, GitError, GitOptions, RevSelection, TIMING};
use crate::report::{ScanError, ScanReport, Subject};
use crate::scan::ScanEngine;
use crate::source::pool;
use crate::source::{BlobScanner, Progress};
use crate::suppress::Suppressor;

/// Scans the history `sel` selects in `repo`.
pub(crate) fn scan_history(
    repo: &Repository,
    sel: &RevSelection,
    engine: &ScanEngine,
    suppressor: &Suppressor,
    opts: &GitOptions,
    progress: &Progress,
) -> Result<ScanReport, GitError> {
    let result = scan(repo, sel, engine, suppressor, opts, progress);
    super::explain_damage(repo, result)
}

fn scan(
    repo: &Repository,
    sel: &RevSelection,
    engine: &ScanEngine,
    suppressor: &Suppressor,
    opts: &GitOptions,
    progress: &Progress,
) -> Result<ScanReport, GitError> {
    let started = Instant::now();
    let threads = pool::worker_count(opts.threads);
    let mut object_dirs = vec![repo.path().join("objects")];
    object_dirs.extend(opts.object_dirs.iter().cloned());
    let order = PackOrder::load_dirs(&object_dirs);
    // A whole history holds nearly every blob of the packs: with more than one thread, one of
    // them reads them in pack order while libgit2 lists the commits (a serial second or more
    // on a long history), instead of waiting for the list; it stops when the list is done.
    let early = sel.is_full() && threads > 1;
    let packs = if early { order.packs() } else { Vec::new() };
    let prescan = Prescan::new(&packs, engine, suppressor, opts, progress);
    let listed = AtomicBool::new(false);
    std::thread::scope(|s| {
        if early {
            s.spawn(|| prescan.work_until(&listed));
        }
        let early = early.then_some(Early {
            packs: &packs,
            prescan: &prescan,
            listed: &listed,
        });
        let scanned = scan_listed(repo, sel, engine, suppressor, opts, progress, &order, early);
        // An error cut the scan short: the early reader stops at its next blob.
        prescan.cancel();
        let mut report = scanned?;
        report.stats.elapsed_ms = started.elapsed().as_millis() as u64;
        report.finish();
        Ok(report)
    })
}

/// The pack-order reading of a whole history started before the commits were listed: the
/// packs, their reader, and the flag that stops the early reader once the list is done.
struct Early<'p> {
    packs: &'p [PackEntries],
    prescan: &'p Prescan<'p>,
    listed: &'p AtomicBool,
}

/// [`scan`] from the commit list on.
#[allow(clippy::too_many_arguments)]
fn scan_listed(
    repo: &Repository,
    sel: &RevSelection,
    engine: &ScanEngine,
    suppressor: &Suppressor,
    opts: &GitOptions,
    progress: &Progress,
    order: &PackOrder,
    early: Option<Early<'_>>,
) -> Result<ScanReport, GitError> {
    let started = Instant::now();
    let walk = walk_commits(repo, sel);
    if let Some(e) = &early {
        e.listed.store(true, Ordering::Relaxed);
    }
    let mut walk = walk?;
    if sel.all_objects {
        let listed = early.as_ref().map(|e| e.packs);
        let (unreached, inventory) = inventory::unreached(repo, &walk.commits, order, listed)?;
        let from = walk.commits.len();
        walk.commits.extend(unreached);
        walk.unreached = Some((from, inventory));
    }
    log::info!(
        target: TIMING,
        "commit list ({} commits) {:.2}s",
        walk.commits.len(),
        started.elapsed().as_secs_f64()
    );
    if let Some(max) = opts.max_commits {
        if walk.commits.len() > max {
            return Err(GitError::TooManyCommits {
                count: walk.commits.len(),
                max,
            });
        }
    }
    let mut report = ScanReport::default();
    if let Some(edge) = walk.shallow_edge {
        if !sel.is_full() {
            return Err(GitError::ShallowRange {
                commit: edge.to_string(),
            });
        }
        // What the clone holds is scanned; the rest is a warning (an error with `--strict`).
        report
            .errors
            .extend(super::shallow::edge_warning(repo, &walk.commits));
    }
    progress.set_total_commits(walk.commits.len());
    // A range first marks only what its base shares with its tips at the same paths; if that
    // finds anything, the range is scanned again with the whole base marked, so that a blob
    // the base holds anywhere (a copied file) counts as there before, as it always has.
    let along = !walk.boundary.is_empty();
    // The pack listing of a whole history, for the messages (see below).
    let listed_packs = early.as_ref().map(|e| e.packs);
    let scan_with = |along, early| {
        collect_and_scan(
            repo, &walk, engine, suppressor, opts, progress, order, early, along,
        )
    };
    let (mut collected, mut produced) = scan_with(along, early)?;
    if along && !collected.found.is_empty() {
        (collected, produced) = scan_with(false, None)?;
    }
    let stats = &mut report.stats;
    stats.merge(&collected.stats);
    stats.commits_scanned = walk.commits.len() as u64;
    stats.submodules_skipped = produced.submodules;
    stats.symlinks_skipped = produced.symlinks;
    report.errors.extend(produced.errors);
    report.errors.append(&mut collected.errors);
    // Commit messages, tag annotations and notes (see `messages`).
    let t_messages = Instant::now();
    let packs = listed_packs.map(|p| (order, p));
    let mut in_walk = std::mem::take(&mut produced.messages);
    // Nothing any blob held was reported or suppressed: a note (a blob) holds nothing either.
    in_walk.every_blob_clean &= collected.found.is_empty() && collected.stats.suppressed == 0;
    let mut messages = if opts.no_messages {
        super::messages::Messages::default()
    } else {
        super::messages::scan_messages(repo, &walk, sel, engine, suppressor, opts, packs, in_walk)
    };
    log::info!(
        target: TIMING,
        "{} messages {:.2}s",
        messages.scanned,
        t_messages.elapsed().as_secs_f64()
    );
    report.stats.messages_scanned = messages.scanned;
    report.errors.append(&mut messages.errors);
    let (mut findings, others, preexisting) = introduced_and_others(collected);
    report.stats.preexisting = preexisting;
    join_key_ids(&mut findings, &walk.commits);
    let mut infos = HashMap::new();
    let others = others.into_iter().filter(|_| opts.all_places);
    for (reported, (c, mut f)) in findings
        .into_iter()
        .map(|x| (true, x))
        .chain(others.map(|x| (false, x)))
    {
        // A blob no walked commit holds has no commit (`--all-objects`).
        if let Some(&oid) = walk.commits.get(c as usize) {
            let info = infos.entry(c).or_insert_with(|| {
                repo.find_commit(oid)
                    .ok()
                    .map(|commit| commit_info(&commit))
            });
            f.commit = info.clone();
        }
        if let Some((from, _)) = &walk.unreached {
            f.unreachable = inventory::unreached_object(repo, &walk.commits, *from, c, &f.path);
        }
        if reported {
            report.findings.push(f);
        } else {
            report.also_at.push(f);
        }
    }
    super::messages::merge(&mut report.findings, messages);
    Ok(report)
}

/// Walks the trees, then scans every new blob (and, for a range, the base versions) in pack
/// order on the workers.
#[allow(clippy::too_many_arguments)]
fn collect_and_scan(
    repo: &Repository,
    walk: &CommitWalk,
    engine: &ScanEngine,
    suppressor: &Suppressor,
    opts: &GitOptions,
    progress: &Progress,
    order: &PackOrder,
    early: Option<Early<'_>>,
    along: bool,
) -> Result<(Collected, Produced), GitError> {
    let t0 = Instant::now();
    let threads = pool::worker_count(opts.threads);
    let git_dir = repo.path();
    // A whole history holds nearly every blob of the packs: read them all in pack order while
    // the commit walk runs on a thread of its own, then give each the path the walk found.
    let whole = walk.boundary.is_empty() && !walk.commits.is_empty();
    let (listed, own_prescan);
    // Without an early reader, the packs are listed now, if the walk needs them.
    let (packs, prescan): (&[PackEntries], _) = match early {
        Some(e) => (e.packs, e.prescan),
        None => {
            listed = if whole { order.packs() } else { Vec::new() };
            own_prescan = Prescan::new(&listed, engine, suppressor, opts, progress);
            (&listed, &own_prescan)
        }
    };
    let (produced, (mut pre, mut failed), left) = if whole {
        // Long histories are cut into consecutive stretches walked on threads of their own;
        // each walking thread joins the blob readers when its stretch is done.
        let n = walk.commits.len();
        let stretches = threads.min(n / MIN_COMMITS_PER_SEGMENT).max(1);
        let per = n.div_ceil(stretches);
        let produced = std::thread::scope(|s| {
            let walkers: Vec<_> = (0..stretches)
                .map(|k| {
                    s.spawn(move || {
                        let segment = open_with_objects(git_dir, &opts.object_dirs)
                            .map_err(|e| GitError::git("opening the repository", e))
                            .map(|repo| {
                                let range = k * per..((k + 1) * per).min(n);
                                let objects = PackObjects::new(order, packs);
                                let messages = (!opts.no_messages).then_some((engine, suppressor));
                                walk_segment(
                                    &repo,
                                    walk,
                                    range,
                                    Some(objects),
                                    messages,
                                    progress,
                                    false,
                                )
                            });
                        log::info!(
                            target: TIMING,
                            "commit walk {k} {:.2}s",
                            t0.elapsed().as_secs_f64()
                        );
                        prescan.work();
                        segment
                    })
                })
                .collect();
            // Threads beyond the walking ones read blobs from the start; with none left over
            // (`--threads 1`), the walking threads read them all once their stretch is done.
            if threads > stretches {
                pool::run(threads - stretches, &|| prescan.work());
            }
            walkers
                .into_iter()
                .map(|w| {
                    w.join().unwrap_or_else(|_| {
                        Err(GitError::git(
                            "walking trees",
                            git2::Error::from_str("a walking thread panicked"),
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(|s| join_segments(s, walk.unreached.is_some()))
        });
        // `None` when some blob may not have been read (see `Prescan::read_all`).
        let left = prescan.read_all().then(|| prescan.take_left());
        (produced, prescan.finish(), left)
    } else {
        // A range reads few trees: libgit2 reads them without listing the packs first.
        let none = (OidMap::default(), OidMap::default());
        (produce(repo, walk, None, progress, along), none, None)
    };
    let mut produced = produced?;
    if let Some((_, inventory)) = &walk.unreached {
        // Blobs no walked tree holds, each named by its id.
        let met = std::mem::take(&mut produced.met);
        produced.jobs.extend(inventory.unmet_blobs(&met));
    }
    let known = opts
        .memo
        .as_ref()
        .map_or(0, |m| m.filter(&mut produced.jobs));
    // A range's base versions are needed only to drop credentials that were there before: the
    // paths its commits touched are kept until the new blobs show whether anything was found.
    let touched: Vec<Vec<u8>> = if walk.boundary.is_empty() {
        Vec::new()
    } else {
        produced.jobs.iter().map(|j| j.path.clone()).collect()
    };
    let t1 = Instant::now();
    let mut collected = Collected::default();
    collected.stats.blobs_known = known;
    let mut attributor =
        BlobScanner::new(engine, suppressor, opts.scan_binary).with_archives(opts.archives);
    let mut rest: Vec<((usize, u64), Job)> = Vec::new();
    let mut leftover = PackObjects::new(order, packs);
    // Blobs the pack-order scan left for later that the walk did not meet are never read.
    let read_all = left.is_some();
    let mut left: OidSet = left.into_iter().flatten().collect();
    for job in produced.jobs.drain(..) {
        if !left.is_empty() {
            left.remove(&raw(job.oid));
        }
        if let Some(fault) = failed.remove(&raw(job.oid)) {
            collected.errors.push(blob_error(&job, &fault));
            continue;
        }
        match (job.side, pre.remove(&raw(job.oid))) {
            (Side::Commit(c), Some(p)) => {
                p.attribute(c, &job.path, &mut attributor, &mut collected)
            }
            _ => {
                // Left over by the pack-order scan: read with libgit2 below, unless it is
                // corrupt in a way libgit2 would pay for in memory (a declared size that its
                // data cannot inflate to, which libgit2 reserves).
                if let Err(e) = leftover.read(job.oid) {
                    if e.is_final() {
                        collected.errors.push(blob_error(&job, &e.to_string()));
                        continue;
                    }
                }
                rest.push((order.key(job.oid), job))
            }
        }
    }
    collected.stats.merge(&attributor.stats);
    collected.errors.append(&mut attributor.errors);
    // Blobs the walk did not meet that gave nothing: a note's text is one when its notes
    // reference is not walked, and need not be read again as a message.
    if !opts.no_messages {
        produced.messages.every_blob_clean = read_all
            && failed.is_empty()
            && order.lists_all(packs)
            && !super::promisor::is_partial(repo)
            && std::iter::once(git_dir.join("objects"))
                .chain(opts.object_dirs.iter().cloned())
                .all(|dir| only_packs(&dir))
            && pre.values().all(|p| p.clean_size().is_some())
            && read_unmet(&left, &mut leftover, engine, suppressor, &mut pre);
        produced.messages.clean = pre;
    }
    rest.sort_unstable_by_key(|(k, _)| *k);
    let rest: Vec<Job> = rest.into_iter().map(|(_, j)| j).collect();
    // A partial clone's missing blobs are fetched first (see `promisor`).
    let mut missing = super::promisor::Missing::new(repo, &opts.fetch);
    let rest = missing.complete(rest);
    let t2 = Instant::now();
    let left = rest.len();
    collected.merge(scan_parallel(
        git_dir, rest, engine, suppressor, opts, threads, progress,
    ));
    let t3 = Instant::now();
    let mut before = 0;
    if !touched.is_empty() && !collected.found.is_empty() {
        let touched = touched.iter().map(Vec::as_slice).collect();
        let mut base = Vec::new();
        base_versions(repo, walk, &touched, &mut |j| {
            base.push((order.key(j.oid), j))
        })?;
        base.sort_unstable_by_key(|(k, _)| *k);
        before = base.len();
        collected.merge(scan_parallel(
            git_dir,
            missing.complete(base.into_iter().map(|(_, j)| j).collect()),
            engine,
            suppressor,
            opts,
            threads,
            progress,
        ));
    }
    collected.errors.extend(missing.error());
    log::info!(
        target: TIMING,
        "walk and pack-order scan {:.2}s, attribution {:.2}s, \
         {left} blobs read after the walk {:.2}s, {before} base versions {:.2}s",
        (t1 - t0).as_secs_f64(),
        (t2 - t1).as_secs_f64(),
        (t3 - t2).as_secs_f64(),
        t3.elapsed().as_secs_f64()
    );
    Ok((collected, produced))
}

/// Bytes of packed blobs [`read_unmet`] reads at most: more, and listing the notes costs less.
const UNMET_READ_MAX: u64 = 16 << 20;

/// Reads the blobs the pack-order scan left for later (archives: expanded only once their path
/// is known) that the walk did not meet, as a note's text is read (whole, not expanded): each
/// found clean is added to `pre`. True when all of them were; false as soon as one was not, or
/// when they take more than [`UNMET_READ_MAX`] in the packs (the notes are listed instead).
fn read_unmet(
    left: &OidSet,
    objects: &mut PackObjects<'_>,
    engine: &ScanEngine,
    suppressor: &Suppressor,
    pre: &mut OidMap<Prescanned>,
) -> bool {
    let oids: Vec<git2::Oid> = left
        .iter()
        .filter_map(|b| git2::Oid::from_bytes(b).ok())
        .collect();
    let mut stored = 0u64;
    for &oid in &oids {
        match objects.stored_len(oid) {
            Ok(Some(len)) => stored += len,
            _ => return false,
        }
    }
    if oids.len() != left.len() || stored > UNMET_READ_MAX {
        return false;
    }
    let mut scanner = BlobScanner::new(engine, suppressor, false);
    oids.into_iter().all(|oid| {
        let Ok(Some(data)) = objects.read(oid) else {
            return false;
        };
        let clean = scanner
            .detect_whole(&data, false)
            .is_none_or(|f| f.is_empty())
            && scanner.take_capped().is_empty();
        if clean {
            pre.insert(raw(oid), Prescanned::Clean(data.len() as u64));
        }
        clean
    })
}

/// What the tree walk found: new blobs to scan, the base versions of what changed, counts and
/// per-commit errors.
struct Produced {
    jobs: Vec<Job>,
    /// With `--all-objects`: every blob the walk met (symbolic links' too), so that the others
    /// can be scanned as unreached.
    met: OidSet,
    /// Commit messages the walk scanned.
    messages: WalkMessages,
    submodules: u64,
    symlinks: u64,
    errors: Vec<ScanError>,
}

/// Commits below which the commit walk is not split between threads.
const MIN_COMMITS_PER_SEGMENT: usize = 1000;

/// One stretch of consecutive commits of the walk: what its walker met, the new blobs it listed
/// and the commits it could not read fully.
struct Segment<'a> {
    walker: TreeWalker<'a>,
    jobs: Vec<Job>,
    errors: Vec<ScanError>,
    messages: WalkMessages,
}

/// Walks the commits `range` of the walk (the first stretch marks the trees of the base, a
/// range's boundary, seen first: whole, or with `along` only what they share with the tips at
/// the same paths) and lists each new blob. A commit that cannot be read fully is an error in
/// the report; the walk goes on.
fn walk_segment<'a>(
    repo: &Repository,
    walk: &CommitWalk,
    range: std::ops::Range<usize>,
    packs: Option<PackObjects<'a>>,
    messages: Option<(&ScanEngine, &Suppressor)>,
    progress: &Progress,
    along: bool,
) -> Segment<'a> {
    let mut errors = Vec::new();
    let mut jobs = Vec::new();
    // Each commit is read whole when its message is scanned here (see `messages`).
    let mut scanner = messages.map(|(e, s)| BlobScanner::new(e, s, false));
    let mut scanned = WalkMessages::default();
    let mut walker = TreeWalker::new(packs);
    let base = if range.start == 0 {
        &walk.boundary[..]
    } else {
        &[]
    };
    let tips: Vec<git2::Oid> = if along {
        walk.tips
            .iter()
            .filter_map(|&t| walker.commit_tree(repo, t).ok())
            .collect()
    } else {
        Vec::new()
    };
    for &b in base {
        let seen = walker.commit_tree(repo, b).and_then(|tree| {
            if along {
                tips.iter()
                    .try_for_each(|&tip| walker.mark_seen_along(repo, tree, tip))
            } else {
                walker.mark_seen(repo, tree)
            }
        });
        if let Err(e) = seen {
            errors.push(commit_error(b, &e));
        }
    }
    for i in range {
        let oid = walk.commits[i];
        let tree = match scanner.as_mut() {
            Some(scanner) => walker.commit_tree_and_raw(repo, oid).map(|(tree, raw)| {
                if let Some(raw) = raw {
                    scanned.scan(scanner, i, &raw);
                }
                tree
            }),
            None => walker.commit_tree(repo, oid),
        };
        let walked =
            tree.and_then(|tree| walker.walk_commit(repo, tree, i as u32, &mut |j| jobs.push(j)));
        if let Err(e) = walked {
            errors.push(commit_error(oid, &e));
        }
        progress.commit();
    }
    Segment {
        walker,
        jobs,
        errors,
        messages: scanned,
    }
}

/// Joins the stretches of a walk, in order: a blob belongs to the first stretch that met it.
fn join_segments(segments: Vec<Segment<'_>>, keep_met: bool) -> Produced {
    let mut segments = segments.into_iter();
    let Some(first) = segments.next() else {
        return Produced {
            jobs: Vec::new(),
            met: OidSet::default(),
            messages: WalkMessages::default(),
            submodules: 0,
            symlinks: 0,
            errors: Vec::new(),
        };
    };
    let (mut walker, mut jobs, mut errors) = (first.walker, first.jobs, first.errors);
    let mut messages = first.messages;
    for later in segments {
        jobs.extend(walker.absorb(later.walker, later.jobs));
        errors.extend(later.errors);
        messages.merge(later.messages);
    }
    let submodules = walker.submodules();
    Produced {
        jobs,
        met: if keep_met {
            walker.take_blobs()
        } else {
            OidSet::default()
        },
        submodules,
        messages,
        symlinks: walker.symlinks(),
        errors,
    }
}

/// The whole walk on the current thread.
fn produce(
    repo: &Repository,
    walk: &CommitWalk,
    packs: Option<PackObjects<'_>>,
    progress: &Progress,
    along: bool,
) -> Result<Produced, GitError> {
    let segment = walk_segment(
        repo,
        walk,
        0..walk.commits.len(),
        packs,
        None,
        progress,
        along,
    );
    Ok(join_segments(vec![segment], walk.unreached.is_some()))
}

fn blob_error(job: &Job, fault: &str) -> ScanError {
    ScanError {
        subject: Subject::Blob {
            path: String::from_utf8_lossy(&job.path).into_owned(),
            oid: job.oid.to_string(),
        },
        message: format!("cannot read the blob: {fault}"),
    }
}

fn commit_error(commit: git2::Oid, e: &GitError) -> ScanError {
    ScanError {
        subject: Subject::Commit(commit.to_string()),
        message: format!("not fully scanned: {e}"),
    }
}
