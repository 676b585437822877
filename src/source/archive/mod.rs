//! Archives seen through: zip (jar, war, ear, whl, apk, nupkg, Terraform plans), tar, and gzip,
//! bzip2 and xz streams (a `.tar.gz` is a tar inside gzip), recognised by their magic bytes.
//! Each entry is a blob of its own at the path `archive.zip!dir/entry` (nested:
//! `a.zip!inner.jar!config.properties`); a compressed stream that holds no tar is its one
//! member, at the stream's own path. Archives inside archives are expanded down to a depth.
//!
//! What an archive may cost is bounded per top-level archive ([`ArchiveOptions`]): bytes
//! expanded, their ratio to the archive's size, entries, depth; entries are read one at a time,
//! each at most `MAX_MEMBER` bytes. Hitting a limit, like a corrupt or truncated archive, is a
//! problem listed for the archive (never a silent skip) and the scan goes on.
//!
//! This module knows nothing of scanning: it hands each entry to a [`Sink`] (the `BlobScanner`
//! is one), which scans it like any blob: binary check, engine, suppression.

mod expand;
mod limits;
mod sniff;

use std::io::{Read, Seek};

pub(crate) use limits::ArchiveOptions;
pub(crate) use sniff::{sniff, Kind, SNIFF_LEN};

use expand::Expander;
use limits::Budget;

/// Where the entries of an archive go.
pub(crate) trait Sink {
    /// An entry that is not expanded further, at `inner` below the archive (`!dir/entry`,
    /// empty for the content of a compressed stream): scan it as a blob of its own.
    fn member(&mut self, inner: &str, bytes: &[u8]);
    /// A problem with the archive (`inner` empty) or with an entry or archive inside it.
    fn problem(&mut self, inner: &str, message: String);
}

/// Expands the archive `data` (a whole blob) into `sink`. False when it is not an archive, or
/// archives are off, or it could not be opened at all (that problem is listed): the caller then
/// scans it as the blob it is.
pub(crate) fn expand(data: &[u8], opts: &ArchiveOptions, sink: &mut dyn Sink) -> bool {
    match sniff(data).filter(|_| opts.enabled) {
        Some(kind) => expand_reader(
            kind,
            std::io::Cursor::new(data),
            data.len() as u64,
            opts,
            sink,
        ),
        None => false,
    }
}

/// Expands the archive of `kind` that `reader` holds (`len` bytes) into `sink`; as [`expand`].
pub(crate) fn expand_reader<R: Read + Seek>(
    kind: Kind,
    reader: R,
    len: u64,
    opts: &ArchiveOptions,
    sink: &mut dyn Sink,
) -> bool {
    let budget = Budget::new(*opts, len);
    let mut expander = Expander::new(sink, &budget);
    let opened = expander.container(kind, reader, "", 1);
    let left_out = expander.problems_left_out();
    let stopped_at = std::mem::take(&mut expander.stopped_at);
    drop(expander);
    if left_out > 0 {
        sink.problem(
            "",
            format!("{left_out} more problems with this archive not listed"),
        );
    }
    match opened {
        Ok(opened) => opened,
        Err(expand::Stopped) => {
            let limit = budget.hit().map_or_else(String::new, |l| l.describe());
            let at = if stopped_at.is_empty() {
                String::new()
            } else {
                format!(" (at `{stopped_at}`)")
            };
            sink.problem(
                "",
                format!(
                    "{} archive limit reached: {limit}{at}; the rest of the archive was not \
                     scanned",
                    kind.name()
                ),
            );
            true
        }
    }
}

#[cfg(test)]
#[path = "mod_tests.rs"]
mod tests;
