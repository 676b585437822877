//! Commit messages, annotated tags' messages and notes (`refs/notes/*`) in history and ranges,
//! scanned with the same engine, decoding, inline directives and allowlists as blobs (the path
//! step replaced by the origin step: `origin = "message"`). A finding names the message's kind
//! and object, and its line is within the message.
//!
//! What is scanned: the message of every walked commit; the annotated tags under `refs/tags/`
//! whose target is a walked commit (every one of them when all references are scanned); the
//! notes of every `refs/notes/*` reference on walked commits (all of them when all references
//! are scanned). A credential is reported once: in the first message (walk order, then tags,
//! then notes) unless a blob of the history holds it already. A note's text is also a blob of
//! its notes reference's tree: that blob's finding (at a path made of the annotated object's
//! hex digits) gives way to the note's, which says what it is.
//!
//! Reading: a whole history's tree walk reads each packed commit whole and scans its message
//! there ([`WalkMessages`]); what is left (loose commits, a range's, tags, notes) is read here on
//! the workers, from the packs when they hold it. A note whose blob the pack-order scan already
//! read and found clean is counted, not read again; and when every blob of the repository was
//! read (the packs hold every object, and the pack-order scan read them all) and none held
//! anything, no note can: the notes are not listed at all ([`WalkMessages::every_blob_clean`]).
//! Annotated tags are read from the packs once, when listed.

mod listing;

use std::collections::HashSet;
use std::sync::Arc;

use git2::{Oid, Repository};

use super::blobs::Prescanned;
use super::blobs::{Job, Side};
use super::odb::{PackEntries, PackObjects, PackOrder};
use super::oid_set::{raw, OidMap, OidSet};
use super::walk::CommitWalk;
use super::{commit_info, open_with_objects, GitOptions, RevSelection};
use crate::report::{Finding, MessageKind, MessageOrigin, ScanError, Subject};
use crate::scan::ScanEngine;
use crate::source::{pool, BlobScanner};
use crate::suppress::Suppressor;
use listing::{list_notes, list_pushed_notes, list_tags, list_unreached_tags, TagReader};

/// What the messages gave: findings (each with its commit set when there is one), problems and
/// how many messages were scanned.
#[derive(Debug, Default)]
pub(crate) struct Messages {
    /// One finding per credential, in the order the messages were read.
    pub found: Vec<Finding>,
    /// Messages that could not be read.
    pub errors: Vec<ScanError>,
    /// Messages scanned.
    pub scanned: u64,
    /// Bytes of messages scanned.
    pub bytes: u64,
    /// Fingerprints of the credentials in notes, reported or allowed: their blobs in the notes
    /// trees are not reported as files.
    pub in_notes: HashSet<String>,
}

/// Commit messages the tree walk scanned as it read each commit whole from the packs (the
/// walk reads every commit anyway: a second read of each, by id, cost more than the scan).
#[derive(Debug, Default)]
pub(crate) struct WalkMessages {
    /// Findings, each with the walk index of its commit.
    found: Vec<(usize, Finding)>,
    /// Walk indexes of the commits scanned.
    done: Vec<usize>,
    scanned: u64,
    bytes: u64,
    /// Blobs of the pack-order scan the walk did not meet: a note that is one and gave nothing
    /// is counted, not read again.
    pub(crate) clean: OidMap<Prescanned>,
    /// Every blob of the repository was read (by the pack-order scan, or as the walk met it)
    /// and none held anything, reported or suppressed: a note's text is one of them, so the
    /// notes are not listed at all.
    pub(crate) every_blob_clean: bool,
}

impl WalkMessages {
    /// Scans the message of commit number `c` of the walk, `raw` being the whole commit.
    pub(crate) fn scan(&mut self, scanner: &mut BlobScanner<'_>, c: usize, raw: &[u8]) {
        let mut part = Part::default();
        let (found, _) = scan_one(scanner, &mut part, body(raw), MessageKind::Commit);
        self.scanned += part.scanned;
        self.bytes += part.bytes;
        self.done.push(c);
        self.found.extend(found.into_iter().map(|f| (c, f)));
    }

    /// Adds what another stretch of the walk scanned.
    pub(crate) fn merge(&mut self, mut other: WalkMessages) {
        self.found.append(&mut other.found);
        self.done.append(&mut other.done);
        self.scanned += other.scanned;
        self.bytes += other.bytes;
        self.clean.extend(other.clean);
    }
}

/// Blobs already scanned that a note need not be read for, and the notes so counted.
pub(super) struct Known<'a> {
    clean: &'a OidMap<Prescanned>,
    count: u64,
    bytes: u64,
}

impl Known<'_> {
    /// True (and counted) when the note blob `note` gave nothing to the pack-order scan.
    pub(super) fn skips(&mut self, note: Oid) -> bool {
        match self.clean.get(&raw(note)).and_then(Prescanned::clean_size) {
            Some(size) => {
                self.count += 1;
                self.bytes += size;
                true
            }
            None => false,
        }
    }
}

/// One message to read: what holds it, and what a finding in it names.
#[derive(Debug, Clone)]
struct Msg {
    kind: MessageKind,
    /// The commit, the tag object or the note's blob.
    object: Oid,
    /// The tag's name, or the notes reference and the annotated object.
    name: Option<String>,
    /// The commit the finding carries (the commit itself, the tag's, the annotated one).
    commit: Option<Oid>,
    /// No reference reaches the object (`--all-objects`).
    unreached: bool,
    /// Where its findings rank when a credential is in several messages: a commit's walk
    /// index, then the tags and notes in the order listed.
    rank: usize,
    /// The object, when listing it read it already.
    raw: Option<Arc<Vec<u8>>>,
}

/// Messages a reading thread takes at least (below that, one thread reads them all).
const MIN_PER_THREAD: usize = 2048;

/// Scans the messages of `walk` (and the tags and notes on its commits) in `repo`, on
/// `opts.threads` threads; objects are read from `packs` when it holds them (a whole
/// history's pack listing), else with libgit2. `in_walk` is what the tree walk scanned.
#[allow(clippy::too_many_arguments)]
pub(crate) fn scan_messages(
    repo: &Repository,
    walk: &CommitWalk,
    sel: &RevSelection,
    engine: &ScanEngine,
    suppressor: &Suppressor,
    opts: &GitOptions,
    packs: Option<(&PackOrder, &[PackEntries])>,
    in_walk: WalkMessages,
) -> Messages {
    let t0 = std::time::Instant::now();
    let unreached_from = walk
        .unreached
        .as_ref()
        .map_or(usize::MAX, |(from, _)| *from);
    let commit_msg = |i: usize| Msg {
        kind: MessageKind::Commit,
        object: walk.commits[i],
        name: None,
        commit: Some(walk.commits[i]),
        unreached: i >= unreached_from,
        rank: i,
        raw: None,
    };
    // The commits the walk did not read whole (loose ones, a range's) are read here.
    let mut done = vec![false; walk.commits.len()];
    for &c in &in_walk.done {
        if let Some(d) = done.get_mut(c) {
            *d = true;
        }
    }
    let mut jobs: Vec<Msg> = (0..walk.commits.len())
        .filter(|&i| !done[i])
        .map(commit_msg)
        .collect();
    let mut errors = Vec::new();
    let walked: OidSet = if sel.all_refs {
        OidSet::default()
    } else {
        walk.commits.iter().map(|&c| raw(c)).collect()
    };
    let wanted = |target: Oid| sel.all_refs || walked.contains(&raw(target));
    // A push's new tag is scanned whatever it points at (a tag of a commit already there).
    let pushed = |_: Oid| true;
    let mut objects = packs.map(|(order, packs)| PackObjects::new(order, packs));
    let mut tags = TagReader {
        repo,
        objects: objects.as_mut(),
    };
    list_tags(&mut tags, Some(&sel.tags), &pushed, &mut jobs, &mut errors);
    list_tags(&mut tags, None, &wanted, &mut jobs, &mut errors);
    list_pushed_notes(repo, &sel.notes, &mut jobs, &mut errors);
    // A note whose blob the pack-order scan found nothing in holds nothing as a note either
    // (the same content steps): counted, not read again.
    let mut known = Known {
        clean: &in_walk.clean,
        count: 0,
        bytes: 0,
    };
    if !in_walk.every_blob_clean {
        list_notes(
            repo,
            objects.as_mut(),
            &wanted,
            &mut known,
            &mut jobs,
            &mut errors,
        );
    }
    let (known, known_bytes) = (known.count, known.bytes);
    drop(objects);
    if let Some((_, inventory)) = &walk.unreached {
        list_unreached_tags(repo, &inventory.tags, &mut jobs);
    }
    let commits = walk.commits.len();
    for (k, m) in jobs.iter_mut().enumerate() {
        if m.kind != MessageKind::Commit {
            m.rank = commits + k;
        }
    }
    fetch_missing_notes(repo, opts, &mut jobs, &mut errors);
    log::info!(
        target: crate::source::TIMING,
        "messages listed: {} {:.2}s",
        jobs.len(),
        t0.elapsed().as_secs_f64()
    );
    let threads = pool::worker_count(opts.threads)
        .min(jobs.len() / MIN_PER_THREAD)
        .max(1);
    let per = jobs.len().div_ceil(threads).max(1);
    let git_dir = repo.path();
    let parts: Vec<Part> = std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .chunks(per)
            .enumerate()
            .map(|(k, chunk)| {
                s.spawn(move || read_part(git_dir, opts, packs, chunk, k * per, engine, suppressor))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| Part {
                    errors: vec![history_error("a message-reading thread panicked".into())],
                    ..Part::default()
                })
            })
            .collect()
    });
    let mut out = Messages {
        errors,
        ..Messages::default()
    };
    let mut found: Vec<(usize, Finding)> = Vec::new();
    out.scanned = in_walk.scanned + known;
    out.bytes = in_walk.bytes + known_bytes;
    let mut ranked: Vec<(usize, Msg, Finding)> = in_walk
        .found
        .into_iter()
        .filter(|(c, _)| *c < commits)
        .map(|(c, f)| (c, commit_msg(c), f))
        .collect();
    for mut part in parts {
        out.scanned += part.scanned;
        out.bytes += part.bytes;
        out.errors.append(&mut part.errors);
        out.in_notes.extend(part.in_notes);
        found.append(&mut part.found);
    }
    // One finding per credential: the first message (commits in walk order, tags, notes).
    ranked.extend(
        found
            .into_iter()
            .map(|(i, f)| (jobs[i].rank, jobs[i].clone(), f)),
    );
    ranked.sort_by_key(|(rank, _, _)| *rank);
    let mut seen: HashSet<String> = HashSet::new();
    for (_, m, f) in ranked {
        if seen.insert(f.fingerprint.clone()) {
            let commit = m.commit.and_then(|c| repo.find_commit(c).ok());
            let mut f = labelled(f, m.kind, m.object, m.name.clone(), commit);
            f.unreachable = m.unreached.then(|| m.object.to_string());
            out.found.push(f);
        }
    }
    out
}

/// A partial clone's missing note blobs (a notes ref fetched with `--filter=blob:none`) are
/// fetched like the history's blobs (`promisor`); the notes still missing are left out and
/// counted in one error, not one per note.
fn fetch_missing_notes(
    repo: &Repository,
    opts: &GitOptions,
    jobs: &mut Vec<Msg>,
    errors: &mut Vec<ScanError>,
) {
    let notes: Vec<Job> = jobs
        .iter()
        .filter(|m| m.kind == MessageKind::Note)
        .map(|m| Job {
            oid: m.object,
            path: Vec::new(),
            side: Side::Before,
        })
        .collect();
    if notes.is_empty() {
        return;
    }
    let mut missing = super::promisor::Missing::new(repo, &opts.fetch);
    let wanted = notes.len();
    let present: HashSet<Oid> = missing.complete(notes).into_iter().map(|j| j.oid).collect();
    if present.len() < wanted {
        jobs.retain(|m| m.kind != MessageKind::Note || present.contains(&m.object));
    }
    errors.extend(missing.error());
}

/// What one reading thread found: findings with the index of their message.
#[derive(Debug, Default)]
struct Part {
    found: Vec<(usize, Finding)>,
    errors: Vec<ScanError>,
    scanned: u64,
    bytes: u64,
    in_notes: HashSet<String>,
}

/// Reads and scans `chunk` (the messages from index `first` on) with a repository of its own.
fn read_part(
    git_dir: &std::path::Path,
    opts: &GitOptions,
    packs: Option<(&PackOrder, &[PackEntries])>,
    chunk: &[Msg],
    first: usize,
    engine: &ScanEngine,
    suppressor: &Suppressor,
) -> Part {
    let mut part = Part::default();
    let repo = match open_with_objects(git_dir, &opts.object_dirs) {
        Ok(r) => r,
        Err(e) => {
            part.errors.push(history_error(format!(
                "cannot read the messages: {}",
                e.message()
            )));
            return part;
        }
    };
    let odb = match repo.odb() {
        Ok(o) => o,
        Err(e) => {
            part.errors.push(history_error(format!(
                "cannot read the messages: {}",
                e.message()
            )));
            return part;
        }
    };
    let mut objects = packs.map(|(order, packs)| PackObjects::new(order, packs));
    let mut scanner = BlobScanner::new(engine, suppressor, false);
    for (k, m) in chunk.iter().enumerate() {
        // Read when listed, or from the packs when they hold it whole; else (loose, or a pack
        // read fails) libgit2.
        let packed = m.raw.clone().or_else(|| {
            objects
                .as_mut()
                .and_then(|o| o.read(m.object).ok().flatten())
        });
        let owned;
        let raw: &[u8] = match &packed {
            Some(bytes) => bytes,
            None => match odb.read(m.object) {
                Ok(o) => {
                    owned = o.data().to_vec();
                    &owned
                }
                Err(e) => {
                    part.errors.push(unreadable(m, &e));
                    continue;
                }
            },
        };
        let text = match m.kind {
            MessageKind::Commit | MessageKind::Tag => body(raw),
            MessageKind::Note => raw,
        };
        let (found, in_notes) = scan_one(&mut scanner, &mut part, text, m.kind);
        part.in_notes.extend(in_notes);
        part.found.extend(found.into_iter().map(|f| (first + k, f)));
    }
    part
}

/// The error of a message that could not be read.
fn unreadable(m: &Msg, e: &git2::Error) -> ScanError {
    match m.kind {
        MessageKind::Commit => ScanError {
            subject: Subject::Commit(m.object.to_string()),
            message: format!("cannot read the commit message: {}", e.message()),
        },
        MessageKind::Tag => history_error(format!(
            "tag {} ({}): cannot read its message: {}",
            m.object,
            m.name.as_deref().unwrap_or("?"),
            e.message()
        )),
        MessageKind::Note => history_error(format!(
            "note {} ({}): cannot read it: {}",
            m.object,
            m.name.as_deref().unwrap_or("?"),
            e.message()
        )),
    }
}

/// Scans one message: content steps, then the origin step. Also gives, for a note, the
/// fingerprints of every credential it holds before the origin step (see [`merge`]).
fn scan_one(
    scanner: &mut BlobScanner<'_>,
    part: &mut Part,
    text: &[u8],
    kind: MessageKind,
) -> (Vec<Finding>, Vec<String>) {
    part.scanned += 1;
    part.bytes += text.len() as u64;
    let Some(mut found) = scanner.detect_whole(text, false) else {
        return (Vec::new(), Vec::new());
    };
    let in_notes = match kind {
        MessageKind::Note => found.iter().map(|f| f.fingerprint.clone()).collect(),
        _ => Vec::new(),
    };
    scanner.keep_in_message(kind.as_str(), &mut found);
    (found, in_notes)
}

/// `keyfence commit-msg`: the message of a commit not made yet (git's message file, its
/// comment lines already stripped), scanned as a commit message.
pub(crate) fn scan_commit_message(
    text: &[u8],
    file: &str,
    engine: &ScanEngine,
    suppressor: &Suppressor,
) -> crate::report::ScanReport {
    let mut scanner = BlobScanner::new(engine, suppressor, false);
    let mut part = Part::default();
    let (found, _) = scan_one(&mut scanner, &mut part, text, MessageKind::Commit);
    let mut report = crate::report::ScanReport::default();
    report.stats.merge(&scanner.stats);
    report.stats.messages_scanned = part.scanned;
    report.stats.bytes_scanned = part.bytes;
    for mut f in found {
        f.path = format!("<{}>", MessageKind::Commit.as_str());
        f.in_message = Some(MessageOrigin {
            kind: MessageKind::Commit,
            object: "(not committed yet)".to_string(),
            name: Some(file.to_string()),
        });
        report.findings.push(f);
    }
    report.finish();
    report
}

/// A commit message file as git's default cleanup leaves it for the commit: the lines that
/// start with the comment character dropped, and everything from the scissors line on (`git
/// commit --verbose` puts the diff below it).
pub(crate) fn strip_comments(text: &[u8], comment: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for line in text.split_inclusive(|b| *b == b'\n') {
        let bare = line.strip_suffix(b"\n").unwrap_or(line);
        let bare = bare.strip_suffix(b"\r").unwrap_or(bare);
        if bare.first() == Some(&comment) {
            if bare.get(1..) == Some(&SCISSORS[..]) {
                break;
            }
            // A dropped line is kept as an empty one, so that lines are numbered as in the file.
            out.push(b'\n');
            continue;
        }
        out.extend_from_slice(line);
    }
    out
}

/// What follows the comment character on git's scissors line.
const SCISSORS: &[u8; 53] = b" ------------------------ >8 ------------------------";

/// A finding of a message, labelled with where it is.
fn labelled(
    mut f: Finding,
    kind: MessageKind,
    object: Oid,
    name: Option<String>,
    commit: Option<git2::Commit<'_>>,
) -> Finding {
    f.path = format!("<{}>", kind.as_str());
    f.commit = commit.as_ref().map(commit_info);
    f.in_message = Some(MessageOrigin {
        kind,
        object: object.to_string(),
        name,
    });
    f
}

/// A commit's or tag's message: what follows the first blank line of the raw object (the
/// headers end there; a multi-line header's lines start with a space).
fn body(raw: &[u8]) -> &[u8] {
    match memchr::memmem::find(raw, b"\n\n") {
        Some(i) => &raw[i + 2..],
        None => &[],
    }
}

fn history_error(message: String) -> ScanError {
    ScanError {
        subject: Subject::History,
        message,
    }
}

/// True when `path` is where a notes tree keeps a note: the annotated object's 40 hex digits,
/// whole or split by `/` (fan-out).
fn is_note_path(path: &str) -> bool {
    let hex = path.bytes().filter(|b| *b != b'/').count();
    hex == 40 && path.bytes().all(|b| b == b'/' || b.is_ascii_hexdigit()) && !path.starts_with('/')
}

/// Adds the messages' findings to the blobs' (`findings`): a credential a blob holds is
/// reported there, unless that blob is a note's text in a notes tree: then the note's finding
/// stands instead.
pub(crate) fn merge(findings: &mut Vec<Finding>, messages: Messages) {
    let notes = &messages.in_notes;
    if !notes.is_empty() {
        findings.retain(|f| !(notes.contains(f.fingerprint.as_str()) && is_note_path(&f.path)));
    }
    let in_blobs: HashSet<String> = findings.iter().map(|f| f.fingerprint.clone()).collect();
    findings.extend(
        messages
            .found
            .into_iter()
            .filter(|f| !in_blobs.contains(&f.fingerprint)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_follows_the_headers() {
        let raw = b"tree 1\nparent 2\ngpgsig -----BEGIN\n \n -----END\n\nsubject\n\nbody\n";
        assert_eq!(body(raw), b"subject\n\nbody\n");
        assert_eq!(body(b"tree 1\n"), b"");
    }

    #[test]
    fn comments_and_what_follows_the_scissors_are_stripped() {
        let text = b"subject\n# Please enter\nbody\n# ------------------------ >8 ------------------------\ndiff\n";
        assert_eq!(strip_comments(text, b'#'), b"subject\n\nbody\n");
        assert_eq!(strip_comments(b"; c\nx\n", b';'), b"\nx\n");
    }

    #[test]
    fn note_paths_are_forty_hex_digits_with_fan_out() {
        let hex = "0123456789abcdef0123456789abcdef01234567";
        assert!(is_note_path(hex));
        assert!(is_note_path(&format!("{}/{}", &hex[..2], &hex[2..])));
        assert!(!is_note_path("src/main.rs"));
        assert!(!is_note_path(&hex[1..]));
    }
}
