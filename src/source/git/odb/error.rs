//! The one error type of the object-database readers. Each variant says what is wrong and names
//! the pack, pack index or index file at fault and, where the fault has a place, the byte offset
//! in it, so that a corrupt file can be found and checked (`git verify-pack`, `git fsck`) instead
//! of guessed at. The readers' callers mostly fall back to libgit2 on any of these; the words are
//! for debugging, tests, and whoever lifts this module into a crate of its own.

use std::io;
use std::path::PathBuf;

use thiserror::Error;

use super::delta::DeltaFault;

/// Why a pack, a pack index or an index file could not be read. `file` is always the file at
/// fault; `offset` is a byte offset in it (for [`OdbError::Delta`], where the delta's entry
/// starts in the pack).
#[derive(Debug, Error)]
pub(crate) enum OdbError {
    /// The file could not be opened, sized or read whole.
    #[error("{}: {error}", file.display())]
    Open { file: PathBuf, error: io::Error },
    /// A positional read failed (or the file ends before `offset + len`).
    #[error("{}: offset {offset}: reading {len} bytes: {error}", file.display())]
    Read {
        file: PathBuf,
        offset: u64,
        len: usize,
        error: io::Error,
    },

    /// A pack index without the version-2 magic and version.
    #[error("{}: offset 0: not a version 2 pack index", file.display())]
    IdxHeader { file: PathBuf },
    /// A fanout count smaller than the one before it.
    #[error("{}: offset {offset}: bad fanout (counts must not decrease)", file.display())]
    IdxFanout { file: PathBuf, offset: u64 },
    /// A pack index too short for the tables of the objects its fanout counts.
    #[error(
        "{}: offset {len}: truncated pack index: the tables of {count} objects need {need} bytes",
        file.display()
    )]
    IdxTruncated {
        file: PathBuf,
        count: u64,
        need: u64,
        len: u64,
    },
    /// A 32-bit offset pointing past the end of the 64-bit offset table.
    #[error(
        "{}: offset {offset}: 64-bit offset number {index} is past the end of its table",
        file.display()
    )]
    IdxLargeOffset {
        file: PathBuf,
        offset: u64,
        index: u32,
    },

    /// A pack entry header cut short.
    #[error("{}: offset {offset}: truncated entry header", file.display())]
    EntryTruncated { file: PathBuf, offset: u64 },
    /// A pack entry size too long for 64 bits.
    #[error("{}: offset {offset}: entry size does not fit in 64 bits", file.display())]
    EntrySize { file: PathBuf, offset: u64 },
    /// A pack entry of type 0, 5 or a type this reader does not know.
    #[error("{}: offset {offset}: unknown object type {kind}", file.display())]
    EntryType {
        file: PathBuf,
        offset: u64,
        kind: u8,
    },
    /// An offset delta whose base would lie before the start of the pack.
    #[error(
        "{}: offset {offset}: delta base offset before the start of the pack",
        file.display()
    )]
    DeltaBaseOffset { file: PathBuf, offset: u64 },
    /// A delta whose base is not an entry of this pack.
    #[error("{}: offset {offset}: delta base not in this pack", file.display())]
    DeltaBaseMissing { file: PathBuf, offset: u64 },
    /// A delta whose chain never reaches a whole object of this pack: it loops, or a base on
    /// the way cannot be read.
    #[error(
        "{}: offset {offset}: delta chain loops or does not reach a readable base",
        file.display()
    )]
    DeltaLoop { file: PathBuf, offset: u64 },
    /// A delta chain longer than any git writes (or a loop).
    #[error("{}: offset {offset}: delta chain longer than {max}", file.display())]
    DeltaChain {
        file: PathBuf,
        offset: u64,
        max: usize,
    },
    /// An entry whose header claims more bytes than its compressed data can inflate to.
    #[error(
        "{}: offset {offset}: an object of {size} bytes cannot inflate from {compressed} bytes",
        file.display()
    )]
    ImplausibleSize {
        file: PathBuf,
        offset: u64,
        size: u64,
        compressed: u64,
    },
    /// An entry too large for this machine's address space.
    #[error("{}: offset {offset}: {size} bytes do not fit in memory", file.display())]
    TooLarge {
        file: PathBuf,
        offset: u64,
        size: u64,
    },
    /// zlib rejected an entry's data.
    #[error("{}: offset {offset}: zlib stream corrupt: {error}", file.display())]
    Zlib {
        file: PathBuf,
        offset: u64,
        error: flate2::DecompressError,
    },
    /// An entry's zlib stream that does not inflate: bad deflate data, or an Adler-32 checksum
    /// that does not match what it inflates to.
    #[error("{}: offset {offset}: zlib stream corrupt: invalid deflate data or checksum", file.display())]
    Deflate { file: PathBuf, offset: u64 },
    /// An entry whose zlib stream inflates to more than its header says.
    #[error(
        "{}: offset {offset}: inflates to more than the {expected} bytes the entry header says",
        file.display()
    )]
    InflatesPast {
        file: PathBuf,
        offset: u64,
        expected: u64,
    },
    /// An entry's zlib stream ends before the object does.
    #[error("{}: offset {offset}: zlib stream truncated", file.display())]
    ZlibTruncated { file: PathBuf, offset: u64 },
    /// An entry that inflated to another size than its header gives.
    #[error(
        "{}: offset {offset}: inflated {actual} bytes, the entry header says {expected}",
        file.display()
    )]
    InflatedSize {
        file: PathBuf,
        offset: u64,
        expected: u64,
        actual: u64,
    },
    /// A delta that cannot be applied to its base.
    #[error("{}: delta at offset {offset}: {fault}", file.display())]
    Delta {
        file: PathBuf,
        offset: u64,
        fault: DeltaFault,
    },

    /// An index file without the `DIRC` signature.
    #[error("{}: offset 0: not an index file", file.display())]
    IndexHeader { file: PathBuf },
    /// An index version other than 2, 3 and 4.
    #[error("{}: offset 4: index version {version} is not supported", file.display())]
    IndexVersion { file: PathBuf, version: u32 },
    /// More entries than the file can hold.
    #[error("{}: offset 8: {count} entries cannot fit in {len} bytes", file.display())]
    IndexCount { file: PathBuf, count: u64, len: u64 },
    /// An index entry cut short or malformed.
    #[error("{}: offset {offset}: malformed or truncated index entry", file.display())]
    IndexEntry { file: PathBuf, offset: u64 },
    /// A path longer than any file system allows (version 4 paths are written out in memory).
    #[error("{}: offset {offset}: path longer than {max} bytes", file.display())]
    IndexPath {
        file: PathBuf,
        offset: u64,
        max: usize,
    },
    /// A directory as an entry: a sparse index, which this reader leaves to libgit2.
    #[error("{}: offset {offset}: sparse index directory entry", file.display())]
    IndexSparse { file: PathBuf, offset: u64 },
    /// An extension that runs past the end of the index.
    #[error(
        "{}: offset {offset}: extension of {len} bytes runs past the end",
        file.display()
    )]
    IndexExtensionSize {
        file: PathBuf,
        offset: u64,
        len: u64,
    },
    /// A required extension (lower-case signature, such as a split index's `link`) this reader
    /// does not understand.
    #[error(
        "{}: offset {offset}: required extension {signature:?} not understood",
        file.display()
    )]
    IndexExtension {
        file: PathBuf,
        offset: u64,
        signature: String,
    },
    /// A pack whose end is not the checksum its index records: truncated, or damaged at its
    /// end; libgit2 refuses the whole pack, so none of its objects can be read.
    #[error(
        "{}: does not match its index ({len} bytes; its last 20 bytes are not the pack checksum \
         the index records): the pack is truncated or corrupt, and none of its objects can be read",
        file.display()
    )]
    PackMismatch { file: PathBuf, len: u64 },
    /// A malformed node of the cache-tree (`TREE`) extension.
    #[error("{}: offset {offset}: malformed cache-tree node", file.display())]
    CacheTree { file: PathBuf, offset: u64 },
    /// A cache-tree nested deeper than git allows trees to be.
    #[error("{}: offset {offset}: cache-tree nested deeper than {max}", file.display())]
    CacheTreeDepth {
        file: PathBuf,
        offset: u64,
        max: usize,
    },
}

impl OdbError {
    /// True when the object is corrupt in a way that reading it again with libgit2 must not be
    /// tried: libgit2 follows a reference delta that loops without end, holding each turn, and
    /// reserves whatever size a header declares, so either costs memory without bound.
    pub(crate) fn is_final(&self) -> bool {
        use super::delta::DeltaFault;
        matches!(
            self,
            OdbError::DeltaLoop { .. }
                | OdbError::DeltaChain { .. }
                | OdbError::ImplausibleSize { .. }
                | OdbError::TooLarge { .. }
                | OdbError::Delta {
                    fault: DeltaFault::ResultTooLarge { .. } | DeltaFault::SizeOverflow,
                    ..
                }
        )
    }
}
