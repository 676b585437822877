//! Inline allow directives: `keyfence:allow`, and for teams switching tools `gitleaks:allow` and
//! `pragma: allowlist secret` (detect-secrets).
//!
//! A directive on any line of a finding suppresses it; so does a directive in a comment that
//! stands alone on the line directly above the finding's first line.

use memchr::memmem;

use crate::scan::work;
use crate::validate::PAIRING_WINDOW_BYTES;

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
    /// The finding's lines, from the start of its first line to the end of its last; on a line
    /// longer than the reach, only the reach on either side of the finding.
    pub lines: &'a [u8],
    /// The line above the first one, when there is one.
    pub above: Option<&'a [u8]>,
}

/// True when a directive suppresses a finding on `lines`.
pub(crate) fn suppressed(f: &FindingLines<'_>) -> bool {
    has_directive(f.lines) || f.above.is_some_and(is_directive_comment)
}

/// How far from a finding, on its own lines, a directive (and an allowlist's `line` regex) is
/// looked for: on a long minified line a directive a megabyte away is not about this finding.
pub(crate) const REACH: usize = PAIRING_WINDOW_BYTES;

/// The finding lines of one blob's detections. Detections come in position order, so the line a
/// detection starts on is usually the previous one's: its extent and the verdict on the line
/// above are computed once per line, and each finding looks only within [`REACH`] of itself, so
/// the work stays linear however many findings a long line holds.
#[derive(Debug)]
pub(crate) struct LineCache<'a> {
    data: &'a [u8],
    /// The last line met: its start and end (before the newline).
    line: Option<(usize, usize)>,
    /// The last line whose line above was looked up, and that line's extent.
    above: Option<(usize, Option<(usize, usize)>)>,
}

impl<'a> LineCache<'a> {
    /// A cache over `data`.
    pub(crate) fn new(data: &'a [u8]) -> LineCache<'a> {
        LineCache {
            data,
            line: None,
            above: None,
        }
    }

    /// The extent of the line holding `pos`.
    fn line_at(&mut self, pos: usize) -> (usize, usize) {
        if let Some((s, e)) = self.line {
            if s <= pos && pos <= e {
                return (s, e);
            }
        }
        let data = self.data;
        let start = memchr::memrchr(b'\n', &data[..pos]).map_or(0, |i| i + 1);
        let end = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i);
        work::add(end - start);
        self.line = Some((start, end));
        (start, end)
    }

    /// The lines of a detection spanning `start..end`, and the line above its first.
    pub(crate) fn finding_lines(&mut self, start: usize, end: usize) -> FindingLines<'a> {
        let data = self.data;
        let start = start.min(data.len());
        let end = end.clamp(start, data.len());
        let last = end.saturating_sub(1).max(start);
        let (line_start, first_end) = self.line_at(start);
        let line_end = if last <= first_end {
            first_end
        } else {
            self.line_at(last).1
        };
        let lo = line_start.max(start.saturating_sub(REACH));
        let hi = line_end.min(end.saturating_add(REACH)).max(lo);
        work::add(hi - lo);
        let lines = strip_cr(&data[lo..hi]);
        let above = self
            .above_of(line_start)
            .map(|(s, e)| strip_cr(&data[s..e]));
        FindingLines { lines, above }
    }

    /// The extent of the line above the line starting at `line_start`, unless there is none or
    /// it is longer than a comment line can be.
    fn above_of(&mut self, line_start: usize) -> Option<(usize, usize)> {
        if let Some((s, above)) = self.above {
            if s == line_start {
                return above;
            }
        }
        let above = line_start.checked_sub(1).and_then(|prev_end| {
            let from = prev_end.saturating_sub(MAX_COMMENT_LINE);
            work::add(prev_end - from);
            match memchr::memrchr(b'\n', &self.data[from..prev_end]) {
                Some(i) => Some((from + i + 1, prev_end)),
                None if from == 0 => Some((0, prev_end)),
                None => None,
            }
        });
        self.above = Some((line_start, above));
        above
    }
}

/// Longest line above a finding that is read as a directive comment.
const MAX_COMMENT_LINE: usize = REACH;

/// The finding's lines and the line above, for a byte span in `data`.
#[cfg(test)]
pub(crate) fn finding_lines(data: &[u8], start: usize, end: usize) -> FindingLines<'_> {
    LineCache::new(data).finding_lines(start, end)
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
