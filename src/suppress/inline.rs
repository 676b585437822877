//! Inline allow directives: `keyfence:allow`, and for teams switching tools `gitleaks:allow` and
//! `pragma: allowlist secret` (detect-secrets).
//!
//! A directive on any line of a finding suppresses it; so does a directive in a comment that
//! stands alone on the line directly above the finding's first line.

use memchr::memmem;

/// The directives honoured, matched exactly (case-sensitive).
pub(crate) const DIRECTIVES: [&str; 3] = [
    "keyfence:allow",
    "gitleaks:allow",
    "pragma: allowlist secret",
];

/// Line-comment openers recognised for a directive on the line above a finding.
pub(crate) const COMMENT_MARKERS: [&str; 9] = ["#", "//", "--", ";", "/*", "<!--", "%", "'", "REM"];

/// True when `text` holds a directive.
pub(crate) fn has_directive(text: &[u8]) -> bool {
    DIRECTIVES
        .iter()
        .any(|d| memmem::find(text, d.as_bytes()).is_some())
}

/// True when `line`, once indented whitespace is skipped, is only a comment and holds a directive.
pub(crate) fn is_directive_comment(line: &[u8]) -> bool {
    let trimmed = line.trim_ascii_start();
    let opens_comment = COMMENT_MARKERS.iter().any(|m| {
        if *m == "REM" {
            // Batch files: `REM` (any case) as a whole word.
            trimmed.len() >= 3
                && trimmed[..3].eq_ignore_ascii_case(b"REM")
                && trimmed.get(3).is_none_or(|b| b.is_ascii_whitespace())
        } else {
            trimmed.starts_with(m.as_bytes())
        }
    });
    opens_comment && has_directive(trimmed)
}

/// Where a finding sits in its blob, for the directive check.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FindingLines<'a> {
    /// The finding's lines, from the start of its first line to the end of its last.
    pub lines: &'a [u8],
    /// The line above the first one, when there is one.
    pub above: Option<&'a [u8]>,
}

/// True when a directive suppresses a finding on `lines`.
pub(crate) fn suppressed(f: &FindingLines<'_>) -> bool {
    has_directive(f.lines) || f.above.is_some_and(is_directive_comment)
}

/// The finding's lines and the line above, for a byte span in `data`.
pub(crate) fn finding_lines(data: &[u8], start: usize, end: usize) -> FindingLines<'_> {
    let start = start.min(data.len());
    let end = end.clamp(start, data.len());
    let line_start = memchr::memrchr(b'\n', &data[..start]).map_or(0, |i| i + 1);
    let last = end.saturating_sub(1).max(start);
    let line_end =
        memchr::memchr(b'\n', &data[last.min(data.len())..]).map_or(data.len(), |i| last + i);
    let lines = strip_cr(&data[line_start..line_end.max(line_start)]);
    let above = (line_start > 0).then(|| {
        let prev_end = line_start - 1;
        let prev_start = memchr::memrchr(b'\n', &data[..prev_end]).map_or(0, |i| i + 1);
        strip_cr(&data[prev_start..prev_end])
    });
    FindingLines { lines, above }
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directive_on_the_line_or_in_a_comment_above() {
        for above in [
            "# keyfence:allow",
            "  // gitleaks:allow",
            "-- keyfence:allow test data",
            "; pragma: allowlist secret",
            "/* keyfence:allow */",
            "<!-- keyfence:allow -->",
            "% keyfence:allow",
            "' keyfence:allow",
            "REM keyfence:allow",
            "rem gitleaks:allow",
        ] {
            assert!(is_directive_comment(above.as_bytes()), "{above}");
        }
        for not in [
            "x = 1 # keyfence:allow",
            "# a comment",
            "REMOVE keyfence:allow",
            "keyfence:allow",
            "# keyfence:ALLOW",
        ] {
            assert!(!is_directive_comment(not.as_bytes()), "{not}");
        }
    }

    #[test]
    fn finding_lines_cover_the_span_and_the_line_above() {
        let data = b"# keyfence:allow\r\nkey = K\nsecret = S\nnext\n";
        let key = 24; // the K
        let secret_end = data.len() - 6; // end of "S"
        let f = finding_lines(data, key, secret_end);
        assert_eq!(f.lines, b"key = K\nsecret = S");
        assert_eq!(f.above, Some(&b"# keyfence:allow"[..]));
        assert!(suppressed(&f));
        let first = finding_lines(data, 0, 3);
        assert_eq!(first.above, None);
        let last = finding_lines(data, data.len(), data.len());
        assert_eq!(last.lines, b"");
    }
}
