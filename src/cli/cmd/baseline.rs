//! `keyfence baseline [PATH] [--history [REV]]`: scans like `keyfence scan` (or `history`) with
//! allowlists and inline directives but no existing baseline, and writes every remaining
//! finding's fingerprint.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use crate::cli::args::{worker_threads, BaselineArgs};
use crate::cli::git::{discover_repository, git_options};
use crate::cli::load::{archive_options, engine, scan_root, suppressor};
use crate::cli::output::{check_output, sanitize, warn_errors};
use crate::cli::ExitCode;
use crate::config::EffectiveConfig;
use crate::report::ScanReport;
use crate::rules::RuleSet;
use crate::scan::ScanEngine;
use crate::source::archive::ArchiveOptions;
use crate::source::fs::{scan_paths, FsOptions};
use crate::source::git::{repository_root, scan_history, RevSelection};
use crate::source::Progress;
use crate::suppress::{finish_report, BaselineFile, Suppressor, BASELINE_FILE};

/// Runs `keyfence baseline`.
pub(crate) fn run(args: &BaselineArgs) -> Result<ExitCode> {
    if std::fs::symlink_metadata(&args.path).is_err() {
        bail!("{}: no such file or directory", args.path.display());
    }
    if let Some(rev) = &args.history {
        return history(args, rev);
    }
    let b = prepare(scan_root(std::slice::from_ref(&args.path)), args)?;
    let opts = FsOptions {
        no_ignore: args.no_ignore,
        threads: worker_threads(args.threads),
        archives: b.archives,
        ..FsOptions::default()
    };
    let mut report = scan_paths(
        std::slice::from_ref(&args.path),
        &b.engine,
        &b.suppressor,
        &opts,
    );
    b.write(&mut report, args)
}

/// `keyfence baseline --history REV`: the baseline of what the history of the repository that
/// holds `args.path` reaches from REV, written at the repository's root.
fn history(args: &BaselineArgs, rev: &str) -> Result<ExitCode> {
    let repo = discover_repository(&args.path)?;
    let b = prepare(repository_root(&repo), args)?;
    let sel = RevSelection::parse(&repo, &[rev.to_string()])?;
    let mut opts = git_options(false, worker_threads(args.threads));
    opts.archives = b.archives;
    let progress = Progress::default();
    let mut report = scan_history(&repo, &sel, &b.engine, &b.suppressor, &opts, &progress)?;
    b.write(&mut report, args)
}

/// What a baseline is made with: the root it is written at, and the engine and suppressor of
/// the configuration there.
struct Baseliner {
    root: PathBuf,
    engine: ScanEngine,
    suppressor: Suppressor,
    archives: ArchiveOptions,
}

/// The configuration at `root` (or `--config`) made into a [`Baseliner`]; `-o` must not name
/// the configuration.
fn prepare(root: PathBuf, args: &BaselineArgs) -> Result<Baseliner> {
    let config = EffectiveConfig::discover(&root, args.config.as_deref())?;
    let own: Vec<_> = config.path.iter().cloned().collect();
    check_output(args.output.as_deref(), &own, &[])?;
    Ok(Baseliner {
        archives: archive_options(&config.archives, false),
        engine: engine(&config),
        suppressor: baseline_suppressor(&config, args),
        root,
    })
}

impl Baseliner {
    /// Writes the baseline of `report` where `args` say.
    fn write(&self, report: &mut ScanReport, args: &BaselineArgs) -> Result<ExitCode> {
        let output = args.output.as_deref();
        write(
            report,
            self.engine.rules(),
            &self.suppressor,
            &self.root,
            output,
        )
    }
}

/// The suppressor a baseline is made with: the configuration's, with the baseline being
/// written counted among keyfence's own files.
fn baseline_suppressor(config: &EffectiveConfig, args: &BaselineArgs) -> Suppressor {
    let extra: Vec<&Path> = args.output.as_deref().into_iter().collect();
    suppressor(config, &extra)
}

/// Writes the baseline of a collected report (file or history scan) to `output`, or to
/// `root/.keyfence-baseline.json`. Errors in the report make the command fail: a baseline of a
/// partial scan would hide nothing it missed, but the user should know.
fn write(
    report: &mut ScanReport,
    rules: &RuleSet,
    suppressor: &Suppressor,
    root: &Path,
    output: Option<&Path>,
) -> Result<ExitCode> {
    finish_report(report, rules, suppressor, None, false);
    warn_errors(&report.errors);
    let file = BaselineFile::from_report(report);
    let path = output.map_or_else(|| root.join(BASELINE_FILE), Path::to_path_buf);
    file.write(&path)?;
    eprintln!(
        "keyfence: wrote {} baseline entries ({} findings) to {}",
        file.findings.len(),
        report.findings.len(),
        sanitize(&path.display().to_string())
    );
    Ok(if report.errors.is_empty() {
        ExitCode::Clean
    } else {
        ExitCode::Error
    })
}
