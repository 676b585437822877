//! The index file (`.git/index`, versions 2 to 4), parsed directly: libgit2's own reading loads
//! and hashes the whole index, where the staged change only needs the entries and the cache-tree
//! ([`CacheTree`]) to find what differs from HEAD. An index this reader does not understand
//! (split or sparse indexes, unknown required extensions) is an error the caller answers by
//! asking libgit2 instead. The trailing checksum is not verified (git does not on read either).

use std::ops::Range;
use std::path::Path;

use git2::Oid;

use super::cache_tree::CacheTree;
use super::error::OdbError;

/// Signature, version and entry count.
const HEADER: usize = 12;
/// The checksum that ends the file.
const CHECKSUM: usize = 20;
/// The fixed fields of an entry, up to its flags.
const ENTRY_FIXED: usize = 62;
const FLAG_EXTENDED: u16 = 0x4000;
const FLAG_NAME_MASK: u16 = 0x0fff;
const EXT_INTENT_TO_ADD: u16 = 0x2000;
const MODE_TREE: u32 = 0o040000;
/// Longest path accepted in a version 4 index, whose paths are written out in memory (no file
/// system takes longer ones): their total stays within this times the entry count.
const MAX_PATH: usize = 64 << 10;

/// One index entry (stage 0 unless the path is conflicted).
#[derive(Debug, Clone)]
pub(crate) struct IndexEntry {
    /// Path from the work tree's root, `/`-separated: a range of [`IndexFile::paths`].
    pub(crate) path: Range<usize>,
    /// The staged blob (or gitlink commit).
    pub(crate) oid: Oid,
    /// Git file mode.
    pub(crate) mode: u32,
    /// Merge stage: 0, or 1-3 for a conflicted path.
    pub(crate) stage: u8,
    /// `git add -N`: the path is known, no content is staged.
    pub(crate) intent_to_add: bool,
}

/// The bytes of an index: the file mapped into memory, or bytes read or written out.
pub(crate) enum IndexBytes {
    /// The index file, mapped (see [`IndexFile::read`]).
    Mapped(memmap2::Mmap),
    /// Bytes in memory.
    Owned(Vec<u8>),
}

impl std::ops::Deref for IndexBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            IndexBytes::Mapped(map) => map,
            IndexBytes::Owned(bytes) => bytes,
        }
    }
}

impl std::fmt::Debug for IndexBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IndexBytes({} bytes)", self.len())
    }
}

/// Indexes smaller than this are read; larger ones are mapped. Reading copies every byte into
/// fresh pages (a 5 MB index of 50,000 files: about a fifth of a `keyfence staged` run, in page
/// faults and the copy), where a mapping shares the page cache's pages.
const MAP_FROM: u64 = 256 << 10;

/// A parsed index.
#[derive(Debug)]
pub(crate) struct IndexFile {
    /// Entries in index order (by path, then stage).
    pub(crate) entries: Vec<IndexEntry>,
    /// The bytes entry paths point into: the index file itself, or for version 4 (whose paths
    /// are prefix-compressed) the paths written out.
    pub(crate) paths: IndexBytes,
    /// The cache-tree, when the index has one.
    pub(crate) tree: Option<CacheTree>,
}

fn be32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

fn be16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(d.get(at..at + 2)?.try_into().ok()?))
}

impl IndexFile {
    /// Reads the index at `path`: an error when it is missing, malformed, or uses a feature this
    /// reader leaves to libgit2.
    pub(crate) fn read(path: &Path) -> Result<IndexFile, OdbError> {
        IndexFile::read_mapping_from(path, MAP_FROM)
    }

    /// [`IndexFile::read`], mapping files of at least `map_from` bytes.
    fn read_mapping_from(path: &Path, map_from: u64) -> Result<IndexFile, OdbError> {
        let open = |error| OdbError::Open {
            file: path.to_path_buf(),
            error,
        };
        let mut file = std::fs::File::open(path).map_err(open)?;
        let len = file.metadata().map_err(open)?.len();
        let data = if len >= map_from {
            // SAFETY: the mapping is only read, and git never rewrites an index in place: it
            // writes `index.lock` and renames it over `index`, so the mapped file keeps its
            // bytes while this process holds it. (Another program truncating the file in place
            // would fault this process, the risk every mmap-based git reader, git's included,
            // takes for its index.)
            IndexBytes::Mapped(unsafe { memmap2::Mmap::map(&file) }.map_err(open)?)
        } else {
            let mut bytes = Vec::with_capacity(len as usize);
            std::io::Read::read_to_end(&mut file, &mut bytes).map_err(open)?;
            IndexBytes::Owned(bytes)
        };
        IndexFile::parse(data, path)
    }

    /// Parses index bytes (versions 2 to 4) read from `file` (named in errors).
    pub(crate) fn parse(data: IndexBytes, file: &Path) -> Result<IndexFile, OdbError> {
        let d = &data[..];
        let bad = |at: usize| OdbError::IndexEntry {
            file: file.to_path_buf(),
            offset: at as u64,
        };
        if d.len() < HEADER + CHECKSUM || &d[..4] != b"DIRC" {
            return Err(OdbError::IndexHeader {
                file: file.to_path_buf(),
            });
        }
        let version = be32(d, 4).ok_or_else(|| bad(4))?;
        if !(2..=4).contains(&version) {
            return Err(OdbError::IndexVersion {
                file: file.to_path_buf(),
                version,
            });
        }
        let count = be32(d, 8).ok_or_else(|| bad(8))? as usize;
        let body_end = d.len() - CHECKSUM;
        if count > (body_end - HEADER) / ENTRY_FIXED {
            return Err(OdbError::IndexCount {
                file: file.to_path_buf(),
                count: count as u64,
                len: d.len() as u64,
            });
        }
        let mut at = HEADER;
        let mut entries = Vec::with_capacity(count);
        // Version 4 paths are written out here; earlier versions point into the file.
        let mut arena: Vec<u8> = Vec::new();
        let mut previous = 0..0;
        for _ in 0..count {
            let mode = be32(d, at + 24).ok_or_else(|| bad(at))?;
            let oid = d
                .get(at + 40..at + 60)
                .and_then(|b| Oid::from_bytes(b).ok())
                .ok_or_else(|| bad(at))?;
            let flags = be16(d, at + 60).ok_or_else(|| bad(at))?;
            let mut fixed = ENTRY_FIXED;
            let mut intent_to_add = false;
            if flags & FLAG_EXTENDED != 0 {
                if version < 3 {
                    return Err(bad(at));
                }
                intent_to_add = be16(d, at + 62).ok_or_else(|| bad(at))? & EXT_INTENT_TO_ADD != 0;
                fixed += 2;
            }
            let name_at = at + fixed;
            let path = if version == 4 {
                // A varint of bytes to drop from the previous path, then the rest of the name.
                let (strip, used) = d.get(name_at..).and_then(varint4).ok_or_else(|| bad(at))?;
                let rest_at = name_at + used;
                let nul = d
                    .get(rest_at..body_end)
                    .and_then(|rest| memchr::memchr(0, rest))
                    .ok_or_else(|| bad(at))?;
                let keep = previous.len().checked_sub(strip).ok_or_else(|| bad(at))?;
                if keep + nul > MAX_PATH {
                    return Err(OdbError::IndexPath {
                        file: file.to_path_buf(),
                        offset: at as u64,
                        max: MAX_PATH,
                    });
                }
                let start = arena.len();
                arena.extend_from_within(previous.start..previous.start + keep);
                arena.extend_from_slice(&d[rest_at..rest_at + nul]);
                at = rest_at + nul + 1;
                start..arena.len()
            } else {
                let len = usize::from(flags & FLAG_NAME_MASK);
                let nul = if len < usize::from(FLAG_NAME_MASK) {
                    len
                } else {
                    d.get(name_at..body_end)
                        .and_then(|rest| memchr::memchr(0, rest))
                        .ok_or_else(|| bad(at))?
                };
                d.get(name_at..name_at + nul).ok_or_else(|| bad(at))?;
                // Entries are padded with 1 to 8 NULs to a multiple of 8 bytes.
                at += (fixed + nul + 8) & !7;
                name_at..name_at + nul
            };
            if mode == MODE_TREE {
                // A sparse index: directories as entries.
                return Err(OdbError::IndexSparse {
                    file: file.to_path_buf(),
                    offset: (name_at - fixed) as u64,
                });
            }
            previous = path.clone();
            entries.push(IndexEntry {
                path,
                oid,
                mode,
                stage: ((flags >> 12) & 3) as u8,
                intent_to_add,
            });
        }
        let mut tree = None;
        while at + 8 <= body_end {
            let sig = &d[at..at + 4];
            let len = be32(d, at + 4).ok_or_else(|| bad(at))? as usize;
            let ext = d
                .get(at + 8..)
                .and_then(|rest| rest.get(..len))
                .ok_or_else(|| OdbError::IndexExtensionSize {
                    file: file.to_path_buf(),
                    offset: at as u64,
                    len: len as u64,
                })?;
            match sig {
                b"TREE" => tree = Some(CacheTree::parse(ext, file, at + 8)?),
                // Optional extensions start with a capital letter; others change the meaning.
                _ if sig[0].is_ascii_uppercase() => {}
                _ => {
                    return Err(OdbError::IndexExtension {
                        file: file.to_path_buf(),
                        offset: at as u64,
                        signature: sig.escape_ascii().to_string(),
                    })
                }
            }
            at += 8 + len;
        }
        let paths = if version == 4 {
            IndexBytes::Owned(arena)
        } else {
            data
        };
        Ok(IndexFile {
            entries,
            paths,
            tree,
        })
    }
}

/// Index v4's path-compression varint (big-endian 7-bit groups, each continuation adding one):
/// its value and how many bytes it takes.
fn varint4(d: &[u8]) -> Option<(usize, usize)> {
    let mut c = *d.first()?;
    let mut v = usize::from(c & 0x7f);
    let mut used = 1;
    while c & 0x80 != 0 {
        c = *d.get(used)?;
        used += 1;
        v = v.checked_add(1)?.checked_mul(128)? | usize::from(c & 0x7f);
    }
    Some((v, used))
}

#[cfg(test)]
mod tests {
    use super::super::testing::git;
    use super::*;

    /// An index of `version` with `entries` (mode, flags, name) and extension bytes `ext`.
    fn index(version: u32, entries: &[(u32, u16, &[u8])], ext: &[u8]) -> Vec<u8> {
        let mut out = b"DIRC".to_vec();
        out.extend(version.to_be_bytes());
        out.extend((entries.len() as u32).to_be_bytes());
        for (mode, flags, name) in entries {
            let start = out.len();
            out.extend([0u8; 24]);
            out.extend(mode.to_be_bytes());
            out.extend([0u8; 12]);
            out.extend([0xab; 20]);
            out.extend(flags.to_be_bytes());
            out.extend(*name);
            let padding = 8 - (out.len() - start) % 8;
            out.extend(std::iter::repeat_n(0u8, padding));
        }
        out.extend(ext);
        out.extend([0u8; CHECKSUM]);
        out
    }

    fn parse(data: Vec<u8>) -> Result<IndexFile, OdbError> {
        IndexFile::parse(IndexBytes::Owned(data), Path::new(".git/index"))
    }

    #[test]
    fn reads_the_indexes_git_writes() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        git(d, &["init", "-q"]);
        for f in ["a.txt", "dir/b.txt", "dir/sub/c.txt"] {
            std::fs::create_dir_all(d.join(f).parent().unwrap()).unwrap();
            std::fs::write(d.join(f), f).unwrap();
        }
        git(d, &["add", "."]);
        git(d, &["commit", "-qm", "m"]);
        for (version, map_from) in [
            ("2", 0),
            ("2", u64::MAX),
            ("3", 0),
            ("4", 0),
            ("4", u64::MAX),
        ] {
            git(d, &["update-index", "--index-version", version]);
            let index = IndexFile::read_mapping_from(&d.join(".git/index"), map_from).unwrap();
            assert_eq!(
                matches!(index.paths, IndexBytes::Mapped(_)),
                map_from == 0 && version != "4",
                "{version}"
            );
            let paths: Vec<&[u8]> = index
                .entries
                .iter()
                .map(|e| &index.paths[e.path.clone()])
                .collect();
            assert_eq!(
                paths,
                [&b"a.txt"[..], b"dir/b.txt", b"dir/sub/c.txt"],
                "{version}"
            );
            let tree = index.tree.as_ref().expect("a cache-tree after a commit");
            assert!(tree.oid.is_some() && tree.children.contains_key(&b"dir"[..]));
        }
    }

    /// A corrupt index gives an error naming the file and the offset at fault; cut anywhere, it
    /// never panics.
    #[test]
    fn corrupt_indexes_name_the_file_and_offset() {
        let err = parse(b"not an index at all, not at all".repeat(2)).unwrap_err();
        assert_eq!(err.to_string(), ".git/index: offset 0: not an index file");
        let err = parse(index(5, &[], b"")).unwrap_err();
        assert!(
            matches!(err, OdbError::IndexVersion { version: 5, .. }),
            "{err}"
        );

        let mut huge = index(2, &[(0o100644, 5, b"a.txt")], b"");
        huge[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
        let err = parse(huge).unwrap_err();
        assert!(
            matches!(
                err,
                OdbError::IndexCount {
                    count: 0xffff_ffff,
                    ..
                }
            ),
            "{err}"
        );

        // A long name (length 0xfff) without its NUL.
        let mut unterminated = index(2, &[(0o100644, 0x0fff, &[b'a'; 40])], b"");
        let n = unterminated.len();
        unterminated[n - CHECKSUM - 8..n - CHECKSUM].fill(b'a');
        let err = parse(unterminated).unwrap_err();
        assert_eq!(
            err.to_string(),
            ".git/index: offset 12: malformed or truncated index entry"
        );
        let err = parse(index(2, &[(0o100644, FLAG_EXTENDED | 1, b"a")], b"")).unwrap_err();
        assert!(
            matches!(err, OdbError::IndexEntry { offset: 12, .. }),
            "{err}"
        );

        let sparse = index(3, &[(0o100644, 1, b"a"), (MODE_TREE, 2, b"d/")], b"");
        let err = parse(sparse).unwrap_err();
        assert!(
            matches!(err, OdbError::IndexSparse { offset: 76, .. }),
            "{err}"
        );

        let one = index(2, &[(0o100644, 1, b"a")], b"");
        let ext_at = one.len() - CHECKSUM;
        let err = parse(index(2, &[(0o100644, 1, b"a")], b"link\0\0\0\x04abcd")).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(".git/index: offset {ext_at}: required extension \"link\" not understood")
        );
        assert!(parse(index(2, &[(0o100644, 1, b"a")], b"UNTR\0\0\0\x04abcd")).is_ok());
        let err = parse(index(2, &[], b"TREE\0\0\x10\0abcd")).unwrap_err();
        assert!(
            matches!(err, OdbError::IndexExtensionSize { offset: 12, .. }),
            "{err}"
        );
        let err = parse(index(2, &[], b"TREE\0\0\0\x04abcd")).unwrap_err();
        assert!(
            matches!(err, OdbError::CacheTree { offset: 20, .. }),
            "{err}"
        );

        // Version 4: a first path cannot drop bytes of a previous one.
        let mut v4 = index(4, &[], b"");
        v4.truncate(HEADER);
        v4[8..12].copy_from_slice(&1u32.to_be_bytes());
        v4.extend([0u8; 24]);
        v4.extend(0o100644u32.to_be_bytes());
        v4.extend([0u8; 12]);
        v4.extend([0xab; 20]);
        v4.extend(1u16.to_be_bytes());
        v4.extend([3, b'a', 0]);
        v4.extend([0u8; CHECKSUM]);
        let err = parse(v4.clone()).unwrap_err();
        assert!(
            matches!(err, OdbError::IndexEntry { offset: 12, .. }),
            "{err}"
        );
        v4[HEADER + ENTRY_FIXED] = 0;
        assert_eq!(&parse(v4).unwrap().paths[..], b"a");

        let good = index(3, &[(0o100644, 5, b"a.txt"), (0o100644, 5, b"b.txt")], b"");
        for len in 0..good.len() {
            let _ = parse(good[..len].to_vec());
        }
    }
}
