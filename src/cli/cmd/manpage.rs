//! `keyfence man`: the manual pages generated from the clap definition: `keyfence.1` on standard
//! output, or with `--dir` that page and one per subcommand (`keyfence-scan.1`,
//! `keyfence-rules-list.1`, …) written into a directory.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_mangen::Man;

use crate::cli::args::ManArgs;
use crate::cli::output::sanitize_lines;
use crate::cli::{Cli, ExitCode};

/// Runs `keyfence man`.
pub(crate) fn run(args: &ManArgs) -> Result<ExitCode> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    // Builds the tree, which names every subcommand `keyfence-…` for its page.
    cmd.build();
    let Some(dir) = &args.dir else {
        let mut page = Vec::new();
        Man::new(cmd).render(&mut page)?;
        let mut out = io::stdout().lock();
        match out.write_all(&page).and_then(|()| out.flush()) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
            other => other.context("cannot write the manual page")?,
        }
        return Ok(ExitCode::Clean);
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut written = Vec::new();
    write_pages(&cmd, dir, &mut written)?;
    for path in written {
        println!("{}", sanitize_lines(&path.display().to_string()));
    }
    Ok(ExitCode::Clean)
}

/// Writes the page of `cmd` and, depth first, of each visible subcommand into `dir`.
fn write_pages(cmd: &clap::Command, dir: &Path, written: &mut Vec<PathBuf>) -> Result<()> {
    let man = Man::new(cmd.clone());
    let path = dir.join(man.get_filename());
    let mut page = Vec::new();
    man.render(&mut page)?;
    std::fs::write(&path, page).with_context(|| format!("cannot write {}", path.display()))?;
    written.push(path);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir, written)?;
    }
    Ok(())
}
