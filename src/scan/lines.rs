//! Line and column numbers for byte offsets, computed only for blobs that have findings.

/// Maps byte offsets to 1-based (line, column) by counting newlines once, in offset order.
#[derive(Debug)]
pub(crate) struct LineIndex<'a> {
    data: &'a [u8],
    /// Newline positions up to the furthest offset asked for so far.
    newlines: Vec<usize>,
    scanned_to: usize,
}

impl<'a> LineIndex<'a> {
    /// An index over `data`; nothing is counted until asked.
    pub(crate) fn new(data: &'a [u8]) -> LineIndex<'a> {
        LineIndex {
            data,
            newlines: Vec::new(),
            scanned_to: 0,
        }
    }

    fn extend_to(&mut self, offset: usize) {
        let offset = offset.min(self.data.len());
        if offset > self.scanned_to {
            let base = self.scanned_to;
            self.newlines
                .extend(memchr::memchr_iter(b'\n', &self.data[base..offset]).map(|i| base + i));
            self.scanned_to = offset;
        }
    }

    /// 1-based line and byte column of `offset`.
    pub(crate) fn locate(&mut self, offset: usize) -> (usize, usize) {
        self.extend_to(offset);
        let line_idx = self.newlines.partition_point(|&n| n < offset);
        let line_start = if line_idx == 0 {
            0
        } else {
            self.newlines[line_idx - 1] + 1
        };
        (line_idx + 1, offset - line_start + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_offsets() {
        let data = b"ab\r\ncd\nef";
        let mut idx = LineIndex::new(data);
        assert_eq!(idx.locate(0), (1, 1));
        assert_eq!(idx.locate(4), (2, 1));
        assert_eq!(idx.locate(8), (3, 2));
        assert_eq!(idx.locate(1), (1, 2));
    }
}
