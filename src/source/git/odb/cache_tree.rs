//! The cache-tree, the index file's `TREE` extension: the tree id of every directory whose
//! entries have not changed since the last commit or `git write-tree`. It is what lets the staged
//! change skip every directory whose tree is the one HEAD has.

use std::collections::BTreeMap;
use std::path::Path;

use git2::Oid;

use super::error::OdbError;

/// Deepest nesting accepted: git's own limit on tree depth (`core.maxTreeDepth`).
const MAX_DEPTH: usize = 4096;

/// A directory of the cache-tree: its tree id when still valid, and its subdirectories.
#[derive(Debug, Default)]
pub(crate) struct CacheTree {
    /// The tree the directory's entries make, when no entry under it changed since it was
    /// written.
    pub(crate) oid: Option<Oid>,
    /// Subdirectories by name.
    pub(crate) children: BTreeMap<Vec<u8>, CacheTree>,
}

impl CacheTree {
    /// Parses the extension's data `d`, found at `base` in the index `file`: depth-first nodes
    /// of `path NUL entry_count SP subtrees LF [oid]`, where an entry count of -1 marks a
    /// directory whose tree is no longer known.
    pub(crate) fn parse(d: &[u8], file: &Path, base: usize) -> Result<CacheTree, OdbError> {
        // Directories still waiting for subtrees, with how many they wait for: a stack of its
        // own rather than recursion, bounded like trees in git.
        let mut open: Vec<(Vec<u8>, CacheTree, usize)> = Vec::new();
        let mut at = 0;
        loop {
            let start = at;
            let node = parse_node(d, &mut at).ok_or_else(|| OdbError::CacheTree {
                file: file.to_path_buf(),
                offset: (base + start) as u64,
            })?;
            if open.len() > MAX_DEPTH {
                return Err(OdbError::CacheTreeDepth {
                    file: file.to_path_buf(),
                    offset: (base + start) as u64,
                    max: MAX_DEPTH,
                });
            }
            open.push(node);
            // Close every directory that has all its subtrees into its parent.
            while let Some((name, node, waiting)) = open.pop() {
                if waiting > 0 {
                    open.push((name, node, waiting));
                    break;
                }
                match open.last_mut() {
                    Some(parent) => {
                        parent.2 -= 1;
                        parent.1.children.insert(name, node);
                    }
                    None => return Ok(node),
                }
            }
        }
    }
}

impl Drop for CacheTree {
    /// Without recursion, so that dropping a deep tree cannot overflow the stack.
    fn drop(&mut self) {
        if self.children.is_empty() {
            return;
        }
        let mut pending = vec![std::mem::take(&mut self.children)];
        while let Some(children) = pending.pop() {
            for (_, mut child) in children {
                if !child.children.is_empty() {
                    pending.push(std::mem::take(&mut child.children));
                }
            }
        }
    }
}

/// The node at `at`: its name, the directory without its subtrees, and how many follow.
fn parse_node(d: &[u8], at: &mut usize) -> Option<(Vec<u8>, CacheTree, usize)> {
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
    Some((name, node, subtrees))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, count: i64, subtrees: usize, oid: u8) -> Vec<u8> {
        let mut out = format!("{name}\0{count} {subtrees}\n").into_bytes();
        if count >= 0 {
            out.extend([oid; 20]);
        }
        out
    }

    #[test]
    fn parses_nested_directories() {
        let d = [
            node("", 3, 2, 1),
            node("a", 2, 1, 2),
            node("b", -1, 0, 0),
            node("c", 1, 0, 3),
        ]
        .concat();
        let root = CacheTree::parse(&d, Path::new("index"), 0).unwrap();
        assert_eq!(root.oid, Some(Oid::from_bytes(&[1; 20]).unwrap()));
        let a = &root.children[&b"a".to_vec()];
        assert_eq!(a.oid, Some(Oid::from_bytes(&[2; 20]).unwrap()));
        assert_eq!(a.children[&b"b".to_vec()].oid, None);
        let c = &root.children[&b"c".to_vec()];
        assert_eq!(c.oid, Some(Oid::from_bytes(&[3; 20]).unwrap()));
    }

    /// Nesting as deep as git allows parses; deeper is an error, not a stack overflow.
    #[test]
    fn nesting_is_bounded() {
        let nested = |depth: usize| {
            let mut d = Vec::new();
            for _ in 0..depth {
                d.extend(node("d", -1, 1, 0));
            }
            d.extend(node("leaf", -1, 0, 0));
            d
        };
        let mut tree = &CacheTree::parse(&nested(MAX_DEPTH), Path::new("index"), 0).unwrap();
        let mut levels = 0;
        while let Some(child) = tree.children.values().next() {
            tree = child;
            levels += 1;
        }
        assert_eq!(levels, MAX_DEPTH);
        let err = CacheTree::parse(&nested(100_000), Path::new("index"), 0).unwrap_err();
        assert!(
            matches!(err, OdbError::CacheTreeDepth { max: MAX_DEPTH, .. }),
            "{err}"
        );
    }

    #[test]
    fn a_bad_node_names_the_file_and_offset() {
        let mut d = [node("", 1, 1, 1), node("a", 1, 0, 2)].concat();
        d.truncate(d.len() - 5);
        let err = CacheTree::parse(&d, Path::new(".git/index"), 1000).unwrap_err();
        let at = 1000 + node("", 1, 1, 1).len();
        assert!(matches!(err, OdbError::CacheTree { offset, .. } if offset == at as u64));
        assert_eq!(
            err.to_string(),
            format!(".git/index: offset {at}: malformed cache-tree node")
        );
        assert!(matches!(
            CacheTree::parse(b"\0x 0\n", Path::new("i"), 0).unwrap_err(),
            OdbError::CacheTree { offset: 0, .. }
        ));
    }
}
