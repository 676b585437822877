//! Pack indexes (`objects/pack/*.idx`, version 2): a fanout table of counts by first id byte, the
//! sorted object ids, their CRCs, their 32-bit offsets in the pack, and 64-bit offsets for packs
//! past 2 GiB. The index is what finds an object's offset in its pack, and what lists a pack's
//! objects in pack order (by offset) without reading the pack. The whole file is read once and
//! its sizes checked against the count the fanout gives; lookups then only index into it.

use std::path::{Path, PathBuf};

use git2::Oid;

use super::error::OdbError;

const IDX_MAGIC: [u8; 4] = [0xff, b't', b'O', b'c'];
const FANOUT_AT: usize = 8;
const SHAS_AT: usize = FANOUT_AT + 256 * 4;
/// Set in a 32-bit offset: the other bits number an entry of the 64-bit offset table.
const LARGE_OFFSET: u32 = 0x8000_0000;
/// Per object: its id (20 bytes), its CRC (4) and its 32-bit offset (4).
const PER_OBJECT: u64 = 28;
/// The pack's and the index's checksums end the file.
const TRAILER: u64 = 40;

/// A parsed version-2 pack index.
#[derive(Debug)]
pub(crate) struct PackIndex {
    data: Vec<u8>,
    count: usize,
    /// Entries of the 64-bit offset table.
    large: usize,
    /// The `.idx` file.
    file: PathBuf,
    /// The `.pack` file it describes.
    pack: PathBuf,
}

/// The big-endian u32 at `at`; callers checked that `data` holds it.
fn be32(data: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]])
}

impl PackIndex {
    /// Reads the index `file` of the pack beside it (same name, `.pack`).
    pub(crate) fn open(file: &Path) -> Result<PackIndex, OdbError> {
        let data = std::fs::read(file).map_err(|error| OdbError::Open {
            file: file.to_path_buf(),
            error,
        })?;
        PackIndex::parse(data, file.to_path_buf(), file.with_extension("pack"))
    }

    /// Parses `data`, the index `file` of the pack `pack`: checks the header, that the fanout
    /// never decreases, and that the file holds the tables of every object it counts.
    pub(crate) fn parse(
        data: Vec<u8>,
        file: PathBuf,
        pack: PathBuf,
    ) -> Result<PackIndex, OdbError> {
        if data.len() < SHAS_AT || data[..4] != IDX_MAGIC || be32(&data, 4) != 2 {
            return Err(OdbError::IdxHeader { file });
        }
        let mut count = 0;
        for at in (FANOUT_AT..SHAS_AT).step_by(4) {
            let n = be32(&data, at);
            if n < count {
                return Err(OdbError::IdxFanout {
                    file,
                    offset: at as u64,
                });
            }
            count = n;
        }
        // Ids, CRCs and 32-bit offsets, then 64-bit offsets and the two checksums.
        let need = SHAS_AT as u64 + u64::from(count) * PER_OBJECT + TRAILER;
        let len = data.len() as u64;
        if len < need {
            return Err(OdbError::IdxTruncated {
                file,
                count: u64::from(count),
                need,
                len,
            });
        }
        Ok(PackIndex {
            count: count as usize,
            large: ((len - need) / 8) as usize,
            data,
            file,
            pack,
        })
    }

    /// The checksum of the pack this index records (the pack's last 20 bytes).
    pub(crate) fn pack_checksum(&self) -> &[u8] {
        &self.data[self.data.len() - TRAILER as usize..][..20]
    }

    /// How many objects the index lists.
    pub(crate) fn count(&self) -> usize {
        self.count
    }

    /// The `.pack` file this index describes.
    pub(crate) fn pack(&self) -> &Path {
        &self.pack
    }

    /// The id bytes of object `i` (in id order).
    fn oid_bytes(&self, i: usize) -> &[u8] {
        &self.data[SHAS_AT + i * 20..SHAS_AT + i * 20 + 20]
    }

    /// The id of object `i` (in id order).
    pub(crate) fn oid_at(&self, i: usize) -> Oid {
        Oid::from_bytes(self.oid_bytes(i)).unwrap_or_else(|_| Oid::zero())
    }

    /// The offset in the pack of `oid` (20 bytes); `None` when this pack does not hold it.
    pub(crate) fn lookup(&self, oid: &[u8]) -> Result<Option<u64>, OdbError> {
        let Some(&first) = oid.first() else {
            return Ok(None);
        };
        let first = usize::from(first);
        let mut lo = if first == 0 {
            0
        } else {
            be32(&self.data, FANOUT_AT + (first - 1) * 4) as usize
        };
        let mut hi = be32(&self.data, FANOUT_AT + first * 4) as usize;
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.oid_bytes(mid).cmp(oid) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return self.offset_at(mid).map(Some),
            }
        }
        Ok(None)
    }

    /// The offset in the pack of object `i` (in id order).
    pub(crate) fn offset_at(&self, i: usize) -> Result<u64, OdbError> {
        let offsets = SHAS_AT + self.count * 24;
        let small = be32(&self.data, offsets + i * 4);
        if small & LARGE_OFFSET == 0 {
            return Ok(u64::from(small));
        }
        let index = small & !LARGE_OFFSET;
        if index as usize >= self.large {
            return Err(OdbError::IdxLargeOffset {
                file: self.file.clone(),
                offset: (offsets + i * 4) as u64,
                index,
            });
        }
        let at = offsets + self.count * 4 + index as usize * 8;
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&self.data[at..at + 8]);
        Ok(u64::from_be_bytes(bytes))
    }

    /// Every object as (offset, number in id order), in pack order.
    pub(crate) fn in_pack_order(&self) -> Result<Vec<(u64, usize)>, OdbError> {
        let mut sorted = Vec::with_capacity(self.count);
        for i in 0..self.count {
            sorted.push((self.offset_at(i)?, i));
        }
        sorted.sort_unstable();
        Ok(sorted)
    }
}

/// A version-2 index of `objects` (sorted ids with their offsets), as git writes it.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn build_idx(objects: &[([u8; 20], u64)]) -> Vec<u8> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(data: Vec<u8>) -> Result<PackIndex, OdbError> {
        PackIndex::parse(
            data,
            PathBuf::from("pack-1234.idx"),
            PathBuf::from("pack-1234.pack"),
        )
    }

    #[test]
    fn lists_objects_in_pack_order() {
        let (a, b, c) = ([0x01; 20], [0x7f; 20], [0xff; 20]);
        let idx = parse(build_idx(&[(a, 300), (b, 5_000_000_000), (c, 12)])).unwrap();
        assert_eq!(
            idx.in_pack_order().unwrap(),
            vec![(12, 2), (300, 0), (5_000_000_000, 1)]
        );
        assert_eq!(idx.oid_at(1), Oid::from_bytes(&b).unwrap());
        assert_eq!(idx.lookup(&c).unwrap(), Some(12));
        assert_eq!(idx.lookup(&[0x02; 20]).unwrap(), None);
    }

    /// A corrupt index gives an error naming the file and the offset at fault, never a panic.
    #[test]
    fn corrupt_indexes_name_the_file_and_offset() {
        let good = build_idx(&[([0x01; 20], 12), ([0x7f; 20], 5_000_000_000)]);

        let err = parse(b"not an index".to_vec()).unwrap_err();
        assert!(matches!(err, OdbError::IdxHeader { .. }));
        assert_eq!(
            err.to_string(),
            "pack-1234.idx: offset 0: not a version 2 pack index"
        );

        let mut fanout = good.clone();
        fanout[FANOUT_AT + 0x80 * 4 + 3] = 0; // count 0 after counts of 2
        let err = parse(fanout).unwrap_err();
        let at = FANOUT_AT + 0x80 * 4;
        assert!(matches!(err, OdbError::IdxFanout { offset, .. } if offset == at as u64));
        assert_eq!(
            err.to_string(),
            format!("pack-1234.idx: offset {at}: bad fanout (counts must not decrease)")
        );

        let cut = good[..good.len() - 60].to_vec();
        let err = parse(cut).unwrap_err();
        assert!(
            matches!(err, OdbError::IdxTruncated { count: 2, .. }),
            "{err}"
        );
        assert!(
            err.to_string().starts_with("pack-1234.idx: offset "),
            "{err}"
        );

        // Drop the 64-bit offset table: the large offset points past its end.
        let mut no_large = good[..good.len() - 48].to_vec();
        no_large.extend([0u8; 40]);
        let idx = parse(no_large).unwrap();
        let offsets = SHAS_AT + 2 * 24;
        let err = idx.in_pack_order().unwrap_err();
        assert!(
            matches!(err, OdbError::IdxLargeOffset { offset, index: 0, .. } if offset == offsets as u64 + 4),
            "{err}"
        );
        assert!(idx.lookup(&[0x7f; 20]).is_err());
        assert_eq!(idx.lookup(&[0x01; 20]).unwrap(), Some(12));
    }
}
