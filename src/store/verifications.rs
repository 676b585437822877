//! Verification outcomes read back from the store: the last outcome recorded for each
//! credential (by fingerprint), so that `keyfence findings` shows what `--verify` found without
//! asking AWS again. (The store keeps when, too: `verifications.at`.)

use std::collections::HashMap;

use super::{Store, StoreError};
use crate::report::{sanitize, Verification};

impl Store {
    /// The last verification outcome of each credential, by fingerprint. An outcome that does
    /// not read back is an error naming the store and the credential.
    pub(crate) fn verifications(&self) -> Result<HashMap<String, Verification>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT fingerprint, outcome FROM verifications")
            .map_err(self.err("reading verification outcomes"))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(self.err("reading verification outcomes"))?;
        let mut out = HashMap::new();
        for row in rows {
            let (fingerprint, outcome) = row.map_err(self.err("reading verification outcomes"))?;
            let bad = |why: String| StoreError::BadRecord {
                file: self.file.clone(),
                what: format!(
                    "the verification outcome of {} does not read back: {}",
                    sanitize(&fingerprint),
                    sanitize(&why)
                ),
            };
            let value: serde_json::Value =
                serde_json::from_str(&outcome).map_err(|e| bad(e.to_string()))?;
            let outcome = Verification::from_json(&value).map_err(bad)?;
            out.insert(fingerprint, outcome);
        }
        Ok(out)
    }
}
