//! What the git commands share at the edge: opening the repository, loading the configuration
//! found at its root, resolving the git options once, scanning, finishing and reporting.

use std::io::IsTerminal;

use anyhow::Result;
use git2::Repository;

use super::args::{worker_threads, GitScanArgs, ProgressChoice, StoreArgs, VerifyArgs};
use super::datastore::{open_store, record_and_apply, record_verifications, repo_name};
use super::load::{finish, load};
use super::output::{check_output, emit};
use super::progress::with_progress;
use super::verify::{check_unused, verify_report};
use super::ExitCode;
use crate::report::ScanReport;
use crate::scan::ScanEngine;
use crate::source::archive::ArchiveOptions;
use crate::source::git::{
    open_repository, repository_root, scan_history, GitOptions, RevSelection,
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
}

impl GitScan<'_> {
    /// Scans the history `sel` selects.
    pub(super) fn history(&self, sel: &RevSelection) -> Result<ScanReport> {
        let (engine, suppressor) = (self.engine, self.suppressor);
        Ok(scan_history(
            self.repo,
            sel,
            engine,
            suppressor,
            self.opts,
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
    git_scan_stored(args, verify, &StoreArgs::default(), scan)
}

/// [`git_scan_verified`] with a datastore when `store` names one: the findings are recorded
/// under the repository's name, triage applies (closed findings do not fail the run), `--new`
/// keeps only first-time findings, and verification outcomes are recorded.
pub(super) fn git_scan_stored(
    args: &GitScanArgs,
    verify: &VerifyArgs,
    store: &StoreArgs,
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
    let repo = open_repository()?;
    let loaded = load(&repository_root(&repo), config)?;
    check_output(report.output.as_deref(), &loaded.own_files, &[])?;
    let progress = match git.progress {
        ProgressChoice::Always => true,
        ProgressChoice::Never => false,
        ProgressChoice::Auto => std::io::stderr().is_terminal(),
    };
    let mut opts = git_options(git.binary, worker_threads(report.threads));
    opts.archives = if git.no_archives {
        ArchiveOptions::disabled()
    } else {
        loaded.archives
    };
    let mut result = with_progress(progress, |progress| {
        scan(&GitScan {
            repo: &repo,
            engine: &loaded.engine,
            suppressor: &loaded.suppressor,
            opts: &opts,
            progress,
        })
    })?;
    finish(&mut result, &loaded, config);
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
    emit(&result, loaded.rules(), report)
}
