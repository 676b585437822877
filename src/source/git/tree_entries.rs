//! Tree entries as git stores them, and a new version of a directory read against the last one
//! walked: only the entries that changed come out. Shared stretches of the two versions are
//! compared as bytes, many entries at once, and stepped over with the entry offsets the old
//! version recorded, so that an unchanged entry costs neither a parse nor a comparison of its
//! own (a commit that changes one file of git/git's root directory, 500 entries, used to parse
//! and compare all 500; a quarter of a one-thread history scan went there).

use std::ops::Range;
use std::sync::Arc;

use super::oid_set::RawOid;

/// The mode of a tree entry that is a directory.
pub(crate) const MODE_TREE: i32 = 0o040000;

/// The entries of a tree in git's format: `MODE SP NAME NUL OID(20)`, repeated. Parsing stops at
/// the first malformed entry.
pub(crate) struct TreeEntries<'t>(pub(crate) &'t [u8]);

/// A tree entry: mode, name and id.
pub(crate) type Entry<'t> = (i32, &'t [u8], &'t RawOid);

impl<'t> TreeEntries<'t> {
    /// The next entry with its bytes as stored.
    pub(crate) fn next_raw(&mut self) -> Option<(&'t [u8], Entry<'t>)> {
        let before = self.0;
        let entry = self.next()?;
        Some((&before[..before.len() - self.0.len()], entry))
    }
}

impl<'t> Iterator for TreeEntries<'t> {
    type Item = Entry<'t>;

    fn next(&mut self) -> Option<Self::Item> {
        let d = self.0;
        let sp = memchr::memchr(b' ', d)?;
        let nul = sp + 1 + memchr::memchr(0, &d[sp + 1..])?;
        let id: &RawOid = d.get(nul + 1..nul + 21)?.try_into().ok()?;
        let mode = d[..sp].iter().try_fold(0i32, |m, &c| {
            (b'0'..=b'7')
                .contains(&c)
                .then(|| m * 8 + i32::from(c - b'0'))
        })?;
        self.0 = &d[nul + 21..];
        Some((mode, &d[sp + 1..nul], id))
    }
}

/// git's order of tree entries: by name, a tree's name followed by `/`.
pub(crate) fn tree_order(a: &[u8], a_tree: bool, b: &[u8], b_tree: bool) -> std::cmp::Ordering {
    let n = a.len().min(b.len());
    a[..n].cmp(&b[..n]).then_with(|| {
        let next = |name: &[u8], tree: bool| name.get(n).copied().or(tree.then_some(b'/'));
        next(a, a_tree).cmp(&next(b, b_tree))
    })
}

/// A version of a directory read to the end: its tree, and where each entry [`TreeEntries`]
/// reads in it starts, then where the last one ends (empty when not recorded).
pub(crate) struct Version {
    data: Arc<Vec<u8>>,
    starts: Vec<u32>,
}

impl Version {
    /// The version `data`, its entries found by reading them all.
    #[cfg(test)]
    pub(crate) fn read(data: Arc<Vec<u8>>) -> Version {
        let mut dir = Dir::new(data, 0, None, true);
        while dir.next_changed().is_some() {}
        dir.finish()
    }
}

/// An entry of a [`Dir`] that its last version does not hold: where its name and id are in
/// [`Dir::data`].
pub(crate) struct Changed {
    pub(crate) mode: i32,
    pub(crate) name: Range<usize>,
    pub(crate) id: usize,
}

impl Changed {
    /// Its name in `data`.
    pub(crate) fn name<'d>(&self, data: &'d [u8]) -> &'d [u8] {
        &data[self.name.clone()]
    }

    /// Its id in `data`.
    pub(crate) fn id<'d>(&self, data: &'d [u8]) -> &'d RawOid {
        data[self.id..self.id + 20]
            .try_into()
            .expect("an entry's id is 20 bytes")
    }
}

/// A directory being read, entry by entry, against the last version of it read to the end.
pub(crate) struct Dir {
    /// Its tree.
    pub(crate) data: Arc<Vec<u8>>,
    /// Where its next entry starts.
    at: usize,
    /// Length of its path (for the walker).
    pub(crate) path_len: usize,
    /// The last version of the same directory, and where its next entry starts.
    old: Option<(Arc<Version>, usize)>,
    /// Where each entry read so far starts, when recorded (only for versions that will be
    /// kept, whose offsets fit in 32 bits).
    starts: Option<Vec<u32>>,
}

impl Dir {
    /// The directory `data` at a path `path_len` long, read against `old`; `record` when this
    /// version will be kept (see [`Dir::finish`]).
    pub(crate) fn new(
        data: Arc<Vec<u8>>,
        path_len: usize,
        old: Option<Arc<Version>>,
        record: bool,
    ) -> Dir {
        let starts = (record && u32::try_from(data.len()).is_ok()).then(Vec::new);
        Dir {
            data,
            at: 0,
            path_len,
            old: old.map(|o| (o, 0)),
            starts,
        }
    }

    /// The next entry the old version does not hold with the same mode, name and id; `None` at
    /// the end of the tree or at its first malformed entry.
    pub(crate) fn next_changed(&mut self) -> Option<Changed> {
        let Dir {
            data,
            at,
            old,
            starts,
            ..
        } = self;
        loop {
            skip_shared(data, at, old, starts);
            let start = *at;
            let (raw, (mode, name, id)) = TreeEntries(&data[start..]).next_raw()?;
            if let Some(starts) = starts {
                starts.push(start as u32);
            }
            *at += raw.len();
            if !unchanged(old, raw, mode, name, id) {
                let id_at = *at - 20;
                return Some(Changed {
                    mode,
                    name: id_at - 1 - name.len()..id_at - 1,
                    id: id_at,
                });
            }
        }
    }

    /// This version, once read to the end, to read the next version against.
    pub(crate) fn finish(self) -> Version {
        let starts = match self.starts {
            Some(mut starts) => {
                starts.push(self.at as u32);
                starts
            }
            None => Vec::new(),
        };
        Version {
            data: self.data,
            starts,
        }
    }
}

/// Steps `at` (in `data`) and the old version's position over every whole entry the two share
/// byte for byte from there, recording their starts: entries the old version read there read
/// the same in the new one.
fn skip_shared(
    data: &[u8],
    at: &mut usize,
    old: &mut Option<(Arc<Version>, usize)>,
    starts: &mut Option<Vec<u32>>,
) {
    let Some((version, old_at)) = old else {
        return;
    };
    let bounds = &version.starts;
    let Some(j) = u32::try_from(*old_at)
        .ok()
        .and_then(|o| bounds.binary_search(&o).ok())
    else {
        return;
    };
    let limit = *old_at + common_prefix(&data[*at..], &version.data[*old_at..]);
    // The last start (or end) within the shared bytes: the entries before it are whole.
    let k = j + bounds[j..].partition_point(|&b| b as usize <= limit) - 1;
    if k == j {
        return;
    }
    if let Some(starts) = starts {
        let (from, to) = (*old_at, *at);
        starts.extend(
            bounds[j..k]
                .iter()
                .map(|&b| (b as usize - from + to) as u32),
        );
    }
    *at += bounds[k] as usize - *old_at;
    *old_at = bounds[k] as usize;
}

/// True when the old version holds this very entry (`raw`: same mode, name and id). Both
/// versions are in git's tree order, so the old one is read once, alongside. A tree out of
/// order (hostile) only makes entries look changed: an entry is skipped only when found.
fn unchanged(
    old: &mut Option<(Arc<Version>, usize)>,
    raw: &[u8],
    mode: i32,
    name: &[u8],
    id: &RawOid,
) -> bool {
    let Some((version, at)) = old else {
        return false;
    };
    let old = &version.data;
    // Usually the old version's next entry is this very one, byte for byte: an entry read from
    // an entry's start is its bytes alone, so equal bytes are the same entry.
    if old[*at..].starts_with(raw) {
        *at += raw.len();
        return true;
    }
    let mut entries = TreeEntries(&old[*at..]);
    loop {
        let rest = entries.0;
        let Some((old_mode, old_name, old_id)) = entries.next() else {
            *at = old.len();
            return false;
        };
        match tree_order(old_name, old_mode == MODE_TREE, name, mode == MODE_TREE) {
            std::cmp::Ordering::Less => {}
            std::cmp::Ordering::Equal => {
                *at = old.len() - entries.0.len();
                return old_mode == mode && old_id == id;
            }
            std::cmp::Ordering::Greater => {
                *at = old.len() - rest.len();
                return false;
            }
        }
    }
}

/// How many leading bytes `a` and `b` share: 32 bytes a step (compared as fixed-size arrays,
/// which compile to vector compares), then 8.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 32 <= n {
        let x: &[u8; 32] = a[i..i + 32].try_into().expect("32 bytes");
        let y: &[u8; 32] = b[i..i + 32].try_into().expect("32 bytes");
        if x != y {
            break;
        }
        i += 32;
    }
    while i + 8 <= n {
        let x = u64::from_le_bytes(a[i..i + 8].try_into().expect("8 bytes"));
        let y = u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        if x != y {
            return i + ((x ^ y).trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

#[cfg(test)]
#[path = "tree_entries_tests.rs"]
mod tests;
