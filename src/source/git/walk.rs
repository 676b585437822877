//! The commit walk and blob provenance. Commits are walked parents first; each commit's tree is
//! walked once, skipping every subtree already seen, so each unique blob is met once, at the
//! first commit and path where it appears. File contents are never diffed.

use std::collections::{HashMap, HashSet};

use std::sync::Arc;

use git2::{ObjectType, Oid, Repository, Sort};

use super::blobs::{Job, Side};
use super::odb::PackObjects;
use super::oid_set::{raw, OidSet, RawOid};
use super::revs::{shallow_commits, RevSelection};
use super::tree_entries::{Dir, TreeEntries, Version, MODE_TREE};
use super::{git_path, join_path, GitError};

const MODE_LINK: i32 = 0o120000;

/// A commit object as stored, read whole.
pub(crate) type RawCommit = Arc<Vec<u8>>;
const MODE_GITLINK: i32 = 0o160000;

/// The commits of a selection, in walk order (every parent before its children).
#[derive(Debug, Default)]
pub(crate) struct CommitWalk {
    /// Commits in walk order; a job's `commit` indexes this.
    pub commits: Vec<Oid>,
    /// Parents of walked commits that are not walked: the base a range is compared with.
    pub boundary: Vec<Oid>,
    /// Walked commits that no walked commit has as a parent; listed only for a range (when
    /// something is hidden), the one case that has a boundary to compare them with.
    pub tips: Vec<Oid>,
    /// A walked commit at the edge of a shallow clone (its parents are not in the clone).
    pub shallow_edge: Option<Oid>,
    /// With `--all-objects`: where the commits no reference reaches start in `commits` (they
    /// come after the reachable ones), and the blobs and tags of the object database.
    pub unreached: Option<(usize, super::inventory::Inventory)>,
}

/// Walks the commits of `sel`.
pub(crate) fn walk_commits(repo: &Repository, sel: &RevSelection) -> Result<CommitWalk, GitError> {
    // libgit2's words rarely say which object it could not read: find it.
    let ctx = |e| match unreadable_commit(repo, sel) {
        Some((oid, e)) => GitError::git(format!("walking commits: commit {oid}"), e),
        None => GitError::git("walking commits", e),
    };
    let mut walk = repo.revwalk().map_err(ctx)?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
        .map_err(ctx)?;
    if sel.all_refs {
        walk.push_glob("*").map_err(ctx)?;
        // HEAD, when it names a commit (it may be detached); an unborn HEAD has none.
        if let Some(head) = repo.head().ok().and_then(|h| h.target()) {
            walk.push(head).map_err(ctx)?;
        }
    }
    for &oid in &sel.include {
        walk.push(oid).map_err(ctx)?;
    }
    for &oid in &sel.exclude {
        walk.hide(oid).map_err(ctx)?;
    }
    for glob in &sel.exclude_globs {
        walk.hide_glob(glob).map_err(ctx)?;
    }
    let commits = walk.collect::<Result<Vec<Oid>, _>>().map_err(ctx)?;
    let shallow = shallow_commits(repo);
    let mut out = CommitWalk {
        shallow_edge: commits.iter().copied().find(|c| shallow.contains(c)),
        ..CommitWalk::default()
    };
    if sel.is_full() {
        // Nothing hidden: the walk holds every ancestor of its start points (a shallow clone's
        // edge aside, whose parents are not in the clone), so there is no boundary, and no
        // commit need be read again for its parents.
        out.commits = commits;
        return Ok(out);
    }
    let walked: HashSet<Oid> = commits.iter().copied().collect();
    let mut boundary = HashSet::new();
    let mut parents_of_walked = HashSet::new();
    for &oid in &commits {
        if shallow.contains(&oid) {
            continue;
        }
        let commit = repo
            .find_commit(oid)
            .map_err(|e| GitError::git(format!("commit {oid}"), e))?;
        for p in commit.parent_ids() {
            parents_of_walked.insert(p);
            if !walked.contains(&p) && boundary.insert(p) {
                out.boundary.push(p);
            }
        }
    }
    out.tips = commits
        .iter()
        .copied()
        .filter(|c| !parents_of_walked.contains(c))
        .collect();
    out.commits = commits;
    Ok(out)
}

/// The first object a walk of `sel` cannot read, and why: a commit, or what a reference names.
/// Only called once the walk failed, to name the object at fault.
fn unreadable_commit(repo: &Repository, sel: &RevSelection) -> Option<(Oid, git2::Error)> {
    let mut todo: Vec<Oid> = sel.include.clone();
    if sel.all_refs {
        let refs = repo.references().ok()?;
        let targets = refs.flatten().filter_map(|r| r.resolve().ok()?.target());
        todo.extend(targets.chain(repo.head().ok().and_then(|h| h.target())));
    }
    let mut seen = HashSet::new();
    while let Some(oid) = todo.pop() {
        if !seen.insert(oid) {
            continue;
        }
        let object = match repo.find_object(oid, None) {
            Ok(o) => o,
            Err(e) => return Some((oid, e)),
        };
        // A tag: what it names, when that is a commit (tags of blobs and trees are skipped).
        let Ok(commit) = object.peel_to_commit() else {
            continue;
        };
        if commit.id() != oid {
            todo.push(commit.id());
            continue;
        }
        todo.extend(commit.parent_ids());
    }
    None
}

/// Walks trees, remembering every tree and blob it has seen. Trees are read from the packs with
/// a [`PackObjects`] when there is one (it keeps every version a delta chain produced, so the
/// next older version of a directory is usually at hand), else, and for loose trees, with
/// libgit2.
#[derive(Default)]
pub(crate) struct TreeWalker<'a> {
    trees: OidSet,
    blobs: OidSet,
    gitlinks: OidSet,
    symlinks: OidSet,
    packs: Option<PackObjects<'a>>,
    /// Per directory path, the last version of it this walker walked to the end. Every entry
    /// of it was seen, so the entries a new version shares with it are skipped without a look
    /// at the sets: a commit that changes one file of a directory of 500 costs one entry's
    /// work there, not 500 set lookups.
    last: HashMap<Vec<u8>, Arc<Version>>,
}

impl<'a> TreeWalker<'a> {
    /// A walker that reads trees from `packs` when it can.
    pub(crate) fn new(packs: Option<PackObjects<'a>>) -> TreeWalker<'a> {
        TreeWalker {
            packs,
            ..TreeWalker::default()
        }
    }

    /// Unique gitlinks (submodule commits) met: never entered.
    pub(crate) fn submodules(&self) -> u64 {
        self.gitlinks.len() as u64
    }

    /// Unique symbolic-link blobs met: their content is a path, not scanned.
    pub(crate) fn symlinks(&self) -> u64 {
        self.symlinks.len() as u64
    }

    /// Every blob met, taken from the walker (which then has met none).
    pub(crate) fn take_blobs(&mut self) -> OidSet {
        std::mem::take(&mut self.blobs)
    }

    /// Takes in the walker of a later stretch of the same walk and the jobs it listed: keeps the
    /// jobs whose blob this walker has not met (the earlier stretch met the others first), and
    /// remembers everything the later walker met.
    pub(crate) fn absorb(&mut self, later: TreeWalker<'_>, jobs: Vec<Job>) -> Vec<Job> {
        let kept = jobs
            .into_iter()
            .filter(|j| !self.blobs.contains(&raw(j.oid)))
            .collect();
        self.trees.extend(later.trees);
        self.blobs.extend(later.blobs);
        self.gitlinks.extend(later.gitlinks);
        self.symlinks.extend(later.symlinks);
        kept
    }

    /// The tree of `commit`: from the packs when they hold it (reading only the commit's first
    /// line), else with libgit2.
    pub(crate) fn commit_tree(&mut self, repo: &Repository, commit: Oid) -> Result<Oid, GitError> {
        if let Some(Ok(Some(tree))) = self.packs.as_mut().map(|p| p.commit_tree(commit)) {
            return Ok(tree);
        }
        repo.find_commit(commit)
            .map(|c| c.tree_id())
            .map_err(|e| GitError::git(format!("commit {commit}"), e))
    }

    /// [`TreeWalker::commit_tree`], with the whole commit when the packs hold it (for its
    /// message); libgit2 reads a loose commit's tree only.
    pub(crate) fn commit_tree_and_raw(
        &mut self,
        repo: &Repository,
        commit: Oid,
    ) -> Result<(Oid, Option<RawCommit>), GitError> {
        if let Some(Ok(Some((tree, raw)))) = self.packs.as_mut().map(|p| p.commit(commit)) {
            return Ok((tree, Some(raw)));
        }
        self.commit_tree(repo, commit).map(|tree| (tree, None))
    }

    /// Marks everything in `tree` as seen without reporting it: the base of a range.
    pub(crate) fn mark_seen(&mut self, repo: &Repository, tree: Oid) -> Result<(), GitError> {
        self.walk(repo, tree, b"", None, &mut |_| {})
    }

    /// Walks `tree` of commit number `commit` and hands every blob not seen before to `emit`.
    pub(crate) fn walk_commit(
        &mut self,
        repo: &Repository,
        tree: Oid,
        commit: u32,
        emit: &mut dyn FnMut(Job),
    ) -> Result<(), GitError> {
        self.walk(repo, tree, b"", Some(commit), emit)
    }

    /// Walks `tree` depth first in tree order, as a recursion would, but on a stack of its own
    /// with one path buffer: a hostile repository can nest trees thousands deep (git's own
    /// `core.maxTreeDepth` does not bind what others wrote), which would overflow a thread's stack
    /// and, with a path per level, hold memory quadratic in the depth.
    fn walk(
        &mut self,
        repo: &Repository,
        tree: Oid,
        prefix: &[u8],
        commit: Option<u32>,
        emit: &mut dyn FnMut(Job),
    ) -> Result<(), GitError> {
        let mut path = prefix.to_vec();
        // Per directory being walked: its tree, where its next entry starts, the length of its
        // path in `path`, and the last version of the directory walked before with where the
        // comparison with it stands (see `last`). Only walks that report remember versions:
        // marking a base seen does not count submodules.
        let remember = commit.is_some();
        let mut stack: Vec<Dir> = Vec::new();
        if let Some(data) = self.enter(repo, tree, &path)? {
            let old = self.last_version(remember, &path);
            stack.push(Dir::new(data, path.len(), old, remember));
        }
        // A directory's entries are read until a subtree is entered: then the directory goes
        // back on the stack (where its next entry starts) under the subtree. Entries the last
        // version of the directory holds are stepped over (see `tree_entries`).
        while let Some(mut dir) = stack.pop() {
            let dir_len = dir.path_len;
            let data = Arc::clone(&dir.data);
            let mut descend = None;
            while let Some(entry) = dir.next_changed() {
                let (name, id) = (entry.name(&data), entry.id(&data));
                path.truncate(dir_len);
                match entry.mode {
                    MODE_TREE => {
                        if dir_len > 0 {
                            path.push(b'/');
                        }
                        path.extend_from_slice(name);
                        if let Some(sub) = self.enter(repo, oid(id), &path)? {
                            let old = self.last_version(remember, &path);
                            descend = Some(Dir::new(sub, path.len(), old, remember));
                            break;
                        }
                    }
                    MODE_GITLINK => {
                        if commit.is_some() {
                            self.gitlinks.insert(*id);
                        }
                    }
                    mode => {
                        if !self.blobs.insert(*id) {
                            continue;
                        }
                        let Some(commit) = commit else { continue };
                        if mode == MODE_LINK {
                            self.symlinks.insert(*id);
                            continue;
                        }
                        emit(Job {
                            oid: oid(id),
                            path: join_path(&path, name),
                            side: Side::Commit(commit),
                        });
                    }
                }
            }
            if let Some(sub) = descend {
                stack.push(dir);
                stack.push(sub);
            } else if remember {
                // Walked to the end: every entry of this version is now seen.
                path.truncate(dir_len);
                let version = Arc::new(dir.finish());
                match self.last.get_mut(path.as_slice()) {
                    Some(slot) => *slot = version,
                    None => {
                        self.last.insert(path.clone(), version);
                    }
                }
            }
        }
        Ok(())
    }

    /// The last version of the directory at `path` walked to the end, when versions are
    /// remembered.
    fn last_version(&self, remember: bool, path: &[u8]) -> Option<Arc<Version>> {
        remember.then(|| self.last.get(path).cloned()).flatten()
    }

    /// The entries of `tree` (at `path`), or `None` when it was walked before.
    fn enter(
        &mut self,
        repo: &Repository,
        tree: Oid,
        path: &[u8],
    ) -> Result<Option<Arc<Vec<u8>>>, GitError> {
        if !self.trees.insert(raw(tree)) {
            return Ok(None);
        }
        self.load(repo, tree, path).map(Some)
    }

    /// The entries of `tree` (at `path`), from the packs when there are some, else libgit2.
    fn load(
        &mut self,
        repo: &Repository,
        tree: Oid,
        path: &[u8],
    ) -> Result<Arc<Vec<u8>>, GitError> {
        let context = || {
            let at = if path.is_empty() {
                "/".into()
            } else {
                String::from_utf8_lossy(path)
            };
            format!("tree {tree} at {at}")
        };
        match self.packs.as_mut().map(|p| p.read(tree)) {
            Some(Ok(Some(data))) => return Ok(data),
            Some(Err(e)) if e.is_final() => {
                return Err(GitError::Git {
                    context: context(),
                    message: e.to_string(),
                })
            }
            _ => {}
        }
        read_tree(repo, tree).map_err(|e| GitError::git(context(), e))
    }

    /// Marks as seen what the tree `base` shares with the tree `tip` at the same paths, and
    /// every file of the base's directories where they differ, reading only those directories:
    /// an identical subtree is marked without being read. A cheaper stand-in for
    /// [`TreeWalker::mark_seen`] when the walked commits change little of a large base; unlike
    /// it, a blob that the base holds only in a directory the tip does not change or no longer
    /// has (a copied file, a moved directory) is not marked.
    pub(crate) fn mark_seen_along(
        &mut self,
        repo: &Repository,
        base: Oid,
        tip: Oid,
    ) -> Result<(), GitError> {
        let mut todo: Vec<(Oid, Oid, Vec<u8>)> = vec![(base, tip, Vec::new())];
        while let Some((b, t, path)) = todo.pop() {
            if b == t {
                self.trees.insert(raw(b));
                continue;
            }
            if !self.trees.insert(raw(b)) {
                continue; // marked whole, or compared already
            }
            let base_data = self.load(repo, b, &path)?;
            let tip_data = self.load(repo, t, &path)?;
            let tip_entries: HashMap<&[u8], (i32, &RawOid)> = TreeEntries(&tip_data)
                .map(|(m, n, i)| (n, (m, i)))
                .collect();
            for (mode, name, id) in TreeEntries(&base_data) {
                let tip = tip_entries.get(name);
                match mode {
                    MODE_TREE => match tip {
                        Some(&(MODE_TREE, tip_id)) if tip_id == id => {
                            self.trees.insert(*id);
                        }
                        Some(&(MODE_TREE, tip_id)) => {
                            todo.push((oid(id), oid(tip_id), join_path(&path, name)))
                        }
                        // Gone or no longer a directory at the tip: left unread.
                        _ => {}
                    },
                    MODE_GITLINK => {}
                    // Every file of a directory read here is the base's, changed or not.
                    _ => {
                        self.blobs.insert(*id);
                    }
                }
            }
        }
        Ok(())
    }
}

fn oid(id: &RawOid) -> Oid {
    Oid::from_bytes(id).unwrap_or_else(|_| Oid::zero())
}

/// A tree as git stores it (`MODE SP NAME NUL OID`, repeated), read with libgit2's object
/// database: the stored bytes as they are, without building an entry per file.
fn read_tree(repo: &Repository, tree: Oid) -> Result<Arc<Vec<u8>>, git2::Error> {
    let odb = repo.odb()?;
    let object = odb.read(tree)?;
    if object.kind() != ObjectType::Tree {
        return Err(git2::Error::from_str(&format!(
            "object {tree} is a {}, not a tree",
            object.kind().str()
        )));
    }
    Ok(Arc::new(object.data().to_vec()))
}

/// The base versions of what a range changed: for every boundary commit, the blob at each
/// touched path and the old side of every file changed or deleted between it and each tip. The
/// credentials in them were there before the range, so the range did not introduce them.
pub(crate) fn base_versions(
    repo: &Repository,
    walk: &CommitWalk,
    touched: &HashSet<&[u8]>,
    emit: &mut dyn FnMut(Job),
) -> Result<(), GitError> {
    let mut sent = HashSet::new();
    let tree_of = |oid: Oid| {
        repo.find_commit(oid)
            .and_then(|c| c.tree())
            .map_err(|e| GitError::git(format!("commit {oid}"), e))
    };
    let tips = walk
        .tips
        .iter()
        .map(|&t| tree_of(t))
        .collect::<Result<Vec<_>, _>>()?;
    for &b in &walk.boundary {
        let base = tree_of(b)?;
        let mut send = |oid: Oid, path: Vec<u8>| {
            if !oid.is_zero() && sent.insert(oid) {
                emit(Job {
                    oid,
                    path,
                    side: Side::Before,
                });
            }
        };
        for &path in touched {
            if let Ok(entry) = base.get_path(&git_path(path)) {
                if entry.kind() == Some(ObjectType::Blob) && entry.filemode() != MODE_LINK {
                    send(entry.id(), path.to_vec());
                }
            }
        }
        for tip in &tips {
            old_sides(repo, base.id(), tip.id(), &mut send)
                .map_err(|e| GitError::git(format!("comparing {b} with the range"), e))?;
        }
    }
    Ok(())
}

/// The old side of every file changed or deleted between the trees `old` and `new` (a file
/// replaced by a directory counts as deleted; symbolic links and submodules are not files).
/// Subtrees with the same id on both sides are skipped without being read, so the cost follows
/// the size of the change, not of the tree.
fn old_sides(
    repo: &Repository,
    old: Oid,
    new: Oid,
    send: &mut dyn FnMut(Oid, Vec<u8>),
) -> Result<(), git2::Error> {
    // Pairs of directories to compare: old tree, new tree (if the path is still a directory),
    // and the path.
    let mut todo: Vec<(Oid, Option<Oid>, Vec<u8>)> = vec![(old, Some(new), Vec::new())];
    while let Some((old, new, path)) = todo.pop() {
        if Some(old) == new {
            continue;
        }
        let old_data = read_tree(repo, old)?;
        let new_data = match new {
            Some(n) => Some(read_tree(repo, n)?),
            None => None,
        };
        let new_entries: HashMap<&[u8], (i32, &RawOid)> = match &new_data {
            Some(d) => TreeEntries(d).map(|(m, n, i)| (n, (m, i))).collect(),
            None => HashMap::new(),
        };
        for (mode, name, id) in TreeEntries(&old_data) {
            let now = new_entries.get(name);
            let child = join_path(&path, name);
            match mode {
                MODE_TREE => {
                    let next = now.filter(|(m, _)| *m == MODE_TREE).map(|(_, i)| oid(i));
                    todo.push((oid(id), next, child));
                }
                MODE_LINK | MODE_GITLINK => {}
                _ => {
                    if now.is_none_or(|(_, i)| *i != id) {
                        send(oid(id), child);
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::odb::testing::git;
    use super::*;

    /// The old sides between two commits: changed and deleted files, a file replaced by a
    /// directory, a deleted directory; not added files, unchanged ones, or symbolic links.
    #[test]
    fn old_sides_are_the_changed_and_deleted_files() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        git(d, &["init", "-q", "-b", "main"]);
        let w = |p: &str, t: &str| {
            let p = d.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, t).unwrap();
        };
        w("same/a.txt", "same\n");
        w("dir/changed.txt", "old\n");
        w("dir/deleted.txt", "gone\n");
        w("becomes_dir", "file\n");
        w("gone_dir/x.txt", "x\n");
        std::os::unix::fs::symlink("same/a.txt", d.join("link")).unwrap();
        git(d, &["add", "-A"]);
        git(d, &["commit", "-qm", "one"]);
        let blob = |spec: &str| git(d, &["rev-parse", spec]).trim().to_string();
        let expected: HashSet<(String, String)> = [
            ("dir/changed.txt", blob("HEAD:dir/changed.txt")),
            ("dir/deleted.txt", blob("HEAD:dir/deleted.txt")),
            ("becomes_dir", blob("HEAD:becomes_dir")),
            ("gone_dir/x.txt", blob("HEAD:gone_dir/x.txt")),
        ]
        .into_iter()
        .map(|(p, o)| (p.to_string(), o))
        .collect();
        w("dir/changed.txt", "new\n");
        std::fs::remove_file(d.join("dir/deleted.txt")).unwrap();
        std::fs::remove_file(d.join("becomes_dir")).unwrap();
        w("becomes_dir/inside.txt", "in\n");
        std::fs::remove_dir_all(d.join("gone_dir")).unwrap();
        std::fs::remove_file(d.join("link")).unwrap();
        w("added.txt", "added\n");
        git(d, &["add", "-A"]);
        git(d, &["commit", "-qm", "two"]);
        let repo = Repository::open(d).unwrap();
        let tree = |spec: &str| Oid::from_str(&blob(spec)).unwrap();
        let mut got = HashSet::new();
        old_sides(
            &repo,
            tree("HEAD~1^{tree}"),
            tree("HEAD^{tree}"),
            &mut |o, p| {
                got.insert((String::from_utf8(p).unwrap(), o.to_string()));
            },
        )
        .unwrap();
        assert_eq!(got, expected);
    }
}
