//! `keyfence ci`: the commits of a pull request or push, worked out from the CI environment
//! (`ci_env`) or `--base`, scanned as a range; with `$GITHUB_STEP_SUMMARY` set, a Markdown
//! summary is appended to it (`ci_summary`).

use anyhow::Result;

use super::ci_env::detect_range;
use super::ci_shallow::explain;
use super::ci_summary::step_summary;
use crate::cli::args::CiArgs;
use crate::cli::git::git_scan_then;
use crate::cli::output::sanitize;
use crate::cli::ExitCode;
use crate::source::git::{resolve, GitError, RevSelection, FETCH_MORE_HINT};

/// `keyfence ci`: the range from the CI environment (or `--base`), scanned as a range.
pub(crate) fn run(args: CiArgs) -> Result<ExitCode> {
    let range = detect_range(&|k| std::env::var(k).ok(), args.base.as_deref())?;
    let summary = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|v| !v.is_empty());
    let after = |report: &_, loaded: &_| {
        if let Some(path) = &summary {
            step_summary(path.as_ref(), report, loaded);
        }
        Ok(())
    };
    let (scan, verify, store) = (&args.scan, &args.verify, &args.store);
    git_scan_then(scan, verify, store, summary.is_some(), after, |g| {
        let unborn = matches!(g.repo.head(), Err(e) if e.code() == git2::ErrorCode::UnbornBranch);
        if unborn && g.repo.references().is_ok_and(|mut r| r.next().is_none()) {
            anyhow::bail!(
                "this repository has no commits yet, so there is no range to scan ({})",
                range.origin
            );
        }
        let find = |what: &str, rev: &str| {
            resolve(g.repo, rev).map_err(|e| match e {
                GitError::BadRevision { .. } => anyhow::anyhow!(
                    "{what} {rev} ({}) is not in this clone: {e}; {FETCH_MORE_HINT}",
                    range.origin
                ),
                other => {
                    anyhow::Error::new(other).context(format!("{what} {rev} ({})", range.origin))
                }
            })
        };
        // A shallow checkout is told how to fetch the range (see `ci_shallow`).
        let head = find("head", &range.head);
        let head_rev = head.as_ref().map_or(range.head.clone(), |h| h.to_string());
        let shallow = |e, what: &str, rev: &str| {
            let what = format!("{what} {rev} ({})", range.origin);
            explain(e, &what, &range.base, &head_rev)
        };
        let sel = RevSelection {
            include: vec![head.map_err(|e| shallow(e, "head", &range.head))?],
            exclude: vec![find("base", &range.base).map_err(|e| shallow(e, "base", &range.base))?],
            ..RevSelection::default()
        };
        eprintln!(
            "keyfence: scanning {}",
            sanitize(&format!(
                "{}..{} ({})",
                short(&range.base),
                short(&range.head),
                range.origin
            ))
        );
        g.history_fetching(&sel, &args.fetch)
            .map_err(|e| shallow(e, "range", ""))
    })
}

fn short(rev: &str) -> &str {
    if rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()) {
        &rev[..12]
    } else {
        rev
    }
}
