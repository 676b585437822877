//! Pack entry headers: each object of a pack starts with its type and inflated size, and a delta
//! then names its base, by distance back in the pack or by object id. Parsing one needs only the
//! first bytes of the entry (at most [`ENTRY_HEADER_MAX`]), which is how a pack is listed by type
//! without inflating anything.

use std::path::Path;

use super::error::OdbError;

/// Pack entry types (the three bits after the first byte's continuation bit).
const OBJ_COMMIT: u8 = 1;
const OBJ_TREE: u8 = 2;
const OBJ_BLOB: u8 = 3;
const OBJ_TAG: u8 = 4;
const OBJ_OFS_DELTA: u8 = 6;
const OBJ_REF_DELTA: u8 = 7;

/// Longest entry header: type and size (up to 10 bytes), then a delta's base (up to 20).
pub(crate) const ENTRY_HEADER_MAX: usize = 32;

/// The type of an object, whether its entry holds it whole or as a delta.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ObjectType {
    /// A commit.
    Commit,
    /// A tree.
    Tree,
    /// A blob.
    Blob,
    /// An annotated tag.
    Tag,
}

/// What a pack entry holds, as its header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ObjectKind {
    /// A whole commit.
    Commit,
    /// A whole tree.
    Tree,
    /// A whole blob.
    Blob,
    /// A whole annotated tag.
    Tag,
    /// A delta against the entry at `base_offset`, earlier in the same pack.
    OfsDelta {
        /// Where the base's entry starts.
        base_offset: u64,
    },
    /// A delta against the object `base`.
    RefDelta {
        /// The base's object id.
        base: [u8; 20],
    },
}

impl ObjectKind {
    /// The object's type when the entry holds it whole; `None` for a delta.
    pub(crate) fn object_type(self) -> Option<ObjectType> {
        match self {
            ObjectKind::Commit => Some(ObjectType::Commit),
            ObjectKind::Tree => Some(ObjectType::Tree),
            ObjectKind::Blob => Some(ObjectType::Blob),
            ObjectKind::Tag => Some(ObjectType::Tag),
            ObjectKind::OfsDelta { .. } | ObjectKind::RefDelta { .. } => None,
        }
    }
}

/// A parsed pack entry header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EntryHeader {
    /// What the entry holds.
    pub(crate) kind: ObjectKind,
    /// The inflated size of the object, or of the delta.
    pub(crate) size: u64,
    /// How many bytes the header takes: the zlib stream starts after them.
    pub(crate) len: usize,
}

impl EntryHeader {
    /// Parses the header at the start of `h`, the bytes of the entry at `offset` in the pack
    /// `file` (both only for errors, and for an offset delta's base).
    pub(crate) fn parse(h: &[u8], file: &Path, offset: u64) -> Result<EntryHeader, OdbError> {
        let truncated = || OdbError::EntryTruncated {
            file: file.to_path_buf(),
            offset,
        };
        let first = *h.first().ok_or_else(truncated)?;
        let kind = (first >> 4) & 7;
        // Size: 4 bits in the first byte, then little-endian 7-bit groups.
        let mut size = u64::from(first & 0x0f);
        let mut shift = 4;
        let mut at = 1;
        let mut c = first;
        while c & 0x80 != 0 {
            c = *h.get(at).ok_or_else(truncated)?;
            size |= u64::from(c & 0x7f)
                .checked_shl(shift)
                .ok_or_else(|| OdbError::EntrySize {
                    file: file.to_path_buf(),
                    offset,
                })?;
            shift += 7;
            at += 1;
        }
        let kind = match kind {
            OBJ_COMMIT => ObjectKind::Commit,
            OBJ_TREE => ObjectKind::Tree,
            OBJ_BLOB => ObjectKind::Blob,
            OBJ_TAG => ObjectKind::Tag,
            OBJ_OFS_DELTA => {
                let bad_base = || OdbError::DeltaBaseOffset {
                    file: file.to_path_buf(),
                    offset,
                };
                // Git's offset encoding: big-endian 7-bit groups, each continuation adding one.
                let mut c = *h.get(at).ok_or_else(truncated)?;
                let mut back = u64::from(c & 0x7f);
                while c & 0x80 != 0 {
                    at += 1;
                    c = *h.get(at).ok_or_else(truncated)?;
                    back = back
                        .checked_add(1)
                        .and_then(|b| b.checked_mul(128))
                        .ok_or_else(bad_base)?
                        | u64::from(c & 0x7f);
                }
                at += 1;
                ObjectKind::OfsDelta {
                    base_offset: offset.checked_sub(back).ok_or_else(bad_base)?,
                }
            }
            OBJ_REF_DELTA => {
                let mut base = [0u8; 20];
                base.copy_from_slice(h.get(at..at + 20).ok_or_else(truncated)?);
                at += 20;
                ObjectKind::RefDelta { base }
            }
            kind => {
                return Err(OdbError::EntryType {
                    file: file.to_path_buf(),
                    offset,
                    kind,
                })
            }
        };
        Ok(EntryHeader {
            kind,
            size,
            len: at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(h: &[u8], offset: u64) -> Result<EntryHeader, OdbError> {
        EntryHeader::parse(h, Path::new("pack-1234.pack"), offset)
    }

    #[test]
    fn parses_whole_and_delta_headers() {
        // A blob of 0x1f5 bytes: type 3, size 5 | 0x1f << 4.
        let h = parse(&[0xb5, 0x1f, 0xaa], 0).unwrap();
        assert_eq!((h.kind, h.size, h.len), (ObjectKind::Blob, 0x1f5, 2));
        assert_eq!(h.kind.object_type(), Some(ObjectType::Blob));
        // An offset delta 0x80 + 1 bytes back (two groups: (0 + 1) << 7 | 1).
        let h = parse(&[0x63, 0x80, 0x01], 1000).unwrap();
        let base_offset = 1000 - 129;
        assert_eq!(h.kind, ObjectKind::OfsDelta { base_offset });
        assert_eq!((h.size, h.len, h.kind.object_type()), (3, 3, None));
        let mut r = vec![0x74];
        r.extend([7u8; 20]);
        let h = parse(&r, 0).unwrap();
        assert_eq!(h.kind, ObjectKind::RefDelta { base: [7; 20] });
        assert_eq!(h.len, 21);
    }

    /// Bad headers give errors naming the pack and the entry's offset.
    #[test]
    fn bad_headers_name_the_pack_and_offset() {
        let err = parse(&[0xb5], 5678).unwrap_err();
        assert!(matches!(err, OdbError::EntryTruncated { offset: 5678, .. }));
        assert_eq!(
            err.to_string(),
            "pack-1234.pack: offset 5678: truncated entry header"
        );
        assert!(matches!(
            parse(&[], 9).unwrap_err(),
            OdbError::EntryTruncated { offset: 9, .. }
        ));
        assert!(matches!(
            parse(&[0x53], 9).unwrap_err(),
            OdbError::EntryType { kind: 5, .. }
        ));
        assert!(matches!(
            parse(&[0x05], 9).unwrap_err(),
            OdbError::EntryType { kind: 0, .. }
        ));
        assert!(matches!(
            parse(
                &[0xb0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
                9
            )
            .unwrap_err(),
            OdbError::EntrySize { offset: 9, .. }
        ));
        assert!(matches!(
            parse(&[0x63, 0x10], 9).unwrap_err(),
            OdbError::DeltaBaseOffset { offset: 9, .. }
        ));
        assert!(matches!(
            parse(
                &[0x63, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
                9
            )
            .unwrap_err(),
            OdbError::DeltaBaseOffset { .. }
        ));
        assert!(matches!(
            parse(&[0x73, 1, 2, 3], 9).unwrap_err(),
            OdbError::EntryTruncated { .. }
        ));
    }
}
