//! The TOML shape of a rule file and of an allowlist, exactly as written, before validation.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::severity::Severity;

/// A rule file: a list of `[[rules]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleFileSyntax {
    /// The rules, in file order, each with the span of its table.
    #[serde(default)]
    pub rules: Vec<Spanned<RuleSyntax>>,
}

/// One rule as written in TOML (in a rule file or in `[[rules]]` of a configuration file).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleSyntax {
    /// Stable identifier, e.g. `aws-access-key`.
    pub id: String,
    /// What the rule finds.
    pub description: String,
    /// Severity of its findings.
    pub severity: Severity,
    /// Literal keywords for the prefilter, matched as written and in lower, UPPER and Capitalised
    /// spellings (only as written with `exact_keywords`).
    pub keywords: Vec<String>,
    /// Match the keywords only as written: for literal tokens (`ABSK`, `amzn.mws.`) whose other
    /// spellings the rule cannot match anyway. Fewer literals keep the prefilter on its SIMD
    /// searcher, which takes at most 64.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exact_keywords: bool,
    /// The regex run in a window around keyword hits (regex rules only); a capture group named
    /// `secret` marks the secret part, otherwise the whole match is the secret.
    /// Spanned so that an invalid regex is reported at its line and column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<Spanned<String>>,
    /// A built-in structural validator instead of a regex: `"aws"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validator: Option<String>,
    /// Minimum Shannon entropy of the secret part (regex rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entropy: Option<f64>,
    /// One line on what to do about a finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
    /// Texts the rule must find (may use `${keyid:AKIA:1}`, `${secret:1}`, `${token:1}`).
    #[serde(default)]
    pub examples: Vec<String>,
    /// Texts the rule must not find.
    #[serde(default)]
    pub negative_examples: Vec<String>,
    /// What this rule must not report, on top of the global allowlist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowlist: Option<AllowlistSyntax>,
}

/// What the `regexes` of an allowlist are matched against.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RegexTarget {
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
pub(crate) struct AllowlistSyntax {
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
    /// Where findings are allowed whatever they are: `message` (commit messages, tag
    /// annotations and notes), or one of `commit-message`, `tag-message`, `note`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Spanned<String>>,
}
