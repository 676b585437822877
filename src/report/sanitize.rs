//! The one sanitiser for what reaches a terminal or a CI log: paths, messages, rule ids and names
//! in a repository (or in a configuration from a pull request) are attacker-controlled text. A
//! raw ESC, BEL or CR could move the cursor, retitle the window, hide lines or forge a CI log
//! line; a bidirectional override could make a path read as another. JSON, JSON Lines and SARIF
//! keep exact values, escaped by their format.

/// `s` with every control character (C0, DEL, C1) and every bidirectional formatting character
/// replaced by `?`.
pub(crate) fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if is_unsafe(c) { '?' } else { c })
        .collect()
}

/// Like [`sanitize`], but keeps line breaks: for multi-line messages keyfence writes itself.
pub(crate) fn sanitize_lines(s: &str) -> String {
    s.chars()
        .map(|c| if c != '\n' && is_unsafe(c) { '?' } else { c })
        .collect()
}

fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_are_neutralised() {
        assert_eq!(
            sanitize("evil\x1b]0;pwned\x07\x1b[2J.txt"),
            "evil?]0;pwned??[2J.txt"
        );
        assert_eq!(sanitize("a\rb\nc\u{9b}d\u{202e}e"), "a?b?c?d?e");
        assert_eq!(sanitize_lines("one\ntwo\x1b"), "one\ntwo?");
        assert_eq!(sanitize("caf\u{e9} \u{1F600}"), "caf\u{e9} \u{1F600}");
    }
}
