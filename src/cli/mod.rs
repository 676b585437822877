//! The edge: the command line ([`Cli`]), resolved into options once, one module per command in
//! `cmd/`, the report written by `output`, and the exit code ([`ExitCode`]). The only place
//! `anyhow` is used and the only place that prints, but for the progress line of git scans.

mod args;
mod cmd;
mod datastore;
mod exit;
mod fetch;
mod git;
mod hooks;
mod load;
mod mirror;
mod output;
mod process;
mod progress;
mod timing;
mod url;
mod verify;

use anyhow::{Context, Result};
use clap::Parser;

pub use args::Cli;
pub use exit::ExitCode;

use output::sanitize_lines;

use args::{Command, DatastoreCommand, RulesCommand};

/// The whole binary: parses the command line, runs it, prints an error. Everything printed,
/// clap's messages (which echo arguments) included, is sanitised.
pub fn main() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version: keyfence's own text.
            let _ = e.print();
            return std::process::ExitCode::SUCCESS;
        }
        Err(e) => {
            eprint!("{}", sanitize_lines(&e.render().to_string()));
            return ExitCode::Error.into();
        }
    };
    match run(cli) {
        Ok(code) => code.into(),
        Err(e) => {
            eprintln!("keyfence: error: {}", sanitize_lines(&format!("{e:#}")));
            ExitCode::Error.into()
        }
    }
}

/// Runs a parsed command line and returns the exit code; an `Err` is exit code 2.
pub fn run(cli: Cli) -> Result<ExitCode> {
    timing::init();
    process::configure();
    if let Some(dir) = &cli.chdir {
        std::env::set_current_dir(dir)
            .with_context(|| format!("cannot change to directory {}", dir.display()))?;
    }
    match cli.command {
        Command::Scan(args) => cmd::scan::run(args),
        Command::Rules(RulesCommand::List { config }) => cmd::rules::list(config.as_deref()),
        Command::Rules(RulesCommand::Check { file, config }) => {
            cmd::rules::check(file.as_deref(), config.as_deref())
        }
        Command::Config(args) => cmd::config::run(&args),
        Command::Baseline(args) => cmd::baseline::run(&args),
        Command::Install(args) => cmd::install::run(&args),
        Command::Staged(args) => cmd::staged::run(args),
        Command::CommitMsg(args) => cmd::commit_msg::run(args),
        Command::History(args) => cmd::history::run(args),
        Command::Ci(args) => cmd::ci::run(args),
        Command::PrePush(args) => cmd::pre_push::run(args),
        Command::Verify(args) => cmd::verify::run(&args),
        Command::PreReceive(args) => cmd::pre_receive::run(args),
        Command::Doctor(args) => cmd::doctor::run(&args),
        Command::Triage(args) => cmd::triage::run(&args),
        Command::Findings(args) => cmd::findings::run(&args),
        Command::Datastore(DatastoreCommand::Merge { out, inputs }) => {
            cmd::datastore::merge(&out, &inputs)
        }
        Command::Completions(args) => cmd::completions::run(&args),
        Command::Man(args) => cmd::manpage::run(&args),
    }
}
