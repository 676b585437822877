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
    if args.all_objects && !args.revspecs.is_empty() {
        anyhow::bail!(
            "--all-objects scans the whole object database: it takes no revisions (given: {})",
            crate::report::sanitize(&args.revspecs.join(" "))
        );
    }
    git_scan_verified(&args.scan, &args.verify, |g| {
        let mut sel = RevSelection::parse(g.repo, &args.revspecs)?;
        sel.all_objects = args.all_objects;
        g.history_fetching(&sel, &args.fetch)
    })
}
