//! `keyfence verify FILE|-`: verifies the findings of a JSON or JSONL report written with
//! `--show-secrets`, without scanning again, and writes the report with their outcomes.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};

use crate::cli::args::VerifyCommandArgs;
use crate::cli::datastore::{open_store, record_verifications};
use crate::cli::output::{check_output, emit};
use crate::cli::verify::{only_active, run as verify};
use crate::cli::ExitCode;
use crate::config::EffectiveConfig;
use crate::report::read_report;

/// Runs `keyfence verify`.
pub(crate) fn run(args: &VerifyCommandArgs) -> Result<ExitCode> {
    let config = EffectiveConfig::discover(Path::new("."), args.config.as_deref())?;
    let stdin = args.file.as_os_str() == "-";
    let shown = if stdin {
        "<stdin>".to_string()
    } else {
        args.file.display().to_string()
    };
    if !stdin {
        check_output(args.report.output.as_deref(), &[], &[])?;
    }
    let mut bytes = Vec::new();
    if stdin {
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .context("cannot read the report from standard input")?;
    } else {
        bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {shown}"))?;
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{shown}: not a keyfence JSON or JSONL report: not UTF-8"))?;
    let mut report = read_report(&text, &shown)?;
    verify(&mut report, &args.net, &config.verify_skip_accounts, None)?;
    if args.only_verified {
        only_active(&mut report);
    }
    if let Some(path) = &args.datastore {
        let mut store = open_store(path)?;
        record_verifications(&mut store, &report)?;
        let triage = store.triage_states()?;
        for f in &mut report.findings {
            f.triage = triage.get(&f.fingerprint).cloned();
        }
    }
    emit(&report, &config.rules, &args.report)
}
