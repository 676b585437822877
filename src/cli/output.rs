//! Output: warnings on stderr, the report in the chosen format to stdout or a file, and the exit
//! code that follows from it. Everything that reaches a terminal passes [`sanitize`].

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};

use anyhow::{Context, Result};

use super::args::{ColorChoice, ReportArgs};
use super::ExitCode;
use crate::report::{write_report, ReportOptions, ScanError, ScanReport};
use crate::rules::RuleSet;

pub(crate) use crate::report::{sanitize, sanitize_lines};

/// Prints one warning per scan error on stderr.
pub(super) fn warn_errors(errors: &[ScanError]) {
    for e in errors {
        eprintln!(
            "keyfence: warning: {}: {}",
            sanitize(&e.subject()),
            sanitize(&e.message)
        );
    }
}

/// Prints errors to stderr, writes the report, and returns the exit code.
pub(super) fn emit(report: &ScanReport, rules: &RuleSet, args: &ReportArgs) -> Result<ExitCode> {
    warn_errors(&report.errors);
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
    Ok(ExitCode::of_scan(
        report.findings.len(),
        report.errors.len(),
    ))
}
