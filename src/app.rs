//! The edge: resolves the command line into options, runs the command and returns the exit code.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};

use anyhow::{bail, Context, Result};

use crate::app_config;
use crate::cli::{Cli, ColorChoice, Command, ReportArgs, RulesCommand, ScanArgs};
use crate::report::{write_report, ReportOptions};
use crate::report_model::ScanReport;
use crate::rules::RuleSet;
use crate::scan::ScanEngine;
use crate::source::fs::{scan_paths, FsOptions};
use crate::synthetic::expand_template;
use crate::validate::aws::AwsSettings;

/// Exit code: nothing found.
pub const EXIT_CLEAN: u8 = 0;
/// Exit code: findings.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: an error (bad usage, unreadable target, or input not scanned and nothing found).
pub const EXIT_ERROR: u8 = 2;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<u8> {
    if let Some(dir) = &cli.chdir {
        std::env::set_current_dir(dir)
            .with_context(|| format!("cannot change to directory {}", dir.display()))?;
    }
    match cli.command {
        Command::Scan(args) => scan(args),
        Command::Rules(RulesCommand::List { config }) => app_config::rules_list(config.as_deref()),
        Command::Rules(RulesCommand::Check { file, config }) => {
            app_config::rules_check(file.as_deref(), config.as_deref())
        }
        Command::Config(args) => app_config::config_command(&args),
        Command::Baseline(args) => app_config::baseline_command(&args),
        Command::Install(args) => crate::install::install_command(&args),
        Command::Staged(args) => crate::app_git::staged(args),
        Command::History(args) => crate::app_git::history(args),
        Command::Ci(args) => crate::app_git::ci(args),
        Command::PrePush(args) => crate::app_git::pre_push(args),
    }
}

fn scan(args: ScanArgs) -> Result<u8> {
    for p in &args.paths {
        if p.as_os_str() != "-" && std::fs::symlink_metadata(p).is_err() {
            bail!("{}: no such file or directory", p.display());
        }
    }
    let loaded = app_config::load(&app_config::scan_root(&args.paths), &args.config)?;
    let opts = FsOptions {
        no_ignore: args.no_ignore,
        scan_binary: args.binary,
        follow_symlinks: args.follow,
        threads: args.report.threads,
    };
    let mut report = scan_paths(&args.paths, &loaded.engine, &opts);
    app_config::finish(&mut report, &loaded, &args.config);
    emit(&report, loaded.engine.rules(), &args.report)
}

/// Prints errors to stderr, writes the report, and returns the exit code.
pub fn emit(report: &ScanReport, rules: &RuleSet, args: &ReportArgs) -> Result<u8> {
    for e in &report.errors {
        eprintln!(
            "keyfence: warning: {}: {}",
            crate::report::sanitize(&e.path),
            crate::report::sanitize(&e.message)
        );
    }
    let to_terminal = args.output.is_none() && io::stdout().is_terminal();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    colored::control::set_override(color);
    let opts = ReportOptions {
        show_secrets: args.show_secrets,
        quiet: args.quiet,
    };
    let result = match &args.output {
        Some(path) => {
            let file =
                File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
            let mut out = BufWriter::new(file);
            write_report(report, rules, args.format, opts, &mut out).and_then(|()| out.flush())
        }
        None => {
            let stdout = io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            write_report(report, rules, args.format, opts, &mut out).and_then(|()| out.flush())
        }
    };
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        other => other.context("cannot write the report")?,
    }
    Ok(report.exit_code())
}

/// Runs every rule's examples through a full scan; returns one message per failed example.
pub fn check_examples(rules: &RuleSet) -> Vec<String> {
    let engine = ScanEngine::new(rules.clone(), AwsSettings::default());
    let mut failures = Vec::new();
    for rule in &rules.rules {
        let fires = |ex: &str| {
            let text = expand_template(ex);
            engine
                .scan(text.as_bytes(), "example")
                .iter()
                .any(|f| f.rule_id == rule.id)
        };
        for ex in &rule.examples {
            if !fires(ex) {
                failures.push(format!(
                    "rule `{}` does not find its example {ex:?}",
                    rule.id
                ));
            }
        }
        for ex in &rule.negative_examples {
            if fires(ex) {
                failures.push(format!(
                    "rule `{}` finds its negative example {ex:?}",
                    rule.id
                ));
            }
        }
    }
    failures
}
