//! Which findings are sent to STS, decided offline: the credential a finding holds, or why it
//! is skipped (a part alone, a temporary key without its token, an unsupported kind, a Bedrock
//! key, a canary-token account).

use super::VerifyOptions;
use crate::report::{Finding, SkipReason};

/// The parts of a credential that is sent; the same parts are verified once per run.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Credential {
    /// The access key ID.
    pub key_id: String,
    /// The secret access key.
    pub secret: String,
    /// The session token of temporary (ASIA) credentials.
    pub session_token: Option<String>,
}

/// What to do with one finding.
pub(super) enum Plan {
    /// Not sent: why, as a name and in words.
    Skip(SkipReason, String),
    /// Sent.
    Send(Credential),
}

/// Decides, offline, whether a finding's credential is sent, and if not why.
pub(super) fn plan(f: &Finding, opts: &VerifyOptions) -> Plan {
    if f.rule_id.starts_with("aws-bedrock") {
        return Plan::Skip(
            SkipReason::Bedrock,
            "Amazon Bedrock API keys are not verified yet".to_string(),
        );
    }
    if let Some(why) = not_a_key_pair(&f.rule_id) {
        return Plan::Skip(SkipReason::Unsupported, why.to_string());
    }
    if let (Some(account), false) = (f.account_id.as_deref(), opts.verify_canaries) {
        if let Some(what) = opts.canaries.get(account) {
            return Plan::Skip(
                SkipReason::CanaryAccount,
                format!(
                    "canary token: verification skipped (account {account}: {what}; \
                     --verify-canaries sends it anyway)"
                ),
            );
        }
    }
    let secret = f.secret.as_ref().map(|s| s.expose().to_string());
    let (key_id, secret) = match (f.key_id.clone(), secret) {
        (Some(k), Some(s)) => (k, s),
        (Some(_), None) => {
            return Plan::Skip(
                SkipReason::KeyIdOnly,
                "a key ID alone cannot be verified: its secret was not found with it".to_string(),
            )
        }
        (None, Some(_)) if f.rule_id.starts_with("aws-") => {
            return Plan::Skip(
                SkipReason::SecretOnly,
                "a secret alone cannot be verified: its key ID was not found with it".to_string(),
            )
        }
        _ => {
            return Plan::Skip(
                SkipReason::Unsupported,
                "not an AWS access key: nothing to verify".to_string(),
            )
        }
    };
    if !is_secret_access_key(&secret) {
        return Plan::Skip(
            SkipReason::Unsupported,
            "the secret is not shaped like a secret access key (40 characters of base64): \
             nothing GetCallerIdentity could check"
                .to_string(),
        );
    }
    let session_token = f.session_token.as_ref().map(|t| t.expose().to_string());
    match &key_id.as_bytes()[..key_id.len().min(4)] {
        b"AKIA" => {}
        b"ASIA" if session_token.is_none() => {
            return Plan::Skip(
                SkipReason::NoSessionToken,
                "a temporary key (ASIA) cannot be used without its session token, which was not \
                 found with it"
                    .to_string(),
            )
        }
        b"ASIA" => {}
        _ => {
            return Plan::Skip(
                SkipReason::Unsupported,
                format!(
                    "{} keys cannot be checked with GetCallerIdentity",
                    &key_id[..key_id.len().min(4)]
                ),
            )
        }
    }
    Plan::Send(Credential {
        key_id,
        secret,
        session_token,
    })
}

/// Why the findings of a built-in rule are never sent although they name a key ID: what they
/// hold is not the key's secret.
fn not_a_key_pair(rule_id: &str) -> Option<&'static str> {
    match rule_id {
        "aws-presigned-url" => Some(
            "a presigned URL carries a signature, not the secret key: it is not sent \
             (its expiry is in the finding)",
        ),
        "aws-ses-smtp-credentials" => {
            Some("an SES SMTP password is derived from a secret key and cannot sign STS requests")
        }
        "aws-session-token" => {
            Some("a session token alone cannot be verified: its key pair was not found with it")
        }
        _ => None,
    }
}

/// Whether `s` has the shape of a secret access key: 40 characters of the base64 alphabet.
fn is_secret_access_key(s: &str) -> bool {
    s.len() == 40
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'/' || b == b'+')
}
