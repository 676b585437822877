//! Sources of blobs: files on disk and standard input ([`fs`]), and in git modes the staged
//! index entries, the commits of a range or the whole history ([`git`]); and the rules'
//! examples ([`examples`]). Every source hands each blob, as a [`Blob`] with its [`Origin`], to
//! a [`BlobScanner`] (the one binary check, the one set of counters), on the worker threads
//! of [`pool`].

pub(crate) mod archive;
pub(crate) mod decode;
mod examples;
pub(crate) mod fs;
pub(crate) mod git;
pub(crate) mod pool;
mod progress;
mod scanner;

pub(crate) use examples::check_examples;
pub use fs::CHUNK_LEN;
pub(crate) use progress::Progress;
pub(crate) use scanner::{BlobScanner, Scanned};

use std::path::Path;

/// Bytes inspected for a NUL to call a blob binary (git looks at the first 8000).
pub(crate) const BINARY_SNIFF_LEN: usize = 8000;

/// True when `data` looks binary: a NUL byte in its first [`BINARY_SNIFF_LEN`] bytes.
pub(crate) fn looks_binary(data: &[u8]) -> bool {
    memchr::memchr(0, &data[..data.len().min(BINARY_SNIFF_LEN)]).is_some()
}

/// One blob to scan: its bytes and where they come from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Blob<'a> {
    /// The content.
    pub bytes: &'a [u8],
    /// Where it comes from.
    pub origin: Origin<'a>,
}

/// Where a blob comes from: its path as it is (allowlist globs match these bytes, not a lossy
/// rendering), and whether it counts as scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin<'a> {
    /// A file on disk at this path (relative to the scanned directory, or as walked).
    File(&'a Path),
    /// Standard input.
    Stdin,
    /// A blob of the index (a staged file) at this path.
    Staged(&'a Path),
    /// A blob that a commit of the walk introduced, met at this path.
    Commit(&'a Path),
    /// The version of a file before the change being scanned (HEAD's for a staged change, the
    /// base's for a range): scanned only to tell what was already there, never reported.
    Before(&'a Path),
    /// A packed blob read in pack order before the commit walk tells where it is.
    Packed,
}

impl<'a> Origin<'a> {
    /// The path of the blob, when it is known.
    pub(crate) fn path(self) -> Option<&'a Path> {
        match self {
            Origin::File(p) | Origin::Staged(p) | Origin::Commit(p) | Origin::Before(p) => Some(p),
            Origin::Stdin => Some(Path::new(STDIN)),
            Origin::Packed => None,
        }
    }

    /// True when the blob counts in the stats as scanned (or skipped) now.
    fn is_counted(self) -> bool {
        !matches!(self, Origin::Before(_) | Origin::Packed)
    }
}

/// How reports show a path: `/` separators, anything that is not UTF-8 replaced (reports are
/// text; the path itself is kept as it is for matching).
pub(crate) fn show_path(path: &Path) -> String {
    let shown = path.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' {
        shown.into_owned()
    } else {
        shown.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

/// The `log` target of the phase timings the git sources record (`KEYFENCE_TIMING=1` prints
/// them).
pub(crate) const TIMING: &str = "keyfence::timing";

/// How standard input is named in findings and errors.
pub(crate) const STDIN: &str = "<stdin>";
