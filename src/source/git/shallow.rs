//! A shallow clone's edge: the commits whose parents the clone does not hold. A whole history
//! scanned there covers what the clone holds and says once, as a warning, that the history
//! before its edge was not scanned (a range that runs into the edge is an error instead:
//! [`super::GitError::ShallowRange`]).

use std::collections::HashSet;

use git2::{Oid, Repository};

use super::revs::shallow_commits;
use super::FETCH_MORE_HINT;
use crate::report::{ScanError, Subject};

/// The one warning of a whole history walked on a shallow clone: how many of the walked
/// commits are at the clone's edge, and the first of them; `None` when none is.
pub(crate) fn edge_warning(repo: &Repository, walked: &[Oid]) -> Option<ScanError> {
    let shallow = shallow_commits(repo);
    if shallow.is_empty() {
        return None;
    }
    let walked: HashSet<Oid> = walked.iter().copied().collect();
    let mut edge: Vec<Oid> = shallow.into_iter().filter(|c| walked.contains(c)).collect();
    edge.sort();
    let first = edge.first()?;
    let count = edge.len();
    let which = if count == 1 {
        format!("commit {first}")
    } else {
        format!("{count} boundary commits ({first} and {} more)", count - 1)
    };
    Some(ScanError::partial(
        Subject::History,
        format!(
            "shallow clone: the history before {which} is not in this clone and was not \
             scanned; {FETCH_MORE_HINT}"
        ),
    ))
}
