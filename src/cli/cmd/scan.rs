//! `keyfence scan [PATH...]`: files, directories and standard input.

use anyhow::{bail, Result};

use crate::cli::args::{worker_threads, ScanArgs};
use crate::cli::load::{finish, load, scan_root};
use crate::cli::output::{check_group, check_output, emit};
use crate::cli::verify::{check_unused, verify_report};
use crate::cli::ExitCode;
use crate::source::archive::ArchiveOptions;
use crate::source::fs::{scan_paths, FsOptions};

/// Runs `keyfence scan`.
pub(crate) fn run(args: ScanArgs) -> Result<ExitCode> {
    for p in &args.paths {
        if p.as_os_str() != "-" && std::fs::symlink_metadata(p).is_err() {
            bail!("{}: no such file or directory", p.display());
        }
    }
    check_unused(&args.verify)?;
    check_group(&args.report)?;
    let mut loaded = load(&scan_root(&args.paths), &args.config)?;
    loaded.suppressor.set_keep_aside(args.report.grouped());
    check_output(
        args.report.output.as_deref(),
        &loaded.own_files,
        &args.paths,
    )?;
    let opts = FsOptions {
        no_ignore: args.no_ignore,
        scan_binary: args.binary,
        follow_symlinks: args.follow,
        threads: worker_threads(args.report.threads),
        archives: if args.no_archives {
            ArchiveOptions::disabled()
        } else {
            loaded.archives
        },
    };
    let mut report = scan_paths(&args.paths, &loaded.engine, &loaded.suppressor, &opts);
    finish(&mut report, &loaded, &args.config);
    verify_report(
        &mut report,
        &args.verify,
        &loaded.verify_skip_accounts,
        None,
    )?;
    emit(&report, loaded.rules(), &args.report)
}
