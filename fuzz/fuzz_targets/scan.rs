//! The whole per-blob pipeline on arbitrary bytes, as `keyfence scan -` sees a blob: binary
//! check, engine, suppression, the report finished and written in every format. No panic.
//!
//! So that seeds can hold credentials without the repository holding any, a few fixed
//! templates in the input are replaced by synthetic values first (`${keyid:AKIA:1}`,
//! `${secret:1}`, `${keyid:ASIA:2}`, `${secret:2}`, `${token:2}`); nothing else of the input
//! is interpreted.
#![no_main]

use std::sync::OnceLock;

use keyfence::synthetic;
use libfuzzer_sys::fuzz_target;

fn templates() -> &'static [(&'static [u8], Vec<u8>)] {
    static TEMPLATES: OnceLock<Vec<(&'static [u8], Vec<u8>)>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        vec![
            (&b"${keyid:AKIA:1}"[..], synthetic::key_id("AKIA", 1).into()),
            (b"${secret:1}", synthetic::secret(1).into()),
            (b"${keyid:ASIA:2}", synthetic::key_id("ASIA", 2).into()),
            (b"${secret:2}", synthetic::secret(2).into()),
            (b"${token:2}", synthetic::session_token(2, 400).into()),
        ]
    })
}

/// `data` with the templates replaced.
fn expand(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    'bytes: while i < data.len() {
        if data[i] == b'$' {
            for (template, value) in templates() {
                if data[i..].starts_with(template) {
                    out.extend_from_slice(value);
                    i += template.len();
                    continue 'bytes;
                }
            }
        }
        out.push(data[i]);
        i += 1;
    }
    out
}

fuzz_target!(|data: &[u8]| {
    if data.windows(2).any(|w| w == b"${") {
        let _ = keyfence::fuzzing::scan_bytes(&expand(data));
    } else {
        let _ = keyfence::fuzzing::scan_bytes(data);
    }
});
