//! What every scanning command loads before it scans: the configuration and the baseline found
//! at the root, resolved once into the engine and the suppressor; and what it does after: the
//! report finished with commit allowlists and the baseline.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::args::ConfigArgs;
use crate::config::{ArchiveSettings, EffectiveConfig};
use crate::report::{sanitize, ScanReport};
use crate::rules::RuleSet;
use crate::scan::ScanEngine;
use crate::source::archive::ArchiveOptions;
use crate::suppress::{finish_report, Baseline, Suppressor, BASELINE_FILE};

/// The root of a scan of `paths`: the directory when exactly one directory is scanned, else the
/// current directory. `.keyfence.toml` and `.keyfence-baseline.json` are looked for there, and
/// allowlist `paths` are relative to it.
pub(super) fn scan_root(paths: &[PathBuf]) -> PathBuf {
    match paths {
        [one] if one.is_dir() => one.clone(),
        _ => PathBuf::from("."),
    }
}

/// Everything a scanning command needs from the configuration.
#[derive(Debug)]
pub(super) struct Loaded {
    /// The engine: rules and validator settings.
    pub engine: ScanEngine,
    /// Allowlists, keyfence's own files and the suppression counters.
    pub suppressor: Suppressor,
    /// The baseline, when there is one.
    pub baseline: Option<Baseline>,
    /// The configuration and baseline files in use: a report must not overwrite them.
    pub own_files: Vec<PathBuf>,
    /// `[verify] skip_accounts` of the configuration.
    pub verify_skip_accounts: Vec<String>,
    /// `[archives]` of the configuration (command-line flags applied by the caller).
    pub archives: ArchiveOptions,
    /// `[server]`: the settings of `keyfence pre-receive`.
    pub server: crate::config::ServerSettings,
    /// `strict = true` of the configuration.
    pub strict: bool,
}

/// The archive options of `[archives]` (defaults for what it leaves out), off with
/// `--no-archives`.
pub(super) fn archive_options(settings: &ArchiveSettings, no_archives: bool) -> ArchiveOptions {
    let d = ArchiveOptions::default();
    ArchiveOptions {
        enabled: !no_archives && settings.enabled.unwrap_or(d.enabled),
        max_depth: settings.max_depth.unwrap_or(d.max_depth),
        max_expanded: settings.max_expanded.unwrap_or(d.max_expanded),
        max_ratio: settings.max_ratio.unwrap_or(d.max_ratio),
        max_entries: settings.max_entries.unwrap_or(d.max_entries),
    }
}

impl Loaded {
    /// The rules in effect.
    pub(super) fn rules(&self) -> &RuleSet {
        self.engine.rules()
    }
}

/// Loads the configuration and the baseline for a scan rooted at `root`. An explicit
/// `--config` or `--baseline` file must exist; the defaults at the root are optional.
pub(super) fn load(root: &Path, args: &ConfigArgs) -> Result<Loaded> {
    let config = EffectiveConfig::discover(root, args.config.as_deref())?;
    let mut own_files: Vec<PathBuf> = config.path.iter().cloned().collect();
    let baseline = match &args.baseline {
        Some(path) => {
            own_files.push(path.clone());
            Some(Baseline::load(path)?)
        }
        None => {
            let path = root.join(BASELINE_FILE);
            if path.exists() {
                own_files.push(path.clone());
                let shown = if root == Path::new(".") {
                    BASELINE_FILE.to_string()
                } else {
                    path.display().to_string()
                };
                Some(Baseline::load_as(&path, &shown)?)
            } else {
                None
            }
        }
    };
    let extra: Vec<&Path> = args.baseline.as_deref().into_iter().collect();
    Ok(Loaded {
        archives: archive_options(&config.archives, false),
        engine: engine(&config),
        suppressor: suppressor(&config, &extra),
        baseline,
        own_files,
        verify_skip_accounts: config.verify_skip_accounts.clone(),
        server: config.server.clone(),
        strict: config.syntax.strict.unwrap_or(false),
    })
}

/// The engine of a configuration.
pub(super) fn engine(config: &EffectiveConfig) -> ScanEngine {
    ScanEngine::new(config.rules.clone(), config.aws)
}

/// The suppressor of a configuration. Findings in keyfence's own files are allowed: the
/// configuration file, `.keyfence-baseline.json` at the root, and `extra` files (an explicit
/// baseline, a baseline being written), given relative to the current directory.
pub(super) fn suppressor(config: &EffectiveConfig, extra: &[&Path]) -> Suppressor {
    let root = std::path::absolute(&config.root).ok();
    let mut own = vec![PathBuf::from(BASELINE_FILE)];
    let file = config.path.as_deref();
    for p in file.into_iter().chain(extra.iter().copied()) {
        if let Some(rel) = root_relative(root.as_deref(), p) {
            own.push(rel);
        }
    }
    Suppressor::new(config.allowlist.clone(), root).with_own_files(own)
}

/// `path` (relative to the current directory) relative to `root`.
fn root_relative(root: Option<&Path>, path: &Path) -> Option<PathBuf> {
    let abs = std::path::absolute(path).ok()?;
    Some(abs.strip_prefix(root?).ok()?.to_path_buf())
}

/// Applies commit allowlists and the baseline to a collected report, fills the suppression
/// stats, and with `--report-unused` lists unused entries on stderr and in `report.unused`.
pub(super) fn finish(report: &mut ScanReport, loaded: &Loaded, args: &ConfigArgs) {
    finish_report(
        report,
        loaded.rules(),
        &loaded.suppressor,
        loaded.baseline.as_ref(),
        args.report_unused,
    );
    if args.strict || loaded.strict {
        report.make_strict();
    }
    if let Some(unused) = &report.unused {
        for u in unused {
            let detail = u
                .detail
                .as_deref()
                .map_or(String::new(), |d| format!(" ({d})"));
            eprintln!(
                "keyfence: unused {} entry: {}{}",
                u.entry,
                sanitize(&u.value),
                sanitize(&detail)
            );
        }
    }
}
