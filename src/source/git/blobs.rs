//! Reading git blobs and handing them to the scan: one job per unique blob, on the pool's
//! workers, each with its own git2 `Repository` (libgit2 handles are not shared between
//! threads); and the [`Prescan`] of every packed blob, read with [`PackReader`]s, for a whole
//! history.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use git2::{Odb, Oid};

use super::odb::{PackEntries, PackReader};
use super::oid_set::{raw, OidMap};
use super::{git_path, GitOptions};
use crate::report::{Finding, ScanError, Stats, Subject};
use crate::scan::ScanEngine;
use crate::source::archive::ArchiveOptions;
use crate::source::pool::{self, Merged};
use crate::source::{Blob, BlobScanner, Origin, Progress, Scanned, BINARY_SNIFF_LEN};
use crate::suppress::Suppressor;

/// Which side of a change a blob is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// A version before the change (HEAD's, the base's, a merged branch's): its credentials
    /// only tell what was there before.
    Before,
    /// The staged version, not committed yet.
    Staged,
    /// Introduced by the commit with this walk index.
    Commit(u32),
}

/// The walk index findings of a staged blob carry: after every commit.
pub(crate) const STAGED: u32 = u32::MAX;

/// One blob to scan.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    /// The blob.
    pub oid: Oid,
    /// Its path where it was met, as git stores it.
    pub path: Vec<u8>,
    /// Which side of the change it is on.
    pub side: Side,
}

impl Job {
    /// Its origin, with its path as a `Path`.
    fn origin<'a>(&self, path: &'a Path) -> Origin<'a> {
        match self.side {
            Side::Before => Origin::Before(path),
            Side::Staged => Origin::Staged(path),
            Side::Commit(_) => Origin::Commit(path),
        }
    }
}

/// What scanning jobs produced.
#[derive(Debug, Default)]
pub(crate) struct Collected {
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
    pub(crate) fn merge(&mut self, mut other: Collected) {
        self.found.append(&mut other.found);
        self.before.extend(other.before);
        self.errors.append(&mut other.errors);
        self.stats.merge(&other.stats);
    }

    /// Reads one blob and scans it.
    fn read_and_scan(
        &mut self,
        scanner: &mut BlobScanner<'_>,
        odb: &Odb<'_>,
        job: &Job,
        progress: &Progress,
    ) {
        let object = match odb.read(job.oid) {
            Ok(o) => o,
            Err(e) => {
                self.errors.push(ScanError {
                    subject: Subject::Blob {
                        path: String::from_utf8_lossy(&job.path).into_owned(),
                        oid: job.oid.to_string(),
                    },
                    message: format!("cannot read the blob: {}", e.message()),
                });
                return;
            }
        };
        let data = object.data();
        let path = git_path(&job.path);
        let blob = Blob {
            bytes: data,
            origin: job.origin(&path),
        };
        let Scanned::Text(findings) = scanner.scan(blob) else {
            return;
        };
        match job.side {
            Side::Before => self
                .before
                .extend(findings.into_iter().map(|f| f.fingerprint)),
            Side::Staged | Side::Commit(_) => {
                let c = match job.side {
                    Side::Commit(c) => c,
                    _ => STAGED,
                };
                progress.blob(data.len());
                self.found.extend(findings.into_iter().map(|f| (c, f)));
            }
        }
    }
}

/// A blob scanned before the walk told where it is. One is kept for every blob of a
/// whole-history scan until the walk has found them all (261,661 on every ref of git/git), so the
/// common cases take no more than their size: 16 bytes, where a size, a findings list and a
/// capped-rules list took 56 (and the map that holds them ~20 MB more at that count).
#[derive(Debug)]
pub(crate) enum Prescanned {
    /// It looked binary and was not scanned.
    Binary,
    /// It was scanned, found clean, and no regex rule hit its match cap: its size in bytes.
    Clean(u64),
    /// It was scanned and gave findings, or hit a rule's match cap.
    Found(Box<Hits>),
}

/// What scanning a blob gave beyond its size, when it gave anything.
#[derive(Debug)]
pub(crate) struct Hits {
    /// Its size in bytes.
    size: u64,
    /// Its findings, without a path.
    findings: Vec<Finding>,
    /// Regex rules that hit their match cap in it.
    capped: Vec<String>,
}

impl Prescanned {
    /// What scanning a blob of `size` bytes gave.
    fn new(size: u64, scanned: Scanned, capped: Vec<String>) -> Prescanned {
        match scanned {
            Scanned::Binary => Prescanned::Binary,
            Scanned::Text(findings) if findings.is_empty() && capped.is_empty() => {
                Prescanned::Clean(size)
            }
            Scanned::Text(findings) => Prescanned::Found(Box::new(Hits {
                size,
                findings,
                capped,
            })),
        }
    }

    /// The size of a blob that gave nothing (clean, or skipped as binary: then 0).
    pub(crate) fn clean_size(&self) -> Option<u64> {
        match self {
            Prescanned::Binary => Some(0),
            Prescanned::Clean(size) => Some(*size),
            Prescanned::Found(_) => None,
        }
    }

    /// The blob met at `path` by commit number `commit`: counts it, applies the path step and
    /// adds its findings.
    pub(crate) fn attribute(
        self,
        commit: u32,
        path: &[u8],
        scanner: &mut BlobScanner<'_>,
        out: &mut Collected,
    ) {
        let path = git_path(path);
        let (size, scanned, capped) = match self {
            Prescanned::Binary => (0, Scanned::Binary, Vec::new()),
            Prescanned::Clean(size) => (size, Scanned::Text(Vec::new()), Vec::new()),
            Prescanned::Found(hits) => {
                let Hits {
                    size,
                    findings,
                    capped,
                } = *hits;
                (size, Scanned::Text(findings), capped)
            }
        };
        for f in scanner.attribute(size, scanned, capped, &path) {
            out.found.push((commit, f));
        }
    }
}

/// Packed blobs larger than this (compressed) are first peeked at to skip binary ones without
/// inflating them whole.
const PEEK_ABOVE: u64 = 64 << 10;

/// Bytes of delta bases each pack-order reader keeps. A reader takes whole delta families, each
/// delta right after its base ([`PackEntries::blob_families`]), so it needs little more than
/// the chain it is on: 8 MiB costs no measurable CPU against 24 on every ref of git/git
/// (0.71x against 0.73x the floor's CPU, paired).
const PRESCAN_CACHE_BYTES: usize = 8 << 20;

/// Splits of the blobs of a pack handed to workers: few, so that each worker reads long runs
/// of consecutive entries (their delta bases in its own cache), enough to share the work.
const PRESCAN_SPLITS: usize = 16;

/// Scans every blob of some packs, in pack order, before their paths are known: a
/// whole-history scan reads every blob of the packs while the commit walk runs, and the walking
/// thread joins the readers when it is done. Blobs are read from the pack files directly
/// ([`PackReader`]); one that cannot be read is left out, to be read with libgit2 once its path
/// is known, and reported then if it still fails; unless it is corrupt in a way that libgit2
/// would pay for in memory (`OdbError::is_final`): then it is reported as it is.
pub(crate) struct Prescan<'a> {
    packs: &'a [PackEntries],
    units: Vec<(usize, Vec<usize>)>,
    next: AtomicUsize,
    /// Set when the scan ends early: workers stop at their next blob.
    cancelled: AtomicBool,
    /// Workers scanning now (their results not merged yet).
    active: AtomicUsize,
    /// Rests of runs that workers stopped early handed back (see [`Prescan::work_until`]).
    handed_back: Merged<Vec<(usize, Vec<usize>)>>,
    done: Merged<OidMap<Prescanned>>,
    failed: Merged<OidMap<String>>,
    /// Blobs left to be read once their path is known: archives, and blobs the pack reader
    /// could not read (libgit2 tries them then).
    left: Merged<Vec<[u8; 20]>>,
    engine: &'a ScanEngine,
    suppressor: &'a Suppressor,
    scan_binary: bool,
    progress: &'a Progress,
    archives: ArchiveOptions,
}

impl<'a> Prescan<'a> {
    /// Splits the blobs of `packs` into runs for the workers: whole delta families, each base
    /// followed by its deltas ([`PackEntries::blob_families`]).
    pub(crate) fn new(
        packs: &'a [PackEntries],
        engine: &'a ScanEngine,
        suppressor: &'a Suppressor,
        opts: &GitOptions,
        progress: &'a Progress,
    ) -> Prescan<'a> {
        let mut units: Vec<(usize, Vec<usize>)> = Vec::new();
        for (p, pack) in packs.iter().enumerate() {
            // Runs end between delta families, so that a family is read by one worker.
            let (blobs, starts) = pack.blob_families();
            let per = blobs.len().div_ceil(PRESCAN_SPLITS).max(1024);
            let mut from = 0;
            for &start in starts.iter().skip(1).chain([&blobs.len()]) {
                if start - from >= per || start == blobs.len() {
                    if start > from {
                        units.push((p, blobs[from..start].to_vec()));
                    }
                    from = start;
                }
            }
        }
        let count = units.iter().map(|u| u.1.len()).sum();
        Prescan {
            packs,
            units,
            next: AtomicUsize::new(0),
            cancelled: AtomicBool::new(false),
            active: AtomicUsize::new(0),
            handed_back: Merged::default(),
            done: Merged::new(OidMap::with_capacity_and_hasher(count, Default::default())),
            failed: Merged::new(OidMap::default()),
            left: Merged::default(),
            engine,
            suppressor,
            scan_binary: opts.scan_binary,
            progress,
            archives: opts.archives,
        }
    }

    /// Takes runs and scans them until none is left; call from any number of threads.
    pub(crate) fn work(&self) {
        self.work_until(&AtomicBool::new(false));
    }

    /// The next run to scan: one a worker handed back, else the next of the split.
    fn take(&self) -> Option<(usize, Cow<'_, [usize]>)> {
        if let Some((p, blobs)) = self.handed_back.add(|back| back.pop()) {
            return Some((p, Cow::Owned(blobs)));
        }
        let (p, blobs) = self.units.get(self.next.fetch_add(1, Ordering::Relaxed))?;
        Some((*p, Cow::Borrowed(blobs)))
    }

    /// [`Prescan::work`] until `stop` is set: then the rest of the run at hand is handed back
    /// for other workers.
    pub(crate) fn work_until(&self, stop: &AtomicBool) {
        self.active.fetch_add(1, Ordering::SeqCst);
        let mut scanner = BlobScanner::new(self.engine, self.suppressor, self.scan_binary)
            .with_archives(self.archives);
        let mut readers: HashMap<usize, PackReader<'_>> = HashMap::new();
        let mut local = Vec::new();
        let mut failed = Vec::new();
        let mut left = Vec::new();
        'runs: while let Some((p, blobs)) = self.take() {
            let reader = match readers.entry(p) {
                std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    match PackReader::open(&self.packs[p])
                        .map(|r| r.with_cache(PRESCAN_CACHE_BYTES))
                    {
                        Ok(r) => v.insert(r),
                        Err(_) => continue,
                    }
                }
            };
            for (i, &k) in blobs.iter().enumerate() {
                if self.cancelled.load(Ordering::Relaxed) {
                    break;
                }
                if stop.load(Ordering::Relaxed) {
                    let rest = blobs[i..].to_vec();
                    self.handed_back.add(|back| back.push((p, rest)));
                    break 'runs;
                }
                let entry = &self.packs[p].entries[k];
                let oid = raw(entry.oid);
                if !self.scan_binary && self.packs[p].end(k) - entry.offset > PEEK_ABOVE {
                    // A large blob stored whole: its first bytes tell whether it is binary.
                    if let Ok(Some((head, size))) = reader.peek(k, BINARY_SNIFF_LEN) {
                        if scanner.expands(&head) {
                            // An archive: scanned once its path is known (see below).
                            left.push(oid);
                            continue;
                        }
                        if scanner.skips(&head) {
                            self.progress.blob(size as usize);
                            local.push((oid, Prescanned::Binary));
                            continue;
                        }
                    }
                }
                let data = match reader.read(k) {
                    Ok(data) => data,
                    Err(e) if e.is_final() => {
                        failed.push((oid, e.to_string()));
                        continue;
                    }
                    Err(_) => {
                        left.push(oid);
                        continue;
                    }
                };
                if scanner.expands(&data) {
                    // An archive is left to be read again once the walk has given its path:
                    // its problems (a limit hit, a corrupt entry) must name it.
                    left.push(oid);
                    continue;
                }
                let blob = Blob {
                    bytes: &data,
                    origin: Origin::Packed,
                };
                let scanned = scanner.scan(blob);
                let capped = scanner.take_capped();
                self.progress.blob(data.len());
                let size = data.len() as u64;
                local.push((oid, Prescanned::new(size, scanned, capped)));
            }
        }
        self.done.add(|done| done.extend(local));
        if !failed.is_empty() {
            self.failed.add(|f| f.extend(failed));
        }
        if !left.is_empty() {
            self.left.add(|l| l.extend(left));
        }
        self.active.fetch_sub(1, Ordering::SeqCst);
    }

    /// Whether every blob of the packs was scanned or left for later, and every worker is done:
    /// no run is left untaken (one an early reader handed back after the other workers were
    /// done is never read) and no worker still holds results. Call before [`Prescan::finish`].
    pub(crate) fn read_all(&self) -> bool {
        self.active.load(Ordering::SeqCst) == 0
            && !self.cancelled.load(Ordering::Relaxed)
            && self.next.load(Ordering::Relaxed) >= self.units.len()
            && self.handed_back.add(|back| back.is_empty())
    }

    /// The blobs left to be read once their path is known (archives, and blobs the pack reader
    /// could not read), taken once every worker is done.
    pub(crate) fn take_left(&self) -> Vec<[u8; 20]> {
        self.left.take()
    }

    /// What every worker scanned, by blob, and the blobs found corrupt beyond a second try with
    /// libgit2, with why: taken once every worker is done, leaving the reader empty.
    pub(crate) fn finish(&self) -> (OidMap<Prescanned>, OidMap<String>) {
        (self.done.take(), self.failed.take())
    }

    /// Stops the workers at their next blob (the scan ended early); what they scanned is lost.
    pub(crate) fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }
}

/// Jobs a worker takes at a time: consecutive in pack order, so that a delta's base is usually
/// read by the same worker just before it.
const JOBS_PER_TAKE: usize = 64;

/// Scans `jobs` in their order on `threads` workers (0: one per core), each with its own handle
/// on the repository at `git_dir`, reading `opts.object_dirs` too.
pub(crate) fn scan_parallel(
    git_dir: &Path,
    jobs: Vec<Job>,
    engine: &ScanEngine,
    suppressor: &Suppressor,
    opts: &GitOptions,
    threads: usize,
    progress: &Progress,
) -> Collected {
    let next = AtomicUsize::new(0);
    let jobs = &jobs;
    let total = Merged::new(Collected::default());
    let work = || {
        let mut scanner =
            BlobScanner::new(engine, suppressor, opts.scan_binary).with_archives(opts.archives);
        let mut out = Collected::default();
        let opened = super::open_with_objects(git_dir, &opts.object_dirs);
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
                    out.read_and_scan(&mut scanner, &odb, job, progress);
                }
            },
            Err(e) => out.errors.push(ScanError::path(
                git_dir.display().to_string(),
                format!("cannot open the repository: {}", e.message()),
            )),
        }
        out.stats.merge(&scanner.stats);
        out.errors.append(&mut scanner.errors);
        total.add(|t| t.merge(out));
    };
    pool::run(threads, &work);
    total.into_inner()
}

/// Scans `jobs` in their order on the current thread, with the repository's object database.
pub(crate) fn scan_here(
    odb: &Odb<'_>,
    jobs: &[Job],
    engine: &ScanEngine,
    suppressor: &Suppressor,
    opts: &GitOptions,
) -> Collected {
    let progress = Progress::default();
    let mut scanner =
        BlobScanner::new(engine, suppressor, opts.scan_binary).with_archives(opts.archives);
    let mut out = Collected::default();
    for job in jobs {
        out.read_and_scan(&mut scanner, odb, job, &progress);
    }
    out.stats.merge(&scanner.stats);
    out.errors.append(&mut scanner.errors);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;
    use crate::source::git::odb::testing::git;
    use crate::source::git::odb::PackOrder;
    use crate::validate::{synthetic, AwsSettings};

    /// Blobs scanned, by id, with how many findings each gave.
    fn scanned(pre: &OidMap<Prescanned>) -> Vec<(super::super::oid_set::RawOid, usize)> {
        let mut out: Vec<_> = pre
            .iter()
            .map(|(id, p)| {
                let found = match p {
                    Prescanned::Found(hits) => hits.findings.len(),
                    _ => 0,
                };
                (*id, found)
            })
            .collect();
        out.sort();
        out
    }

    /// A worker stopped early hands the rest of its run back, and the workers that come later
    /// scan it: every blob is scanned once, as by one worker that never stopped.
    #[test]
    fn a_stopped_worker_hands_its_run_back() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        git(d, &["init", "-q"]);
        for i in 0..40u64 {
            let text = format!(
                "aws_access_key_id = {}\naws_secret_access_key = {}\nn = {i}\n",
                synthetic::key_id("AKIA", i),
                synthetic::secret(i)
            );
            std::fs::write(d.join(format!("f{i}.ini")), text).unwrap();
        }
        git(d, &["add", "."]);
        git(d, &["commit", "-qm", "m"]);
        git(d, &["repack", "-adq"]);
        let packs = PackOrder::load(&d.join(".git/objects")).packs();
        let engine = ScanEngine::new(RuleSet::builtin().unwrap(), AwsSettings::default());
        let suppressor = Suppressor::default();
        let (opts, progress) = (GitOptions::default(), Progress::default());

        let whole = Prescan::new(&packs, &engine, &suppressor, &opts, &progress);
        whole.work();
        let expected = scanned(&whole.finish().0);
        assert_eq!(expected.len(), 40);
        assert!(expected.iter().all(|&(_, found)| found == 1));

        let split = Prescan::new(&packs, &engine, &suppressor, &opts, &progress);
        split.work_until(&AtomicBool::new(true));
        assert_eq!(split.handed_back.add(|back| back.len()), 1);
        split.work();
        let (done, failed) = split.finish();
        assert!(failed.is_empty());
        assert_eq!(scanned(&done), expected);
    }
}
