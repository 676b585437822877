//! `keyfence pre-push`: the commits a `git push` is about to send, from the hook's standard
//! input or the pre-commit framework's environment.

use std::io::{BufRead, IsTerminal};

use anyhow::{bail, Context, Result};
use git2::{Oid, Repository};

use crate::cli::args::PrePushArgs;
use crate::cli::git::git_scan;
use crate::cli::verify::refuse;
use crate::cli::ExitCode;
use crate::source::git::{open_repository, resolve, RevSelection};

/// `keyfence pre-push`: scans exactly the commits a push sends.
pub(crate) fn run(args: PrePushArgs) -> Result<ExitCode> {
    refuse("pre-push", &args.no_verify)?;
    let repo = open_repository()?;
    let sel = match std::env::var("PRE_COMMIT_TO_REF")
        .ok()
        .filter(|v| !v.is_empty())
    {
        Some(to) => pre_commit_selection(&repo, &to)?,
        None => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                bail!(
                    "keyfence pre-push reads the refs being pushed on standard input, as git \
                     passes them to a pre-push hook (`keyfence install --pre-push` sets it up)"
                );
            }
            let lines = stdin
                .lock()
                .lines()
                .collect::<Result<Vec<_>, _>>()
                .context("cannot read the refs being pushed from standard input")?;
            hook_selection(&repo, args.remote.as_deref(), &lines)?
        }
    };
    let Some(sel) = sel else {
        return Ok(ExitCode::Clean);
    };
    drop(repo);
    git_scan(&args.scan, |g| g.history_fetching(&sel, &args.fetch))
}

/// The commits of a push from git's pre-push hook input: one line per ref,
/// `<local ref> <local sha> <remote ref> <remote sha>`. Deletions send nothing; an update sends
/// what the remote's old commit lacks; a new branch, or a forced push over a commit this clone
/// does not have, sends what no remote-tracking ref of `remote` has. `None`: nothing to scan.
fn hook_selection(
    repo: &Repository,
    remote: Option<&str>,
    lines: &[String],
) -> Result<Option<RevSelection>> {
    let mut sel = RevSelection::default();
    for (n, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [local_ref, local, remote_ref, remote_sha] = fields[..] else {
            bail!(
                "standard input line {}: expected `<local ref> <local sha> <remote ref> <remote sha>`, got {line:?}",
                n + 1
            );
        };
        let local = parse_oid(local, n)?;
        if local.is_zero() {
            continue; // a deletion sends no commit
        }
        repo.find_commit(local)
            .with_context(|| format!("standard input line {}: commit {local}", n + 1))?;
        sel.include.push(local);
        let remote_sha = parse_oid(remote_sha, n)?;
        if remote_ref.starts_with("refs/notes/") || local_ref.starts_with("refs/notes/") {
            let old = (!remote_sha.is_zero() && repo.find_commit(remote_sha).is_ok())
                .then_some(remote_sha);
            sel.notes.push((remote_ref.to_string(), local, old));
        }
        if !remote_sha.is_zero() && repo.find_commit(remote_sha).is_ok() {
            sel.exclude.push(remote_sha);
        } else if let Some(glob) = remote.and_then(remote_glob) {
            if !sel.exclude_globs.contains(&glob) {
                sel.exclude_globs.push(glob);
            }
        }
    }
    Ok((!sel.include.is_empty()).then_some(sel))
}

/// The pre-commit framework's pre-push stage: `PRE_COMMIT_FROM_REF..PRE_COMMIT_TO_REF`, or
/// without a from-ref what no ref of `PRE_COMMIT_REMOTE_NAME` has.
fn pre_commit_selection(repo: &Repository, to: &str) -> Result<Option<RevSelection>> {
    let mut sel = RevSelection {
        include: vec![resolve(repo, to)?],
        ..RevSelection::default()
    };
    let from = std::env::var("PRE_COMMIT_FROM_REF")
        .ok()
        .filter(|v| !v.is_empty() && !Oid::from_str(v).is_ok_and(|o| o.is_zero()));
    match from {
        Some(from) => sel.exclude.push(resolve(repo, &from)?),
        None => {
            let remote = std::env::var("PRE_COMMIT_REMOTE_NAME").ok();
            sel.exclude_globs
                .extend(remote.as_deref().and_then(remote_glob));
        }
    }
    Ok(Some(sel))
}

/// `refs/remotes/NAME/*` for a remote's name; nothing for a URL.
fn remote_glob(remote: &str) -> Option<String> {
    let is_name = !remote.is_empty()
        && !remote.contains(':')
        && !remote.contains('/')
        && !remote.contains('\\');
    is_name.then(|| format!("refs/remotes/{remote}/*"))
}

fn parse_oid(text: &str, line: usize) -> Result<Oid> {
    Oid::from_str(text)
        .ok()
        .filter(|_| text.len() >= 40)
        .with_context(|| {
            format!(
                "standard input line {}: {text:?} is not an object id",
                line + 1
            )
        })
}
