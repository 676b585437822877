//! Partial clones (`git clone --filter=blob:none`): the blobs a scan needs that the clone does
//! not hold are fetched from its promisor remote, in batches, through the [`BlobFetcher`] the
//! command line hands over (this source never runs `git` itself), up to a byte bound; what could
//! not be fetched is one error with the count, never one line per blob. A repository without a
//! promisor remote pays one look at its configuration.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use git2::{OdbLookupFlags, Oid, Repository};

use super::blobs::Job;
use crate::report::{ScanError, Subject};
use crate::source::TIMING;

/// Fetches blobs a partial clone lacks from one of its promisor remotes.
pub(crate) trait BlobFetcher: Send + Sync + std::fmt::Debug {
    /// Fetches `oids` from the remote named `remote` into the repository at `git_dir`; the
    /// error says why not, in the words of the tool that tried.
    fn fetch(&self, git_dir: &Path, remote: &str, oids: &[Oid]) -> Result<(), String>;
}

/// Whether and how far blobs missing from a partial clone are fetched.
#[derive(Debug, Clone, Default)]
pub(crate) struct FetchOptions {
    /// What fetches them; `None`: nothing is fetched.
    pub fetcher: Option<Arc<dyn BlobFetcher>>,
    /// Fetching stops once the packs it added reach this many bytes on disk (`None`: no bound).
    pub max_bytes: Option<u64>,
    /// What the error says when nothing is fetched (`fetcher` is `None`), e.g. the flag to drop.
    pub off_hint: String,
    /// Bytes fetched so far by every scan with these options: the bound holds for the whole run.
    pub fetched: Arc<AtomicU64>,
}

/// The first batch when a bound is set: small, so that a small bound is overshot by little.
const FIRST_BATCH: usize = 16;

/// The largest batch (as git's own `git backfill` sends).
const MAX_BATCH: usize = 50_000;

/// Why missing blobs were left unfetched.
#[derive(Debug)]
enum Stop {
    /// Nothing is fetched.
    Off,
    /// The byte bound was reached.
    Bound,
    /// A fetch failed: the remote, and why.
    Failed(String, String),
}

/// The blobs of one scan missing from a partial clone: found, fetched, and what is left counted.
pub(crate) struct Missing<'a> {
    repo: &'a Repository,
    opts: &'a FetchOptions,
    /// The promisor remotes, in git's order (`extensions.partialclone` first); empty when the
    /// repository is not a partial clone, and then nothing is looked at.
    remotes: Vec<String>,
    /// Blobs fetched in this scan.
    fetched: usize,
    /// Blobs still missing after fetching, and why.
    left: usize,
    stop: Option<Stop>,
}

impl<'a> Missing<'a> {
    /// The missing-blob bookkeeping of a scan of `repo`.
    pub(crate) fn new(repo: &'a Repository, opts: &'a FetchOptions) -> Missing<'a> {
        Missing {
            repo,
            opts,
            remotes: promisor_remotes(repo),
            fetched: 0,
            left: 0,
            stop: None,
        }
    }

    /// The jobs whose blobs are in the repository once those missing were fetched (as far as
    /// the options allow): the others are counted for [`Missing::error`].
    pub(crate) fn complete(&mut self, jobs: Vec<Job>) -> Vec<Job> {
        if self.remotes.is_empty() || jobs.is_empty() {
            return jobs;
        }
        let Ok(odb) = self.repo.odb() else {
            return jobs;
        };
        let here = |oid| odb.exists_ext(oid, OdbLookupFlags::NO_REFRESH);
        // By path, so that the versions of a file go in one batch: the remote sends them as
        // deltas of each other, as its own packs hold them.
        let mut by_path: Vec<(&[u8], Oid)> = jobs
            .iter()
            .filter(|j| !here(j.oid))
            .map(|j| (j.path.as_slice(), j.oid))
            .collect();
        if by_path.is_empty() {
            return jobs;
        }
        by_path.sort_unstable();
        let mut missing: Vec<Oid> = by_path.into_iter().map(|(_, o)| o).collect();
        let mut seen = std::collections::HashSet::new();
        missing.retain(|&o| seen.insert(o));
        let wanted = missing.len();
        let started = std::time::Instant::now();
        // As git does, a remote that fails leaves the rest to the next one.
        for remote in self.remotes.clone() {
            if missing.is_empty() || matches!(self.stop, Some(Stop::Bound)) {
                break;
            }
            self.fetch_from(&remote, &missing);
            let _ = odb.refresh();
            missing.retain(|&o| !here(o));
        }
        log::info!(
            target: TIMING,
            "partial clone: {wanted} blobs missing, {} fetched ({} bytes in all) {:.2}s",
            wanted - missing.len(),
            self.opts.fetched.load(Ordering::Relaxed),
            started.elapsed().as_secs_f64()
        );
        missing.sort_unstable();
        if self.opts.fetcher.is_none() {
            self.stop = Some(Stop::Off);
        }
        self.fetched += wanted - missing.len();
        self.left += missing.len();
        if missing.is_empty() {
            return jobs;
        }
        jobs.into_iter()
            .filter(|j| missing.binary_search(&j.oid).is_err())
            .collect()
    }

    /// Fetches `missing` from `remote` in batches until done, the bound is reached or a fetch
    /// fails (then `stop` says which).
    fn fetch_from(&mut self, remote: &str, missing: &[Oid]) {
        let Some(fetcher) = &self.opts.fetcher else {
            return;
        };
        let objects = self.repo.commondir().join("objects");
        let mut batch = match self.opts.max_bytes {
            Some(_) => FIRST_BATCH,
            None => MAX_BATCH,
        };
        let mut done = 0;
        let (mut sent, mut added) = (0u64, 0u64);
        while done < missing.len() {
            let so_far = self.opts.fetched.load(Ordering::Relaxed);
            if let Some(max) = self.opts.max_bytes {
                if so_far >= max {
                    self.stop = Some(Stop::Bound);
                    return;
                }
                // Sized from what a blob took so far, to fit what the bound leaves.
                if let Some(per_blob) = added.checked_div(sent) {
                    let fits = (max - so_far) / per_blob.max(1);
                    batch = batch.min(fits.max(1) as usize);
                }
            }
            let ids = &missing[done..(done + batch).min(missing.len())];
            let before = disk_bytes(&objects);
            let result = fetcher.fetch(self.repo.path(), remote, ids);
            let grew = disk_bytes(&objects).saturating_sub(before);
            self.opts.fetched.fetch_add(grew, Ordering::Relaxed);
            if let Err(why) = result {
                self.stop = Some(Stop::Failed(remote.to_string(), why));
                return;
            }
            done += ids.len();
            sent += ids.len() as u64;
            added += grew;
            batch = (batch * 2).min(MAX_BATCH);
        }
    }

    /// The one error of the scan when blobs stayed missing: how many, and why.
    pub(crate) fn error(&self) -> Option<ScanError> {
        if self.left == 0 {
            return None;
        }
        let n = self.left;
        let blobs = if n == 1 { "blob" } else { "blobs" };
        let remote = self.remotes.first().map_or("", String::as_str);
        let why = match &self.stop {
            Some(Stop::Off) => format!(
                "they were not fetched from the promisor remote `{remote}`{}",
                self.opts.off_hint
            ),
            Some(Stop::Bound) => format!(
                "fetching stopped at the --max-fetch bound of {} bytes ({} bytes fetched, {} blobs); \
                 raise --max-fetch to fetch the rest from `{remote}`",
                self.opts.max_bytes.unwrap_or(0),
                self.opts.fetched.load(Ordering::Relaxed),
                self.fetched
            ),
            Some(Stop::Failed(remote, why)) => format!(
                "fetching them from the promisor remote `{remote}` failed: {}",
                why.trim()
            ),
            None => format!("the promisor remote `{remote}` did not send them"),
        };
        Some(ScanError {
            subject: Subject::History,
            message: format!(
                "partial clone: {n} {blobs} of the scanned commits are not in this clone and \
                 were not scanned: {why}"
            ),
        })
    }
}

/// Whether `repo` is a partial clone: objects it lacks may be fetched from a promisor remote.
pub(crate) fn is_partial(repo: &Repository) -> bool {
    !promisor_remotes(repo).is_empty()
}

/// The promisor remotes of `repo` as git finds them: the one `extensions.partialclone` names,
/// then every `remote.<name>.promisor = true`.
fn promisor_remotes(repo: &Repository) -> Vec<String> {
    let Ok(config) = repo.config().and_then(|mut c| c.snapshot()) else {
        return Vec::new();
    };
    let mut remotes = Vec::new();
    if let Ok(name) = config.get_string("extensions.partialclone") {
        remotes.push(name);
    }
    if let Ok(mut entries) = config.entries(Some(r"remote\..*\.promisor")) {
        while let Some(Ok(entry)) = entries.next() {
            let on = git2::Config::parse_bool(entry.value().unwrap_or("")).unwrap_or(false);
            let Some(key) = entry.name().filter(|_| on) else {
                continue;
            };
            if let Some(name) = key
                .strip_prefix("remote.")
                .and_then(|k| k.strip_suffix(".promisor"))
            {
                if !remotes.iter().any(|r| r == name) {
                    remotes.push(name.to_string());
                }
            }
        }
    }
    remotes
}

/// Bytes of the object files under `objects` (packs and loose objects): what a fetch added is
/// the difference.
fn disk_bytes(objects: &Path) -> u64 {
    let size_of = |dir: &Path| -> u64 {
        std::fs::read_dir(dir).map_or(0, |rd| {
            rd.flatten()
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
    };
    let mut total = size_of(&objects.join("pack"));
    for i in 0..=255u8 {
        total += size_of(&objects.join(format!("{i:02x}")));
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    /// git's order: the remote `extensions.partialclone` names, then each remote marked
    /// `promisor = true` (once), not one marked false; none in a plain repository.
    #[test]
    fn promisor_remotes_in_git_order() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        assert!(promisor_remotes(&repo).is_empty());
        let mut config = repo.config().unwrap();
        config.set_bool("remote.first.promisor", true).unwrap();
        config.set_bool("remote.off.promisor", false).unwrap();
        config.set_str("remote.my.fork.promisor", "yes").unwrap();
        config.set_bool("remote.origin.promisor", true).unwrap();
        config.set_str("extensions.partialclone", "origin").unwrap();
        assert_eq!(promisor_remotes(&repo), ["origin", "first", "my.fork"]);
    }
}
