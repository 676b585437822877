//! The scanner: one blob in, findings out. Prefilter once over every byte, then the AWS validator
//! and the regex rules only in windows around keyword hits.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use crate::finding::{fingerprint, Finding, Secret};
use crate::lines::LineIndex;
use crate::prefilter::{Anchor, Prefilter};
use crate::rules::{Matcher, Rule, RuleSet};
use crate::suppress::{Detected, Suppressor};
use crate::validate::aws::{analyse, AwsHits, AwsKind, AwsMatch, AwsSettings};
use crate::validate::entropy::shannon_entropy;
use crate::validate::key_id::{account_id, KeyKind};

/// How far on either side of a keyword hit a regex rule looks, in bytes.
pub const REGEX_WINDOW_BYTES: usize = 8192;

/// A compiled, shareable scanner: rules, prefilter, validator settings and the suppression
/// (inline directives and allowlists) every blob goes through.
#[derive(Debug, Clone)]
pub struct ScanEngine {
    rules: RuleSet,
    prefilter: Prefilter,
    aws_rules: HashMap<AwsKind, usize>,
    aws: AwsSettings,
    suppressor: Suppressor,
}

/// A finding before it is placed in a file: its rule, byte span and credential parts.
#[derive(Debug, Clone)]
struct Detection {
    rule: usize,
    span: Range<usize>,
    key_id: Option<String>,
    key_kind: Option<KeyKind>,
    secret: Option<String>,
    session_token: Option<String>,
}

impl ScanEngine {
    /// Builds the engine over `rules` with the AWS validator's `aws` settings; inline directives
    /// and the rules' own allowlists apply, no global allowlist.
    pub fn new(rules: RuleSet, aws: AwsSettings) -> ScanEngine {
        ScanEngine::with_suppressor(rules, aws, Suppressor::default())
    }

    /// Builds the engine with a [`Suppressor`] (global allowlist and counters).
    pub fn with_suppressor(rules: RuleSet, aws: AwsSettings, suppressor: Suppressor) -> ScanEngine {
        let prefilter = Prefilter::new(&rules);
        let aws_rules = rules
            .rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match r.matcher {
                Matcher::Aws(kind) => Some((kind, i)),
                Matcher::Regex { .. } => None,
            })
            .collect();
        ScanEngine {
            rules,
            prefilter,
            aws_rules,
            aws,
            suppressor,
        }
    }

    /// The suppression state (global allowlist, counts of suppressed findings).
    pub fn suppressor(&self) -> &Suppressor {
        &self.suppressor
    }

    /// The rules this engine runs.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Scans one blob; `path` is what findings report as their location.
    pub fn scan(&self, data: &[u8], path: &str) -> Vec<Finding> {
        self.scan_owned(data, path, 0..data.len())
    }

    /// Scans `data` but reports only credentials that start inside `owned`: the rest of `data` is
    /// context shared with a neighbouring chunk of the same file, which reports those itself.
    pub fn scan_owned(&self, data: &[u8], path: &str, owned: Range<usize>) -> Vec<Finding> {
        let hits = self.prefilter.hits(data);
        if hits.is_empty() {
            return Vec::new();
        }
        let mut aws_hits = AwsHits::default();
        let mut regex_windows: HashMap<usize, Vec<Range<usize>>> = HashMap::new();
        for hit in &hits {
            for anchor in self.prefilter.anchors(hit) {
                match *anchor {
                    Anchor::KeyIdPrefix => aws_hits.key_ids.push(hit.offset),
                    Anchor::EncodedKeyIdPrefix => aws_hits.encoded_key_ids.push(hit.offset),
                    Anchor::SecretKeyword => aws_hits.secret_keywords.push(hit.offset),
                    Anchor::RegexRule(rule) => regex_windows.entry(rule).or_default().push(
                        hit.offset.saturating_sub(REGEX_WINDOW_BYTES)
                            ..(hit.offset + REGEX_WINDOW_BYTES).min(data.len()),
                    ),
                }
            }
        }
        for list in [
            &mut aws_hits.key_ids,
            &mut aws_hits.encoded_key_ids,
            &mut aws_hits.secret_keywords,
        ] {
            list.dedup();
        }

        let mut detections = Vec::new();
        if !aws_hits.is_empty() {
            for m in analyse(data, &aws_hits, &self.aws) {
                if let Some(&rule) = self.aws_rules.get(&m.kind) {
                    detections.push(aws_detection(rule, m));
                }
            }
        }
        for (rule, windows) in regex_windows {
            self.run_regex_rule(data, rule, windows, &mut detections);
        }
        detections.retain(|d| owned.contains(&d.span.start));
        self.place(data, path, detections)
    }

    fn run_regex_rule(
        &self,
        data: &[u8],
        rule: usize,
        windows: Vec<Range<usize>>,
        out: &mut Vec<Detection>,
    ) {
        let Matcher::Regex {
            regex,
            secret_group,
            entropy,
        } = &self.rules.rules[rule].matcher
        else {
            return;
        };
        let merged = crate::windows::merge(windows);
        let mut seen: Vec<Range<usize>> = Vec::new();
        for window in merged {
            for caps in regex.captures_iter(&data[window.clone()]) {
                let whole = caps.get(0).expect("group 0 always matches");
                let part = secret_group.and_then(|g| caps.get(g)).unwrap_or(whole);
                let secret = &part.as_bytes();
                if entropy.is_some_and(|min| shannon_entropy(secret) < min) {
                    continue;
                }
                let span = window.start + whole.start()..window.start + whole.end();
                if seen.contains(&span) {
                    continue;
                }
                seen.push(span.clone());
                out.push(Detection {
                    rule,
                    span,
                    key_id: None,
                    key_kind: None,
                    secret: Some(String::from_utf8_lossy(secret).into_owned()),
                    session_token: None,
                });
            }
        }
    }

    /// Gives detections lines, columns, messages and fingerprints; drops (and counts) suppressed
    /// ones; merges repeats of one credential into one finding with an occurrence count.
    fn place(&self, data: &[u8], path: &str, mut detections: Vec<Detection>) -> Vec<Finding> {
        detections.sort_by_key(|d| (d.span.start, d.rule));
        let mut index = LineIndex::new(data);
        let mut findings: Vec<Finding> = Vec::new();
        let mut by_fingerprint: HashMap<String, usize> = HashMap::new();
        let mut suppressed: HashSet<String> = HashSet::new();
        for d in detections {
            let rule = &self.rules.rules[d.rule];
            let account = d.key_id.as_deref().and_then(account_id);
            let detected = Detected {
                path,
                span: d.span.clone(),
                key_id: d.key_id.as_deref(),
                secret: d.secret.as_deref(),
                account_id: account.as_deref(),
            };
            let fp = fingerprint(&rule.id, d.key_id.as_deref(), d.secret.as_deref());
            if let Some(reason) = self.suppressor.check(rule, data, detected) {
                // A credential repeated in a blob is one finding, so one suppression.
                if !by_fingerprint.contains_key(&fp) && suppressed.insert(fp) {
                    self.suppressor.count(reason);
                }
                continue;
            }
            if let Some(&i) = by_fingerprint.get(&fp) {
                findings[i].occurrences += 1;
                continue;
            }
            let (line, column) = index.locate(d.span.start);
            let (end_line, _) = index.locate(d.span.end.saturating_sub(1).max(d.span.start));
            by_fingerprint.insert(fp.clone(), findings.len());
            findings.push(Finding {
                rule_id: rule.id.clone(),
                severity: rule.severity,
                message: message(rule, &d, account.as_deref()),
                remediation: rule.remediation.clone(),
                path: path.to_string(),
                line,
                column,
                end_line,
                key_id: d.key_id,
                account_id: account,
                secret: d.secret.map(Secret::new),
                session_token: d.session_token.map(Secret::new),
                fingerprint: fp,
                commit: None,
                occurrences: 1,
            });
        }
        findings
    }
}

fn aws_detection(rule: usize, m: AwsMatch) -> Detection {
    let span = m.span();
    let (key_id, key_kind) = match m.key_id {
        Some((part, kind)) => (Some(part.text), Some(kind)),
        None => (None, None),
    };
    Detection {
        rule,
        span,
        key_id,
        key_kind,
        secret: m.secret.map(|p| p.text),
        session_token: m.session_token.map(|p| p.text),
    }
}

fn message(rule: &Rule, d: &Detection, account: Option<&str>) -> String {
    let kind = d.key_kind.map_or("key", KeyKind::describe);
    let account = account.map_or(String::new(), |a| format!(" (account {a})"));
    match rule.matcher {
        Matcher::Aws(AwsKind::AccessKey) => {
            format!("AWS {kind}{account} with its secret access key: a usable credential")
        }
        Matcher::Aws(AwsKind::TemporaryCredentials) => format!(
            "complete AWS temporary credentials{account}: key ID, secret and session token (usable until they expire)"
        ),
        Matcher::Aws(AwsKind::TemporaryMissingToken) => format!(
            "AWS temporary key ID and secret{account} without a session token: the pair cannot be used as it is \
             (STS keys need their token), but it is a real exposure and points at a misconfigured client"
        ),
        Matcher::Aws(AwsKind::SecretOnly) => {
            "AWS secret access key with no key ID nearby".to_string()
        }
        Matcher::Aws(AwsKind::KeyIdOnly) if d.session_token.is_some() => format!(
            "AWS {kind}{account} with a session token but no secret nearby (e.g. a presigned URL)"
        ),
        Matcher::Aws(AwsKind::KeyIdOnly) => {
            format!("AWS {kind}{account} with no secret nearby")
        }
        Matcher::Regex { .. } => rule.description.clone(),
    }
}

#[cfg(test)]
mod tests;
