//! Partial clones (`git clone --filter=blob:none`) of a local bare repository served with
//! `uploadpack.allowFilter`: keyfence fetches the blobs the scan needs from the promisor remote
//! and finds what a full clone finds (a dead remote's share from the next promisor remote);
//! `--no-fetch`, a small `--max-fetch` and a dead remote are each one error with the count of
//! blobs left unscanned (exit 2 when nothing was found; as everywhere, findings win and give 1).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::common::*;
use crate::gitrepo::{findings, pair, Repo};

/// A served repository: credentials in old versions of files that were changed or deleted
/// later (their blobs are not in a partial clone), 20 versions of a filler file, a range
/// (`kept~2..kept`) that changes a file whose base version held a credential, and a tip that
/// removed every credential (a clean checkout).
struct Served {
    _src: Repo,
    dir: Fixture,
}

impl Served {
    fn new() -> Served {
        let r = Repo::new();
        r.write("config/credentials", pair(1).0);
        r.commit("first credentials");
        for i in 0..20 {
            r.write("n.txt", format!("{i}\n"));
            r.commit(&format!("filler {i}"));
        }
        r.write("old/keys.ini", pair(3).0);
        r.commit("old keys");
        r.git(&["rm", "-q", "old/keys.ini"]);
        r.write("config/credentials", pair(2).0);
        r.commit("rotate, drop the old keys");
        r.write("config/credentials", format!("{}# rotated\n", pair(2).0));
        r.commit("a comment");
        r.write("a.ini", pair(5).0);
        r.commit("new keys");
        r.git(&["tag", "kept"]);
        r.git(&["rm", "-q", "a.ini", "config/credentials"]);
        r.commit("remove every key");
        let dir = Fixture::new();
        git_in(
            dir.path(),
            &[
                "clone",
                "-q",
                "--bare",
                &r.path().display().to_string(),
                "srv.git",
            ],
        );
        git_in(
            &dir.path().join("srv.git"),
            &["config", "uploadpack.allowFilter", "true"],
        );
        Served { _src: r, dir }
    }

    fn url(&self) -> String {
        format!("file://{}", self.dir.path().join("srv.git").display())
    }

    /// A clone with `extra` options (e.g. `--filter=blob:none`) in a directory of its own.
    fn clone(&self, name: &str, extra: &[&str]) -> PathBuf {
        let mut args = vec!["clone", "-q"];
        args.extend_from_slice(extra);
        let url = self.url();
        args.extend([url.as_str(), name]);
        git_in(self.dir.path(), &args);
        self.dir.path().join(name)
    }

    /// A partial clone, with `extensions.partialclone` set as git before 2.47ish wrote it (and
    /// libgit2 would refuse without keyfence declaring it).
    fn partial(&self, name: &str) -> PathBuf {
        let c = self.clone(name, &["--filter=blob:none"]);
        git_in(&c, &["config", "extensions.partialclone", "origin"]);
        c
    }
}

/// Blobs of all history that `dir` lacks, as git counts them (without fetching them).
fn missing(dir: &Path) -> usize {
    let out = git_in(dir, &["rev-list", "--objects", "--all", "--missing=print"]);
    out.lines().filter(|l| l.starts_with('?')).count()
}

fn run(dir: &Path, args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let out = keyfence_in(dir)
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    (out.status.code(), json_report(&out.stdout))
}

/// What identifies a finding: fingerprint, commit, path, line.
fn places(doc: &serde_json::Value) -> BTreeSet<(String, String, String, u64)> {
    findings(doc)
        .iter()
        .map(|f| {
            (
                f["fingerprint"].as_str().unwrap_or_default().to_string(),
                f["commit"].as_str().unwrap_or_default().to_string(),
                f["path"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

/// The one error of a report, and the count of blobs it names.
fn one_error(doc: &serde_json::Value) -> (String, usize) {
    let errors = doc["errors"].as_array().cloned().unwrap_or_default();
    assert_eq!(errors.len(), 1, "{doc}");
    let message = errors[0]["message"].as_str().unwrap().to_string();
    let count = message
        .split("partial clone: ")
        .nth(1)
        .and_then(|m| m.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {message}"));
    (message, count)
}

#[test]
fn a_partial_clone_fetches_what_history_needs_and_finds_what_a_full_clone_finds() {
    let s = Served::new();
    let full = s.clone("full", &[]);
    let (code, expected) = run(&full, &["history"]);
    assert_eq!(code, Some(1), "{expected}");
    assert_eq!(places(&expected).len(), 4, "{expected}");

    let part = s.partial("part");
    let before = missing(&part);
    assert!(before >= 20, "{before} blobs missing");
    let (code, doc) = run(&part, &["history"]);
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(doc["errors"], serde_json::json!([]), "{doc}");
    assert_eq!(places(&doc), places(&expected));
    assert_eq!(missing(&part), 0);
}

#[test]
fn a_range_on_a_partial_clone_reads_fetched_base_versions() {
    let s = Served::new();
    let full = s.clone("full", &[]);
    let (code, expected) = run(&full, &["history", "kept~2..kept"]);
    assert_eq!(code, Some(1), "{expected}");
    // Only the new pair: the other was in the base version of the file the range changed.
    assert_eq!(places(&expected).len(), 1, "{expected}");
    assert_eq!(expected["stats"]["preexisting"], 1, "{expected}");

    let part = s.partial("part");
    let (code, doc) = run(&part, &["history", "kept~2..kept"]);
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(doc["errors"], serde_json::json!([]), "{doc}");
    assert_eq!(places(&doc), places(&expected));

    // `ci --base` (up to the clean tip) and `pre-push` run ranges the same way.
    let (code, ci_expected) = run(&full, &["ci", "--base", "kept~2"]);
    assert_eq!(code, Some(1), "{ci_expected}");
    let part = s.partial("part2");
    let (code, doc) = run(&part, &["ci", "--base", "kept~2"]);
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(doc["errors"], serde_json::json!([]), "{doc}");
    assert_eq!(places(&doc), places(&ci_expected));
    let part = s.partial("part3");
    let head = git_in(&part, &["rev-parse", "kept"]);
    let base = git_in(&part, &["rev-parse", "kept~2"]);
    let input = format!(
        "refs/heads/main {} refs/heads/main {}\n",
        head.trim(),
        base.trim()
    );
    let mut cmd = keyfence_in(&part);
    cmd.args(["pre-push", "origin", &s.url(), "--format", "json"]);
    let out = assert_cmd::Command::from_std(cmd)
        .write_stdin(input)
        .output()
        .unwrap();
    let doc = json_report(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{doc}");
    assert_eq!(places(&doc), places(&expected));
}

#[test]
fn no_fetch_scans_what_is_there_and_counts_the_rest_once() {
    let s = Served::new();
    let part = s.partial("part");
    let before = missing(&part);
    let (code, doc) = run(&part, &["history", "--no-fetch"]);
    assert_eq!(code, Some(2), "{doc}");
    let (message, count) = one_error(&doc);
    assert_eq!(count, before, "{message}");
    assert!(message.contains("--no-fetch"), "{message}");
    // What the clone holds (the clean tip) was scanned.
    assert!(findings(&doc).is_empty(), "{doc}");
    assert!(doc["stats"]["files_scanned"].as_u64().unwrap() > 0, "{doc}");
    assert_eq!(missing(&part), before, "nothing fetched");

    // A range: the two blobs it introduced.
    let (code, doc) = run(&part, &["history", "--no-fetch", "kept~2..kept"]);
    assert_eq!(code, Some(2), "{doc}");
    assert_eq!(one_error(&doc).1, 2, "{doc}");
}

#[test]
fn max_fetch_stops_fetching_and_counts_what_is_left_once() {
    let s = Served::new();
    let part = s.partial("part");
    let before = missing(&part);
    let (code, doc) = run(&part, &["history", "--max-fetch", "1"]);
    let found = !findings(&doc).is_empty();
    assert_eq!(code, Some(if found { 1 } else { 2 }), "{doc}");
    let (message, count) = one_error(&doc);
    assert!(message.contains("--max-fetch"), "{message}");
    assert!(
        count > 0 && count < before,
        "{count} of {before}: {message}"
    );
    assert_eq!(missing(&part), count, "{message}");

    // A bound that holds everything fetches everything.
    let (code, doc) = run(&part, &["history", "--max-fetch", "1g"]);
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(doc["errors"], serde_json::json!([]), "{doc}");
    assert_eq!(missing(&part), 0);
}

#[test]
fn a_dead_promisor_remote_is_one_error_naming_it() {
    let s = Served::new();
    let part = s.partial("part");
    let before = missing(&part);
    let gone = s.dir.path().join("gone.git");
    git_in(
        &part,
        &[
            "remote",
            "set-url",
            "origin",
            &format!("file://{}", gone.display()),
        ],
    );
    let (code, doc) = run(&part, &["history"]);
    assert_eq!(code, Some(2), "{doc}");
    let (message, count) = one_error(&doc);
    assert_eq!(count, before, "{message}");
    assert!(
        message.contains("promisor remote `origin`") && message.contains("failed"),
        "{message}"
    );

    // As in git, another promisor remote is asked for what the first could not send.
    git_in(&part, &["remote", "add", "backup", &s.url()]);
    git_in(&part, &["config", "remote.backup.promisor", "true"]);
    let (code, doc) = run(&part, &["history"]);
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(doc["errors"], serde_json::json!([]), "{doc}");
    assert_eq!(missing(&part), 0);
}

/// Notes fetched into a partial clone come without their blobs: a scan of main (whose walk
/// does not read the notes tree) fetches them as notes, or counts them in one error with
/// `--no-fetch`, not one error per note (missing file blobs would be counted in an error of
/// their own).
#[test]
fn a_partial_clone_fetches_its_missing_notes_or_counts_them_once() {
    let r = Repo::new();
    r.write("README", "hello\n");
    let mut ids = Vec::new();
    for i in 0..3u64 {
        // A new file each time: every file blob is at the tip, which the clone checked out.
        r.write(&format!("f{i}.txt"), format!("{i}\n"));
        r.commit(&format!("c{i}"));
        let (text, id) = pair(40 + i);
        r.git(&["notes", "add", "-m", &format!("pasted:\n{text}"), "HEAD"]);
        ids.push(id);
    }
    let dir = Fixture::new();
    let src = r.path().display().to_string();
    git_in(dir.path(), &["clone", "-q", "--mirror", &src, "srv.git"]);
    let srv = dir.path().join("srv.git");
    git_in(&srv, &["config", "uploadpack.allowFilter", "true"]);
    let url = format!("file://{}", srv.display());
    git_in(
        dir.path(),
        &["clone", "-q", "--filter=blob:none", &url, "part"],
    );
    let part = dir.path().join("part");
    git_in(
        &part,
        &["fetch", "-q", "origin", "refs/notes/*:refs/notes/*"],
    );
    assert_eq!(missing(&part), 3, "the three notes' blobs are missing");

    let (code, doc) = run(&part, &["history", "main", "--no-fetch"]);
    assert_eq!(code, Some(2), "{doc}");
    let (message, count) = one_error(&doc);
    assert_eq!(count, 3, "{message}");
    assert!(findings(&doc).is_empty(), "{doc}");

    let (code, doc) = run(&part, &["history", "main"]);
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(doc["errors"], serde_json::json!([]), "{doc}");
    let mut found: Vec<String> = findings(&doc)
        .iter()
        .map(|f| {
            assert_eq!(f["origin"], "note", "{f}");
            f["key_id"].as_str().unwrap().to_string()
        })
        .collect();
    found.sort();
    ids.sort();
    assert_eq!(found, ids);
    assert_eq!(missing(&part), 0);
}
