//! How urgent a finding is: part of a rule, overridable by configuration, shown by every report.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How urgent a finding is; ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    /// Worth knowing.
    Info,
    /// An identifier that names an account but grants nothing alone.
    Low,
    /// A degraded or partial credential.
    Medium,
    /// A usable credential with limits (temporary, or without its key ID).
    High,
    /// A usable long-term credential.
    Critical,
}

impl Severity {
    /// All severities, most severe first.
    pub(crate) const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    /// The lowercase name used in reports and configuration.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad` honours width and alignment, so `{:<9}` lines up columns.
        f.pad(self.as_str())
    }
}
