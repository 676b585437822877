//! `keyfence completions SHELL`: a completion script generated from the clap definition, on
//! standard output.

use std::io::{self, Write};

use anyhow::{Context, Result};
use clap::CommandFactory;

use crate::cli::args::CompletionsArgs;
use crate::cli::{Cli, ExitCode};

/// Runs `keyfence completions`.
pub(crate) fn run(args: &CompletionsArgs) -> Result<ExitCode> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "keyfence", &mut script);
    let mut out = io::stdout().lock();
    match out.write_all(&script).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        other => other.context("cannot write the completion script")?,
    }
    Ok(ExitCode::Clean)
}
