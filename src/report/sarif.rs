//! SARIF 2.1.0: rule metadata with remediation help, one result per finding with its location,
//! partial fingerprints, and the commit for git findings. Validated in CI against the official
//! schema (`scripts/validate_sarif.sh`).

use std::io::{self, Write};

use serde_json::{json, Value};

use super::finding::Finding;
use super::model::ScanReport;
use super::ReportOptions;
use crate::rules::RuleSet;
use crate::rules::Severity;

/// The SARIF level of a severity.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning's `security-severity` (0.0 to 10.0) of a severity.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

/// Percent-encodes a relative path for a SARIF `uri` (RFC 3986: unreserved characters and `/`
/// stay as they are).
pub(crate) fn uri_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A rule id in `PascalCase` for SARIF's `name`.
fn rule_name(id: &str) -> String {
    id.split(['-', '_'])
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn rule_json(rule: &crate::rules::Rule) -> Value {
    json!({
        "id": rule.id,
        "name": rule_name(&rule.id),
        "shortDescription": { "text": rule.description },
        "fullDescription": { "text": rule.description },
        "help": {
            "text": format!("{}\n\nRemediation: {}", rule.description, rule.remediation),
            "markdown": format!("{}\n\n**Remediation:** {}", rule.description, rule.remediation),
        },
        "defaultConfiguration": { "level": level(rule.severity) },
        "properties": {
            "tags": ["security", "secret", "aws"],
            "security-severity": security_severity(rule.severity),
            "precision": "high",
        },
    })
}

fn result_json(f: &Finding, rules: &RuleSet, opts: ReportOptions) -> Value {
    let mut result = json!({
        "ruleId": f.rule_id,
        "level": level(f.severity),
        "message": { "text": format!("{} Remediation: {}", f.message, f.remediation) },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": uri_encode(&f.path), "uriBaseId": "%SRCROOT%" },
                "region": {
                    "startLine": f.line,
                    "startColumn": f.column,
                    "endLine": f.end_line,
                },
            },
        }],
        "partialFingerprints": { "keyfence/v1": f.fingerprint },
        "properties": {
            "severity": f.severity,
            "keyId": f.key_id,
            "accountId": f.account_id,
            "secret": f.secret.as_ref().map(|s| s.render(opts.show_secrets)),
            "occurrences": f.occurrences,
        },
    });
    for (name, value) in [
        ("expires", &f.expires),
        ("keyIdCommit", &f.key_id_commit),
        ("region", &f.region),
        ("service", &f.service),
    ] {
        if let Some(v) = value {
            result["properties"][name] = json!(v);
        }
    }
    if !f.decoded.is_empty() {
        result["properties"]["decoded"] = json!(f.decoded);
    }
    if let Some(v) = &f.verification {
        result["properties"]["verification"] = v.to_json();
    }
    if !f.decoded.is_empty() || f.verification.is_some() {
        let decoded = match f.decoded.is_empty() {
            true => String::new(),
            false => format!(
                " (decoded: {})",
                super::finding::describe_decoding(&f.decoded)
            ),
        };
        let verified = f
            .verification
            .as_ref()
            .map(|v| format!(" Verification: {}.", v.summary()))
            .unwrap_or_default();
        result["message"]["text"] = json!(format!(
            "{}{decoded}{verified} Remediation: {}",
            f.message, f.remediation
        ));
    }
    if let Some(i) = rules.rules.iter().position(|r| r.id == f.rule_id) {
        result["ruleIndex"] = json!(i);
    }
    if let Some(m) = &f.in_message {
        // Not in a file: the message's object as a logical location, the line within the
        // message in the properties (a physical location would name a file that does not exist).
        result["locations"] = json!([{
            "logicalLocations": [{
                "name": m.object,
                "fullyQualifiedName": format!("{}/{}", m.kind.as_str(), m.object),
                "kind": m.kind.as_str(),
            }],
            "message": { "text": format!("{} {}, line {}", m.kind.as_str(), m.object, f.line) },
        }]);
        result["properties"]["origin"] = json!(m.kind.as_str());
        result["properties"]["object"] = json!(m.object);
        result["properties"]["line"] = json!(f.line);
        result["properties"]["column"] = json!(f.column);
        if let Some(n) = &m.name {
            result["properties"]["objectName"] = json!(n);
        }
    }
    if let Some(object) = &f.unreachable {
        result["properties"]["unreachableObject"] = json!(object);
    }
    if let Some(c) = &f.commit {
        result["properties"]["commit"] = json!(c.id);
        result["properties"]["author"] = json!(c.author);
        result["properties"]["date"] = json!(c.date);
        result["locations"][0]["physicalLocation"]["artifactLocation"]["description"] =
            json!({ "text": format!("{} in commit {}", f.path, c.id) });
    }
    result
}

/// Writes the SARIF log.
pub(crate) fn write(
    report: &ScanReport,
    rules: &RuleSet,
    opts: ReportOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    // Errors, then what was read only in part, at level `warning`.
    let levels = report.errors.iter().map(|e| (e, "error"));
    let partial = report.warnings.iter().map(|w| (w, "warning"));
    let notifications: Vec<Value> = levels
        .chain(partial)
        .map(|(e, level)| {
            let text = format!("{}: {}", e.subject(), e.message);
            match e.file_path() {
                Some(path) => json!({
                    "level": level,
                    "message": { "text": text },
                    "locations": [{
                        "physicalLocation": {
                            "artifactLocation": { "uri": uri_encode(path), "uriBaseId": "%SRCROOT%" },
                        },
                    }],
                }),
                None => json!({ "level": level, "message": { "text": text } }),
            }
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "keyfence",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://crates.io/crates/keyfence",
                    "rules": rules.rules.iter().map(rule_json).collect::<Vec<_>>(),
                },
            },
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": report.findings.iter().map(|f| result_json(f, rules, opts)).collect::<Vec<_>>(),
            "properties": { "stats": report.stats },
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri_encode("a b/ç#1.txt"), "a%20b/%C3%A7%231.txt");
        assert_eq!(rule_name("aws-access-key"), "AwsAccessKey");
    }
}
