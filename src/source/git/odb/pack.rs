//! Pack files (`objects/pack/*.pack`): where their objects sit ([`PackOrder`], from the pack
//! indexes), which of them are blobs ([`PackEntries`], from the entry headers alone), and their
//! contents ([`PackReader`], [`PackObjects`]), read without libgit2.
//!
//! Why pack order: git stores a file's newest version whole and older versions as deltas against
//! newer ones, bases before deltas. Read in commit order (oldest first), every blob would rebuild
//! its delta chain from scratch; read in pack order, each base was read just before and sits in
//! the reader's cache. Why not libgit2: every libgit2 read goes through locks shared by the whole
//! process (its pack and window caches), so the commit walk and the blob readers would take turns
//! on two cores. Each reader owns its file handle and a small cache of recent objects, and reads
//! with positional reads. Anything unexpected is an error for that one object, which the callers
//! then read again with libgit2.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flate2::{Decompress, FlushDecompress};
use git2::Oid;
use libdeflater::{DecompressionError, Decompressor};

use super::super::oid_set::IntMap;
use super::delta::apply_delta;
use super::entry::{EntryHeader, ObjectKind, ObjectType, ENTRY_HEADER_MAX};
use super::error::OdbError;
use super::idx::PackIndex;

/// Bytes of decoded objects a reader keeps for deltas to come.
///
/// Trees and commits, mostly, and only delta bases ([`PackEntry::is_base`]): 32 MiB costs no
/// measurable CPU against 48 on git/git's history (master: 0.91x against 0.94x the floor's CPU,
/// paired) and saves ~30 MB of peak memory with two walkers.
const CACHE_BYTES: usize = 32 << 20;
/// Objects larger than this are not kept (git's own limit for its delta-base cache is similar).
const CACHE_MAX_OBJECT: usize = 4 << 20;
/// Longer delta chains are taken for a loop (git's default depth is 50; `--depth` rarely goes
/// past a few thousand).
const MAX_DELTA_CHAIN: usize = 10_000;
/// Deflate's largest expansion: an object's size beyond this many bytes per compressed byte
/// cannot be real, so no buffer is reserved for it.
const MAX_DEFLATE_RATIO: u64 = 1032;
/// The pack ends with a checksum of this many bytes.
const PACK_CHECKSUM: u64 = 20;

/// Where objects sit in the repository's packs.
#[derive(Debug, Default)]
pub(crate) struct PackOrder {
    indexes: Vec<PackIndex>,
    /// Indexes found that could not be read.
    unread: usize,
}

impl PackOrder {
    /// Reads the pack indexes of the object directory `objects`. Unreadable or unknown indexes
    /// are left out: their objects are read last, in the order met, which is slower, not wrong.
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn load(objects: &Path) -> PackOrder {
        PackOrder::load_dirs(&[objects.to_path_buf()])
    }

    /// Reads the pack indexes of several object directories (a repository's own, then a push's
    /// quarantine), in that order.
    pub(crate) fn load_dirs(dirs: &[PathBuf]) -> PackOrder {
        let mut indexes = Vec::new();
        let mut unread = 0;
        for objects in dirs {
            match std::fs::read_dir(objects.join("pack")) {
                Ok(dir) => {
                    let mut paths: Vec<_> = dir
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| p.extension().is_some_and(|x| x == "idx"))
                        .collect();
                    paths.sort();
                    for path in paths {
                        match PackIndex::open(&path) {
                            Ok(index) => indexes.push(index),
                            Err(_) => unread += 1,
                        }
                    }
                }
                // No pack directory holds no pack; one that cannot be listed may.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(_) => unread += 1,
            }
        }
        PackOrder { indexes, unread }
    }

    /// A sort key: (pack number, offset in the pack); loose and unknown objects sort last, and
    /// so do objects whose index entry is corrupt.
    pub(crate) fn key(&self, oid: Oid) -> (usize, u64) {
        let raw = oid.as_bytes();
        self.indexes
            .iter()
            .enumerate()
            .find_map(|(i, idx)| idx.lookup(raw).ok().flatten().map(|o| (i, o)))
            .unwrap_or((usize::MAX, u64::MAX))
    }

    /// Whether `packs` (the [`PackOrder::packs`] of this order) list every object of every pack
    /// found: each index was read, each pack listed whole, each entry typed.
    pub(crate) fn lists_all(&self, packs: &[PackEntries]) -> bool {
        self.unread == 0
            && packs.len() == self.indexes.len()
            && self.indexes.iter().zip(packs).all(|(index, pack)| {
                pack.entries.len() == index.count() && pack.entries.iter().all(|e| e.kind.is_some())
            })
    }

    /// The entries of every pack, in offset order. A pack that cannot be read is left out: its
    /// blobs are read later, with libgit2, in the order the walk meets them.
    /// The n-th pack of the list has the n-th index's pack number of [`PackOrder::key`].
    pub(crate) fn packs(&self) -> Vec<PackEntries> {
        self.indexes
            .iter()
            .map(|i| {
                PackEntries::read(i).unwrap_or_else(|_| PackEntries {
                    pack: i.pack().to_path_buf(),
                    entries: Vec::new(),
                    data_end: 0,
                })
            })
            .collect()
    }
}

/// One object of a pack, as its index and entry header describe it: 40 bytes, one per object
/// of every pack (849,000 on every ref of git/git), kept for the whole scan. Where an entry ends
/// is where the next starts ([`PackEntries::end`]).
#[derive(Debug, Clone)]
pub(crate) struct PackEntry {
    /// The object.
    pub(crate) oid: Oid,
    /// Where its entry starts.
    pub(crate) offset: u64,
    /// The object's type (a delta's is its base's); `None` when its header does not parse or
    /// its base is not in the pack.
    pub(crate) kind: Option<ObjectType>,
    /// For a delta, the position of its base in [`PackEntries::entries`] (an index counts its
    /// objects in 32 bits); see [`PackEntry::base`].
    base: Option<u32>,
    /// Whether some delta of the pack has this entry as its base: only those are worth keeping
    /// once read.
    pub(crate) is_base: bool,
}

impl PackEntry {
    /// An entry of a pack, read from its index and header: `base` is the position of a
    /// delta's base.
    pub(crate) fn new(
        oid: Oid,
        offset: u64,
        kind: Option<ObjectType>,
        base: Option<usize>,
    ) -> Self {
        PackEntry {
            oid,
            offset,
            kind,
            base: base.and_then(|b| u32::try_from(b).ok()),
            is_base: false,
        }
    }

    /// For a delta, the position of its base in [`PackEntries::entries`].
    pub(crate) fn base(&self) -> Option<usize> {
        self.base.map(|b| b as usize)
    }

    /// True for a blob.
    pub(crate) fn is_blob(&self) -> bool {
        self.kind == Some(ObjectType::Blob)
    }
}

/// The entries of one pack file, in offset order.
#[derive(Debug)]
pub(crate) struct PackEntries {
    /// The `.pack` file.
    pub(crate) pack: PathBuf,
    /// Its entries by offset.
    pub(crate) entries: Vec<PackEntry>,
    /// Where its data ends: the offset of its checksum.
    pub(crate) data_end: u64,
}

impl PackEntries {
    /// The entries of the pack `index` describes, in offset order, typed from their headers
    /// alone: a delta has its base's type, and an offset delta's base always comes earlier in
    /// the pack. An entry whose header does not parse is listed untyped.
    fn read(index: &PackIndex) -> Result<PackEntries, OdbError> {
        let path = index.pack();
        let open = |error| OdbError::Open {
            file: path.to_path_buf(),
            error,
        };
        let pack = File::open(path).map_err(open)?;
        let data_end = pack
            .metadata()
            .map_err(open)?
            .len()
            .saturating_sub(PACK_CHECKSUM);
        let sorted = index.in_pack_order()?;
        let position = |offset: u64| sorted.binary_search_by_key(&offset, |e| e.0).ok();
        let mut entries: Vec<PackEntry> = Vec::with_capacity(sorted.len());
        let mut pending: Vec<(usize, usize)> = Vec::new();
        let mut headers = HeaderWindow::default();
        for (k, &(offset, i)) in sorted.iter().enumerate() {
            // Clamped to the pack's data, so that no read of the entry (nor a buffer for it) goes
            // past the file whatever a corrupt or mismatched index says.
            let end = sorted
                .get(k + 1)
                .map_or(data_end, |e| e.0)
                .min(data_end)
                .max(offset);
            let n = ENTRY_HEADER_MAX.min((end - offset) as usize);
            let header = headers.get(&pack, path, &sorted[k..], n, data_end)?;
            // A header that does not parse leaves the entry untyped: it is no blob to prescan,
            // and whoever needs it reads it with libgit2.
            let kind = EntryHeader::parse(header, path, offset)
                .ok()
                .map(|h| h.kind);
            let base = match &kind {
                Some(ObjectKind::OfsDelta { base_offset }) => position(*base_offset),
                // Every offset of the index was read above: the lookup cannot fail.
                Some(ObjectKind::RefDelta { base }) => {
                    index.lookup(base).ok().flatten().and_then(position)
                }
                _ => None,
            };
            let mut entry = PackEntry::new(index.oid_at(i), offset, None, base);
            match (&kind, entry.base()) {
                // A delta has its base's type, known when the base comes earlier.
                (_, Some(b)) if b < k => entry.kind = entries[b].kind,
                (Some(ObjectKind::RefDelta { .. }), Some(b)) => pending.push((k, b)),
                (Some(kind), _) => entry.kind = kind.object_type(),
                (None, _) => {}
            }
            entries.push(entry);
        }
        // Reference deltas whose base comes later (thin packs completed by index-pack).
        while !pending.is_empty() {
            let before = pending.len();
            pending.retain(|&(k, b)| {
                if entries[b].kind.is_none() {
                    return true;
                }
                entries[k].kind = entries[b].kind;
                false
            });
            if pending.len() == before {
                break;
            }
        }
        type_chains(&mut entries);
        for k in 0..entries.len() {
            if let Some(b) = entries[k].base() {
                entries[b].is_base = true;
            }
        }
        Ok(PackEntries {
            pack: path.to_path_buf(),
            entries,
            data_end,
        })
    }

    /// Where entry `k` ends: where the next starts, or the pack's checksum; never before the
    /// entry's start, never past the pack's data (whatever a corrupt or mismatched index says).
    pub(crate) fn end(&self, k: usize) -> u64 {
        let offset = self.entries[k].offset;
        self.entries
            .get(k + 1)
            .map_or(self.data_end, |e| e.offset)
            .min(self.data_end)
            .max(offset)
    }

    /// Every blob of the pack, each delta family together: a whole blob, then the deltas based
    /// on it and on them, depth first (a delta right after its base, so that the base is at
    /// hand in the reader's cache: each base is inflated once, as `git index-pack` resolves a
    /// pack, where pack order can leave a base's deltas far apart and the base evicted between
    /// them). Families are in the pack order of their whole blob; a blob whose chain reaches no
    /// whole blob of the pack (a crafted pack) comes last, in pack order. Also returns where
    /// each family starts in the list.
    pub(crate) fn blob_families(&self) -> (Vec<usize>, Vec<usize>) {
        let entries = &self.entries;
        let n = entries.len();
        // The deltas based on each entry, as one array sliced by `first`.
        let mut first = vec![0usize; n + 1];
        let base_of = |k: usize| entries[k].base().filter(|&b| b < n && entries[b].is_blob());
        for k in (0..n).filter(|&k| entries[k].is_blob()) {
            if let Some(b) = base_of(k) {
                first[b + 1] += 1;
            }
        }
        for i in 0..n {
            first[i + 1] += first[i];
        }
        let mut kids = vec![0usize; first[n]];
        let mut filled = first.clone();
        for k in (0..n).filter(|&k| entries[k].is_blob()) {
            if let Some(b) = base_of(k) {
                kids[filled[b]] = k;
                filled[b] += 1;
            }
        }
        let mut order = Vec::new();
        let mut starts = Vec::new();
        let mut placed = vec![false; n];
        let mut stack = Vec::new();
        for root in (0..n).filter(|&k| entries[k].is_blob() && base_of(k).is_none()) {
            starts.push(order.len());
            stack.push(root);
            while let Some(k) = stack.pop() {
                if std::mem::replace(&mut placed[k], true) {
                    continue;
                }
                order.push(k);
                // Reversed, so that the deltas of a base are read in pack order.
                stack.extend(kids[first[k]..first[k + 1]].iter().rev());
            }
        }
        let rest: Vec<usize> = (0..n)
            .filter(|&k| entries[k].is_blob() && !placed[k])
            .collect();
        if !rest.is_empty() {
            starts.push(order.len());
            order.extend(rest);
        }
        (order, starts)
    }

    /// The position of the entry at `offset`.
    pub(crate) fn position(&self, offset: u64) -> Option<usize> {
        self.entries
            .binary_search_by_key(&offset, |e| e.offset)
            .ok()
    }
}

/// Entry headers read a stretch of the pack at a time: one positional read for every entry
/// header that starts within [`HeaderWindow::SPAN`] bytes of the first, instead of a read per
/// entry (407,000 reads of 32 bytes on git/git's master, ~4 % of a one-thread history scan in
/// system calls). A large entry between two headers is read past, never into: a stretch ends
/// where the next header starts too far away.
#[derive(Default)]
struct HeaderWindow {
    /// Where `bytes` starts in the pack.
    start: u64,
    bytes: Vec<u8>,
}

impl HeaderWindow {
    /// Bytes from the first header of a stretch to the last one's start.
    const SPAN: u64 = 256 << 10;

    /// The first `n` bytes of the first entry of `next` (entries by offset, as the index lists
    /// them), none of them past `data_end`.
    fn get(
        &mut self,
        pack: &File,
        path: &Path,
        next: &[(u64, usize)],
        n: usize,
        data_end: u64,
    ) -> Result<&[u8], OdbError> {
        let offset = next[0].0;
        let held = self.start + self.bytes.len() as u64;
        if offset < self.start || offset + n as u64 > held {
            // The headers of the entries starting within SPAN of this one (they are sorted).
            let last = next
                .iter()
                .take_while(|e| e.0 < offset.saturating_add(Self::SPAN))
                .last()
                .map_or(offset, |e| e.0.max(offset));
            let until = last
                .saturating_add(ENTRY_HEADER_MAX as u64)
                .min(data_end)
                .max(offset + n as u64);
            self.start = offset;
            self.bytes.resize((until - offset) as usize, 0);
            read_at(pack, path, &mut self.bytes, offset)?;
        }
        let at = (offset - self.start) as usize;
        Ok(&self.bytes[at..at + n])
    }
}

/// Types the deltas still untyped: those whose chain reaches a whole object only through a
/// reference delta whose base comes later (an offset delta based on such a reference delta, at
/// any depth). Each entry is walked once: a walk ends at a typed entry (and types its whole
/// path), at a missing base, or at an entry already walked (a loop, or a chain already found
/// dead), which leaves its path untyped: the reader refuses those at once.
fn type_chains(entries: &mut [PackEntry]) {
    let mut walked = vec![false; entries.len()];
    let mut path = Vec::new();
    for k in 0..entries.len() {
        if entries[k].kind.is_some() || entries[k].base.is_none() || walked[k] {
            continue;
        }
        path.clear();
        let mut at = k;
        let kind = loop {
            if let Some(kind) = entries[at].kind {
                break Some(kind);
            }
            if walked[at] {
                break None;
            }
            walked[at] = true;
            path.push(at);
            match entries[at].base() {
                Some(b) => at = b,
                None => break None,
            }
        };
        if kind.is_some() {
            for &p in &path {
                entries[p].kind = kind;
            }
        }
    }
}

/// A reader of one pack's objects.
pub(crate) struct PackReader<'a> {
    pack: &'a PackEntries,
    file: File,
    cache: IntMap<Arc<Vec<u8>>>,
    order: VecDeque<usize>,
    cached: usize,
    raw: Vec<u8>,
    /// One inflater for every entry prefix ([`PackReader::peek`]), reset between them: no
    /// allocation and set-up per entry.
    z: Decompress,
    /// The inflater of whole entries ([`PackReader::inflate`]).
    deflate: Decompressor,
    /// Bytes of objects kept for deltas to come.
    budget: usize,
}

impl<'a> PackReader<'a> {
    /// Opens the pack file of `pack`.
    pub(crate) fn open(pack: &'a PackEntries) -> Result<PackReader<'a>, OdbError> {
        let file = File::open(&pack.pack).map_err(|error| OdbError::Open {
            file: pack.pack.clone(),
            error,
        })?;
        Ok(PackReader {
            pack,
            file,
            cache: IntMap::default(),
            order: VecDeque::new(),
            cached: 0,
            raw: Vec::new(),
            z: Decompress::new(true),
            deflate: Decompressor::new(),
            budget: CACHE_BYTES,
        })
    }

    /// Keeps at most `bytes` of objects for deltas to come (instead of the default).
    pub(crate) fn with_cache(mut self, bytes: usize) -> PackReader<'a> {
        self.budget = bytes;
        self
    }

    /// The error `fault` makes for entry `k`.
    #[cold]
    fn fault(&self, k: usize, fault: impl FnOnce(PathBuf, u64) -> OdbError) -> OdbError {
        fault(self.pack.pack.clone(), self.pack.entries[k].offset)
    }

    /// The object at position `k` of the pack's entries, its delta chain resolved.
    pub(crate) fn read(&mut self, k: usize) -> Result<Arc<Vec<u8>>, OdbError> {
        // Walk down the chain to a cached object or a whole one, then apply deltas upwards.
        let mut chain = Vec::new();
        // Entries reached by a step forward in the pack (a reference delta whose base comes
        // later): the only way back onto the chain, so a loop shows as one of them reached twice,
        // after one turn, not after MAX_DELTA_CHAIN inflated copies of its deltas.
        let mut forward: Vec<usize> = Vec::new();
        let mut at = k;
        let mut base = loop {
            if let Some(hit) = self.cache.get(&at) {
                break hit.clone();
            }
            let (kind, payload) = self.inflate(at)?;
            if kind.object_type().is_some() {
                let whole = Arc::new(payload);
                self.keep(at, &whole);
                break whole;
            }
            chain.push((at, payload));
            // A delta left untyped by the listing has no chain down to a whole object: its base
            // is missing, unreadable, or the chain loops (a delta based on itself, two based on
            // each other), which would be followed, a payload held per turn, up to the limit.
            let next = match self.pack.entries[at] {
                PackEntry {
                    base: Some(b),
                    kind: Some(_),
                    ..
                } => b as usize,
                PackEntry { base: Some(_), .. } => {
                    return Err(self.fault(at, |file, offset| OdbError::DeltaLoop { file, offset }))
                }
                PackEntry { base: None, .. } => {
                    return Err(self.fault(at, |file, offset| OdbError::DeltaBaseMissing {
                        file,
                        offset,
                    }))
                }
            };
            let looped = next >= at && forward.contains(&next);
            if next >= at {
                forward.push(next);
            }
            at = next;
            if looped || chain.len() > MAX_DELTA_CHAIN {
                return Err(self.fault(k, |file, offset| OdbError::DeltaChain {
                    file,
                    offset,
                    max: MAX_DELTA_CHAIN,
                }));
            }
        };
        while let Some((pos, delta)) = chain.pop() {
            base = match apply_delta(&base, &delta) {
                Ok(data) => Arc::new(data),
                Err(fault) => {
                    return Err(self.fault(pos, |file, offset| OdbError::Delta {
                        file,
                        offset,
                        fault,
                    }))
                }
            };
            self.keep(pos, &base);
        }
        Ok(base)
    }

    /// Keeps entry `k`, read as `data`, for the deltas based on it to come; an object no delta
    /// is based on is not kept (most blobs: they would only push the bases out).
    fn keep(&mut self, k: usize, data: &Arc<Vec<u8>>) {
        if !self.pack.entries[k].is_base
            || data.len() > CACHE_MAX_OBJECT
            || self.cache.contains_key(&k)
        {
            return;
        }
        self.cache.insert(k, data.clone());
        self.order.push_back(k);
        self.cached += data.len();
        while self.cached > self.budget {
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
    /// without inflating all of it. `None` for a delta.
    pub(crate) fn peek(&mut self, k: usize, n: usize) -> Result<Option<(Vec<u8>, u64)>, OdbError> {
        const COMPRESSED_PREFIX: u64 = 64 << 10;
        let e = &self.pack.entries[k];
        let len = (self.pack.end(k) - e.offset).min(COMPRESSED_PREFIX) as usize;
        self.raw.resize(len, 0);
        read_at(&self.file, &self.pack.pack, &mut self.raw, e.offset)?;
        let header = EntryHeader::parse(&self.raw, &self.pack.pack, e.offset)?;
        if header.kind.object_type().is_none() {
            return Ok(None);
        }
        let want = usize::try_from(header.size).map_or(n, |size| size.min(n));
        let mut out = Vec::with_capacity(want);
        let z = &mut self.z;
        z.reset(true);
        z.decompress_vec(&self.raw[header.len..], &mut out, FlushDecompress::None)
            .map_err(|error| OdbError::Zlib {
                file: self.pack.pack.clone(),
                offset: e.offset,
                error,
            })?;
        if out.len() != want {
            return Err(self.fault(k, |file, offset| OdbError::ZlibTruncated { file, offset }));
        }
        Ok(Some((out, header.size)))
    }

    /// Reads and inflates entry `k`: what its header says it is, and its payload (the object,
    /// or the delta).
    fn inflate(&mut self, k: usize) -> Result<(ObjectKind, Vec<u8>), OdbError> {
        let e = &self.pack.entries[k];
        let entry_len = self.pack.end(k) - e.offset;
        let len = usize::try_from(entry_len).map_err(|_| OdbError::TooLarge {
            file: self.pack.pack.clone(),
            offset: e.offset,
            size: entry_len,
        })?;
        self.raw.resize(len, 0);
        read_at(&self.file, &self.pack.pack, &mut self.raw, e.offset)?;
        let header = EntryHeader::parse(&self.raw, &self.pack.pack, e.offset)?;
        let compressed = (len - header.len) as u64;
        if header.size > compressed.saturating_mul(MAX_DEFLATE_RATIO) {
            return Err(OdbError::ImplausibleSize {
                file: self.pack.pack.clone(),
                offset: e.offset,
                size: header.size,
                compressed,
            });
        }
        let size = usize::try_from(header.size).map_err(|_| OdbError::TooLarge {
            file: self.pack.pack.clone(),
            offset: e.offset,
            size: header.size,
        })?;
        // The zlib stream whole, in one call (the size is known: libdeflate inflates git/git's
        // 407,000 pack entries in 0.6x the time zlib-rs takes), its Adler-32 checked: a corrupt
        // entry that still inflates to its declared size (a flipped literal) is caught here, not
        // scanned or walked as it is. Bytes past the stream's end are not read.
        let mut out = vec![0u8; size];
        let inflated = self
            .deflate
            .zlib_decompress(&self.raw[header.len..], &mut out);
        match inflated {
            Ok(n) if n == size => Ok((header.kind, out)),
            Ok(n) => Err(self.fault(k, |file, offset| OdbError::InflatedSize {
                file,
                offset,
                expected: header.size,
                actual: n as u64,
            })),
            Err(DecompressionError::InsufficientSpace) => {
                Err(self.fault(k, |file, offset| OdbError::InflatesPast {
                    file,
                    offset,
                    expected: header.size,
                }))
            }
            Err(DecompressionError::BadData) => {
                Err(self.fault(k, |file, offset| OdbError::Deflate { file, offset }))
            }
        }
    }
}

/// A commit's tree and the whole commit.
pub(crate) type TreeAndCommit = (Oid, Arc<Vec<u8>>);

/// Objects of a repository's packs by id, each pack read by its own [`PackReader`].
pub(crate) struct PackObjects<'a> {
    order: &'a PackOrder,
    packs: &'a [PackEntries],
    readers: HashMap<usize, PackReader<'a>>,
}

impl<'a> PackObjects<'a> {
    /// Objects of `packs`, found through `order` (whose [`PackOrder::packs`] they are).
    pub(crate) fn new(order: &'a PackOrder, packs: &'a [PackEntries]) -> PackObjects<'a> {
        PackObjects {
            order,
            packs,
            readers: HashMap::new(),
        }
    }

    /// The object `oid`; `None` when no listed pack holds it.
    pub(crate) fn read(&mut self, oid: Oid) -> Result<Option<Arc<Vec<u8>>>, OdbError> {
        match self.locate(oid)? {
            Some((reader, k)) => reader.read(k).map(Some),
            None => Ok(None),
        }
    }

    /// The bytes object `oid` takes in its pack (compressed, with its header); `None` when no
    /// listed pack holds it.
    pub(crate) fn stored_len(&mut self, oid: Oid) -> Result<Option<u64>, OdbError> {
        Ok(self
            .locate(oid)?
            .map(|(reader, k)| reader.pack.end(k) - reader.pack.entries[k].offset))
    }

    /// The type of object `oid` as the pack listing gives it; `None` when no listed pack holds
    /// it or its entry is untyped.
    pub(crate) fn kind(&mut self, oid: Oid) -> Result<Option<ObjectType>, OdbError> {
        Ok(self
            .locate(oid)?
            .and_then(|(reader, k)| reader.pack.entries[k].kind))
    }

    /// The tree the commit `oid` names on its first line, inflating no more of the commit than
    /// that line when it is stored whole. `None` when no listed pack holds it, or when its
    /// first line is not a tree line (then libgit2 reads it and says what is wrong).
    pub(crate) fn commit_tree(&mut self, oid: Oid) -> Result<Option<Oid>, OdbError> {
        // `tree ` + 40 hex digits + a line feed.
        const HEAD: usize = 46;
        let Some((reader, k)) = self.locate(oid)? else {
            return Ok(None);
        };
        let head = match reader.peek(k, HEAD)? {
            Some((head, _)) => head,
            None => reader.read(k)?.iter().take(HEAD).copied().collect(),
        };
        Ok(tree_line(&head))
    }

    /// The commit `oid` whole, with the tree its first line names: for a walk that also scans
    /// the commit's message. `None` as for [`PackObjects::commit_tree`].
    pub(crate) fn commit(&mut self, oid: Oid) -> Result<Option<TreeAndCommit>, OdbError> {
        let Some(data) = self.read(oid)? else {
            return Ok(None);
        };
        let line = data
            .iter()
            .position(|&b| b == b'\n')
            .map_or(&data[..0], |i| &data[..=i]);
        Ok(tree_line(line).map(|tree| (tree, data)))
    }

    /// The reader of the pack holding `oid` and the object's entry in it.
    fn locate(&mut self, oid: Oid) -> Result<Option<(&mut PackReader<'a>, usize)>, OdbError> {
        let (p, offset) = self.order.key(oid);
        let Some(pack) = self.packs.get(p) else {
            return Ok(None);
        };
        let Some(k) = pack.position(offset) else {
            return Ok(None);
        };
        let reader = match self.readers.entry(p) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => v.insert(PackReader::open(pack)?),
        };
        Ok(Some((reader, k)))
    }
}

/// The tree id of a commit's first line, `tree <40 hex digits>\n`.
fn tree_line(head: &[u8]) -> Option<Oid> {
    let hex = head.strip_prefix(b"tree ")?.strip_suffix(b"\n")?;
    if hex.len() != 40 || !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    Oid::from_str(std::str::from_utf8(hex).ok()?).ok()
}

/// Fills `buf` from `file` (the pack `path`) at `offset`, without moving a shared cursor
/// (positional reads, so readers on several threads need no lock).
fn read_at(file: &File, path: &Path, buf: &mut [u8], offset: u64) -> Result<(), OdbError> {
    read_exact_at(file, buf, offset).map_err(|error| OdbError::Read {
        file: path.to_path_buf(),
        offset,
        len: buf.len(),
        error,
    })
}

/// Checks that the pack of `index` ends with the checksum the index records for it (a truncated
/// or end-damaged pack does not): reads 20 bytes, never the whole pack.
pub(super) fn check_pack(index: &PackIndex) -> Result<(), OdbError> {
    let pack = index.pack();
    let open_error = |error| OdbError::Open {
        file: pack.to_path_buf(),
        error,
    };
    let file = File::open(pack).map_err(open_error)?;
    let len = file.metadata().map_err(open_error)?.len();
    let mut have = [0u8; 20];
    let read = len
        .checked_sub(20)
        .filter(|&at| at >= 12)
        .map(|at| read_exact_at(&file, &mut have, at));
    match read {
        Some(Ok(())) if have == index.pack_checksum() => Ok(()),
        _ => Err(OdbError::PackMismatch {
            file: pack.to_path_buf(),
            len,
        }),
    }
}

fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
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

#[cfg(test)]
#[path = "pack_tests.rs"]
mod tests;
