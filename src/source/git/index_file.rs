//! The staged change, read the way git reads it: the index file parsed directly, and its
//! cache-tree (the `TREE` extension, the tree id of every directory whose entries have not
//! changed since the last commit or `git write-tree`) used to skip every directory whose tree is
//! the one HEAD has. Only the directories on the path of a change are compared with HEAD, so the
//! cost follows the change, not the repository. libgit2's own tree-to-index diff loads and hashes
//! the whole index and walks the whole HEAD tree; an index this reader does not understand (split
//! or sparse indexes, unknown required extensions) is handed to that diff instead.

use std::collections::BTreeMap;
use std::path::Path;

use git2::{Oid, Repository, Tree};

const ENTRY_FIXED: usize = 62;
const FLAG_EXTENDED: u16 = 0x4000;
const FLAG_NAME_MASK: u16 = 0x0fff;
const EXT_INTENT_TO_ADD: u16 = 0x2000;
const MODE_TREE: u32 = 0o040000;

/// One index entry (stage 0 unless the path is conflicted).
#[derive(Debug, Clone)]
pub struct IndexEntry {
    /// Path from the work tree's root, `/`-separated: a range of [`IndexFile::paths`].
    pub path: std::ops::Range<usize>,
    /// The staged blob (or gitlink commit).
    pub oid: Oid,
    /// Git file mode.
    pub mode: u32,
    /// Merge stage: 0, or 1-3 for a conflicted path.
    pub stage: u8,
    /// `git add -N`: the path is known, no content is staged.
    pub intent_to_add: bool,
}

/// A directory of the cache-tree: its tree id when still valid, and its subdirectories.
#[derive(Debug, Default)]
pub struct CacheTree {
    /// The tree the directory's entries make, when no entry under it changed since it was
    /// written.
    pub oid: Option<Oid>,
    /// Subdirectories by name.
    pub children: BTreeMap<Vec<u8>, CacheTree>,
}

/// A parsed index.
#[derive(Debug)]
pub struct IndexFile {
    /// Entries in index order (by path, then stage).
    pub entries: Vec<IndexEntry>,
    /// The bytes entry paths point into: the index file itself, or for version 4 (whose paths
    /// are prefix-compressed) the paths written out.
    pub paths: Vec<u8>,
    /// The cache-tree, when the index has one.
    pub tree: Option<CacheTree>,
}

/// A staged change of one path against HEAD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The path.
    pub path: String,
    /// HEAD's blob and mode, when HEAD has the path.
    pub old: Option<(Oid, u32)>,
    /// The index's blob and mode, when the index has the path.
    pub new: Option<(Oid, u32)>,
    /// Merge stages present: the path is conflicted.
    pub conflicted: bool,
}

fn be32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

fn be16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(d.get(at..at + 2)?.try_into().ok()?))
}

impl IndexFile {
    /// Reads the index at `path`; `None` when it is missing, malformed, or uses a feature this
    /// reader leaves to libgit2.
    pub fn read(path: &Path) -> Option<IndexFile> {
        IndexFile::parse(std::fs::read(path).ok()?)
    }

    /// Parses index bytes (versions 2 to 4).
    pub fn parse(data: Vec<u8>) -> Option<IndexFile> {
        let d = &data[..];
        if d.len() < 12 + 20 || &d[..4] != b"DIRC" {
            return None;
        }
        let version = be32(d, 4)?;
        if !(2..=4).contains(&version) {
            return None;
        }
        let count = be32(d, 8)? as usize;
        let body_end = d.len() - 20;
        let mut at = 12;
        let mut entries = Vec::with_capacity(count);
        // Version 4 paths are written out here; earlier versions point into the file.
        let mut arena: Vec<u8> = Vec::new();
        let mut previous = 0..0;
        for _ in 0..count {
            let mode = be32(d, at + 24)?;
            let oid = Oid::from_bytes(d.get(at + 40..at + 60)?).ok()?;
            let flags = be16(d, at + 60)?;
            let mut fixed = ENTRY_FIXED;
            let mut intent_to_add = false;
            if flags & FLAG_EXTENDED != 0 {
                if version < 3 {
                    return None;
                }
                intent_to_add = be16(d, at + 62)? & EXT_INTENT_TO_ADD != 0;
                fixed += 2;
            }
            let name_at = at + fixed;
            let path = if version == 4 {
                // A varint of bytes to drop from the previous path, then the rest of the name.
                let (strip, used) = varint4(d.get(name_at..)?)?;
                let rest_at = name_at + used;
                let nul = memchr::memchr(0, d.get(rest_at..body_end)?)?;
                let keep = previous.len().checked_sub(strip)?;
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
                    memchr::memchr(0, d.get(name_at..body_end)?)?
                };
                d.get(name_at..name_at + nul)?;
                // Entries are padded with 1 to 8 NULs to a multiple of 8 bytes.
                at += (fixed + nul + 8) & !7;
                name_at..name_at + nul
            };
            if mode == MODE_TREE {
                return None; // a sparse index: directories as entries
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
            let len = be32(d, at + 4)? as usize;
            let data = d.get(at + 8..at + 8 + len)?;
            match sig {
                b"TREE" => tree = Some(parse_cache_tree(data)?),
                // Optional extensions start with a capital letter; others change the meaning.
                _ if sig[0].is_ascii_uppercase() => {}
                _ => return None,
            }
            at += 8 + len;
        }
        let paths = if version == 4 { arena } else { data };
        Some(IndexFile {
            entries,
            paths,
            tree,
        })
    }

    /// What the index changes against `head` (None: no commit yet), in path order.
    pub fn changes(
        &self,
        repo: &Repository,
        head: Option<&Tree<'_>>,
    ) -> Result<Vec<Change>, git2::Error> {
        let mut out = Vec::new();
        let empty = CacheTree::default();
        let node = self.tree.as_ref().unwrap_or(&empty);
        compare(repo, &self.paths, b"", head, &self.entries, node, &mut out)?;
        Ok(out)
    }
}

/// Index v4's path-compression varint (big-endian 7-bit groups, each continuation adding one).
fn varint4(d: &[u8]) -> Option<(usize, usize)> {
    let mut c = *d.first()?;
    let mut v = usize::from(c & 0x7f);
    let mut used = 1;
    while c & 0x80 != 0 {
        c = *d.get(used)?;
        used += 1;
        v = ((v + 1) << 7) | usize::from(c & 0x7f);
    }
    Some((v, used))
}

/// The `TREE` extension: depth-first nodes of `path NUL entry_count SP subtrees LF [oid]`; an
/// entry count of -1 marks a directory whose tree is no longer known.
fn parse_cache_tree(d: &[u8]) -> Option<CacheTree> {
    let mut at = 0;
    let (_, root) = parse_node(d, &mut at)?;
    Some(root)
}

fn parse_node(d: &[u8], at: &mut usize) -> Option<(Vec<u8>, CacheTree)> {
    let nul = memchr::memchr(0, d.get(*at..)?)?;
    let name = d[*at..*at + nul].to_vec();
    *at += nul + 1;
    let nl = memchr::memchr(b'\n', d.get(*at..)?)?;
    let line = std::str::from_utf8(&d[*at..*at + nl]).ok()?;
    *at += nl + 1;
    let (count, subtrees) = line.split_once(' ')?;
    let count: i64 = count.parse().ok()?;
    let subtrees: usize = subtrees.parse().ok()?;
    let mut node = CacheTree::default();
    if count >= 0 {
        node.oid = Some(Oid::from_bytes(d.get(*at..*at + 20)?).ok()?);
        *at += 20;
    }
    for _ in 0..subtrees {
        let (child, sub) = parse_node(d, at)?;
        node.children.insert(child, sub);
    }
    Some((name, node))
}

/// One name of a directory level: what the index and HEAD have there.
#[derive(Default)]
struct Slot<'a> {
    file: Vec<&'a IndexEntry>,
    dir: Option<std::ops::Range<usize>>,
    head: Option<(Oid, u32)>,
}

/// Compares the index entries under `prefix` (all of `entries`) with `head`, the HEAD tree of
/// that directory; `node` is the directory's cache-tree.
fn compare(
    repo: &Repository,
    paths: &[u8],
    prefix: &[u8],
    head: Option<&Tree<'_>>,
    entries: &[IndexEntry],
    node: &CacheTree,
    out: &mut Vec<Change>,
) -> Result<(), git2::Error> {
    if let (Some(oid), Some(h)) = (node.oid, head) {
        if oid == h.id() {
            return Ok(());
        }
    }
    let mut slots: BTreeMap<Vec<u8>, Slot<'_>> = BTreeMap::new();
    let mut i = 0;
    while i < entries.len() {
        let path_of = |e: &IndexEntry| &paths[e.path.clone()];
        let rest = &path_of(&entries[i])[prefix.len()..];
        match memchr::memchr(b'/', rest) {
            None => {
                slots
                    .entry(rest.to_vec())
                    .or_default()
                    .file
                    .push(&entries[i]);
                i += 1;
            }
            Some(slash) => {
                let name = &rest[..slash];
                let start = i;
                while i < entries.len()
                    && path_of(&entries[i])[prefix.len()..].starts_with(name)
                    && path_of(&entries[i]).get(prefix.len() + slash) == Some(&b'/')
                {
                    i += 1;
                }
                slots.entry(name.to_vec()).or_default().dir = Some(start..i);
            }
        }
    }
    if let Some(h) = head {
        for e in h.iter() {
            slots.entry(e.name_bytes().to_vec()).or_default().head =
                Some((e.id(), e.filemode() as u32));
        }
    }
    let empty = CacheTree::default();
    for (name, slot) in slots {
        let path = [prefix, &name].concat();
        let shown = || String::from_utf8_lossy(&path).into_owned();
        let head_tree = slot.head.filter(|h| h.1 == MODE_TREE);
        let head_file = slot.head.filter(|h| h.1 != MODE_TREE);
        if !slot.file.is_empty() {
            let conflicted = slot.file.iter().any(|e| e.stage != 0);
            let staged = slot.file.iter().find(|e| e.stage == 0 && !e.intent_to_add);
            let new = staged.map(|e| (e.oid, e.mode));
            if conflicted || new != head_file {
                out.push(Change {
                    path: shown(),
                    old: head_file,
                    new: if conflicted { None } else { new },
                    conflicted,
                });
            }
        } else if let Some(old) = head_file {
            out.push(Change {
                path: shown(),
                old: Some(old),
                new: None,
                conflicted: false,
            });
        }
        let child = node.children.get(&name).unwrap_or(&empty);
        if head_tree.is_some_and(|(oid, _)| child.oid == Some(oid)) {
            continue; // unchanged since HEAD: not even read
        }
        let sub_head = match head_tree {
            Some((oid, _)) => Some(repo.find_tree(oid)?),
            None => None,
        };
        let dir_entries = slot.dir.map_or(&entries[..0], |r| &entries[r]);
        if sub_head.is_some() || !dir_entries.is_empty() {
            let mut sub_prefix = path.clone();
            sub_prefix.push(b'/');
            compare(
                repo,
                paths,
                &sub_prefix,
                sub_head.as_ref(),
                dir_entries,
                child,
                out,
            )?;
        }
    }
    Ok(())
}
