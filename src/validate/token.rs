//! STS session tokens, recognised by the structure of their decoded start and by context.

use super::placeholder::is_documentation_example;
use super::runs::{decode_base64, Run};

/// Shortest run taken for a session token (observed tokens run from ~300 to ~1,500 characters).
pub(crate) const SESSION_TOKEN_MIN_LEN: usize = 100;

/// Longest run taken for a session token.
pub(crate) const SESSION_TOKEN_MAX_LEN: usize = 8192;

/// Observed starts of session tokens (base64 of a protobuf-like header naming a field).
pub(crate) const SESSION_TOKEN_PREFIXES: [&str; 5] = [
    "IQoJb3JpZ2luX2Vj",
    "FwoGZXIvYXdz",
    "FQoGZXIvYXdz",
    "FQoDYXdz",
    "AQoDYXdz",
];

/// Keywords that name a session token, compared without case and separators.
const SESSION_TOKEN_KEYWORDS: [&str; 3] = ["sessiontoken", "securitytoken", "amzsecuritytoken"];

/// How far before a run a naming keyword may end, in bytes.
const KEYWORD_REACH: usize = 48;

/// True when the run's decoded start has the observed header: byte 1 is `0x0a` and byte 2 the
/// length of a short printable ASCII field name that follows.
pub(crate) fn has_token_structure(text: &str) -> bool {
    if SESSION_TOKEN_PREFIXES.iter().any(|p| text.starts_with(p)) {
        return true;
    }
    let head = decode_base64(text.as_bytes(), 64);
    if head.len() < 4 || head[1] != 0x0a {
        return false;
    }
    let n = head[2] as usize;
    (2..=32).contains(&n)
        && head.len() >= 3 + n
        && head[3..3 + n].iter().all(|b| b.is_ascii_graphic())
}

/// True when a keyword naming a session token ends shortly before `start`.
pub(crate) fn named_by_keyword(data: &[u8], start: usize) -> bool {
    let lo = start.saturating_sub(KEYWORD_REACH);
    let squashed: Vec<u8> = data[lo..start]
        .iter()
        .filter(|b| b.is_ascii_alphabetic())
        .map(u8::to_ascii_lowercase)
        .collect();
    SESSION_TOKEN_KEYWORDS
        .iter()
        .any(|k| squashed.windows(k.len()).any(|w| w == k.as_bytes()))
}

/// True when `run` is a session token: long enough, not a documentation example, and either
/// structured like one or named by a keyword just before it.
pub(crate) fn is_session_token(data: &[u8], run: &Run) -> bool {
    run.text.len() >= SESSION_TOKEN_MIN_LEN
        && !is_documentation_example(run.text.as_bytes())
        && (has_token_structure(&run.text) || named_by_keyword(data, run.span.start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structure_of_known_and_unknown_prefixes() {
        assert!(has_token_structure("IQoJb3JpZ2luX2VjEAAaCXVzLWVhc3QtMSJH"));
        assert!(has_token_structure("FQoDYXdzEJr"));
        // A header naming the field "region_x" (8 bytes), not in the known list.
        assert!(has_token_structure("IQoIcmVnaW9uX3gQ"));
        assert!(!has_token_structure("TWFueSBoYW5kcyBtYWtlIGxpZ2h0IHdvcms"));
    }

    #[test]
    fn keyword_context() {
        let data = b"aws_session_token = QUFB";
        assert!(named_by_keyword(data, 20));
        let data = b"X-Amz-Security-Token=QUFB";
        assert!(named_by_keyword(data, 21));
        assert!(!named_by_keyword(b"password = QUFB", 11));
    }
}
