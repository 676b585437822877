//! The `.git/index` reader (entries of versions 2 to 4, extensions, the cache-tree) on arbitrary
//! bytes: an error or an index whose every path range lies in its bytes, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = keyfence::fuzzing::parse_index(data);
});
