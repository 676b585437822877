//! `keyfence findings --datastore FILE`: the findings a datastore holds, in any report format,
//! without scanning, each with the last verification outcome recorded for its credential (as
//! `--verify` found it then: nothing is sent to AWS). Exit 1 when an open (or accepted) finding
//! is listed.

use std::path::Path;

use anyhow::Result;

use crate::cli::args::FindingsArgs;
use crate::cli::datastore::open_for_reading;
use crate::cli::output::emit;
use crate::cli::ExitCode;
use crate::config::EffectiveConfig;
use crate::report::ScanReport;
use crate::store::FindingFilter;

/// Runs `keyfence findings`.
pub(crate) fn run(args: &FindingsArgs) -> Result<ExitCode> {
    let store = open_for_reading(&args.datastore)?;
    let filter = FindingFilter {
        repos: (!args.repo.is_empty()).then(|| args.repo.clone()),
        statuses: args.status.clone(),
    };
    let outcomes = store.verifications()?;
    let mut report = ScanReport {
        findings: store
            .findings(&filter)?
            .into_iter()
            .map(|s| {
                let mut f = s.finding;
                f.verification = outcomes.get(&f.fingerprint).cloned();
                f
            })
            .collect(),
        ..ScanReport::default()
    };
    report.finish();
    // SARIF takes its rule metadata from the rules in effect here.
    let config = EffectiveConfig::discover(Path::new("."), None)?;
    let code = emit(&report, &config.rules, &args.report)?;
    let open = report
        .findings
        .iter()
        .filter(|f| !f.triage.as_ref().is_some_and(|t| t.status.is_closed()))
        .count();
    Ok(match code {
        ExitCode::Findings if open == 0 => ExitCode::Clean,
        other => other,
    })
}
