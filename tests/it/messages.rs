//! Commit messages, annotated tags' messages and notes are scanned in history, in ranges and by
//! pre-receive, with the same rules, allowlists (`origin = "message"`) and inline directives;
//! each credential is found once and named by its origin and object, its line within the
//! message.

use crate::common::*;
use crate::gitrepo::{findings, Repo};

/// A message whose body holds the pair of `seed` (from its third line on); its key ID.
fn leaky_message(seed: u64) -> (String, String) {
    let (creds, id, _) = credentials_file(seed);
    (format!("fix the deploy\n\npasted output:\n{creds}"), id)
}

/// The findings of `doc` as `(origin, object, line, key_id)`.
fn origins(doc: &serde_json::Value) -> Vec<(String, String, u64, String)> {
    let mut v: Vec<_> = findings(doc)
        .iter()
        .map(|f| {
            (
                f["origin"].as_str().unwrap_or("file").to_string(),
                f["object"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or_default(),
                f["key_id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// A repository with a credential in a commit message, one in an annotated tag's message and
/// one in a note; returns it with `(commit, tag object, note blob)` and the three key IDs.
fn repo_with_messages() -> (Repo, [String; 3], [String; 3]) {
    let r = Repo::new();
    r.write("README", "hello\n");
    r.commit("initial");
    let (msg, commit_id) = leaky_message(101);
    r.write("a.txt", "a\n");
    let commit = r.commit(&msg);
    let (tag_msg, tag_id) = leaky_message(102);
    r.git(&["tag", "-a", "-m", &tag_msg, "v1"]);
    let tag = r.git(&["rev-parse", "v1"]).trim().to_string();
    let (note_msg, note_id) = leaky_message(103);
    r.git(&["notes", "add", "-m", &note_msg, "HEAD~1"]);
    let note = r.git(&["notes", "list", "HEAD~1"]).trim().to_string();
    (r, [commit, tag, note], [commit_id, tag_id, note_id])
}

#[test]
fn a_pair_in_a_commit_message_a_tag_and_a_note_is_found_once_each_in_history() {
    let (r, [commit, tag, note], [c_id, t_id, n_id]) = repo_with_messages();
    let (code, doc, stderr) = r.keyfence_json(&["history"]);
    assert_eq!(code, Some(1), "{stderr}{doc}");
    // The line is within the message: the key ID is on its fifth line.
    let mut want = vec![
        (
            "commit-message".to_string(),
            commit.clone(),
            5,
            c_id.clone(),
        ),
        ("note".to_string(), note.clone(), 5, n_id.clone()),
        ("tag-message".to_string(), tag.clone(), 5, t_id.clone()),
    ];
    want.sort();
    assert_eq!(origins(&doc), want, "{doc}");
    for f in findings(&doc) {
        assert!(f["path"].as_str().unwrap().starts_with('<'), "{f}");
        assert!(f["commit"].is_string(), "{f}");
    }
    assert!(
        doc["stats"]["messages_scanned"].as_u64().unwrap() >= 4,
        "{doc}"
    );

    // Every format names the origin and the object.
    let out = r.keyfence(&["history"], &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_contains(&text, &format!("in       commit-message {commit}"));
    assert_contains(&text, &format!("in       tag-message {tag} (refs/tags/v1)"));
    assert_contains(&text, &format!("in       note {note}"));
    let out = r.keyfence(&["history", "--format", "sarif"], &[]);
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    let logical: Vec<String> = results
        .iter()
        .map(|r| {
            r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(
        logical.contains(&format!("commit-message/{commit}")),
        "{logical:?}"
    );
    assert!(logical.contains(&format!("note/{note}")), "{logical:?}");

    // Only master's history (no refs walked): the commit's message, its tag and its note.
    let (code, doc, _) = r.keyfence_json(&["history", "main"]);
    assert_eq!(code, Some(1));
    assert_eq!(origins(&doc).len(), 3, "{doc}");

    // Packed, the commits are read whole by the tree walk, which scans their messages there:
    // the same findings, each once; `--no-messages` scans file contents only.
    let loose = origins(&doc);
    r.git(&["repack", "-adq"]);
    let (code, doc, stderr) = r.keyfence_json(&["history", "main"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(origins(&doc), loose, "{doc}");
    let (code, doc, _) = r.keyfence_json(&["history", "--threads", "1"]);
    assert_eq!(code, Some(1));
    assert_eq!(origins(&doc), want, "{doc}");
    // (The note's text is still a blob of the notes reference's tree: found there, as a file.)
    let (code, doc, _) = r.keyfence_json(&["history", "--no-messages"]);
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(doc["stats"]["messages_scanned"], 0, "{doc}");
    let files = origins(&doc);
    assert_eq!(files.len(), 1, "{doc}");
    assert_eq!(files[0].0, "file");
    assert_eq!(files[0].3, n_id);
}

/// A packed repository where no blob holds anything: no note can (a note's text is a blob of
/// the packs, read by the whole-history scan), so the notes are not listed and not counted as
/// messages; an archive on a branch not walked (expanded only once its path is known) is read
/// whole as a note would be. A note added since is a loose blob, which the packs' scan did not
/// read: the notes are listed again, and its credential found. (One thread: no early reader,
/// whose run handed back late would make the listing happen anyway.)
#[test]
fn notes_are_listed_only_when_some_blob_could_hold_something() {
    let r = Repo::new();
    r.write("README", "hello\n");
    r.commit("initial");
    r.git(&["checkout", "-qb", "other"]);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("a.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(&mut zip, b"nothing here\n").unwrap();
    r.write("bundle.zip", zip.finish().unwrap().into_inner());
    r.commit("an archive");
    r.git(&["checkout", "-q", "main"]);
    r.git(&["notes", "add", "-m", "a clean note", "HEAD"]);
    r.git(&["repack", "-adq"]);
    let args = ["history", "main", "--threads", "1"];
    let (code, doc, stderr) = r.keyfence_json(&args);
    assert_eq!(code, Some(0), "{stderr}{doc}");
    assert_eq!(doc["stats"]["messages_scanned"], 1, "{doc}");

    let (note_msg, note_id) = leaky_message(104);
    r.git(&["notes", "add", "-f", "-m", &note_msg, "HEAD"]);
    let note = r.git(&["notes", "list", "HEAD"]).trim().to_string();
    let (code, doc, stderr) = r.keyfence_json(&args);
    assert_eq!(code, Some(1), "{stderr}{doc}");
    assert_eq!(
        origins(&doc),
        vec![("note".to_string(), note.clone(), 5, note_id.clone())],
        "{doc}"
    );
    // Packed too, the blob that holds something has the notes listed.
    r.git(&["repack", "-adq"]);
    let (code, doc, stderr) = r.keyfence_json(&args);
    assert_eq!(code, Some(1), "{stderr}{doc}");
    assert_eq!(origins(&doc), vec![("note".to_string(), note, 5, note_id)]);
}

#[test]
fn a_range_reports_only_the_messages_it_introduced() {
    let (r, [commit, tag, _], [c_id, t_id, _]) = repo_with_messages();
    let base = r.git(&["rev-parse", "HEAD~1"]).trim().to_string();
    let (code, doc, _) = r.keyfence_json(&["history", &format!("{base}..HEAD")]);
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(
        origins(&doc),
        vec![
            ("commit-message".to_string(), commit, 5, c_id),
            ("tag-message".to_string(), tag, 5, t_id),
        ],
        "{doc}"
    );
    // A later range holds none of them.
    r.write("b.txt", "b\n");
    r.commit("clean");
    let (code, doc, _) = r.keyfence_json(&["history", "HEAD~1..HEAD"]);
    assert_eq!(code, Some(0), "{doc}");
}

#[test]
fn allowlist_origin_and_inline_directives_apply_to_messages() {
    let (r, _, _) = repo_with_messages();
    r.write(".keyfence.toml", "[allowlist]\norigin = \"message\"\n");
    r.commit("allow messages");
    let (code, doc, _) = r.keyfence_json(&["history"]);
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["stats"]["suppressed_by"]["allowlist"], 3, "{doc}");
    r.write(".keyfence.toml", "[allowlist]\norigin = \"note\"\n");
    r.commit("allow notes only");
    let (_, doc, _) = r.keyfence_json(&["history"]);
    let kinds: Vec<String> = origins(&doc).into_iter().map(|o| o.0).collect();
    assert_eq!(kinds, ["commit-message", "tag-message"], "{doc}");
    r.write(".keyfence.toml", "[allowlist]\norigin = \"subject\"\n");
    let out = r.keyfence(&["history"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("origin: `subject`"));

    // An inline directive in the message allows its credential.
    let r = Repo::new();
    let (creds, _, _) = credentials_file(104);
    let creds = creds.replace('\n', " # keyfence:allow\n");
    r.commit(&format!("example output\n\n{creds}"));
    let (code, doc, _) = r.keyfence_json(&["history"]);
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["stats"]["suppressed_by"]["inline"], 1, "{doc}");
}

#[test]
fn a_credential_in_a_file_and_a_message_is_reported_once() {
    let r = Repo::new();
    let (creds, id, _) = credentials_file(105);
    r.write("config/credentials", &creds);
    r.commit(&format!("add credentials\n\n{creds}"));
    let (code, doc, _) = r.keyfence_json(&["history"]);
    assert_eq!(code, Some(1));
    let all = origins(&doc);
    assert_eq!(all.len(), 1, "{doc}");
    assert_eq!(all[0].3, id);
}

/// A bare repository with keyfence's pre-receive hook, and a client with one clean commit
/// pushed to it.
fn server_and_client() -> (Fixture, String, Repo) {
    let fx = Fixture::new();
    fx.git(&["init", "-q", "--bare", "-b", "main", "srv.git"]);
    run_exit(
        keyfence_in(fx.path()).args(["install", "--pre-receive", "--bare", "srv.git"]),
        0,
    );
    let url = format!("file://{}", fx.path().join("srv.git").display());
    let c = Repo::new();
    c.write("README", "hello\n");
    c.commit("initial");
    assert_exit(&c.git_output(&["push", "-q", &url, "main"]), 0, "push");
    (fx, url, c)
}

#[test]
fn pre_receive_rejects_a_credential_in_a_pushed_commit_message_and_tag() {
    let (_srv, url, c) = server_and_client();
    let (msg, id) = leaky_message(106);
    c.write("a.txt", "a\n");
    c.commit(&msg);
    let out = c.git_output(&["push", &url, "main"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains(&id) && err.contains("commit-message"), "{err}");

    // Amended to a clean message, the push passes.
    c.git(&["commit", "-q", "--amend", "-m", "add a"]);
    assert_exit(&c.git_output(&["push", &url, "main"]), 0, "push");

    // A tag of a commit the server already has, with a credential in its annotation.
    let (tag_msg, tag_id) = leaky_message(107);
    c.git(&["tag", "-a", "-m", &tag_msg, "v1"]);
    let out = c.git_output(&["push", &url, "refs/tags/v1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains(&tag_id) && err.contains("tag-message"),
        "{err}"
    );
    c.git(&["tag", "-d", "v1"]);
    c.git(&["tag", "-a", "-m", "release 1", "v1"]);
    assert_exit(&c.git_output(&["push", &url, "refs/tags/v1"]), 0, "push");

    // A note on a commit the server has: the push of `refs/notes/commits` is rejected, the
    // credential named as a note (not as the notes tree's blob); a clean note then passes, and
    // a later push reports only the note it adds.
    c.git(&["notes", "add", "-m", "reviewed", "HEAD"]);
    assert_exit(
        &c.git_output(&["push", &url, "refs/notes/commits"]),
        0,
        "push",
    );
    let pushed = c
        .git(&["rev-parse", "refs/notes/commits"])
        .trim()
        .to_string();
    let (note_msg, note_id) = leaky_message(110);
    c.git(&["notes", "add", "-m", &note_msg, "HEAD~1"]);
    let out = c.git_output(&["push", &url, "refs/notes/commits"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains(&note_id) && err.contains("note"), "{err}");
    assert!(
        !err.contains(&format!("{}:", c.git(&["rev-parse", "HEAD~1"]).trim())),
        "reported at the notes tree's path: {err}"
    );
    // The rejected notes commit is dropped (it would still be pushed under a later one).
    c.git(&["update-ref", "refs/notes/commits", &pushed]);
    c.git(&["notes", "add", "-m", "clean note", "HEAD~1"]);
    assert_exit(
        &c.git_output(&["push", &url, "refs/notes/commits"]),
        0,
        "push",
    );
}

#[test]
fn the_commit_msg_hook_blocks_a_credential_and_passes_a_clean_message() {
    let r = Repo::new();
    r.write("README", "hello\n");
    r.commit("initial");
    r.keyfence_exit(&["install", "--commit-msg"], 0);
    assert!(r.path().join(".git/hooks/commit-msg").exists());
    let commit = |msg: &str| {
        r.write("msg.txt", msg);
        git_command(r.path())
            .args(["commit", "-q", "--allow-empty", "-F", "msg.txt"])
            .output()
            .unwrap()
    };
    let (msg, id) = leaky_message(108);
    let before = r.head();
    let out = commit(&msg);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains(&id) && err.contains("its message contains AWS credentials"),
        "{err}"
    );
    assert_eq!(r.head(), before, "no commit was made");
    // A clean message passes; so does one whose credential is only in comment lines, which
    // git's cleanup drops (`-F` with `--cleanup=strip`).
    assert_exit(&commit("add docs\n"), 0, "a clean commit");
    let (creds, _, _) = credentials_file(109);
    let commented: String = creds.lines().map(|l| format!("# {l}\n")).collect();
    r.write("msg.txt", format!("tidy\n{commented}"));
    run_exit(
        git_command(r.path()).args([
            "commit",
            "-q",
            "--allow-empty",
            "--cleanup=strip",
            "-F",
            "msg.txt",
        ]),
        0,
    );

    // `keyfence commit-msg FILE` itself: a JSON report naming the origin and the line.
    let path = r.path().join("leaky.txt");
    std::fs::write(&path, &msg).unwrap();
    let (code, doc, _) = r.keyfence_json(&["commit-msg", "leaky.txt"]);
    assert_eq!(code, Some(1));
    assert_eq!(origins(&doc)[0].0, "commit-message");
    assert_eq!(origins(&doc)[0].2, 5);
    let out = r.keyfence_exit(&["commit-msg", "missing.txt"], 2);
    assert_contains(&String::from_utf8_lossy(&out.stderr), "missing.txt");
}

#[test]
fn pre_push_of_notes_reports_the_note_it_adds_as_a_note() {
    let r = Repo::new();
    r.write("README", "hello\n");
    r.commit("initial");
    r.git(&["notes", "add", "-m", "reviewed", "HEAD"]);
    let old = r
        .git(&["rev-parse", "refs/notes/commits"])
        .trim()
        .to_string();
    let (msg, id) = leaky_message(111);
    r.git(&["notes", "add", "-f", "-m", &msg, "HEAD"]);
    let new = r
        .git(&["rev-parse", "refs/notes/commits"])
        .trim()
        .to_string();
    let input = format!("refs/notes/commits {new} refs/notes/commits {old}\n");
    let mut cmd = r.fx.keyfence();
    cmd.args(["pre-push", "origin", "file:///nowhere", "--format", "json"]);
    let out = assert_cmd::Command::from_std(cmd)
        .write_stdin(input)
        .output()
        .unwrap();
    let doc = json_report(&out.stdout);
    assert_exit(&out, 1, "pre-push of refs/notes/commits");
    let found = findings(&doc);
    assert_eq!(found.len(), 1, "{doc}");
    assert_eq!(found[0]["origin"], "note", "{doc}");
    assert_eq!(found[0]["key_id"], id.as_str());
    assert_eq!(
        found[0]["object_name"],
        format!("refs/notes/commits on {}", r.head())
    );
}
