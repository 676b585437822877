//! The TOML shape of `.keyfence.toml`, exactly as written, before validation.
//!
//! Every struct denies unknown keys, and values that can be wrong in themselves (regexes, rule ids,
//! account IDs, globs) keep their span so that an error can name the line and column.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::finding::Severity;
use crate::rules::RuleSyntax;

/// A configuration file.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigSyntax {
    /// Lines between a key ID and its secret for them to pair.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pairing_window_lines: Option<Spanned<i64>>,
    /// Built-in rules to turn off.
    #[serde(default)]
    pub disabled_rules: Vec<Spanned<String>>,
    /// The global allowlist.
    #[serde(default)]
    pub allowlist: AllowlistSyntax,
    /// Severity changes of rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<OverrideSyntax>,
    /// Custom rules, in the same syntax as the built-in rule file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Spanned<RuleSyntax>>,
}

/// `[[overrides]]`: a new severity for a rule.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideSyntax {
    /// The rule id.
    pub rule: Spanned<String>,
    /// Its new severity.
    pub severity: Severity,
}

/// What the `regexes` of an allowlist are matched against.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RegexTarget {
    /// The secret, or the key ID when the finding has no secret.
    #[default]
    Secret,
    /// The matched text, from the first to the last part of the credential.
    Match,
    /// The whole line(s) the finding is on.
    Line,
}

/// `[allowlist]` and `[rules.allowlist]`: what not to report.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AllowlistSyntax {
    /// Gitignore-style globs, relative to the root.
    #[serde(default)]
    pub paths: Vec<Spanned<String>>,
    /// Regexes; a finding is allowed when one matches its [`RegexTarget`].
    #[serde(default)]
    pub regexes: Vec<Spanned<String>>,
    /// What `regexes` are matched against (default: the secret).
    #[serde(default)]
    pub regex_target: RegexTarget,
    /// Case-insensitive substrings of the secret or key ID.
    #[serde(default)]
    pub stopwords: Vec<Spanned<String>>,
    /// Exact access key IDs.
    #[serde(default)]
    pub key_ids: Vec<Spanned<String>>,
    /// 12-digit AWS account IDs, matched against the account decoded from a key ID.
    #[serde(default)]
    pub accounts: Vec<Spanned<String>>,
    /// Commit ids (full, or a prefix of at least 7 hex digits); git modes only.
    #[serde(default)]
    pub commits: Vec<Spanned<String>>,
}

impl AllowlistSyntax {
    /// True when the allowlist lists nothing.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
            && self.regexes.is_empty()
            && self.stopwords.is_empty()
            && self.key_ids.is_empty()
            && self.accounts.is_empty()
            && self.commits.is_empty()
    }
}
