//! Byte windows around hits (of the prefilter, or of a validator). Overlapping windows are merged before anything reads them,
//! so bytes shared by many hits are read once.

use std::ops::Range;

/// The windows reaching `reach` bytes on either side of each span (clamped to `len`), sorted and
/// with overlapping or touching ones merged.
pub(crate) fn merged_windows<'a>(
    spans: impl Iterator<Item = &'a Range<usize>>,
    reach: usize,
    len: usize,
) -> Vec<Range<usize>> {
    merge(
        spans
            .map(|s| s.start.saturating_sub(reach)..(s.end + reach + 1).min(len))
            .collect(),
    )
}

/// Sorts `windows` and merges those that overlap or touch.
pub(crate) fn merge(mut windows: Vec<Range<usize>>) -> Vec<Range<usize>> {
    windows.sort_unstable_by_key(|w| w.start);
    let mut merged: Vec<Range<usize>> = Vec::new();
    for w in windows {
        match merged.last_mut() {
            Some(last) if w.start <= last.end => last.end = last.end.max(w.end),
            _ => merged.push(w),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_overlapping_and_touching_windows() {
        assert_eq!(
            merge(vec![5..9, 0..3, 3..4, 8..12, 20..21]),
            vec![0..4, 5..12, 20..21]
        );
        assert_eq!(merged_windows([2..4, 5..6].iter(), 1, 7), vec![1..7]);
    }
}
