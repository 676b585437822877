//! STS session tokens, recognised by the structure of their decoded start and by context.

use super::keyword::identifier_at;
use super::placeholder::is_documentation_example;
use super::runs::{decode_base64, run_at, Run};

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

/// True for tokens written for documentation: `EXAMPLE` anywhere, or one character repeated
/// eight times (padding such as `AAAAAAAA`). Real tokens are random past their header, and the
/// general placeholder test (four-letter words) would reject one real token in a few hundred.
fn is_made_up(text: &[u8]) -> bool {
    text.windows(7).any(|w| w == b"EXAMPLE")
        || text.windows(8).any(|w| w.iter().all(|&b| b == w[0]))
}

/// The session token at `hit`, where the prefilter saw a token's observed start: the whole run
/// that starts there, if it is a token.
pub(crate) fn token_at(data: &[u8], hit: usize) -> Option<Run> {
    let run = run_at(data, hit, SESSION_TOKEN_MAX_LEN)?;
    (is_session_token(data, &run) && !is_made_up(run.text.as_bytes())).then_some(run)
}

/// The session token named by the identifier around the keyword hit at `hit`
/// (`aws_session_token = …`, `"SessionToken": "…"`, `X-Amz-Security-Token=…`).
pub(crate) fn token_after_keyword(data: &[u8], hit: usize) -> Option<Run> {
    let (name, value) = identifier_at(data, hit)?;
    if !SESSION_TOKEN_KEYWORDS.iter().any(|k| name.contains(k)) {
        return None;
    }
    token_at(data, value)
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
