//! The `keyfence` binary: parse, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;
use keyfence::app::{run, EXIT_ERROR};
use keyfence::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("keyfence: error: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
