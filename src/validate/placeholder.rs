//! Placeholders and documentation examples: text shaped like a credential that nobody can use.

/// Words whose presence in a key ID body or secret marks it as made up for documentation or tests.
const PLACEHOLDER_WORDS: &[&str] = &[
    "EXAMPLE",
    "SAMPLE",
    "PLACEHOLDER",
    "REDACTED",
    "DUMMY",
    "FAKE",
    "XXXX",
    "YOURKEY",
    "YOURSECRET",
    "CHANGEME",
    "NOTREAL",
];

/// The longest run of one repeated character a real credential plausibly holds.
const MAX_REPEATED_RUN: usize = 4;

/// The longest ascending or descending run (`ABCDE`, `34567`) a real credential plausibly holds.
const MAX_SEQUENTIAL_RUN: usize = 5;

/// True when `text` holds a placeholder word (case-insensitive), a long run of one character, or a
/// long alphabetical or numerical sequence. These are all vanishingly rare in random material:
/// a random base32 key ID body holds a 5-run with probability about 1e-5.
pub(crate) fn looks_like_placeholder(text: &[u8]) -> bool {
    contains_placeholder_word(text)
        || longest_repeated_run(text) > MAX_REPEATED_RUN
        || longest_sequential_run(text) > MAX_SEQUENTIAL_RUN
}

/// True when `text` contains one of the placeholder words (`PLACEHOLDER_WORDS`), ignoring ASCII case.
pub(crate) fn contains_placeholder_word(text: &[u8]) -> bool {
    let upper: Vec<u8> = text.iter().map(u8::to_ascii_uppercase).collect();
    PLACEHOLDER_WORDS
        .iter()
        .any(|w| upper.windows(w.len()).any(|win| win == w.as_bytes()))
}

/// The AWS documentation's example values end in `EXAMPLE` (key IDs) or `EXAMPLEKEY` (secrets);
/// session tokens in the documentation end in `EXAMPLE` too.
pub(crate) fn is_documentation_example(text: &[u8]) -> bool {
    text.ends_with(b"EXAMPLE") || text.ends_with(b"EXAMPLEKEY")
}

fn longest_repeated_run(text: &[u8]) -> usize {
    let mut best = 0;
    let mut run = 0;
    let mut prev = None;
    for &b in text {
        run = if Some(b) == prev { run + 1 } else { 1 };
        prev = Some(b);
        best = best.max(run);
    }
    best
}

fn longest_sequential_run(text: &[u8]) -> usize {
    let mut best = 1.min(text.len());
    let (mut up, mut down) = (1, 1);
    for pair in text.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let same_class = a.is_ascii_alphanumeric()
            && b.is_ascii_alphanumeric()
            && (a.is_ascii_digit() == b.is_ascii_digit());
        up = if same_class && b == a.wrapping_add(1) {
            up + 1
        } else {
            1
        };
        down = if same_class && a == b.wrapping_add(1) {
            down + 1
        } else {
            1
        };
        best = best.max(up).max(down);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documentation_examples() {
        assert!(is_documentation_example(b"AKIAIOSFODNN7EXAMPLE"));
        assert!(is_documentation_example(
            b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        ));
        let near_miss = concat!("AKIA", "IOSFODNN7EAXMPLE");
        assert!(!is_documentation_example(near_miss.as_bytes()));
    }

    #[test]
    fn placeholders() {
        assert!(looks_like_placeholder(b"XXXXXXXXXXXXXXXX"));
        assert!(looks_like_placeholder(b"ABCDEFGHIJKLMNOP"));
        assert!(looks_like_placeholder(b"Q7ZYXWVU2MNB"));
        assert!(looks_like_placeholder(b"fakeKEYvalue"));
        assert!(!looks_like_placeholder(b"TH3BIMGOQ2GH24SH"));
        assert!(!looks_like_placeholder(
            b"NCzYEA8vb3cNZdZw5Y4DUdiujk9urDQvwjG3sIcW"
        ));
    }
}
