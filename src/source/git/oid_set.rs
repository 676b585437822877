//! Object-id sets and maps for the hot paths of a history walk (hundreds of thousands of trees
//! and blobs): ids as plain 20-byte arrays (git2's `Oid` compares through a C call), hashed by
//! their first eight bytes, which are already uniformly random.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// An object id as bytes.
pub(crate) type RawOid = [u8; 20];

/// Hashes an object id by its leading bytes.
#[derive(Default)]
pub(crate) struct OidHasher(u64);

impl Hasher for OidHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // `[u8; 20]` hashes as its length, then its bytes: keep the first 8 id bytes.
        for &b in bytes.iter().take(8) {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }

    fn write_usize(&mut self, _: usize) {}
}

/// Hashes positions and offsets (integers) with one multiplication.
#[derive(Default)]
pub(crate) struct IntHasher(u64);

impl Hasher for IntHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A map from integers.
pub(crate) type IntMap<V> = HashMap<usize, V, BuildHasherDefault<IntHasher>>;

/// A set of object ids.
pub(crate) type OidSet = HashSet<RawOid, BuildHasherDefault<OidHasher>>;

/// A map from object ids.
pub(crate) type OidMap<V> = HashMap<RawOid, V, BuildHasherDefault<OidHasher>>;

/// The bytes of `oid`.
pub(crate) fn raw(oid: git2::Oid) -> RawOid {
    let mut out = [0u8; 20];
    out.copy_from_slice(oid.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_ids_stay_distinct() {
        let mut set = OidSet::default();
        let mut a = [7u8; 20];
        assert!(set.insert(a));
        a[19] = 8; // same leading bytes, another id
        assert!(set.insert(a));
        assert!(!set.insert(a));
        assert_eq!(set.len(), 2);
    }
}
