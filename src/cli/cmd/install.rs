//! `keyfence install [--pre-push] [--force]`: installs keyfence's hook in the repository around
//! the current directory and says what was written where.

use std::path::Path;

use git2::{ErrorCode, Repository};

use crate::cli::args::InstallArgs;
use crate::cli::hooks::{hook_text, hooks_dir, install_hook, HookKind, InstallError, Outcome};
use crate::cli::output::sanitize;
use crate::cli::ExitCode;

/// `keyfence install [--pre-push] [--force]`: installs the hook in the repository around the
/// current directory and says what was written where.
pub(crate) fn run(args: &InstallArgs) -> anyhow::Result<ExitCode> {
    let kind = if args.pre_push {
        HookKind::PrePush
    } else if args.pre_receive {
        HookKind::PreReceive
    } else if args.commit_msg {
        HookKind::CommitMsg
    } else {
        HookKind::PreCommit
    };
    let cwd = std::env::current_dir()
        .map_err(|e| anyhow::anyhow!(e).context("cannot read the current directory"))?;
    let opened = match &args.bare {
        // The repository itself, not one found above it.
        Some(dir) => Repository::open_ext(
            dir,
            git2::RepositoryOpenFlags::NO_SEARCH,
            std::iter::empty::<&std::ffi::OsStr>(),
        ),
        None => Repository::open_from_env(),
    };
    let cwd = args.bare.as_ref().map_or(cwd, |d| d.clone());
    let repo = opened.map_err(|source| {
        if source.code() == ErrorCode::NotFound {
            InstallError::NotARepository { dir: cwd }
        } else {
            InstallError::Open { dir: cwd, source }
        }
    })?;
    let dir = hooks_dir(&repo)?;
    // Not canonicalized: a stable symlink (a package manager's bin directory) outlives the
    // versioned file it points to.
    let bin = std::env::current_exe()
        .and_then(std::path::absolute)
        .map_err(|e| anyhow::anyhow!(e).context("cannot find the path of the keyfence binary"))?;
    let outcome = install_hook(&dir, kind, &hook_text(kind, &bin), args.force)?;

    let path = shown(&dir.join(kind.file_name()));
    let runs = match kind {
        HookKind::PreCommit => "staged",
        HookKind::PrePush => "pre-push",
        HookKind::PreReceive => "pre-receive",
        HookKind::CommitMsg => "commit-msg",
    };
    let name = kind.file_name();
    match outcome {
        Outcome::AlreadyInstalled { fixed_permissions } => {
            println!("The keyfence {name} hook is already installed at {path}.");
            if fixed_permissions {
                println!("It was not executable; it is now.");
            }
            return Ok(ExitCode::Clean);
        }
        Outcome::Installed => println!("Installed the keyfence {name} hook at {path}."),
        Outcome::Updated => println!("Updated the keyfence {name} hook at {path}."),
        Outcome::ReplacedWithBackup(backup) => {
            println!("Moved the existing {name} hook to {}.", shown(&backup));
            println!("Installed the keyfence {name} hook at {path}.");
        }
    }
    if kind == HookKind::PreReceive {
        if !repo.is_bare() {
            println!(
                "Note: {} is not a bare repository; pushes to it are checked all the same.",
                shown(repo.path())
            );
        }
        println!(
            "It runs `{} {runs}` (keyfence on PATH is used if that file goes away); settings: \
             [server] in {}.",
            shown(&bin),
            shown(&crate::source::git::repository_root(&repo).join(".keyfence.toml"))
        );
        return Ok(ExitCode::Clean);
    }
    println!(
        "It runs `{} {runs}` ($KEYFENCE overrides the binary; keyfence on PATH is used if that \
         file goes away).",
        shown(&bin)
    );
    Ok(ExitCode::Clean)
}

fn shown(p: &Path) -> String {
    sanitize(&p.display().to_string())
}
