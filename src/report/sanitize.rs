//! The one sanitiser for what reaches a terminal or a CI log: paths, messages and names in a
//! repository are attacker-controlled text.

/// Removes control characters: paths and messages in a repository are attacker-controlled text
/// and must not move the cursor or recolour the terminal.
pub(crate) fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}
