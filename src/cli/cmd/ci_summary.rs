//! The summary `keyfence ci` appends to `$GITHUB_STEP_SUMMARY`: the Markdown report.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use crate::cli::load::Loaded;
use crate::cli::output::sanitize;
use crate::report::{write_report, Format, ReportOptions, ScanReport};

/// Appends the Markdown summary (credentials grouped, what to do; secrets always redacted) to
/// the file GitHub Actions shows on the run's page. A summary that cannot be written is a
/// warning: the scan's result stands.
pub(crate) fn step_summary(path: &Path, report: &ScanReport, loaded: &Loaded) {
    let written = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| {
            let mut text = Vec::new();
            write_report(
                report,
                loaded.rules(),
                Format::Markdown,
                ReportOptions::default(),
                &mut text,
            )?;
            file.write_all(&text)
        });
    if let Err(e) = written {
        eprintln!(
            "keyfence: warning: cannot write the step summary to {}: {e}",
            sanitize(&path.display().to_string())
        );
    }
}
