//! `.keyfence-baseline.json` parsing from arbitrary text. No panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = keyfence::fuzzing::parse_baseline(text);
    }
});
