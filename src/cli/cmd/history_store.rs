//! `keyfence history --datastore FILE [REPO...] [--repos FILE]`: whole histories of one or many
//! repositories, incrementally. Per repository the store gives the tips walked and the blobs
//! scanned under the same ruleset digest; the walk hides those tips (as `git rev-list new
//! ^old`) and skips those blobs; the findings, the new tips and the blobs read are written back
//! in one transaction, so a run killed at any moment loses nothing and the next run picks up
//! the repositories not finished. The report lists every open finding of the repositories of
//! the run, from the store and this scan; `--new` only those found for the first time.

use std::collections::{BTreeSet, HashSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use git2::{Oid, Repository};

use crate::cli::args::{worker_threads, HistoryArgs, ProgressChoice};
use crate::cli::datastore::{
    apply, now, open_store, record_verifications, repo_name, ruleset_digest,
};
use crate::cli::git::git_options;
use crate::cli::load::{finish, load};
use crate::cli::mirror::{is_url, mirror};
use crate::cli::output::{emit, sanitize};
use crate::cli::progress::with_progress;
use crate::cli::url::without_userinfo;
use crate::cli::verify::{check_unused, verify_report};
use crate::cli::ExitCode;
use crate::config::EffectiveConfig;
use crate::report::{ScanError, ScanReport, Subject};
use crate::rules::RuleSet;
use crate::source::archive::ArchiveOptions;
use crate::source::git::{
    discover_repository, mark_at_tip, repository_root, scan_history, BlobMemo, RevSelection,
};
use crate::source::TIMING;
use crate::store::{FindingFilter, NewFinding, RepoKind, RepoRecord, Store, StoreError};

/// Runs `keyfence history --datastore`.
pub(crate) fn run(args: HistoryArgs) -> Result<ExitCode> {
    check_unused(&args.verify)?;
    let started = Instant::now();
    let db = args
        .store
        .datastore
        .clone()
        .context("--datastore is required here")?;
    let targets = targets(&args)?;
    let mut store = open_store(&db)?;
    let now = now();
    let run = store.begin_run("history", &now)?;
    let cache = args.cache_dir.clone().unwrap_or_else(|| {
        let mut p = db.clone().into_os_string();
        p.push(".clones");
        PathBuf::from(p)
    });
    let mut total = ScanReport::default();
    let mut names = Vec::new();
    let mut rules: Option<RuleSet> = None;
    let mut skip_accounts = Vec::new();
    let n = targets.len();
    for (i, target) in targets.iter().enumerate() {
        let ctx = Ctx {
            args: &args,
            run,
            now: &now,
            cache: &cache,
            position: (i + 1, n),
        };
        match scan_one(&mut store, target.as_deref(), &ctx) {
            Ok(one) => {
                total.stats.merge(&one.report.stats);
                total.findings.extend(one.report.findings);
                total.errors.extend(one.report.errors);
                total.warnings.extend(one.report.warnings);
                if !names.contains(&one.name) {
                    names.push(one.name);
                }
                rules.get_or_insert(one.rules);
                skip_accounts = one.skip_accounts;
            }
            Err(e) if e.downcast_ref::<StoreError>().is_some() || n == 1 => return Err(e),
            Err(e) => {
                let shown = target.clone().unwrap_or_else(|| ".".into());
                eprintln!(
                    "keyfence: [{}/{n}] {}: {}",
                    i + 1,
                    sanitize(&without_userinfo(&shown)),
                    sanitize(&format!("{e:#}"))
                );
                total.errors.push(ScanError {
                    subject: Subject::Path(without_userinfo(&shown)),
                    message: format!("not scanned: {e:#}"),
                });
            }
        }
    }
    total.finish();
    apply(&store, run, &names, &mut total, args.store.new_only)?;
    total.stats.elapsed_ms = started.elapsed().as_millis() as u64;
    verify_report(&mut total, &args.verify, &skip_accounts, None)?;
    record_verifications(&mut store, &total)?;
    let rules = match rules {
        Some(r) => r,
        None => EffectiveConfig::discover(Path::new("."), None)?.rules,
    };
    emit(&total, &rules, &args.scan.report)
}

/// The repositories of the run, in order, each once: the arguments, then `--repos` lines;
/// `None` is the repository of the current directory (when nothing is named).
fn targets(args: &HistoryArgs) -> Result<Vec<Option<String>>> {
    let mut out: Vec<String> = args.revspecs.clone();
    if let Some(file) = &args.repos {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read the repository list {}", file.display()))?;
        for line in text.lines() {
            let line = line.split_once('#').map_or(line, |(l, _)| l).trim();
            if !line.is_empty() {
                out.push(line.to_string());
            }
        }
    }
    if out.is_empty() {
        return Ok(vec![None]);
    }
    let mut seen = HashSet::new();
    Ok(out
        .into_iter()
        .filter(|t| seen.insert(t.clone()))
        .map(Some)
        .collect())
}

/// What every repository of a run shares.
struct Ctx<'a> {
    args: &'a HistoryArgs,
    run: i64,
    now: &'a str,
    cache: &'a Path,
    position: (usize, usize),
}

/// One repository's part of the report.
struct One {
    name: String,
    report: ScanReport,
    rules: RuleSet,
    skip_accounts: Vec<String>,
}

/// Scans one repository incrementally and writes its results back.
fn scan_one(store: &mut Store, target: Option<&str>, ctx: &Ctx<'_>) -> Result<One> {
    let args = ctx.args;
    let (repo, name) = match target {
        None => {
            let repo = discover_repository(Path::new("."))?;
            let name = repo_name(&repo);
            (repo, name)
        }
        Some(url) if is_url(url) => {
            let dir = mirror(url, ctx.cache)?;
            let repo = Repository::open(&dir)
                .with_context(|| format!("cannot open the mirror {}", dir.display()))?;
            (repo, without_userinfo(url))
        }
        Some(path) => {
            if !Path::new(path).exists() {
                anyhow::bail!(
                    "{}: no such repository (with --datastore, the arguments are repositories: \
                     paths or clone URLs, each walked whole)",
                    sanitize(path)
                );
            }
            let repo = Repository::open(path).map_err(|e| {
                anyhow::anyhow!("{}: not a git repository: {}", sanitize(path), e.message())
            })?;
            let name = repo_name(&repo);
            (repo, name)
        }
    };
    let root = repository_root(&repo);
    let config = &args.scan.config;
    let loaded = load(&root, config)?;
    let effective = EffectiveConfig::discover(&root, config.config.as_deref())?;
    let git = &args.scan.git;
    let mut opts = git_options(git.binary, worker_threads(args.scan.report.threads));
    opts.fetch = crate::cli::fetch::fetch_options(&args.fetch);
    opts.no_messages = git.no_messages;
    opts.archives = if git.no_archives {
        ArchiveOptions::disabled()
    } else {
        loaded.archives
    };
    let digest = ruleset_digest(&effective, &opts.archives, git.binary);
    let t0 = Instant::now();
    let (old_tips, known) = store.walked(&name, &digest)?;
    let nothing_known = old_tips.is_empty() && known.is_empty();
    log::info!(
        target: TIMING,
        "datastore: {} tips, {} blobs known {:.2}s",
        old_tips.len(),
        known.len(),
        t0.elapsed().as_secs_f64()
    );
    let tips = current_tips(&repo)?;
    let exclude: Vec<Oid> = old_tips
        .iter()
        .filter_map(|t| Oid::from_bytes(t).ok())
        .filter(|&t| repo.find_commit(t).is_ok())
        .collect();
    // A tip walked before need not be pushed again (its commits are all hidden anyway), and
    // only the old tips the new commits reach need hiding: libgit2's walk pays for every start
    // and hide point (git/git's master clone has ~1,000 tags: 1 s for 10 new commits).
    let hidden: HashSet<Oid> = exclude.iter().copied().collect();
    let include: Vec<Oid> = tips
        .iter()
        .copied()
        .filter(|t| !hidden.contains(t))
        .collect();
    // Annotated tags are not remembered: every run scans their messages (a tag made since the
    // last run on a commit walked then is otherwise never seen; ~1,000 tags cost ~20 ms).
    let tags = annotated_tags(&repo);
    let exclude = if include.is_empty() {
        // No new commit: one old tip hidden is enough to walk none (and read no packs), while
        // the tags are still scanned.
        exclude.into_iter().take(1).collect()
    } else {
        reached_tips(&repo, &include, &hidden).unwrap_or(exclude)
    };
    let nothing_new =
        include.is_empty() && !hidden.is_empty() && !args.all_objects && tags.is_empty();
    let sel = if args.all_objects {
        // What no reference reaches is told from the walk of every reference: the whole
        // history is walked again (the blobs the store knows are still skipped).
        RevSelection {
            include: tips.clone(),
            all_objects: true,
            ..RevSelection::default()
        }
    } else {
        RevSelection {
            include,
            exclude,
            tags,
            ..RevSelection::default()
        }
    };
    let memo = Arc::new(BlobMemo::new(known));
    opts.memo = Some(Arc::clone(&memo));
    let progress = match git.progress {
        ProgressChoice::Always => true,
        ProgressChoice::Never => false,
        ProgressChoice::Auto => std::io::stderr().is_terminal(),
    };
    let mut report = if nothing_new {
        ScanReport::default()
    } else {
        with_progress(progress, |p| {
            scan_history(&repo, &sel, &loaded.engine, &loaded.suppressor, &opts, p)
        })?
    };
    // A blob that could not be read is read again next time.
    let failed: HashSet<[u8; 20]> = report
        .errors
        .iter()
        .filter_map(|e| match &e.subject {
            Subject::Blob { oid, .. } => Oid::from_str(oid).ok().map(raw),
            _ => None,
        })
        .collect();
    let mut blobs = memo.take_scanned();
    blobs.retain(|o| !failed.contains(o));
    // A commit that could not be read fully is walked again next time.
    let complete = !report
        .errors
        .iter()
        .any(|e| matches!(e.subject, Subject::Commit(_)));
    // Whether each finding is still at HEAD, kept with it in the store; the report itself
    // (the store's findings, filled in below) does not say.
    mark_at_tip(&repo, &RevSelection::default(), &loaded.engine, &mut report);
    let present = report.at_tip.take();
    let findings = report
        .findings
        .iter()
        .map(|f| NewFinding {
            finding: f.clone(),
            at_tip: present
                .as_ref()
                .map(|p| p.contains(&(f.fingerprint.clone(), f.path.clone()))),
        })
        .collect();
    let t1 = Instant::now();
    let read = blobs.len();
    let new = store.record(RepoRecord {
        name: &name,
        kind: RepoKind::Git,
        digest: &digest,
        run: ctx.run,
        now: ctx.now,
        tips: complete.then(|| tips.iter().map(|t| raw(*t)).collect()),
        blobs,
        commits_walked: report.stats.commits_scanned,
        complete: complete && nothing_known && report.errors.is_empty(),
        findings,
    })?;
    log::info!(
        target: TIMING,
        "datastore: {read} blobs and the findings written {:.2}s",
        t1.elapsed().as_secs_f64()
    );
    let (i, n) = ctx.position;
    let s = &report.stats;
    eprintln!(
        "keyfence: [{i}/{n}] {}: {} commits, {} blobs scanned, {} known, {new} new findings",
        sanitize(&name),
        s.commits_scanned,
        s.files_scanned,
        s.blobs_known
    );
    let stored = store.findings(&FindingFilter {
        repos: Some(vec![name.clone()]),
        statuses: Vec::new(),
    })?;
    // What the store holds under the rules in effect: not the findings of a rule disabled
    // since, nor those a `paths` allowlist added since allows.
    let rules = loaded.rules();
    report.findings.clear();
    for s in stored {
        if rules.get(&s.finding.rule_id).is_none() {
            continue;
        }
        let path = s.finding.path.clone();
        let mut one = vec![s.finding];
        loaded
            .suppressor
            .keep_at_path(rules, Path::new(&path), &path, &mut one);
        report.findings.append(&mut one);
    }
    report.finish();
    finish(&mut report, &loaded, config);
    Ok(One {
        name,
        report,
        rules: loaded.rules().clone(),
        skip_accounts: loaded.verify_skip_accounts.clone(),
    })
}

fn raw(oid: Oid) -> [u8; 20] {
    let mut out = [0u8; 20];
    out.copy_from_slice(oid.as_bytes());
    out
}

/// The commits every reference and HEAD name, read once before the walk: what it starts from,
/// and what the next run hides.
fn current_tips(repo: &Repository) -> Result<Vec<Oid>> {
    let mut tips = BTreeSet::new();
    let refs = repo.references().context("listing references")?;
    for r in refs.flatten() {
        if let Ok(c) = r.peel_to_commit() {
            tips.insert(c.id());
        }
    }
    if let Some(c) = repo.head().ok().and_then(|h| h.peel_to_commit().ok()) {
        tips.insert(c.id());
    }
    Ok(tips.into_iter().collect())
}

/// The annotated tags under `refs/tags/`: (name, tag object).
fn annotated_tags(repo: &Repository) -> Vec<(String, Oid)> {
    let Ok(refs) = repo.references_glob("refs/tags/*") else {
        return Vec::new();
    };
    refs.flatten()
        .filter_map(|r| Some((r.name()?.to_string(), r.target()?)))
        .filter(|(_, oid)| repo.find_tag(*oid).is_ok())
        .collect()
}

/// Commits looked at, at most, to find which old tips the new commits reach.
const REACH_BUDGET: usize = 20_000;

/// The old tips (`old`) that the commits from `new` reach before any other old tip: walking
/// parents from `new` and stopping at old tips. `None` when that takes more than
/// [`REACH_BUDGET`] commits or a commit cannot be read: then every old tip is hidden.
fn reached_tips(repo: &Repository, new: &[Oid], old: &HashSet<Oid>) -> Option<Vec<Oid>> {
    let mut todo: Vec<Oid> = new.to_vec();
    let mut seen: HashSet<Oid> = todo.iter().copied().collect();
    let mut reached = Vec::new();
    while let Some(oid) = todo.pop() {
        if old.contains(&oid) {
            reached.push(oid);
            continue;
        }
        if seen.len() > REACH_BUDGET {
            return None;
        }
        for p in repo.find_commit(oid).ok()?.parent_ids() {
            if seen.insert(p) {
                todo.push(p);
            }
        }
    }
    Some(reached)
}
