//! Base64-alphabet runs in raw bytes, decoding the escapes that hide them in JSON (`\/`,
//! `\u002F`, `\u002B`, which .NET's serializer writes for `+`) and URLs (`%2F`, `%2B`). A secret or token must be a whole run, never a slice of a longer one.

use std::ops::Range;

/// A maximal run of base64 characters: its byte span in the blob and its decoded text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Run {
    /// Byte span in the blob, escapes included.
    pub span: Range<usize>,
    /// The run with escapes decoded (`\/` and `%2F` become `/`, `%2B` becomes `+`).
    pub text: String,
    /// `=` padding characters directly after the run.
    pub padding: usize,
}

/// True for `A-Z a-z 0-9 + /`.
pub(crate) fn is_base64_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

/// True when the two bytes ending right before `i` are an escaped separator (`\n`, `\t`, `\r`) as
/// written inside a JSON or C string: text after it starts a new token.
pub(crate) fn escaped_separator_before(data: &[u8], i: usize) -> bool {
    i >= 2 && data[i - 2] == b'\\' && matches!(data[i - 1], b'n' | b't' | b'r')
}

/// If an escaped base64 character starts at `i`, its decoded byte and encoded length.
fn escape_at(data: &[u8], i: usize) -> Option<(u8, usize)> {
    let len = match data.get(i..i + 2) {
        Some(b"\\/") => return Some((b'/', 2)),
        Some(b"%2") => 3,
        Some(b"\\u") if data.get(i + 2..i + 5) == Some(b"002") => 6,
        _ => return None,
    };
    match data.get(i + len - 1)? {
        b'F' | b'f' => Some((b'/', len)),
        b'B' | b'b' => Some((b'+', len)),
        _ => None,
    }
}

/// One base64 character (plain or escaped) at `i`: decoded byte and encoded length.
fn char_at(data: &[u8], i: usize) -> Option<(u8, usize)> {
    let b = *data.get(i)?;
    if is_base64_byte(b) {
        Some((b, 1))
    } else {
        escape_at(data, i)
    }
}

/// True when the byte before `i` continues a run (so `i` is not the start of a whole token).
fn continues_before(data: &[u8], i: usize) -> bool {
    if i == 0 || escaped_separator_before(data, i) {
        return false;
    }
    if is_base64_byte(data[i - 1]) {
        return true;
    }
    // An escape that ends right before `i`: `\/`, `%2F`/`%2B` or `\u002F`/`\u002B`.
    [2, 3, 6]
        .into_iter()
        .any(|n| i >= n && escape_at(data, i - n).is_some_and(|(_, m)| m == n))
}

/// Maximal runs that start inside `window` and are `min_len..=max_len` decoded characters long,
/// in order. A run that began before the window is skipped whole. Runs are measured before their
/// text is built, so the many short words of ordinary text cost no allocation.
pub(crate) fn runs_in(
    data: &[u8],
    window: Range<usize>,
    min_len: usize,
    max_len: usize,
) -> Vec<Run> {
    let mut runs = Vec::new();
    let mut i = window.start;
    // Never start in the middle of a run that began before the window.
    while i < window.end && i < data.len() && continues_before(data, i) {
        i += char_at(data, i).map_or(1, |(_, n)| n);
    }
    while i < window.end && i < data.len() {
        if data[i] == b'\\' && matches!(data.get(i + 1), Some(b'n' | b't' | b'r')) {
            i += 2;
            continue;
        }
        if !is_base64_byte(data[i]) && escape_at(data, i).is_none() {
            i += 1;
            continue;
        }
        let start = i;
        let mut len = 0;
        let mut escaped = false;
        while let Some((_, n)) = char_at(data, i) {
            len += 1;
            escaped |= n > 1;
            i += n;
        }
        let mut padding = 0;
        while data.get(i + padding) == Some(&b'=') {
            padding += 1;
        }
        if (min_len..=max_len).contains(&len) {
            let text = if escaped {
                let mut text = String::with_capacity(len);
                let mut j = start;
                while let Some((b, n)) = char_at(data, j) {
                    text.push(b as char);
                    j += n;
                }
                text
            } else {
                // Only ASCII base64 bytes: valid UTF-8.
                String::from_utf8_lossy(&data[start..i]).into_owned()
            };
            runs.push(Run {
                span: start..i,
                text,
                padding,
            });
        }
        i += padding;
    }
    runs
}

/// The run that starts exactly at `start`, if it is a whole token.
pub(crate) fn run_at(data: &[u8], start: usize, max_len: usize) -> Option<Run> {
    if continues_before(data, start) {
        return None;
    }
    runs_in(data, start..start + 1, 1, max_len)
        .into_iter()
        .find(|r| r.span.start == start)
}

/// Decodes up to `max_chars` base64 characters (standard or URL-safe alphabet) from the start of
/// `text`, stopping at the first other byte.
pub(crate) fn decode_base64(text: &[u8], max_chars: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for &c in text.iter().take(max_chars) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => break,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_json_and_url_escapes() {
        let data = br#"x = "ab\/cd%2Fef%2bgh""#;
        let runs = runs_in(data, 0..data.len(), 1, 100);
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[1].text, "ab/cd/ef+gh");
        assert_eq!(runs[1].span, 5..data.len() - 1);
    }

    #[test]
    fn decodes_json_unicode_escapes() {
        let data = br#"{"k": "ab\u002Bcd\u002fef"}"#;
        let runs = runs_in(data, 0..data.len(), 3, 100);
        assert_eq!(runs.len(), 1, "{runs:?}");
        assert_eq!(runs[0].text, "ab+cd/ef");
        assert!(run_at(data, 7, 100).is_some());
        assert!(run_at(data, 15, 100).is_none());
    }

    #[test]
    fn escaped_newlines_separate_runs() {
        let data = br#""abc\ndef\tgh""#;
        let texts: Vec<String> = runs_in(data, 0..data.len(), 1, 100)
            .into_iter()
            .map(|r| r.text)
            .collect();
        assert_eq!(texts, ["abc", "def", "gh"]);
        assert!(run_at(data, 6, 100).is_some());
    }

    #[test]
    fn skips_runs_that_began_before_the_window() {
        let data = b"abcdefgh ijk";
        let runs = runs_in(data, 3..data.len(), 1, 100);
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].text, "ijk");
    }

    #[test]
    fn long_runs_are_dropped_and_padding_counted() {
        let data = b"aaaaaaaaaa bb== c";
        let runs = runs_in(data, 0..data.len(), 1, 5);
        assert_eq!(runs[0].text, "bb");
        assert_eq!(runs[0].padding, 2);
        assert_eq!(runs[1].text, "c");
    }
}
