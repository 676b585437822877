//! What covers a finding so that it is not reported (the baseline, a commit allowlist, a
//! triage decision), and a finding kept aside with that reason for the grouped view.

use super::finding::Finding;

/// What covers a finding, so that it is not reported.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Coverage {
    /// The baseline lists its fingerprint.
    Baseline,
    /// A commit allowlist (global or the rule's) lists its commit.
    CommitAllowlist,
    /// A closing triage decision kept in the datastore (its status: `false-positive` or
    /// `revoked`).
    Triage(String),
}

impl Coverage {
    /// `baseline`, `allowlist`, `triage:STATUS`.
    pub(crate) fn label(&self) -> String {
        match self {
            Coverage::Baseline => "baseline".into(),
            Coverage::CommitAllowlist => "allowlist".into(),
            Coverage::Triage(status) => format!("triage:{status}"),
        }
    }
}

/// A finding kept aside by suppression, with the reason.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SetAside {
    /// The finding, as it would have been reported.
    pub finding: Finding,
    /// Why it is not reported.
    pub coverage: Coverage,
}
