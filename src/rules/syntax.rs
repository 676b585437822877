//! The TOML shape of a rule file, exactly as written, before validation.

use serde::Deserialize;

use crate::finding::Severity;

/// A rule file: a list of `[[rules]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFileSyntax {
    /// The rules, in file order.
    #[serde(default)]
    pub rules: Vec<RuleSyntax>,
}

/// One rule as written in TOML.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSyntax {
    /// Stable identifier, e.g. `aws-access-key`.
    pub id: String,
    /// What the rule finds.
    pub description: String,
    /// Severity of its findings.
    pub severity: Severity,
    /// Literal keywords for the prefilter, matched as written and in lower, UPPER and Capitalised
    /// spellings.
    pub keywords: Vec<String>,
    /// The regex run in a window around keyword hits (regex rules only); a capture group named
    /// `secret` marks the secret part, otherwise the whole match is the secret.
    pub regex: Option<String>,
    /// A built-in structural validator instead of a regex: `"aws"`.
    pub validator: Option<String>,
    /// Minimum Shannon entropy of the secret part (regex rules).
    pub entropy: Option<f64>,
    /// One line on what to do about a finding.
    #[serde(default)]
    pub remediation: Option<String>,
    /// Texts the rule must find (may use `${keyid:AKIA:1}`, `${secret:1}`, `${token:1}`).
    #[serde(default)]
    pub examples: Vec<String>,
    /// Texts the rule must not find.
    #[serde(default)]
    pub negative_examples: Vec<String>,
}
