//! AWS access key IDs: prefix classes, strict base32 body, token boundaries, account decoding.

use super::placeholder::{is_documentation_example, looks_like_placeholder};
use super::runs::escaped_separator_before;

/// Length of an access key ID: a 4-letter prefix and a 16-character base32 body.
pub(crate) const KEY_ID_LEN: usize = 20;

/// What the 4-letter prefix of a key ID says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum KeyKind {
    /// `AKIA`: long-term access key of an IAM user or the root user.
    LongTerm,
    /// `ASIA`: temporary key from STS; unusable without its session token.
    Temporary,
    /// `ABIA`: STS service bearer token key ID.
    BearerToken,
    /// `ACCA`: context- or service-specific credential ID.
    ServiceSpecific,
}

/// The credential prefixes; identifier prefixes (`AIDA`, `AROA`, …) are deliberately absent.
pub(crate) const CREDENTIAL_PREFIXES: [(&str, KeyKind); 4] = [
    ("AKIA", KeyKind::LongTerm),
    ("ASIA", KeyKind::Temporary),
    ("ABIA", KeyKind::BearerToken),
    ("ACCA", KeyKind::ServiceSpecific),
];

/// The base64 encodings of the credential prefixes at the start of an encoded value: how a key ID
/// looks in a Kubernetes Secret (`AKIA…` becomes `QUtJQ…`).
pub(crate) const ENCODED_CREDENTIAL_PREFIXES: [&str; 4] = ["QUtJQ", "QVNJQ", "QUJJQ", "QUNDQ"];

/// Prefixes of unique identifiers that are not credentials and must never be reported as such.
#[cfg(test)]
const IDENTIFIER_PREFIXES: [&str; 8] = [
    "AIDA", "AROA", "AGPA", "AIPA", "ANPA", "ANVA", "APKA", "ASCA",
];

impl KeyKind {
    /// The kind named by a 4-byte prefix, if it is a credential prefix.
    pub(crate) fn from_prefix(prefix: &[u8]) -> Option<KeyKind> {
        CREDENTIAL_PREFIXES
            .iter()
            .find(|(p, _)| p.as_bytes() == prefix)
            .map(|&(_, kind)| kind)
    }

    /// A short human name for reports.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            KeyKind::LongTerm => "long-term access key (AKIA)",
            KeyKind::Temporary => "temporary STS access key (ASIA)",
            KeyKind::BearerToken => "STS bearer token key (ABIA)",
            KeyKind::ServiceSpecific => "service-specific credential (ACCA)",
        }
    }
}

/// True for the RFC 4648 base32 alphabet `A-Z2-7`.
pub(crate) fn is_base32(b: u8) -> bool {
    b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)
}

/// True for bytes that glue onto a token: a key ID must not touch one on either side.
pub(crate) fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// Why a key-ID-shaped string at an offset is not reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyIdRejection {
    /// Not a credential prefix, wrong charset or length, or glued to other token characters.
    NotAKeyId,
    /// An AWS documentation example such as `AKIAIOSFODNN7EXAMPLE`.
    DocumentationExample,
    /// A placeholder such as `AKIAXXXXXXXXXXXXXXXX`.
    Placeholder,
}

/// Parses the key ID that starts at `start` in `data`, checking prefix, charset and boundaries.
pub(crate) fn parse_key_id(data: &[u8], start: usize) -> Result<KeyKind, KeyIdRejection> {
    let end = start + KEY_ID_LEN;
    if end > data.len() {
        return Err(KeyIdRejection::NotAKeyId);
    }
    if start > 0 && is_token_byte(data[start - 1]) && !escaped_separator_before(data, start) {
        return Err(KeyIdRejection::NotAKeyId);
    }
    if end < data.len() && is_token_byte(data[end]) {
        return Err(KeyIdRejection::NotAKeyId);
    }
    let kind = KeyKind::from_prefix(&data[start..start + 4]).ok_or(KeyIdRejection::NotAKeyId)?;
    let body = &data[start + 4..end];
    if !body.iter().all(|&b| is_base32(b)) {
        return Err(KeyIdRejection::NotAKeyId);
    }
    if is_documentation_example(&data[start..end]) {
        return Err(KeyIdRejection::DocumentationExample);
    }
    if looks_like_placeholder(body) {
        return Err(KeyIdRejection::Placeholder);
    }
    Ok(kind)
}

/// Parses a base64-encoded key ID starting at `start` (27 characters and one `=`, a whole token):
/// the decoded key ID and its kind.
pub(crate) fn parse_encoded_key_id(data: &[u8], start: usize) -> Option<(String, KeyKind)> {
    let run = crate::validate::runs::run_at(data, start, 32)?;
    if run.text.len() != 27 || run.padding != 1 {
        return None;
    }
    let decoded = crate::validate::runs::decode_base64(run.text.as_bytes(), usize::MAX);
    let kind = parse_key_id(&decoded, 0).ok()?;
    (decoded.len() == KEY_ID_LEN).then(|| (String::from_utf8_lossy(&decoded).into_owned(), kind))
}

/// One past the largest AWS account ID (accounts have 12 digits).
pub(crate) const MAX_ACCOUNT_ID: u64 = 1_000_000_000_000;

/// Decodes the AWS account ID that a new-format key ID encodes (12 digits, zero-padded).
///
/// Returns `None` for old-format keys (5th character `I`/`J`, or any character before `Q`), whose
/// format flag bit is 0 and which carry no recoverable account, and for malformed input.
pub(crate) fn account_id(key_id: &str) -> Option<String> {
    let bytes = key_id.as_bytes();
    if bytes.len() != KEY_ID_LEN {
        return None;
    }
    let body = &bytes[4..];
    // The first 6 decoded bytes come from the first 10 base32 characters (50 bits, 48 used).
    let mut x: u64 = 0;
    for &c in &body[..10] {
        x = (x << 5) | u64::from(base32_value(c)?);
    }
    let x = x >> 2; // 50 bits -> the first 48 bits, big-endian.
    if x & (1 << 47) == 0 {
        return None;
    }
    let account = (x & 0x7FFF_FFFF_FF80) >> 7;
    // 40 bits reach past 12 digits; a value there is no account, so the key ID is not a real one.
    (account < MAX_ACCOUNT_ID).then(|| format!("{account:012}"))
}

fn base32_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'2'..=b'7' => Some(c - b'2' + 26),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<KeyKind, KeyIdRejection> {
        let padded = format!(" {s} ");
        parse_key_id(padded.as_bytes(), 1)
    }

    #[test]
    fn account_decoding_matches_the_reference_value() {
        assert_eq!(
            account_id(concat!("ASIA", "Y34FZKBOKMUTVV7A")).as_deref(),
            Some("609629065308")
        );
    }

    #[test]
    fn accounts_past_twelve_digits_are_not_accounts() {
        // Body starting "7777777777": the flag bit set and all 40 account bits set.
        assert_eq!(account_id(concat!("AKIA", "7777777777AAAAAA")), None);
    }

    #[test]
    fn old_format_keys_carry_no_account() {
        assert_eq!(account_id(concat!("AKIA", "J2PKUUMK757T7BFZ")), None);
        assert_eq!(account_id(concat!("AKIA", "IOSFODNN7EXAMPLE")), None);
        assert!(account_id(concat!("AKIA", "Q2PKUUMK757T7BFZ")).is_some());
        assert!(account_id(concat!("AKIA", "RZPKUUMK757T7BFZ")).is_some());
    }

    #[test]
    fn each_prefix_class() {
        assert_eq!(
            parse(concat!("AKIA", "TH3BIMGOQ2GH24SH")),
            Ok(KeyKind::LongTerm)
        );
        assert_eq!(
            parse(concat!("ASIA", "TH3BIMGOQ2GH24SH")),
            Ok(KeyKind::Temporary)
        );
        assert_eq!(
            parse(concat!("ABIA", "TH3BIMGOQ2GH24SH")),
            Ok(KeyKind::BearerToken)
        );
        assert_eq!(
            parse(concat!("ACCA", "TH3BIMGOQ2GH24SH")),
            Ok(KeyKind::ServiceSpecific)
        );
        for id in IDENTIFIER_PREFIXES {
            assert_eq!(
                parse(&format!("{id}TH3BIMGOQ2GH24SH")),
                Err(KeyIdRejection::NotAKeyId)
            );
        }
    }

    #[test]
    fn charset_and_length() {
        assert!(parse("AKIATH3BIMGOQ2GH24S0").is_err());
        assert!(parse("AKIATH3BIMGOQ2GH24S1").is_err());
        assert!(parse("AKIATH3BIMGOQ2GH24S8").is_err());
        assert!(parse("AKIATH3BIMGOQ2GH24S9").is_err());
        assert!(parse("AKIATH3BIMGOQ2GH24Sh").is_err());
        assert!(parse("AKIATH3BIMGOQ2GH24S").is_err());
        assert!(parse("AKIATH3BIMGOQ2GH24SHH").is_err());
    }

    #[test]
    fn boundaries() {
        let id = concat!("AKIA", "TH3BIMGOQ2GH24SH");
        let at = |text: String, start: usize| parse_key_id(text.as_bytes(), start);
        assert!(at(format!("X{id}"), 1).is_err());
        assert!(at(format!("{id}x"), 0).is_err());
        assert!(at(format!("={id}\""), 1).is_ok());
        assert!(at(id.to_string(), 0).is_ok());
        assert!(at(format!("_{id}_"), 1).is_ok());
        assert!(
            at(format!("\\n{id}\\n"), 2).is_ok(),
            "after an escaped newline in a string"
        );
    }

    #[test]
    fn examples_versus_near_misses() {
        assert_eq!(
            parse(concat!("AKIA", "IOSFODNN7EXAMPLE")),
            Err(KeyIdRejection::DocumentationExample)
        );
        assert_eq!(
            parse("AKIAI44QH8DHBEXAMPLE"),
            Err(KeyIdRejection::NotAKeyId)
        );
        assert_eq!(
            parse(concat!("ASIA", "IOSFODNN7EXAMPLE")),
            Err(KeyIdRejection::DocumentationExample)
        );
        assert_eq!(
            parse(concat!("AKIA", "IOSFODNN7EAXMPLE")),
            Err(KeyIdRejection::DocumentationExample)
        );
        assert_eq!(
            parse(concat!("AKIA", "XXXXXXXXXXXXXXXX")),
            Err(KeyIdRejection::Placeholder)
        );
    }
}

#[cfg(test)]
mod proptests {
    use proptest::prelude::*;

    use super::*;
    use crate::validate::synthetic::key_id;

    fn find(text: &str) -> Vec<String> {
        let data = text.as_bytes();
        (0..data.len().saturating_sub(3))
            .filter(|&i| parse_key_id(data, i).is_ok())
            .map(|i| text[i..i + KEY_ID_LEN].to_string())
            .collect()
    }

    fn prefix() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec!["AKIA", "ASIA", "ABIA", "ACCA"])
    }

    proptest! {
        #[test]
        fn generated_key_ids_are_found(p in prefix(), seed in any::<u64>(), sep in "[ =:\"'`,;(\\[\\n]") {
            let id = key_id(p, seed);
            let text = format!("x{sep}{id}{sep}y");
            prop_assert_eq!(find(&text), vec![id]);
        }

        #[test]
        fn lowercased_key_ids_are_not_found(p in prefix(), seed in any::<u64>(), at in 4usize..20) {
            let mut id = key_id(p, seed).into_bytes();
            id[at] = id[at].to_ascii_lowercase();
            let id = String::from_utf8(id).unwrap();
            prop_assume!(id.bytes().any(|b| b.is_ascii_lowercase()));
            let text = format!(" {id} ");
            prop_assert!(find(&text).is_empty());
        }

        #[test]
        fn digits_outside_base32_are_not_found(p in prefix(), seed in any::<u64>(), at in 4usize..20, d in prop::sample::select(vec!['0', '1', '8', '9'])) {
            let mut id: Vec<char> = key_id(p, seed).chars().collect();
            id[at] = d;
            let id: String = id.into_iter().collect();
            let text = format!(" {id} ");
            prop_assert!(find(&text).is_empty());
        }

        #[test]
        fn wrong_lengths_are_not_found(p in prefix(), seed in any::<u64>(), cut in 1usize..4, extra in "[A-Z2-7]{1,3}") {
            let id = key_id(p, seed);
            let short = &id[..KEY_ID_LEN - cut];
            let text = format!(" {short} ");
            prop_assert!(find(&text).is_empty());
            let text = format!(" {id}{extra} ");
            prop_assert!(find(&text).is_empty());
        }

        #[test]
        fn key_ids_glued_to_letters_are_not_found(p in prefix(), seed in any::<u64>(), glue in "[A-Za-z0-9]") {
            let id = key_id(p, seed);
            let text = format!("{glue}{id}");
            prop_assert!(find(&text).is_empty());
            let text = format!("{id}{glue}");
            prop_assert!(find(&text).is_empty());
        }
    }
}
