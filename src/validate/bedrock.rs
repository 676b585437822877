//! Amazon Bedrock short-term API keys: `bedrock-api-key-` and the base64 of a presigned URL
//! (`bedrock.amazonaws.com/?Action=CallWithBearerToken&X-Amz-Credential=ASIA…`). Decoded offline,
//! the key says which temporary key ID signed it and when it expires.

use std::ops::Range;

use super::key_id::parse_key_id;
use super::placeholder::is_documentation_example;
use super::presigned::{parse, Presigned};
use super::runs::{decode_base64, is_base64_byte};

/// What a short-term key starts with.
pub(crate) const PREFIX: &[u8] = b"bedrock-api-key-";

/// The base64 of `bedrock.amazonaws.com`, which every short-term key's body starts with.
const BODY_START: &[u8] = b"YmVkcm9jay5hbWF6b25hd3MuY29t";

/// The longest body read (keys with a session token run to about 2 KiB).
const MAX_BODY: usize = 16 * 1024;

/// A short-term key found at a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShortTermKey {
    /// The whole key: prefix, body and padding.
    pub span: Range<usize>,
    /// The base64 body (the part that is secret).
    pub body: String,
    /// The presigned URL inside, when the body decodes to one (spans relative to the decoded
    /// text, so only its texts are meaningful here).
    pub decoded: Option<Presigned>,
}

/// The short-term key whose prefix starts at `hit`, unless it is only the prefix, or a
/// documentation example or placeholder (also judged on the decoded body).
pub(crate) fn short_term_key(data: &[u8], hit: usize) -> Option<ShortTermKey> {
    let body_start = hit + PREFIX.len();
    if !data
        .get(hit..body_start)
        .is_some_and(|p| p.eq_ignore_ascii_case(PREFIX))
    {
        return None;
    }
    let rest = &data[body_start..data.len().min(body_start + MAX_BODY)];
    let body_len = rest.iter().take_while(|&&b| is_base64_byte(b)).count();
    let body = &rest[..body_len];
    if !body.starts_with(BODY_START) || body_len == BODY_START.len() {
        return None;
    }
    let padding = rest[body_len..]
        .iter()
        .take_while(|&&b| b == b'=')
        .count()
        .min(2);
    let decoded = decode_base64(body, MAX_BODY);
    let query = &decoded[decoded.len().min(21)..];
    // Padding (`AAAA…`) or `EXAMPLE` in the decoded URL: written for documentation. (The general
    // placeholder test would misfire on a real URL: `T000000Z` is a sequence of six zeros.)
    let padding_run = body[BODY_START.len()..]
        .windows(8)
        .any(|w| w.iter().all(|&b| b == w[0]));
    if padding_run || query.windows(7).any(|w| w == b"EXAMPLE") {
        return None;
    }
    let presigned = parse(&decoded, |at| parse_key_id(&decoded, at).is_ok());
    if presigned
        .as_ref()
        .is_some_and(|p| is_documentation_example(p.key_id_text.as_bytes()))
    {
        return None;
    }
    Some(ShortTermKey {
        span: hit..body_start + body_len + padding,
        body: String::from_utf8_lossy(body).into_owned(),
        decoded: presigned,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::synthetic;

    #[test]
    fn decodes_key_id_and_expiry() {
        let key = synthetic::bedrock_short_term_key(3, "20261101T120000Z");
        let text = format!("AWS_BEARER_TOKEN_BEDROCK={key}\n");
        let found = short_term_key(text.as_bytes(), 25).unwrap();
        assert_eq!(&text[found.span.clone()], key);
        let p = found.decoded.unwrap();
        assert_eq!(p.key_id_text, synthetic::key_id("ASIA", 3));
        assert_eq!(p.service.as_deref(), Some("bedrock"));
        assert!(p.session_token.is_some());
        assert_eq!(
            p.expires,
            Some(super::super::clock::parse_amz_date(b"20261101T120000Z").unwrap() + 43_200)
        );
    }

    #[test]
    fn truncated_keys_are_kept_without_decoding() {
        let key = synthetic::bedrock_short_term_key(4, "20261101T120000Z");
        let cut = &key[..80];
        let found = short_term_key(cut.as_bytes(), 0).unwrap();
        assert_eq!(found.decoded, None);
    }

    #[test]
    fn prefix_alone_and_placeholders_are_not_keys() {
        assert_eq!(short_term_key(b"bedrock-api-key-", 0), None);
        assert_eq!(
            short_term_key(b"bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t", 0),
            None
        );
        let padded = format!(
            "bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t{}",
            "A".repeat(200)
        );
        assert_eq!(short_term_key(padded.as_bytes(), 0), None);
        use std::fmt::Write;
        let mut example = String::from("bedrock.amazonaws.com/?X-Amz-Credential=");
        for _ in 0..20 {
            example.write_str("EXAMPLE").unwrap();
        }
        let encoded = synthetic::base64_encode(example.as_bytes());
        let text = format!("bedrock-api-key-{encoded}");
        assert_eq!(short_term_key(text.as_bytes(), 0), None);
    }
}
