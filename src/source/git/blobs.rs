//! Reading and scanning git blobs: one job per unique blob, on a pool of workers that each own a
//! git2 `Repository` (libgit2 handles are not shared between threads).

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use git2::{Odb, Oid, Repository};

use super::progress::Progress;
use crate::finding::Finding;
use crate::report_model::{ScanError, Stats};
use crate::scan::ScanEngine;
use crate::source::looks_binary;

/// One blob to scan.
#[derive(Debug, Clone)]
pub struct Job {
    /// The blob.
    pub oid: Oid,
    /// Its path where it was met.
    pub path: String,
    /// The walk index of the commit that introduced it; `None` for a base version, whose
    /// credentials only tell what was there before.
    pub commit: Option<u32>,
}

/// What scanning jobs produced.
#[derive(Debug, Default)]
pub struct Collected {
    /// Findings with the walk index of the commit that introduced their blob (`u32::MAX` for a
    /// change that is not committed yet).
    pub found: Vec<(u32, Finding)>,
    /// Fingerprints of credentials in base versions.
    pub before: HashSet<String>,
    /// Blobs that could not be read.
    pub errors: Vec<ScanError>,
    /// Counters.
    pub stats: Stats,
}

impl Collected {
    fn merge(&mut self, mut other: Collected) {
        self.found.append(&mut other.found);
        self.before.extend(other.before);
        self.errors.append(&mut other.errors);
        self.stats.merge(&other.stats);
    }
}

/// Scans blobs read from one object database.
pub struct BlobScanner<'a> {
    engine: &'a ScanEngine,
    scan_binary: bool,
    progress: &'a Progress,
    /// What was found so far.
    pub out: Collected,
}

impl<'a> BlobScanner<'a> {
    /// A scanner with nothing collected yet.
    pub fn new(engine: &'a ScanEngine, scan_binary: bool, progress: &'a Progress) -> Self {
        BlobScanner {
            engine,
            scan_binary,
            progress,
            out: Collected::default(),
        }
    }

    /// Reads and scans one blob.
    pub fn scan(&mut self, odb: &Odb<'_>, job: &Job) {
        let object = match odb.read(job.oid) {
            Ok(o) => o,
            Err(e) => {
                self.out.errors.push(ScanError {
                    path: format!("{} (blob {})", job.path, job.oid),
                    message: format!("cannot read the blob: {}", e.message()),
                });
                return;
            }
        };
        let data = object.data();
        let stats = &mut self.out.stats;
        if !self.scan_binary && looks_binary(data) {
            if job.commit.is_some() {
                stats.binary_skipped += 1;
            }
            return;
        }
        let findings = self.engine.scan(data, &job.path);
        match job.commit {
            None => self
                .out
                .before
                .extend(findings.into_iter().map(|f| f.fingerprint)),
            Some(c) => {
                stats.files_scanned += 1;
                stats.bytes_scanned += data.len() as u64;
                self.progress.blob(data.len());
                self.out.found.extend(findings.into_iter().map(|f| (c, f)));
            }
        }
    }
}

/// Jobs a worker takes at a time: consecutive in pack order, so that a delta's base is usually
/// read by the same worker just before it.
const JOBS_PER_TAKE: usize = 64;

/// Scans `jobs` in their order on `threads` workers (0: one per core), each with its own handle
/// on the repository at `git_dir`.
pub fn scan_parallel(
    git_dir: &Path,
    jobs: Vec<Job>,
    engine: &ScanEngine,
    scan_binary: bool,
    threads: usize,
    progress: &Progress,
) -> Collected {
    let next = AtomicUsize::new(0);
    let jobs = &jobs;
    let total = Mutex::new(Collected::default());
    let work = || {
        let mut scanner = BlobScanner::new(engine, scan_binary, progress);
        let opened = Repository::open(git_dir);
        let odb = match &opened {
            Ok(repo) => repo.odb(),
            Err(e) => Err(git2::Error::from_str(e.message())),
        };
        match odb {
            Ok(odb) => loop {
                let start = next.fetch_add(JOBS_PER_TAKE, Ordering::Relaxed);
                if start >= jobs.len() {
                    break;
                }
                for job in &jobs[start..(start + JOBS_PER_TAKE).min(jobs.len())] {
                    scanner.scan(&odb, job);
                }
            },
            Err(e) => scanner.out.errors.push(ScanError {
                path: git_dir.display().to_string(),
                message: format!("cannot open the repository: {}", e.message()),
            }),
        }
        total
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .merge(scanner.out);
    };
    match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => {
            pool.broadcast(|_| work());
        }
        Err(_) => work(),
    }
    total.into_inner().unwrap_or_else(|e| e.into_inner())
}
