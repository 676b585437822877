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
