//! What the commands that take `--datastore` share: opening the store with its busy timeout,
//! the ruleset digest, a repository's name, the time and the user, and the gate: triage applied
//! to a report (closed findings dropped), `--new`, and the findings and verification outcomes
//! written back.

use std::collections::HashSet;
use std::path::Path;

use anyhow::Result;
use git2::Repository;
use sha2::{Digest, Sha256};

use super::url::without_userinfo;
use crate::config::EffectiveConfig;
use crate::report::{Coverage, ScanReport, SetAside};
use crate::source::archive::ArchiveOptions;
use crate::source::git::rfc3339_utc;
use crate::store::{FindingFilter, NewFinding, RepoKind, RepoRecord, Store};

/// The built-in rules, hashed into every digest: a keyfence whose rules changed rescans.
const BUILTIN_RULES: &str = include_str!("../../rules/aws.toml");

/// How long a write waits for another writer, by default (`KEYFENCE_DATASTORE_TIMEOUT`
/// overrides it, in seconds).
const DEFAULT_BUSY_SECS: f64 = 30.0;

/// The busy timeout in milliseconds.
fn busy_ms() -> u64 {
    std::env::var("KEYFENCE_DATASTORE_TIMEOUT")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0 && *v <= 86_400.0)
        .map_or((DEFAULT_BUSY_SECS * 1000.0) as u64, |v| (v * 1000.0) as u64)
}

/// Opens (creating) the store at `path`.
pub(super) fn open_store(path: &Path) -> Result<Store> {
    Ok(Store::open(path, busy_ms())?)
}

/// Opens the existing store at `path`.
pub(super) fn open_existing(path: &Path) -> Result<Store> {
    Ok(Store::open_existing(path, busy_ms())?)
}

/// Opens the existing store at `path` to read it (read-only when it has no write permission).
pub(super) fn open_for_reading(path: &Path) -> Result<Store> {
    Ok(Store::open_for_reading(path, busy_ms())?)
}

/// Now, RFC 3339 in UTC.
pub(super) fn now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    rfc3339_utc(secs)
}

/// Who is triaging: `--by`, else git's configured `Name <email>`, else the login name.
pub(super) fn user(by: Option<&str>) -> String {
    if let Some(by) = by {
        return by.to_string();
    }
    let git = git2::Config::open_default().ok().and_then(|c| {
        let name = c.get_string("user.name").ok()?;
        Some(match c.get_string("user.email") {
            Ok(email) => format!("{name} <{email}>"),
            Err(_) => name,
        })
    });
    git.or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "unknown".to_string())
}

/// The digest of everything that changes what a scan detects: keyfence's version and built-in
/// rules, the configuration's rules, overrides, allowlists and validator settings, the archive
/// options and `--binary`. Output options are not in it.
pub(super) fn ruleset_digest(
    config: &EffectiveConfig,
    archives: &ArchiveOptions,
    binary: bool,
) -> String {
    let mut h = Sha256::new();
    for part in [
        env!("CARGO_PKG_VERSION"),
        BUILTIN_RULES,
        &config.detection_text(),
        &format!("{archives:?}"),
        if binary { "binary" } else { "text" },
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A repository's name in the store: its `origin` remote's URL (without credentials) when it
/// has one, else its absolute path.
pub(super) fn repo_name(repo: &Repository) -> String {
    if let Some(url) = repo
        .find_remote("origin")
        .ok()
        .and_then(|r| r.url().map(str::to_string))
    {
        return without_userinfo(&url);
    }
    let root = crate::source::git::repository_root(repo);
    let abs = std::fs::canonicalize(&root).unwrap_or(root);
    abs.display().to_string()
}

/// Records the findings of a finished report of `name` (no tips, no blobs: a range or a
/// directory), then applies the store to the report: see [`apply`].
pub(super) fn record_and_apply(
    store: &mut Store,
    command: &str,
    name: &str,
    kind: RepoKind,
    report: &mut ScanReport,
    new_only: bool,
) -> Result<()> {
    let now = now();
    let run = store.begin_run(command, &now)?;
    let findings = report
        .findings
        .iter()
        .map(|f| NewFinding {
            finding: f.clone(),
            at_tip: None,
        })
        .collect();
    store.record(RepoRecord {
        name,
        kind,
        digest: "",
        run,
        now: &now,
        tips: None,
        blobs: Vec::new(),
        commits_walked: 0,
        complete: false,
        findings,
    })?;
    for f in &mut report.findings {
        f.repository = Some(name.to_string());
    }
    apply(store, run, &[name.to_string()], report, new_only)
}

/// Applies the store to a report of the repositories `names`: each finding gets its triage;
/// closed ones (false positive, revoked) are dropped and counted; with `new_only`, only the
/// findings this run `run` found first are kept.
pub(super) fn apply(
    store: &Store,
    run: i64,
    names: &[String],
    report: &mut ScanReport,
    new_only: bool,
) -> Result<()> {
    let stored = store.findings(&FindingFilter {
        repos: Some(names.to_vec()),
        statuses: Vec::new(),
    })?;
    let first_here: HashSet<(String, String)> = stored
        .iter()
        .filter(|s| s.first_run == Some(run))
        .map(|s| {
            (
                s.finding.repository.clone().unwrap_or_default(),
                s.finding.fingerprint.clone(),
            )
        })
        .collect();
    let triage = store.triage_states()?;
    let before = report.findings.len();
    let mut closed = Vec::new();
    for mut f in std::mem::take(&mut report.findings) {
        f.triage = triage.get(&f.fingerprint).cloned();
        match f.triage.as_ref().map(|t| t.status) {
            // Kept aside with its reason: the grouped view lists it as covered by triage.
            Some(status) if status.is_closed() => closed.push(SetAside {
                coverage: Coverage::Triage(status.to_string()),
                finding: f,
            }),
            _ => report.findings.push(f),
        }
    }
    report.set_aside.extend(closed);
    report.stats.closed_by_triage += (before - report.findings.len()) as u64;
    if new_only {
        report.findings.retain(|f| {
            first_here.contains(&(
                f.repository.clone().unwrap_or_default(),
                f.fingerprint.clone(),
            ))
        });
    }
    report.stats.findings = report.findings.len() as u64;
    Ok(())
}

/// Records the verification outcomes of a verified report.
pub(super) fn record_verifications(store: &mut Store, report: &ScanReport) -> Result<()> {
    let outcomes: Vec<(String, String, String)> = report
        .findings
        .iter()
        .filter_map(|f| {
            let v = f.verification.as_ref()?;
            Some((
                f.fingerprint.clone(),
                v.status().to_string(),
                v.to_json().to_string(),
            ))
        })
        .collect();
    if outcomes.is_empty() {
        return Ok(());
    }
    store.record_verification(&outcomes, &now())?;
    Ok(())
}
