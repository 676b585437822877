//! The end of the flow: the report model (findings, scan errors, counters), the formats that
//! write it, and the one sanitiser for what reaches a terminal.

mod finding;
mod github;
mod json;
mod model;
mod read;
mod recognize;
mod sanitize;
mod sarif;
mod text;
mod verification;

use std::io::{self, Write};

use clap::ValueEnum;

use crate::rules::RuleSet;

pub(crate) use finding::{
    fingerprint, CommitInfo, Decoding, Finding, MessageKind, MessageOrigin, Secret,
};
pub(crate) use model::{ScanError, ScanReport, Stats, Subject, SuppressedBy, UnusedEntry};
pub(crate) use read::read_report;
pub(crate) use recognize::is_keyfence_report;
pub(crate) use sanitize::{sanitize, sanitize_lines};
pub(crate) use verification::{SkipReason, Verification};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable, coloured on a terminal.
    Text,
    /// One JSON object: findings, errors, stats.
    Json,
    /// One finding per line.
    Jsonl,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub Actions workflow commands (annotations on the pull request).
    Github,
}

/// Options every reporter honours.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ReportOptions {
    /// Print secrets and tokens in full.
    pub show_secrets: bool,
    /// Findings only: no summary line.
    pub quiet: bool,
}

/// Writes `report` in `format` to `out`; `rules` gives SARIF its rule metadata.
pub(crate) fn write_report(
    report: &ScanReport,
    rules: &RuleSet,
    format: Format,
    opts: ReportOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Text => text::write(report, opts, out),
        Format::Json => json::write(report, opts, out),
        Format::Jsonl => json::write_lines(report, opts, out),
        Format::Sarif => sarif::write(report, rules, opts, out),
        Format::Github => github::write(report, out),
    }
}
