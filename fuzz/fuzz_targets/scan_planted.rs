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
//!   prefix: on the prefix's last line it is a directive on the line above the key's; and a
//!   secret-looking run in the prefix lies nearer the key ID (22 bytes) than the planted secret
//!   (25 bytes), takes the key ID in the nearest-first pairing, and then the finding spans from
//!   that prefix line. The key ID is still reported as `aws-access-key` then;
//! - a key ID (a credential prefix, plain or base64-encoded) starting in the suffix's first 24
//!   bytes: it lies nearer the planted secret than the planted key ID does (25 bytes) and takes
//!   the secret in the nearest-first pairing, leaving the key ID alone (`aws-access-key-id`).
//!   Both parts are still reported, but not as one pair; the suffix is checked for those
//!   prefixes in its first 28 bytes. Nothing else in the suffix can reach the pair.
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

/// Credential prefixes, plain and base64-encoded (src/validate/key_id.rs), looked for (in any
/// case) where a key ID would take the planted secret.
const KEY_ID_PREFIXES: [&[u8]; 8] = [
    b"AKIA", b"ASIA", b"ABIA", b"ACCA", b"QUtJQ", b"QVNJQ", b"QUJJQ", b"QUNDQ",
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

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
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
    let near_secret = &suffix[..suffix.len().min(28)];
    if KEY_ID_PREFIXES
        .iter()
        .any(|p| contains_ignore_case(near_secret, p))
    {
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
