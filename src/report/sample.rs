//! A finding for unit tests to start from, every optional part empty, so that a test names only
//! the fields it is about: `Finding { key_id: …, ..Finding::sample(rule, severity, path, line) }`.

use super::finding::Finding;
use crate::rules::Severity;

impl Finding {
    /// A finding of `rule_id` at `path:line` (column 1, on one line, once), with no message,
    /// key, secret, fingerprint, commit, verification or triage.
    pub(crate) fn sample(rule_id: &str, severity: Severity, path: &str, line: usize) -> Finding {
        Finding {
            rule_id: rule_id.into(),
            severity,
            message: String::new(),
            remediation: String::new(),
            path: path.into(),
            line,
            column: 1,
            end_line: line,
            key_id: None,
            account_id: None,
            secret: None,
            session_token: None,
            fingerprint: String::new(),
            commit: None,
            occurrences: 1,
            key_id_commit: None,
            expires: None,
            region: None,
            service: None,
            verification: None,
            decoded: Vec::new(),
            triage: None,
            repository: None,
            in_message: None,
            unreachable: None,
        }
    }
}
