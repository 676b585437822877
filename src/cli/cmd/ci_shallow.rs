//! What `keyfence ci` tells a shallow CI checkout (`actions/checkout` fetches one commit by
//! default) that lacks the range's base, or whose history stops before reaching it: the
//! command that fetches just the history the range needs, a step at a time, until its base and
//! head meet (`git fetch --depth=1` of the base alone is not enough: the head's history would
//! still end at the clone's edge, and what the range introduced could not be told apart).

use crate::cli::output::sanitize;
use crate::source::git::{GitError, FETCH_MORE_HINT};

/// Commits each `git fetch --deepen` adds, on every side of the clone's edge.
const DEEPEN: u32 = 50;

/// The error of a range that a shallow clone cannot scan, with how to fetch what it needs;
/// other errors are given back as they are.
pub(super) fn explain(e: anyhow::Error, what: &str, base: &str, head: &str) -> anyhow::Error {
    let cause = match e.downcast_ref::<GitError>() {
        Some(GitError::ShallowMissing { .. }) => format!("{what} is not in this shallow clone"),
        Some(GitError::ShallowRange { commit }) => format!(
            "the range reaches commit {commit}, the edge of this shallow clone, before its base"
        ),
        _ => return e,
    };
    anyhow::anyhow!("{cause}; {}", fetch_range(base, head))
}

/// The shell command that deepens the clone until `base` and `head` have a merge base (so the
/// commits between them are all in it), then the other ways.
pub(super) fn fetch_range(base: &str, head: &str) -> String {
    let (b, h) = (sanitize(base), sanitize(head));
    format!(
        "fetch the history the range needs with `until git merge-base {b} {h} >/dev/null \
         2>&1; do git fetch --no-tags --deepen={DEEPEN} origin {} {} || break; done` \
         (run in the clone; it adds {DEEPEN} commits at a time to each side), or {FETCH_MORE_HINT}",
        refspec(&b),
        refspec(&h)
    )
}

/// What to fetch for a revision: a commit id as it is, `origin/BRANCH` as the branch into its
/// remote-tracking ref.
fn refspec(rev: &str) -> String {
    match rev.strip_prefix("origin/") {
        Some(branch) => format!("+refs/heads/{branch}:refs/remotes/origin/{branch}"),
        None => rev.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branches_become_refspecs_and_ids_stay() {
        assert_eq!(refspec("0123abcd"), "0123abcd");
        assert_eq!(
            refspec("origin/main"),
            "+refs/heads/main:refs/remotes/origin/main"
        );
        let hint = fetch_range("origin/main", "0123abcd");
        assert!(
            hint.contains("git merge-base origin/main 0123abcd"),
            "{hint}"
        );
        assert!(
            hint.contains("--deepen=50 origin +refs/heads/main"),
            "{hint}"
        );
    }
}
