//! The grouped view in JSON (`--format json --group credential`): a `credentials` array beside
//! the finding list, each with its locations, first commit, presence at the tip, coverage and
//! remediation steps.

use serde_json::{json, Value};

use super::group::Credential;
use super::remediation::steps;

/// One credential as a JSON object; secrets redacted unless `show_secrets`.
pub(crate) fn credential_json(c: &Credential<'_>, show_secrets: bool) -> Value {
    let locations: Vec<Value> = c
        .locations
        .iter()
        .map(|l| {
            let f = l.finding;
            json!({
                "path": f.path,
                "line": f.line,
                "column": f.column,
                "end_line": f.end_line,
                "commit": f.commit.as_ref().map(|k| k.id.clone()),
                "author": f.commit.as_ref().map(|k| k.author.clone()),
                "date": f.commit.as_ref().map(|k| k.date.clone()),
                "at_tip": l.at_tip,
                "covered_by": l.covered.map(|v| v.label()),
            })
        })
        .collect();
    let remediation: Vec<Value> = steps(c)
        .into_iter()
        .map(|s| json!({"title": s.title, "command": s.command}))
        .collect();
    let mut v = json!({
        "fingerprint": c.fingerprint,
        "rule_id": c.rule_id(),
        "severity": c.severity(),
        "key_id": c.key_id(),
        "account_id": c.account(),
        "secret": c.secret().map(|s| s.render(show_secrets)),
        "session_token": c.session_token().map(|s| s.render(show_secrets)),
        "status": c.status(),
        "arn": c.arn(),
        "first_commit": c.first.map(|k| json!({"id": k.id, "author": k.author, "date": k.date})),
        "at_tip": c.at_tip,
        "covered_by": c.coverage.iter().map(|v| v.label()).collect::<Vec<_>>(),
        "reported": c.reported(),
        "locations": locations,
        "remediation": remediation,
    });
    if let Some(verification) = c.verification() {
        v["verification"] = verification.to_json();
    }
    v
}
