//! The object-database readers on crafted input: pack index, pack entry header, delta
//! application, and a whole pack read as a history scan reads it. None may panic, loop, or
//! allocate more than the input's declared sizes allow (libFuzzer's `-rss_limit_mb` and
//! `-malloc_limit_mb` catch the last).
//!
//! The first byte picks the reader; the rest is its input:
//!
//! - 0: a `.idx` file;
//! - 1: an entry header (3 bytes of the entry's offset in its pack, then the header);
//! - 2: a delta (2 bytes of the base's length, the base, then the delta), when the base's length
//!   times the delta's is at most 64 MiB (what a valid delta can make);
//! - 3: a pack whose index this target writes: 1 byte for the number of objects `n`, `n` 4-byte
//!   offsets, then the pack; object `i` has the id of 20 bytes `i` (so that a reference delta's
//!   base can name one);
//! - 4: a pack with its own index: 4 bytes of the index's length, the index, then the pack.
#![no_main]

use keyfence::fuzzing;
use libfuzzer_sys::fuzz_target;

/// Splits `data` after a big-endian length of `n` bytes and that many bytes (fewer when `data`
/// is shorter).
fn split(data: &[u8], n: usize) -> Option<(&[u8], &[u8])> {
    let (len, rest) = data.split_at_checked(n)?;
    let len = len.iter().fold(0usize, |v, &b| v << 8 | usize::from(b));
    Some(rest.split_at(len.min(rest.len())))
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, data)) = data.split_first() else {
        return;
    };
    match mode {
        0 => {
            let _ = fuzzing::parse_idx(data);
        }
        1 => {
            if let Some((offset, header)) = data.split_at_checked(3) {
                let offset = offset.iter().fold(0u64, |v, &b| v << 8 | u64::from(b));
                let _ = fuzzing::parse_entry(header, offset);
            }
        }
        2 => {
            let Some((base, delta)) = split(data, 2) else {
                return;
            };
            // A delta may legitimately make up to its length times its base's (a copy of the
            // whole base per few bytes): keep that within the memory limit.
            if base.len().saturating_mul(delta.len()) <= 64 << 20 {
                if let Ok(out) = fuzzing::apply_delta(base, delta) {
                    // No result longer than what its instructions can copy and insert.
                    assert!(out.len() <= delta.len().saturating_mul(base.len().max(1)));
                }
            }
        }
        3 => {
            let Some((&n, rest)) = data.split_first() else {
                return;
            };
            let Some((offsets, pack)) = rest.split_at_checked(usize::from(n) * 4) else {
                return;
            };
            let objects: Vec<([u8; 20], u64)> = offsets
                .chunks_exact(4)
                .enumerate()
                .map(|(i, o)| {
                    let offset = u32::from_be_bytes([o[0], o[1], o[2], o[3]]);
                    ([i as u8; 20], u64::from(offset))
                })
                .collect();
            let _ = fuzzing::read_pack(&fuzzing::build_idx(&objects), pack);
        }
        4 => {
            if let Some((idx, pack)) = split(data, 4) {
                let _ = fuzzing::read_pack(idx, pack);
            }
        }
        _ => {}
    }
});
