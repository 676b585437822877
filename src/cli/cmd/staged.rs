//! `keyfence staged`: what the pre-commit hook runs.

use anyhow::Result;

use crate::cli::args::StagedArgs;
use crate::cli::git::git_scan;
use crate::cli::verify::refuse;
use crate::cli::ExitCode;
use crate::source::git::scan_staged;

/// Runs `keyfence staged`.
pub(crate) fn run(args: StagedArgs) -> Result<ExitCode> {
    refuse("staged", &args.no_verify)?;
    git_scan(&args.scan, |g| {
        Ok(scan_staged(g.repo, g.engine, g.suppressor, g.opts)?)
    })
}
