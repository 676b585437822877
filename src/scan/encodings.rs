//! The encoded forms of credential prefixes that the prefilter looks for, so that a value stored
//! base64- or hex-encoded is noticed in the same pass over every byte (no second pass): where
//! one hits, a decoder can look for the whole encoded run around it.
//!
//! A prefix such as `AKIA` inside base64 text is encoded in one of three ways, by where it starts
//! within a 3-byte group; of each, the characters that depend on the prefix alone are a fixed
//! string (`QUtJQ`, `FLSU`, `BS0lB` for `AKIA`). Hex has one form per letter case. A base64
//! JSON document starts with one of a few strings (`eyJ` for `{"`), which is how a value encoded
//! twice (a `.dockerconfigjson` inside a Kubernetes Secret) is noticed.

/// How an encoded run hit by the prefilter is to be found and decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Form {
    /// Base64 holding a credential prefix: the hit starts `phase` characters into a 4-character
    /// group of the run.
    Base64 {
        /// Offset of the hit within its 4-character group (0, 2 or 3).
        phase: u8,
    },
    /// The start of a base64-encoded JSON document: only a hit that starts a run counts.
    Base64Json,
    /// Hex digits of a credential prefix (at an even offset of the run).
    Hex,
}

/// A hit of an encoded form: where it starts and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EncodedHit {
    /// Offset of the hit's first byte.
    pub offset: usize,
    /// Which form hit.
    pub form: Form,
}

/// The base64 encodings of JSON documents' usual first bytes: `{"` (compact), `{\n ` and `{\n"`.
const JSON_STARTS: [&str; 3] = ["eyJ", "ewog", "ewoi"];

/// The prefixes whose hex form is looked for (the common ones: a long-term and a temporary key).
const HEX_PREFIXES: [&str; 2] = ["AKIA", "ASIA"];

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
    for start in JSON_STARTS {
        out.push((start.to_string(), Form::Base64Json));
    }
    for p in HEX_PREFIXES.iter().filter(|p| prefixes.contains(p)) {
        let hex: String = p.bytes().map(|b| format!("{b:02x}")).collect();
        out.push((hex.to_ascii_uppercase(), Form::Hex));
        out.push((hex, Form::Hex));
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
        assert_eq!(base64_form(b"{\"", 0).0, "ey");
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
