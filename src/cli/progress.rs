//! The progress line of git scans on stderr (`--progress`), redrawn a few times a second on one
//! line while the scan runs.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::source::Progress;
use crate::verify::VerifyProgress;

/// Runs `scan` with progress counters; when `enabled`, a thread draws them until `scan`
/// returns (at least once), then clears the line.
pub(super) fn with_progress<T>(enabled: bool, scan: impl FnOnce(&Progress) -> T) -> T {
    let progress = Progress::default();
    if !enabled {
        return scan(&progress);
    }
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| draw_until_done(&progress, &done));
        let result = scan(&progress);
        done.store(true, Ordering::Relaxed);
        result
    })
}

fn draw_until_done(progress: &Progress, done: &AtomicBool) {
    let mut err = std::io::stderr();
    loop {
        let now = progress.snapshot();
        let _ = write!(
            err,
            "\rkeyfence: {}/{} commits walked, {} blobs, {:.1} MB scanned\x1b[K",
            now.commits,
            now.total_commits,
            now.blobs,
            now.bytes as f64 / 1e6
        );
        let _ = err.flush();
        for _ in 0..5 {
            if done.load(Ordering::Relaxed) {
                break;
            }
            std::thread::sleep(Duration::from_millis(40));
        }
        if done.load(Ordering::Relaxed) {
            break;
        }
    }
    let _ = write!(err, "\r\x1b[K");
}

/// Runs `verify` with verification counters; when `enabled`, a thread draws
/// `verifying N/M credentials` until it returns, draws the final count once more, then clears
/// the line.
pub(super) fn with_verify_progress<T>(
    enabled: bool,
    verify: impl FnOnce(&VerifyProgress) -> T,
) -> T {
    let progress = VerifyProgress::default();
    if !enabled {
        return verify(&progress);
    }
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut err = std::io::stderr();
            loop {
                // Acquire: once `done` is seen, the final counts are too.
                let finished = done.load(Ordering::Acquire);
                let _ = write!(
                    err,
                    "\rkeyfence: verifying {}/{} credentials with STS\x1b[K",
                    progress.done.load(Ordering::Relaxed),
                    progress.total.load(Ordering::Relaxed)
                );
                let _ = err.flush();
                if finished {
                    break;
                }
                for _ in 0..5 {
                    if done.load(Ordering::Relaxed) {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(40));
                }
            }
            let _ = write!(err, "\r\x1b[K");
        });
        let result = verify(&progress);
        done.store(true, Ordering::Release);
        result
    })
}
