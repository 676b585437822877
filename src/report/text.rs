//! The terminal report: one block per finding, a summary line at the end.

use std::io::{self, Write};

use colored::{ColoredString, Colorize};

use super::finding::Finding;
use super::model::ScanReport;
use super::sanitize::sanitize;
use super::verification::Verification;
use super::ReportOptions;
use crate::rules::Severity;

pub(crate) fn severity_label(s: Severity) -> ColoredString {
    let label = s.as_str().to_uppercase();
    match s {
        Severity::Critical => label.red().bold(),
        Severity::High => label.red(),
        Severity::Medium => label.yellow(),
        Severity::Low => label.cyan(),
        Severity::Info => label.normal(),
    }
}

fn write_finding(f: &Finding, opts: ReportOptions, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "{} {}:{}:{}  {}",
        severity_label(f.severity),
        sanitize(&f.path).bold(),
        f.line,
        f.column,
        sanitize(&f.rule_id).dimmed()
    )?;
    writeln!(out, "  {}", sanitize(&f.message))?;
    if let Some(m) = &f.in_message {
        let name = m
            .name
            .as_deref()
            .map_or(String::new(), |n| format!(" ({n})"));
        writeln!(
            out,
            "  in       {} {}{}",
            m.kind.as_str(),
            sanitize(&m.object),
            sanitize(&name)
        )?;
    }
    if let Some(object) = &f.unreachable {
        writeln!(
            out,
            "  unreachable: no reference reaches object {}",
            sanitize(object)
        )?;
    }
    if let Some(c) = &f.commit {
        writeln!(
            out,
            "  commit   {} {} {}",
            &c.id[..c.id.len().min(12)],
            sanitize(&c.author),
            sanitize(&c.date)
        )?;
    }
    if let Some(k) = &f.key_id {
        let account = f
            .account_id
            .as_deref()
            .map_or(String::new(), |a| format!("  account {a}"));
        writeln!(out, "  key ID   {}{account}", sanitize(k))?;
    }
    if let Some(s) = &f.secret {
        writeln!(out, "  secret   {}", sanitize(&s.render(opts.show_secrets)))?;
    }
    if let Some(t) = &f.session_token {
        writeln!(out, "  token    {}", sanitize(&t.render(opts.show_secrets)))?;
    }
    if let Some(c) = &f.key_id_commit {
        writeln!(out, "  key ID   first committed alone in {}", sanitize(c))?;
    }
    if let Some(e) = &f.expires {
        writeln!(out, "  expires  {}", sanitize(e))?;
    }
    if let Some(v) = &f.verification {
        let status = match v {
            Verification::Active { .. } => v.status().to_uppercase().red().bold(),
            Verification::Inactive { .. } | Verification::Expired { .. } => v.status().green(),
            Verification::Unavailable { .. } | Verification::Skipped { .. } => v.status().yellow(),
        };
        let summary = v.summary();
        let rest = summary.strip_prefix(v.status()).unwrap_or(&summary);
        writeln!(out, "  verify   {status}{}", sanitize(rest))?;
    }
    if !f.decoded.is_empty() {
        let how = super::finding::describe_decoding(&f.decoded);
        writeln!(out, "  decoded  {how}")?;
    }
    if let Some(r) = &f.repository {
        writeln!(out, "  repo     {}", sanitize(r))?;
    }
    if let Some(t) = &f.triage {
        let note = t
            .note
            .as_deref()
            .map_or(String::new(), |n| format!(": {n}"));
        let line = format!("{} by {} at {}{note}", t.status, t.by, t.at);
        writeln!(out, "  triage   {}", sanitize(&line))?;
    }
    if f.occurrences > 1 {
        writeln!(out, "  seen     {} times in this file", f.occurrences)?;
    }
    writeln!(out, "  {} {}", "fix".green(), sanitize(&f.remediation))?;
    writeln!(out)
}

/// A human size: `12.3 MB`.
fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// The summary line: what was scanned, how long it took, findings by severity.
pub(crate) fn summary_line(report: &ScanReport) -> String {
    let s = &report.stats;
    let what = if s.commits_scanned > 0 {
        format!("{} commits, {} blobs", s.commits_scanned, s.files_scanned)
    } else {
        format!("{} files", s.files_scanned)
    };
    let found = if report.findings.is_empty() {
        "no findings".to_string()
    } else {
        let parts: Vec<String> = report
            .by_severity()
            .iter()
            .map(|(sev, n)| format!("{n} {sev}"))
            .collect();
        format!("{} findings ({})", report.findings.len(), parts.join(", "))
    };
    let mut extra = Vec::new();
    if s.binary_skipped > 0 {
        extra.push(format!("{} binary skipped", s.binary_skipped));
    }
    if s.suppressed > 0 {
        extra.push(format!("{} suppressed", s.suppressed));
    }
    if s.blobs_known > 0 {
        extra.push(format!("{} blobs known to the datastore", s.blobs_known));
    }
    if s.closed_by_triage > 0 {
        extra.push(format!("{} closed by triage", s.closed_by_triage));
    }
    if !report.errors.is_empty() {
        extra.push(format!("{} errors", report.errors.len()));
    }
    if !report.warnings.is_empty() {
        extra.push(format!("{} read in part", report.warnings.len()));
    }
    if let Some(verified) = verification_counts(report) {
        extra.push(verified);
    }
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!("; {}", extra.join(", "))
    };
    format!(
        "scanned {what}, {} in {:.2}s: {found}{extra}",
        human_bytes(s.bytes_scanned),
        s.elapsed_ms as f64 / 1000.0
    )
}

/// `verified: 1 active, 2 inactive` when findings were verified.
fn verification_counts(report: &ScanReport) -> Option<String> {
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    for v in report
        .findings
        .iter()
        .filter_map(|f| f.verification.as_ref())
    {
        match counts.iter_mut().find(|(s, _)| *s == v.status()) {
            Some((_, n)) => *n += 1,
            None => counts.push((v.status(), 1)),
        }
    }
    if counts.is_empty() {
        return None;
    }
    const ORDER: [&str; 5] = ["active", "inactive", "expired", "unavailable", "skipped"];
    counts.sort_by_key(|(s, _)| ORDER.iter().position(|o| o == s));
    let parts: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    Some(format!("verified: {}", parts.join(", ")))
}

/// Writes the text report.
pub(crate) fn write(
    report: &ScanReport,
    opts: ReportOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    for f in &report.findings {
        write_finding(f, opts, out)?;
    }
    if !opts.quiet {
        write_errors(report, out)?;
        writeln!(out, "{}", summary_line(report).bold())?;
    }
    Ok(())
}

/// One `ERROR subject: message` line per scan error.
pub(crate) fn write_errors(report: &ScanReport, out: &mut dyn Write) -> io::Result<()> {
    let labelled = [
        ("ERROR".red(), &report.errors),
        ("WARNING".yellow(), &report.warnings),
    ];
    for (label, list) in labelled {
        for e in list {
            writeln!(
                out,
                "{label} {}: {}",
                sanitize(&e.subject()),
                sanitize(&e.message)
            )?;
        }
    }
    Ok(())
}
