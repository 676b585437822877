//! The configuration side of the commands: finding the root, loading the configuration and the
//! baseline, finishing a report with them; and the `config`, `baseline` and `rules` commands.
//!
//! Every scanning mode uses the same three steps: [`load`] once, scan with
//! [`Loaded::engine`], then [`finish`] the collected report before printing it.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::app::{check_examples, EXIT_CLEAN, EXIT_ERROR};
use crate::cli::{BaselineArgs, ConfigArgs, ConfigCommandArgs};
use crate::config::EffectiveConfig;
use crate::report::sanitize;
use crate::report_model::ScanReport;
use crate::rules::RuleSet;
use crate::scan::ScanEngine;
use crate::source::fs::{scan_paths, FsOptions};
use crate::suppress::{finish_report, Baseline, BaselineFile, BASELINE_FILE};

/// The root of a scan of `paths`: the directory when exactly one directory is scanned, else the
/// current directory. `.keyfence.toml` and `.keyfence-baseline.json` are looked for there, and
/// allowlist `paths` are relative to it.
pub fn scan_root(paths: &[PathBuf]) -> PathBuf {
    match paths {
        [one] if one.is_dir() => one.clone(),
        _ => PathBuf::from("."),
    }
}

/// Everything a scanning mode needs from the configuration.
#[derive(Debug)]
pub struct Loaded {
    /// The effective configuration.
    pub config: EffectiveConfig,
    /// An engine with its rules, settings and allowlists.
    pub engine: ScanEngine,
    /// The baseline, when there is one.
    pub baseline: Option<Baseline>,
}

/// Loads the configuration and the baseline for a scan rooted at `root`. An explicit
/// `--config` or `--baseline` file must exist; the defaults at the root are optional.
pub fn load(root: &Path, args: &ConfigArgs) -> Result<Loaded> {
    let config = EffectiveConfig::discover(root, args.config.as_deref())?;
    let baseline = match &args.baseline {
        Some(path) => Some(Baseline::load(path)?),
        None => {
            let path = root.join(BASELINE_FILE);
            if path.is_file() {
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
    let engine = config.engine(
        &[args.baseline.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>(),
    );
    Ok(Loaded {
        config,
        engine,
        baseline,
    })
}

/// Applies commit allowlists and the baseline to a collected report, fills the suppression
/// stats, and with `--report-unused` lists unused entries on stderr and in `report.unused`.
pub fn finish(report: &mut ScanReport, loaded: &Loaded, args: &ConfigArgs) {
    finish_report(
        report,
        &loaded.engine,
        loaded.baseline.as_ref(),
        args.report_unused,
    );
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

/// `keyfence config`.
pub fn config_command(args: &ConfigCommandArgs) -> Result<u8> {
    if !args.path.is_dir() {
        bail!("{}: not a directory", args.path.display());
    }
    let config = EffectiveConfig::discover(&args.path, args.config.as_deref())?;
    print!("{}", config.to_toml());
    Ok(EXIT_CLEAN)
}

/// `keyfence baseline`: scans like `keyfence scan` (allowlists and inline directives apply, an
/// existing baseline does not) and writes every remaining finding's fingerprint.
pub fn baseline_command(args: &BaselineArgs) -> Result<u8> {
    if std::fs::symlink_metadata(&args.path).is_err() {
        bail!("{}: no such file or directory", args.path.display());
    }
    if let Some(rev) = &args.history {
        return crate::app_git::baseline_history(args, rev);
    }
    let root = scan_root(std::slice::from_ref(&args.path));
    let config = EffectiveConfig::discover(&root, args.config.as_deref())?;
    let engine = baseline_engine(&config, args);
    let opts = FsOptions {
        no_ignore: args.no_ignore,
        threads: args.threads,
        ..FsOptions::default()
    };
    let mut report = scan_paths(std::slice::from_ref(&args.path), &engine, &opts);
    write_baseline(&mut report, &engine, &root, args.output.as_deref())
}

/// The engine a baseline is made with: the configuration's, with the baseline being written
/// counted among keyfence's own files.
pub fn baseline_engine(config: &EffectiveConfig, args: &BaselineArgs) -> ScanEngine {
    config.engine(
        &[args.output.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>(),
    )
}

/// Writes the baseline of a collected report (file or history scan) to `output`, or to
/// `root/.keyfence-baseline.json`. Errors in the report make the command fail: a baseline of a
/// partial scan would hide nothing it missed, but the user should know.
pub fn write_baseline(
    report: &mut ScanReport,
    engine: &ScanEngine,
    root: &Path,
    output: Option<&Path>,
) -> Result<u8> {
    finish_report(report, engine, None, false);
    for e in &report.errors {
        eprintln!(
            "keyfence: warning: {}: {}",
            sanitize(&e.path),
            sanitize(&e.message)
        );
    }
    let file = BaselineFile::from_report(report);
    let path = output.map_or_else(|| root.join(BASELINE_FILE), Path::to_path_buf);
    file.write(&path)?;
    eprintln!(
        "keyfence: wrote {} baseline entries ({} findings) to {}",
        file.findings.len(),
        report.findings.len(),
        path.display()
    );
    Ok(if report.errors.is_empty() {
        EXIT_CLEAN
    } else {
        EXIT_ERROR
    })
}

/// `keyfence rules list`: the rules in effect with the configuration applied.
pub fn rules_list(config: Option<&Path>) -> Result<u8> {
    let config = EffectiveConfig::discover(Path::new("."), config)?;
    let mut out = std::io::stdout().lock();
    for r in &config.rules.rules {
        writeln!(out, "{:<34} {:<9} {}", r.id, r.severity, r.description)?;
    }
    Ok(EXIT_CLEAN)
}

/// `keyfence rules check`: compiles the rules in effect (or a rule file) and runs their
/// examples.
pub fn rules_check(file: Option<&Path>, config: Option<&Path>) -> Result<u8> {
    let rules = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            RuleSet::from_toml(&text, &path.display().to_string())?
        }
        None => EffectiveConfig::discover(Path::new("."), config)?.rules,
    };
    let failures = check_examples(&rules);
    for f in &failures {
        eprintln!("keyfence: {f}");
    }
    let examples: usize = rules
        .rules
        .iter()
        .map(|r| r.examples.len() + r.negative_examples.len())
        .sum();
    println!(
        "{} rules, {examples} examples: {}",
        rules.rules.len(),
        if failures.is_empty() {
            "all pass".to_string()
        } else {
            format!("{} failed", failures.len())
        }
    );
    Ok(if failures.is_empty() {
        EXIT_CLEAN
    } else {
        EXIT_ERROR
    })
}
