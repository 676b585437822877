//! The AWS validator: turns key-ID and keyword hits in one blob into credentials, pairing each key
//! ID with the nearest secret and, for temporary keys, the session token within the window.

use std::collections::HashSet;
use std::ops::Range;

use super::bedrock::short_term_key;
use super::block::same_block;
use super::key_id::{parse_encoded_key_id, parse_key_id, KeyKind, KEY_ID_LEN};
use super::keyword::secret_after_keyword;
use super::presigned::{self, url_around};
use super::runs::{runs_in, Run};
use super::secret::{secret_from_run, MAX_SECRET_RUN, SECRET_LEN};
use super::ses::{ses_password, smtp_nearby, SES_PASSWORD_LEN};
use super::token::{
    is_session_token, token_after_keyword, token_at, SESSION_TOKEN_MAX_LEN, SESSION_TOKEN_MIN_LEN,
};
use super::{clock, token};

/// Default pairing window in lines: a secret (or token) at most this many lines away from a key
/// ID belongs to it.
pub(crate) const PAIRING_WINDOW_LINES: usize = 5;

/// Pairing window in bytes, measured between the nearest edges of the two parts. It bounds the
/// search in minified one-line files and leaves room for a session token between key and secret.
pub(crate) const PAIRING_WINDOW_BYTES: usize = 4096;

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
pub(crate) enum AwsKind {
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
    /// A session token with no key ID nearby.
    SessionTokenOnly,
    /// SES SMTP credentials: a key ID as user name and the password derived from its secret.
    SesSmtp,
    /// A presigned URL: key ID, signature, maybe a session token; usable until it expires.
    PresignedUrl,
    /// A Bedrock short-term API key (a presigned URL in base64).
    BedrockShortTerm,
}

impl AwsKind {
    /// The rule id this kind is reported under.
    pub(crate) fn rule_id(self) -> &'static str {
        match self {
            AwsKind::AccessKey => "aws-access-key",
            AwsKind::TemporaryCredentials => "aws-temporary-credentials",
            AwsKind::TemporaryMissingToken => "aws-temporary-key-missing-token",
            AwsKind::SecretOnly => "aws-secret-access-key",
            AwsKind::KeyIdOnly => "aws-access-key-id",
            AwsKind::SessionTokenOnly => "aws-session-token",
            AwsKind::SesSmtp => "aws-ses-smtp-credentials",
            AwsKind::PresignedUrl => "aws-presigned-url",
            AwsKind::BedrockShortTerm => "aws-bedrock-short-term-key",
        }
    }

    /// Every kind.
    pub(crate) const ALL: [AwsKind; 9] = [
        AwsKind::AccessKey,
        AwsKind::TemporaryCredentials,
        AwsKind::TemporaryMissingToken,
        AwsKind::SecretOnly,
        AwsKind::KeyIdOnly,
        AwsKind::SessionTokenOnly,
        AwsKind::SesSmtp,
        AwsKind::PresignedUrl,
        AwsKind::BedrockShortTerm,
    ];

    /// What a keyword of this kind's rule anchors: credential prefixes are key IDs for every
    /// kind; otherwise it depends on the kind (`None`: the kind has no use for the keyword).
    pub(crate) fn anchor(self, keyword: &str) -> Option<AwsAnchor> {
        if super::key_id::CREDENTIAL_PREFIXES
            .iter()
            .any(|(p, _)| p.eq_ignore_ascii_case(keyword))
        {
            return Some(AwsAnchor::KeyIdPrefix);
        }
        match self {
            AwsKind::SessionTokenOnly if token::has_token_structure(keyword) => {
                Some(AwsAnchor::TokenStart)
            }
            AwsKind::SessionTokenOnly => Some(AwsAnchor::TokenKeyword),
            AwsKind::PresignedUrl => Some(AwsAnchor::PresignedUrl),
            AwsKind::BedrockShortTerm => Some(AwsAnchor::BedrockShortTerm),
            _ if keyword.eq_ignore_ascii_case("secret") => Some(AwsAnchor::SecretKeyword),
            _ => None,
        }
    }
}

/// What a keyword hit means to the AWS validator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum AwsAnchor {
    /// A credential key-ID prefix (`AKIA`, …).
    KeyIdPrefix,
    /// The word "secret", which may name a secret access key.
    SecretKeyword,
    /// An observed start of a session token (`IQoJb3JpZ2lu`, …): matched as written.
    TokenStart,
    /// A word that may name a session token (`session_token`, `X-Amz-Security-Token`).
    TokenKeyword,
    /// A parameter of a presigned URL (`X-Amz-Credential`, `AWSAccessKeyId`).
    PresignedUrl,
    /// The prefix of a Bedrock short-term key.
    BedrockShortTerm,
}

impl AwsAnchor {
    /// True when the keyword is matched only as written (no case variants).
    pub(crate) fn is_exact(self) -> bool {
        matches!(self, AwsAnchor::KeyIdPrefix | AwsAnchor::TokenStart)
    }
}

/// A part of a credential: where it is and its (decoded) text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    /// Byte span in the blob.
    pub span: Range<usize>,
    /// The text, with JSON/URL escapes decoded.
    pub text: String,
    /// True when the text was read from its base64 encoding (a Kubernetes Secret's value).
    pub decoded: bool,
}

/// One AWS credential found in a blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AwsMatch {
    /// Which rule it falls under.
    pub kind: AwsKind,
    /// The key ID and its prefix class, when there is one.
    pub key_id: Option<(Part, KeyKind)>,
    /// The secret access key, when there is one.
    pub secret: Option<Part>,
    /// The session token, when there is one.
    pub session_token: Option<Part>,
    /// What the credential says about itself, offline.
    pub details: Details,
}

/// What a credential says about itself, read offline: when it expires and what it is scoped to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Details {
    /// When it stops working, in seconds since the Unix epoch.
    pub expires: Option<i64>,
    /// The region it is scoped to.
    pub region: Option<String>,
    /// The service it is scoped to.
    pub service: Option<String>,
    /// True when an encoded credential could not be decoded (truncated or damaged).
    pub undecodable: bool,
}

impl AwsMatch {
    /// True when a part was read from its base64 encoding.
    pub(crate) fn decoded(&self) -> bool {
        let key = self.key_id.as_ref().is_some_and(|(p, _)| p.decoded);
        key || self.secret.as_ref().is_some_and(|p| p.decoded)
    }

    /// The span from the first part's start to the last part's end.
    pub(crate) fn span(&self) -> Range<usize> {
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

fn within_window(data: &[u8], settings: &AwsSettings, a: &Range<usize>, b: &Range<usize>) -> bool {
    gap(a, b) <= PAIRING_WINDOW_BYTES && lines_between(data, a, b) <= settings.pairing_window_lines
}

/// Where the prefilter saw the AWS validator's anchors in one blob, each list sorted.
#[derive(Debug, Clone, Default)]
pub(crate) struct AwsHits {
    /// Offsets where a credential prefix (`AKIA`, …) starts.
    pub key_ids: Vec<usize>,
    /// Offsets where a base64-encoded credential prefix (`QUtJQ`, …) starts.
    pub encoded_key_ids: Vec<usize>,
    /// Offsets of the word "secret" in its common spellings.
    pub secret_keywords: Vec<usize>,
    /// Offsets of observed session-token starts.
    pub token_starts: Vec<usize>,
    /// Offsets of words that name a session token.
    pub token_keywords: Vec<usize>,
    /// Offsets of presigned-URL parameters.
    pub presigned: Vec<usize>,
    /// Offsets of Bedrock short-term key prefixes.
    pub bedrock: Vec<usize>,
}

impl AwsHits {
    /// True when there is nothing for the validator to look at.
    pub(crate) fn is_empty(&self) -> bool {
        self.key_ids.is_empty()
            && self.encoded_key_ids.is_empty()
            && self.secret_keywords.is_empty()
            && self.token_starts.is_empty()
            && self.token_keywords.is_empty()
            && self.presigned.is_empty()
            && self.bedrock.is_empty()
    }

    /// The list of offsets for hits of `anchor` (encoded key IDs have their own anchor in the
    /// prefilter and their own list).
    pub(crate) fn list_mut(&mut self, anchor: AwsAnchor) -> &mut Vec<usize> {
        match anchor {
            AwsAnchor::KeyIdPrefix => &mut self.key_ids,
            AwsAnchor::SecretKeyword => &mut self.secret_keywords,
            AwsAnchor::TokenStart => &mut self.token_starts,
            AwsAnchor::TokenKeyword => &mut self.token_keywords,
            AwsAnchor::PresignedUrl => &mut self.presigned,
            AwsAnchor::BedrockShortTerm => &mut self.bedrock,
        }
    }

    /// Every list, for sorting and deduplication.
    pub(crate) fn lists_mut(&mut self) -> [&mut Vec<usize>; 7] {
        [
            &mut self.key_ids,
            &mut self.encoded_key_ids,
            &mut self.secret_keywords,
            &mut self.token_starts,
            &mut self.token_keywords,
            &mut self.presigned,
            &mut self.bedrock,
        ]
    }
}

/// Analyses one blob given the anchors the prefilter found in it.
pub(crate) fn analyse(data: &[u8], hits: &AwsHits, settings: &AwsSettings) -> Vec<AwsMatch> {
    let plain = hits.key_ids.iter().filter_map(|&start| {
        let kind = parse_key_id(data, start).ok()?;
        let span = start..start + KEY_ID_LEN;
        let text = String::from_utf8_lossy(&data[span.clone()]).into_owned();
        let decoded = false;
        Some((
            Part {
                span,
                text,
                decoded,
            },
            kind,
        ))
    });
    let encoded = hits.encoded_key_ids.iter().filter_map(|&start| {
        let (text, kind) = parse_encoded_key_id(data, start)?;
        // 27 characters and the `=` padding.
        Some((
            Part {
                span: start..start + 28,
                text,
                decoded: true,
            },
            kind,
        ))
    });
    let keys: Vec<(Part, KeyKind)> = plain.chain(encoded).collect();

    // Secrets (plain or base64-encoded) near any key ID. The windows around all key IDs are merged
    // first, so each byte is tokenised once however many key IDs share it (a log that repeats one
    // key ID a hundred thousand times costs one pass, not one per occurrence).
    let secrets: Vec<Part> = runs_near(
        data,
        keys.iter().map(|(k, _)| &k.span),
        PAIRING_WINDOW_BYTES,
        SECRET_LEN..=MAX_SECRET_RUN,
    )
    .into_iter()
    .filter_map(|run| {
        let text = secret_from_run(&run)?;
        Some(Part {
            decoded: text != run.text,
            span: run.span,
            text,
        })
    })
    .collect();

    // Pairing (see `pair_up`): each key ID and each secret is used once.
    let mut candidates: Vec<(usize, usize, usize)> = Vec::new();
    for (ki, (key, _)) in keys.iter().enumerate() {
        for si in near(
            &secrets,
            &key.span,
            PAIRING_WINDOW_BYTES + ESCAPED_RUN_FACTOR * MAX_SECRET_RUN,
        ) {
            if within_window(data, settings, &key.span, &secrets[si].span) {
                candidates.push((gap(&key.span, &secrets[si].span), ki, si));
            }
        }
    }
    let mut key_secret = pair_up(&keys, &secrets, candidates);
    let mut secrets = secrets;
    pair_in_blocks(data, hits, &keys, &mut secrets, &mut key_secret);

    // Session tokens near temporary key IDs, found the same way.
    let temporary = keys
        .iter()
        .filter(|(_, kind)| *kind == KeyKind::Temporary)
        .map(|(k, _)| &k.span);
    let tokens: Vec<Part> = runs_near(
        data,
        temporary,
        PAIRING_WINDOW_BYTES + SESSION_TOKEN_MAX_LEN,
        SESSION_TOKEN_MIN_LEN..=SESSION_TOKEN_MAX_LEN,
    )
    .into_iter()
    .filter(|run| is_session_token(data, run))
    // A token is base64 with its `=` padding: without it, STS refuses the token.
    .map(|run| Part {
        span: run.span.start..run.span.end + run.padding,
        text: run.text + &"=".repeat(run.padding),
        decoded: false,
    })
    .collect();

    let mut matches = Vec::new();
    let mut reported_secrets: HashSet<usize> = HashSet::new();
    for (ki, (key, kind)) in keys.iter().enumerate() {
        let secret = key_secret[ki].map(|si| secrets[si].clone());
        if let Some(s) = &secret {
            reported_secrets.insert(s.span.start);
        }
        let session_token = if *kind == KeyKind::Temporary {
            near(
                &tokens,
                &key.span,
                PAIRING_WINDOW_BYTES + ESCAPED_RUN_FACTOR * SESSION_TOKEN_MAX_LEN,
            )
            .filter(|&ti| within_window(data, settings, &key.span, &tokens[ti].span))
            .min_by_key(|&ti| gap(&key.span, &tokens[ti].span))
            .map(|ti| tokens[ti].clone())
            .or_else(|| {
                let secret = secret.as_ref()?;
                token_in_block(data, hits, &key.span, &secret.span)
            })
        } else {
            None
        };
        let match_kind = match (kind, &secret, &session_token) {
            (_, None, _) => AwsKind::KeyIdOnly,
            (KeyKind::Temporary, Some(_), Some(_)) => AwsKind::TemporaryCredentials,
            (KeyKind::Temporary, Some(_), None) => AwsKind::TemporaryMissingToken,
            (_, Some(_), _) => AwsKind::AccessKey,
        };
        let details = Details {
            expires: if *kind == KeyKind::Temporary && secret.is_some() {
                expiration_near(data, &key.span)
            } else {
                None
            },
            ..Details::default()
        };
        matches.push(AwsMatch {
            kind: match_kind,
            key_id: Some((key.clone(), *kind)),
            secret,
            session_token,
            details,
        });
    }
    ses_credentials(data, settings, &mut matches);

    // Secrets named by a keyword that no key ID claimed.
    for &hit in &hits.secret_keywords {
        let Some((run, text)) = secret_after_keyword(data, hit) else {
            continue;
        };
        if reported_secrets.insert(run.span.start) {
            matches.push(AwsMatch {
                kind: AwsKind::SecretOnly,
                key_id: None,
                secret: Some(Part {
                    decoded: text != run.text,
                    span: run.span,
                    text,
                }),
                session_token: None,
                details: Details::default(),
            });
        }
    }
    let claimed = encoded_and_presigned(data, hits, &mut matches);
    lone_tokens(data, hits, settings, &claimed, &mut matches);
    matches
}

/// How far around a temporary credential an `Expiration` field is looked for, in bytes.
const EXPIRATION_REACH: usize = 1024;

/// The `Expiration` written near a temporary credential (STS and instance-metadata JSON, the
/// CLI's credential process output), in seconds since the epoch.
fn expiration_near(data: &[u8], span: &Range<usize>) -> Option<i64> {
    let lo = span.start.saturating_sub(EXPIRATION_REACH);
    let hi = (span.end + EXPIRATION_REACH).min(data.len());
    let window = &data[lo..hi];
    memchr::memmem::find_iter(window, b"xpiration").find_map(|i| {
        let mut v = i + b"xpiration".len();
        while window
            .get(v)
            .is_some_and(|b| matches!(b, b'"' | b'\'' | b' ' | b'\t' | b':' | b'=' | b'>'))
        {
            v += 1;
        }
        clock::parse_iso8601(window.get(v..)?).map(|(at, _)| at)
    })
}

/// Key IDs left without a secret whose user name line is followed by an SES SMTP password
/// (44 base64 characters, version byte 0x02 or 0x04) near SMTP context become SES credentials.
fn ses_credentials(data: &[u8], settings: &AwsSettings, matches: &mut [AwsMatch]) {
    let lone: Vec<usize> = (0..matches.len())
        .filter(|&i| {
            matches[i].kind == AwsKind::KeyIdOnly
                && matches[i]
                    .key_id
                    .as_ref()
                    .is_some_and(|(p, k)| *k != KeyKind::Temporary && smtp_nearby(data, &p.span))
        })
        .collect();
    if lone.is_empty() {
        return;
    }
    let passwords: Vec<Part> = runs_near(
        data,
        lone.iter()
            .filter_map(|&i| matches[i].key_id.as_ref().map(|(p, _)| &p.span)),
        PAIRING_WINDOW_BYTES,
        SES_PASSWORD_LEN..=SES_PASSWORD_LEN,
    )
    .into_iter()
    .filter(ses_password)
    .map(|run| Part {
        span: run.span,
        text: run.text,
        decoded: false,
    })
    .collect();
    let mut used: HashSet<usize> = HashSet::new();
    for i in lone {
        let Some((key, _)) = matches[i].key_id.clone() else {
            continue;
        };
        let best = near(
            &passwords,
            &key.span,
            PAIRING_WINDOW_BYTES + 3 * SES_PASSWORD_LEN,
        )
        .filter(|&pi| !used.contains(&pi))
        .filter(|&pi| within_window(data, settings, &key.span, &passwords[pi].span))
        .min_by_key(|&pi| gap(&key.span, &passwords[pi].span));
        if let Some(pi) = best {
            used.insert(pi);
            matches[i].kind = AwsKind::SesSmtp;
            matches[i].secret = Some(passwords[pi].clone());
        }
    }
}

/// Presigned URLs and Bedrock short-term keys: one match each. A key ID inside a presigned URL
/// is that URL's, not a lone key ID of its own. Returns the spans they claim, so that the session
/// tokens inside them are not reported again.
fn encoded_and_presigned(
    data: &[u8],
    hits: &AwsHits,
    matches: &mut Vec<AwsMatch>,
) -> Vec<Range<usize>> {
    let mut claimed: Vec<Range<usize>> = Vec::new();
    for &hit in &hits.presigned {
        let url = url_around(data, hit);
        if claimed.iter().any(|c| c.start <= hit && hit < c.end) {
            continue;
        }
        let at = url.start;
        let Some(p) = presigned::parse(&data[url.clone()], |off| {
            parse_key_id(data, at + off).is_ok()
        }) else {
            continue;
        };
        let shift = |r: &Range<usize>| at + r.start..at + r.end;
        let kind =
            KeyKind::from_prefix(&p.key_id_text.as_bytes()[..4]).unwrap_or(KeyKind::LongTerm);
        let key_span = shift(&p.key_id);
        matches.retain(|m| {
            !(m.kind == AwsKind::KeyIdOnly
                && m.key_id.as_ref().is_some_and(|(k, _)| k.span == key_span))
        });
        matches.push(AwsMatch {
            kind: AwsKind::PresignedUrl,
            key_id: Some((
                Part {
                    span: key_span,
                    text: p.key_id_text,
                    decoded: false,
                },
                kind,
            )),
            secret: Some(Part {
                span: shift(&p.signature.0),
                text: p.signature.1,
                decoded: false,
            }),
            session_token: p.session_token.map(|(span, text)| Part {
                span: shift(&span),
                text,
                decoded: false,
            }),
            details: Details {
                expires: p.expires,
                region: p.region,
                service: p.service,
                undecodable: false,
            },
        });
        claimed.push(url);
    }
    for &hit in &hits.bedrock {
        let Some(key) = short_term_key(data, hit) else {
            continue;
        };
        let decoded = key.decoded;
        matches.push(AwsMatch {
            kind: AwsKind::BedrockShortTerm,
            key_id: decoded.as_ref().map(|p| {
                let kind = KeyKind::from_prefix(&p.key_id_text.as_bytes()[..4])
                    .unwrap_or(KeyKind::Temporary);
                (
                    Part {
                        span: key.span.clone(),
                        text: p.key_id_text.clone(),
                        decoded: false,
                    },
                    kind,
                )
            }),
            secret: Some(Part {
                span: key.span.clone(),
                text: key.body,
                decoded: false,
            }),
            session_token: None,
            details: Details {
                expires: decoded.as_ref().and_then(|p| p.expires),
                region: decoded.as_ref().and_then(|p| p.region.clone()),
                service: decoded.as_ref().and_then(|p| p.service.clone()),
                undecodable: decoded.is_none(),
            },
        });
        claimed.push(key.span);
    }
    claimed
}

/// Session tokens that no key ID claims and none stands near: a leaked session on its own.
fn lone_tokens(
    data: &[u8],
    hits: &AwsHits,
    settings: &AwsSettings,
    claimed: &[Range<usize>],
    matches: &mut Vec<AwsMatch>,
) {
    if hits.token_starts.is_empty() && hits.token_keywords.is_empty() {
        return;
    }
    let mut runs: Vec<Run> = hits
        .token_starts
        .iter()
        .filter_map(|&h| token_at(data, h))
        .chain(
            hits.token_keywords
                .iter()
                .filter_map(|&h| token_after_keyword(data, h)),
        )
        .collect();
    runs.sort_by_key(|r| r.span.start);
    runs.dedup_by_key(|r| r.span.start);
    let used: HashSet<usize> = matches
        .iter()
        .filter_map(|m| m.session_token.as_ref().map(|t| t.span.start))
        .collect();
    let keys: Vec<Range<usize>> = matches
        .iter()
        .filter_map(|m| m.key_id.as_ref().map(|(k, _)| k.span.clone()))
        .collect();
    for run in runs {
        let inside = |c: &Range<usize>| c.start <= run.span.start && run.span.end <= c.end;
        if used.contains(&run.span.start)
            || claimed.iter().any(inside)
            || keys
                .iter()
                .any(|k| within_window(data, settings, k, &run.span))
        {
            continue;
        }
        matches.push(AwsMatch {
            kind: AwsKind::SessionTokenOnly,
            key_id: None,
            secret: None,
            session_token: Some(Part {
                span: run.span,
                text: run.text,
                decoded: false,
            }),
            details: Details::default(),
        });
    }
}

/// Key IDs left without a secret pair with secrets named by a keyword in the same structural
/// block (see [`same_block`]) within the byte window, even when more lines than the line window
/// separate them: a sorted environment dump, a long JSON object, an ini section. The pairing
/// rules are `pair_up`'s.
fn pair_in_blocks(
    data: &[u8],
    hits: &AwsHits,
    keys: &[(Part, KeyKind)],
    secrets: &mut Vec<Part>,
    key_secret: &mut [Option<usize>],
) {
    let lonely: Vec<usize> = (0..keys.len())
        .filter(|&ki| key_secret[ki].is_none())
        .collect();
    if lonely.is_empty() || hits.secret_keywords.is_empty() {
        return;
    }
    let taken: HashSet<usize> = key_secret
        .iter()
        .flatten()
        .map(|&si| secrets[si].span.start)
        .collect();
    let mut named: Vec<Part> = hits
        .secret_keywords
        .iter()
        .filter_map(|&hit| secret_after_keyword(data, hit))
        .filter(|(run, _)| !taken.contains(&run.span.start))
        .map(|(run, text)| Part {
            decoded: text != run.text,
            span: run.span,
            text,
        })
        .collect();
    named.sort_by_key(|p| p.span.start);
    named.dedup_by_key(|p| p.span.start);
    let mut candidates = Vec::new();
    for &ki in &lonely {
        let key = &keys[ki].0.span;
        for ni in near(
            &named,
            key,
            PAIRING_WINDOW_BYTES + ESCAPED_RUN_FACTOR * MAX_SECRET_RUN,
        ) {
            let g = gap(key, &named[ni].span);
            if g <= PAIRING_WINDOW_BYTES && same_block(data, key, &named[ni].span) {
                candidates.push((g, ki, ni));
            }
        }
    }
    if candidates.is_empty() {
        return;
    }
    for (ki, ni) in pair_up(keys, &named, candidates).into_iter().enumerate() {
        if let Some(ni) = ni {
            secrets.push(named[ni].clone());
            key_secret[ki] = Some(secrets.len() - 1);
        }
    }
}

/// The session token of a temporary key ID and secret paired by block: a token named by a
/// keyword or of an observed shape, in the same block as the key ID and within the byte window
/// of the key ID or the secret, the nearest.
fn token_in_block(
    data: &[u8],
    hits: &AwsHits,
    key: &Range<usize>,
    secret: &Range<usize>,
) -> Option<Part> {
    let reach = PAIRING_WINDOW_BYTES + SESSION_TOKEN_MAX_LEN;
    let close = |&hit: &usize| {
        hit + reach >= key.start.min(secret.start) && hit <= key.end.max(secret.end) + reach
    };
    hits.token_keywords
        .iter()
        .filter(|h| close(h))
        .filter_map(|&h| token_after_keyword(data, h))
        .chain(
            hits.token_starts
                .iter()
                .filter(|h| close(h))
                .filter_map(|&h| token_at(data, h)),
        )
        .filter(|run| same_block(data, key, &run.span))
        .min_by_key(|run| gap(key, &run.span).min(gap(secret, &run.span)))
        .map(|run| Part {
            span: run.span.start..run.span.end + run.padding,
            text: run.text + &"=".repeat(run.padding),
            decoded: false,
        })
}

/// Pairs key IDs with secrets from `candidates` (gap, key, secret: the pairs within the window)
/// as a reader would. Within each group of parts linked by candidates: first the order the
/// format implies, key before its secret (`id = …` then `secret = …`, `AccessKeyId` before
/// `SecretAccessKey`) unless the secret-first order pairs more; nearest first within that
/// order; and never a crossing (key 1 with secret 2 and key 2 with secret 1) when an uncrossed
/// assignment exists. Then what is left pairs in either order, still without crossing. Returns
/// the secret of each key.
fn pair_up(
    keys: &[(Part, KeyKind)],
    secrets: &[Part],
    mut candidates: Vec<(usize, usize, usize)>,
) -> Vec<Option<usize>> {
    candidates.sort_unstable();
    let key_first =
        |&(_, ki, si): &(usize, usize, usize)| keys[ki].0.span.start < secrets[si].span.start;
    // Groups: parts linked by candidates, found with a union-find over keys and secrets.
    let mut group: Vec<usize> = (0..keys.len() + secrets.len()).collect();
    fn root(group: &mut [usize], mut i: usize) -> usize {
        while group[i] != i {
            group[i] = group[group[i]];
            i = group[i];
        }
        i
    }
    for &(_, ki, si) in &candidates {
        let (a, b) = (root(&mut group, ki), root(&mut group, keys.len() + si));
        group[a] = b;
    }
    // Per group, how many pairs each order would make on its own: [key first, secret first].
    let mut counts: std::collections::HashMap<usize, [usize; 2]> = Default::default();
    for forward in [true, false] {
        let mut pairing = Pairing::new(keys.len(), secrets.len());
        for c in candidates.iter().filter(|c| key_first(c) == forward) {
            if pairing.try_add(keys, secrets, c.1, c.2) {
                counts.entry(root(&mut group, c.1)).or_default()[usize::from(!forward)] += 1;
            }
        }
    }
    let mut pairing = Pairing::new(keys.len(), secrets.len());
    for c in &candidates {
        let [forward, backward] = counts
            .get(&root(&mut group, c.1))
            .copied()
            .unwrap_or_default();
        if key_first(c) == (forward >= backward) {
            pairing.try_add(keys, secrets, c.1, c.2);
        }
    }
    for c in &candidates {
        pairing.try_add(keys, secrets, c.1, c.2);
    }
    pairing.key_secret
}

/// An assignment of secrets to key IDs in which no two pairs cross: ordered by key position,
/// the secrets are in position order too.
struct Pairing {
    key_secret: Vec<Option<usize>>,
    secret_used: Vec<bool>,
    /// Accepted pairs by key position: the secret's position.
    by_key: std::collections::BTreeMap<usize, usize>,
}

impl Pairing {
    fn new(keys: usize, secrets: usize) -> Pairing {
        Pairing {
            key_secret: vec![None; keys],
            secret_used: vec![false; secrets],
            by_key: std::collections::BTreeMap::new(),
        }
    }

    /// Adds the pair when both parts are free and it crosses no accepted pair.
    fn try_add(
        &mut self,
        keys: &[(Part, KeyKind)],
        secrets: &[Part],
        ki: usize,
        si: usize,
    ) -> bool {
        if self.key_secret[ki].is_some() || self.secret_used[si] {
            return false;
        }
        let (k, s) = (keys[ki].0.span.start, secrets[si].span.start);
        let before = self.by_key.range(..k).next_back().map(|(_, &t)| t);
        let after = self.by_key.range(k..).next().map(|(_, &t)| t);
        if before.is_some_and(|t| t > s) || after.is_some_and(|t| t < s) {
            return false;
        }
        self.by_key.insert(k, s);
        self.key_secret[ki] = Some(si);
        self.secret_used[si] = true;
        true
    }
}

/// How many bytes an escaped run may take per decoded character (`\u002F` is six bytes for `/`).
const ESCAPED_RUN_FACTOR: usize = 6;

/// Runs (of `lengths` decoded characters) in the union of the windows that reach `reach` bytes on
/// either side of `spans`, in order, each found once.
fn runs_near<'a>(
    data: &[u8],
    spans: impl Iterator<Item = &'a Range<usize>>,
    reach: usize,
    lengths: std::ops::RangeInclusive<usize>,
) -> Vec<Run> {
    super::spans::merged_windows(spans, reach, data.len())
        .into_iter()
        .flat_map(|w| runs_in(data, w, *lengths.start(), *lengths.end()))
        .collect()
}

/// Indices of the parts (sorted by start) that start within `reach` bytes of `span`.
fn near<'a>(
    parts: &'a [Part],
    span: &Range<usize>,
    reach: usize,
) -> impl Iterator<Item = usize> + 'a {
    let lo = span.start.saturating_sub(reach);
    let hi = span.end + reach;
    let first = parts.partition_point(|p| p.span.start < lo);
    (first..parts.len()).take_while(move |&i| parts[i].span.start <= hi)
}

#[cfg(test)]
mod tests;
