//! The AWS validator: turns key-ID and keyword hits in one blob into credentials, pairing each key
//! ID with the nearest secret and, for temporary keys, the session token within the window.

use std::ops::Range;

use super::key_id::{parse_encoded_key_id, parse_key_id, KeyKind, KEY_ID_LEN};
use super::keyword::secret_after_keyword;
use super::runs::runs_in;
use super::secret::{secret_from_run, MAX_SECRET_RUN};
use super::token::{is_session_token, SESSION_TOKEN_MAX_LEN};

/// Default pairing window in lines: a secret (or token) at most this many lines away from a key
/// ID belongs to it.
pub const PAIRING_WINDOW_LINES: usize = 5;

/// Pairing window in bytes, measured between the nearest edges of the two parts. It bounds the
/// search in minified one-line files and leaves room for a session token between key and secret.
pub const PAIRING_WINDOW_BYTES: usize = 4096;

/// Settings of the AWS validator.
#[derive(Debug, Clone, Copy)]
pub struct AwsSettings {
    /// Lines between key ID and secret for them to pair.
    pub pairing_window_lines: usize,
}

impl Default for AwsSettings {
    fn default() -> Self {
        AwsSettings {
            pairing_window_lines: PAIRING_WINDOW_LINES,
        }
    }
}

/// What kind of credential a match is; each maps to one rule id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AwsKind {
    /// A non-temporary key ID with its secret.
    AccessKey,
    /// ASIA key ID, secret and session token.
    TemporaryCredentials,
    /// ASIA key ID and secret without a session token.
    TemporaryMissingToken,
    /// A secret named by a keyword, with no key ID nearby.
    SecretOnly,
    /// A key ID with no secret nearby (possibly with a session token).
    KeyIdOnly,
}

impl AwsKind {
    /// The rule id this kind is reported under.
    pub fn rule_id(self) -> &'static str {
        match self {
            AwsKind::AccessKey => "aws-access-key",
            AwsKind::TemporaryCredentials => "aws-temporary-credentials",
            AwsKind::TemporaryMissingToken => "aws-temporary-key-missing-token",
            AwsKind::SecretOnly => "aws-secret-access-key",
            AwsKind::KeyIdOnly => "aws-access-key-id",
        }
    }
}

/// A part of a credential: where it is and its (decoded) text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Byte span in the blob.
    pub span: Range<usize>,
    /// The text, with JSON/URL escapes decoded.
    pub text: String,
}

/// One AWS credential found in a blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsMatch {
    /// Which rule it falls under.
    pub kind: AwsKind,
    /// The key ID and its prefix class, when there is one.
    pub key_id: Option<(Part, KeyKind)>,
    /// The secret access key, when there is one.
    pub secret: Option<Part>,
    /// The session token, when there is one.
    pub session_token: Option<Part>,
}

impl AwsMatch {
    /// The span from the first part's start to the last part's end.
    pub fn span(&self) -> Range<usize> {
        let parts = [
            self.key_id.as_ref().map(|(p, _)| &p.span),
            self.secret.as_ref().map(|p| &p.span),
            self.session_token.as_ref().map(|p| &p.span),
        ];
        let mut spans = parts.into_iter().flatten();
        let first = spans.next().cloned().unwrap_or(0..0);
        spans.fold(first, |acc, s| acc.start.min(s.start)..acc.end.max(s.end))
    }
}

/// Distance in bytes between two spans (0 when they touch or overlap).
fn gap(a: &Range<usize>, b: &Range<usize>) -> usize {
    if a.end <= b.start {
        b.start - a.end
    } else {
        a.start.saturating_sub(b.end)
    }
}

/// Newlines between two spans.
fn lines_between(data: &[u8], a: &Range<usize>, b: &Range<usize>) -> usize {
    let (lo, hi) = if a.start <= b.start {
        (a.start, b.start)
    } else {
        (b.start, a.start)
    };
    memchr::memchr_iter(b'\n', &data[lo..hi]).count()
}

fn window_around(data: &[u8], span: &Range<usize>) -> Range<usize> {
    span.start.saturating_sub(PAIRING_WINDOW_BYTES)
        ..(span.end + PAIRING_WINDOW_BYTES + 1).min(data.len())
}

fn within_window(data: &[u8], settings: &AwsSettings, a: &Range<usize>, b: &Range<usize>) -> bool {
    gap(a, b) <= PAIRING_WINDOW_BYTES && lines_between(data, a, b) <= settings.pairing_window_lines
}

/// Where the prefilter saw the AWS validator's anchors in one blob, each list sorted.
#[derive(Debug, Clone, Default)]
pub struct AwsHits {
    /// Offsets where a credential prefix (`AKIA`, …) starts.
    pub key_ids: Vec<usize>,
    /// Offsets where a base64-encoded credential prefix (`QUtJQ`, …) starts.
    pub encoded_key_ids: Vec<usize>,
    /// Offsets of the word "secret" in its common spellings.
    pub secret_keywords: Vec<usize>,
}

impl AwsHits {
    /// True when there is nothing for the validator to look at.
    pub fn is_empty(&self) -> bool {
        self.key_ids.is_empty()
            && self.encoded_key_ids.is_empty()
            && self.secret_keywords.is_empty()
    }
}

/// Analyses one blob given the anchors the prefilter found in it.
pub fn analyse(data: &[u8], hits: &AwsHits, settings: &AwsSettings) -> Vec<AwsMatch> {
    let plain = hits.key_ids.iter().filter_map(|&start| {
        let kind = parse_key_id(data, start).ok()?;
        let span = start..start + KEY_ID_LEN;
        let text = String::from_utf8_lossy(&data[span.clone()]).into_owned();
        Some((Part { span, text }, kind))
    });
    let encoded = hits.encoded_key_ids.iter().filter_map(|&start| {
        let (text, kind) = parse_encoded_key_id(data, start)?;
        // 27 characters and the `=` padding.
        Some((
            Part {
                span: start..start + 28,
                text,
            },
            kind,
        ))
    });
    let keys: Vec<(Part, KeyKind)> = plain.chain(encoded).collect();

    // Secrets (plain or base64-encoded) near any key ID, deduplicated by position.
    let mut secrets: Vec<Part> = Vec::new();
    for (key, _) in &keys {
        for run in runs_in(data, window_around(data, &key.span), MAX_SECRET_RUN) {
            if secrets.iter().any(|s| s.span == run.span) {
                continue;
            }
            if let Some(text) = secret_from_run(&run) {
                secrets.push(Part {
                    span: run.span,
                    text,
                });
            }
        }
    }

    // Greedy pairing, nearest first: each key ID and each secret is used once.
    let mut candidates: Vec<(usize, usize, usize)> = Vec::new();
    for (ki, (key, _)) in keys.iter().enumerate() {
        for (si, secret) in secrets.iter().enumerate() {
            if within_window(data, settings, &key.span, &secret.span) {
                candidates.push((gap(&key.span, &secret.span), ki, si));
            }
        }
    }
    candidates.sort_unstable();
    let mut key_secret: Vec<Option<usize>> = vec![None; keys.len()];
    let mut secret_used = vec![false; secrets.len()];
    for (_, ki, si) in candidates {
        if key_secret[ki].is_none() && !secret_used[si] {
            key_secret[ki] = Some(si);
            secret_used[si] = true;
        }
    }

    let mut matches = Vec::new();
    for (ki, (key, kind)) in keys.iter().enumerate() {
        let secret = key_secret[ki].map(|si| secrets[si].clone());
        let session_token = if *kind == KeyKind::Temporary {
            find_session_token(data, settings, &key.span)
        } else {
            None
        };
        let match_kind = match (kind, &secret, &session_token) {
            (_, None, _) => AwsKind::KeyIdOnly,
            (KeyKind::Temporary, Some(_), Some(_)) => AwsKind::TemporaryCredentials,
            (KeyKind::Temporary, Some(_), None) => AwsKind::TemporaryMissingToken,
            (_, Some(_), _) => AwsKind::AccessKey,
        };
        matches.push(AwsMatch {
            kind: match_kind,
            key_id: Some((key.clone(), *kind)),
            secret,
            session_token,
        });
    }

    // Secrets named by a keyword that no key ID claimed.
    for &hit in &hits.secret_keywords {
        let Some((run, text)) = secret_after_keyword(data, hit) else {
            continue;
        };
        let claimed = secrets
            .iter()
            .zip(&secret_used)
            .any(|(s, &used)| used && s.span == run.span);
        let seen = matches
            .iter()
            .any(|m| m.secret.as_ref().is_some_and(|s| s.span == run.span));
        if !claimed && !seen {
            matches.push(AwsMatch {
                kind: AwsKind::SecretOnly,
                key_id: None,
                secret: Some(Part {
                    span: run.span,
                    text,
                }),
                session_token: None,
            });
        }
    }
    matches
}

fn find_session_token(data: &[u8], settings: &AwsSettings, key: &Range<usize>) -> Option<Part> {
    let lo = key
        .start
        .saturating_sub(PAIRING_WINDOW_BYTES + SESSION_TOKEN_MAX_LEN);
    let window = lo..(key.end + PAIRING_WINDOW_BYTES).min(data.len());
    runs_in(data, window, SESSION_TOKEN_MAX_LEN)
        .into_iter()
        .filter(|run| is_session_token(data, run) && within_window(data, settings, key, &run.span))
        .min_by_key(|run| gap(key, &run.span))
        .map(|run| Part {
            span: run.span,
            text: run.text,
        })
}

#[cfg(test)]
mod tests;
