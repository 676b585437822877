//! Readers of git's object database and index formats, one module per on-disk format: pack
//! indexes (`idx`), pack entry headers (`entry`), deltas (`delta`), pack files (`pack`), loose
//! objects (`loose`), the index file (`index_file`) and its cache-tree (`cache_tree`), with one
//! error type naming the file and offset at fault (`error`).
//!
//! They exist for speed where libgit2 is slow for keyfence's access patterns: libgit2 serialises
//! object reads on process-wide locks, so a whole-history scan reads the packs itself, in pack
//! order; and libgit2 loads and hashes the whole index to diff it with HEAD, where the staged
//! change needs only the entries and the cache-tree. Nothing here knows about scanning, and
//! nothing of the rest of the crate is used but its integer map (`oid_set`), so this module could
//! become a crate of its own, or give way to gix-pack and gix-index, behind the same few entry
//! points re-exported here.

mod cache_tree;
mod delta;
mod entry;
mod error;
mod idx;
mod index_file;
mod loose;
mod pack;

pub(crate) use cache_tree::CacheTree;
pub(crate) use entry::ObjectType;
pub(crate) use error::OdbError;
pub(crate) use index_file::{IndexEntry, IndexFile};
pub(crate) use loose::only_packs;
pub(crate) use pack::{PackEntries, PackObjects, PackOrder, PackReader};

/// The packs of the object directory `objects` that do not match their index (truncated or
/// damaged at the end): only looked at when something could not be read, to name the cause.
pub(crate) fn damaged_packs(objects: &std::path::Path) -> Vec<(std::path::PathBuf, OdbError)> {
    let Ok(dir) = std::fs::read_dir(objects.join("pack")) else {
        return Vec::new();
    };
    let mut idx: Vec<_> = dir
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "idx"))
        .collect();
    idx.sort();
    idx.iter()
        .filter_map(|p| idx::PackIndex::open(p).ok())
        .filter_map(|i| {
            pack::check_pack(&i)
                .err()
                .map(|e| (i.pack().to_path_buf(), e))
        })
        .collect()
}

/// The parsers the fuzz targets drive on bytes (`src/fuzzing.rs`), which the rest of the crate
/// reaches only through the entry points above.
#[cfg(feature = "fuzzing")]
pub(crate) mod fuzzing {
    pub(crate) use super::delta::apply_delta;
    pub(crate) use super::entry::EntryHeader;
    pub(crate) use super::idx::{build_idx, PackIndex};
    pub(crate) use super::index_file::IndexBytes;
    pub(crate) use super::{CacheTree, IndexFile, PackObjects, PackOrder, PackReader};
}

/// Helpers for the unit tests of the git sources: repositories built with the `git` binary.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::Path;
    use std::process::{Command, Output};

    /// Runs `git` in `dir` with a fixed identity and no user or system configuration.
    pub(crate) fn output(dir: &Path, args: &[&str]) -> Output {
        Command::new("git")
            .current_dir(dir)
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .unwrap()
    }

    /// Runs `git` in `dir`; panics on failure; returns its standard output.
    pub(crate) fn git(dir: &Path, args: &[&str]) -> String {
        let out = output(dir, args);
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `n` 64-bit words of seeded noise (SplitMix64), which zlib cannot compress.
    pub(crate) fn noise(seed: u64, n: usize) -> Vec<u8> {
        let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
        (0..n)
            .flat_map(|_| {
                state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                (z ^ (z >> 31)).to_le_bytes()
            })
            .collect()
    }
}
