//! Triage in the store: one state per credential (by fingerprint, in every repository that
//! holds it), newest wins, and a log of every decision.

use rusqlite::Row;

use super::{Store, StoreError};
use crate::report::{Triage, TriageStatus};

/// The triage in columns `at..at + 4` (status, note, by, at) of a row, when there is one.
pub(super) fn triage_of_row(r: &Row<'_>, at: usize) -> rusqlite::Result<Option<Triage>> {
    let Some(status) = r.get::<_, Option<String>>(at)? else {
        return Ok(None);
    };
    let status: TriageStatus = status.parse().map_err(|e: String| {
        rusqlite::Error::FromSqlConversionFailure(at, rusqlite::types::Type::Text, e.into())
    })?;
    Ok(Some(Triage {
        status,
        note: r.get(at + 1)?,
        by: r.get(at + 2)?,
        at: r.get(at + 3)?,
    }))
}

impl Store {
    /// The fingerprints `target` names: itself when a finding has it as its fingerprint, else
    /// those of every finding with it as its key ID. Empty when nothing matches.
    pub(crate) fn resolve_target(&self, target: &str) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT DISTINCT fingerprint FROM findings WHERE fingerprint = ?1 \
                 UNION SELECT DISTINCT fingerprint FROM findings WHERE key_id = ?1 \
                 AND NOT EXISTS (SELECT 1 FROM findings WHERE fingerprint = ?1) \
                 ORDER BY 1",
            )
            .map_err(self.err("looking up the finding"))?;
        let rows = stmt
            .query_map([target], |r| r.get(0))
            .map_err(self.err("looking up the finding"))?;
        rows.collect::<Result<_, _>>()
            .map_err(self.err("looking up the finding"))
    }

    /// Sets the triage of every credential in `fingerprints`, and logs it.
    pub(crate) fn set_triage(
        &mut self,
        fingerprints: &[String],
        triage: &Triage,
    ) -> Result<(), StoreError> {
        let (file, busy) = (self.file.clone(), self.busy_ms);
        let fail = move |e| super::open::classify(&file, busy, "writing the triage", e);
        let tx = self.write()?;
        for fp in fingerprints {
            tx.execute(
                "INSERT INTO triage (fingerprint, status, note, by, at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (fingerprint) DO UPDATE SET \
                 status = excluded.status, note = excluded.note, by = excluded.by, \
                 at = excluded.at",
                (
                    fp,
                    triage.status.as_str(),
                    &triage.note,
                    &triage.by,
                    &triage.at,
                ),
            )
            .map_err(&fail)?;
            tx.execute(
                "INSERT OR IGNORE INTO triage_log (fingerprint, status, note, by, at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                (
                    fp,
                    triage.status.as_str(),
                    triage.note.as_deref().unwrap_or(""),
                    &triage.by,
                    &triage.at,
                ),
            )
            .map_err(&fail)?;
        }
        tx.commit().map_err(&fail)
    }

    /// The triage of every credential that has one, by fingerprint.
    pub(crate) fn triage_states(
        &self,
    ) -> Result<std::collections::HashMap<String, Triage>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT fingerprint, status, note, by, at FROM triage")
            .map_err(self.err("reading triage"))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, triage_of_row(r, 1)?)))
            .map_err(self.err("reading triage"))?;
        let mut out = std::collections::HashMap::new();
        for row in rows {
            if let (fp, Some(t)) = row.map_err(self.err("reading triage"))? {
                out.insert(fp, t);
            }
        }
        Ok(out)
    }
}
