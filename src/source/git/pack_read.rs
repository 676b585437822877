//! Reads blobs straight from a pack file, in offset order, without libgit2: every libgit2 read
//! goes through locks shared by the whole process (its pack and window caches), so the commit
//! walk and the blob readers would take turns on two cores. Each reader owns its file handle and
//! a small cache of recent objects; since git writes a delta's base before the delta, reading in
//! offset order finds nearly every base in that cache. Anything unexpected is an error for that
//! one object, which is then read again with libgit2.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io;
use std::sync::Arc;

use flate2::{Decompress, FlushDecompress, Status};

use super::oid_set::IntMap;
use super::pack_order::{parse_entry_full, Entry, PackEntries, PackOrder};

/// Bytes of decoded objects a reader keeps for deltas to come.
const CACHE_BYTES: usize = 48 << 20;
/// Objects larger than this are not kept (git's own limit for its delta-base cache is similar).
const CACHE_MAX_OBJECT: usize = 4 << 20;

/// A reader of one pack's objects.
pub struct PackReader<'a> {
    pack: &'a PackEntries,
    file: File,
    cache: IntMap<Arc<[u8]>>,
    order: VecDeque<usize>,
    cached: usize,
    raw: Vec<u8>,
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

impl<'a> PackReader<'a> {
    /// Opens the pack file of `pack`.
    pub fn open(pack: &'a PackEntries) -> io::Result<PackReader<'a>> {
        Ok(PackReader {
            pack,
            file: File::open(&pack.pack)?,
            cache: IntMap::default(),
            order: VecDeque::new(),
            cached: 0,
            raw: Vec::new(),
        })
    }

    /// The object at position `k` of the pack's entries, its delta chain resolved.
    pub fn read(&mut self, k: usize) -> io::Result<Arc<[u8]>> {
        // Walk down the chain to a cached object or a whole one, then apply deltas upwards.
        let mut chain = Vec::new();
        let mut at = k;
        let mut base = loop {
            if let Some(hit) = self.cache.get(&at) {
                break hit.clone();
            }
            let (entry, payload) = self.inflate(at)?;
            match entry {
                Entry::Whole(_) => break payload.into(),
                Entry::OffsetDelta(_) | Entry::RefDelta(_) => {
                    chain.push((at, payload));
                    at = self.pack.entries[at]
                        .base
                        .ok_or_else(|| bad("delta base not in this pack"))?;
                    if chain.len() > 10_000 {
                        return Err(bad("delta chain too long"));
                    }
                }
            }
        };
        if chain.is_empty() {
            self.keep(k, &base);
        }
        while let Some((pos, delta)) = chain.pop() {
            base = apply_delta(&base, &delta)?.into();
            self.keep(pos, &base);
        }
        Ok(base)
    }

    fn keep(&mut self, k: usize, data: &Arc<[u8]>) {
        if data.len() > CACHE_MAX_OBJECT || self.cache.contains_key(&k) {
            return;
        }
        self.cache.insert(k, data.clone());
        self.order.push_back(k);
        self.cached += data.len();
        while self.cached > CACHE_BYTES {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some(d) = self.cache.remove(&old) {
                self.cached -= d.len();
            }
        }
    }

    /// The first `n` bytes (or fewer, for a smaller object) and the size of entry `k` when it is
    /// stored whole, inflating no more than that: enough to tell a large binary blob from text
    /// without inflating all of it. `None` for a delta, or an entry that does not parse.
    pub fn peek(&mut self, k: usize, n: usize) -> Option<(Vec<u8>, u64)> {
        const COMPRESSED_PREFIX: u64 = 64 << 10;
        let e = &self.pack.entries[k];
        let len = e.end.saturating_sub(e.offset).min(COMPRESSED_PREFIX) as usize;
        self.raw.resize(len, 0);
        read_exact_at(&self.file, &mut self.raw, e.offset).ok()?;
        let (entry, size, header) = parse_entry_full(&self.raw)?;
        if !matches!(entry, Entry::Whole(_)) {
            return None;
        }
        let want = n.min(usize::try_from(size).ok()?);
        let mut out = Vec::with_capacity(want);
        let mut z = Decompress::new(true);
        z.decompress_vec(&self.raw[header..], &mut out, FlushDecompress::None)
            .ok()?;
        (out.len() == want).then_some((out, size))
    }

    /// Reads and inflates entry `k`: its header and its payload (the object, or the delta).
    fn inflate(&mut self, k: usize) -> io::Result<(Entry, Vec<u8>)> {
        let e = &self.pack.entries[k];
        let len = usize::try_from(e.end.saturating_sub(e.offset)).map_err(|_| bad("entry size"))?;
        self.raw.resize(len, 0);
        read_exact_at(&self.file, &mut self.raw, e.offset)?;
        let (entry, size, header) =
            parse_entry_full(&self.raw).ok_or_else(|| bad("entry header"))?;
        let size = usize::try_from(size).map_err(|_| bad("object size"))?;
        let mut out = Vec::with_capacity(size);
        let mut z = Decompress::new(true);
        let input = &self.raw[header..];
        loop {
            let before_in = z.total_in() as usize;
            let before_out = out.len();
            let status = z
                .decompress_vec(&input[before_in..], &mut out, FlushDecompress::Finish)
                .map_err(|e| bad(&format!("inflate: {e}")))?;
            if matches!(status, Status::StreamEnd) {
                break;
            }
            if out.len() == out.capacity() {
                if out.len() >= size {
                    break;
                }
                out.reserve(size - out.len());
            } else if z.total_in() as usize == before_in && out.len() == before_out {
                return Err(bad("truncated entry"));
            }
        }
        if out.len() != size {
            return Err(bad("inflated size does not match the header"));
        }
        Ok((entry, out))
    }
}

/// Objects of a repository's packs by id, each pack read by its own [`PackReader`].
pub struct PackObjects<'a> {
    order: &'a PackOrder,
    packs: &'a [PackEntries],
    readers: HashMap<usize, PackReader<'a>>,
}

impl<'a> PackObjects<'a> {
    /// Objects of `packs`, found through `order` (whose [`PackOrder::packs`] they are).
    pub fn new(order: &'a PackOrder, packs: &'a [PackEntries]) -> PackObjects<'a> {
        PackObjects {
            order,
            packs,
            readers: HashMap::new(),
        }
    }

    /// The object `oid`, when a pack holds it and it reads cleanly.
    pub fn read(&mut self, oid: git2::Oid) -> Option<Arc<[u8]>> {
        let (p, offset) = self.order.key(oid);
        let pack = self.packs.get(p)?;
        let k = pack.position(offset)?;
        let reader = match self.readers.entry(p) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => v.insert(PackReader::open(pack).ok()?),
        };
        reader.read(k).ok()
    }
}

/// Fills `buf` from `file` at `offset`, without moving a shared cursor (positional reads, so
/// readers on several threads need no lock).
pub fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        let mut done = 0;
        while done < buf.len() {
            let n = std::os::windows::fs::FileExt::seek_read(
                file,
                &mut buf[done..],
                offset + done as u64,
            )?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            done += n;
        }
        Ok(())
    }
}

/// Git's delta format: the base's and the result's sizes, then copy-from-base and insert
/// instructions.
pub fn apply_delta(base: &[u8], delta: &[u8]) -> io::Result<Vec<u8>> {
    let mut at = 0;
    let varint = |at: &mut usize| -> io::Result<usize> {
        let mut v = 0usize;
        let mut shift = 0;
        loop {
            let c = *delta.get(*at).ok_or_else(|| bad("delta header"))?;
            *at += 1;
            v |= usize::from(c & 0x7f)
                .checked_shl(shift)
                .ok_or_else(|| bad("delta size"))?;
            shift += 7;
            if c & 0x80 == 0 {
                return Ok(v);
            }
        }
    };
    let base_len = varint(&mut at)?;
    let result_len = varint(&mut at)?;
    if base_len != base.len() {
        return Err(bad("delta base size"));
    }
    let mut out = Vec::with_capacity(result_len);
    while at < delta.len() {
        let op = delta[at];
        at += 1;
        if op & 0x80 != 0 {
            let arg = |bits: u8, shift: u32, at: &mut usize| -> io::Result<usize> {
                if op & bits == 0 {
                    return Ok(0);
                }
                let b = *delta.get(*at).ok_or_else(|| bad("delta copy"))?;
                *at += 1;
                Ok(usize::from(b) << shift)
            };
            let offset = arg(0x01, 0, &mut at)?
                | arg(0x02, 8, &mut at)?
                | arg(0x04, 16, &mut at)?
                | arg(0x08, 24, &mut at)?;
            let mut size =
                arg(0x10, 0, &mut at)? | arg(0x20, 8, &mut at)? | arg(0x40, 16, &mut at)?;
            if size == 0 {
                size = 0x10000;
            }
            let src = base
                .get(offset..offset.checked_add(size).ok_or_else(|| bad("delta copy"))?)
                .ok_or_else(|| bad("delta copy outside the base"))?;
            out.extend_from_slice(src);
        } else if op != 0 {
            let n = usize::from(op);
            out.extend_from_slice(delta.get(at..at + n).ok_or_else(|| bad("delta insert"))?);
            at += n;
        } else {
            return Err(bad("delta opcode 0"));
        }
    }
    if out.len() != result_len {
        return Err(bad("delta result size"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::pack_order::PackOrder;
    use super::*;

    #[test]
    fn applies_copies_and_inserts() {
        let base = b"hello, world";
        // sizes 12 -> 11; copy 5 from 0; insert "!!"; copy 4 from 8 ("orld").
        let delta = [12, 11, 0x91, 0, 5, 2, b'!', b'!', 0x91, 8, 4];
        assert_eq!(apply_delta(base, &delta).unwrap(), b"hello!!orld");
        assert!(
            apply_delta(base, &[3, 1, 1, b'x']).is_err(),
            "wrong base size"
        );
        assert!(
            apply_delta(base, &[12, 5, 0x91, 10, 5]).is_err(),
            "copy past the end"
        );
        assert!(apply_delta(base, &[12, 1, 0]).is_err(), "opcode 0");
    }

    /// Every object of a real, deltified pack reads back as libgit2 reads it.
    #[test]
    fn reads_a_real_pack_like_libgit2() {
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| super::super::test_git::run(dir.path(), args);
        run(&["init", "-q"]);
        let body: String = (0..300)
            .map(|i| format!("line {i}: some text here\n"))
            .collect();
        for v in 0..12 {
            let mut text = body.clone();
            text.insert_str(v * 40, &format!("edit number {v}\n"));
            std::fs::write(dir.path().join("f.txt"), &text).unwrap();
            std::fs::write(dir.path().join(format!("n{}.txt", v % 3)), format!("{v}\n")).unwrap();
            run(&["add", "."]);
            run(&["commit", "-qm", "m"]);
        }
        run(&["repack", "-adfq", "--depth=5"]);
        let packs = PackOrder::load(&dir.path().join(".git/objects")).packs();
        let repo = git2::Repository::open(dir.path()).unwrap();
        let odb = repo.odb().unwrap();
        let mut deltas = 0;
        for pack in &packs {
            let mut reader = PackReader::open(pack).unwrap();
            for (k, e) in pack.entries.iter().enumerate() {
                deltas += usize::from(e.base.is_some());
                let data = reader.read(k).unwrap();
                assert_eq!(&data[..], odb.read(e.oid).unwrap().data(), "{}", e.oid);
            }
            // Out of order, from a cold cache.
            let mut cold = PackReader::open(pack).unwrap();
            let last = pack.entries.len() - 1;
            assert_eq!(
                &cold.read(last).unwrap()[..],
                &reader.read(last).unwrap()[..]
            );
        }
        assert!(deltas > 5, "the pack must hold deltas");
    }

    /// Peeking inflates only the head of a whole object, and agrees with the full read.
    #[test]
    fn peeks_at_the_head_of_a_large_whole_object() {
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| super::super::test_git::run(dir.path(), args);
        run(&["init", "-q"]);
        let mut rng = crate::synthetic::Rng::new(9);
        let big: Vec<u8> = (0..50_000)
            .flat_map(|_| rng.next_u64().to_le_bytes())
            .collect();
        std::fs::write(dir.path().join("big.bin"), &big).unwrap();
        run(&["add", "."]);
        run(&["commit", "-qm", "m"]);
        run(&["repack", "-adq"]);
        let packs = PackOrder::load(&dir.path().join(".git/objects")).packs();
        let pack = &packs[0];
        let k = pack
            .entries
            .iter()
            .position(|e| e.is_blob())
            .expect("the blob");
        let mut reader = PackReader::open(pack).unwrap();
        let (head, size) = reader.peek(k, 8000).unwrap();
        assert_eq!(size, big.len() as u64);
        assert_eq!(head, big[..8000]);
        assert_eq!(&reader.read(k).unwrap()[..], &big[..]);
    }
}
