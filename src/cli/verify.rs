//! `--verify` at the edge: the options resolved with the environment (endpoint, CA bundle,
//! proxy), verification run on a finished report, `--only-verified` applied, and the refusal
//! of the commands that hooks run.

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::{bail, Result};

use super::args::{NoVerifyArgs, VerifyArgs, VerifyNetArgs};
use super::output::sanitize;
use super::progress::with_verify_progress;
use super::url::without_userinfo;
use crate::report::ScanReport;
use crate::verify::{verify_findings, CanaryAccounts, HttpClient, NetworkSettings, VerifyOptions};

/// Requests in flight at once by default.
const DEFAULT_CONCURRENCY: u16 = 4;
/// Seconds a request may take by default.
const DEFAULT_TIMEOUT_SECS: f64 = 5.0;
/// Tries per credential when STS throttles or fails.
const ATTEMPTS: u32 = 3;
/// The wait before the first retry (doubling).
const BACKOFF: Duration = Duration::from_millis(500);

/// Refuses `--verify` on `command` (`staged`, `pre-push`): hooks never wait on the network.
pub(super) fn refuse(command: &str, args: &NoVerifyArgs) -> Result<()> {
    if args.verify || args.only_verified {
        bail!(
            "keyfence {command} does not verify credentials: it runs in git hooks, and a commit or \
             push never waits on the network or sends a key anywhere. Verify later with \
             `keyfence scan --verify`, `keyfence history --verify` or `keyfence ci --verify`"
        );
    }
    Ok(())
}

/// True when the command line asks for verification.
pub(super) fn wanted(args: &VerifyArgs) -> bool {
    args.verify || args.only_verified
}

/// Refuses verification options given without `--verify`: they would silently do nothing.
pub(super) fn check_unused(args: &VerifyArgs) -> Result<()> {
    if wanted(args) {
        return Ok(());
    }
    let n = &args.net;
    let given = [
        ("--verify-concurrency", n.verify_concurrency.is_some()),
        ("--verify-timeout", n.verify_timeout.is_some()),
        ("--verify-endpoint", n.verify_endpoint.is_some()),
        ("--verify-canaries", n.verify_canaries),
    ];
    if let Some((flag, _)) = given.iter().find(|(_, on)| *on) {
        bail!("{flag} is an option of verification: add --verify (or --only-verified)");
    }
    Ok(())
}

/// Verifies the findings of a finished report when `args` ask for it, then applies
/// `--only-verified`. `skip_accounts` come from `[verify]`; `progress` draws the progress line.
pub(super) fn verify_report(
    report: &mut ScanReport,
    args: &VerifyArgs,
    skip_accounts: &[String],
    progress: Option<bool>,
) -> Result<()> {
    check_unused(args)?;
    if !wanted(args) {
        return Ok(());
    }
    run(report, &args.net, skip_accounts, progress)?;
    if args.only_verified {
        only_active(report);
    }
    Ok(())
}

/// Keeps only the findings whose key is active.
pub(super) fn only_active(report: &mut ScanReport) {
    report
        .findings
        .retain(|f| f.verification.as_ref().is_some_and(|v| v.is_active()));
    report.stats.findings = report.findings.len() as u64;
}

/// Verifies every finding of `report` (progress drawn when `progress` says, or when stderr is a
/// terminal if `None`).
pub(super) fn run(
    report: &mut ScanReport,
    net: &VerifyNetArgs,
    skip_accounts: &[String],
    progress: Option<bool>,
) -> Result<()> {
    let settings =
        NetworkSettings::resolve(net.verify_endpoint.as_deref(), &|k| std::env::var(k).ok())?;
    let timeout = Duration::from_secs_f64(net.verify_timeout.unwrap_or(DEFAULT_TIMEOUT_SECS));
    let client = HttpClient::new(&settings, timeout)?;
    let opts = VerifyOptions {
        concurrency: usize::from(net.verify_concurrency.unwrap_or(DEFAULT_CONCURRENCY)),
        attempts: ATTEMPTS,
        backoff: BACKOFF,
        verify_canaries: net.verify_canaries,
        canaries: CanaryAccounts::builtin_and(skip_accounts),
    };
    let draw = progress.unwrap_or_else(|| std::io::stderr().is_terminal());
    let sent = with_verify_progress(draw, |p| {
        verify_findings(&mut report.findings, &opts, &settings.endpoint, &client, p);
        p.total.load(std::sync::atomic::Ordering::Relaxed)
    });
    if sent > 0 {
        let proxy = settings.proxy.as_deref().map_or(String::new(), |p| {
            format!(" through proxy {}", without_userinfo(p))
        });
        eprintln!(
            "keyfence: verified {sent} distinct credential{} with sts:GetCallerIdentity at {} ({}){}",
            if sent == 1 { "" } else { "s" },
            sanitize(&settings.endpoint.url),
            settings.endpoint_from,
            sanitize(&proxy)
        );
    }
    Ok(())
}
