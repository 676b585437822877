//! Git sources (which never shell out to `git`: a partial clone's missing blobs are fetched
//! through the [`BlobFetcher`] the command line hands over): the staged change ([`staged`], the index read
//! directly with its cache-tree), and commit history or a range of it ([`history`]). Objects are
//! read with git2, and, on the hot path of a whole history, straight from the pack files
//! (`odb`, which also parses the index), since libgit2 serialises readers on process-wide locks.

mod attribution;
mod blobs;
mod date;
mod history;
mod inventory;
mod memo;
mod messages;
mod notes;
mod odb;
mod oid_set;
mod promisor;
mod push;
mod revs;
mod shallow;
mod staged;
mod staged_changes;
mod tip;
mod tree_entries;
mod walk;

use std::path::{Path, PathBuf};

use git2::Repository;
use thiserror::Error;

pub(crate) use history::scan_history;
pub(crate) use memo::BlobMemo;
pub(crate) use messages::{scan_commit_message, strip_comments};
#[cfg(feature = "fuzzing")]
pub(crate) use odb::fuzzing as odb_fuzzing;
pub(crate) use promisor::{BlobFetcher, FetchOptions};
pub(crate) use push::{
    commits_of, parse_updates, push_selection, quarantine_dirs, refs_containing, RefUpdate,
};
pub(crate) use revs::{resolve, RevSelection};
pub(crate) use staged::scan_staged;
pub(crate) use tip::mark_at_tip;

use crate::report::{CommitInfo, ScanError, ScanReport};
use crate::source::TIMING;

/// What to tell a user whose clone lacks history it needs.
pub(crate) const FETCH_MORE_HINT: &str =
    "fetch more history: `git fetch --unshallow` (GitHub Actions: \
     actions/checkout with `fetch-depth: 0`; GitLab CI: `GIT_DEPTH: 0`)";

/// Why a git scan could not run at all (per-blob problems are scan errors in the report instead).
#[derive(Debug, Error)]
pub(crate) enum GitError {
    /// No repository at or above the directory.
    #[error("{dir}: not in a git repository ({message})")]
    NotARepository {
        /// Where the search started.
        dir: String,
        /// libgit2's words.
        message: String,
    },
    /// `keyfence staged` in a bare repository.
    #[error("{dir}: a bare repository has no index, so nothing is staged (`keyfence history` scans its commits)")]
    Bare {
        /// The repository.
        dir: String,
    },
    /// A revision that does not resolve to a commit.
    #[error("{spec}: not a commit in this repository ({message})")]
    BadRevision {
        /// The revision as given.
        spec: String,
        /// libgit2's words.
        message: String,
    },
    /// The clone is shallow and lacks a commit the scan needs.
    #[error("{what}: this is a shallow clone and the commit is not in it; {FETCH_MORE_HINT}")]
    ShallowMissing {
        /// The revision or range concerned.
        what: String,
    },
    /// The clone is shallow and the range runs past its first commit before reaching its base.
    #[error(
        "the range reaches commit {commit}, the edge of this shallow clone, before its base: \
         what it introduced cannot be told apart from older history; {FETCH_MORE_HINT}"
    )]
    ShallowRange {
        /// The shallow commit reached.
        commit: String,
    },
    /// A scan failed, and some packs of the repository do not match their index.
    #[error("{cause}; {packs}")]
    DamagedPacks {
        /// What failed.
        cause: Box<GitError>,
        /// The damaged packs, each with what is wrong.
        packs: String,
    },
    /// The walk holds more commits than the commit budget allows (`GitOptions::max_commits`).
    #[error("{count} commits to check, more than the commit budget of {max}")]
    TooManyCommits {
        /// Commits the walk holds.
        count: usize,
        /// The budget.
        max: usize,
    },
    /// A line of a hook's standard input that is not what git sends.
    #[error("standard input line {line}: {message}")]
    HookInput {
        /// The line, 1-based.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// Reading the repository failed.
    #[error("{context}: {message}")]
    Git {
        /// What was being read.
        context: String,
        /// libgit2's words.
        message: String,
    },
}

impl GitError {
    /// Wraps a libgit2 error with what was being read.
    pub(crate) fn git(context: impl Into<String>, source: git2::Error) -> GitError {
        GitError::Git {
            context: context.into(),
            message: source.message().to_string(),
        }
    }
}

/// How the git modes behave.
#[derive(Debug, Clone, Default)]
pub(crate) struct GitOptions {
    /// Scan blobs that look binary instead of skipping them.
    pub scan_binary: bool,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Whether and how far archives are expanded.
    pub archives: crate::source::archive::ArchiveOptions,
    /// Object directories read besides the repository's own (a push's quarantine).
    pub object_dirs: Vec<PathBuf>,
    /// The most commits a walk may hold; more is [`GitError::TooManyCommits`].
    pub max_commits: Option<usize>,
    /// History: also list every other place (blob and its first commit and path) of each
    /// reported credential in `ScanReport::also_at`, for the grouped view.
    pub all_places: bool,
    /// History: scan file contents only, not commit messages, tag annotations and notes.
    pub no_messages: bool,
    /// History: blobs to skip (a datastore had them scanned) and the record of those read.
    pub memo: Option<std::sync::Arc<BlobMemo>>,
    /// Partial clones: whether and how far the blobs the scan needs are fetched.
    pub fetch: FetchOptions,
}

/// Opens the repository at `git_dir` and adds `object_dirs` to the directories its objects are
/// read from (a push's quarantine, where git keeps what a push sends until the pre-receive hook
/// accepts it).
pub(crate) fn open_with_objects(
    git_dir: &Path,
    object_dirs: &[PathBuf],
) -> Result<Repository, git2::Error> {
    let repo = Repository::open(git_dir)?;
    add_object_dirs(&repo, object_dirs)?;
    Ok(repo)
}

/// Adds `object_dirs` to the directories `repo`'s objects are read from.
pub(crate) fn add_object_dirs(
    repo: &Repository,
    object_dirs: &[PathBuf],
) -> Result<(), git2::Error> {
    if object_dirs.is_empty() {
        return Ok(());
    }
    let odb = repo.odb()?;
    for dir in object_dirs {
        let text = dir.to_str().ok_or_else(|| {
            git2::Error::from_str(&format!(
                "object directory {} is not valid UTF-8",
                dir.display()
            ))
        })?;
        odb.add_disk_alternate(text)?;
    }
    Ok(())
}

/// Opens the repository that contains the current directory, honouring `GIT_DIR`,
/// `GIT_INDEX_FILE` and the other variables git sets for hooks.
pub(crate) fn open_repository() -> Result<Repository, GitError> {
    tune_libgit2();
    Repository::open_from_env().map_err(|e| GitError::NotARepository {
        dir: std::env::current_dir().map_or_else(|_| ".".to_string(), |d| d.display().to_string()),
        message: e.message().to_string(),
    })
}

/// libgit2's process-wide settings for reading many objects once each: no re-hashing of every
/// object read (git does not verify on read either; `git fsck` does) and no object cache (each
/// tree is read once; the cache only held memory, several hundred MB on a long history).
fn tune_libgit2() {
    git2::opts::strict_hash_verification(false);
    git2::opts::enable_caching(false);
}

/// Opens the repository that contains `dir`.
pub(crate) fn discover_repository(dir: &Path) -> Result<Repository, GitError> {
    tune_libgit2();
    Repository::discover(dir).map_err(|e| GitError::NotARepository {
        dir: dir.display().to_string(),
        message: e.message().to_string(),
    })
}

/// The directory whose `.keyfence.toml` and baseline apply: the work tree's root, or the git
/// directory of a bare repository.
pub(crate) fn repository_root(repo: &Repository) -> PathBuf {
    repo.workdir()
        .map_or_else(|| repo.path().to_path_buf(), Path::to_path_buf)
}

/// A git scan that failed or could not read everything, with the cause named when it is a
/// damaged pack: libgit2 refuses a pack that does not match its index and then reports only the
/// objects it cannot find. Looked at only when something went wrong.
pub(crate) fn explain_damage(
    repo: &Repository,
    result: Result<ScanReport, GitError>,
) -> Result<ScanReport, GitError> {
    if result.as_ref().is_ok_and(|r| r.errors.is_empty()) {
        return result;
    }
    let damaged = odb::damaged_packs(&repo.path().join("objects"));
    if damaged.is_empty() {
        return result;
    }
    match result {
        Ok(mut report) => {
            report.errors.extend(
                damaged
                    .into_iter()
                    .map(|(pack, e)| ScanError::path(pack.display().to_string(), e.to_string())),
            );
            report.finish();
            Ok(report)
        }
        Err(cause) => Err(GitError::DamagedPacks {
            cause: Box::new(cause),
            packs: damaged
                .iter()
                .map(|(_, e)| e.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        }),
    }
}

/// A time in seconds since the Unix epoch as RFC 3339, in UTC.
pub(crate) fn rfc3339_utc(unix_secs: i64) -> String {
    date::rfc3339(git2::Time::new(unix_secs, 0))
}

/// The commit details a finding carries.
pub(crate) fn commit_info(commit: &git2::Commit<'_>) -> CommitInfo {
    let author = commit.author();
    let name = String::from_utf8_lossy(author.name_bytes());
    let email = String::from_utf8_lossy(author.email_bytes());
    CommitInfo {
        id: commit.id().to_string(),
        author: format!("{name} <{email}>"),
        date: date::rfc3339(author.when()),
    }
}

/// The path of a tree entry below `prefix`, as git stores it (bytes).
fn join_path(prefix: &[u8], name: &[u8]) -> Vec<u8> {
    if prefix.is_empty() {
        name.to_vec()
    } else {
        [prefix, b"/", name].concat()
    }
}

/// A path as git stores it (tree and index entries are bytes, not always UTF-8), as a `Path`:
/// exact on Unix, lossy elsewhere.
fn git_path(bytes: &[u8]) -> std::borrow::Cow<'_, Path> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        std::borrow::Cow::Borrowed(Path::new(std::ffi::OsStr::from_bytes(bytes)))
    }
    #[cfg(not(unix))]
    {
        std::borrow::Cow::Owned(PathBuf::from(String::from_utf8_lossy(bytes).into_owned()))
    }
}
