//! Secrets announced by a keyword (`aws_secret_access_key = …`, `"SecretAccessKey": "…"`), found
//! when no key ID stands nearby.

use super::runs::{run_at, Run};
use super::secret::{secret_from_run, MAX_SECRET_RUN};

/// How far an identifier around a keyword hit may extend on either side, in bytes.
const IDENTIFIER_REACH: usize = 64;

/// How many separator bytes (`= : " ' > , (` and blanks) may stand between identifier and value.
const SEPARATOR_REACH: usize = 16;

/// How far around a weakly named secret (`secret_key`) to look for the word "aws", in bytes.
const AWS_CONTEXT_REACH: usize = 512;

/// Words that, with "secret" in one identifier, make it an AWS secret key's name.
const AWS_IDENTIFIER_WORDS: [&str; 4] = ["access", "aws", "amazon", "s3"];

fn is_identifier_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

fn is_separator_byte(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t' | b'"' | b'\'' | b'`' | b':' | b'=' | b'>' | b',' | b'(' | b'\\' | b'['
    )
}

/// The secret value announced by the keyword hit at `hit`, if the identifier names an AWS secret
/// and a valid secret (plain or base64-encoded) follows it: its run and decoded secret.
pub(crate) fn secret_after_keyword(data: &[u8], hit: usize) -> Option<(Run, String)> {
    let (name, value) = identifier_at(data, hit)?;
    if !name.contains("secret") {
        return None;
    }
    let strong = AWS_IDENTIFIER_WORDS.iter().any(|w| name.contains(w));
    let weak = name.ends_with("secretkey") || name == "secret";
    if !(strong || (weak && aws_nearby(data, hit))) {
        return None;
    }
    let run = run_at(data, value, MAX_SECRET_RUN)?;
    let secret = secret_from_run(&run)?;
    Some((run, secret))
}

/// The identifier around the keyword hit at `hit` (alphanumerics only, lowercased) and where
/// the value after it starts, past the separators (`=`, `:`, quotes, blanks); `None` when no
/// separator follows the identifier.
pub(crate) fn identifier_at(data: &[u8], hit: usize) -> Option<(String, usize)> {
    let mut start = hit;
    while start > 0 && hit - start < IDENTIFIER_REACH && is_identifier_byte(data[start - 1]) {
        start -= 1;
    }
    let mut end = hit;
    while end < data.len() && end - hit < IDENTIFIER_REACH && is_identifier_byte(data[end]) {
        end += 1;
    }
    let name: String = data[start..end]
        .iter()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(|b| b.to_ascii_lowercase() as char)
        .collect();
    let mut value = end;
    while value < data.len() && value - end < SEPARATOR_REACH && is_separator_byte(data[value]) {
        value += 1;
    }
    (value > end).then_some((name, value))
}

fn aws_nearby(data: &[u8], hit: usize) -> bool {
    let lo = hit.saturating_sub(AWS_CONTEXT_REACH);
    let hi = (hit + AWS_CONTEXT_REACH).min(data.len());
    data[lo..hi]
        .windows(3)
        .any(|w| w.eq_ignore_ascii_case(b"aws") || w.eq_ignore_ascii_case(b"s3:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "mOglHlDh1PftaK5JoKOwzEK9NqN77j6I5n5IMRmU";

    fn find(text: &str) -> Option<String> {
        let hit = text.to_ascii_lowercase().find("secret")?;
        secret_after_keyword(text.as_bytes(), hit).map(|(_, s)| s)
    }

    #[test]
    fn common_forms() {
        for form in [
            format!("AWS_SECRET_ACCESS_KEY={SECRET}"),
            format!("aws_secret_access_key = {SECRET}"),
            format!("\"SecretAccessKey\": \"{SECRET}\""),
            format!("secretAccessKey: '{SECRET}',"),
            format!("<SecretAccessKey>{SECRET}</SecretAccessKey>"),
            format!("fs.s3a.secret.key={SECRET}"),
            format!("provider \"aws\" {{\n  secret_key = \"{SECRET}\"\n}}"),
            format!("{{\\\"SecretAccessKey\\\":\\\"{SECRET}\\\"}}"),
        ] {
            assert_eq!(find(&form).as_deref(), Some(SECRET), "{form}");
        }
    }

    #[test]
    fn references_and_unrelated_secrets() {
        for form in [
            "AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY}".to_string(),
            "secret = os.environ['AWS_SECRET_ACCESS_KEY']".to_string(),
            "secret_key = var.aws_secret_key".to_string(),
            format!("SECRET_KEY = '{SECRET}'"),
            format!("client_secret = '{SECRET}'"),
            format!("AWS_SECRET_ACCESS_KEY={SECRET}x"),
        ] {
            assert_eq!(find(&form), None, "{form}");
        }
    }
}
