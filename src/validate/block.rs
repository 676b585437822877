//! Whether two parts of a credential sit in the same structural block: the same block of
//! environment variables or ini section, the same JSON object, the same YAML mapping. Parts in
//! one block belong together even when more lines than the pairing window separate them (an
//! alphabetically sorted environment dump puts `AWS_ACCESS_KEY_ID` a dozen lines from
//! `AWS_SECRET_ACCESS_KEY`).

use std::ops::Range;

/// True when nothing between `a` and `b` (in either order) ends the block the first one is in:
/// no blank line, no ini section header (`[profile x]`), no closing of the JSON object or array
/// the first part is in and no opening of one the second part is in, and, in indented text, no
/// line indented less than both parts' lines nor a new list item (`- `) at the level of the
/// first part's line or above.
pub(crate) fn same_block(data: &[u8], a: &Range<usize>, b: &Range<usize>) -> bool {
    let (first, second) = if a.start <= b.start { (a, b) } else { (b, a) };
    if first.end > second.start || second.start > data.len() {
        return false;
    }
    let between = &data[first.end..second.start];
    balanced(between) && lines_stay_in_block(data, first.start, second.start)
}

/// True when `between` never closes a bracket it did not open, and closes all it opens.
fn balanced(between: &[u8]) -> bool {
    let mut depth: i64 = 0;
    for &c in between {
        match c {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

/// Checks the whole lines strictly between the line of `first` and the line of `second`.
fn lines_stay_in_block(data: &[u8], first: usize, second: usize) -> bool {
    let line_start = |at: usize| {
        data[..at]
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |p| p + 1)
    };
    let first_line = line_start(first);
    let second_line = line_start(second);
    if first_line == second_line {
        return true;
    }
    let first_level = indent(line_at(data, first_line));
    let floor = first_level.min(indent(line_at(data, second_line)));
    let first_end = first_line + line_at(data, first_line).len();
    // The whole lines after the first part's line and before the second part's line.
    let middle = data.get(first_end + 1..second_line).unwrap_or_default();
    let Some(middle) = middle.strip_suffix(b"\n") else {
        return true;
    };
    for raw in middle.split(|&c| c == b'\n') {
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        let text = line.trim_ascii();
        let level = indent(line);
        let ends_block = text.is_empty()
            || (text.starts_with(b"[") && text.ends_with(b"]") && !text.contains(&b'"'))
            || level < floor
            || (text.starts_with(b"- ") && level <= first_level);
        if ends_block {
            return false;
        }
    }
    true
}

/// The line that starts at `start`, without its newline.
fn line_at(data: &[u8], start: usize) -> &[u8] {
    let rest = &data[start..];
    let end = rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
    &rest[..end]
}

/// Leading spaces and tabs of `line`.
fn indent(line: &[u8]) -> usize {
    line.iter()
        .take_while(|&&c| c == b' ' || c == b'\t')
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the parts marked `K` and `S` in `text` are in one block.
    fn check(text: &str) -> bool {
        let k = text.find("KEY").unwrap();
        let s = text.find("SECRET").unwrap();
        same_block(text.as_bytes(), &(k..k + 3), &(s..s + 6))
    }

    #[test]
    fn blocks_of_environment_variables_and_ini_sections() {
        let mut env = String::from("AWS_ACCESS_KEY_ID=KEY\n");
        for i in 0..12 {
            env.push_str(&format!("AWS_OTHER_{i}=value\n"));
        }
        env.push_str("AWS_SECRET_ACCESS_KEY=SECRET\n");
        assert!(check(&env));
        assert!(!check("a=KEY\nb=1\n\nc=SECRET\n"));
        assert!(!check("[one]\nid=KEY\nregion=x\n[two]\nsecret=SECRET\n"));
        assert!(check("[one]\nid=KEY\nregion=x\nsecret=SECRET\n"));
        assert!(check("secret=SECRET\nregion=x\nid=KEY\n"));
    }

    #[test]
    fn json_objects() {
        assert!(check(
            "{\n \"id\": \"KEY\",\n \"tags\": {\"a\": 1},\n \"secret\": \"SECRET\"\n}"
        ));
        assert!(!check(
            "[{\"id\": \"KEY\", \"n\": 1},\n {\"id\": \"x\", \"secret\": \"SECRET\"}]"
        ));
        assert!(!check(
            "{\"id\": \"KEY\", \"inner\": {\"secret\": \"SECRET\"}}"
        ));
    }

    #[test]
    fn yaml_mappings_and_lists() {
        assert!(check(
            "creds:\n  id: KEY\n  region: x\n  more:\n    a: 1\n  secret: SECRET\n"
        ));
        assert!(!check("a:\n  id: KEY\nb:\n  secret: SECRET\n"));
        assert!(!check(
            "- id: KEY\n  region: x\n- id: other\n  secret: SECRET\n"
        ));
        assert!(check("- id: KEY\n  region: x\n  secret: SECRET\n"));
    }
}
