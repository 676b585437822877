//! `keyfence rules list` and `keyfence rules check [FILE]`.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

use crate::cli::output::sanitize;
use crate::cli::ExitCode;
use crate::config::EffectiveConfig;
use crate::rules::RuleSet;
use crate::source::check_examples;

/// `keyfence rules list`: the rules in effect with the configuration applied.
pub(crate) fn list(config: Option<&Path>) -> Result<ExitCode> {
    let config = EffectiveConfig::discover(Path::new("."), config)?;
    let mut out = std::io::stdout().lock();
    for r in &config.rules.rules {
        let line = format!("{:<34} {:<9} {}", r.id, r.severity, r.description);
        writeln!(out, "{}", sanitize(&line))?;
    }
    Ok(ExitCode::Clean)
}

/// `keyfence rules check`: compiles the rules in effect (or a rule file) and runs their
/// examples.
pub(crate) fn check(file: Option<&Path>, config: Option<&Path>) -> Result<ExitCode> {
    let rules = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            RuleSet::from_toml(&text, &path.display().to_string())?
        }
        None => EffectiveConfig::discover(Path::new("."), config)?.rules,
    };
    let failures = check_examples(&rules);
    for f in &failures {
        eprintln!("keyfence: {}", sanitize(f));
    }
    let examples: usize = rules
        .rules
        .iter()
        .map(|r| r.examples.len() + r.negative_examples.len())
        .sum();
    println!(
        "{} rules, {examples} examples: {}",
        rules.rules.len(),
        if failures.is_empty() {
            "all pass".to_string()
        } else {
            format!("{} failed", failures.len())
        }
    );
    Ok(if failures.is_empty() {
        ExitCode::Clean
    } else {
        ExitCode::Error
    })
}
