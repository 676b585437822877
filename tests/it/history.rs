//! `keyfence history`: each credential once, at the commit and path that introduced it; ranges
//! report only what they introduced; shallow clones, empty repositories, odd refs and objects.

use crate::common::*;
use crate::gitrepo::*;

#[test]
fn a_credential_added_then_removed_is_found_in_the_commit_that_added_it() {
    let r = Repo::new();
    r.write("README.md", "hello\n");
    r.commit("init");
    let (text, id) = pair(1);
    r.write("config/credentials", &text);
    let added = r.commit("add credentials");
    std::fs::remove_file(r.path().join("config/credentials")).unwrap();
    r.commit("remove credentials");
    let (code, doc, _) = r.keyfence_json(&["history"]);
    assert_eq!(code, Some(1));
    let f = &findings(&doc)[0];
    assert_eq!(findings(&doc).len(), 1);
    assert_eq!(f["rule_id"], "aws-access-key");
    assert_eq!(f["commit"], added.as_str());
    assert_eq!(f["path"], "config/credentials");
    assert_eq!(
        (f["line"].as_u64(), f["end_line"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(f["key_id"], id.as_str());
    assert_eq!(f["author"], "Test Author <author@example.com>");
    assert!(f["date"].as_str().unwrap().starts_with("2026-"), "{f}");
    assert_eq!(doc["stats"]["commits_scanned"], 3);
    // The working tree is clean: only history holds it.
    assert_eq!(r.keyfence(&["scan", "."], &[]).status.code(), Some(0));
}

#[test]
fn side_branches_tags_and_detached_heads_are_walked() {
    let r = Repo::new();
    r.write("a.txt", "a\n");
    r.commit("init");
    r.git(&["checkout", "-q", "-b", "side"]);
    r.write("side.env", pair(2).0);
    let side = r.commit("on a side branch");
    r.git(&["checkout", "-q", "main"]);
    // A commit reachable only from a tag.
    r.git(&["checkout", "-q", "-b", "tagged"]);
    r.write("tagged.env", pair(3).0);
    let tagged = r.commit("tagged only");
    r.git(&["tag", "v1"]);
    r.git(&["checkout", "-q", "main"]);
    r.git(&["branch", "-q", "-D", "tagged"]);
    // A tag of a blob, which is no commit: skipped without error.
    let blob = r.git(&["hash-object", "-w", "a.txt"]);
    r.git(&["tag", "blobtag", blob.trim()]);
    // A detached HEAD with a commit on no branch.
    r.git(&["checkout", "-q", "--detach"]);
    r.write("detached.env", pair(4).0);
    let detached = r.commit("detached");
    let (code, doc, stderr) = r.keyfence_json(&["history"]);
    assert_eq!(code, Some(1), "{stderr}");
    let mut got: Vec<_> = summary(&doc).into_iter().map(|(_, p, c)| (p, c)).collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("detached.env".to_string(), detached),
            ("side.env".to_string(), side.clone()),
            ("tagged.env".to_string(), tagged),
        ]
    );
    // Only `main` and what it reaches.
    let (code, doc, _) = r.keyfence_json(&["history", "main"]);
    assert_eq!((code, findings(&doc).len()), (Some(0), 0));
    let (_, doc, _) = r.keyfence_json(&["history", "side"]);
    assert_eq!(summary(&doc)[0].2, side);
}

#[test]
fn a_credential_introduced_by_a_merge_resolution_is_attributed_to_the_merge() {
    let r = Repo::new();
    r.write("app.conf", "key = base\n");
    r.commit("init");
    r.git(&["checkout", "-q", "-b", "feature"]);
    r.write("app.conf", "key = feature\n");
    r.commit("feature");
    r.git(&["checkout", "-q", "main"]);
    r.write("app.conf", "key = main\n");
    r.commit("main");
    let merge = r.git_output(&["merge", "-q", "feature"]);
    assert!(!merge.status.success(), "the merge must conflict");
    assert!(r.path().join(".git/MERGE_HEAD").exists());
    r.write("app.conf", pair(5).0);
    let resolved = r.commit("merge feature");
    let (code, doc, _) = r.keyfence_json(&["history"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        summary(&doc),
        vec![("aws-access-key".into(), "app.conf".into(), resolved.clone())]
    );
    let parents = r.git(&["rev-list", "--parents", "-n1", &resolved]);
    assert_eq!(parents.split_whitespace().count(), 3, "a real merge commit");
}

#[test]
fn a_renamed_file_and_fifty_later_versions_report_the_credential_once() {
    let r = Repo::new();
    let (text, id) = pair(6);
    r.write("old/name.env", &text);
    let first = r.commit("add");
    r.git(&["mv", "old/name.env", "new.env"]);
    r.commit("rename");
    for i in 0..50 {
        r.write("new.env", format!("{text}# revision {i}\n"));
        r.commit(&format!("edit {i}"));
    }
    // Renamed and edited in one commit, then copied to a second file.
    r.git(&["mv", "new.env", "moved.env"]);
    r.write("moved.env", format!("# moved\n{text}"));
    r.write("copy.env", format!("copy\n{text}"));
    r.commit("move and copy");
    let (code, doc, _) = r.keyfence_json(&["history"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        summary(&doc),
        vec![("aws-access-key".into(), "old/name.env".into(), first)]
    );
    assert_eq!(findings(&doc)[0]["key_id"], id.as_str());
    assert!(doc["stats"]["files_scanned"].as_u64().unwrap() >= 52);
}

#[test]
fn a_range_reports_only_what_its_commits_introduced() {
    let r = Repo::new();
    let (old, _) = pair(7);
    r.write("legacy.env", &old);
    r.write("other.env", &old);
    r.write("keep.txt", "x\n");
    let base = r.commit("base with an old leak");
    r.git(&["checkout", "-q", "-b", "pr"]);
    // Edits around the old credential, and a rename with an edit: not introduced.
    r.write("legacy.env", format!("# edited\n{old}"));
    r.git(&["mv", "other.env", "renamed.env"]);
    r.write("renamed.env", format!("{old}# more\n"));
    r.commit("edit legacy");
    let (new, new_id) = pair(8);
    r.write("new.env", &new);
    let introduced = r.commit("add a new key");
    r.write("new.env", "removed again\n");
    r.commit("remove it");
    for spec in [format!("{base}..pr"), "main..pr".to_string()] {
        let (code, doc, stderr) = r.keyfence_json(&["history", &spec]);
        assert_eq!(code, Some(1), "{spec}: {stderr}");
        assert_eq!(
            summary(&doc),
            vec![(
                "aws-access-key".into(),
                "new.env".into(),
                introduced.clone()
            )],
            "{spec}"
        );
        assert_eq!(findings(&doc)[0]["key_id"], new_id.as_str());
        assert_eq!(doc["stats"]["commits_scanned"], 3);
        assert!(doc["stats"]["preexisting"].as_u64().unwrap() >= 1, "{doc}");
    }
    // `^main pr` is the same range; the whole history reports both credentials.
    let (_, doc, _) = r.keyfence_json(&["history", "^main", "pr"]);
    assert_eq!(findings(&doc).len(), 1);
    let (_, doc, _) = r.keyfence_json(&["history"]);
    assert_eq!(findings(&doc).len(), 2);
    // A range that introduced nothing.
    let (code, doc, _) = r.keyfence_json(&["history", "pr~1..pr"]);
    assert_eq!((code, findings(&doc).len()), (Some(0), 0));
}

#[test]
fn a_shallow_clone_without_the_base_exits_2_and_says_to_fetch_more() {
    let r = Repo::new();
    r.write("a.txt", "0\n");
    let first = r.commit("c0");
    for i in 1..6 {
        r.write("a.txt", format!("{i}\n"));
        r.commit(&format!("c{i}"));
    }
    // A side branch that forked from the first commit.
    r.git(&["branch", "old", &first]);
    let (_clone, c) = r.shallow_clone(2);
    let run = |args: &[&str]| keyfence_in(&c).args(args).output().unwrap();
    // The base commit is not in the clone.
    let out = run(&["history", &format!("{first}..HEAD")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("shallow") && err.contains("fetch"), "{err}");
    // The base is there, but the range runs into the clone's edge before reaching it.
    let out = run(&["history", "origin/old..origin/main"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("shallow clone") && err.contains("fetch-depth: 0"),
        "{err}"
    );
    // A range within the clone is fine.
    let out = run(&["history", "HEAD~1..HEAD"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The whole history of a shallow clone is scanned, with one warning saying what is missing
    // (the exit code follows the findings; `--strict` makes it an error).
    let out = run(&["history", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let doc = json_report(&out.stdout);
    assert_eq!(doc["warnings"].as_array().unwrap().len(), 1, "{doc}");
    assert!(doc["warnings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("shallow clone"));
    let out = run(&["history", "--strict"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn empty_repositories_and_unknown_revisions() {
    let r = Repo::new();
    let (code, doc, stderr) = r.keyfence_json(&["history"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(doc["stats"]["commits_scanned"], 0);
    let out = r.keyfence(&["history", "nosuchbranch"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nosuchbranch"));
    let outside = Fixture::new();
    let out = outside.keyfence().args(["history"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not in a git repository"));
}

#[test]
fn submodules_are_skipped_and_counted_binary_blobs_too() {
    let r = Repo::new();
    r.write("a.txt", "a\n");
    let a = r.commit("init");
    r.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{a},vendor/lib"),
    ]);
    let mut bin = pair(9).0.into_bytes();
    bin.insert(0, 0);
    r.write("blob.bin", bin);
    r.git(&["add", "blob.bin"]);
    r.commit_staged("submodule and binary");
    let (code, doc, _) = r.keyfence_json(&["history"]);
    assert_eq!(code, Some(0));
    assert_eq!(doc["stats"]["submodules_skipped"], 1);
    assert_eq!(doc["stats"]["binary_skipped"], 1);
    let (code, doc, _) = r.keyfence_json(&["history", "--binary"]);
    assert_eq!((code, findings(&doc).len()), (Some(1), 1));
}

#[test]
fn a_missing_blob_is_an_error_naming_it_and_the_scan_goes_on() {
    let r = Repo::new();
    r.write(
        "gone.txt",
        "this blob will be deleted from the object store\n",
    );
    r.write("leak.env", pair(10).0);
    r.commit("init");
    let blob = r.git(&["rev-parse", "HEAD:gone.txt"]);
    let blob = blob.trim();
    std::fs::remove_file(
        r.path()
            .join(format!(".git/objects/{}/{}", &blob[..2], &blob[2..])),
    )
    .unwrap();
    let (code, doc, stderr) = r.keyfence_json(&["history"]);
    assert_eq!(code, Some(1), "findings win over errors");
    assert_eq!(findings(&doc).len(), 1);
    let err = &doc["errors"][0];
    assert!(err["path"].as_str().unwrap().contains("gone.txt"), "{err}");
    assert!(stderr.contains("gone.txt"), "{stderr}");
}

/// The fingerprint of a credential is the same in file, staged and history modes, and in a
/// repository written with git2 rather than the git binary.
#[test]
fn fingerprints_agree_across_modes_and_git2_built_repositories() {
    let fx = Fixture::new();
    let (text, _) = pair(11);
    let repo = git2::Repository::init(fx.path()).unwrap();
    let sig = git2::Signature::new(
        "Lib Author",
        "lib@example.com",
        &git2::Time::new(1_780_000_000, 120),
    )
    .unwrap();
    let blob = repo.blob(text.as_bytes()).unwrap();
    let mut tb = repo.treebuilder(None).unwrap();
    tb.insert("creds.ini", blob, 0o100644).unwrap();
    let tree = repo.find_tree(tb.write().unwrap()).unwrap();
    let commit = repo
        .commit(Some("HEAD"), &sig, &sig, "from git2", &tree, &[])
        .unwrap();
    fx.write("staged/creds.ini", &text);
    let fp = |args: &[&str]| {
        let out = fx
            .keyfence()
            .args(args)
            .args(["--format", "json"])
            .output()
            .unwrap();
        let doc = json_report(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {doc}");
        doc["findings"][0].clone()
    };
    let history = fp(&["history"]);
    assert_eq!(history["commit"], commit.to_string().as_str());
    assert_eq!(history["author"], "Lib Author <lib@example.com>");
    assert_eq!(history["date"], "2026-05-28T22:26:40+02:00");
    // git2 committed without touching the index: bring it in line with HEAD first.
    git_in(fx.path(), &["reset", "-q"]);
    git_in(fx.path(), &["add", "staged/creds.ini"]);
    let staged = fp(&["staged"]);
    let file = fp(&["scan", "staged"]);
    assert_eq!(history["fingerprint"], staged["fingerprint"]);
    assert_eq!(history["fingerprint"], file["fingerprint"]);
    assert!(staged["commit"].is_null());
}

/// A packed repository (deltified blobs, read straight from the pack while the commit walk
/// runs) reports exactly what a loose one does, path allowlists and inline directives included.
#[test]
fn packed_and_loose_repositories_report_the_same() {
    let r = Repo::new();
    let (text, _) = pair(12);
    let body: String = (0..200).map(|i| format!("setting_{i} = {i}\n")).collect();
    r.write("app/settings.ini", format!("{body}{text}"));
    let first = r.commit("add");
    for i in 0..30 {
        r.write("app/settings.ini", format!("{body}# revision {i}\n{text}"));
        r.commit(&format!("edit {i}"));
    }
    r.write("fixtures/sample.env", pair(13).0);
    r.write(
        "docs/allowed.md",
        format!("{} # keyfence:allow\n", key_id("AKIA", 14)),
    );
    // A large binary blob (incompressible, a NUL up front) that also holds a pair: skipped.
    let mut rng = keyfence::synthetic::Rng::new(5);
    let mut bin: Vec<u8> = (0..40_000)
        .flat_map(|_| rng.next_u64().to_le_bytes())
        .collect();
    bin[0] = 0;
    bin.extend_from_slice(pair(20).0.as_bytes());
    r.write("assets/blob.bin", bin);
    r.write(".keyfence.toml", "[allowlist]\npaths = ['fixtures/**']\n");
    r.commit("fixtures");
    let loose = r.keyfence_json(&["history"]);
    r.git(&["repack", "-adfq", "--depth=10"]);
    assert!(std::fs::read_dir(r.path().join(".git/objects/pack"))
        .unwrap()
        .any(|e| e.unwrap().path().extension().is_some_and(|x| x == "pack")));
    let packed = r.keyfence_json(&["history"]);
    for (code, doc, stderr) in [&loose, &packed] {
        assert_eq!(*code, Some(1), "{stderr}");
        assert_eq!(
            summary(doc),
            vec![(
                "aws-access-key".into(),
                "app/settings.ini".into(),
                first.clone()
            )]
        );
        assert_eq!(doc["stats"]["suppressed_by"]["allowlist"], 1, "{doc}");
        assert_eq!(doc["stats"]["suppressed_by"]["inline"], 1, "{doc}");
        assert_eq!(doc["stats"]["files_scanned"], 34);
        assert_eq!(doc["stats"]["binary_skipped"], 1);
    }
    assert_eq!(findings(&loose.1), findings(&packed.1));
}

/// A pull request that merged its base branch in: what the base brought is not the range's.
#[test]
fn a_range_with_the_base_merged_in_reports_only_its_own_credentials() {
    let r = Repo::new();
    r.write("README.md", "start\n");
    r.commit("init");
    r.git(&["checkout", "-q", "-b", "pr"]);
    let (mine, mine_id) = pair(15);
    r.write("pr.env", &mine);
    let introduced = r.commit("the pull request's own leak");
    r.git(&["checkout", "-q", "main"]);
    r.write("main.env", pair(16).0);
    r.commit("a leak on main after the fork");
    r.git(&["checkout", "-q", "pr"]);
    let merge = r.git_output(&["merge", "-q", "--no-edit", "main"]);
    assert!(
        merge.status.success(),
        "{}",
        String::from_utf8_lossy(&merge.stderr)
    );
    let (code, doc, _) = r.keyfence_json(&["history", "main..pr"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        summary(&doc),
        vec![("aws-access-key".into(), "pr.env".into(), introduced)]
    );
    assert_eq!(findings(&doc)[0]["key_id"], mine_id.as_str());
    // The symmetric difference holds main's leak too.
    let (_, doc, _) = r.keyfence_json(&["history", "HEAD~1...main"]);
    assert_eq!(findings(&doc).len(), 2, "{doc}");
}

#[test]
fn progress_goes_to_stderr_when_asked() {
    let r = Repo::new();
    r.write("a.txt", "a\n");
    r.commit("init");
    let out = r.keyfence(&["history", "--progress", "always"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("commits walked"), "{err}");
    let out = r.keyfence(&["history"], &[]);
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("commits walked"),
        "not a terminal"
    );
}

/// A long history is walked in stretches on several threads: a credential carried across the
/// cut, or removed and added back later, still belongs to the commit that first held it.
#[test]
fn long_histories_walked_in_stretches_attribute_the_first_commit() {
    let r = Repo::new();
    let (early, early_id) = pair(17);
    let (late, late_id) = pair(18);
    let (back, back_id) = pair(19);
    // A fast-import stream: 2,400 commits on main, each editing a counter file.
    let mut stream = String::new();
    let blob = |s: &mut String, text: &str| {
        s.push_str(&format!("data {}\n{text}\n", text.len()));
    };
    for i in 1..=2400u32 {
        stream.push_str(&format!(
            "commit refs/heads/main\ncommitter T <t@example.com> {} +0000\n",
            1_780_000_000 + i
        ));
        blob(&mut stream, &format!("commit {i}"));
        stream.push_str("M 100644 inline counter.txt\n");
        blob(&mut stream, &format!("{i}\n"));
        let mut file = |path: &str, text: &str| {
            stream.push_str(&format!("M 100644 inline {path}\n"));
            blob(&mut stream, text);
        };
        match i {
            100 => file("config/early.ini", &early),
            50 => file("tmp/back.ini", &back),
            60 => stream.push_str("D tmp/back.ini\n"),
            1800 => file("config/late.ini", &late),
            2000 => file("restored/back.ini", &back),
            _ => {}
        }
        stream.push('\n');
    }
    let mut child = git_command(r.path())
        .args(["fast-import", "--quiet"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stream.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    r.git(&["repack", "-adq"]);
    let order: Vec<String> = r
        .git(&["rev-list", "--reverse", "main"])
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(order.len(), 2400);
    let (code, doc, stderr) = r.keyfence_json(&["history"]);
    assert_eq!(code, Some(1), "{stderr}");
    let mut got: Vec<(String, String, String)> = findings(&doc)
        .iter()
        .map(|f| {
            (
                f["key_id"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["commit"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    let mut want = vec![
        (early_id, "config/early.ini".to_string(), order[99].clone()),
        (late_id, "config/late.ini".to_string(), order[1799].clone()),
        (back_id, "tmp/back.ini".to_string(), order[49].clone()),
    ];
    want.sort();
    assert_eq!(got, want);
    assert_eq!(doc["stats"]["commits_scanned"], 2400);
    // Every counter version, plus the three credential files.
    assert_eq!(doc["stats"]["files_scanned"], 2400 + 3);
}

/// A range first marks only what its base shares with its tip at the same paths; a copy of a
/// file the base already had (same blob, new path) must still count as there before, and a
/// new credential beside it must still be found.
#[test]
fn a_range_that_copies_a_file_with_a_credential_introduces_nothing() {
    let r = Repo::new();
    let (text, id) = pair(21);
    r.write("deep/dir/old.ini", &text);
    r.write("other/file.txt", "x\n");
    let base = r.commit("base with a credential");
    r.write("elsewhere/copy.ini", &text);
    r.write("other/file.txt", "y\n");
    r.commit("copy it");
    let (code, doc, err) = r.keyfence_json(&["history", &format!("{base}..HEAD")]);
    assert_eq!(code, Some(0), "{doc} {err}");
    assert!(findings(&doc).is_empty(), "{doc}");

    let (text2, id2) = pair(22);
    r.write("other/new.ini", &text2);
    r.commit("a new one");
    let (code, doc, _) = r.keyfence_json(&["history", &format!("{base}..HEAD")]);
    assert_eq!(code, Some(1), "{doc}");
    let found: Vec<String> = findings(&doc)
        .iter()
        .filter_map(|f| f["key_id"].as_str().map(str::to_string))
        .collect();
    assert_eq!(found, vec![id2], "{doc}");
    assert!(!found.contains(&id));
}

#[test]
fn a_key_id_committed_before_its_secret_is_one_finding_at_the_commit_that_completed_it() {
    let r = Repo::new();
    let (id, sk) = (
        keyfence::synthetic::key_id("AKIA", 71),
        keyfence::synthetic::secret(71),
    );
    r.write("app.env", format!("AWS_ACCESS_KEY_ID={id}\n"));
    let first = r.commit("the key ID alone");
    r.write("notes.txt", "unrelated\n");
    r.commit("something else");
    r.write(
        "app.env",
        format!("AWS_ACCESS_KEY_ID={id}\nAWS_SECRET_ACCESS_KEY={sk}\n"),
    );
    let completed = r.commit("and its secret");
    // A key ID that stays alone keeps its own finding.
    let other = keyfence::synthetic::key_id("AKIA", 72);
    r.write("other.env", format!("AWS_ACCESS_KEY_ID={other}\n"));
    r.commit("another key ID alone");
    let (code, doc, stderr) = r.keyfence_json(&["history"]);
    assert_eq!(code, Some(1), "{stderr}");
    let fs = findings(&doc);
    let mine: Vec<_> = fs.iter().filter(|f| f["key_id"] == id.as_str()).collect();
    assert_eq!(mine.len(), 1, "{doc:#}");
    assert_eq!(mine[0]["rule_id"], "aws-access-key");
    assert_eq!(mine[0]["commit"], completed.as_str());
    assert_eq!(mine[0]["key_id_commit"], first.as_str());
    let theirs: Vec<_> = fs
        .iter()
        .filter(|f| f["key_id"] == other.as_str())
        .collect();
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0]["rule_id"], "aws-access-key-id");
    assert!(theirs[0]["key_id_commit"].is_null());
    // The text report says where the key ID came from.
    let out = r.keyfence(&["history"], &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("first committed alone in {first}")),
        "{text}"
    );
}
