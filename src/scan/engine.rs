//! The engine: one blob in, detections out (nothing is suppressed here). Prefilter once over
//! every byte, then the AWS validator and the regex rules only in windows around keyword hits.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

use super::encodings::EncodedHit;
use super::lines::LineIndex;
use super::prefilter::{Anchor, Prefilter};
use super::work;
use crate::report::{fingerprint, Decoding, Finding, Secret};
use crate::rules::Severity;
use crate::rules::{Matcher, Rule, RuleSet};
use crate::validate::{
    account_id, analyse, format_rfc3339, merge_spans, shannon_entropy, AwsHits, AwsKind, AwsMatch,
    AwsSettings, Details, KeyKind, PAIRING_WINDOW_BYTES, SESSION_TOKEN_MAX_LEN,
};

/// How far on either side of a keyword hit a regex rule looks, in bytes.
const REGEX_WINDOW_BYTES: usize = 8192;

/// The most matches of one regex rule in one (merged) window: a rule that matches everywhere
/// (`a*` on a megabyte of `a`s) costs bounded memory, and the cap is reported.
pub(crate) const MAX_MATCHES_PER_WINDOW: usize = 10_000;

/// How many bytes of context a credential can need on either side of where it starts: a chunk of
/// a larger stream shares this much with the next, so a credential split by a chunk border is
/// whole in one of them (it covers the pairing window on both sides and the longest token).
pub(crate) const CONTEXT_BYTES: usize = 4 * PAIRING_WINDOW_BYTES + SESSION_TOKEN_MAX_LEN;

/// A compiled, shareable scanner: rules, prefilter and validator settings.
#[derive(Debug, Clone)]
pub struct ScanEngine {
    rules: RuleSet,
    /// Built on the first scan: a pre-commit hook with nothing staged never needs it (choosing
    /// and ordering its literals is ~2 ms of start-up).
    prefilter: OnceLock<Prefilter>,
    aws_rules: HashMap<AwsKind, usize>,
    aws: AwsSettings,
}

/// One credential found at one place of a blob, before suppression: the finding it would be
/// (with an empty path and one occurrence), the rule's index and the byte span.
#[derive(Debug, Clone)]
pub(crate) struct Detection {
    /// Index of the rule in the engine's [`RuleSet`].
    pub rule: usize,
    /// Bytes of the credential in the blob, from its first part to its last.
    pub span: Range<usize>,
    /// What a report shows of it.
    pub finding: Finding,
}

/// What the engine found in a blob.
#[derive(Debug, Default)]
pub(crate) struct Detections {
    /// The detections, by position, then rule.
    pub list: Vec<Detection>,
    /// Ids of the regex rules that hit [`MAX_MATCHES_PER_WINDOW`] somewhere in the blob.
    pub capped: Vec<String>,
    /// Hits of encoded credential prefixes, by offset: where a decoder may look (the engine
    /// itself decodes only what the AWS validator reads in place).
    pub encoded: Vec<EncodedHit>,
}

/// A credential's parts as the matchers return them.
#[derive(Debug, Clone)]
struct Raw {
    rule: usize,
    span: Range<usize>,
    key_id: Option<String>,
    key_kind: Option<KeyKind>,
    secret: Option<String>,
    session_token: Option<String>,
    details: Details,
    /// A part was read from its base64 encoding in place (a Kubernetes Secret's value).
    decoded: bool,
}

impl ScanEngine {
    /// Builds the engine over `rules` with the AWS validator's `aws` settings.
    pub fn new(rules: RuleSet, aws: AwsSettings) -> ScanEngine {
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
            prefilter: OnceLock::new(),
            aws_rules,
            aws,
        }
    }

    /// The prefilter, built on first use.
    fn prefilter(&self) -> &Prefilter {
        self.prefilter.get_or_init(|| Prefilter::new(&self.rules))
    }

    /// The rules this engine runs.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// How many credentials `data` holds, before any suppression (for benchmarks).
    pub fn count(&self, data: &[u8]) -> usize {
        self.detect(data, 0..data.len()).list.len()
    }

    /// Detects the credentials of `data` that start inside `owned`: the rest of `data` is
    /// context shared with a neighbouring chunk of the same file, which reports those itself.
    /// Sorted by position, then rule.
    pub(crate) fn detect(&self, data: &[u8], owned: Range<usize>) -> Detections {
        let prefilter = self.prefilter();
        let hits = prefilter.hits(data);
        if hits.is_empty() {
            return Detections::default();
        }
        let mut aws_hits = AwsHits::default();
        let mut regex_windows: HashMap<usize, Vec<Range<usize>>> = HashMap::new();
        let mut encoded = Vec::new();
        for hit in &hits {
            for anchor in prefilter.anchors(hit) {
                match *anchor {
                    Anchor::Aws(a) => aws_hits.list_mut(a).push(hit.offset),
                    Anchor::EncodedKeyIdPrefix => aws_hits.encoded_key_ids.push(hit.offset),
                    Anchor::RegexRule(rule) => regex_windows.entry(rule).or_default().push(
                        hit.offset.saturating_sub(REGEX_WINDOW_BYTES)
                            ..(hit.offset + REGEX_WINDOW_BYTES).min(data.len()),
                    ),
                    Anchor::Encoded(form) => encoded.push(EncodedHit {
                        offset: hit.offset,
                        form,
                    }),
                }
            }
        }
        for list in aws_hits.lists_mut() {
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
        let mut capped = Vec::new();
        for (rule, windows) in regex_windows {
            if self.run_regex_rule(data, rule, windows, &mut detections) {
                capped.push(self.rules.rules[rule].id.clone());
            }
        }
        capped.sort();
        detections.retain(|d| owned.contains(&d.span.start));
        Detections {
            list: self.place(data, detections),
            capped,
            encoded,
        }
    }

    /// Runs a regex rule in the merged windows around its keyword hits. Windows are disjoint and
    /// matches come in order, so no match is met twice. An empty match is no secret. Returns true
    /// when a window held more than [`MAX_MATCHES_PER_WINDOW`] matches (the rest of that window
    /// is not searched).
    fn run_regex_rule(
        &self,
        data: &[u8],
        rule: usize,
        windows: Vec<Range<usize>>,
        out: &mut Vec<Raw>,
    ) -> bool {
        let Matcher::Regex { pattern, entropy } = &self.rules.rules[rule].matcher else {
            return false;
        };
        let compiled = pattern.get();
        let (regex, secret_group) = (&compiled.regex, compiled.secret_group);
        let mut capped = false;
        for window in merge_spans(windows) {
            work::add(window.len());
            let mut matches = 0;
            for caps in regex.captures_iter(&data[window.clone()]) {
                let whole = caps.get(0).expect("group 0 always matches");
                if whole.is_empty() {
                    continue;
                }
                matches += 1;
                if matches > MAX_MATCHES_PER_WINDOW {
                    capped = true;
                    break;
                }
                let part = secret_group.and_then(|g| caps.get(g)).unwrap_or(whole);
                let secret = &part.as_bytes();
                if entropy.is_some_and(|min| shannon_entropy(secret) < min) {
                    continue;
                }
                let span = window.start + whole.start()..window.start + whole.end();
                out.push(Raw {
                    rule,
                    span,
                    key_id: None,
                    key_kind: None,
                    secret: Some(String::from_utf8_lossy(secret).into_owned()),
                    session_token: None,
                    details: Details::default(),
                    decoded: false,
                });
            }
        }
        capped
    }

    /// Gives each detection its line, column, message, fingerprint and severity (a credential
    /// that has expired, or could not be decoded, is at most low).
    fn place(&self, data: &[u8], mut raw: Vec<Raw>) -> Vec<Detection> {
        raw.sort_by_key(|d| (d.span.start, d.rule));
        let mut index = LineIndex::new(data);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        raw.into_iter()
            .map(|d| {
                let rule = &self.rules.rules[d.rule];
                let account = d.key_id.as_deref().and_then(account_id);
                // A lone session token is identified by the token itself.
                let identity = d.secret.as_deref().or(match rule.matcher {
                    Matcher::Aws(AwsKind::SessionTokenOnly) => d.session_token.as_deref(),
                    _ => None,
                });
                let fp = fingerprint(&rule.id, d.key_id.as_deref(), identity);
                let expired = d.details.expires.is_some_and(|at| at <= now);
                let downgraded = match rule.matcher {
                    Matcher::Aws(AwsKind::PresignedUrl | AwsKind::BedrockShortTerm) => {
                        expired || d.details.undecodable
                    }
                    _ => false,
                };
                let severity = if downgraded {
                    rule.severity.min(Severity::Low)
                } else {
                    rule.severity
                };
                let (line, column) = index.locate(d.span.start);
                let (end_line, _) = index.locate(d.span.end.saturating_sub(1).max(d.span.start));
                let message = message(rule, &d, account.as_deref(), expired);
                Detection {
                    rule: d.rule,
                    span: d.span,
                    finding: Finding {
                        rule_id: rule.id.clone(),
                        severity,
                        message,
                        remediation: rule.remediation.clone(),
                        path: String::new(),
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
                        key_id_commit: None,
                        expires: d.details.expires.map(format_rfc3339),
                        region: d.details.region,
                        service: d.details.service,
                        verification: None,
                        decoded: if d.decoded {
                            vec![Decoding::Base64]
                        } else {
                            Vec::new()
                        },
                        triage: None,
                        repository: None,
                        in_message: None,
                        unreachable: None,
                    },
                }
            })
            .collect()
    }
}

fn aws_detection(rule: usize, m: AwsMatch) -> Raw {
    let span = m.span();
    let decoded = m.decoded();
    let (key_id, key_kind) = match m.key_id {
        Some((part, kind)) => (Some(part.text), Some(kind)),
        None => (None, None),
    };
    Raw {
        rule,
        span,
        key_id,
        key_kind,
        secret: m.secret.map(|p| p.text),
        session_token: m.session_token.map(|p| p.text),
        details: m.details,
        decoded,
    }
}

fn message(rule: &Rule, d: &Raw, account: Option<&str>, expired: bool) -> String {
    let kind = d.key_kind.map_or("key", KeyKind::describe);
    let account = account.map_or(String::new(), |a| format!(" (account {a})"));
    let scope = match (&d.details.service, &d.details.region) {
        (Some(s), Some(r)) => format!(" for {s} in {r}"),
        (Some(s), None) => format!(" for {s}"),
        (None, Some(r)) => format!(" in {r}"),
        (None, None) => String::new(),
    };
    let until = match (&d.details.expires, expired) {
        (Some(at), true) => format!("; expired {}", format_rfc3339(*at)),
        (Some(at), false) => format!("; valid until {}", format_rfc3339(*at)),
        (None, _) => String::new(),
    };
    let key = d.key_id.as_deref().unwrap_or("an unknown key");
    match rule.matcher {
        Matcher::Aws(AwsKind::AccessKey) => {
            format!("AWS {kind}{account} with its secret access key: a usable credential")
        }
        Matcher::Aws(AwsKind::TemporaryCredentials) => format!(
            "complete AWS temporary credentials{account}: key ID, secret and session token (usable until they expire){until}"
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
        Matcher::Aws(AwsKind::SessionTokenOnly) => {
            "AWS session token with no key ID nearby: useless without its secret, but a session leaked".to_string()
        }
        Matcher::Aws(AwsKind::SesSmtp) => format!(
            "Amazon SES SMTP credentials{account}: key ID {key} as user name with its SMTP password (can send mail as the account)"
        ),
        Matcher::Aws(AwsKind::PresignedUrl) => {
            let token = if d.session_token.is_some() { " and a session token" } else { "" };
            format!("AWS presigned URL{scope} signed by {kind} {key}{account}{token}{until}")
        }
        Matcher::Aws(AwsKind::BedrockShortTerm) if d.details.undecodable => {
            "Amazon Bedrock short-term API key that does not decode (truncated or damaged)".to_string()
        }
        Matcher::Aws(AwsKind::BedrockShortTerm) => format!(
            "Amazon Bedrock short-term API key{scope} issued by {kind} {key}{account}{until}"
        ),
        Matcher::Regex { .. } => rule.description.clone(),
    }
}
