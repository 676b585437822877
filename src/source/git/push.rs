//! A push as a server's pre-receive hook sees it: the ref updates git writes on the hook's
//! standard input (`<old> <new> <ref>`, one line per ref), the quarantine directory that holds
//! the objects the push sent until the hook accepts them, and the commits the push introduces:
//! those reachable from the new values and from no ref the repository already has.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid, Repository, Sort};

use super::{GitError, RevSelection};

/// One line of a pre-receive hook's standard input: a ref and its old and new values (zero for
/// a ref being created or deleted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RefUpdate {
    /// The value before the push (zero: the ref is created).
    pub old: Oid,
    /// The value after the push (zero: the ref is deleted).
    pub new: Oid,
    /// The full ref name (`refs/heads/main`).
    pub name: String,
    /// The line of standard input it came from, 1-based.
    pub line: usize,
}

impl RefUpdate {
    /// True when the push deletes the ref: nothing to check.
    pub(crate) fn is_delete(&self) -> bool {
        self.new.is_zero()
    }
}

/// The longest ref name accepted (git's own limit on a path is 4096 bytes).
const MAX_REF_NAME: usize = 4096;

/// Parses a pre-receive hook's standard input: `<old-oid> SP <new-oid> SP <ref-name> LF` per
/// ref, every line, not only the first. Blank lines are skipped; anything else that is not such
/// a line is an error naming the line.
pub(crate) fn parse_updates(input: &[u8]) -> Result<Vec<RefUpdate>, GitError> {
    let mut updates = Vec::new();
    for (n, raw) in input.split(|&b| b == b'\n').enumerate() {
        let line = n + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let bad = |message: String| GitError::HookInput { line, message };
        let text = std::str::from_utf8(raw)
            .map_err(|_| bad("not UTF-8 text; expected `<old-oid> <new-oid> <ref>`".into()))?;
        let fields: Vec<&str> = text.split(' ').collect();
        let [old, new, name] = fields[..] else {
            return Err(bad(format!(
                "expected `<old-oid> <new-oid> <ref>`, got {} space-separated fields",
                fields.len()
            )));
        };
        let oid = |what: &str, text: &str| -> Result<Oid, GitError> {
            if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad(format!(
                    "the {what} value is a SHA-256 object id; keyfence reads SHA-1 repositories only"
                )));
            }
            if text.len() != 40 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad(format!(
                    "the {what} value is not a 40-digit hexadecimal object id"
                )));
            }
            Oid::from_str(text).map_err(|e| bad(format!("the {what} value: {}", e.message())))
        };
        let (old, new) = (oid("old", old)?, oid("new", new)?);
        if name.is_empty()
            || name.len() > MAX_REF_NAME
            || name.bytes().any(|b| b.is_ascii_control())
        {
            return Err(bad(
                "the ref name is empty, too long or holds control characters".into(),
            ));
        }
        if old.is_zero() && new.is_zero() {
            return Err(bad(format!(
                "both values are zero for {name}: neither a creation, an update nor a deletion"
            )));
        }
        updates.push(RefUpdate {
            old,
            new,
            name: name.to_string(),
            line,
        });
    }
    Ok(updates)
}

/// The object directories of a push's quarantine that are not the repository's own
/// (`repo_objects`): `GIT_QUARANTINE_PATH`, `GIT_OBJECT_DIRECTORY` and the entries of
/// `GIT_ALTERNATE_OBJECT_DIRECTORIES`, as `get` reads the environment. A variable naming a
/// directory that does not exist is an error: the push's objects could not be read.
pub(crate) fn quarantine_dirs(
    get: &dyn Fn(&str) -> Option<OsString>,
    repo_objects: &Path,
) -> Result<Vec<PathBuf>, GitError> {
    let mut named: Vec<(&str, PathBuf)> = Vec::new();
    for var in ["GIT_QUARANTINE_PATH", "GIT_OBJECT_DIRECTORY"] {
        if let Some(v) = get(var).filter(|v| !v.is_empty()) {
            named.push((var, PathBuf::from(v)));
        }
    }
    if let Some(v) = get("GIT_ALTERNATE_OBJECT_DIRECTORIES") {
        let v = v.to_string_lossy().into_owned();
        for entry in split_alternates(&v) {
            named.push(("GIT_ALTERNATE_OBJECT_DIRECTORIES", PathBuf::from(entry)));
        }
    }
    let own = repo_objects.canonicalize().ok();
    let mut dirs: Vec<PathBuf> = Vec::new();
    for (var, dir) in named {
        let canonical = dir.canonicalize().map_err(|e| GitError::Git {
            context: format!("{var} names {}", dir.display()),
            message: e.to_string(),
        })?;
        if Some(&canonical) != own.as_ref() && !dirs.contains(&canonical) {
            dirs.push(canonical);
        }
    }
    Ok(dirs)
}

/// The entries of `GIT_ALTERNATE_OBJECT_DIRECTORIES`: separated by `:` (`;` on Windows), an
/// entry starting with `"` written in C quoting (as git writes a path holding the separator).
fn split_alternates(value: &str) -> Vec<String> {
    let sep = if cfg!(windows) { ';' } else { ':' };
    let mut out = Vec::new();
    let mut rest = value;
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut entry = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    '\\' => match chars.next() {
                        Some((_, 'n')) => entry.push('\n'),
                        Some((_, 't')) => entry.push('\t'),
                        Some((_, c)) => entry.push(c),
                        None => {}
                    },
                    c => entry.push(c),
                }
            }
            out.push(entry);
            rest = quoted[end..].strip_prefix(sep).unwrap_or(&quoted[end..]);
        } else {
            let (entry, after) = rest.split_once(sep).unwrap_or((rest, ""));
            if !entry.is_empty() {
                out.push(entry.to_string());
            }
            rest = after;
        }
    }
    out
}

/// The commits a push introduces, as a selection: reachable from the new value of every ref
/// not deleted, and from no ref the repository has (the hook runs before any ref moves). Also
/// returns, per update kept, the commit its new value names (an annotated tag's commit).
///
/// A new value that is not in the repository nor the push, or that names a tree or a blob
/// (which no commit walk reaches), is an error naming the ref.
pub(crate) fn push_selection(
    repo: &Repository,
    updates: &[RefUpdate],
) -> Result<(RevSelection, Vec<(usize, Oid)>), GitError> {
    let mut sel = RevSelection {
        exclude_globs: vec!["*".to_string()],
        ..RevSelection::default()
    };
    let mut tips = Vec::new();
    for (i, u) in updates.iter().enumerate() {
        if u.is_delete() {
            continue;
        }
        let object = repo.find_object(u.new, None).map_err(|e| {
            GitError::git(format!("{} (line {}): object {}", u.name, u.line, u.new), e)
        })?;
        let commit = object.peel(ObjectType::Commit).map_err(|_| {
            // What a tag points to in the end, or the object itself.
            let target = match object.kind() {
                Some(ObjectType::Tag) => object.peel(ObjectType::Any).ok().and_then(|o| o.kind()),
                kind => kind,
            };
            GitError::Git {
                context: format!("{} (line {})", u.name, u.line),
                message: format!(
                    "{} peels to a {}, not a commit; keyfence checks commits, so it cannot \
                     check this ref",
                    u.new,
                    target.map_or("non-commit object", |k| k.str())
                ),
            }
        })?;
        if object.kind() == Some(ObjectType::Tag) {
            sel.tags.push((u.name.clone(), u.new));
        }
        if u.name.starts_with("refs/notes/") {
            let old = (!u.old.is_zero()).then_some(u.old);
            sel.notes.push((u.name.clone(), commit.id(), old));
        }
        sel.include.push(commit.id());
        tips.push((i, commit.id()));
        if !u.old.is_zero() && repo.find_commit(u.old).is_ok() {
            sel.exclude.push(u.old);
        }
    }
    if let Some(head) = repo.head().ok().and_then(|h| h.target()) {
        sel.exclude.push(head);
    }
    Ok((sel, tips))
}

/// The refs of `tips` (as [`push_selection`] returns them) whose new commit is `commit` or
/// descends from it.
pub(crate) fn refs_containing<'u>(
    repo: &Repository,
    updates: &'u [RefUpdate],
    tips: &[(usize, Oid)],
    commit: Oid,
) -> Vec<&'u str> {
    tips.iter()
        .filter(|&&(_, tip)| {
            tip == commit || repo.graph_descendant_of(tip, commit).unwrap_or(false)
        })
        .map(|&(i, _)| updates[i].name.as_str())
        .collect()
}

/// The commits the new value of one ref introduces (reachable from `tip`, from no existing
/// ref), newest first, at most `limit`; and whether there were more.
pub(crate) fn commits_of(
    repo: &Repository,
    tip: Oid,
    limit: usize,
) -> Result<(Vec<Oid>, bool), GitError> {
    let ctx = |e| GitError::git(format!("listing the commits of {tip}"), e);
    let mut walk = repo.revwalk().map_err(ctx)?;
    walk.set_sorting(Sort::TOPOLOGICAL).map_err(ctx)?;
    walk.push(tip).map_err(ctx)?;
    walk.hide_glob("*").map_err(ctx)?;
    let mut out = Vec::new();
    for oid in walk {
        if out.len() == limit {
            return Ok((out, true));
        }
        out.push(oid.map_err(ctx)?);
    }
    Ok((out, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";
    const Z: &str = "0000000000000000000000000000000000000000";

    #[test]
    fn parses_every_line() {
        let input =
            format!("{Z} {A} refs/heads/a\n\n{A} {B} refs/heads/b\r\n{B} {Z} refs/tags/t\n");
        let u = parse_updates(input.as_bytes()).unwrap();
        assert_eq!(u.len(), 3);
        assert_eq!(u[0].name, "refs/heads/a");
        assert!(u[0].old.is_zero());
        assert_eq!((u[1].line, u[1].new.to_string().as_str()), (3, B));
        assert!(u[2].is_delete());
    }

    #[test]
    fn malformed_lines_are_named() {
        let err = |s: &str| parse_updates(s.as_bytes()).unwrap_err().to_string();
        let ok = format!("{Z} {A} refs/heads/a\n");
        assert!(
            err(&format!("{ok}{A} refs/heads/b\n")).starts_with("standard input line 2: expected")
        );
        assert!(err(&format!("{ok}{ok}xyz {A} r\n")).contains("line 3: the old value is not"));
        assert!(err(&format!("{A} {B}x r")).contains("line 1: the new value"));
        assert!(err(&format!("{Z} {Z} r")).contains("both values are zero"));
        assert!(err(&format!("{A} {B} a\u{1b}[2J")).contains("control characters"));
        assert!(err(&format!("{A} {B} a b")).contains("4 space-separated fields"));
        let sha256 = "a".repeat(64);
        assert!(err(&format!("{Z} {sha256} r")).contains("SHA-256"));
        assert!(parse_updates(b"\xff\xfe\n")
            .unwrap_err()
            .to_string()
            .contains("line 1: not UTF-8"));
    }

    #[test]
    fn alternates_split_and_unquote() {
        assert_eq!(split_alternates("/a:/b"), vec!["/a", "/b"]);
        assert_eq!(split_alternates("\"/x:y\":/b"), vec!["/x:y", "/b"]);
        assert_eq!(split_alternates("\"/q\\\"z\""), vec!["/q\"z"]);
        assert!(split_alternates("").is_empty());
    }

    #[test]
    fn quarantine_dirs_skip_the_repositorys_own_and_fail_on_missing() {
        let tmp = tempfile::tempdir().unwrap();
        let own = tmp.path().join("objects");
        let q = own.join("tmp_objdir-incoming-x");
        std::fs::create_dir_all(&q).unwrap();
        let (own_s, q_s) = (own.clone().into_os_string(), q.clone().into_os_string());
        let env = |k: &str| match k {
            "GIT_QUARANTINE_PATH" | "GIT_OBJECT_DIRECTORY" => Some(q_s.clone()),
            "GIT_ALTERNATE_OBJECT_DIRECTORIES" => Some(own_s.clone()),
            _ => None,
        };
        let dirs = quarantine_dirs(&env, &own).unwrap();
        assert_eq!(dirs, vec![q.canonicalize().unwrap()]);
        let missing = tmp.path().join("gone").into_os_string();
        let env = |k: &str| (k == "GIT_QUARANTINE_PATH").then(|| missing.clone());
        let e = quarantine_dirs(&env, &own).unwrap_err().to_string();
        assert!(e.starts_with("GIT_QUARANTINE_PATH names"), "{e}");
    }
}
