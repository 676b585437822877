//! `--format gitlab`: GitLab's secret detection report (`gl-secret-detection-report.json`,
//! security report schema 15.0.7, vendored in `tests/data/gitlab/` and validated by the tests),
//! so the merge-request widget and the vulnerability report list the findings. One
//! vulnerability per finding (GitLab tracks each place), with keyfence's fingerprint as an
//! identifier so that one credential's places are recognisably one; secrets redacted unless
//! `--show-secrets`.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::finding::Finding;
use super::group::credentials;
use super::model::ScanReport;
use super::remediation::steps;
use super::time::{now_unix, utc_plain};
use super::ReportOptions;
use crate::rules::{RuleSet, Severity};
use crate::validate::synthetic::hyphenated;

/// The schema version the report declares.
pub(crate) const SCHEMA_VERSION: &str = "15.0.7";

/// The schema's published address.
const SCHEMA_URL: &str = "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v15.0.7/dist/secret-detection-report-format.json";

/// The most characters GitLab takes in a `solution`.
const SOLUTION_MAX: usize = 7000;

/// The most scan errors listed as messages.
const MESSAGES_MAX: usize = 100;

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Info => "Info",
    }
}

/// A stable UUID-shaped id of one finding's place: the fingerprint, path, line and commit.
fn vulnerability_id(f: &Finding) -> String {
    let mut h = Sha256::new();
    for part in [
        f.fingerprint.as_str(),
        f.path.as_str(),
        &f.line.to_string(),
        f.commit.as_ref().map_or("", |c| c.id.as_str()),
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let hex: String = h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    hyphenated(&hex)
}

/// `s` cut to at most `max` characters.
fn bounded(s: String, max: usize) -> String {
    if s.chars().count() <= max {
        s
    } else {
        s.chars().take(max - 1).chain(['…']).collect()
    }
}

/// The report as a JSON value.
pub(crate) fn to_json(report: &ScanReport, rules: &RuleSet, opts: ReportOptions) -> Value {
    let creds = credentials(report);
    let end = now_unix();
    let start = end - (report.stats.elapsed_ms / 1000) as i64;
    let mut vulnerabilities = Vec::new();
    for c in creds.iter().filter(|c| c.reported()) {
        let solution: Vec<String> = steps(c)
            .iter()
            .enumerate()
            .map(|(i, s)| match &s.command {
                Some(cmd) => format!("{}. {}\n   {cmd}", i + 1, s.title),
                None => format!("{}. {}", i + 1, s.title),
            })
            .collect();
        let solution = bounded(solution.join("\n"), SOLUTION_MAX);
        let name = rules
            .get(c.rule_id())
            .map_or_else(|| c.rule_id().to_string(), |r| r.description.clone());
        for l in c.locations.iter().filter(|l| l.covered.is_none()) {
            let f = l.finding;
            let mut description = f.message.clone();
            if let Some(k) = &f.key_id {
                description.push_str(&format!(" Key ID {k}."));
            }
            if let Some(v) = &f.verification {
                description.push_str(&format!(" Verification: {}.", v.summary()));
            }
            description.push_str(&format!(
                " Credential {} is in {} place(s).",
                c.fingerprint,
                c.locations.len()
            ));
            let commit = match &f.commit {
                Some(k) => json!({"sha": k.id, "author": k.author, "date": k.date}),
                None => json!({"sha": "0000000"}),
            };
            let extract = f
                .secret
                .as_ref()
                .or(f.session_token.as_ref())
                .map(|s| s.render(opts.show_secrets))
                .or_else(|| f.key_id.clone())
                .unwrap_or_default();
            vulnerabilities.push(json!({
                "id": vulnerability_id(f),
                "name": bounded(name.clone(), 255),
                "description": description,
                "severity": severity(f.severity),
                "solution": solution,
                "identifiers": [
                    {
                        "type": "keyfence_rule_id",
                        "name": format!("keyfence rule {}", f.rule_id),
                        "value": f.rule_id,
                    },
                    {
                        "type": "keyfence_fingerprint",
                        "name": format!("keyfence credential {}", f.fingerprint),
                        "value": f.fingerprint,
                    },
                ],
                "location": {
                    "file": f.path,
                    "commit": commit,
                    "start_line": f.line,
                    "end_line": f.end_line,
                },
                "raw_source_code_extract": extract,
            }));
        }
    }
    let tool = json!({
        "id": "keyfence",
        "name": "keyfence",
        "version": env!("CARGO_PKG_VERSION"),
        "vendor": {"name": "keyfence"},
    });
    let messages: Vec<Value> = report
        .errors
        .iter()
        .take(MESSAGES_MAX)
        .map(|e| json!({"level": "warn", "value": format!("{}: {}", e.subject(), e.message)}))
        .collect();
    json!({
        "version": SCHEMA_VERSION,
        "schema": SCHEMA_URL,
        "scan": {
            "analyzer": tool,
            "scanner": tool,
            "type": "secret_detection",
            "start_time": utc_plain(start),
            "end_time": utc_plain(end),
            "status": "success",
            "messages": messages,
        },
        "vulnerabilities": vulnerabilities,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::group::tests::finding;

    #[test]
    fn one_vulnerability_per_reported_place_without_the_secret() {
        let a = finding("r", "K1", "a.env", 1, None);
        let secret = a.secret.clone().unwrap();
        let report = ScanReport {
            findings: vec![a, finding("r", "K1", "b.env", 4, None)],
            ..ScanReport::default()
        };
        let doc = to_json(&report, &RuleSet::default(), ReportOptions::default());
        let v = doc["vulnerabilities"].as_array().unwrap();
        assert_eq!(v.len(), 2);
        assert_ne!(v[0]["id"], v[1]["id"]);
        assert_eq!(v[0]["id"].as_str().unwrap().len(), 36);
        assert!(!doc.to_string().contains(secret.expose()));
        assert_eq!(doc["version"], SCHEMA_VERSION);
    }
}
