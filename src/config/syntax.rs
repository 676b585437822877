//! The TOML shape of `.keyfence.toml`, exactly as written, before validation.
//!
//! Every struct denies unknown keys, and values that can be wrong in themselves (regexes, rule ids,
//! account IDs, globs) keep their span so that an error can name the line and column.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::server::ServerSyntax;
use crate::rules::{AllowlistSyntax, RuleSyntax, Severity};

/// A configuration file.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigSyntax {
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
    /// `[verify]`: settings of `--verify`.
    #[serde(default, skip_serializing_if = "VerifySyntax::is_empty")]
    pub verify: VerifySyntax,
    /// `[archives]`: whether and how far archives are expanded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archives: Option<ArchivesSyntax>,
    /// `[server]`: settings of `keyfence pre-receive`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerSyntax>,
    /// `strict = true`: what is read only in part is an error, as with `--strict`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

/// `[verify]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VerifySyntax {
    /// Accounts (12 digits) whose keys are never sent to AWS, like the canary-token accounts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skip_accounts: Vec<Spanned<String>>,
}

impl VerifySyntax {
    /// True when the table sets nothing.
    pub(crate) fn is_empty(&self) -> bool {
        self.skip_accounts.is_empty()
    }
}

/// `[archives]`: each key left out keeps its default.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ArchivesSyntax {
    /// Expand archives at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Levels of archives inside archives expanded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_depth: Option<Spanned<i64>>,
    /// MiB decompressed per top-level archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_expanded_mib: Option<Spanned<i64>>,
    /// Decompressed bytes per byte of the archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ratio: Option<Spanned<i64>>,
    /// Entries per top-level archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_entries: Option<Spanned<i64>>,
}

/// `[[overrides]]`: a new severity for a rule.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OverrideSyntax {
    /// The rule id.
    pub rule: Spanned<String>,
    /// Its new severity.
    pub severity: Severity,
}
