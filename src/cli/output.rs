//! Output: warnings on stderr, the report in the chosen format to stdout or a file, and the exit
//! code that follows from it. Everything that reaches a terminal passes [`sanitize`].

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::args::{ColorChoice, ReportArgs};
use super::ExitCode;
use crate::report::{is_keyfence_report, write_report, ReportOptions, ScanError, ScanReport};
use crate::rules::RuleSet;

pub(crate) use crate::report::{sanitize, sanitize_lines};

/// Refuses `-o FILE` when writing the report would destroy an input: the configuration or
/// baseline in use (`own`), or a file being scanned (`scanned`: named, or inside a scanned
/// directory) unless that file is an earlier keyfence report. Checked before the scan starts.
pub(super) fn check_output(
    output: Option<&Path>,
    own: &[PathBuf],
    scanned: &[PathBuf],
) -> Result<()> {
    let Some(out) = output else {
        return Ok(());
    };
    // A file that does not exist yet is no input.
    let Ok(target) = out.canonicalize() else {
        return Ok(());
    };
    let same = |p: &PathBuf| p.canonicalize().is_ok_and(|c| c == target);
    if own.iter().any(same) {
        bail!(
            "refusing to write the report to {}: it is keyfence's configuration or baseline",
            sanitize(&out.display().to_string())
        );
    }
    let inside = |p: &PathBuf| {
        p.as_os_str() != "-"
            && p.canonicalize()
                .is_ok_and(|c| c == target || (c.is_dir() && target.starts_with(&c)))
    };
    if target.is_file() && scanned.iter().any(inside) && !is_report_file(&target) {
        bail!(
            "refusing to write the report over {}: it is one of the files being scanned \
             (write the report to another path)",
            sanitize(&out.display().to_string())
        );
    }
    Ok(())
}

/// Refuses `--group` with a format that lists places, not credentials (jsonl, sarif, github).
pub(super) fn check_group(args: &ReportArgs) -> Result<()> {
    use crate::report::Format;
    if args.group.is_some() && matches!(args.format, Format::Jsonl | Format::Sarif | Format::Github)
    {
        bail!(
            "--group credential applies to --format text and json (html, markdown and gitlab              are built on the grouped view); {} lists each place",
            match args.format {
                Format::Jsonl => "jsonl",
                Format::Sarif => "sarif",
                _ => "github",
            }
        );
    }
    Ok(())
}

/// True when the file at `path` is a report keyfence wrote earlier.
fn is_report_file(path: &Path) -> bool {
    let mut head = Vec::with_capacity(4096);
    File::open(path)
        .and_then(|f| f.take(4096).read_to_end(&mut head))
        .is_ok_and(|_| is_keyfence_report(&head))
}

/// Prints one warning per scan error on stderr.
pub(super) fn warn_errors(errors: &[ScanError]) {
    warn_each(errors, "");
}

/// Prints one line per part read only in part on stderr.
pub(super) fn warn_partial(warnings: &[ScanError]) {
    warn_each(
        warnings,
        " (read as far as it could be; --strict makes this an error)",
    );
}

/// `keyfence: warning: subject: message` and `tail` on stderr for each of `list`.
fn warn_each(list: &[ScanError], tail: &str) {
    for e in list {
        eprintln!(
            "keyfence: warning: {}: {}{tail}",
            sanitize(&e.subject()),
            sanitize(&e.message)
        );
    }
}

/// Prints errors and warnings to stderr, writes the report, and returns the exit code
/// (warnings do not change it).
pub(super) fn emit(report: &ScanReport, rules: &RuleSet, args: &ReportArgs) -> Result<ExitCode> {
    check_group(args)?;
    warn_errors(&report.errors);
    warn_partial(&report.warnings);
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
        group: args.group.is_some(),
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
