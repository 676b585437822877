//! Reading and scanning git blobs: one job per unique blob, on a pool of workers that each own a
//! git2 `Repository` (libgit2 handles are not shared between threads); and the [`Prescan`] of
//! every packed blob, read with [`PackReader`]s, for a whole history.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use git2::{Odb, Oid, Repository};

use super::odb::{PackEntries, PackReader};
use super::oid_set::{raw, OidMap};
use super::progress::Progress;
use crate::finding::Finding;
use crate::report_model::{ScanError, Stats};
use crate::scan::ScanEngine;
use crate::source::{looks_binary, BINARY_SNIFF_LEN};

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
    /// Adds another worker's results.
    pub fn merge(&mut self, mut other: Collected) {
        self.found.append(&mut other.found);
        self.before.extend(other.before);
        self.errors.append(&mut other.errors);
        self.stats.merge(&other.stats);
    }

    /// Adds a blob scanned before its path was known, now found at `path` in commit number
    /// `commit`: its findings get the path, and the path allowlists apply.
    pub fn add_prescanned(&mut self, commit: u32, path: &str, p: Prescanned, engine: &ScanEngine) {
        if p.binary {
            self.stats.binary_skipped += 1;
            return;
        }
        self.stats.files_scanned += 1;
        self.stats.bytes_scanned += p.size;
        for mut f in p.findings {
            let allowed = engine
                .rules()
                .get(&f.rule_id)
                .is_some_and(|rule| engine.suppressor().check_path(rule, path));
            if !allowed {
                f.path = path.to_string();
                self.found.push((commit, f));
            }
        }
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

/// A blob scanned before the walk told where it is.
#[derive(Debug)]
pub struct Prescanned {
    /// Its size in bytes.
    pub size: u64,
    /// It looked binary and was not scanned.
    pub binary: bool,
    /// What it holds, with an empty path.
    pub findings: Vec<Finding>,
}

/// Packed blobs larger than this (compressed) are first peeked at to skip binary ones without
/// inflating them whole.
const PEEK_ABOVE: u64 = 64 << 10;

/// Splits of the blobs of a pack handed to workers: few, so that each worker reads long runs
/// of consecutive entries (their delta bases in its own cache), enough to share the work.
const PRESCAN_SPLITS: usize = 16;

/// Scans every blob of some packs, in pack order, before their paths are known: a
/// whole-history scan reads every blob of the packs while the commit walk runs, and the walking
/// thread joins the readers when it is done. Blobs are read from the pack files directly
/// ([`PackReader`]); one that cannot be read is left out, to be read with libgit2 once its path
/// is known, and reported then if it still fails.
pub struct Prescan<'a> {
    packs: &'a [PackEntries],
    units: Vec<(usize, Vec<usize>)>,
    next: AtomicUsize,
    done: Mutex<OidMap<Prescanned>>,
    engine: &'a ScanEngine,
    scan_binary: bool,
    progress: &'a Progress,
}

impl<'a> Prescan<'a> {
    /// Splits the blobs of `packs` into runs of consecutive entries for the workers.
    pub fn new(
        packs: &'a [PackEntries],
        engine: &'a ScanEngine,
        scan_binary: bool,
        progress: &'a Progress,
    ) -> Prescan<'a> {
        let mut units: Vec<(usize, Vec<usize>)> = Vec::new();
        for (p, pack) in packs.iter().enumerate() {
            let blobs: Vec<usize> = (0..pack.entries.len())
                .filter(|&k| pack.entries[k].is_blob())
                .collect();
            let per = blobs.len().div_ceil(PRESCAN_SPLITS).max(1024);
            units.extend(blobs.chunks(per).map(|c| (p, c.to_vec())));
        }
        let count = units.iter().map(|u| u.1.len()).sum();
        Prescan {
            packs,
            units,
            next: AtomicUsize::new(0),
            done: Mutex::new(OidMap::with_capacity_and_hasher(count, Default::default())),
            engine,
            scan_binary,
            progress,
        }
    }

    /// Takes runs and scans them until none is left; call from any number of threads.
    pub fn work(&self) {
        let mut readers: HashMap<usize, PackReader<'_>> = HashMap::new();
        let mut local = Vec::new();
        while let Some((p, blobs)) = self.units.get(self.next.fetch_add(1, Ordering::Relaxed)) {
            let reader = match readers.entry(*p) {
                std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    match PackReader::open(&self.packs[*p]) {
                        Ok(r) => v.insert(r),
                        Err(_) => continue,
                    }
                }
            };
            for &k in blobs {
                let oid = raw(self.packs[*p].entries[k].oid);
                if !self.scan_binary
                    && self.packs[*p].entries[k].end - self.packs[*p].entries[k].offset > PEEK_ABOVE
                {
                    // A large blob stored whole: its first bytes tell whether it is binary.
                    if let Ok(Some((head, size))) = reader.peek(k, BINARY_SNIFF_LEN) {
                        if looks_binary(&head) {
                            self.progress.blob(size as usize);
                            let findings = Vec::new();
                            local.push((
                                oid,
                                Prescanned {
                                    size,
                                    binary: true,
                                    findings,
                                },
                            ));
                            continue;
                        }
                    }
                }
                let Ok(data) = reader.read(k) else { continue };
                let binary = !self.scan_binary && looks_binary(&data);
                let findings = if binary {
                    Vec::new()
                } else {
                    self.engine.scan(&data, "")
                };
                self.progress.blob(data.len());
                let size = data.len() as u64;
                let oid = raw(self.packs[*p].entries[k].oid);
                local.push((
                    oid,
                    Prescanned {
                        size,
                        binary,
                        findings,
                    },
                ));
            }
        }
        self.done
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(local);
    }

    /// What every worker scanned, by blob.
    pub fn finish(self) -> OidMap<Prescanned> {
        self.done.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

/// Runs `work` once on each of `threads` threads (0: one per core) and waits for them.
pub fn run_on_pool(threads: usize, work: &(dyn Fn() + Sync)) {
    match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => {
            pool.broadcast(|_| work());
        }
        Err(_) => work(),
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
    run_on_pool(threads, &work);
    total.into_inner().unwrap_or_else(|e| e.into_inner())
}
