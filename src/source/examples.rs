//! The rules' examples as a source: each example (templates expanded) is a blob scanned through
//! the same engine and suppression as any file, so `keyfence rules check` and the tests check
//! exactly what a scan would report.

use std::path::Path;

use super::{Blob, BlobScanner, Origin, Scanned};
use crate::rules::RuleSet;
use crate::scan::ScanEngine;
use crate::suppress::Suppressor;
use crate::validate::synthetic::expand_template;
use crate::validate::AwsSettings;

/// Runs every rule's examples through a full scan (inline directives and the rules' own
/// allowlists apply, no global allowlist); returns one message per failed example.
pub(crate) fn check_examples(rules: &RuleSet) -> Vec<String> {
    let engine = ScanEngine::new(rules.clone(), AwsSettings::default());
    let suppressor = Suppressor::default();
    let mut scanner = BlobScanner::new(&engine, &suppressor, true);
    let mut failures = Vec::new();
    for rule in &rules.rules {
        let mut fires = |ex: &str| {
            let text = expand_template(ex);
            let blob = Blob {
                bytes: text.as_bytes(),
                origin: Origin::File(Path::new("example")),
            };
            match scanner.scan(blob) {
                Scanned::Text(found) => found.iter().any(|f| f.rule_id == rule.id),
                Scanned::Binary => false,
            }
        };
        for ex in &rule.examples {
            if !fires(ex) {
                failures.push(format!(
                    "rule `{}` does not find its example {ex:?}",
                    rule.id
                ));
            }
        }
        for ex in &rule.negative_examples {
            if fires(ex) {
                failures.push(format!(
                    "rule `{}` finds its negative example {ex:?}",
                    rule.id
                ));
            }
        }
    }
    failures
}
