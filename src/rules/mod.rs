//! The rule language: what to find (rules with their severity, keywords and matcher) and what
//! not to report (allowlists), from TOML syntax validated once into compiled rules; the built-in
//! rule set.

mod allowlist;
mod compile;
mod location;
mod pattern;
mod severity;
mod syntax;

pub(crate) use allowlist::{Allowlist, Candidate};
pub(crate) use compile::{compile_rule, syntax_error, Compile, Matcher, Rule};
pub use compile::{RuleError, RuleSet};
pub use location::Location;
pub(crate) use severity::Severity;
pub(crate) use syntax::{AllowlistSyntax, RuleSyntax};

/// The built-in AWS rules, compiled into the binary.
const BUILTIN_RULES: &str = include_str!("../../rules/aws.toml");

/// The name the built-in rules are reported under in errors.
const BUILTIN_RULES_NAME: &str = "<built-in>/rules/aws.toml";
