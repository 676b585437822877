//! Amazon SES SMTP credentials: the user name is an access key ID, the password is derived from
//! its secret: base64 of a version byte and an HMAC-SHA256, 44 characters. Version 0x04 (the
//! regional SigV4 form) encodes to a leading `B`, version 0x02 (the legacy form) to `A`.

use std::ops::Range;

use super::entropy::shannon_entropy;
use super::placeholder::{is_documentation_example, looks_like_placeholder};
use super::runs::{decode_base64, Run};

/// Length of an SES SMTP password: base64 of 33 bytes.
pub(crate) const SES_PASSWORD_LEN: usize = 44;

/// How far around a key ID SMTP context is looked for, in bytes.
const SMTP_CONTEXT_REACH: usize = 2048;

/// Least Shannon entropy (bits per character) of a password: random base64 of 44 characters
/// has about 5.2; text shaped like base64 has far less.
const MIN_ENTROPY: f64 = 4.2;

/// True when `run` is shaped like an SES SMTP password: 44 base64 characters without padding
/// whose decoded first byte is version 0x04 or 0x02, random-looking, not a placeholder.
pub(crate) fn ses_password(run: &Run) -> bool {
    let text = run.text.as_bytes();
    if text.len() != SES_PASSWORD_LEN || run.padding > 0 {
        return false;
    }
    let decoded = decode_base64(text, SES_PASSWORD_LEN);
    decoded.len() == 33
        && matches!(decoded[0], 0x02 | 0x04)
        && shannon_entropy(text) >= MIN_ENTROPY
        && !looks_like_placeholder(text)
        && !is_documentation_example(text)
}

/// True when SMTP is mentioned near `span`: an `email-smtp.<region>.amazonaws.com` host, an
/// `smtp` setting or URL scheme (any case).
pub(crate) fn smtp_nearby(data: &[u8], span: &Range<usize>) -> bool {
    let lo = span.start.saturating_sub(SMTP_CONTEXT_REACH);
    let hi = (span.end + SMTP_CONTEXT_REACH).min(data.len());
    data[lo..hi]
        .windows(4)
        .any(|w| w.eq_ignore_ascii_case(b"smtp"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::synthetic;

    fn run(text: &str) -> Run {
        Run {
            span: 0..text.len(),
            text: text.to_string(),
            padding: 0,
        }
    }

    #[test]
    fn versions_and_shapes() {
        for seed in 0..20 {
            let pw = synthetic::ses_smtp_password(seed);
            assert!(pw.starts_with('B'), "{pw}");
            assert!(ses_password(&run(&pw)), "{pw}");
        }
        // A 44-character run whose first byte is no SES version.
        let other = synthetic::base64_encode(&[0x41; 33]);
        assert!(!ses_password(&run(&other)));
        assert!(!ses_password(&run(&"B".repeat(44))));
    }

    #[test]
    fn context() {
        let text = b"host: email-smtp.eu-west-1.amazonaws.com\nuser: X";
        assert!(smtp_nearby(text, &(text.len() - 1..text.len())));
        assert!(!smtp_nearby(b"user: X", &(6..7)));
    }
}
