//! Repositories and what was done to them: the rules they were scanned under (by digest), the
//! tips walked and the blobs scanned under each, and one scan's results written back in one
//! transaction.

use rusqlite::{params, OptionalExtension, Transaction};
use sha2::{Digest, Sha256};

use super::findings::{insert_findings, NewFinding, RepoKind};
use super::{Store, StoreError};

/// An object id as stored.
pub(crate) type Oid20 = [u8; 20];

/// One scan's results for one repository, written back by [`Store::record`].
#[derive(Debug)]
pub(crate) struct RepoRecord<'a> {
    /// The repository's name (its remote URL or absolute path).
    pub name: &'a str,
    /// What it is.
    pub kind: RepoKind,
    /// The digest of the rules it was scanned under.
    pub digest: &'a str,
    /// The run.
    pub run: i64,
    /// Now, RFC 3339.
    pub now: &'a str,
    /// The tips the walk started from, which the next walk hides; `None` keeps the old ones
    /// (the walk was incomplete, or was no whole history).
    pub tips: Option<Vec<Oid20>>,
    /// The blobs scanned.
    pub blobs: Vec<Oid20>,
    /// Commits walked.
    pub commits_walked: u64,
    /// Every blob of the history was scanned under these rules (nothing hidden or skipped, no
    /// error): findings stored for the repository that this scan did not find are dropped (a
    /// changed ruleset no longer finds them). Their triage stays.
    pub complete: bool,
    /// The findings of the scan.
    pub findings: Vec<NewFinding>,
}

impl Store {
    /// The tips walked and the blobs scanned in `repo` under the rules of `digest`: what the
    /// next walk hides and skips. Nothing for a repository or digest never seen.
    pub(crate) fn walked(
        &self,
        repo: &str,
        digest: &str,
    ) -> Result<(Vec<Oid20>, Vec<Oid20>), StoreError> {
        let ids: Option<(i64, i64)> = self
            .conn
            .query_row(
                "SELECT r.id, s.id FROM repos r, rulesets s WHERE r.name = ?1 AND s.digest = ?2",
                (repo, digest),
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(self.err("reading the repository"))?;
        let Some((repo, ruleset)) = ids else {
            return Ok((Vec::new(), Vec::new()));
        };
        let read = |table: &str, column: &str| -> Result<Vec<Oid20>, StoreError> {
            let sql = format!("SELECT {column} FROM {table} WHERE repo = ?1 AND ruleset = ?2");
            let mut stmt = self.conn.prepare(&sql).map_err(self.err("reading oids"))?;
            let rows = stmt
                .query_map((repo, ruleset), |r| r.get::<_, Vec<u8>>(0))
                .map_err(self.err("reading oids"))?;
            let mut out = Vec::new();
            for row in rows {
                let bytes = row.map_err(self.err("reading oids"))?;
                if bytes.is_empty() || bytes.len() % 20 != 0 {
                    return Err(StoreError::BadRecord {
                        file: self.file.clone(),
                        what: format!("{table}: object ids of {} bytes", bytes.len()),
                    });
                }
                out.extend(bytes.chunks_exact(20).map(|c| {
                    let mut oid = [0u8; 20];
                    oid.copy_from_slice(c);
                    oid
                }));
            }
            Ok(out)
        };
        Ok((read("tips", "oid")?, read("blobs", "oids")?))
    }

    /// Writes one repository's results in one transaction: its findings with the blobs and
    /// tips that produced them, so that a process killed at any moment leaves either all of
    /// it or none. Returns how many findings were new.
    pub(crate) fn record(&mut self, rec: RepoRecord<'_>) -> Result<usize, StoreError> {
        let (file, busy) = (self.file.clone(), self.busy_ms);
        let tx = self.write()?;
        let fail = |context: &'static str| {
            let file = file.clone();
            move |e| super::open::classify(&file, busy, context, e)
        };
        let repo = repo_id(&tx, rec.name, rec.kind).map_err(fail("adding the repository"))?;
        let ruleset = ruleset_id(&tx, rec.digest).map_err(fail("adding the ruleset"))?;
        let new = insert_findings(&tx, repo, rec.run, rec.now, rec.kind, &rec.findings)
            .map_err(fail("writing findings"))?;
        if rec.complete {
            drop_unfound(&tx, repo, &rec.findings).map_err(fail("dropping stale findings"))?;
        }
        if !rec.blobs.is_empty() {
            let mut ids = rec.blobs.clone();
            ids.sort_unstable();
            ids.dedup();
            let packed: Vec<u8> = ids.concat();
            let hash: String = Sha256::digest(&packed)[..16]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            tx.execute(
                "INSERT OR IGNORE INTO blobs (repo, ruleset, hash, oids) VALUES (?1, ?2, ?3, ?4)",
                params![repo, ruleset, hash, packed],
            )
            .map_err(fail("writing scanned blobs"))?;
        }
        if let Some(tips) = &rec.tips {
            tx.execute(
                "DELETE FROM tips WHERE repo = ?1 AND ruleset = ?2",
                (repo, ruleset),
            )
            .map_err(fail("writing tips"))?;
            let mut stmt = tx
                .prepare("INSERT OR IGNORE INTO tips (repo, ruleset, oid) VALUES (?1, ?2, ?3)")
                .map_err(fail("writing tips"))?;
            for oid in tips {
                stmt.execute(params![repo, ruleset, &oid[..]])
                    .map_err(fail("writing tips"))?;
            }
        }
        tx.execute(
            "UPDATE repos SET commits_walked = commits_walked + ?2, last_run = ?3, \
             scanned_at = ?4 WHERE id = ?1",
            params![repo, rec.commits_walked as i64, rec.run, rec.now],
        )
        .map_err(fail("updating the repository"))?;
        tx.commit().map_err(fail("committing"))?;
        Ok(new)
    }
}

/// Drops the findings of `repo` whose credential is not among `found`.
fn drop_unfound(tx: &Transaction<'_>, repo: i64, found: &[NewFinding]) -> rusqlite::Result<()> {
    let found: std::collections::HashSet<&str> = found
        .iter()
        .map(|f| f.finding.fingerprint.as_str())
        .collect();
    let stored: Vec<(i64, String)> = {
        let mut stmt = tx.prepare("SELECT id, fingerprint FROM findings WHERE repo = ?1")?;
        let rows = stmt.query_map([repo], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    for (id, fp) in stored {
        if !found.contains(fp.as_str()) {
            tx.execute("DELETE FROM findings WHERE id = ?1", [id])?;
        }
    }
    Ok(())
}

/// The id of the repository `name`, added when new.
fn repo_id(tx: &Transaction<'_>, name: &str, kind: RepoKind) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT OR IGNORE INTO repos (name, kind) VALUES (?1, ?2)",
        (name, kind.as_str()),
    )?;
    tx.query_row("SELECT id FROM repos WHERE name = ?1", [name], |r| r.get(0))
}

/// The id of the ruleset `digest`, added when new.
fn ruleset_id(tx: &Transaction<'_>, digest: &str) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT OR IGNORE INTO rulesets (digest) VALUES (?1)",
        [digest],
    )?;
    tx.query_row("SELECT id FROM rulesets WHERE digest = ?1", [digest], |r| {
        r.get(0)
    })
}
