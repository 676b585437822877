//! The git commands at the edge: `staged`, `history`, `ci` and `pre-push` resolve their
//! arguments into a repository and a revision selection, scan with the git sources, and report
//! like every other mode.

use std::io::{BufRead, IsTerminal};

use anyhow::{bail, Context, Result};
use git2::{Oid, Repository};

use crate::app::{emit, EXIT_CLEAN};
use crate::app_config;
use crate::ci_env::detect_range;
use crate::cli::{
    BaselineArgs, CiArgs, GitScanArgs, HistoryArgs, PrePushArgs, ProgressChoice, StagedArgs,
};
use crate::config::EffectiveConfig;
use crate::report_model::ScanReport;
use crate::scan::ScanEngine;
use crate::source::git::revs::resolve;
use crate::source::git::{
    discover_repository, open_repository, repository_root, scan_history, scan_staged, GitError,
    GitOptions, RevSelection, FETCH_MORE_HINT,
};

/// A git scan: opens the repository, loads the configuration found at its root, scans with
/// `scan`, applies the baseline and commit allowlists, and reports.
fn git_scan(
    args: &GitScanArgs,
    scan: impl FnOnce(&Repository, &ScanEngine, &GitOptions) -> Result<ScanReport>,
) -> Result<u8> {
    let GitScanArgs {
        git,
        config,
        report,
    } = args;
    let repo = open_repository()?;
    let loaded = app_config::load(&repository_root(&repo), config)?;
    let opts = GitOptions {
        scan_binary: git.binary,
        threads: report.threads,
        progress: match git.progress {
            ProgressChoice::Always => true,
            ProgressChoice::Never => false,
            ProgressChoice::Auto => std::io::stderr().is_terminal(),
        },
    };
    let mut result = scan(&repo, &loaded.engine, &opts)?;
    app_config::finish(&mut result, &loaded, config);
    emit(&result, loaded.engine.rules(), report)
}

/// `keyfence staged`.
pub fn staged(args: StagedArgs) -> Result<u8> {
    git_scan(&args.scan, |repo, engine, opts| {
        Ok(scan_staged(repo, engine, opts.scan_binary)?)
    })
}

/// `keyfence history`.
pub fn history(args: HistoryArgs) -> Result<u8> {
    git_scan(&args.scan, |repo, engine, opts| {
        let sel = RevSelection::parse(repo, &args.revspecs)?;
        Ok(scan_history(repo, &sel, engine, opts)?)
    })
}

/// `keyfence baseline --history REV`: the baseline of what the history of the repository that
/// holds `args.path` reaches from REV, written at the repository's root.
pub fn baseline_history(args: &BaselineArgs, rev: &str) -> Result<u8> {
    let repo = discover_repository(&args.path)?;
    let root = repository_root(&repo);
    let config = EffectiveConfig::discover(&root, args.config.as_deref())?;
    let engine = app_config::baseline_engine(&config, args);
    let sel = RevSelection::parse(&repo, &[rev.to_string()])?;
    let opts = GitOptions {
        threads: args.threads,
        ..GitOptions::default()
    };
    let mut report = scan_history(&repo, &sel, &engine, &opts)?;
    app_config::write_baseline(&mut report, &engine, &root, args.output.as_deref())
}

/// `keyfence ci`: the range from the CI environment (or `--base`), scanned as a range.
pub fn ci(args: CiArgs) -> Result<u8> {
    let range = detect_range(&|k| std::env::var(k).ok(), args.base.as_deref())?;
    git_scan(&args.scan, |repo, engine, opts| {
        let find = |what: &str, rev: &str| {
            resolve(repo, rev).map_err(|e| match e {
                GitError::BadRevision { .. } => anyhow::anyhow!(
                    "{what} {rev} ({}) is not in this clone: {e}; {FETCH_MORE_HINT}",
                    range.origin
                ),
                other => {
                    anyhow::Error::new(other).context(format!("{what} {rev} ({})", range.origin))
                }
            })
        };
        let sel = RevSelection {
            include: vec![find("head", &range.head)?],
            exclude: vec![find("base", &range.base)?],
            ..RevSelection::default()
        };
        eprintln!(
            "keyfence: scanning {}..{} ({})",
            short(&range.base),
            short(&range.head),
            range.origin
        );
        Ok(scan_history(repo, &sel, engine, opts)?)
    })
}

fn short(rev: &str) -> &str {
    if rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()) {
        &rev[..12]
    } else {
        rev
    }
}

/// `keyfence pre-push`: scans exactly the commits a push sends.
pub fn pre_push(args: PrePushArgs) -> Result<u8> {
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
        return Ok(EXIT_CLEAN);
    };
    drop(repo);
    git_scan(&args.scan, |repo, engine, opts| {
        Ok(scan_history(repo, &sel, engine, opts)?)
    })
}

/// The commits of a push from git's pre-push hook input: one line per ref,
/// `<local ref> <local sha> <remote ref> <remote sha>`. Deletions send nothing; an update sends
/// what the remote's old commit lacks; a new branch, or a forced push over a commit this clone
/// does not have, sends what no remote-tracking ref of `remote` has. `None`: nothing to scan.
pub fn hook_selection(
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
        let [_local_ref, local, _remote_ref, remote_sha] = fields[..] else {
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
