//! `keyfence scan [PATH...]`: files, directories and standard input.

use anyhow::{bail, Result};

use crate::cli::args::{worker_threads, ScanArgs};
use crate::cli::datastore::{open_store, record_and_apply, record_verifications};
use crate::cli::load::{finish, load, scan_root};
use crate::cli::output::{check_group, check_output, emit};
use crate::cli::verify::{check_unused, verify_report};
use crate::cli::ExitCode;
use crate::source::archive::ArchiveOptions;
use crate::source::fs::{scan_paths, FsOptions};
use crate::store::RepoKind;

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
    let mut store = match &args.store.datastore {
        Some(path) => Some(open_store(path)?),
        None => None,
    };
    if let Some(db) = store.as_mut() {
        let root = std::path::absolute(scan_root(&args.paths))?;
        let name = format!("dir:{}", root.display());
        record_and_apply(
            db,
            "scan",
            &name,
            RepoKind::Dir,
            &mut report,
            args.store.new_only,
        )?;
    }
    verify_report(
        &mut report,
        &args.verify,
        &loaded.verify_skip_accounts,
        None,
    )?;
    if let Some(db) = store.as_mut() {
        record_verifications(db, &report)?;
    }
    emit(&report, loaded.rules(), &args.report)
}
