//! What the git commands share at the edge: opening the repository, loading the configuration
//! found at its root, resolving the git options once, scanning, finishing and reporting.

use std::cell::RefCell;
use std::io::IsTerminal;

use anyhow::Result;
use git2::Repository;

use super::args::{worker_threads, FetchArgs, GitScanArgs, ProgressChoice, StoreArgs, VerifyArgs};
use super::datastore::{open_store, record_and_apply, record_verifications, repo_name};
use super::fetch::fetch_options;
use super::load::{finish, load, Loaded};
use super::output::{check_group, check_output, emit};
use super::progress::with_progress;
use super::verify::{check_unused, verify_report};
use super::ExitCode;
use crate::report::ScanReport;
use crate::scan::ScanEngine;
use crate::source::archive::ArchiveOptions;
use crate::source::git::{
    mark_at_tip, open_repository, repository_root, scan_history, GitOptions, RevSelection,
};
use crate::source::Progress;
use crate::store::RepoKind;
use crate::suppress::Suppressor;

pub(super) use crate::source::git::discover_repository;

/// The git options from the command line.
pub(super) fn git_options(binary: bool, threads: usize) -> GitOptions {
    GitOptions {
        scan_binary: binary,
        threads,
        archives: ArchiveOptions::default(),
        ..GitOptions::default()
    }
}

/// What a git scan works with.
pub(super) struct GitScan<'a> {
    /// The repository.
    pub repo: &'a Repository,
    /// The engine.
    pub engine: &'a ScanEngine,
    /// The suppressor.
    pub suppressor: &'a Suppressor,
    /// The git options.
    pub opts: &'a GitOptions,
    /// Progress counters (drawn when `--progress` asks).
    pub progress: &'a Progress,
    /// The selection of the last history scan: its tips are the grouped view's "at tip".
    scanned: RefCell<Option<RevSelection>>,
}

impl GitScan<'_> {
    /// Scans the history `sel` selects, fetching the blobs a partial clone lacks as `fetch`
    /// says.
    pub(super) fn history_fetching(
        &self,
        sel: &RevSelection,
        fetch: &FetchArgs,
    ) -> Result<ScanReport> {
        let mut opts = self.opts.clone();
        opts.fetch = fetch_options(fetch);
        let opts = &opts;
        let (engine, suppressor) = (self.engine, self.suppressor);
        *self.scanned.borrow_mut() = Some(sel.clone());
        Ok(scan_history(
            self.repo,
            sel,
            engine,
            suppressor,
            opts,
            self.progress,
        )?)
    }
}

/// A git scan: opens the repository, loads the configuration found at its root, scans with
/// `scan`, applies the baseline and commit allowlists, and reports.
pub(super) fn git_scan(
    args: &GitScanArgs,
    scan: impl FnOnce(&GitScan<'_>) -> Result<ScanReport>,
) -> Result<ExitCode> {
    git_scan_verified(args, &VerifyArgs::default(), scan)
}

/// [`git_scan`], then verification of the findings when `verify` asks for it.
pub(super) fn git_scan_verified(
    args: &GitScanArgs,
    verify: &VerifyArgs,
    scan: impl FnOnce(&GitScan<'_>) -> Result<ScanReport>,
) -> Result<ExitCode> {
    git_scan_then(
        args,
        verify,
        &StoreArgs::default(),
        false,
        |_, _| Ok(()),
        scan,
    )
}

/// [`git_scan_verified`] with a datastore when `store` names one (the findings are recorded
/// under the repository's name, triage applies: closed findings do not fail the run, `--new`
/// keeps only first-time findings, and verification outcomes are recorded), handing the
/// finished report to `after` before it is written; `grouped` asks for the grouped view's facts
/// (covered findings, presence at the tip) even when the report format does not show them.
pub(super) fn git_scan_then(
    args: &GitScanArgs,
    verify: &VerifyArgs,
    store: &StoreArgs,
    grouped: bool,
    after: impl FnOnce(&ScanReport, &Loaded) -> Result<()>,
    scan: impl FnOnce(&GitScan<'_>) -> Result<ScanReport>,
) -> Result<ExitCode> {
    check_unused(verify)?;
    let mut opened = match &store.datastore {
        Some(path) => Some(open_store(path)?),
        None => None,
    };
    let GitScanArgs {
        git,
        config,
        report,
    } = args;
    check_group(report)?;
    let repo = open_repository()?;
    let mut loaded = load(&repository_root(&repo), config)?;
    let grouped = grouped || report.grouped();
    loaded.suppressor.set_keep_aside(grouped);
    check_output(report.output.as_deref(), &loaded.own_files, &[])?;
    let progress = match git.progress {
        ProgressChoice::Always => true,
        ProgressChoice::Never => false,
        ProgressChoice::Auto => std::io::stderr().is_terminal(),
    };
    let mut opts = git_options(git.binary, worker_threads(report.threads));
    opts.no_messages = git.no_messages;
    opts.all_places = grouped;
    opts.archives = if git.no_archives {
        ArchiveOptions::disabled()
    } else {
        loaded.archives
    };
    let scanned = RefCell::new(None);
    let mut result = with_progress(progress, |progress| {
        let g = GitScan {
            repo: &repo,
            engine: &loaded.engine,
            suppressor: &loaded.suppressor,
            opts: &opts,
            progress,
            scanned: RefCell::new(None),
        };
        let r = scan(&g);
        scanned.replace(g.scanned.take());
        r
    })?;
    finish(&mut result, &loaded, config);
    if let (true, Some(sel)) = (grouped, scanned.take()) {
        mark_at_tip(&repo, &sel, &loaded.engine, &mut result);
    }
    if let Some(db) = opened.as_mut() {
        let name = repo_name(&repo);
        record_and_apply(db, "ci", &name, RepoKind::Git, &mut result, store.new_only)?;
    }
    verify_report(
        &mut result,
        verify,
        &loaded.verify_skip_accounts,
        Some(progress),
    )?;
    if let Some(db) = opened.as_mut() {
        record_verifications(db, &result)?;
    }
    after(&result, &loaded)?;
    emit(&result, loaded.rules(), report)
}
