//! `keyfence config`: the effective configuration as TOML.

use anyhow::{bail, Result};

use crate::cli::args::ConfigCommandArgs;
use crate::cli::output::sanitize_lines;
use crate::cli::ExitCode;
use crate::config::EffectiveConfig;

/// Runs `keyfence config`.
pub(crate) fn run(args: &ConfigCommandArgs) -> Result<ExitCode> {
    if !args.path.is_dir() {
        bail!("{}: not a directory", args.path.display());
    }
    let config = EffectiveConfig::discover(&args.path, args.config.as_deref())?;
    print!("{}", sanitize_lines(&config.to_toml()));
    Ok(ExitCode::Clean)
}
