//! Reporters: turn a [`ScanReport`] into text, JSON or JSON Lines.

mod github;
mod json;
mod sarif;
mod text;

use std::io::{self, Write};

use clap::ValueEnum;

use crate::report_model::ScanReport;
use crate::rules::RuleSet;

pub use json::finding_json;
pub use sarif::uri_encode;
pub use text::{sanitize, summary_line};

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
pub struct ReportOptions {
    /// Print secrets and tokens in full.
    pub show_secrets: bool,
    /// Findings only: no summary line.
    pub quiet: bool,
}

/// Writes `report` in `format` to `out`; `rules` gives SARIF its rule metadata.
pub fn write_report(
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
