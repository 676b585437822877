//! Findings in the store: written once, at their first location (a credential of a git
//! repository once per repository, as `history` reports it; a directory's once per path), read
//! back with their triage, and the key ID committed before its secret joined across runs.

use rusqlite::{params, OptionalExtension, Transaction};

use super::triage::triage_of_row;
use super::{Store, StoreError};
use crate::report::{finding_json, read_report, Finding, TriageStatus};

/// What a repository entry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RepoKind {
    /// A git repository (history, ci): one finding per credential, at its first commit.
    Git,
    /// A directory scanned as files: a finding per credential and path.
    Dir,
}

impl RepoKind {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            RepoKind::Git => "git",
            RepoKind::Dir => "dir",
        }
    }
}

/// A finding of a scan, to be written back.
#[derive(Debug)]
pub(crate) struct NewFinding {
    /// The finding.
    pub finding: Finding,
    /// Whether its credential is still in the file at the tip (HEAD), when known.
    pub at_tip: Option<bool>,
}

/// A finding read back from the store.
#[derive(Debug, Clone)]
pub(crate) struct StoredFinding {
    /// The finding, its `repository` and `triage` filled in.
    pub finding: Finding,
    /// The run that found it first (`None` for findings merged in from another store).
    pub first_run: Option<i64>,
}

/// Which findings to read.
#[derive(Debug, Default)]
pub(crate) struct FindingFilter {
    /// Only these repositories (all when `None`).
    pub repos: Option<Vec<String>>,
    /// Only these triage statuses (a finding never triaged is `open`); all when empty.
    pub statuses: Vec<TriageStatus>,
}

/// Inserts the findings not in the store yet; returns how many were new. A credential of a git
/// repository is kept once, where it was found first; a key ID stored alone whose secret a
/// later scan found beside it becomes that finding's `key_id_commit`, as one history walk
/// would report it.
pub(super) fn insert_findings(
    tx: &Transaction<'_>,
    repo: i64,
    run: i64,
    now: &str,
    kind: RepoKind,
    findings: &[NewFinding],
) -> rusqlite::Result<usize> {
    let mut new = 0;
    for nf in findings {
        let f = &nf.finding;
        let known: Option<i64> = match kind {
            RepoKind::Git => tx
                .query_row(
                    "SELECT id FROM findings WHERE repo = ?1 AND fingerprint = ?2",
                    (repo, &f.fingerprint),
                    |r| r.get(0),
                )
                .optional()?,
            RepoKind::Dir => tx
                .query_row(
                    "SELECT id FROM findings WHERE repo = ?1 AND fingerprint = ?2 AND path = ?3",
                    (repo, &f.fingerprint, &f.path),
                    |r| r.get(0),
                )
                .optional()?,
        };
        if known.is_some() {
            continue;
        }
        let paired = f.secret.is_some() || f.session_token.is_some();
        let mut f = f.clone();
        if kind == RepoKind::Git && paired {
            if let Some(key) = f.key_id.clone() {
                let alone: Option<Option<String>> = tx
                    .query_row(
                        "SELECT commit_id FROM findings WHERE repo = ?1 AND key_id = ?2 \
                         AND paired = 0 ORDER BY id LIMIT 1",
                        (repo, &key),
                        |r| r.get(0),
                    )
                    .optional()?;
                if let Some(commit) = alone {
                    tx.execute(
                        "DELETE FROM findings WHERE repo = ?1 AND key_id = ?2 AND paired = 0",
                        (repo, &key),
                    )?;
                    if f.key_id_commit.is_none()
                        && commit != f.commit.as_ref().map(|c| c.id.clone())
                    {
                        f.key_id_commit = commit;
                    }
                }
            }
        }
        f.triage = None;
        f.repository = None;
        f.verification = None;
        let record = serde_json::to_string(&finding_json(&f, true))
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        tx.execute(
            "INSERT INTO findings (repo, fingerprint, path, line, rule_id, key_id, commit_id, \
             paired, at_tip, record, first_run, first_seen) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                repo,
                f.fingerprint,
                f.path,
                f.line as i64,
                f.rule_id,
                f.key_id,
                f.commit.as_ref().map(|c| c.id.as_str()),
                paired,
                nf.at_tip,
                record,
                run,
                now
            ],
        )?;
        new += 1;
    }
    Ok(new)
}

impl Store {
    /// The findings `filter` selects, with their repository and triage, ordered by repository,
    /// path, line and fingerprint.
    pub(crate) fn findings(
        &self,
        filter: &FindingFilter,
    ) -> Result<Vec<StoredFinding>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT r.name, f.record, f.first_run, \
                        t.status, t.note, t.by, t.at \
                 FROM findings f JOIN repos r ON r.id = f.repo \
                 LEFT JOIN triage t ON t.fingerprint = f.fingerprint \
                 ORDER BY r.name, f.path, f.line, f.fingerprint",
            )
            .map_err(self.err("reading findings"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                    triage_of_row(r, 3)?,
                ))
            })
            .map_err(self.err("reading findings"))?;
        let mut out = Vec::new();
        for row in rows {
            let (repo, record, first_run, triage) = row.map_err(self.err("reading findings"))?;
            if let Some(repos) = &filter.repos {
                if !repos.contains(&repo) {
                    continue;
                }
            }
            let status = triage.as_ref().map_or(TriageStatus::Open, |t| t.status);
            if !filter.statuses.is_empty() && !filter.statuses.contains(&status) {
                continue;
            }
            let mut report =
                read_report(&record, &self.file).map_err(|e| StoreError::BadRecord {
                    file: self.file.clone(),
                    what: format!("a finding of {repo} does not read back: {e}"),
                })?;
            let Some(mut finding) = report.findings.pop() else {
                continue;
            };
            finding.repository = Some(repo);
            finding.triage = triage;
            out.push(StoredFinding { finding, first_run });
        }
        Ok(out)
    }

    /// Records the verification outcome (`status`, the outcome as JSON) of the credential
    /// `fingerprint` at `now`.
    pub(crate) fn record_verification(
        &mut self,
        outcomes: &[(String, String, String)],
        now: &str,
    ) -> Result<(), StoreError> {
        let (file, busy) = (self.file.clone(), self.busy_ms);
        let fail = move |e| super::open::classify(&file, busy, "writing verification outcomes", e);
        let tx = self.write()?;
        for (fingerprint, status, outcome) in outcomes {
            tx.execute(
                "INSERT INTO verifications (fingerprint, status, outcome, at) \
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (fingerprint) DO UPDATE SET \
                 status = excluded.status, outcome = excluded.outcome, at = excluded.at",
                (fingerprint, status, outcome, now),
            )
            .map_err(&fail)?;
        }
        tx.commit().map_err(&fail)
    }
}
