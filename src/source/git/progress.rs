//! Progress of a git scan on stderr (commits walked, blobs and bytes scanned), redrawn a few
//! times a second on one line while the scan runs; silent unless asked for.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// Shared counters; cheap to bump from every worker.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    enabled: bool,
    commits: AtomicU64,
    blobs: AtomicU64,
    bytes: AtomicU64,
    done: AtomicBool,
}

impl Progress {
    /// Counters that are drawn only when `enabled`.
    pub(crate) fn new(enabled: bool) -> Progress {
        Progress {
            enabled,
            ..Progress::default()
        }
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

    fn line(&self, total_commits: usize) -> String {
        format!(
            "keyfence: {}/{} commits walked, {} blobs, {:.1} MB scanned",
            self.commits.load(Ordering::Relaxed),
            total_commits,
            self.blobs.load(Ordering::Relaxed),
            self.bytes.load(Ordering::Relaxed) as f64 / 1e6
        )
    }

    /// Draws the counters (at least once) until [`Progress::finish`], then clears the line;
    /// call on a thread of its own.
    pub(crate) fn draw_until_done(&self, total_commits: usize) {
        if !self.enabled {
            return;
        }
        let mut err = std::io::stderr();
        loop {
            let _ = write!(err, "\r{}\x1b[K", self.line(total_commits));
            let _ = err.flush();
            for _ in 0..5 {
                if self.done.load(Ordering::Relaxed) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(40));
            }
            if self.done.load(Ordering::Relaxed) {
                break;
            }
        }
        let _ = write!(err, "\r\x1b[K");
    }

    /// Stops drawing.
    pub(crate) fn finish(&self) {
        self.done.store(true, Ordering::Relaxed);
    }
}
