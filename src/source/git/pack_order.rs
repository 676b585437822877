//! The order to read blobs in: by position in their pack file. Git stores a file's newest
//! version whole and older versions as deltas against newer ones, bases before deltas. Read in
//! commit order (oldest first), every blob would rebuild its delta chain from scratch; read in pack
//! order, each base was read just before and sits in libgit2's delta-base cache. This parses the
//! pack indexes (`objects/pack/*.idx`, version 2) to find each object's pack and offset.

use std::path::Path;

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
}

const IDX_MAGIC: [u8; 4] = [0xff, b't', b'O', b'c'];
const FANOUT_AT: usize = 8;
const SHAS_AT: usize = FANOUT_AT + 256 * 4;
const LARGE_OFFSET: u32 = 0x8000_0000;

impl IdxFile {
    fn parse(data: Vec<u8>) -> Option<IdxFile> {
        if data.len() < SHAS_AT || data[..4] != IDX_MAGIC || be32(&data, 4)? != 2 {
            return None;
        }
        let count = be32(&data, FANOUT_AT + 255 * 4)? as usize;
        // shas, crcs and 32-bit offsets, then 64-bit offsets and two checksums.
        (data.len() >= SHAS_AT + count * 28 + 40).then_some(IdxFile { data, count })
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
                if let Some(idx) = std::fs::read(&p).ok().and_then(IdxFile::parse) {
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
            indexes: vec![IdxFile::parse(idx(&[(a, 12), (b, 5_000_000_000), (c, 99)])).unwrap()],
        };
        assert_eq!(order.key(Oid::from_bytes(&a).unwrap()), (0, 12));
        assert_eq!(order.key(Oid::from_bytes(&b).unwrap()), (0, 5_000_000_000));
        assert_eq!(order.key(Oid::from_bytes(&c).unwrap()), (0, 99));
        let missing = Oid::from_bytes(&[0x7f; 20]).unwrap();
        assert_eq!(order.key(missing), (usize::MAX, u64::MAX));
        assert!(IdxFile::parse(b"not an index".to_vec()).is_none());
    }

    #[test]
    fn agrees_with_a_real_pack() {
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| {
            let out = std::process::Command::new("git")
                .current_dir(dir.path())
                .args(args)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("HOME", dir.path())
                .output()
                .unwrap();
            assert!(out.status.success(), "{args:?}");
            String::from_utf8(out.stdout).unwrap()
        };
        run(&["init", "-q"]);
        std::fs::write(dir.path().join("a"), "one\n").unwrap();
        std::fs::write(dir.path().join("b"), "two\n").unwrap();
        run(&["add", "."]);
        run(&[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qm",
            "m",
        ]);
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
    }
}
