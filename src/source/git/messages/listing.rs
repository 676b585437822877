//! Which tags and notes a walk's messages include: the annotated tags under `refs/tags/` (and a
//! push's new ones), with the tags down their chains; the notes of every `refs/notes/*`
//! reference; with `--all-objects`, the tags that none of those lead to.

use std::collections::HashSet;
use std::sync::Arc;

use git2::{ObjectType, Oid, Repository};

use super::super::odb::{self, PackObjects};
use super::super::GitError;
use super::{history_error, Known, MessageKind, Msg};
use crate::report::ScanError;

/// Reads annotated tags: from the packs when they hold them (a whole history's pack listing),
/// else with libgit2.
pub(super) struct TagReader<'r, 'o, 'p> {
    pub(super) repo: &'r Repository,
    pub(super) objects: Option<&'o mut PackObjects<'p>>,
}

/// An annotated tag: what it points at, the commit that comes to, and the object when it was
/// read from the packs.
struct Tag {
    target: Oid,
    /// The target is itself a tag.
    of_tag: bool,
    commit: Option<Oid>,
    raw: Option<Arc<Vec<u8>>>,
}

impl TagReader<'_, '_, '_> {
    /// The tag `oid`; `None` when it is no annotated tag (a tag reference may name a commit)
    /// or cannot be read.
    fn read(&mut self, oid: Oid) -> Option<Tag> {
        if let Some(objects) = self.objects.as_deref_mut() {
            match objects.kind(oid) {
                Ok(Some(odb::ObjectType::Tag)) => {
                    if let Some(tag) = objects.read(oid).ok().flatten().and_then(packed_tag) {
                        return Some(tag);
                    }
                }
                Ok(Some(_)) => return None,
                _ => {}
            }
        }
        // Loose, a tag of a tag (peeled down its chain), or what the packs could not give.
        let tag = self.repo.find_tag(oid).ok()?;
        let commit = tag
            .target()
            .ok()
            .and_then(|t| t.peel_to_commit().ok())
            .map(|c| c.id());
        Some(Tag {
            target: tag.target_id(),
            of_tag: tag.target_type() == Some(ObjectType::Tag),
            commit,
            raw: None,
        })
    }
}

/// A packed tag whose header names a commit, tree or blob (`object` then `type`, as git writes
/// them); `None` for a tag of a tag, or a header that does not parse (then libgit2 reads it).
fn packed_tag(raw: Arc<Vec<u8>>) -> Option<Tag> {
    let mut lines = raw.split(|&b| b == b'\n');
    let hex = lines.next()?.strip_prefix(b"object ")?;
    let kind = lines.next()?.strip_prefix(b"type ")?;
    if hex.len() != 40 {
        return None;
    }
    let target = Oid::from_str(std::str::from_utf8(hex).ok()?).ok()?;
    let commit = match kind {
        b"commit" => Some(target),
        b"tree" | b"blob" => None,
        _ => return None,
    };
    Some(Tag {
        target,
        of_tag: false,
        commit,
        raw: Some(raw),
    })
}

/// Lists the annotated tags `extra` names, or else those under `refs/tags/` (tags of tags
/// followed), whose commit `wanted` takes.
pub(super) fn list_tags(
    tags: &mut TagReader<'_, '_, '_>,
    extra: Option<&[(String, Oid)]>,
    wanted: &dyn Fn(Oid) -> bool,
    jobs: &mut Vec<Msg>,
    errors: &mut Vec<ScanError>,
) {
    let starts: Vec<(Option<String>, Oid)> = match extra {
        Some(extra) => extra.iter().map(|(n, o)| (Some(n.clone()), *o)).collect(),
        None => match tags.repo.references_glob("refs/tags/*") {
            Ok(refs) => refs
                .flatten()
                .filter_map(|r| Some((r.name().map(str::to_string), r.target()?)))
                .collect(),
            Err(e) => {
                errors.push(history_error(format!(
                    "cannot list the tags: {}",
                    e.message()
                )));
                return;
            }
        },
    };
    let mut done = HashSet::new();
    for (name, mut oid) in starts {
        // A chain of tags ends at most this many links down (git itself stops at a cycle).
        for _ in 0..MAX_TAG_CHAIN {
            if !done.insert(oid) {
                break;
            }
            let Some(tag) = tags.read(oid) else {
                break;
            };
            if wanted(tag.commit.unwrap_or(tag.target)) {
                jobs.push(Msg {
                    kind: MessageKind::Tag,
                    object: oid,
                    name: name.clone(),
                    commit: tag.commit,
                    unreached: false,
                    rank: 0,
                    raw: tag.raw,
                });
            }
            if !tag.of_tag {
                break;
            }
            oid = tag.target;
        }
    }
}

/// `--all-objects`: the annotated tags of the object database that no listed tag (a
/// reference's, or one down a chain from it) is, named by their ids.
pub(super) fn list_unreached_tags(repo: &Repository, tags: &[Oid], jobs: &mut Vec<Msg>) {
    let listed: HashSet<Oid> = jobs
        .iter()
        .filter(|m| m.kind == MessageKind::Tag)
        .map(|m| m.object)
        .collect();
    for &oid in tags.iter().filter(|t| !listed.contains(t)) {
        let commit = repo
            .find_tag(oid)
            .ok()
            .and_then(|t| t.target().ok())
            .and_then(|t| t.peel_to_commit().ok())
            .map(|c| c.id());
        jobs.push(Msg {
            kind: MessageKind::Tag,
            object: oid,
            name: None,
            commit,
            unreached: true,
            rank: 0,
            raw: None,
        });
    }
}

/// Links of a chain of tags followed.
const MAX_TAG_CHAIN: usize = 32;

/// Lists the notes that pushed notes references add (see [`RevSelection::notes`]): those of the
/// new commit that the old one does not hold.
///
/// [`RevSelection::notes`]: super::super::RevSelection::notes
pub(super) fn list_pushed_notes(
    repo: &Repository,
    pushed: &[(String, Oid, Option<Oid>)],
    jobs: &mut Vec<Msg>,
    errors: &mut Vec<ScanError>,
) {
    for (name, new, old) in pushed {
        let before: HashSet<Oid> = match old.map(|o| super::super::notes::list(repo, None, o)) {
            Some(Ok(notes)) => notes.into_iter().map(|(note, _)| note).collect(),
            // The old notes cannot be listed: every note of the new commit is scanned.
            _ => HashSet::new(),
        };
        match super::super::notes::list(repo, None, *new) {
            Ok(notes) => {
                for (note, annotated) in notes.into_iter().filter(|(n, _)| !before.contains(n)) {
                    jobs.push(note_msg(name, note, annotated));
                }
            }
            Err(e) => errors.push(history_error(format!("{name}: cannot list the notes: {e}"))),
        }
    }
}

/// The message of the note `note` of `name` on `annotated`.
fn note_msg(name: &str, note: Oid, annotated: Oid) -> Msg {
    Msg {
        kind: MessageKind::Note,
        object: note,
        name: Some(format!("{name} on {annotated}")),
        commit: Some(annotated),
        unreached: false,
        rank: 0,
        raw: None,
    }
}

/// Lists the notes of every `refs/notes/*` reference on objects `wanted` takes (none that
/// `jobs` already holds).
pub(super) fn list_notes(
    repo: &Repository,
    mut objects: Option<&mut PackObjects<'_>>,
    wanted: &dyn Fn(Oid) -> bool,
    known: &mut Known<'_>,
    jobs: &mut Vec<Msg>,
    errors: &mut Vec<ScanError>,
) {
    let Ok(refs) = repo.references_glob("refs/notes/*") else {
        return;
    };
    let names: Vec<(String, Result<Oid, git2::Error>)> = refs
        .flatten()
        .filter_map(|r| {
            let name = r.name()?.to_string();
            Some((name, r.peel_to_commit().map(|c| c.id())))
        })
        .collect();
    let mut done: HashSet<Oid> = jobs
        .iter()
        .filter(|m| m.kind == MessageKind::Note)
        .map(|m| m.object)
        .collect();
    for (name, commit) in names {
        let notes = commit
            .map_err(|e| GitError::git("its commit", e))
            .and_then(|c| super::super::notes::list(repo, objects.as_deref_mut(), c));
        let notes = match notes {
            Ok(n) => n,
            Err(e) => {
                errors.push(history_error(format!("{name}: cannot list the notes: {e}")));
                continue;
            }
        };
        for (note, annotated) in notes {
            if wanted(annotated) && done.insert(note) && !known.skips(note) {
                jobs.push(note_msg(&name, note, annotated));
            }
        }
    }
}
