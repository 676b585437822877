use super::*;
use crate::source::{check_examples, Blob, Origin};
use crate::validate::synthetic::expand_template;
use crate::validate::AwsSettings;

fn engine() -> ScanEngine {
    ScanEngine::new(RuleSet::builtin().unwrap(), AwsSettings::default())
}

/// One blob through the engine and the suppression steps, as every source scans it.
fn scan(engine: &ScanEngine, data: &[u8], path: &str) -> Vec<Finding> {
    let suppressor = Suppressor::default();
    let mut scanner = BlobScanner::new(engine, &suppressor, true);
    match scanner.scan(Blob {
        bytes: data,
        origin: Origin::File(std::path::Path::new(path)),
    }) {
        Scanned::Text(found) => found,
        Scanned::Binary => Vec::new(),
    }
}

/// Every built-in rule finds each of its examples and none of its negative examples.
#[test]
fn builtin_rule_examples() {
    let failures = check_examples(engine().rules());
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn finding_spans_lines_and_columns() {
    let text = expand_template("x\n  id = ${keyid:AKIA:1}\r\n  secret = ${secret:1}\r\n");
    let found = scan(&engine(), text.as_bytes(), "f");
    assert_eq!(found.len(), 1);
    let f = &found[0];
    assert_eq!((f.line, f.column, f.end_line), (2, 8, 3));
    assert_eq!(f.rule_id, "aws-access-key");
    assert!(f.account_id.is_some());
}

#[test]
fn repeats_of_one_credential_are_one_finding() {
    let text = expand_template("${keyid:AKIA:1}\n".repeat(10).as_str());
    let found = scan(&engine(), text.as_bytes(), "f");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].occurrences, 10);
}

#[test]
fn invalid_utf8_and_bom_are_scanned_as_bytes() {
    let mut data = vec![0xEF, 0xBB, 0xBF, 0xFF, 0xFE, b'\n'];
    data.extend_from_slice(expand_template("k=${keyid:AKIA:3} ").as_bytes());
    data.push(0xE9);
    let found = scan(&engine(), &data, "f");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].line, 2);
}

/// The work counted (regex windows, line extents, directive searches) while scanning `data`
/// with `rules`.
fn work_of(rules: &RuleSet, data: &[u8]) -> (u64, usize) {
    let engine = ScanEngine::new(rules.clone(), AwsSettings::default());
    let before = crate::scan::work::total();
    let found = scan(&engine, data, "f");
    (crate::scan::work::total() - before, found.len())
}

/// Doubling the input at most doubles the work (with a little slack), whatever a long line
/// holds: `n` key IDs on one line, and a custom rule that matches everywhere.
#[test]
fn work_is_linear_in_the_input() {
    use crate::validate::synthetic::key_id;
    let builtin = RuleSet::builtin().unwrap();
    // A one-line CloudTrail-like export: many temporary key IDs on a single line.
    let one_line = |n: u64| {
        let records: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    "{{\"accessKeyId\":\"{}\",\"eventName\":\"GetObject\"}}",
                    key_id("ASIA", i)
                )
            })
            .collect();
        format!("{{\"Records\":[{}]}}\n", records.join(",")).into_bytes()
    };
    let (w1, f1) = work_of(&builtin, &one_line(2_000));
    let (w2, f2) = work_of(&builtin, &one_line(4_000));
    assert_eq!((f1, f2), (2_000, 4_000));
    assert!(w2 <= w1 * 5 / 2, "key IDs on one line: work {w1} -> {w2}");

    // `a+` on a megabyte of `ab`: a match at every other byte.
    let config = crate::config::EffectiveConfig::from_toml(
        "[[rules]]\nid = 'every-a'\ndescription = 'd'\nseverity = 'low'\nkeywords = ['a']\nregex = 'a*'\n",
        "k.toml",
        std::path::Path::new("."),
    )
    .unwrap();
    let (w1, _) = work_of(&config.rules, &b"ab".repeat(1 << 18));
    let (w2, _) = work_of(&config.rules, &b"ab".repeat(1 << 19));
    assert!(
        w2 <= w1 * 5 / 2,
        "a rule matching everywhere: work {w1} -> {w2}"
    );
}
