//! The baseline: fingerprints of known findings that a repository adopting keyfence accepts for
//! now, in `.keyfence-baseline.json`.
//!
//! The file is keyed by fingerprint (rule + credential), sorted, and holds no line numbers or
//! timestamps, so moving lines or files changes nothing and two branches rarely conflict.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::report::{Finding, ScanReport};
use crate::rules::Location;

/// The baseline file name at the root.
pub(crate) const BASELINE_FILE: &str = ".keyfence-baseline.json";

/// The format version written and understood.
pub(crate) const BASELINE_VERSION: u32 = 1;

/// A baseline that cannot be read.
#[derive(Debug, Error)]
pub(crate) enum BaselineError {
    /// The file cannot be read or written.
    #[error("{file}: {error}")]
    Io {
        /// The baseline file.
        file: String,
        /// The I/O error (in the message, so not a `source` that would print it twice).
        error: std::io::Error,
    },
    /// The file is not a baseline.
    #[error("{at}: {message}")]
    Syntax {
        /// Where.
        at: Location,
        /// What is wrong.
        message: String,
    },
}

/// One accepted finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BaselineEntry {
    /// The finding's fingerprint: the key.
    pub fingerprint: String,
    /// The rule that found it.
    pub rule_id: String,
    /// Where it was first seen (for people; not used to match).
    pub path: String,
    /// The key ID and the redacted secret (for people; not used to match).
    pub preview: String,
}

/// The file format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BaselineFile {
    /// Always [`BASELINE_VERSION`].
    pub version: u32,
    /// Entries sorted by fingerprint, one per fingerprint.
    pub findings: Vec<BaselineEntry>,
}

/// A loaded baseline.
#[derive(Debug, Clone, Default)]
pub(crate) struct Baseline {
    /// Entries by fingerprint.
    pub entries: BTreeMap<String, BaselineEntry>,
}

/// What people see of a finding in the baseline: the key ID (not secret) and the redacted secret.
pub(crate) fn preview(f: &Finding) -> String {
    let parts: Vec<String> = [
        f.key_id.clone(),
        f.secret.as_ref().map(|s| s.redacted()),
        f.session_token
            .as_ref()
            .map(|t| format!("token {}", t.redacted())),
    ]
    .into_iter()
    .flatten()
    .collect();
    parts.join(" ")
}

impl BaselineFile {
    /// The baseline of a report: one entry per fingerprint (the first path in sort order),
    /// sorted by fingerprint.
    pub(crate) fn from_report(report: &ScanReport) -> BaselineFile {
        let mut by_fp: BTreeMap<&str, BaselineEntry> = BTreeMap::new();
        let mut findings: Vec<&Finding> = report.findings.iter().collect();
        findings.sort_by(|a, b| (&a.path, &a.rule_id).cmp(&(&b.path, &b.rule_id)));
        for f in findings {
            by_fp
                .entry(f.fingerprint.as_str())
                .or_insert_with(|| BaselineEntry {
                    fingerprint: f.fingerprint.clone(),
                    rule_id: f.rule_id.clone(),
                    path: f.path.clone(),
                    preview: preview(f),
                });
        }
        BaselineFile {
            version: BASELINE_VERSION,
            findings: by_fp.into_values().collect(),
        }
    }

    /// The file's text: pretty JSON with a final newline.
    pub(crate) fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Writes the file.
    pub(crate) fn write(&self, path: &Path) -> Result<(), BaselineError> {
        std::fs::write(path, self.to_json()).map_err(|error| BaselineError::Io {
            file: path.display().to_string(),
            error,
        })
    }
}

impl Baseline {
    /// Parses a baseline's text; `file` names it in errors.
    /// A UTF-8 byte order mark (as some editors on Windows write) is skipped.
    pub(crate) fn from_json(text: &str, file: &str) -> Result<Baseline, BaselineError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let syntax = |line, column, message| BaselineError::Syntax {
            at: Location::new(file, line, column),
            message,
        };
        let parsed: BaselineFile = serde_json::from_str(text).map_err(|e| {
            let (line, column) = (e.line().max(1), e.column().max(1));
            let msg = e.to_string();
            // serde_json appends " at line L column C"; the location is already in front.
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            syntax(line, column, msg)
        })?;
        if parsed.version != BASELINE_VERSION {
            return Err(syntax(
                1,
                1,
                format!(
                    "unsupported baseline version {} (expected {BASELINE_VERSION})",
                    parsed.version
                ),
            ));
        }
        let entries = parsed
            .findings
            .into_iter()
            .map(|e| (e.fingerprint.clone(), e))
            .collect();
        Ok(Baseline { entries })
    }

    /// Reads a baseline file.
    pub(crate) fn load(path: &Path) -> Result<Baseline, BaselineError> {
        Baseline::load_as(path, &path.display().to_string())
    }

    /// Reads a baseline file, naming it `file` in errors.
    pub(crate) fn load_as(path: &Path, file: &str) -> Result<Baseline, BaselineError> {
        let file = file.to_string();
        let text = std::fs::read_to_string(path).map_err(|error| BaselineError::Io {
            file: file.clone(),
            error,
        })?;
        Baseline::from_json(&text, &file)
    }

    /// True when `fingerprint` is listed.
    pub(crate) fn contains(&self, fingerprint: &str) -> bool {
        self.entries.contains_key(fingerprint)
    }

    /// Entries whose fingerprint is not in `used`.
    pub(crate) fn unused<'a>(&'a self, used: &BTreeSet<String>) -> Vec<&'a BaselineEntry> {
        self.entries
            .values()
            .filter(|e| !used.contains(&e.fingerprint))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_baselines_name_the_line() {
        let e = Baseline::from_json("{\n  \"version\": 1,\n  \"findings\": 3\n}", "b.json")
            .unwrap_err();
        assert!(e.to_string().starts_with("b.json:3:"), "{e}");
        let e = Baseline::from_json("{\"version\": 2, \"findings\": []}", "b.json").unwrap_err();
        assert!(
            e.to_string().contains("unsupported baseline version 2"),
            "{e}"
        );
    }

    #[test]
    fn round_trip() {
        let file = BaselineFile {
            version: 1,
            findings: vec![BaselineEntry {
                fingerprint: "ab".into(),
                rule_id: "r".into(),
                path: "p".into(),
                preview: "K".into(),
            }],
        };
        let b = Baseline::from_json(&file.to_json(), "x").unwrap();
        assert!(b.contains("ab"));
        assert!(!b.contains("cd"));
        assert_eq!(b.unused(&BTreeSet::new()).len(), 1);
    }
}
