//! `.keyfence.toml` parsing and compilation from arbitrary text; a configuration that compiles
//! also scans (its own text) and prints as TOML that compiles again.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = keyfence::fuzzing::parse_config(text);
    }
});
