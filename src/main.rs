//! The `keyfence` binary: parse, run, map the outcome to an exit code.

use clap::Parser;
use keyfence::cli::{run, Cli, ExitCode};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code.into(),
        Err(e) => {
            eprintln!("keyfence: error: {e:#}");
            ExitCode::Error.into()
        }
    }
}
