//! Reading back a report keyfence wrote as JSON or JSON Lines, so that `keyfence verify` can
//! verify its findings later without scanning again. Only a report written with
//! `--show-secrets` can be verified: a redacted secret is refused, never sent.

use serde::Deserialize;

use super::finding::{CommitInfo, Decoding, Finding, MessageKind, MessageOrigin, Secret};
use super::model::{ScanReport, Stats};
use crate::rules::Severity;

/// What marks a redacted value (see [`Secret::redacted`]); AWS secrets and tokens never hold
/// a `*`.
const REDACTION_MARK: &str = "********";

/// Why a report cannot be read back.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReadError {
    /// Not JSON, or not shaped like a keyfence finding.
    #[error("{file}:{line}: not a keyfence JSON or JSONL report: {why}")]
    NotAReport {
        /// The report as named.
        file: String,
        /// 1-based line (the whole document for JSON: 1).
        line: usize,
        /// What is wrong.
        why: String,
    },
    /// A secret or token was redacted when the report was written.
    #[error(
        "{file}: finding {index} ({path}:{line}) has its {what} redacted: verification needs a \
         report written with --show-secrets"
    )]
    Redacted {
        /// The report as named.
        file: String,
        /// 1-based finding number.
        index: usize,
        /// The finding's path.
        path: String,
        /// The finding's line.
        line: usize,
        /// `secret` or `session token`.
        what: &'static str,
    },
}

/// One finding as json.rs writes it.
#[derive(Deserialize)]
struct Record {
    rule_id: String,
    severity: Severity,
    #[serde(default)]
    message: String,
    #[serde(default)]
    remediation: String,
    path: String,
    line: usize,
    #[serde(default)]
    column: usize,
    #[serde(default)]
    end_line: usize,
    key_id: Option<String>,
    account_id: Option<String>,
    secret: Option<String>,
    session_token: Option<String>,
    #[serde(default)]
    fingerprint: String,
    commit: Option<String>,
    author: Option<String>,
    date: Option<String>,
    #[serde(default)]
    occurrences: usize,
    #[serde(default)]
    key_id_commit: Option<String>,
    #[serde(default)]
    expires: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    service: Option<String>,
    #[serde(default)]
    decoded: Vec<Decoding>,
    #[serde(default)]
    repository: Option<String>,
    /// `commit-message`, `tag-message` or `note` for a finding in a git message.
    #[serde(default)]
    origin: Option<String>,
    #[serde(default)]
    object: Option<String>,
    #[serde(default)]
    object_name: Option<String>,
    /// `--all-objects`: the unreached object holding it.
    #[serde(default)]
    unreachable_object: Option<String>,
}

/// `{"findings": [...], "stats": {...}}`, the part of a JSON report read back.
#[derive(Deserialize)]
struct Document {
    findings: Vec<Record>,
    #[serde(default)]
    stats: Option<Stats>,
}

/// Reads a JSON report (`--format json`) or JSON Lines (`--format jsonl`); `file` names it in
/// errors. Findings come back as written, without their old verification.
pub(crate) fn read_report(text: &str, file: &str) -> Result<ScanReport, ReadError> {
    let not = |line: usize, why: String| ReadError::NotAReport {
        file: file.to_string(),
        line,
        why,
    };
    let trimmed = text.trim_start();
    let whole_document = trimmed.starts_with('{')
        && serde_json::from_str::<serde_json::Value>(text)
            .is_ok_and(|v| v.get("findings").is_some());
    let (records, stats) = if whole_document {
        let doc: Document = serde_json::from_str(text).map_err(|e| not(e.line(), e.to_string()))?;
        (doc.findings, doc.stats.unwrap_or_default())
    } else {
        let mut records = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let r: Record = serde_json::from_str(line).map_err(|e| not(n + 1, e.to_string()))?;
            records.push(r);
        }
        (records, Stats::default())
    };
    let mut findings = Vec::with_capacity(records.len());
    for (i, r) in records.into_iter().enumerate() {
        let redacted = |what| ReadError::Redacted {
            file: file.to_string(),
            index: i + 1,
            path: r.path.clone(),
            line: r.line,
            what,
        };
        if r.secret
            .as_deref()
            .is_some_and(|s| s.contains(REDACTION_MARK))
        {
            return Err(redacted("secret"));
        }
        if r.session_token
            .as_deref()
            .is_some_and(|s| s.contains(REDACTION_MARK))
        {
            return Err(redacted("session token"));
        }
        let commit = match (r.commit, r.author, r.date) {
            (Some(id), author, date) => Some(CommitInfo {
                id,
                author: author.unwrap_or_default(),
                date: date.unwrap_or_default(),
            }),
            _ => None,
        };
        findings.push(Finding {
            rule_id: r.rule_id,
            severity: r.severity,
            message: r.message,
            remediation: r.remediation,
            path: r.path,
            line: r.line,
            column: r.column,
            end_line: r.end_line.max(r.line),
            key_id: r.key_id,
            account_id: r.account_id,
            secret: r.secret.map(Secret::new),
            session_token: r.session_token.map(Secret::new),
            fingerprint: r.fingerprint,
            commit,
            occurrences: r.occurrences.max(1),
            key_id_commit: r.key_id_commit,
            expires: r.expires,
            region: r.region,
            service: r.service,
            verification: None,
            decoded: r.decoded,
            triage: None,
            repository: r.repository,
            in_message: message_origin(r.origin.as_deref(), r.object, r.object_name),
            unreachable: r.unreachable_object,
        });
    }
    let mut report = ScanReport {
        findings,
        stats,
        ..ScanReport::default()
    };
    report.finish();
    Ok(report)
}

/// The message a read-back finding is in, from its `origin`, `object` and `object_name`
/// (a report or a datastore keeps them as JSON); `None` for a file's finding.
fn message_origin(
    origin: Option<&str>,
    object: Option<String>,
    name: Option<String>,
) -> Option<MessageOrigin> {
    let kind = [MessageKind::Commit, MessageKind::Tag, MessageKind::Note]
        .into_iter()
        .find(|k| Some(k.as_str()) == origin)?;
    Some(MessageOrigin {
        kind,
        object: object.unwrap_or_default(),
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::json::{finding_json, write, write_lines};
    use crate::report::ReportOptions;
    use crate::validate::synthetic::{key_id, secret};

    fn report() -> ScanReport {
        let f = Finding {
            message: "m".into(),
            remediation: "r".into(),
            end_line: 4,
            key_id: Some(key_id("AKIA", 1)),
            secret: Some(Secret::new(secret(1))),
            fingerprint: "fp".into(),
            commit: Some(CommitInfo {
                id: "c".repeat(40),
                author: "A <a@b>".into(),
                date: "2026-01-01T00:00:00Z".into(),
            }),
            occurrences: 2,
            key_id_commit: Some("d".repeat(40)),
            expires: Some("2026-12-31T00:00:00Z".into()),
            region: Some("us-east-1".into()),
            decoded: vec![Decoding::Utf16Le, Decoding::Base64],
            ..Finding::sample("aws-access-key", Severity::Critical, "a/b.env", 3)
        };
        let mut r = ScanReport {
            findings: vec![f],
            ..ScanReport::default()
        };
        r.stats.files_scanned = 7;
        r.finish();
        r
    }

    fn written(json_lines: bool, show_secrets: bool) -> String {
        let mut out = Vec::new();
        let opts = ReportOptions {
            show_secrets,
            ..ReportOptions::default()
        };
        if json_lines {
            write_lines(&report(), opts, &mut out).unwrap();
        } else {
            write(&report(), opts, &mut out).unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn json_and_jsonl_reports_read_back_as_written() {
        for lines in [false, true] {
            let back = read_report(&written(lines, true), "r").unwrap();
            assert_eq!(back.findings, report().findings);
            assert_eq!(
                finding_json(&back.findings[0], true),
                finding_json(&report().findings[0], true)
            );
            let files = if lines { 0 } else { 7 };
            assert_eq!(back.stats.files_scanned, files);
        }
    }

    #[test]
    fn redacted_reports_are_refused() {
        for lines in [false, true] {
            let e = read_report(&written(lines, false), "r.json")
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with("r.json: finding 1 (a/b.env:3) has its secret redacted"),
                "{e}"
            );
        }
    }

    #[test]
    fn other_files_are_refused_with_the_line() {
        let e = read_report("{\"rule_id\": 1}\n", "x")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("x:1: not a keyfence JSON or JSONL report"),
            "{e}"
        );
        let e = read_report("\nhello\n", "x").unwrap_err().to_string();
        assert!(e.starts_with("x:2: not a keyfence"), "{e}");
    }
}
