//! A credential is still found whatever bytes surround it. The input is split (its first byte
//! picks where) into a prefix and a suffix, and a structurally valid pair built with
//! `keyfence::synthetic` is planted between them:
//!
//! ```text
//! PREFIX \n aws_access_key_id = KEY \n aws_secret_access_key = SECRET \n SUFFIX
//! ```
//!
//! The pair must be reported as `aws-access-key` with KEY as its key ID.
//!
//! The planted text starts and ends with a newline, so nothing can be glued to either token (a
//! token must stand alone) and the pair's own two lines are always the same. What may still
//! legitimately hide the pair, and is excluded:
//!
//! - a NUL in the first 8000 bytes: the blob is binary and skipped (as `keyfence scan -` does);
//! - an inline directive (`keyfence:allow`, `gitleaks:allow`, `pragma: allowlist secret`) in the
//!   prefix: on the prefix's last line it is a directive on the line above the key's (a finding
//!   can also span from a prefix line, when a run there pairs with the key ID).
//!
//! A key ID or a secret-looking run next to the pair in the prefix or the suffix is not excluded:
//! pairing prefers a key before its secret and never crosses pairs, so neither takes the planted
//! pair apart (nearest-first pairing did, and this target found it).
#![no_main]

use std::sync::OnceLock;

use keyfence::synthetic;
use libfuzzer_sys::fuzz_target;

/// The directives `keyfence` honours (src/suppress/inline.rs).
const DIRECTIVES: [&[u8]; 3] = [
    b"keyfence:allow",
    b"gitleaks:allow",
    b"pragma: allowlist secret",
];

/// Bytes looked at for a NUL to call a blob binary.
const BINARY_SNIFF_LEN: usize = 8000;

fn pair() -> &'static (String, String) {
    static PAIR: OnceLock<(String, String)> = OnceLock::new();
    PAIR.get_or_init(|| (synthetic::key_id("AKIA", 1), synthetic::secret(1)))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fuzz_target!(|data: &[u8]| {
    let Some((&at, rest)) = data.split_first() else {
        return;
    };
    let at = usize::from(at) * rest.len() / 255;
    let (prefix, suffix) = rest.split_at(at.min(rest.len()));
    if DIRECTIVES.iter().any(|d| contains(prefix, d)) {
        return;
    }
    let (key, secret) = pair();
    let mut text = prefix.to_vec();
    text.extend_from_slice(
        format!("\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n").as_bytes(),
    );
    text.extend_from_slice(suffix);
    if text[..text.len().min(BINARY_SNIFF_LEN)].contains(&0) {
        return;
    }
    let found = keyfence::fuzzing::scan_bytes(&text);
    assert!(
        found
            .iter()
            .any(|(rule, id)| rule == "aws-access-key" && id.as_deref() == Some(key.as_str())),
        "the planted pair is not reported: {found:?}\n{}",
        String::from_utf8_lossy(&text)
    );
});
