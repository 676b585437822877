use super::*;
use crate::synthetic::expand_template;
use crate::validate::aws::AwsSettings;

fn engine() -> ScanEngine {
    ScanEngine::new(RuleSet::builtin().unwrap(), AwsSettings::default())
}

/// Every built-in rule finds each of its examples and none of its negative examples.
#[test]
fn builtin_rule_examples() {
    let engine = engine();
    for rule in &engine.rules().rules {
        for ex in &rule.examples {
            let text = expand_template(ex);
            let found = engine.scan(text.as_bytes(), "x");
            assert!(
                found.iter().any(|f| f.rule_id == rule.id),
                "{} misses its example {ex:?}: {found:?}",
                rule.id
            );
        }
        for ex in &rule.negative_examples {
            let text = expand_template(ex);
            let found = engine.scan(text.as_bytes(), "x");
            assert!(
                !found.iter().any(|f| f.rule_id == rule.id),
                "{} fires on its negative example {ex:?}: {found:?}",
                rule.id
            );
        }
    }
}

#[test]
fn finding_spans_lines_and_columns() {
    let text = expand_template("x\n  id = ${keyid:AKIA:1}\r\n  secret = ${secret:1}\r\n");
    let found = engine().scan(text.as_bytes(), "f");
    assert_eq!(found.len(), 1);
    let f = &found[0];
    assert_eq!((f.line, f.column, f.end_line), (2, 8, 3));
    assert_eq!(f.rule_id, "aws-access-key");
    assert!(f.account_id.is_some());
}

#[test]
fn repeats_of_one_credential_are_one_finding() {
    let text = expand_template("${keyid:AKIA:1}\n".repeat(10).as_str());
    let found = engine().scan(text.as_bytes(), "f");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].occurrences, 10);
}

#[test]
fn invalid_utf8_and_bom_are_scanned_as_bytes() {
    let mut data = vec![0xEF, 0xBB, 0xBF, 0xFF, 0xFE, b'\n'];
    data.extend_from_slice(expand_template("k=${keyid:AKIA:3} ").as_bytes());
    data.push(0xE9);
    let found = engine().scan(&data, "f");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].line, 2);
}
