//! `keyfence history --all-objects`: what no reference reaches (a force-pushed-away commit, a
//! deleted tag, a blob written but never committed) is scanned and named by its object id;
//! what a reference reaches is reported as without the flag.

use crate::common::*;
use crate::gitrepo::{findings, Repo};

/// A bare server that was pushed a commit with a credential in a file and in its message and
/// an annotated tag with one in its annotation, then had the commit force-pushed away and the
/// tag deleted; it also holds a blob with a credential that no tree names. `ids` are the key
/// IDs of the force-pushed file, its message, the tag, the lone blob, and a reachable file.
struct Server {
    _client: Repo,
    bare: Fixture,
    gone_commit: String,
    gone_tag: String,
    lone_blob: String,
    ids: [String; 5],
}

fn server() -> Server {
    let bare = Fixture::new();
    bare.git(&["init", "-q", "--bare", "-b", "main"]);
    let client = Repo::new();
    let url = bare.path().to_str().unwrap().to_string();
    client.git(&["remote", "add", "origin", &url]);
    let (kept, kept_id, _) = credentials_file(201);
    client.write("config/kept.ini", &kept);
    client.write("README", "hello\n");
    client.commit("initial");
    client.git(&["push", "-q", "origin", "main"]);

    let (leak, file_id, _) = credentials_file(202);
    client.write("deploy/prod.ini", &leak);
    let (msg_creds, msg_id, _) = credentials_file(203);
    let gone_commit = client.commit(&format!("deploy\n\noutput:\n{msg_creds}"));
    let (tag_creds, tag_id, _) = credentials_file(204);
    client.git(&["tag", "-a", "-m", &format!("release\n\n{tag_creds}"), "v1"]);
    let gone_tag = client.git(&["rev-parse", "v1"]).trim().to_string();
    client.git(&["push", "-q", "origin", "main", "v1"]);

    // The leak is noticed: the commit is force-pushed away and the tag deleted on the server.
    client.git(&["reset", "-q", "--hard", "HEAD~1"]);
    client.git(&["push", "-q", "--force", "origin", "main"]);
    client.git(&["push", "-q", "origin", ":refs/tags/v1"]);

    // A blob written to the server's object database that no tree names.
    let (lone, lone_id, _) = credentials_file(205);
    let file = bare.write("lone.ini", &lone);
    let lone_blob = bare
        .git(&["hash-object", "-w", file.to_str().unwrap()])
        .trim()
        .to_string();
    std::fs::remove_file(file).unwrap();
    Server {
        _client: client,
        bare,
        gone_commit,
        gone_tag,
        lone_blob,
        ids: [file_id, msg_id, tag_id, lone_id, kept_id],
    }
}

/// keyfence `args` in `dir` with a JSON report, expecting exit `code`.
fn run(dir: &std::path::Path, args: &[&str], code: i32) -> serde_json::Value {
    run_json(keyfence_in(dir).args(args).args(["--format", "json"]), code)
}

fn by_key_id<'a>(doc: &'a [serde_json::Value], id: &str) -> &'a serde_json::Value {
    doc.iter()
        .find(|f| f["key_id"] == id)
        .unwrap_or_else(|| panic!("no finding of {id}: {doc:?}"))
}

#[test]
fn a_force_pushed_away_commit_is_found_only_with_all_objects() {
    let s = server();
    let [file_id, msg_id, tag_id, lone_id, kept_id] = &s.ids;

    // Without the flag: only what a reference reaches.
    let doc = run(s.bare.path(), &["history"], 1);
    let found = findings(&doc);
    assert_eq!(found.len(), 1, "{doc}");
    assert_eq!(found[0]["key_id"], kept_id.as_str());

    let doc = run(s.bare.path(), &["history", "--all-objects"], 1);
    let found = findings(&doc);
    assert_eq!(found.len(), 5, "{doc}");

    // The reachable credential is reported as it always was.
    let kept = by_key_id(&found, kept_id);
    assert_eq!(kept["path"], "config/kept.ini");
    assert!(kept.get("unreachable_object").is_none(), "{kept}");

    // The force-pushed file: its path, its commit, and the blob's id.
    let gone = by_key_id(&found, file_id);
    assert_eq!(gone["path"], "deploy/prod.ini");
    assert_eq!(gone["commit"], s.gone_commit.as_str());
    let blob = s
        .bare
        .git(&["rev-parse", &format!("{}:deploy/prod.ini", s.gone_commit)]);
    assert_eq!(gone["unreachable_object"], blob.trim(), "{gone}");

    // The force-pushed commit's message and the deleted tag's annotation.
    let msg = by_key_id(&found, msg_id);
    assert_eq!(msg["origin"], "commit-message");
    assert_eq!(msg["unreachable_object"], s.gone_commit.as_str());
    let tag = by_key_id(&found, tag_id);
    assert_eq!(tag["origin"], "tag-message");
    assert_eq!(tag["object"], s.gone_tag.as_str());
    assert_eq!(tag["unreachable_object"], s.gone_tag.as_str());
    assert_eq!(tag["commit"], s.gone_commit.as_str());

    // The blob no tree names: its id is its path, and it has no commit.
    let lone = by_key_id(&found, lone_id);
    assert_eq!(lone["path"], s.lone_blob.as_str());
    assert_eq!(lone["unreachable_object"], s.lone_blob.as_str());
    assert!(lone["commit"].is_null(), "{lone}");

    // Text and SARIF name the unreachable object too.
    let out = run_exit(
        keyfence_in(s.bare.path()).args(["history", "--all-objects"]),
        1,
    );
    assert_contains(
        &String::from_utf8_lossy(&out.stdout),
        &format!("no reference reaches object {}", s.lone_blob),
    );
    let sarif = run_json(
        keyfence_in(s.bare.path()).args(["history", "--all-objects", "--format", "sarif"]),
        1,
    );
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(
        results
            .iter()
            .filter(|r| r["properties"]["unreachableObject"].is_string())
            .count(),
        4,
        "{sarif}"
    );
}

#[test]
fn once_pruned_nothing_unreachable_is_left_to_find() {
    let s = server();
    // `git gc --prune=now` with no reflogs drops what no reference reaches.
    s.bare.git(&["reflog", "expire", "--expire=now", "--all"]);
    s.bare.git(&["gc", "-q", "--prune=now"]);
    let doc = run(s.bare.path(), &["history", "--all-objects"], 1);
    let found = findings(&doc);
    assert_eq!(found.len(), 1, "{doc}");
    assert!(found[0].get("unreachable_object").is_none());
}

#[test]
fn all_objects_takes_no_revisions() {
    let r = Repo::new();
    r.write("a", "a\n");
    r.commit("a");
    let out = r.keyfence(&["history", "--all-objects", "HEAD"], &[]);
    assert_exit(&out, 2, "history --all-objects HEAD");
    assert_contains(&String::from_utf8_lossy(&out.stderr), "--all-objects");
}

#[test]
fn a_packed_unreachable_commit_is_walked_after_the_reachable_ones() {
    // Everything in one pack (`git repack -a` keeps unreachable objects with `-k`): the
    // pack-order reading finds the blobs, the walk attributes them.
    let s = server();
    s.bare.git(&["repack", "-a", "-d", "-k", "-q"]);
    let doc = run(s.bare.path(), &["history", "--all-objects"], 1);
    let found = findings(&doc);
    assert_eq!(found.len(), 5, "{doc}");
    let gone = by_key_id(&found, &s.ids[0]);
    assert_eq!(gone["commit"], s.gone_commit.as_str());
    // One thread reads the same (no early pack reader).
    let one = run(
        s.bare.path(),
        &["history", "--all-objects", "--threads", "1"],
        1,
    );
    let key = |d: &serde_json::Value| {
        let mut v: Vec<String> = findings(d)
            .iter()
            .map(|f| format!("{} {} {}", f["key_id"], f["path"], f["unreachable_object"]))
            .collect();
        v.sort();
        v
    };
    assert_eq!(key(&doc), key(&one));
}
