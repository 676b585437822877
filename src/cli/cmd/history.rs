//! `keyfence history [REVSPEC...]`: every commit of every ref, or a range.

use anyhow::Result;

use crate::cli::args::HistoryArgs;
use crate::cli::git::git_scan;
use crate::cli::ExitCode;
use crate::source::git::RevSelection;

/// Runs `keyfence history`.
pub(crate) fn run(args: HistoryArgs) -> Result<ExitCode> {
    git_scan(&args.scan, |g| {
        let sel = RevSelection::parse(g.repo, &args.revspecs)?;
        g.history(&sel)
    })
}
