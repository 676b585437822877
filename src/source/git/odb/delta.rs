//! Git's delta format, as pack entries of the two delta types hold it once inflated: the base's
//! and the result's sizes, then instructions that copy a range of the base or insert literal
//! bytes. Applying one needs nothing but the two buffers, so this module knows no file and no
//! offset: its faults are bare, and the pack reader says where the delta sits
//! ([`super::error::OdbError::Delta`]).

use thiserror::Error;

/// The most output one byte of delta instructions can produce: a copy instruction with only its
/// third size byte (two bytes for up to `0xff0000`). A result size beyond this many bytes per
/// byte of instructions cannot be real, so no buffer is reserved for it.
const MAX_OUTPUT_PER_BYTE: usize = 0xff_0000 / 2;

/// What is wrong with a delta; positions (`at`) are byte offsets in the inflated delta.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub(crate) enum DeltaFault {
    /// The two sizes that start a delta are cut short.
    #[error("truncated size header")]
    Header,
    /// A size too large for a machine word.
    #[error("size does not fit in memory")]
    SizeOverflow,
    /// The delta was made for a base of another size.
    #[error("made for a base of {expected} bytes, the base has {actual}")]
    BaseSize { expected: usize, actual: usize },
    /// A result size that the instructions cannot produce.
    #[error("a result of {size} bytes from {len} bytes of instructions")]
    ResultTooLarge { size: usize, len: usize },
    /// A copy instruction cut short.
    #[error("byte {at}: truncated copy instruction")]
    CopyTruncated { at: usize },
    /// A copy of a range the base does not have.
    #[error("byte {at}: copy out of range ({size} bytes at {offset} of a {base}-byte base)")]
    CopyOutOfRange {
        at: usize,
        offset: usize,
        size: usize,
        base: usize,
    },
    /// An insert instruction with fewer bytes left than it inserts.
    #[error("byte {at}: truncated insert")]
    InsertTruncated { at: usize },
    /// The reserved instruction 0.
    #[error("byte {at}: reserved opcode 0")]
    OpcodeZero { at: usize },
    /// Instructions that produced another size than the header gives.
    #[error("produced {actual} bytes (or more), the header says {expected}")]
    ResultSize { expected: usize, actual: usize },
}

/// Applies `delta` to `base`: the object the delta describes.
pub(crate) fn apply_delta(base: &[u8], delta: &[u8]) -> Result<Vec<u8>, DeltaFault> {
    let mut at = 0;
    let varint = |at: &mut usize| -> Result<usize, DeltaFault> {
        let mut v = 0usize;
        let mut shift = 0;
        loop {
            let c = *delta.get(*at).ok_or(DeltaFault::Header)?;
            *at += 1;
            v |= usize::from(c & 0x7f)
                .checked_shl(shift)
                .ok_or(DeltaFault::SizeOverflow)?;
            shift += 7;
            if c & 0x80 == 0 {
                return Ok(v);
            }
        }
    };
    let base_len = varint(&mut at)?;
    let result_len = varint(&mut at)?;
    if base_len != base.len() {
        return Err(DeltaFault::BaseSize {
            expected: base_len,
            actual: base.len(),
        });
    }
    let len = delta.len() - at;
    // No copy is longer than the base, and an insert gives one byte per byte at most.
    if result_len / base.len().clamp(1, MAX_OUTPUT_PER_BYTE) > len {
        return Err(DeltaFault::ResultTooLarge {
            size: result_len,
            len,
        });
    }
    // Reserved up front: what a delta usually makes (the base plus literal bytes), never more
    // than the header says; a larger result grows as it is produced, and stops at that size.
    let mut out = Vec::with_capacity(result_len.min(base.len().saturating_add(len)));
    while at < delta.len() {
        let op_at = at;
        let op = delta[at];
        at += 1;
        if op & 0x80 != 0 {
            let arg = |bits: u8, shift: u32, at: &mut usize| -> Result<usize, DeltaFault> {
                if op & bits == 0 {
                    return Ok(0);
                }
                let b = *delta
                    .get(*at)
                    .ok_or(DeltaFault::CopyTruncated { at: op_at })?;
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
            let src = offset
                .checked_add(size)
                .and_then(|end| base.get(offset..end))
                .ok_or(DeltaFault::CopyOutOfRange {
                    at: op_at,
                    offset,
                    size,
                    base: base.len(),
                })?;
            if src.len() > result_len - out.len() {
                return Err(DeltaFault::ResultSize {
                    expected: result_len,
                    actual: out.len() + src.len(),
                });
            }
            out.extend_from_slice(src);
        } else if op != 0 {
            let n = usize::from(op);
            let src = delta
                .get(at..at + n)
                .ok_or(DeltaFault::InsertTruncated { at: op_at })?;
            if n > result_len - out.len() {
                return Err(DeltaFault::ResultSize {
                    expected: result_len,
                    actual: out.len() + n,
                });
            }
            out.extend_from_slice(src);
            at += n;
        } else {
            return Err(DeltaFault::OpcodeZero { at: op_at });
        }
    }
    if out.len() != result_len {
        return Err(DeltaFault::ResultSize {
            expected: result_len,
            actual: out.len(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
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

    /// Every kind of bad delta is its own fault, with the instruction's position.
    #[test]
    fn names_each_fault() {
        let base = b"hello, world";
        let fault = |delta: &[u8]| apply_delta(base, delta).unwrap_err();
        assert_eq!(fault(&[]), DeltaFault::Header);
        assert_eq!(fault(&[12, 0x80]), DeltaFault::Header);
        assert_eq!(fault(&[0xff; 12]), DeltaFault::SizeOverflow);
        assert_eq!(
            fault(&[3, 1, 1, b'x']),
            DeltaFault::BaseSize {
                expected: 3,
                actual: 12
            }
        );
        assert_eq!(
            fault(&[12, 0x80, 0x80, 0x80, 0x80, 0x10, 0x91]),
            DeltaFault::ResultTooLarge {
                size: 1 << 32,
                len: 1
            }
        );
        assert_eq!(
            fault(&[12, 5, 1, b'x', 0x91, 10]),
            DeltaFault::CopyTruncated { at: 4 }
        );
        let out_of_range = fault(&[12, 5, 0x91, 10, 5]);
        assert_eq!(
            out_of_range,
            DeltaFault::CopyOutOfRange {
                at: 2,
                offset: 10,
                size: 5,
                base: 12
            }
        );
        assert_eq!(
            out_of_range.to_string(),
            "byte 2: copy out of range (5 bytes at 10 of a 12-byte base)"
        );
        assert_eq!(
            fault(&[12, 5, 3, b'x']),
            DeltaFault::InsertTruncated { at: 2 }
        );
        assert_eq!(fault(&[12, 1, 0]), DeltaFault::OpcodeZero { at: 2 });
        assert_eq!(
            fault(&[12, 3, 1, b'x']),
            DeltaFault::ResultSize {
                expected: 3,
                actual: 1
            }
        );
        // Output past the header's size stops at the instruction that makes it.
        assert_eq!(
            fault(&[12, 5, 0x90, 12, 0x90, 12, 0x90, 12]),
            DeltaFault::ResultSize {
                expected: 5,
                actual: 12
            }
        );
        assert_eq!(
            fault(&[12, 2, 1, b'x', 2, b'y', b'z']),
            DeltaFault::ResultSize {
                expected: 2,
                actual: 3
            }
        );
    }

    /// Found by the `pack` fuzz target (minimised): a 73-byte delta against an empty base whose
    /// header claims a result of 564 MB, which was reserved before the first instruction was
    /// read. Against an empty base each byte of instructions makes one byte at most.
    #[test]
    fn a_result_size_the_base_cannot_give_is_refused_before_reserving_it() {
        let delta = [
            0x00, 0x8d, 0x9b, 0x96, 0x8d, 0x02, 0x00, 0x00, 0x00, 0x40, 0x00, 0x48, 0xd4, 0x2b,
            0xa9, 0x28, 0x61, 0x48, 0x5a, 0x2b, 0xa9, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0xd4, 0x2b, 0xa9, 0x28, 0x61, 0x48, 0x5a, 0x2b, 0xa9, 0x28, 0x61, 0x48,
            0x5a, 0x00, 0x12, 0x00, 0x00, 0x48, 0xd4, 0x2b, 0xa9, 0x28, 0x61, 0x48, 0x5a, 0x2b,
            0xa9, 0x28, 0x61, 0x48, 0x5a, 0x00, 0x12, 0x00, 0x00, 0x48, 0xd4, 0x2b, 0xa9, 0x28,
            0x61, 0x48, 0x5a,
        ];
        assert_eq!(
            apply_delta(b"", &delta),
            Err(DeltaFault::ResultTooLarge {
                size: 564_497_805,
                len: 67
            })
        );
        // A 12-byte base: no more than 12 bytes per byte of instructions.
        assert_eq!(
            apply_delta(b"hello, world", &[12, 72, 0x90, 12, 0x90, 12, 0x90]),
            Err(DeltaFault::ResultTooLarge { size: 72, len: 5 })
        );
        assert_eq!(
            apply_delta(b"hello, world", &[12, 36, 0x90, 12, 0x90, 12, 0x90, 12]).unwrap(),
            b"hello, world".repeat(3)
        );
    }
}
