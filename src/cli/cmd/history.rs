//! `keyfence history [REVSPEC...]`: every commit of every ref, or a range.

use anyhow::Result;

use crate::cli::args::HistoryArgs;
use crate::cli::git::git_scan_verified;
use crate::cli::ExitCode;
use crate::source::git::RevSelection;

/// Runs `keyfence history`.
pub(crate) fn run(args: HistoryArgs) -> Result<ExitCode> {
    if args.store.datastore.is_some() {
        return super::history_store::run(args);
    }
    git_scan_verified(&args.scan, &args.verify, |g| {
        let sel = RevSelection::parse(g.repo, &args.revspecs)?;
        g.history_fetching(&sel, &args.fetch)
    })
}
