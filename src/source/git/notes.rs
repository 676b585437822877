//! The notes of a notes reference (`refs/notes/*`), listed from its tree: each note is a blob
//! at a path made of the annotated object's 40 hex digits, whole or split by `/` (fan-out), as
//! `git notes` keeps them. Trees are read from the packs when a whole history listed them (one
//! lookup and inflate each, where `git_note_foreach` took 0.13 s serially for the 35,000 notes of
//! git/git), else with libgit2; other files of the tree are not notes and are left alone.

use git2::{Oid, Repository};

use super::odb::PackObjects;
use super::tree_entries::{TreeEntries, MODE_TREE};
use super::GitError;

/// Hex digits of an object id: a note's whole path, its `/`s aside.
const HEX: usize = 40;

/// The notes of the notes commit `commit`: `(note blob, annotated object)`, in tree order.
pub(crate) fn list(
    repo: &Repository,
    objects: Option<&mut PackObjects<'_>>,
    commit: Oid,
) -> Result<Vec<(Oid, Oid)>, GitError> {
    let mut reader = Reader { repo, objects };
    let tree = reader.commit_tree(commit)?;
    let mut out = Vec::new();
    // (tree, the hex digits of its path): a path is at most 40 digits, so the stack is
    // bounded by the depth that allows (20 levels of 2 digits) whatever the tree holds.
    let mut stack = vec![(tree, Vec::new())];
    let mut path = Vec::with_capacity(HEX);
    while let Some((tree, prefix)) = stack.pop() {
        let data = reader.read(tree, "tree")?;
        let mut subtrees = Vec::new();
        for (mode, name, id) in TreeEntries(&data) {
            if name.is_empty() || !name.iter().all(u8::is_ascii_hexdigit) {
                continue;
            }
            let len = prefix.len() + name.len();
            if mode == MODE_TREE {
                if len < HEX {
                    subtrees.push((oid(id), [&prefix[..], name].concat()));
                }
            } else if len == HEX {
                path.clear();
                path.extend_from_slice(&prefix);
                path.extend_from_slice(name);
                out.push((oid(id), oid(&from_hex(&path))));
            }
        }
        // Depth first in tree order.
        stack.extend(subtrees.into_iter().rev());
    }
    Ok(out)
}

/// An object id from its 20 bytes (a tree entry's are always 20).
fn oid(bytes: &[u8; 20]) -> Oid {
    Oid::from_bytes(bytes).unwrap_or_else(|_| Oid::zero())
}

/// 40 hex digits (checked by the caller) as 20 bytes.
fn from_hex(hex: &[u8]) -> [u8; 20] {
    let digit = |b: u8| match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b.to_ascii_lowercase().wrapping_sub(b'a') + 10,
    };
    let mut out = [0u8; 20];
    for (i, pair) in hex.chunks_exact(2).take(20).enumerate() {
        out[i] = digit(pair[0]) << 4 | digit(pair[1]);
    }
    out
}

/// Reads objects from the packs when it can, else with libgit2.
struct Reader<'r, 'o, 'p> {
    repo: &'r Repository,
    objects: Option<&'o mut PackObjects<'p>>,
}

impl Reader<'_, '_, '_> {
    fn commit_tree(&mut self, commit: Oid) -> Result<Oid, GitError> {
        if let Some(Ok(Some(tree))) = self.objects.as_mut().map(|o| o.commit_tree(commit)) {
            return Ok(tree);
        }
        self.repo
            .find_commit(commit)
            .map(|c| c.tree_id())
            .map_err(|e| GitError::git(format!("notes commit {commit}"), e))
    }

    fn read(&mut self, oid: Oid, what: &str) -> Result<std::sync::Arc<Vec<u8>>, GitError> {
        if let Some(Ok(Some(data))) = self.objects.as_mut().map(|o| o.read(oid)) {
            return Ok(data);
        }
        let odb = self
            .repo
            .odb()
            .map_err(|e| GitError::git(format!("{what} {oid}"), e))?;
        let object = odb
            .read(oid)
            .map_err(|e| GitError::git(format!("{what} {oid}"), e))?;
        Ok(std::sync::Arc::new(object.data().to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::git::odb::testing::git;
    use crate::source::git::odb::PackOrder;

    /// Runs `git` in `dir` with `input` (written to a file first) as its standard input.
    fn git_in(dir: &std::path::Path, args: &[&str], input: &str) -> String {
        let file = dir.join("stdin.txt");
        std::fs::write(&file, input).unwrap();
        let out = std::process::Command::new("git")
            .current_dir(dir)
            .args(args)
            .stdin(std::fs::File::open(&file).unwrap())
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// A notes tree with a note at a whole path, one under a fan-out directory, and files that
    /// are not notes: the two notes come out, as `git notes list` lists them, from the packs
    /// and with libgit2.
    #[test]
    fn notes_whole_and_fanned_out_are_listed_and_other_files_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        git(d, &["init", "-q"]);
        let blob = |text: &str| git_in(d, &["hash-object", "-w", "--stdin"], text);
        let (a, b, other) = (blob("note a\n"), blob("note b\n"), blob("readme\n"));
        let (ta, tb) = ("1".repeat(40), format!("ab{}", "2".repeat(38)));
        let sub = git_in(
            d,
            &["mktree"],
            &format!(
                "100644 blob {b}\t{}\n100644 blob {other}\tnot-hex\n",
                &tb[2..]
            ),
        );
        let root = git_in(
            d,
            &["mktree"],
            &format!(
                "100644 blob {a}\t{ta}\n040000 tree {sub}\tab\n100644 blob {other}\tREADME\n\
                 100644 blob {other}\t{}\n",
                "3".repeat(39)
            ),
        );
        let commit = git_in(d, &["commit-tree", &root, "-m", "notes"], "");
        git(d, &["update-ref", "refs/notes/commits", &commit]);
        let want = vec![
            (Oid::from_str(&a).unwrap(), Oid::from_str(&ta).unwrap()),
            (Oid::from_str(&b).unwrap(), Oid::from_str(&tb).unwrap()),
        ];
        let repo = Repository::open(d).unwrap();
        let commit = Oid::from_str(&commit).unwrap();
        assert_eq!(list(&repo, None, commit).unwrap(), want);
        git(d, &["repack", "-adq"]);
        let order = PackOrder::load(&d.join(".git/objects"));
        let packs = order.packs();
        let mut objects = PackObjects::new(&order, &packs);
        assert_eq!(list(&repo, Some(&mut objects), commit).unwrap(), want);
        // `git notes list` lists the same notes (libgit2's `git_note_foreach` would also
        // list the other files, as notes of the null id).
        let mut theirs: Vec<(Oid, Oid)> = git(d, &["notes", "list"])
            .lines()
            .map(|l| {
                let (n, o) = l.split_once(' ').unwrap();
                (Oid::from_str(n).unwrap(), Oid::from_str(o).unwrap())
            })
            .collect();
        theirs.sort();
        let mut want = want;
        want.sort();
        assert_eq!(theirs, want);
    }
}
