//! A regex rule's pattern, compiled when its rule is loaded or on its first use.
//!
//! A user's rule is compiled as it is loaded, so that a bad pattern is an error naming the file,
//! the rule and the place at once. The built-in rules' patterns are constants, compiled by the
//! unit tests (`every_builtin_pattern_compiles`): they wait for their first use, so that a run
//! that scans nothing, or nothing holding a regex rule's keywords, does not pay for them
//! (compiling the six built-in patterns took 2.4 ms of a 14 ms `keyfence staged`).

use std::sync::{Arc, OnceLock};

use regex::bytes::{Regex, RegexBuilder};

/// Size limit of a compiled rule regex, so a pathological pattern fails at load time.
pub(crate) const REGEX_SIZE_LIMIT: usize = 1 << 22;

/// A compiled pattern and where its secret is.
#[derive(Debug)]
pub(crate) struct Compiled {
    /// The regex.
    pub regex: Regex,
    /// Index of the `secret` capture group, if any.
    pub secret_group: Option<usize>,
}

/// A rule's pattern; clones share one compilation.
#[derive(Debug, Clone)]
pub(crate) struct RulePattern {
    source: Arc<str>,
    compiled: Arc<OnceLock<Compiled>>,
}

impl RulePattern {
    /// Compiles `source` now.
    pub(crate) fn compile(source: &str) -> Result<RulePattern, regex::Error> {
        let pattern = RulePattern::on_first_use(source);
        let compiled = build(source)?;
        let _ = pattern.compiled.set(compiled);
        Ok(pattern)
    }

    /// A pattern compiled on its first use: only for the built-in rules, whose patterns the unit
    /// tests compile.
    pub(crate) fn on_first_use(source: &str) -> RulePattern {
        RulePattern {
            source: source.into(),
            compiled: Arc::new(OnceLock::new()),
        }
    }

    /// The compiled pattern, compiling it on first use.
    pub(crate) fn get(&self) -> &Compiled {
        self.compiled.get_or_init(|| {
            build(&self.source).expect("built-in rule patterns compile (checked by unit tests)")
        })
    }
}

fn build(source: &str) -> Result<Compiled, regex::Error> {
    let regex = RegexBuilder::new(source)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()?;
    let secret_group = regex.capture_names().position(|n| n == Some("secret"));
    Ok(Compiled {
        regex,
        secret_group,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::syntax::RuleFileSyntax;
    use crate::rules::BUILTIN_RULES;

    /// What makes deferring the built-in patterns safe: each compiles, within the size limit.
    #[test]
    fn every_builtin_pattern_compiles() {
        let syntax: RuleFileSyntax = toml::from_str(BUILTIN_RULES).unwrap();
        let mut n = 0;
        for rule in syntax.rules {
            if let Some(p) = &rule.get_ref().regex {
                let c = build(p.get_ref()).unwrap_or_else(|e| panic!("{}: {e}", rule.get_ref().id));
                assert!(c.secret_group.is_some(), "{}", rule.get_ref().id);
                n += 1;
            }
        }
        assert!(n >= 6, "{n} patterns");
    }

    #[test]
    fn a_pattern_compiled_now_reports_its_error_and_a_clone_shares_the_compilation() {
        assert!(RulePattern::compile("a(").is_err());
        let p = RulePattern::on_first_use("x(?P<secret>[0-9]+)");
        let q = p.clone();
        assert_eq!(p.get().secret_group, Some(1));
        assert!(std::ptr::eq(p.get(), q.get()));
    }
}
