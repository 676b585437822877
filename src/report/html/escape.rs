//! The one HTML escaper: every string the page shows that came from the repository, its
//! configuration or an answer from AWS (paths, authors, commit ids and dates, rule ids and
//! text, ARNs) passes through it, in element content and in quoted attribute values alike.

use crate::report::sanitize;

/// `s` safe as HTML text or as a double- or single-quoted attribute value: control and
/// bidirectional formatting characters replaced by `?` (as on a terminal), then `&`, `<`, `>`,
/// `"` and `'` written as character references.
pub(crate) fn escape(s: &str) -> String {
    escape_with(s, &[])
}

/// [`escape`], and a backslash before each of `backslashed` (Markdown's punctuation).
pub(crate) fn escape_with(s: &str, backslashed: &[char]) -> String {
    let clean = sanitize(s);
    let mut out = String::with_capacity(clean.len());
    for c in clean.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if backslashed.contains(&c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_quotes_become_references() {
        assert_eq!(
            escape("<img src=x onerror=alert(1)>.env"),
            "&lt;img src=x onerror=alert(1)&gt;.env"
        );
        assert_eq!(escape("a\"b'c&d"), "a&quot;b&#39;c&amp;d");
        assert_eq!(
            escape("</script><script>x()</script>"),
            "&lt;/script&gt;&lt;script&gt;x()&lt;/script&gt;"
        );
        assert_eq!(escape("tab\there\u{202e}"), "tab?here?");
        assert_eq!(escape("caf\u{e9}"), "caf\u{e9}");
        // An escaped value never closes an attribute or opens a tag.
        for s in ["\" onmouseover=\"x", "' x='", "&#x3c;", "<!--"] {
            let e = escape(s);
            assert!(!e.contains(['<', '>', '"', '\'']), "{e}");
        }
    }
}
