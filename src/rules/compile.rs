//! Validation of rule syntax into the rules the scanner runs.

use std::ops::Range;

use thiserror::Error;
use toml::Spanned;

use super::allowlist::Allowlist;
use super::location::Location;
use super::pattern::RulePattern;
use super::severity::Severity;
use super::syntax::{RuleFileSyntax, RuleSyntax};
use super::{BUILTIN_RULES, BUILTIN_RULES_NAME};
use crate::validate::AwsKind;

/// A problem in a rule file; every variant names the file and the rule or location at fault.
#[derive(Debug, Error)]
pub enum RuleError {
    /// The TOML does not parse or does not fit the schema.
    #[error("{at}: {message}")]
    Syntax {
        /// Where.
        at: Location,
        /// What is wrong.
        message: String,
    },
    /// A rule is wrong in itself; the location is that of the faulty value, or of the rule's
    /// table.
    #[error("{at}: rule `{rule}`: {message}")]
    Invalid {
        /// Where.
        at: Location,
        /// The rule id.
        rule: String,
        /// What is wrong.
        message: String,
    },
}

/// How a rule finds its matches.
#[derive(Debug, Clone)]
pub(crate) enum Matcher {
    /// The structural AWS validator; the rule reports one kind of AWS credential.
    Aws(AwsKind),
    /// A regex run around keyword hits.
    Regex {
        /// The pattern (compiled, or compiled on first use for a built-in rule).
        pattern: RulePattern,
        /// Minimum entropy of the secret part.
        entropy: Option<f64>,
    },
}

/// A validated rule.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    /// Stable identifier.
    pub id: String,
    /// What it finds.
    pub description: String,
    /// Severity of its findings.
    pub severity: Severity,
    /// What to do about a finding.
    pub remediation: String,
    /// Prefilter keywords (matched in common spellings, or as written with `exact_keywords`).
    pub keywords: Vec<String>,
    /// True when the keywords are matched only as written.
    pub exact_keywords: bool,
    /// How it matches.
    pub matcher: Matcher,
    /// Texts it must find.
    pub examples: Vec<String>,
    /// Texts it must not find.
    pub negative_examples: Vec<String>,
    /// What this rule must not report (`[rules.allowlist]`), on top of the global allowlist.
    pub allowlist: Option<Allowlist>,
    /// Where the rule is defined.
    pub origin: Location,
}

impl Location {
    /// A [`RuleError::Invalid`] about `rule` at this place.
    pub(crate) fn rule_error(&self, rule: &str, message: impl Into<String>) -> RuleError {
        RuleError::Invalid {
            at: self.clone(),
            rule: rule.to_string(),
            message: message.into(),
        }
    }
}

/// An ordered set of rules with unique ids.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    /// The rules, in load order.
    pub(crate) rules: Vec<Rule>,
}

const DEFAULT_REMEDIATION: &str =
    "Revoke and rotate the credential, then remove it from the source.";

impl RuleSet {
    /// The built-in rules.
    pub fn builtin() -> Result<RuleSet, RuleError> {
        RuleSet::parse(BUILTIN_RULES, BUILTIN_RULES_NAME, Compile::OnFirstUse)
    }

    /// Parses and validates a rule file's text; `file` names it in errors.
    pub(crate) fn from_toml(text: &str, file: &str) -> Result<RuleSet, RuleError> {
        RuleSet::parse(text, file, Compile::Now)
    }

    fn parse(text: &str, file: &str, when: Compile) -> Result<RuleSet, RuleError> {
        let syntax: RuleFileSyntax =
            toml::from_str(text).map_err(|e| syntax_error(text, file, &e))?;
        let mut set = RuleSet::default();
        for rule in syntax.rules {
            set.push(compile_rule(rule, file, text, when)?)?;
        }
        Ok(set)
    }

    /// Adds a rule, refusing a duplicate id (the error names the new rule's place).
    pub(crate) fn push(&mut self, rule: Rule) -> Result<(), RuleError> {
        if let Some(old) = self.get(&rule.id) {
            return Err(rule.origin.rule_error(
                &rule.id,
                format!("a rule with this id already exists ({})", old.origin),
            ));
        }
        self.rules.push(rule);
        Ok(())
    }

    /// The rule with `id`, mutably.
    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut Rule> {
        self.rules.iter_mut().find(|r| r.id == id)
    }

    /// Removes the rule with `id`; false when there is none.
    pub(crate) fn remove(&mut self, id: &str) -> bool {
        let before = self.rules.len();
        self.rules.retain(|r| r.id != id);
        self.rules.len() != before
    }

    /// The rule with `id`.
    pub(crate) fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// Turns a TOML error into a [`RuleError::Syntax`] with line and column.
pub(crate) fn syntax_error(text: &str, file: &str, e: &toml::de::Error) -> RuleError {
    let at = e.span().map_or_else(
        || Location::new(file, 1, 1),
        |s| Location::of_offset(file, text, s.start),
    );
    RuleError::Syntax {
        at,
        message: e.message().to_string(),
    }
}

/// When a regex rule's pattern is compiled (see [`RulePattern`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compile {
    /// As the rule is loaded: a bad pattern is an error then.
    Now,
    /// On first use: only for the built-in rules, whose patterns the unit tests compile.
    OnFirstUse,
}

/// Validates one rule read from `text` (the whole file, for locations) of `file`. Errors name
/// the rule and point at the faulty value (regexes) or at the rule's table.
pub(crate) fn compile_rule(
    spanned: Spanned<RuleSyntax>,
    file: &str,
    text: &str,
    when: Compile,
) -> Result<Rule, RuleError> {
    let origin = Location::at(file, text, spanned.span());
    let raw = spanned.into_inner();
    let invalid = |message: String| origin.rule_error(&raw.id, message);
    let invalid_at = |span: Range<usize>, message: String| {
        Location::at(file, text, span).rule_error(&raw.id, message)
    };
    if raw.id.is_empty()
        || !raw
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(invalid(
            "the id must be non-empty and use only letters, digits, '-' and '_'".into(),
        ));
    }
    if raw.keywords.is_empty() || raw.keywords.iter().any(String::is_empty) {
        return Err(invalid(
            "`keywords` must list at least one non-empty keyword".into(),
        ));
    }
    let matcher = match (&raw.validator, &raw.regex) {
        (Some(v), None) if v == "aws" => Matcher::Aws(aws_kind(&raw).map_err(invalid)?),
        (Some(v), None) => {
            return Err(invalid(format!("unknown validator `{v}` (known: \"aws\")")))
        }
        (Some(_), Some(_)) => {
            return Err(invalid(
                "give either `regex` or `validator`, not both".into(),
            ))
        }
        (None, None) => {
            return Err(invalid(
                "a rule needs `regex` (or a built-in `validator`)".into(),
            ))
        }
        (None, Some(source)) => {
            let pattern = match when {
                Compile::Now => RulePattern::compile(source.get_ref())
                    .map_err(|e| invalid_at(source.span(), format!("invalid regex: {e}")))?,
                Compile::OnFirstUse => RulePattern::on_first_use(source.get_ref()),
            };
            if let Some(e) = raw.entropy {
                if !(0.0..=8.0).contains(&e) {
                    return Err(invalid(format!(
                        "`entropy` must be between 0 and 8 bits, got {e}"
                    )));
                }
            }
            Matcher::Regex {
                pattern,
                entropy: raw.entropy,
            }
        }
    };
    let allowlist = match &raw.allowlist {
        Some(a) => Some(
            Allowlist::compile(a)
                .map_err(|e| invalid_at(e.span, format!("allowlist: {}", e.message)))?,
        ),
        None => None,
    };
    Ok(Rule {
        allowlist,
        origin,
        remediation: raw
            .remediation
            .clone()
            .unwrap_or_else(|| DEFAULT_REMEDIATION.into()),
        id: raw.id,
        description: raw.description,
        severity: raw.severity,
        keywords: raw.keywords,
        exact_keywords: raw.exact_keywords,
        matcher,
        examples: raw.examples,
        negative_examples: raw.negative_examples,
    })
}

/// The AWS kind a validator rule reports, and a check that its keywords are anchors the validator
/// understands (credential prefixes or "secret").
fn aws_kind(raw: &RuleSyntax) -> Result<AwsKind, String> {
    let kind = AwsKind::ALL
        .into_iter()
        .find(|k| k.rule_id() == raw.id)
        .ok_or_else(|| "the aws validator reports only the built-in AWS rule ids".to_string())?;
    for k in &raw.keywords {
        if kind.anchor(k).is_none() {
            return Err(format!(
                "keyword `{k}` is not an anchor of the aws validator"
            ));
        }
    }
    Ok(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_compile() {
        let set = RuleSet::builtin().unwrap();
        for id in [
            "aws-access-key",
            "aws-temporary-credentials",
            "aws-temporary-key-missing-token",
            "aws-secret-access-key",
            "aws-access-key-id",
        ] {
            assert!(set.get(id).is_some(), "{id}");
        }
    }

    #[test]
    fn errors_name_file_line_and_rule() {
        let err = RuleSet::from_toml("[[rules]]\nid = 3\n", "x.toml").unwrap_err();
        assert!(err.to_string().starts_with("x.toml:2:6:"), "{err}");
        let bad = "[[rules]]\nid='r'\ndescription='d'\nseverity='low'\nkeywords=['k']\nregex='('\n";
        let err = RuleSet::from_toml(bad, "x.toml").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("x.toml:6:7: rule `r`: invalid regex"),
            "{err}"
        );
        let dup = "[[rules]]\nid='r'\ndescription='d'\nseverity='low'\nkeywords=['k']\nregex='k'\n";
        let err = RuleSet::from_toml(&format!("{dup}{dup}"), "x.toml").unwrap_err();
        assert!(
            err.to_string().starts_with(
                "x.toml:7:1: rule `r`: a rule with this id already exists (x.toml:1:1)"
            ),
            "{err}"
        );
        let unknown = "[[rules]]\nid='r'\ndescription='d'\nseverity='low'\nkeywords=['k']\nregex='k'\nflavour=1\n";
        let err = RuleSet::from_toml(unknown, "x.toml").unwrap_err();
        assert!(
            err.to_string()
                .contains("x.toml:7:1: unknown field `flavour`"),
            "{err}"
        );
    }
}
