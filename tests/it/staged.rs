//! `keyfence staged`: the index, never the work tree; only what the staged change introduces.

use crate::common::*;
use crate::gitrepo::*;

#[test]
fn a_credential_staged_then_deleted_from_the_work_tree_is_found() {
    let r = Repo::new();
    r.write("README.md", "hi\n");
    r.commit("init");
    let (text, id) = pair(20);
    r.write("deploy/.env", &text);
    r.git(&["add", "deploy/.env"]);
    std::fs::remove_file(r.path().join("deploy/.env")).unwrap();
    let (code, doc, _) = r.keyfence_json(&["staged"]);
    assert_eq!(code, Some(1));
    let f = &findings(&doc)[0];
    assert_eq!(
        (f["rule_id"].as_str(), f["path"].as_str()),
        (Some("aws-access-key"), Some("deploy/.env"))
    );
    assert_eq!(f["key_id"], id.as_str());
    assert!(f["commit"].is_null());
    assert_eq!(doc["stats"]["files_scanned"], 1);
}

#[test]
fn unstaged_and_untracked_credentials_are_not_scanned() {
    let r = Repo::new();
    r.write("app.conf", "x = 1\n");
    r.commit("init");
    r.write("app.conf", pair(21).0); // modified, not staged
    r.write("untracked.env", pair(22).0);
    r.write("notes.txt", "staged and harmless\n");
    r.git(&["add", "notes.txt"]);
    let (code, doc, _) = r.keyfence_json(&["staged"]);
    assert_eq!((code, findings(&doc).len()), (Some(0), 0));
    assert_eq!(doc["stats"]["files_scanned"], 1);
    // Staged clean content, then a credential written over it in the work tree.
    r.write("later.env", "nothing yet\n");
    r.git(&["add", "later.env"]);
    r.write("later.env", pair(23).0);
    let (code, _, _) = r.keyfence_json(&["staged"]);
    assert_eq!(code, Some(0));
}

#[test]
fn the_first_commit_of_a_repository_is_scanned() {
    let r = Repo::new();
    r.write("creds", pair(24).0);
    r.git(&["add", "creds"]);
    let (code, doc, stderr) = r.keyfence_json(&["staged"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(findings(&doc).len(), 1);
}

#[test]
fn an_old_credential_in_head_does_not_block_an_unrelated_change() {
    let r = Repo::new();
    let (old, _) = pair(25);
    r.write("legacy.ini", &old);
    r.write("moved.ini", &old);
    r.commit("an old leak");
    r.write(
        "legacy.ini",
        format!("# unrelated change\n{old}[other]\nregion = eu-west-1\n"),
    );
    r.git(&["mv", "moved.ini", "renamed.ini"]);
    r.git(&["add", "-A"]);
    let (code, doc, _) = r.keyfence_json(&["staged"]);
    assert_eq!((code, findings(&doc).len()), (Some(0), 0), "{doc}");
    assert_eq!(doc["stats"]["preexisting"], 1);
    // A new credential in the same file is still reported.
    let (new, new_id) = pair(26);
    r.write("legacy.ini", format!("{old}\n{new}"));
    r.git(&["add", "-A"]);
    let (code, doc, _) = r.keyfence_json(&["staged"]);
    assert_eq!(code, Some(1));
    assert_eq!(findings(&doc).len(), 1);
    assert_eq!(findings(&doc)[0]["key_id"], new_id.as_str());
}

#[test]
fn a_secret_staged_beside_a_committed_key_id_pairs_with_it() {
    let r = Repo::new();
    let id = key_id("AKIA", 27);
    r.write(
        "settings.ini",
        format!("[prod]\naws_access_key_id = {id}\n"),
    );
    r.commit("key id only");
    r.write(
        "settings.ini",
        format!(
            "[prod]\naws_access_key_id = {id}\naws_secret_access_key = {}\n",
            secret(27)
        ),
    );
    r.git(&["add", "settings.ini"]);
    let (code, doc, _) = r.keyfence_json(&["staged"]);
    assert_eq!(code, Some(1));
    assert_eq!(summary(&doc)[0].0, "aws-access-key");
}

#[test]
fn staged_deletions_pass_and_binary_files_are_counted() {
    let r = Repo::new();
    r.write("leak.env", pair(28).0);
    r.commit("leak");
    r.git(&["rm", "-q", "leak.env"]);
    let (code, doc, _) = r.keyfence_json(&["staged"]);
    assert_eq!((code, findings(&doc).len()), (Some(0), 0));
    let mut bin = pair(29).0.into_bytes();
    bin.insert(0, 0);
    r.write("image.bin", bin);
    r.git(&["add", "image.bin"]);
    let (code, doc, _) = r.keyfence_json(&["staged"]);
    assert_eq!(code, Some(0));
    assert_eq!(doc["stats"]["binary_skipped"], 1);
    let (code, _, _) = r.keyfence_json(&["staged", "--binary"]);
    assert_eq!(code, Some(1));
}

#[test]
fn configuration_at_the_repository_root_applies_from_a_subdirectory() {
    let r = Repo::new();
    r.write("fixtures/creds.env", pair(30).0);
    r.write(".keyfence.toml", "[allowlist]\npaths = ['fixtures/**']\n");
    r.git(&["add", "-A"]);
    std::fs::create_dir_all(r.path().join("src/deep")).unwrap();
    let out =
        r.fx.keyfence()
            .current_dir(r.path().join("src/deep"))
            .args(["staged", "--format", "json"])
            .output()
            .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json_report(&out.stdout);
    assert_eq!(doc["stats"]["suppressed_by"]["allowlist"], 1);
    // -C works like git's.
    let out = Fixture::new()
        .keyfence()
        .args(["-C", r.path().to_str().unwrap(), "staged"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn outside_a_repository_or_in_a_bare_one_is_an_error() {
    let fx = Fixture::new();
    let out = fx.keyfence().args(["staged"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not in a git repository"));
    git_in(fx.path(), &["init", "-q", "--bare", "b.git"]);
    let out = keyfence_in(&fx.path().join("b.git"))
        .args(["staged"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bare repository"));
}

/// Concluding a merge: what the merged branch committed is not this commit's, only what the
/// resolution adds.
#[test]
fn a_merge_being_concluded_reports_only_what_the_resolution_adds() {
    let r = Repo::new();
    r.write("app.conf", "key = base\n");
    r.commit("init");
    r.git(&["checkout", "-q", "-b", "side"]);
    r.write("app.conf", "key = side\n");
    r.write("side.env", pair(31).0);
    r.commit("side, with a committed leak");
    r.git(&["checkout", "-q", "main"]);
    r.write("app.conf", "key = main\n");
    r.commit("main");
    assert!(
        !r.git_output(&["merge", "-q", "side"]).status.success(),
        "must conflict"
    );
    r.write("app.conf", "key = resolved\n");
    r.git(&["add", "app.conf"]);
    let (code, doc, stderr) = r.keyfence_json(&["staged"]);
    assert_eq!((code, findings(&doc).len()), (Some(0), 0), "{doc} {stderr}");
    assert_eq!(doc["stats"]["preexisting"], 1);
    let (new, new_id) = pair(32);
    r.write("app.conf", format!("key = resolved\n{new}"));
    r.git(&["add", "app.conf"]);
    let (code, doc, _) = r.keyfence_json(&["staged"]);
    assert_eq!(code, Some(1));
    assert_eq!(findings(&doc)[0]["key_id"], new_id.as_str());
}
