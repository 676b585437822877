//! What verification (`--verify`) found out about a finding's credential, as every format shows
//! it. A finding that was not verified has no [`Verification`] at all.

use serde_json::{json, Value};

/// Why a credential was not sent to AWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SkipReason {
    /// A key ID without its secret.
    KeyIdOnly,
    /// A secret without its key ID.
    SecretOnly,
    /// A temporary (ASIA) key ID and secret without the session token they need.
    NoSessionToken,
    /// An Amazon Bedrock API key: not verified (yet).
    Bedrock,
    /// A key ID of a kind GetCallerIdentity cannot check (ABIA, ACCA), or a custom rule's match.
    Unsupported,
    /// The key's account is a known canary-token account (or listed in `skip_accounts`).
    CanaryAccount,
}

impl SkipReason {
    /// Every reason, for reading one back by name.
    const ALL: [SkipReason; 6] = [
        SkipReason::KeyIdOnly,
        SkipReason::SecretOnly,
        SkipReason::NoSessionToken,
        SkipReason::Bedrock,
        SkipReason::Unsupported,
        SkipReason::CanaryAccount,
    ];

    /// The machine name (`key_id_only`, …), as JSON writes it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SkipReason::KeyIdOnly => "key_id_only",
            SkipReason::SecretOnly => "secret_only",
            SkipReason::NoSessionToken => "no_session_token",
            SkipReason::Bedrock => "bedrock",
            SkipReason::Unsupported => "unsupported",
            SkipReason::CanaryAccount => "canary_account",
        }
    }
}

/// The typed outcome of verifying one credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verification {
    /// The key works: the identity STS returned.
    Active {
        /// The caller's ARN.
        arn: String,
        /// The caller's account.
        account: String,
        /// The caller's unique id.
        user_id: String,
    },
    /// STS refused the credential.
    Inactive {
        /// STS's error code: `InvalidClientTokenId` or `SignatureDoesNotMatch`.
        code: String,
        /// STS's message, bounded.
        message: String,
        /// What the code implies.
        reason: String,
    },
    /// Temporary credentials past their expiry.
    Expired {
        /// STS's error code (`ExpiredToken`).
        code: String,
        /// STS's message, bounded.
        message: String,
        /// What the code implies.
        reason: String,
    },
    /// No answer: network error, timeout, throttled after retries, an unexpected answer.
    Unavailable {
        /// What went wrong.
        reason: String,
    },
    /// Not sent to AWS.
    Skipped {
        /// Why, as a machine name.
        skip: SkipReason,
        /// Why, in words.
        reason: String,
    },
}

impl Verification {
    /// `active`, `inactive`, `expired`, `unavailable` or `skipped`.
    pub(crate) fn status(&self) -> &'static str {
        match self {
            Verification::Active { .. } => "active",
            Verification::Inactive { .. } => "inactive",
            Verification::Expired { .. } => "expired",
            Verification::Unavailable { .. } => "unavailable",
            Verification::Skipped { .. } => "skipped",
        }
    }

    /// True for a key that works.
    pub(crate) fn is_active(&self) -> bool {
        matches!(self, Verification::Active { .. })
    }

    /// One line for people: the status and what it rests on.
    pub(crate) fn summary(&self) -> String {
        match self {
            Verification::Active {
                arn,
                account,
                user_id,
            } => format!("active: {arn} (account {account}, user id {user_id})"),
            Verification::Inactive { code, reason, .. }
            | Verification::Expired { code, reason, .. } => {
                format!("{}: {code}: {reason}", self.status())
            }
            Verification::Unavailable { reason } | Verification::Skipped { reason, .. } => {
                format!("{}: {reason}", self.status())
            }
        }
    }

    /// The JSON object: `status` and `reason` always, with the identity (`arn`, `account`,
    /// `user_id`), STS's `code` and `message`, or the `skip` name as the outcome has them.
    pub(crate) fn to_json(&self) -> Value {
        match self {
            Verification::Active {
                arn,
                account,
                user_id,
            } => json!({
                "status": "active",
                "arn": arn,
                "account": account,
                "user_id": user_id,
                "reason": "GetCallerIdentity succeeded",
            }),
            Verification::Inactive {
                code,
                message,
                reason,
            }
            | Verification::Expired {
                code,
                message,
                reason,
            } => json!({
                "status": self.status(),
                "code": code,
                "message": message,
                "reason": reason,
            }),
            Verification::Unavailable { reason } => json!({
                "status": "unavailable",
                "reason": reason,
            }),
            Verification::Skipped { skip, reason } => json!({
                "status": "skipped",
                "skip": skip.as_str(),
                "reason": reason,
            }),
        }
    }

    /// The outcome [`Verification::to_json`] wrote, read back (a datastore keeps outcomes so);
    /// what is missing or unknown is named in the error.
    pub(crate) fn from_json(v: &Value) -> Result<Verification, String> {
        let field = |name: &str| -> Result<String, String> {
            v.get(name)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| format!("no `{name}` text"))
        };
        let status = field("status")?;
        Ok(match status.as_str() {
            "active" => Verification::Active {
                arn: field("arn")?,
                account: field("account")?,
                user_id: field("user_id")?,
            },
            "inactive" | "expired" => {
                let (code, message, reason) = (field("code")?, field("message")?, field("reason")?);
                if status == "inactive" {
                    Verification::Inactive {
                        code,
                        message,
                        reason,
                    }
                } else {
                    Verification::Expired {
                        code,
                        message,
                        reason,
                    }
                }
            }
            "unavailable" => Verification::Unavailable {
                reason: field("reason")?,
            },
            "skipped" => {
                let name = field("skip")?;
                let skip = SkipReason::ALL
                    .into_iter()
                    .find(|s| s.as_str() == name)
                    .ok_or_else(|| format!("unknown skip reason `{name}`"))?;
                Verification::Skipped {
                    skip,
                    reason: field("reason")?,
                }
            }
            other => return Err(format!("unknown status `{other}`")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_has_a_status_and_a_reason() {
        let all = [
            Verification::Active {
                arn: "arn:aws:iam::1:user/a".into(),
                account: "1".into(),
                user_id: "U".into(),
            },
            Verification::Inactive {
                code: "SignatureDoesNotMatch".into(),
                message: "m".into(),
                reason: "r".into(),
            },
            Verification::Expired {
                code: "ExpiredToken".into(),
                message: "m".into(),
                reason: "r".into(),
            },
            Verification::Unavailable { reason: "r".into() },
            Verification::Skipped {
                skip: SkipReason::CanaryAccount,
                reason: "r".into(),
            },
        ];
        for v in &all {
            let j = v.to_json();
            assert_eq!(j["status"], v.status());
            assert!(j["reason"].is_string());
            assert!(v.summary().starts_with(v.status()));
            assert_eq!(Verification::from_json(&j).as_ref(), Ok(v));
        }
        for skip in SkipReason::ALL {
            let v = Verification::Skipped {
                skip,
                reason: "r".into(),
            };
            assert_eq!(Verification::from_json(&v.to_json()), Ok(v));
        }
        assert_eq!(all[4].to_json()["skip"], "canary_account");
    }

    #[test]
    fn outcomes_that_do_not_read_back_say_what_is_wrong() {
        let bad = |v: Value| Verification::from_json(&v).unwrap_err();
        assert_eq!(bad(json!({"reason": "r"})), "no `status` text");
        assert_eq!(bad(json!({"status": "maybe"})), "unknown status `maybe`");
        assert_eq!(
            bad(json!({"status": "active", "arn": "a"})),
            "no `account` text"
        );
        assert_eq!(
            bad(json!({"status": "skipped", "skip": "bored", "reason": "r"})),
            "unknown skip reason `bored`"
        );
        assert_eq!(bad(json!([1])), "no `status` text");
    }
}
