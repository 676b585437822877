//! `keyfence datastore merge OUT IN...`: the stores of separate machines (shards of a
//! repository list) joined into one. Idempotent: merging the same store twice changes nothing.
//! Repositories match by name and rulesets by digest; walked tips and scanned blobs are
//! unioned; a finding already in OUT (for a git repository: its credential, anywhere in that
//! repository) is kept as it is; triage and verification outcomes keep the newest.

use std::path::Path;

use super::{Store, StoreError};

/// The statements that copy an attached store `src` into `main`, in order.
const MERGE: &[&str] = &[
    "INSERT OR IGNORE INTO main.repos (name, kind) SELECT name, kind FROM src.repos",
    "UPDATE main.repos SET
         commits_walked = max(commits_walked,
             (SELECT s.commits_walked FROM src.repos s WHERE s.name = main.repos.name)),
         scanned_at = max(coalesce(scanned_at, ''),
             coalesce((SELECT s.scanned_at FROM src.repos s WHERE s.name = main.repos.name), ''))
     WHERE name IN (SELECT name FROM src.repos)",
    "INSERT OR IGNORE INTO main.rulesets (digest) SELECT digest FROM src.rulesets",
    "INSERT OR IGNORE INTO main.tips (repo, ruleset, oid)
     SELECT mr.id, ms.id, t.oid FROM src.tips t
     JOIN src.repos sr ON sr.id = t.repo JOIN main.repos mr ON mr.name = sr.name
     JOIN src.rulesets ss ON ss.id = t.ruleset JOIN main.rulesets ms ON ms.digest = ss.digest",
    "INSERT OR IGNORE INTO main.blobs (repo, ruleset, hash, oids)
     SELECT mr.id, ms.id, b.hash, b.oids FROM src.blobs b
     JOIN src.repos sr ON sr.id = b.repo JOIN main.repos mr ON mr.name = sr.name
     JOIN src.rulesets ss ON ss.id = b.ruleset JOIN main.rulesets ms ON ms.digest = ss.digest",
    "INSERT OR IGNORE INTO main.findings (repo, fingerprint, path, line, rule_id, key_id,
         commit_id, paired, at_tip, record, first_run, first_seen)
     SELECT mr.id, f.fingerprint, f.path, f.line, f.rule_id, f.key_id, f.commit_id, f.paired,
         f.at_tip, f.record, NULL, f.first_seen
     FROM src.findings f JOIN src.repos sr ON sr.id = f.repo JOIN main.repos mr ON mr.name = sr.name
     WHERE mr.kind <> 'git' OR NOT EXISTS
         (SELECT 1 FROM main.findings m WHERE m.repo = mr.id AND m.fingerprint = f.fingerprint)
     ORDER BY f.id",
    "INSERT INTO main.triage (fingerprint, status, note, by, at)
     SELECT fingerprint, status, note, by, at FROM src.triage WHERE true
     ON CONFLICT (fingerprint) DO UPDATE SET
         status = excluded.status, note = excluded.note, by = excluded.by, at = excluded.at
     WHERE (excluded.at, excluded.status, coalesce(excluded.note, ''), excluded.by)
         > (main.triage.at, main.triage.status, coalesce(main.triage.note, ''), main.triage.by)",
    "INSERT OR IGNORE INTO main.triage_log (fingerprint, status, note, by, at)
     SELECT fingerprint, status, note, by, at FROM src.triage_log",
    "INSERT INTO main.verifications (fingerprint, status, outcome, at)
     SELECT fingerprint, status, outcome, at FROM src.verifications WHERE true
     ON CONFLICT (fingerprint) DO UPDATE SET
         status = excluded.status, outcome = excluded.outcome, at = excluded.at
     WHERE (excluded.at, excluded.outcome) > (main.verifications.at, main.verifications.outcome)",
];

impl Store {
    /// Merges the store at `input` into this one, in one transaction. `input` is opened (and
    /// migrated to the current schema) first, so that a file that is not a datastore, or of a
    /// newer schema, is refused before anything is written.
    pub(crate) fn merge_from(&mut self, input: &Path) -> Result<(), StoreError> {
        let src = Store::open_existing(input, self.busy_ms)?;
        let same = std::fs::canonicalize(input).ok() == std::fs::canonicalize(&self.file).ok();
        if same {
            return Err(StoreError::BadRecord {
                file: src.file.clone(),
                what: "is the output store itself".into(),
            });
        }
        let src_file = src.file.clone();
        drop(src);
        let attach = |e| super::open::classify(&src_file, self.busy_ms, "attaching", e);
        self.conn
            .execute("ATTACH DATABASE ?1 AS src", [input.to_string_lossy()])
            .map_err(attach)?;
        let merged = self.merge_attached();
        let detached = self
            .conn
            .execute_batch("DETACH DATABASE src")
            .map_err(self.err("detaching"));
        merged.and(detached)
    }

    fn merge_attached(&mut self) -> Result<(), StoreError> {
        let (file, busy) = (self.file.clone(), self.busy_ms);
        let tx = self.write()?;
        for sql in MERGE {
            tx.execute_batch(sql)
                .map_err(|e| super::open::classify(&file, busy, "merging", e))?;
        }
        tx.commit()
            .map_err(|e| super::open::classify(&file, busy, "merging", e))
    }
}
