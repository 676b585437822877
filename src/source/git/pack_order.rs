//! The order to read blobs in: by position in their pack file. Git stores a file's newest
//! version whole and older versions as deltas against newer ones, bases before deltas. Read in
//! commit order (oldest first), every blob would rebuild its delta chain from scratch; read in pack
//! order, each base was read just before and sits in libgit2's delta-base cache. This parses the
//! pack indexes (`objects/pack/*.idx`, version 2) to find each object's pack and offset, and the
//! entry headers of the packs to list their blobs in pack order without inflating anything.

use std::path::{Path, PathBuf};

use git2::Oid;

/// Where objects sit in the repository's packs.
#[derive(Debug, Default)]
pub struct PackOrder {
    indexes: Vec<IdxFile>,
}

#[derive(Debug)]
struct IdxFile {
    data: Vec<u8>,
    count: usize,
    pack: PathBuf,
}

const IDX_MAGIC: [u8; 4] = [0xff, b't', b'O', b'c'];
const FANOUT_AT: usize = 8;
const SHAS_AT: usize = FANOUT_AT + 256 * 4;
const LARGE_OFFSET: u32 = 0x8000_0000;

impl IdxFile {
    fn parse(data: Vec<u8>, pack: PathBuf) -> Option<IdxFile> {
        if data.len() < SHAS_AT || data[..4] != IDX_MAGIC || be32(&data, 4)? != 2 {
            return None;
        }
        let count = be32(&data, FANOUT_AT + 255 * 4)? as usize;
        // shas, crcs and 32-bit offsets, then 64-bit offsets and two checksums.
        (data.len() >= SHAS_AT + count * 28 + 40).then_some(IdxFile { data, count, pack })
    }

    fn offset(&self, oid: &[u8]) -> Option<u64> {
        let first = usize::from(oid[0]);
        let lo = if first == 0 {
            0
        } else {
            be32(&self.data, FANOUT_AT + (first - 1) * 4)? as usize
        };
        let hi = be32(&self.data, FANOUT_AT + first * 4)? as usize;
        let sha = |i: usize| &self.data[SHAS_AT + i * 20..SHAS_AT + i * 20 + 20];
        let (mut lo, mut hi) = (lo, hi.min(self.count));
        while lo < hi {
            let mid = (lo + hi) / 2;
            match sha(mid).cmp(oid) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return self.offset_at(mid),
            }
        }
        None
    }

    fn offset_at(&self, i: usize) -> Option<u64> {
        let offsets = SHAS_AT + self.count * 24;
        let small = be32(&self.data, offsets + i * 4)?;
        if small & LARGE_OFFSET == 0 {
            return Some(u64::from(small));
        }
        let at = offsets + self.count * 4 + (small & !LARGE_OFFSET) as usize * 8;
        let bytes = self.data.get(at..at + 8)?;
        Some(u64::from_be_bytes(bytes.try_into().ok()?))
    }
}

fn be32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

impl PackOrder {
    /// Reads the pack indexes of the object directory `objects`. Unreadable or unknown indexes
    /// are left out: their objects are read last, in the order met, which is slower, not wrong.
    pub fn load(objects: &Path) -> PackOrder {
        let mut indexes = Vec::new();
        if let Ok(dir) = std::fs::read_dir(objects.join("pack")) {
            let mut paths: Vec<_> = dir
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "idx"))
                .collect();
            paths.sort();
            for p in paths {
                let pack = p.with_extension("pack");
                if let Some(idx) = std::fs::read(&p).ok().and_then(|d| IdxFile::parse(d, pack)) {
                    indexes.push(idx);
                }
            }
        }
        PackOrder { indexes }
    }

    /// A sort key: (pack number, offset in the pack); loose and unknown objects sort last.
    pub fn key(&self, oid: Oid) -> (usize, u64) {
        let raw = oid.as_bytes();
        self.indexes
            .iter()
            .enumerate()
            .find_map(|(i, idx)| idx.offset(raw).map(|o| (i, o)))
            .unwrap_or((usize::MAX, u64::MAX))
    }
}

/// Pack entry types (the three bits after the first byte's continuation bit).
const OBJ_BLOB: u8 = 3;
const OBJ_OFS_DELTA: u8 = 6;
const OBJ_REF_DELTA: u8 = 7;
/// Longest entry header read: type and size (up to 10 bytes), then a delta's base (up to 20).
const ENTRY_HEADER_MAX: usize = 32;

impl IdxFile {
    fn oid_at(&self, i: usize) -> Option<Oid> {
        Oid::from_bytes(self.data.get(SHAS_AT + i * 20..SHAS_AT + i * 20 + 20)?).ok()
    }

    /// The entries of this pack in offset order, typed from their headers alone: a delta has
    /// its base's type, and an offset delta's base always comes earlier in the pack.
    fn entries(&self) -> std::io::Result<PackEntries> {
        let pack = std::fs::File::open(&self.pack)?;
        // The pack ends with a 20-byte checksum.
        let data_end = pack.metadata()?.len().saturating_sub(20);
        let mut sorted: Vec<(u64, usize)> = (0..self.count)
            .filter_map(|i| self.offset_at(i).map(|o| (o, i)))
            .collect();
        sorted.sort_unstable();
        let position = |offset: u64| sorted.binary_search_by_key(&offset, |e| e.0).ok();
        let mut entries: Vec<PackEntry> = Vec::with_capacity(sorted.len());
        let mut pending: Vec<(usize, usize)> = Vec::new();
        let mut header = [0u8; ENTRY_HEADER_MAX];
        for (k, &(offset, i)) in sorted.iter().enumerate() {
            let end = sorted.get(k + 1).map_or(data_end, |e| e.0);
            let n = ENTRY_HEADER_MAX.min(end.saturating_sub(offset) as usize);
            super::pack_read::read_exact_at(&pack, &mut header[..n], offset)?;
            let mut entry = PackEntry {
                oid: self.oid_at(i).unwrap_or_else(Oid::zero),
                offset,
                end,
                kind: 0,
                base: None,
            };
            match parse_entry(&header[..n]) {
                Some(Entry::Whole(t)) => entry.kind = t,
                Some(Entry::OffsetDelta(back)) => {
                    entry.base = offset.checked_sub(back).and_then(position);
                    if let Some(b) = entry.base.filter(|&b| b < k) {
                        entry.kind = entries[b].kind;
                    }
                }
                Some(Entry::RefDelta(base)) => {
                    entry.base = self.offset(&base).and_then(position);
                    match entry.base {
                        Some(b) if b < k => entry.kind = entries[b].kind,
                        Some(b) => pending.push((k, b)),
                        None => {}
                    }
                }
                None => {}
            }
            entries.push(entry);
        }
        // Reference deltas whose base comes later (thin packs completed by index-pack).
        while !pending.is_empty() {
            let before = pending.len();
            pending.retain(|&(k, b)| {
                if entries[b].kind == 0 {
                    return true;
                }
                entries[k].kind = entries[b].kind;
                false
            });
            if pending.len() == before {
                break;
            }
        }
        Ok(PackEntries {
            pack: self.pack.clone(),
            entries,
        })
    }
}

/// One object of a pack, as its index and entry header describe it.
#[derive(Debug, Clone)]
pub struct PackEntry {
    /// The object.
    pub oid: Oid,
    /// Where its entry starts.
    pub offset: u64,
    /// Where the next entry starts (or the pack's checksum).
    pub end: u64,
    /// Object type (1 commit, 2 tree, 3 blob, 4 tag); 0 when unknown.
    pub kind: u8,
    /// For a delta, the position of its base in [`PackEntries::entries`].
    pub base: Option<usize>,
}

impl PackEntry {
    /// True for a blob.
    pub fn is_blob(&self) -> bool {
        self.kind == OBJ_BLOB
    }
}

/// The entries of one pack file, in offset order.
#[derive(Debug)]
pub struct PackEntries {
    /// The `.pack` file.
    pub pack: PathBuf,
    /// Its entries by offset.
    pub entries: Vec<PackEntry>,
}

impl PackEntries {
    /// The position of the entry at `offset`.
    pub fn position(&self, offset: u64) -> Option<usize> {
        self.entries
            .binary_search_by_key(&offset, |e| e.offset)
            .ok()
    }
}

/// A pack entry header: a whole object of a type, or a delta against an earlier offset or an
/// object id.
pub enum Entry {
    Whole(u8),
    OffsetDelta(u64),
    RefDelta([u8; 20]),
}

/// Parses a pack entry header: type, size (skipped), and a delta's base.
pub fn parse_entry(h: &[u8]) -> Option<Entry> {
    parse_entry_full(h).map(|(e, _, _)| e)
}

/// Parses a pack entry header: what it is, the object's (or delta's) inflated size, and how many
/// bytes the header takes.
pub fn parse_entry_full(h: &[u8]) -> Option<(Entry, u64, usize)> {
    let first = *h.first()?;
    let kind = (first >> 4) & 7;
    // Size: 4 bits in the first byte, then little-endian 7-bit groups.
    let mut size = u64::from(first & 0x0f);
    let mut shift = 4;
    let mut at = 1;
    let mut c = first;
    while c & 0x80 != 0 {
        c = *h.get(at)?;
        size |= u64::from(c & 0x7f).checked_shl(shift)?;
        shift += 7;
        at += 1;
    }
    match kind {
        OBJ_OFS_DELTA => {
            // Git's offset encoding: big-endian 7-bit groups, each continuation adding one.
            let mut c = *h.get(at)?;
            let mut back = u64::from(c & 0x7f);
            while c & 0x80 != 0 {
                at += 1;
                c = *h.get(at)?;
                back = ((back + 1) << 7) | u64::from(c & 0x7f);
            }
            Some((Entry::OffsetDelta(back), size, at + 1))
        }
        OBJ_REF_DELTA => {
            let base = h.get(at..at + 20)?.try_into().ok()?;
            Some((Entry::RefDelta(base), size, at + 20))
        }
        1..=4 => Some((Entry::Whole(kind), size, at)),
        _ => None,
    }
}

impl PackOrder {
    /// The entries of every pack, in offset order. A pack that cannot be read is left out: its
    /// blobs are read later, with libgit2, in the order the walk meets them.
    /// The n-th pack of the list has the n-th index's pack number of [`PackOrder::key`].
    pub fn packs(&self) -> Vec<PackEntries> {
        self.indexes
            .iter()
            .map(|i| {
                i.entries().unwrap_or_else(|_| PackEntries {
                    pack: i.pack.clone(),
                    entries: Vec::new(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A version-2 index of `objects` (sorted oids with their offsets), as git writes it.
    fn idx(objects: &[([u8; 20], u64)]) -> Vec<u8> {
        let mut out = IDX_MAGIC.to_vec();
        out.extend(2u32.to_be_bytes());
        for b in 0..256usize {
            let n = objects
                .iter()
                .filter(|(o, _)| usize::from(o[0]) <= b)
                .count() as u32;
            out.extend(n.to_be_bytes());
        }
        for (o, _) in objects {
            out.extend(o);
        }
        out.extend(std::iter::repeat_n(0u8, objects.len() * 4)); // crcs
        let mut large = Vec::new();
        for (_, off) in objects {
            if *off >= u64::from(LARGE_OFFSET) {
                out.extend((LARGE_OFFSET | large.len() as u32).to_be_bytes());
                large.push(*off);
            } else {
                out.extend((*off as u32).to_be_bytes());
            }
        }
        for off in large {
            out.extend(off.to_be_bytes());
        }
        out.extend([0u8; 40]);
        out
    }

    #[test]
    fn finds_small_and_large_offsets_and_misses() {
        let a = [0x01; 20];
        let mut b = [0x7f; 20];
        b[19] = 0;
        let c = [0xff; 20];
        let order = PackOrder {
            indexes: vec![IdxFile::parse(
                idx(&[(a, 12), (b, 5_000_000_000), (c, 99)]),
                PathBuf::new(),
            )
            .unwrap()],
        };
        assert_eq!(order.key(Oid::from_bytes(&a).unwrap()), (0, 12));
        assert_eq!(order.key(Oid::from_bytes(&b).unwrap()), (0, 5_000_000_000));
        assert_eq!(order.key(Oid::from_bytes(&c).unwrap()), (0, 99));
        let missing = Oid::from_bytes(&[0x7f; 20]).unwrap();
        assert_eq!(order.key(missing), (usize::MAX, u64::MAX));
        assert!(IdxFile::parse(b"not an index".to_vec(), PathBuf::new()).is_none());
    }

    #[test]
    fn agrees_with_a_real_pack() {
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| super::super::test_git::run(dir.path(), args);
        run(&["init", "-q"]);
        std::fs::write(dir.path().join("a"), "one\n").unwrap();
        std::fs::write(dir.path().join("b"), "two\n").unwrap();
        run(&["add", "."]);
        run(&["commit", "-qm", "m"]);
        run(&["repack", "-adq"]);
        let order = PackOrder::load(&dir.path().join(".git/objects"));
        let idx = std::fs::read_dir(dir.path().join(".git/objects/pack"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|x| x == "idx"))
            .unwrap();
        let listing = run(&["verify-pack", "-v", idx.to_str().unwrap()]);
        let mut checked = 0;
        for line in listing.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() >= 5 && f[0].len() == 40 {
                let oid = Oid::from_str(f[0]).unwrap();
                assert_eq!(order.key(oid), (0, f[4].parse().unwrap()), "{line}");
                checked += 1;
            }
        }
        assert!(checked >= 4, "{listing}");
        let mut blobs: Vec<String> = order.packs()[0]
            .entries
            .iter()
            .filter(|e| e.is_blob())
            .map(|e| e.oid.to_string())
            .collect();
        blobs.sort();
        let mut expected: Vec<String> = listing
            .lines()
            .filter(|l| l.split_whitespace().nth(1) == Some("blob"))
            .map(|l| l[..40].to_string())
            .collect();
        expected.sort();
        assert_eq!(blobs, expected);
    }

    /// Deltas (offset deltas after `repack -f`) inherit their base's type.
    #[test]
    fn lists_deltified_blobs_as_blobs() {
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| super::super::test_git::run(dir.path(), args);
        run(&["init", "-q"]);
        let body: String = (0..200).map(|i| format!("line {i} of a file\n")).collect();
        for v in 0..5 {
            std::fs::write(dir.path().join("f"), format!("{body}version {v}\n")).unwrap();
            run(&["add", "."]);
            run(&["commit", "-qm", "m"]);
        }
        run(&["repack", "-adfq"]);
        let all = run(&[
            "cat-file",
            "--batch-all-objects",
            "--batch-check=%(objecttype) %(deltabase)",
        ]);
        assert!(
            all.lines()
                .any(|l| l.starts_with("blob ") && !l.ends_with(&"0".repeat(40))),
            "the test needs a deltified blob: {all}"
        );
        let order = PackOrder::load(&dir.path().join(".git/objects"));
        let packs = order.packs();
        assert_eq!(packs[0].entries.iter().filter(|e| e.is_blob()).count(), 5);
    }
}
