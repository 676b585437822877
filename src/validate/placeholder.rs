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
/// session tokens in the documentation end in `EXAMPLE` too. Near-variants of the documented
/// values are documentation as well (see [`is_near_documented`]).
pub(crate) fn is_documentation_example(text: &[u8]) -> bool {
    text.ends_with(b"EXAMPLE") || text.ends_with(b"EXAMPLEKEY") || is_near_documented(text)
}

/// The key IDs and secrets AWS's documentation uses (`../shared/AWS_FORMATS.md`), spelled in
/// pieces so that this file does not hold them whole.
const DOCUMENTED: [[&str; 2]; 4] = [
    ["AKIAIOSFODNN7", "EXAMPLE"],
    ["AKIAI44QH8DHB", "EXAMPLE"],
    ["wJalrXUtnFEMI/K7MDENG/bPxRfiCY", "EXAMPLEKEY"],
    ["je7MtGbClwBF/2Zp9Utk/h3yCo8nvb", "EXAMPLEKEY"],
];

/// At most this many characters differ between a near-variant and the documented value.
const NEAR_VARIANT_CHANGES: usize = 2;

/// A key ID body (after its 4-character prefix) that starts with this many characters of a
/// documented one (all of it before `EXAMPLE`) is a variant of it: a random body does so with
/// probability 32^-9.
const KEY_ID_SHARED_HEAD: usize = 9;

/// A secret that starts with this many characters of a documented one is a variant of it (the
/// documented secret with its tail changed): a random secret does so with probability 64^-24.
const SECRET_SHARED_HEAD: usize = 24;

/// True when `text` is a documented example value with one or two characters changed (a digit for
/// a letter in `EXAMPLE`, a transposition, another 4-character prefix), or a documented value's
/// head with another tail. A random real key lands this close with a probability far below one
/// in 10^14, so nothing real is lost.
pub(crate) fn is_near_documented(text: &[u8]) -> bool {
    DOCUMENTED.iter().any(|[head, tail]| {
        let (head, tail) = (head.as_bytes(), tail.as_bytes());
        let len = head.len() + tail.len();
        if text.len() != len {
            return false;
        }
        let changes = text
            .iter()
            .zip(head.iter().chain(tail))
            .filter(|(a, b)| a != b)
            .count();
        let shared = |skip: usize| {
            text[skip..]
                .iter()
                .zip(&head[skip..])
                .take_while(|(a, b)| a == b)
                .count()
        };
        changes <= NEAR_VARIANT_CHANGES
            || match len {
                20 => shared(4) >= KEY_ID_SHARED_HEAD,
                _ => shared(0) >= SECRET_SHARED_HEAD,
            }
    })
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
        let unrelated = concat!("AKIA", "TH3BIMGOQ2GH24SH");
        assert!(!is_documentation_example(unrelated.as_bytes()));
    }

    #[test]
    fn near_variants_of_documented_values_are_documentation() {
        for near in [
            concat!("AKIA", "IOSFODNN7EAXMPLE"),
            concat!("AKIA", "IOSFODNN7EXAMP1E"),
            concat!("ASIA", "IOSFODNN7EXAMPL3"),
            concat!("AKIA", "I44QH8DHBEXAMP7Q"),
            concat!("AKIA", "IOSFODNN7Q2B5ZHW"),
            concat!("wJalrXUtnFEMI/K7MDENG/bPxRfiCY", "EXAMPLEK3Y"),
            concat!("wJalrXUtnFEMI/K7MDENG/bPx", "9Zk2m1Ja0pQv8Lr"),
            concat!("je7MtGbClwBF/2Zp9Utk/h3yCo8nvb", "EXAMPL3KEY"),
        ] {
            assert!(is_documentation_example(near.as_bytes()), "{near}");
        }
        for far in [
            concat!("AKIA", "IOSFODN7Q2B5ZHWM"),
            concat!("AKIA", "IOSFODNN7"),
            concat!("wJalrXUtnFEMI/K7MDENG/b", "Q9Zk2m1Ja0pQv8Lrx"),
            "NCzYEA8vb3cNZdZw5Y4DUdiujk9urDQvwjG3sIcW",
        ] {
            assert!(!is_documentation_example(far.as_bytes()), "{far}");
        }
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
