//! The staged change against HEAD, from an index parsed by [`odb::IndexFile`](super::odb): its
//! cache-tree (the tree id of every directory whose entries have not changed since the last
//! commit or `git write-tree`) skips every directory whose tree is the one HEAD has. Only the
//! directories on the path of a change are compared with HEAD's trees, read through git2, so the
//! cost follows the change, not the repository. This is not format reading, hence not in `odb`.

use std::collections::BTreeMap;

use git2::{Oid, Repository, Tree};

use super::odb::{CacheTree, IndexEntry, IndexFile};

const MODE_TREE: u32 = 0o040000;
/// A change nested deeper than this many directories is an error: the comparison recurses once
/// per level, and a hostile index or HEAD tree nests as deep as it likes (a debug build's main
/// thread overflows its stack near 2,500 levels).
const MAX_DEPTH: usize = 1024;

/// A staged change of one path against HEAD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The path, as git stores it.
    pub path: Vec<u8>,
    /// HEAD's blob and mode, when HEAD has the path.
    pub old: Option<(Oid, u32)>,
    /// The index's blob and mode, when the index has the path.
    pub new: Option<(Oid, u32)>,
    /// Merge stages present: the path is conflicted.
    pub conflicted: bool,
}

/// What a parsed index changes against HEAD. A trait so that the index stays a plain format
/// reader that knows nothing of git2's trees, while callers still write `index.changes(…)`.
pub(crate) trait HeadChanges {
    /// What the index changes against `head` (None: no commit yet), in path order.
    fn changes(
        &self,
        repo: &Repository,
        head: Option<&Tree<'_>>,
    ) -> Result<Vec<Change>, git2::Error>;
}

impl HeadChanges for IndexFile {
    fn changes(
        &self,
        repo: &Repository,
        head: Option<&Tree<'_>>,
    ) -> Result<Vec<Change>, git2::Error> {
        let mut out = Vec::new();
        let empty = CacheTree::default();
        let node = self.tree.as_ref().unwrap_or(&empty);
        let level = Level {
            prefix: b"",
            depth: 0,
        };
        compare(
            repo,
            &self.paths,
            level,
            head,
            &self.entries,
            node,
            &mut out,
        )?;
        Ok(out)
    }
}

/// One name of a directory level: what the index and HEAD have there.
#[derive(Default)]
struct Slot<'a> {
    file: Vec<&'a IndexEntry>,
    dir: Option<std::ops::Range<usize>>,
    head: Option<(Oid, u32)>,
}
/// A directory being compared: its path with a trailing `/` (empty at the root), and how deep it
/// is.
struct Level<'p> {
    prefix: &'p [u8],
    depth: usize,
}

/// Compares the index entries under `level` (all of `entries`) with `head`, the HEAD tree of
/// that directory; `node` is the directory's cache-tree.
fn compare(
    repo: &Repository,
    paths: &[u8],
    level: Level<'_>,
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
    let prefix = level.prefix;
    if level.depth > MAX_DEPTH {
        return Err(git2::Error::from_str(&format!(
            "{}: directories nested deeper than {MAX_DEPTH}",
            String::from_utf8_lossy(prefix)
        )));
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
                // The directory's entries are contiguous (the index is sorted by path bytes, and
                // `name/` sorts as one block): its end is found by bisection, not by comparing
                // every entry under it (50,000 of them at the root of a large repository).
                let in_dir = |e: &IndexEntry| {
                    let p = path_of(e);
                    p.get(prefix.len()..prefix.len() + slash) == Some(name)
                        && p.get(prefix.len() + slash) == Some(&b'/')
                };
                let start = i;
                i += 1 + entries[i + 1..].partition_point(in_dir);
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
        let head_tree = slot.head.filter(|h| h.1 == MODE_TREE);
        let head_file = slot.head.filter(|h| h.1 != MODE_TREE);
        if !slot.file.is_empty() {
            let conflicted = slot.file.iter().any(|e| e.stage != 0);
            let staged = slot.file.iter().find(|e| e.stage == 0 && !e.intent_to_add);
            let new = staged.map(|e| (e.oid, e.mode));
            if conflicted || new != head_file {
                out.push(Change {
                    path: path.clone(),
                    old: head_file,
                    new: if conflicted { None } else { new },
                    conflicted,
                });
            }
        } else if let Some(old) = head_file {
            out.push(Change {
                path: path.clone(),
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
            let sub = Level {
                prefix: &sub_prefix,
                depth: level.depth + 1,
            };
            compare(repo, paths, sub, sub_head.as_ref(), dir_entries, child, out)?;
        }
    }
    Ok(())
}
