//! `keyfence doctor`: is this clone protected?

use anyhow::Result;

use crate::cli::args::DoctorArgs;
use crate::cli::ExitCode;

/// `keyfence doctor`.
pub(crate) fn run(_args: &DoctorArgs) -> Result<ExitCode> {
    anyhow::bail!("not yet")
}
