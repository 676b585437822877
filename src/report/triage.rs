//! Triage: what a person decided about a finding kept in a datastore (`keyfence triage`), as
//! every format shows it. A finding scanned without a datastore has no [`Triage`].

use std::fmt;
use std::str::FromStr;

use serde_json::{json, Value};

/// What a finding was triaged as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum TriageStatus {
    /// Not dealt with yet (the state of every new finding; set again to reopen one).
    Open,
    /// Not a credential, or not a real one.
    FalsePositive,
    /// A real credential whose risk was accepted: still reported, and still fails a gate.
    Accepted,
    /// A real credential that no longer works: rotated or deleted.
    Revoked,
}

impl TriageStatus {
    /// Every status, in the order `--status` lists them.
    pub(crate) const ALL: [TriageStatus; 4] = [
        TriageStatus::Open,
        TriageStatus::FalsePositive,
        TriageStatus::Accepted,
        TriageStatus::Revoked,
    ];

    /// The name reports and the command line use.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TriageStatus::Open => "open",
            TriageStatus::FalsePositive => "false-positive",
            TriageStatus::Accepted => "accepted",
            TriageStatus::Revoked => "revoked",
        }
    }

    /// Closed findings (false positives, revoked credentials) are not reported by scans with the
    /// same datastore and never fail a gate.
    pub(crate) fn is_closed(self) -> bool {
        matches!(self, TriageStatus::FalsePositive | TriageStatus::Revoked)
    }
}

impl fmt::Display for TriageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TriageStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<TriageStatus, String> {
        TriageStatus::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = TriageStatus::ALL.iter().map(|t| t.as_str()).collect();
                format!("unknown triage status `{s}` (one of {})", names.join(", "))
            })
    }
}

/// A finding's triage: its status, who set it and when, and a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Triage {
    /// The status.
    pub status: TriageStatus,
    /// Why, in the words of whoever triaged it.
    pub note: Option<String>,
    /// Who set it (`Name <email>` from git, or the user name).
    pub by: String,
    /// When, RFC 3339 in UTC.
    pub at: String,
}

impl Triage {
    /// `{"status", "note", "by", "at"}`.
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "status": self.status.as_str(),
            "note": self.note,
            "by": self.by,
            "at": self.at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_parse_back_and_only_two_close() {
        for s in TriageStatus::ALL {
            assert_eq!(s.as_str().parse::<TriageStatus>(), Ok(s));
        }
        let closed: Vec<_> = TriageStatus::ALL
            .into_iter()
            .filter(|s| s.is_closed())
            .collect();
        assert_eq!(closed, [TriageStatus::FalsePositive, TriageStatus::Revoked]);
        assert!("fixed"
            .parse::<TriageStatus>()
            .unwrap_err()
            .contains("false-positive"));
    }
}
