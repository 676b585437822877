//! JSON and JSON Lines reports.

use std::io::{self, Write};

use serde_json::{json, Value};

use super::finding::Finding;
use super::model::ScanReport;
use super::ReportOptions;

/// One finding as a JSON object; secrets redacted unless `show_secrets`.
pub(crate) fn finding_json(f: &Finding, show_secrets: bool) -> Value {
    let commit = f.commit.as_ref();
    let mut v = json!({
        "rule_id": f.rule_id,
        "severity": f.severity,
        "message": f.message,
        "remediation": f.remediation,
        "path": f.path,
        "line": f.line,
        "column": f.column,
        "end_line": f.end_line,
        "key_id": f.key_id,
        "account_id": f.account_id,
        "secret": f.secret.as_ref().map(|s| s.render(show_secrets)),
        "session_token": f.session_token.as_ref().map(|s| s.render(show_secrets)),
        "fingerprint": f.fingerprint,
        "commit": commit.map(|c| c.id.clone()),
        "author": commit.map(|c| c.author.clone()),
        "date": commit.map(|c| c.date.clone()),
        "occurrences": f.occurrences,
        "key_id_commit": f.key_id_commit,
        "expires": f.expires,
        "region": f.region,
        "service": f.service,
        "decoded": f.decoded,
    });
    if let Some(verification) = &f.verification {
        v["verification"] = verification.to_json();
    }
    if let Some(triage) = &f.triage {
        v["triage"] = triage.to_json();
    }
    if let Some(repository) = &f.repository {
        v["repository"] = json!(repository);
    }
    if let Some(m) = &f.in_message {
        v["origin"] = json!(m.kind.as_str());
        v["object"] = json!(m.object);
        v["object_name"] = json!(m.name);
    }
    if let Some(object) = &f.unreachable {
        v["unreachable_object"] = json!(object);
    }
    v
}

/// `{"findings": [...], "errors": [...], "warnings": [...], "stats": {...}}` (warnings: what
/// was read only in part), plus `"unused": [...]` when `--report-unused` asked for it.
pub(crate) fn write(
    report: &ScanReport,
    opts: ReportOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut doc = json!({
        "findings": report.findings.iter().map(|f| finding_json(f, opts.show_secrets)).collect::<Vec<_>>(),
        "errors": report.errors,
        "warnings": report.warnings,
        "stats": report.stats,
    });
    if let Some(unused) = &report.unused {
        doc["unused"] = json!(unused);
    }
    if opts.group {
        doc["credentials"] = super::group::credentials(report)
            .iter()
            .map(|c| super::group_json::credential_json(c, opts.show_secrets))
            .collect();
    }
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// One finding per line.
pub(crate) fn write_lines(
    report: &ScanReport,
    opts: ReportOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    for f in &report.findings {
        serde_json::to_writer(&mut *out, &finding_json(f, opts.show_secrets))?;
        writeln!(out)?;
    }
    Ok(())
}
