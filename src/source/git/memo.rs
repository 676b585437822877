//! What a history scan is told to skip and asked to remember, for a datastore (`--datastore`):
//! the blobs already scanned under the same rules, and the blobs this scan read. The source
//! knows nothing of the store; the command line fills the known set and writes back the rest.

use std::fmt;
use std::sync::Mutex;

use super::blobs::{Job, Side};
use super::oid_set::{raw, OidSet, RawOid};

/// Blobs known to be scanned already (skipped), and the blobs this scan read.
#[derive(Default)]
pub(crate) struct BlobMemo {
    known: OidSet,
    scanned: Mutex<Vec<RawOid>>,
}

impl fmt::Debug for BlobMemo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobMemo({} known)", self.known.len())
    }
}

impl BlobMemo {
    /// A memo that skips the blobs `known`.
    pub(crate) fn new(known: impl IntoIterator<Item = RawOid>) -> BlobMemo {
        BlobMemo {
            known: known.into_iter().collect(),
            scanned: Mutex::new(Vec::new()),
        }
    }

    /// Drops the jobs of blobs already known and remembers the commit blobs left to scan (a
    /// range's base versions are read only to compare, and are not remembered). Returns how
    /// many were dropped.
    pub(crate) fn filter(&self, jobs: &mut Vec<Job>) -> u64 {
        let before = jobs.len();
        jobs.retain(|j| !self.known.contains(&raw(j.oid)));
        let mut scanned = self.scanned.lock().unwrap_or_else(|p| p.into_inner());
        scanned.extend(
            jobs.iter()
                .filter(|j| matches!(j.side, Side::Commit(_)))
                .map(|j| raw(j.oid)),
        );
        (before - jobs.len()) as u64
    }

    /// The blobs the scan read (each once), taken out of the memo.
    pub(crate) fn take_scanned(&self) -> Vec<RawOid> {
        let mut scanned = self.scanned.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = std::mem::take(&mut *scanned);
        out.sort_unstable();
        out.dedup();
        out
    }
}
