//! Secret access keys: a whole 40-character base64 token with the statistics of random bytes.

use super::entropy::shannon_entropy;
use super::placeholder::{is_documentation_example, looks_like_placeholder};
use super::runs::{decode_base64, is_base64_byte, Run};

/// Length of a secret access key: 30 random bytes in base64 without padding.
pub(crate) const SECRET_LEN: usize = 40;

/// Minimum Shannon entropy (bits per character) of a secret. Of 200,000 random 40-character
/// base64 strings none fell below 4.05; camel-case identifiers and paths sit near 3.9-4.0.
pub(crate) const SECRET_MIN_ENTROPY: f64 = 4.0;

/// Why a 40-character token is not taken for a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SecretRejection {
    /// Not exactly 40 characters, or followed by `=` padding (part of a longer base64 value).
    WrongShape,
    /// Only hex digits: a SHA-1 or similar digest.
    Hex,
    /// Missing a lowercase letter, an uppercase letter, or any digit/`+`/`/`.
    CharacterClasses,
    /// Below [`SECRET_MIN_ENTROPY`].
    LowEntropy,
    /// An AWS documentation example or a placeholder.
    Placeholder,
}

/// Checks whether a base64 run is a plausible secret access key.
pub(crate) fn validate_secret(run: &Run) -> Result<(), SecretRejection> {
    if run.text.len() != SECRET_LEN || run.padding > 0 {
        return Err(SecretRejection::WrongShape);
    }
    check_secret_text(run.text.as_bytes())
}

/// Length of a secret that is itself base64-encoded (Kubernetes Secret values): 54 characters
/// followed by `==`.
pub(crate) const ENCODED_SECRET_LEN: usize = 54;

/// Longest run the secret search needs to keep: an encoded secret.
pub(crate) const MAX_SECRET_RUN: usize = ENCODED_SECRET_LEN + 1;

/// The secret a run holds: the run itself, or, when the run is a base64-encoded 40-byte value
/// (a Kubernetes Secret), its decoded text.
pub(crate) fn secret_from_run(run: &Run) -> Option<String> {
    if validate_secret(run).is_ok() {
        return Some(run.text.clone());
    }
    if run.text.len() != ENCODED_SECRET_LEN || run.padding != 2 {
        return None;
    }
    let decoded = decode_base64(run.text.as_bytes(), usize::MAX);
    (decoded.len() == SECRET_LEN
        && decoded.iter().all(|&b| is_base64_byte(b))
        && check_secret_text(&decoded).is_ok())
    .then(|| String::from_utf8_lossy(&decoded).into_owned())
}

/// Checks the statistics of a 40-character candidate secret.
pub(crate) fn check_secret_text(s: &[u8]) -> Result<(), SecretRejection> {
    if s.iter().all(u8::is_ascii_hexdigit) {
        return Err(SecretRejection::Hex);
    }
    let lower = s.iter().any(u8::is_ascii_lowercase);
    let upper = s.iter().any(u8::is_ascii_uppercase);
    let other = s
        .iter()
        .any(|b| b.is_ascii_digit() || *b == b'+' || *b == b'/');
    if !(lower && upper && other) {
        return Err(SecretRejection::CharacterClasses);
    }
    if is_documentation_example(s) || looks_like_placeholder(s) {
        return Err(SecretRejection::Placeholder);
    }
    if shannon_entropy(s) < SECRET_MIN_ENTROPY {
        return Err(SecretRejection::LowEntropy);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Run {
        Run {
            span: 0..text.len(),
            text: text.into(),
            padding: 0,
        }
    }

    #[test]
    fn accepts_random_secrets() {
        assert_eq!(
            validate_secret(&run("NCzYEA8vb3cNZdZw5Y4DUdiujk9urDQvwjG3sIcW")),
            Ok(())
        );
        assert_eq!(
            validate_secret(&run("yupJh0d+htvMuXBG/C4YOE5R2CDFw++ABTqIrjmW")),
            Ok(())
        );
    }

    #[test]
    fn rejects_hex_examples_and_words() {
        let hex = "f9f0ba3d90f871f5c471360ead4d6df146afca5e";
        assert_eq!(validate_secret(&run(hex)), Err(SecretRejection::Hex));
        let example = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        assert_eq!(
            validate_secret(&run(example)),
            Err(SecretRejection::Placeholder)
        );
        let words = "AbstractSingletonProxyFactoryBeanFactory";
        assert_eq!(
            validate_secret(&run(words)),
            Err(SecretRejection::CharacterClasses)
        );
        let low = "aaaaGGGG1111aaaaGGGG1111aaaaGGGG1111aaaa";
        assert_eq!(validate_secret(&run(low)), Err(SecretRejection::LowEntropy));
        let path = "src/main/java/com/example/MyClassName/Fo";
        assert!(validate_secret(&run(path)).is_err());
    }

    #[test]
    fn rejects_wrong_length_and_padding() {
        let s = "NCzYEA8vb3cNZdZw5Y4DUdiujk9urDQvwjG3sIc";
        assert_eq!(validate_secret(&run(s)), Err(SecretRejection::WrongShape));
        let mut padded = run("NCzYEA8vb3cNZdZw5Y4DUdiujk9urDQvwjG3sIcW");
        padded.padding = 1;
        assert_eq!(validate_secret(&padded), Err(SecretRejection::WrongShape));
    }

    #[test]
    fn entropy_threshold_edge() {
        // 40 characters over 16 symbols, each used 2-3 times: entropy just under 4.0.
        let s = "aB3dEfGh2jKlMnPqaB3dEfGh2jKlMnPqaB3dEfGh";
        assert!(shannon_entropy(s.as_bytes()) < SECRET_MIN_ENTROPY);
        assert_eq!(
            check_secret_text(s.as_bytes()),
            Err(SecretRejection::LowEntropy)
        );
    }
}
