//! The `[server]` table of `.keyfence.toml`: how `keyfence pre-receive` behaves on a git server
//! (time and commit budgets, what happens when they run out or keyfence fails, the escape
//! hatch, the audit log). Only the server's own configuration file is read, never one a push
//! carries: a pusher cannot loosen the check.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use toml::Spanned;

/// The longest time budget accepted, in seconds.
pub(crate) const MAX_TIMEOUT_SECS: f64 = 3600.0;

/// What to do with a push that could not be checked fully.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Policy {
    /// Reject the push.
    Reject,
    /// Accept the push (and say so).
    Accept,
}

/// `[server]` as written.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServerSyntax {
    /// Time budget in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Spanned<f64>>,
    /// Commit budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_commits: Option<Spanned<i64>>,
    /// When a budget runs out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_timeout: Option<Policy>,
    /// When keyfence fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_error: Option<Policy>,
    /// Whether the skip push option is honoured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_skip: Option<bool>,
    /// The name of the skip push option.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_option: Option<Spanned<String>>,
    /// Where skips and rejections are appended as JSON lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_log: Option<PathBuf>,
}

/// `[server]` validated; `None` where the file says nothing (the command's defaults apply).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ServerSettings {
    /// Time budget in seconds.
    pub timeout_secs: Option<f64>,
    /// Commit budget.
    pub max_commits: Option<usize>,
    /// When a budget runs out.
    pub on_timeout: Option<Policy>,
    /// When keyfence fails.
    pub on_error: Option<Policy>,
    /// Whether the skip push option is honoured.
    pub allow_skip: Option<bool>,
    /// The name of the skip push option.
    pub skip_option: Option<String>,
    /// The audit log, relative paths under the configuration's root.
    pub audit_log: Option<PathBuf>,
}

impl ServerSyntax {
    /// Validates the table; an error is the span at fault and what is wrong.
    pub(crate) fn validate(
        &self,
        root: &std::path::Path,
    ) -> Result<ServerSettings, (std::ops::Range<usize>, String)> {
        let timeout_secs = match &self.timeout {
            Some(t) => {
                let v = *t.get_ref();
                if !(0.0..=MAX_TIMEOUT_SECS).contains(&v) {
                    return Err((
                        t.span(),
                        format!("server.timeout must be between 0 and {MAX_TIMEOUT_SECS} seconds, got {v}"),
                    ));
                }
                Some(v)
            }
            None => None,
        };
        let max_commits = match &self.max_commits {
            Some(m) => {
                let v = *m.get_ref();
                if v < 1 {
                    return Err((
                        m.span(),
                        format!("server.max_commits must be at least 1, got {v}"),
                    ));
                }
                Some(usize::try_from(v).unwrap_or(usize::MAX))
            }
            None => None,
        };
        let skip_option = match &self.skip_option {
            Some(s) => {
                let v = s.get_ref();
                if !is_push_option_name(v) {
                    return Err((
                        s.span(),
                        format!(
                            "server.skip_option {v:?} is not a usable push option name \
                             (letters, digits, `.`, `-`, `_`; no `=` or spaces)"
                        ),
                    ));
                }
                Some(v.clone())
            }
            None => None,
        };
        Ok(ServerSettings {
            timeout_secs,
            max_commits,
            on_timeout: self.on_timeout,
            on_error: self.on_error,
            allow_skip: self.allow_skip,
            skip_option,
            audit_log: self.audit_log.as_ref().map(|p| root.join(p)),
        })
    }
}

/// Whether `name` can name a push option keyfence looks for.
pub(crate) fn is_push_option_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}
