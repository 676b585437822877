//! The grouped view (`--group credential`, and the HTML and Markdown reports): one entry per
//! distinct credential (its fingerprint) with every place it was found, the commit that
//! introduced it first, whether it is still at the scanned tip, and what covers it.
//!
//! Two things the finding list does not carry come from the command line:
//! - **Covered findings.** With a grouped view the suppressor keeps the findings that the
//!   baseline or a commit allowlist removes in [`ScanReport::set_aside`] (with the reason)
//!   instead of dropping them; they are still neither reported as findings nor counted in the
//!   exit code. Inline directives and the allowlists' content and `paths` fields are decided
//!   per blob, before a finding exists, and stay counts only (`stats.suppressed_by`).
//! - **Presence at the tip.** A git scan with a grouped view looks up each location's path in
//!   the tree of the scanned tips (HEAD for a whole history, the range's head for a range) and
//!   fills [`ScanReport::at_tip`]; a finding without a commit (files, standard input, the
//!   index) is what is there now, so it is present.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::coverage::Coverage;
use super::finding::{CommitInfo, Finding, Secret};
use super::model::ScanReport;
use super::time::unix_seconds;
use super::verification::Verification;
use crate::rules::Severity;

/// One place a credential was found.
#[derive(Debug, Clone)]
pub(crate) struct Location<'a> {
    /// The finding there.
    pub finding: &'a Finding,
    /// Still present at the scanned tip; `None` when not known.
    pub at_tip: Option<bool>,
    /// What covers this location, when it is not reported.
    pub covered: Option<&'a Coverage>,
}

/// One distinct credential and everything known about it.
#[derive(Debug, Clone)]
pub(crate) struct Credential<'a> {
    /// Its fingerprint (rule and credential, independent of place).
    pub fingerprint: &'a str,
    /// The finding that stands for it (the first reported location, else the first covered).
    pub lead: &'a Finding,
    /// Every location, sorted by commit date, then path and line.
    pub locations: Vec<Location<'a>>,
    /// The commit that introduced it first (earliest author date), when any location has one.
    pub first: Option<&'a CommitInfo>,
    /// Still present at a scanned tip: any location is; `None` when not known.
    pub at_tip: Option<bool>,
    /// What covers it, each reason once.
    pub coverage: Vec<&'a Coverage>,
}

impl<'a> Credential<'a> {
    /// The rule id.
    pub(crate) fn rule_id(&self) -> &'a str {
        &self.lead.rule_id
    }

    /// The severity.
    pub(crate) fn severity(&self) -> Severity {
        self.lead.severity
    }

    /// The key ID, when the credential has one.
    pub(crate) fn key_id(&self) -> Option<&'a str> {
        self.lead.key_id.as_deref()
    }

    /// The account: the verified caller's, else the one decoded from the key ID.
    pub(crate) fn account(&self) -> Option<&'a str> {
        match self.verification() {
            Some(Verification::Active { account, .. }) => Some(account),
            _ => self.lead.account_id.as_deref(),
        }
    }

    /// The secret part.
    pub(crate) fn secret(&self) -> Option<&'a Secret> {
        self.lead.secret.as_ref()
    }

    /// The session token.
    pub(crate) fn session_token(&self) -> Option<&'a Secret> {
        self.lead.session_token.as_ref()
    }

    /// What `--verify` found out (any reported location's outcome; they share one).
    pub(crate) fn verification(&self) -> Option<&'a Verification> {
        self.locations
            .iter()
            .find_map(|l| l.finding.verification.as_ref())
    }

    /// The verified caller's ARN.
    pub(crate) fn arn(&self) -> Option<&'a str> {
        match self.verification() {
            Some(Verification::Active { arn, .. }) => Some(arn),
            _ => None,
        }
    }

    /// `active`, `inactive`, `expired`, `unavailable`, `skipped`, or `unverified`.
    pub(crate) fn status(&self) -> &'static str {
        self.verification().map_or("unverified", |v| v.status())
    }

    /// True when some location is reported (not covered).
    pub(crate) fn reported(&self) -> bool {
        self.locations.iter().any(|l| l.covered.is_none())
    }
}

/// Verification outcomes, most urgent first.
fn status_rank(status: &str) -> u8 {
    match status {
        "active" => 0,
        "unavailable" => 1,
        "unverified" => 2,
        "skipped" => 3,
        "expired" => 4,
        _ => 5,
    }
}

/// The credentials of a report, sorted by severity (most severe first), then verification
/// (active first), then first introduction (oldest first), then fingerprint.
pub(crate) fn credentials(report: &ScanReport) -> Vec<Credential<'_>> {
    // Other places count only for a credential still reported (not all covered, not dropped
    // by --only-verified).
    let kept: std::collections::HashSet<&str> = report
        .findings
        .iter()
        .map(|f| f.fingerprint.as_str())
        .collect();
    let reported = report
        .findings
        .iter()
        .chain(
            report
                .also_at
                .iter()
                .filter(|f| kept.contains(f.fingerprint.as_str())),
        )
        .map(|f| (f, None));
    let covered = report
        .set_aside
        .iter()
        .map(|s| (&s.finding, Some(&s.coverage)));
    let mut by_fp: BTreeMap<&str, Vec<Location<'_>>> = BTreeMap::new();
    for (finding, coverage) in reported.chain(covered) {
        let at_tip = match (&finding.commit, &report.at_tip) {
            (None, _) => Some(true),
            (Some(_), Some(set)) => {
                Some(set.contains(&(finding.fingerprint.clone(), finding.path.clone())))
            }
            (Some(_), None) => None,
        };
        by_fp
            .entry(&finding.fingerprint)
            .or_default()
            .push(Location {
                finding,
                at_tip,
                covered: coverage,
            });
    }
    let mut out: Vec<Credential<'_>> = by_fp
        .into_iter()
        .map(|(fingerprint, mut locations)| {
            locations.sort_by(|a, b| location_order(a.finding, b.finding));
            let lead = locations
                .iter()
                .find(|l| l.covered.is_none())
                .unwrap_or(&locations[0])
                .finding;
            let first = locations
                .iter()
                .filter_map(|l| l.finding.commit.as_ref())
                .min_by(|a, b| commit_order(a, b));
            let at_tip = if locations.iter().any(|l| l.at_tip == Some(true)) {
                Some(true)
            } else if locations.iter().all(|l| l.at_tip == Some(false)) {
                Some(false)
            } else {
                None
            };
            let mut coverage: Vec<&Coverage> = locations.iter().filter_map(|l| l.covered).collect();
            coverage.sort();
            coverage.dedup();
            Credential {
                fingerprint,
                lead,
                locations,
                first,
                at_tip,
                coverage,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.severity()
            .cmp(&a.severity())
            .then_with(|| status_rank(a.status()).cmp(&status_rank(b.status())))
            .then_with(|| match (a.first, b.first) {
                (Some(x), Some(y)) => commit_order(x, y),
                _ => Ordering::Equal,
            })
            .then_with(|| a.fingerprint.cmp(b.fingerprint))
    });
    out
}

/// Commits by author date (as an instant, whatever the offset), then id.
fn commit_order(a: &CommitInfo, b: &CommitInfo) -> Ordering {
    unix_seconds(&a.date)
        .cmp(&unix_seconds(&b.date))
        .then_with(|| a.id.cmp(&b.id))
}

/// Locations by commit date (none first), then path, line and column.
fn location_order(a: &Finding, b: &Finding) -> Ordering {
    let by_commit = match (&a.commit, &b.commit) {
        (Some(x), Some(y)) => commit_order(x, y),
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    by_commit.then_with(|| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::report::{fingerprint, SetAside};

    /// A finding of `rule` for the credential `key` at `path:line`, in `commit` (id, date).
    pub(crate) fn finding(
        rule: &str,
        key: &str,
        path: &str,
        line: usize,
        commit: Option<(&str, &str)>,
    ) -> Finding {
        let severity = if rule == "low" {
            Severity::Low
        } else {
            Severity::Critical
        };
        Finding {
            message: "m".into(),
            remediation: "r".into(),
            key_id: Some(key.into()),
            secret: Some(Secret::new(format!("{key}-secret-part-long"))),
            fingerprint: fingerprint(rule, Some(key), None),
            commit: commit.map(|(id, date)| CommitInfo {
                id: id.into(),
                author: "A <a@example.com>".into(),
                date: date.into(),
            }),
            ..Finding::sample(rule, severity, path, line)
        }
    }

    #[test]
    fn one_entry_per_credential_with_its_first_commit_and_coverage() {
        // The later commit is in an earlier offset: the first is by instant, not by text.
        let c1 = ("1111", "2026-01-02T00:30:00+02:00"); // 2026-01-01T22:30Z
        let c2 = ("2222", "2026-01-01T23:00:00+00:00");
        let mut report = ScanReport {
            findings: vec![
                finding("r", "K1", "b.env", 1, Some(c2)),
                finding("r", "K1", "a.env", 3, Some(c1)),
                finding("low", "K2", "c.env", 1, None),
            ],
            ..ScanReport::default()
        };
        report.set_aside.push(SetAside {
            finding: finding("r", "K1", "old.env", 9, Some(c2)),
            coverage: Coverage::Baseline,
        });
        report.at_tip = Some(
            [(report.findings[0].fingerprint.clone(), "b.env".to_string())]
                .into_iter()
                .collect(),
        );
        let creds = credentials(&report);
        assert_eq!(creds.len(), 2);
        let k1 = &creds[0];
        assert_eq!(k1.key_id(), Some("K1"));
        assert_eq!(k1.locations.len(), 3);
        assert_eq!(k1.first.unwrap().id, "1111");
        assert_eq!(k1.locations[0].finding.path, "a.env");
        assert_eq!(k1.at_tip, Some(true));
        assert_eq!(k1.coverage, vec![&Coverage::Baseline]);
        assert!(k1.reported());
        assert_eq!(k1.status(), "unverified");
        // Files without commits are what is there now.
        assert_eq!(creds[1].at_tip, Some(true));
        assert_eq!(creds[1].first, None);
    }

    #[test]
    fn sorted_by_severity_then_verification() {
        let mut active = finding("r", "K3", "x", 1, None);
        active.verification = Some(Verification::Active {
            arn: "arn:aws:iam::123456789012:user/u".into(),
            account: "123456789012".into(),
            user_id: "AIDA".into(),
        });
        let report = ScanReport {
            findings: vec![
                finding("low", "K9", "a", 1, None),
                finding("r", "K1", "b", 1, None),
                active,
            ],
            ..ScanReport::default()
        };
        let order: Vec<_> = credentials(&report)
            .iter()
            .map(|c| c.key_id().unwrap())
            .collect();
        assert_eq!(order, vec!["K3", "K1", "K9"]);
        assert_eq!(credentials(&report)[0].account(), Some("123456789012"));
    }
}
