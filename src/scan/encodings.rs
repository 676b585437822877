//! The encoded forms of credential prefixes that the prefilter looks for, so that a value stored
//! base64- or hex-encoded is noticed in the same pass over every byte (no second pass): where
//! one hits, a decoder can look for the whole encoded run around it.
//!
//! A prefix such as `AKIA` inside base64 text is encoded in one of three ways, by where it starts
//! within a 3-byte group; of each, the characters that depend on the prefix alone are a fixed
//! string (`QUtJQ`, `FLSU`, `BS0lB` for `AKIA`). Hex has one form per letter case. The key
//! `"auth"` of a Docker configuration is looked for the same way, which is how a value encoded
//! twice (the base64 `auth` of a `.dockerconfigjson` inside a Kubernetes Secret) is noticed.
//!
//! Every keyword slows the one pass over every byte a little (the SIMD searcher checks more
//! candidates), so the list is short: on source-like text the 8 base64 forms of the four
//! prefixes cost about 2 % of the prefilter's instructions, the 3 forms of `"auth"` 2 % more, the
//! hex of `AKIA` 1 %; the base64 forms of a JSON document's start (`eyJ`, `ewog`) cost 10 % and
//! the hex of `ASIA` (only digits, `41534941`) 2.5 %, and are left out (docs/PERFORMANCE.md).

/// How an encoded run hit by the prefilter is to be found and decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Form {
    /// Base64 holding a credential prefix: the hit starts `phase` characters into a 4-character
    /// group of the run.
    Base64 {
        /// Offset of the hit within its 4-character group (0, 2 or 3).
        phase: u8,
    },
    /// Hex digits of a credential prefix: the hit starts `back` digits after the prefix's first
    /// (an even offset of the run).
    Hex {
        /// Digits of the prefix before the hit.
        back: u8,
    },
}

/// A hit of an encoded form: where it starts and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EncodedHit {
    /// Offset of the hit's first byte.
    pub offset: usize,
    /// Which form hit.
    pub form: Form,
}

/// Keys whose base64 forms are looked for: a Docker configuration's `auth` (base64 itself), so
/// that a `.dockerconfigjson` encoded once more is decoded.
const ENCODED_KEYS: [&str; 1] = ["\"auth\""];

/// The prefix whose hex form is looked for, and the hex digits of it the prefilter looks for
/// (`4b4941`, `4B4941`: the leading `41` is too common in digits to be a cheap keyword).
const HEX_PREFIX: &str = "AKIA";
const HEX_SKIP: usize = 2;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The base64 characters determined by `bytes` alone when they start `align` bytes into a
/// 3-byte group (0, 1 or 2), and the offset of the first of them in its 4-character group.
pub(crate) fn base64_form(bytes: &[u8], align: usize) -> (String, u8) {
    let bit_start = 8 * align;
    let bit_end = 8 * (align + bytes.len());
    let first = bit_start.div_ceil(6);
    let last = bit_end / 6; // exclusive
    let mut padded = vec![0u8; align];
    padded.extend_from_slice(bytes);
    let bit = |i: usize| (padded[i / 8] >> (7 - i % 8)) & 1;
    let text = (first..last)
        .map(|c| {
            let v = (0..6).fold(0usize, |acc, k| (acc << 1) | usize::from(bit(6 * c + k)));
            ALPHABET[v] as char
        })
        .collect();
    (text, (first % 4) as u8)
}

/// Every encoded keyword for the credential `prefixes`, with its form.
pub(crate) fn encoded_keywords(prefixes: &[&str]) -> Vec<(String, Form)> {
    let mut out = Vec::new();
    for p in prefixes {
        for align in 0..3 {
            let (text, phase) = base64_form(p.as_bytes(), align);
            out.push((text, Form::Base64 { phase }));
        }
    }
    for key in ENCODED_KEYS {
        for align in 0..3 {
            let (text, phase) = base64_form(key.as_bytes(), align);
            out.push((text, Form::Base64 { phase }));
        }
    }
    if prefixes.contains(&HEX_PREFIX) {
        let hex: String = HEX_PREFIX.bytes().map(|b| format!("{b:02x}")).collect();
        let form = Form::Hex {
            back: HEX_SKIP as u8,
        };
        out.push((hex[HEX_SKIP..].to_ascii_uppercase(), form));
        out.push((hex[HEX_SKIP..].to_string(), form));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_of_a_prefix_at_each_alignment() {
        assert_eq!(base64_form(b"AKIA", 0), ("QUtJQ".to_string(), 0));
        assert_eq!(base64_form(b"AKIA", 1), ("FLSU".to_string(), 2));
        assert_eq!(base64_form(b"AKIA", 2), ("BS0lB".to_string(), 3));
        assert_eq!(base64_form(b"\"auth\"", 0), ("ImF1dGgi".to_string(), 0));
    }

    /// Each form is found in the base64 of text holding the prefix at that alignment.
    #[test]
    fn forms_occur_in_encoded_text() {
        let alphabet = |v: u32| ALPHABET[v as usize] as char;
        let encode = |data: &[u8]| -> String {
            data.chunks(3)
                .flat_map(|c| {
                    let n = c
                        .iter()
                        .chain(std::iter::repeat(&0))
                        .take(3)
                        .fold(0u32, |a, &b| (a << 8) | u32::from(b));
                    (0..=c.len()).map(move |i| alphabet((n >> (18 - 6 * i)) & 63))
                })
                .collect()
        };
        for align in 0..3 {
            let text = format!("{}ASIA and more", "x".repeat(align + 3));
            let (form, phase) = base64_form(b"ASIA", align);
            let encoded = encode(text.as_bytes());
            let at = encoded.find(&form).expect("the form occurs");
            assert_eq!(at % 4, usize::from(phase));
        }
    }
}
