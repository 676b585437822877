//! Progress counters of a scan (commits walked, blobs and bytes scanned): cheap to bump from every
//! worker, read by whoever draws them (the command line, a few times a second).

use std::sync::atomic::{AtomicU64, Ordering};

/// Shared counters.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    commits: AtomicU64,
    total_commits: AtomicU64,
    blobs: AtomicU64,
    bytes: AtomicU64,
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot {
    /// Commits walked.
    pub commits: u64,
    /// Commits to walk, once the walk knows.
    pub total_commits: u64,
    /// Blobs scanned.
    pub blobs: u64,
    /// Bytes scanned.
    pub bytes: u64,
}

impl Progress {
    /// How many commits the walk will visit.
    pub(crate) fn set_total_commits(&self, n: usize) {
        self.total_commits.store(n as u64, Ordering::Relaxed);
    }

    /// One more commit walked.
    pub(crate) fn commit(&self) {
        self.commits.fetch_add(1, Ordering::Relaxed);
    }

    /// One more blob of `len` bytes scanned.
    pub(crate) fn blob(&self, len: usize) {
        self.blobs.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(len as u64, Ordering::Relaxed);
    }

    /// The counters now.
    pub(crate) fn snapshot(&self) -> Snapshot {
        Snapshot {
            commits: self.commits.load(Ordering::Relaxed),
            total_commits: self.total_commits.load(Ordering::Relaxed),
            blobs: self.blobs.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
        }
    }
}
