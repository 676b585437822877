//! A place in a text file (`file:line:column`): where a rule is defined, and where every
//! configuration, rule and baseline error points.

use std::fmt;
use std::ops::Range;

/// A file, a 1-based line and a 1-based column.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// The file as named in messages.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl Location {
    /// The place of byte `offset` in `text`, the contents of `file`.
    pub(crate) fn of_offset(file: &str, text: &str, offset: usize) -> Location {
        let (line, column) = line_col(text, offset);
        Location {
            file: file.to_string(),
            line,
            column,
        }
    }

    /// The place where `span` starts in `text`.
    pub(crate) fn at(file: &str, text: &str, span: Range<usize>) -> Location {
        Location::of_offset(file, text, span.start)
    }

    /// A given line and column of `file`.
    pub(crate) fn new(file: &str, line: usize, column: usize) -> Location {
        Location {
            file: file.to_string(),
            line,
            column,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// Line and column (1-based) of a byte offset in a text.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}
