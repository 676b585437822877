//! The limits that make an archive bomb harmless, and the reader that enforces them on every
//! byte a decompressor produces: total bytes expanded, the ratio of expanded to stored bytes,
//! entries and nesting depth, per top-level archive.

use std::cell::Cell;
use std::io::{self, Read};

/// Whether and how far archives are expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ArchiveOptions {
    /// Expand archives at all (`--no-archives` turns it off).
    pub enabled: bool,
    /// Archives inside archives are expanded down to this many levels (a top-level archive is
    /// level 1; a compressed tar is one level).
    pub max_depth: u32,
    /// Bytes decompressed, over every level of one top-level archive.
    pub max_expanded: u64,
    /// Bytes decompressed per byte of the top-level archive, once past [`RATIO_FLOOR`].
    pub max_ratio: u64,
    /// Entries, over every level of one top-level archive.
    pub max_entries: u64,
}

/// Default nesting depth.
pub(crate) const DEFAULT_DEPTH: u32 = 3;
/// Default bytes expanded per top-level archive: 256 MiB.
pub(crate) const DEFAULT_EXPANDED: u64 = 256 << 20;
/// Default expansion ratio.
pub(crate) const DEFAULT_RATIO: u64 = 100;
/// Default entries per top-level archive.
pub(crate) const DEFAULT_ENTRIES: u64 = 100_000;
/// Expanded bytes below which the ratio is not checked: a small archive of text may compress
/// very well and still be harmless.
pub(crate) const RATIO_FLOOR: u64 = 8 << 20;
/// The most bytes of one entry held in memory; a larger entry is scanned in its first
/// `MAX_MEMBER` bytes and listed.
pub(crate) const MAX_MEMBER: usize = 64 << 20;

impl Default for ArchiveOptions {
    fn default() -> ArchiveOptions {
        ArchiveOptions {
            enabled: true,
            max_depth: DEFAULT_DEPTH,
            max_expanded: DEFAULT_EXPANDED,
            max_ratio: DEFAULT_RATIO,
            max_entries: DEFAULT_ENTRIES,
        }
    }
}

impl ArchiveOptions {
    /// Archives off.
    pub(crate) fn disabled() -> ArchiveOptions {
        ArchiveOptions {
            enabled: false,
            ..ArchiveOptions::default()
        }
    }
}

/// What one top-level archive has used so far, and the limit it hit, if any.
#[derive(Debug)]
pub(crate) struct Budget {
    opts: ArchiveOptions,
    stored: u64,
    expanded: Cell<u64>,
    entries: Cell<u64>,
    hit: Cell<Option<Limit>>,
}

/// A limit that stopped the expansion of an archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    /// Too many bytes expanded.
    Expanded(u64),
    /// Too high a ratio of expanded to stored bytes.
    Ratio(u64),
    /// Too many entries.
    Entries(u64),
}

impl Limit {
    /// What the report says.
    pub(crate) fn describe(self) -> String {
        match self {
            Limit::Expanded(max) => format!("more than {} MiB expanded", max >> 20),
            Limit::Ratio(max) => format!(
                "expands more than {max} times its size (past {} MiB)",
                RATIO_FLOOR >> 20
            ),
            Limit::Entries(max) => format!("more than {max} entries"),
        }
    }
}

impl Budget {
    /// The budget of a top-level archive of `stored` bytes.
    pub(crate) fn new(opts: ArchiveOptions, stored: u64) -> Budget {
        Budget {
            opts,
            stored,
            expanded: Cell::new(0),
            entries: Cell::new(0),
            hit: Cell::new(None),
        }
    }

    /// The options in force.
    pub(crate) fn opts(&self) -> &ArchiveOptions {
        &self.opts
    }

    /// The limit hit so far, if any.
    pub(crate) fn hit(&self) -> Option<Limit> {
        self.hit.get()
    }

    /// Counts `n` more bytes expanded; the limit they break, if any.
    fn expand(&self, n: u64) -> Option<Limit> {
        let total = self.expanded.get().saturating_add(n);
        self.expanded.set(total);
        let limit = if total > self.opts.max_expanded {
            Some(Limit::Expanded(self.opts.max_expanded))
        } else if total > RATIO_FLOOR && total / self.stored.max(1) >= self.opts.max_ratio {
            Some(Limit::Ratio(self.opts.max_ratio))
        } else {
            None
        };
        if limit.is_some() && self.hit.get().is_none() {
            self.hit.set(limit);
        }
        limit
    }

    /// Counts one more entry; the limit it breaks, if any.
    pub(crate) fn entry(&self) -> Option<Limit> {
        let n = self.entries.get() + 1;
        self.entries.set(n);
        if n > self.opts.max_entries {
            let limit = Limit::Entries(self.opts.max_entries);
            self.hit.set(Some(limit));
            return Some(limit);
        }
        None
    }
}

/// A decompressor's output, counted against a [`Budget`]: the read that breaks a limit fails,
/// so no reader above it (tar's, an entry's) can pull more.
pub(crate) struct Counted<'b, R> {
    inner: R,
    budget: &'b Budget,
}

impl<'b, R: Read> Counted<'b, R> {
    /// Counts what `inner` produces against `budget`.
    pub(crate) fn new(inner: R, budget: &'b Budget) -> Counted<'b, R> {
        Counted { inner, budget }
    }
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(limit) = self.budget.hit() {
            return Err(io::Error::other(limit.describe()));
        }
        let n = self.inner.read(buf)?;
        match self.budget.expand(n as u64) {
            Some(limit) => Err(io::Error::other(limit.describe())),
            None => Ok(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_past_a_limit_fails_and_stays_failed() {
        let opts = ArchiveOptions {
            max_expanded: 10 << 20,
            ..ArchiveOptions::default()
        };
        let budget = Budget::new(opts, 1 << 20);
        let zeros = io::repeat(0).take(64 << 20);
        let mut r = Counted::new(zeros, &budget);
        let mut sink = Vec::new();
        assert!(r.read_to_end(&mut sink).is_err());
        assert_eq!(budget.hit(), Some(Limit::Expanded(10 << 20)));
        assert!(sink.len() <= 10 << 20);
        assert!(r.read(&mut [0; 4]).is_err());
    }

    #[test]
    fn ratio_counts_past_the_floor_only() {
        let budget = Budget::new(ArchiveOptions::default(), 1000);
        assert_eq!(budget.expand(RATIO_FLOOR), None);
        assert_eq!(budget.expand(1), Some(Limit::Ratio(DEFAULT_RATIO)));
        let entries = Budget::new(
            ArchiveOptions {
                max_entries: 2,
                ..ArchiveOptions::default()
            },
            1,
        );
        assert_eq!(entries.entry(), None);
        assert_eq!(entries.entry(), None);
        assert_eq!(entries.entry(), Some(Limit::Entries(2)));
    }
}
