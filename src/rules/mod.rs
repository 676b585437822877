//! Rules: the TOML syntax, its validation into compiled rules, and the built-in rule set.

mod compile;
mod syntax;

pub use compile::{compile_rule, syntax_error, Matcher, Rule, RuleError, RuleOrigin, RuleSet};
pub use syntax::{RuleFileSyntax, RuleSyntax};

/// The built-in AWS rules, compiled into the binary.
pub const BUILTIN_RULES: &str = include_str!("../../rules/aws.toml");

/// The name the built-in rules are reported under in errors.
pub const BUILTIN_RULES_NAME: &str = "<built-in>/rules/aws.toml";

/// Line and column (1-based) of a byte offset in a text.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}
