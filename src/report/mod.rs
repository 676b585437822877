//! The end of the flow: the report model (findings, scan errors, counters), the formats that
//! write it, and the one sanitiser for what reaches a terminal.

mod coverage;
mod finding;
mod github;
mod gitlab;
mod group;
mod group_json;
mod group_text;
mod html;
mod json;
mod markdown;
mod model;
mod read;
mod recognize;
mod remediation;
#[cfg(test)]
mod sample;
mod sanitize;
mod sarif;
mod text;
mod time;
mod triage;
mod verification;

use std::io::{self, Write};

use clap::ValueEnum;

use crate::rules::RuleSet;

pub(crate) use coverage::{Coverage, SetAside};
pub(crate) use finding::{
    fingerprint, CommitInfo, Decoding, Finding, MessageKind, MessageOrigin, Secret,
};
pub(crate) use json::finding_json;
pub(crate) use model::{ScanError, ScanReport, Stats, Subject, SuppressedBy, UnusedEntry};
pub(crate) use read::read_report;
pub(crate) use recognize::is_keyfence_report;
pub(crate) use sanitize::{sanitize, sanitize_lines};
pub(crate) use time::utc_compact;
pub(crate) use triage::{Triage, TriageStatus};
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
    /// One self-contained HTML page: credentials grouped, a timeline, filters.
    Html,
    /// Markdown: credentials grouped, with what to do (a CI summary, a ticket).
    Markdown,
    /// GitLab's secret detection report (gl-secret-detection-report.json).
    Gitlab,
}

/// Options every reporter honours.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ReportOptions {
    /// Print secrets and tokens in full.
    pub show_secrets: bool,
    /// Findings only: no summary line.
    pub quiet: bool,
    /// One entry per credential (`--group credential`) in text and JSON.
    pub group: bool,
}

impl Format {
    /// True for the formats built on the grouped view (so a scan keeps covered
    /// findings aside and works out presence at the tip for them).
    pub(crate) fn is_grouped(self) -> bool {
        matches!(self, Format::Html | Format::Markdown | Format::Gitlab)
    }
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
        Format::Text if opts.group => group_text::write(report, opts, out),
        Format::Text => text::write(report, opts, out),
        Format::Json => json::write(report, opts, out),
        Format::Jsonl => json::write_lines(report, opts, out),
        Format::Sarif => sarif::write(report, rules, opts, out),
        Format::Github => github::write(report, out),
        Format::Html => out.write_all(html::render(report, opts).as_bytes()),
        Format::Markdown => out.write_all(markdown::render(report, opts).as_bytes()),
        Format::Gitlab => {
            serde_json::to_writer_pretty(&mut *out, &gitlab::to_json(report, rules, opts))?;
            writeln!(out)
        }
    }
}
