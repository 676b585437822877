//! `--datastore`: incremental history (only new commits walked, only new blobs read), a changed
//! ruleset rescanning, triage that survives rescans and merges, many repositories killed at
//! random points and resumed, shards merged, and the store's bad inputs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::*;
use crate::gitrepo::*;

/// `(fingerprint, path, commit, key_id_commit, line)` of each finding, sorted: what two runs
/// must agree on.
fn located(doc: &serde_json::Value) -> Vec<(String, String, String, String, u64)> {
    let mut out: Vec<_> = findings(doc)
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (
                s("fingerprint"),
                s("path"),
                s("commit"),
                s("key_id_commit"),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    out.sort();
    out
}

fn db_in(r: &Repo) -> String {
    r.path().join(".git/kf.db").display().to_string()
}

#[test]
fn a_second_run_after_three_commits_reads_only_their_blobs_and_agrees_with_a_full_scan() {
    let r = Repo::with_files(&[("README.md", "hello\n"), ("src/a.txt", "a\n")]);
    r.write("config/credentials", pair(1).0);
    r.commit("add credentials");
    r.write("src/b.txt", "b\n");
    r.commit("more");
    let db = db_in(&r);
    let (code, doc, stderr) = r.keyfence_json(&["history", "--datastore", &db]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(doc["stats"]["files_scanned"], 4, "{doc}");
    // Three new commits: a new file with a credential, a changed file, a file restored to its
    // old version (a blob the base holds at that path: not read again).
    r.write("deploy/prod.env", pair(2).0);
    let c4 = r.commit("prod");
    r.write("src/a.txt", "a changed\n");
    r.commit("change a");
    r.write("src/a.txt", "a\n");
    r.commit("restore a");
    let (code, doc, stderr) = r.keyfence_json(&["history", "--datastore", &db]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(doc["stats"]["commits_scanned"], 3, "{doc}");
    assert_eq!(doc["stats"]["files_scanned"], 2, "{doc}");
    let (_, full, _) = r.keyfence_json(&["history"]);
    assert_eq!(located(&doc), located(&full));
    assert_eq!(findings(&doc).len(), 2);
    // A file copied to a new directory: its blob was scanned before (the store knows it), so it
    // is not read again.
    r.write("copy/b.txt", "b\n");
    r.commit("copy b");
    let (_, doc, _) = r.keyfence_json(&["history", "--datastore", &db]);
    assert_eq!(doc["stats"]["files_scanned"], 0, "{doc}");
    assert_eq!(doc["stats"]["blobs_known"], 1, "{doc}");
    // --new: only what this run found first; nothing on a run that finds nothing new.
    r.write("later.env", pair(3).0);
    let c7 = r.commit("later");
    let (code, doc, _) = r.keyfence_json(&["history", "--datastore", &db, "--new"]);
    assert_eq!(code, Some(1));
    assert_eq!(commits(&doc), [c7]);
    let (code, doc, _) = r.keyfence_json(&["history", "--datastore", &db, "--new"]);
    assert_eq!((code, findings(&doc).len()), (Some(0), 0), "{doc}");
    assert_eq!(doc["stats"]["commits_scanned"], 0);
    // Without --new every open finding is still listed, from the store.
    let (_, doc, _) = r.keyfence_json(&["history", "--datastore", &db]);
    assert_eq!(findings(&doc).len(), 3);
    assert!(summary(&doc).iter().any(|s| s.2 == c4));
}

#[test]
fn a_key_id_committed_before_its_secret_pairs_across_runs_as_in_one_walk() {
    let r = Repo::new();
    let id = key_id("AKIA", 21);
    r.write("app.cfg", format!("aws_access_key_id = {id}\n"));
    let first = r.commit("key id alone");
    let db = db_in(&r);
    let (code, doc, _) = r.keyfence_json(&["history", "--datastore", &db]);
    assert_eq!((code, findings(&doc).len()), (Some(1), 1));
    r.write(
        "app.cfg",
        format!(
            "aws_access_key_id = {id}\naws_secret_access_key = {}\n",
            secret(21)
        ),
    );
    r.commit("secret too");
    let (_, doc, _) = r.keyfence_json(&["history", "--datastore", &db]);
    let (_, full, _) = r.keyfence_json(&["history"]);
    assert_eq!(located(&doc), located(&full));
    assert_eq!(findings(&doc).len(), 1, "{doc}");
    assert_eq!(findings(&doc)[0]["key_id_commit"], first.as_str());
}

#[test]
fn a_new_rule_rescans_everything_and_an_unchanged_one_nothing() {
    let r = Repo::with_files(&[
        ("notes.txt", "deploy with kfst_q8w7e6r5t4y3u2i1o9p8a7s6\n"),
        ("README.md", "hi\n"),
    ]);
    let db = db_in(&r);
    let (code, doc, _) = r.keyfence_json(&["history", "--datastore", &db]);
    assert_eq!(
        (code, doc["stats"]["files_scanned"].as_u64()),
        (Some(0), Some(2))
    );
    // The configuration is read from the work tree: not committed, so the history is the same.
    r.write(".git/info/exclude", ".keyfence.toml\n");
    r.write(
        ".keyfence.toml",
        r#"[[rules]]
id = "store-token"
description = "A test token"
severity = "high"
keywords = ["kfst_"]
regex = '''kfst_(?P<secret>[a-z0-9]{24})'''
examples = ["token kfst_z9y8x7w6v5u4t3s2r1q0p9o8"]
"#,
    );
    let (code, doc, stderr) = r.keyfence_json(&["history", "--datastore", &db]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(doc["stats"]["files_scanned"], 2, "{doc}");
    assert_eq!(findings(&doc)[0]["rule_id"], "store-token");
    let (_, doc, _) = r.keyfence_json(&["history", "--datastore", &db]);
    assert_eq!(doc["stats"]["files_scanned"], 0, "{doc}");
    assert_eq!(findings(&doc).len(), 1);
    // The rule narrowed so that it no longer matches: a rescan, and the stale finding is gone.
    let narrowed = std::fs::read_to_string(r.path().join(".keyfence.toml"))
        .unwrap()
        .replace("[a-z0-9]{24}", "[A-Z]{24}");
    r.write(".keyfence.toml", narrowed);
    let (code, doc, _) = r.keyfence_json(&["history", "--datastore", &db]);
    assert_eq!((code, findings(&doc).len()), (Some(0), 0), "{doc}");
    assert_eq!(doc["stats"]["files_scanned"], 2);
    // Back to the first rules: their tips and blobs are still known, nothing is read.
    std::fs::remove_file(r.path().join(".keyfence.toml")).unwrap();
    let (code, doc, _) = r.keyfence_json(&["history", "--datastore", &db]);
    assert_eq!((code, findings(&doc).len()), (Some(0), 0), "{doc}");
    assert_eq!(doc["stats"]["files_scanned"], 0);
}

#[test]
fn triage_closes_a_finding_for_the_gate_and_survives_rescans_and_merges() {
    let r = Repo::with_files(&[("README.md", "hi\n")]);
    let (text, id) = pair(31);
    r.write("a.env", text);
    r.commit("one");
    r.write("b.env", pair(32).0);
    r.commit("two");
    let db = db_in(&r);
    let (code, doc, _) = r.keyfence_json(&["history", "--datastore", &db]);
    assert_eq!((code, findings(&doc).len()), (Some(1), 2));
    let other = findings(&doc)
        .iter()
        .find(|f| f["path"] == "b.env")
        .unwrap()["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    r.keyfence_exit(
        &[
            "triage",
            &id,
            "--status",
            "revoked",
            "--note",
            "rotated",
            "--by",
            "Sec Team",
            "--datastore",
            &db,
        ],
        0,
    );
    r.keyfence_exit(
        &["triage", &other, "--status", "accepted", "--datastore", &db],
        0,
    );
    // The revoked one is gone from the report; the accepted one is shown with its status and
    // still fails the gate.
    let (code, doc, _) = r.keyfence_json(&["history", "--datastore", &db]);
    assert_eq!((code, findings(&doc).len()), (Some(1), 1), "{doc}");
    assert_eq!(findings(&doc)[0]["triage"]["status"], "accepted");
    assert_eq!(doc["stats"]["closed_by_triage"], 1);
    // The grouped view lists the revoked credential too, as covered by its triage.
    let (code, doc, _) = r.keyfence_json(&[
        "ci",
        "--base",
        "HEAD~2",
        "--datastore",
        &db,
        "--group",
        "credential",
    ]);
    assert_eq!(code, Some(1), "{doc}");
    let covered: Vec<String> = doc["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["covered_by"].to_string())
        .collect();
    assert_eq!(covered.len(), 2, "{doc}");
    assert!(
        covered.contains(&r#"["triage:revoked"]"#.to_string()),
        "{covered:?}"
    );
    assert!(covered.contains(&"[]".to_string()), "{covered:?}");
    r.keyfence_exit(
        &[
            "triage",
            &other,
            "--status",
            "false-positive",
            "--datastore",
            &db,
        ],
        0,
    );
    let (code, doc, _) = r.keyfence_json(&["history", "--datastore", &db]);
    assert_eq!((code, findings(&doc).len()), (Some(0), 0), "{doc}");
    // A rescan (new commits) keeps the triage.
    r.write("c.txt", "c\n");
    r.commit("three");
    let (code, _, _) = r.keyfence_json(&["history", "--datastore", &db]);
    assert_eq!(code, Some(0));
    // The store alone: every status, or one.
    let (code, doc, _) = r.keyfence_json(&["findings", "--datastore", &db]);
    assert_eq!((code, findings(&doc).len()), (Some(0), 2));
    let (_, doc, _) = r.keyfence_json(&["findings", "--datastore", &db, "--status", "revoked"]);
    let f = &findings(&doc)[0];
    assert_eq!(f["key_id"], id.as_str());
    assert_eq!(f["triage"]["by"], "Sec Team");
    assert_eq!(f["triage"]["note"], "rotated");
    assert!(f["triage"]["at"].as_str().unwrap().starts_with("20"), "{f}");
    // Merged into another store, the triage comes along; merging again changes nothing.
    let merged = r.path().join(".git/merged.db").display().to_string();
    for _ in 0..2 {
        r.keyfence_exit(&["datastore", "merge", &merged, &db], 0);
        let (_, doc, _) = r.keyfence_json(&["findings", "--datastore", &merged]);
        assert_eq!(findings(&doc).len(), 2);
        let statuses: BTreeSet<String> = findings(&doc)
            .iter()
            .map(|f| f["triage"]["status"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            statuses,
            ["false-positive", "revoked"].map(String::from).into()
        );
    }
    // `ci` with the same store: the closed findings do not fail the gate.
    let (code, _, _) = r.keyfence_json(&["ci", "--base", "HEAD~3", "--datastore", &db]);
    assert_eq!(code, Some(0));
    let (code, _, _) = r.keyfence_json(&["ci", "--base", "HEAD~3"]);
    assert_eq!(code, Some(1));
    // An unknown target is an error naming it.
    let out = r.keyfence_exit(
        &["triage", "nope", "--status", "open", "--datastore", &db],
        2,
    );
    assert_contains(&String::from_utf8_lossy(&out.stderr), "no finding has");
}

/// `n` small repositories, each with a few commits and credentials of their own.
fn small_repos(n: u64) -> Vec<Repo> {
    (0..n)
        .map(|k| {
            let r = Repo::with_files(&[("README.md", &format!("repo {k}\n"))]);
            r.write(&format!("conf/{k}.env"), pair(100 + k).0);
            r.commit("creds");
            r.write("src/x.txt", format!("x {k}\n"));
            r.write("deploy/k.env", pair(200 + k).0);
            r.commit("more");
            r
        })
        .collect()
}

fn repos_file(dir: &Path, repos: &[&Repo]) -> PathBuf {
    let list: String = repos
        .iter()
        .map(|r| format!("{}\n", r.path().display()))
        .collect();
    let p = dir.join(format!("repos-{}.txt", repos.len()));
    std::fs::write(&p, list).unwrap();
    p
}

/// `(repository, fingerprint, path, commit)` of every finding in the store, as `findings` lists
/// them (duplicates kept, so that a test can see them).
fn stored(dir: &Path, db: &Path) -> Vec<(String, String, String, String)> {
    let out = keyfence_in(dir)
        .args(["findings", "--format", "json", "--datastore"])
        .arg(db)
        .output()
        .unwrap();
    assert!(
        out.status.code() != Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json_report(&out.stdout);
    let mut v: Vec<_> = findings(&doc)
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (s("repository"), s("fingerprint"), s("path"), s("commit"))
        })
        .collect();
    v.sort();
    v
}

fn history_run(dir: &Path, db: &Path, list: &Path) -> std::process::Command {
    let mut cmd = keyfence_in(dir);
    cmd.args([
        "history",
        "--format",
        "json",
        "--threads",
        "1",
        "--datastore",
    ])
    .arg(db)
    .arg("--repos")
    .arg(list);
    cmd
}

#[test]
fn a_many_repository_run_killed_at_random_points_resumes_without_loss_or_duplicates() {
    let repos = small_repos(6);
    let work = Fixture::new();
    let list = repos_file(work.path(), &repos.iter().collect::<Vec<_>>());
    let reference_db = work.path().join("reference.db");
    let t0 = Instant::now();
    run_exit(&mut history_run(work.path(), &reference_db, &list), 1);
    let took = t0.elapsed();
    let reference = stored(work.path(), &reference_db);
    assert_eq!(reference.len(), 12);
    let mut killed_mid_run = 0;
    for seed in 0..20u64 {
        let db = work.path().join(format!("killed-{seed}.db"));
        // A kill point spread over the whole run (a splitmix step of the seed).
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        let at = took.mul_f64((z % 1000) as f64 / 1000.0 * 1.1);
        let mut child = history_run(work.path(), &db, &list)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(at);
        if child.try_wait().unwrap().is_none() {
            killed_mid_run += 1;
        }
        child.kill().ok(); // SIGKILL
        child.wait().unwrap();
        // The store's name in the failure message names the seed.
        let doc = run_json(&mut history_run(work.path(), &db, &list), 1);
        assert_eq!(findings(&doc).len(), 12, "seed {seed}");
        assert_eq!(stored(work.path(), &db), reference, "seed {seed}");
    }
    assert!(
        killed_mid_run >= 5,
        "only {killed_mid_run} runs were killed before they ended"
    );
}

#[test]
fn two_shards_merged_equal_one_run_over_both_lists() {
    let repos = small_repos(4);
    let work = Fixture::new();
    let all = repos_file(work.path(), &repos.iter().collect::<Vec<_>>());
    let a = repos_file(work.path(), &[&repos[0], &repos[1]]);
    let b = work.path().join("b.txt");
    std::fs::write(
        &b,
        format!(
            "# shard b\n{}\n\n{}\n",
            repos[2].path().display(),
            repos[3].path().display()
        ),
    )
    .unwrap();
    let one = work.path().join("one.db");
    let (sa, sb) = (work.path().join("a.db"), work.path().join("b.db"));
    for (db, list) in [(&one, &all), (&sa, &a), (&sb, &b)] {
        run_exit(&mut history_run(work.path(), db, list), 1);
    }
    let merged = work.path().join("merged.db");
    for _ in 0..2 {
        run_exit(
            keyfence_in(work.path())
                .args(["datastore", "merge"])
                .args([&merged, &sa, &sb]),
            0,
        );
        assert_eq!(stored(work.path(), &merged), stored(work.path(), &one));
    }
    // The merged store knows what was walked: a run over both lists with it reads nothing.
    let out = history_run(work.path(), &merged, &all).output().unwrap();
    let doc = json_report(&out.stdout);
    assert_eq!(doc["stats"]["files_scanned"], 0, "{doc}");
    assert_eq!(findings(&doc).len(), 8);
}

#[test]
fn clone_urls_are_mirrored_once_and_fetched_on_later_runs() {
    let origin = small_repos(1).pop().unwrap();
    let work = Fixture::new();
    let url = format!("file://{}", origin.path().display());
    let list = work.path().join("urls.txt");
    std::fs::write(&list, format!("{url}\n")).unwrap();
    let db = work.path().join("s.db");
    let doc = run_json(&mut history_run(work.path(), &db, &list), 1);
    assert_eq!(findings(&doc)[0]["repository"], url.as_str());
    let clones: Vec<_> = std::fs::read_dir(work.path().join("s.db.clones"))
        .unwrap()
        .collect();
    assert_eq!(clones.len(), 1);
    origin.write("new.env", pair(77).0);
    let c = origin.commit("new credential");
    let out = history_run(work.path(), &db, &list)
        .arg("--new")
        .output()
        .unwrap();
    let doc = json_report(&out.stdout);
    assert_eq!(commits(&doc), [c]);
    assert_eq!(doc["stats"]["commits_scanned"], 1);
}

/// Runs `history --datastore db` in `r`, returning exit code and stderr.
fn run_with(r: &Repo, db: &Path, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut cmd = r.fx.keyfence();
    cmd.args(["history", "--datastore"]).arg(db);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `history --datastore db` in `r` and asserts that it fails (exit 2) saying `part`;
/// returns what it said.
fn refused(r: &Repo, db: &Path, part: &str) -> String {
    let (code, err) = run_with(r, db, &[]);
    assert_eq!(code, Some(2), "{err}");
    assert_contains(&err, part);
    err
}

/// Runs `sql` on the SQLite file at `path`, as another program would.
fn sql(path: &Path, sql: &str) {
    rusqlite::Connection::open(path)
        .unwrap()
        .execute_batch(sql)
        .unwrap();
}

#[test]
fn bad_stores_are_refused_by_name_and_left_as_they_were() {
    let r = Repo::with_files(&[("a.txt", "a\n")]);
    let dir = r.path().join(".git");
    // A text file.
    let text = dir.join("notes.db");
    std::fs::write(&text, "not a database\n").unwrap();
    refused(&r, &text, "notes.db: not a keyfence datastore");
    assert_eq!(std::fs::read_to_string(&text).unwrap(), "not a database\n");
    // Another program's SQLite database.
    let other = dir.join("other.db");
    sql(&other, "CREATE TABLE t (x)");
    refused(&r, &other, "another program");
    // A newer schema.
    let db = dir.join("kf.db");
    assert_eq!(run_with(&r, &db, &[]).0, Some(0));
    sql(&db, "PRAGMA user_version = 99");
    refused(&r, &db, "schema version 99 is newer");
    // A damaged one: pages overwritten past the header.
    let db = dir.join("damaged.db");
    assert_eq!(run_with(&r, &db, &[]).0, Some(0));
    let mut bytes = std::fs::read(&db).unwrap();
    for b in bytes.iter_mut().skip(4096).take(8192) {
        *b = 0x5a;
    }
    std::fs::write(&db, &bytes).unwrap();
    let err = refused(&r, &db, "damaged.db");
    assert!(!err.contains("panicked"), "{err}");
    // Read-only.
    let db = dir.join("ro.db");
    assert_eq!(run_with(&r, &db, &[]).0, Some(0));
    let mut perms = std::fs::metadata(&db).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&db, perms).unwrap();
    refused(&r, &db, "ro.db: the datastore is read-only");
    // Reading a read-only store works.
    r.keyfence_exit(&["findings", "--datastore", ".git/ro.db"], 0);
    // Missing, for a command that only reads.
    let out = r.keyfence_exit(&["findings", "--datastore", "nowhere.db"], 2);
    assert_contains(
        &String::from_utf8_lossy(&out.stderr),
        "nowhere.db: no such datastore",
    );
}

#[test]
fn a_second_writer_waits_for_the_busy_timeout_then_fails_naming_the_store() {
    let r = Repo::with_files(&[("a.env", &pair(5).0)]);
    let db = r.path().join(".git/kf.db");
    assert_eq!(run_with(&r, &db, &[]).0, Some(1));
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    let t0 = Instant::now();
    let (code, err) = run_with(&r, &db, &[("KEYFENCE_DATASTORE_TIMEOUT", "0.5")]);
    assert_eq!(code, Some(2));
    assert!(err.contains("kf.db: the datastore is locked"), "{err}");
    assert!(t0.elapsed() >= Duration::from_millis(400));
    conn.execute_batch("ROLLBACK").unwrap();
    drop(conn);
    // Once the other writer is gone, the same run works.
    assert_eq!(run_with(&r, &db, &[]).0, Some(1));
}

#[test]
fn scan_with_a_store_applies_triage_and_new() {
    let fx = Fixture::new();
    let (text, id) = pair(41);
    fx.write("app/creds.ini", &text);
    let db = fx.path().join("s.db").display().to_string();
    let run = |extra: &[&str]| {
        let out = fx
            .keyfence()
            .args(["scan", "app", "--format", "json", "--datastore", &db])
            .args(extra)
            .output()
            .unwrap();
        (out.status.code(), json_report(&out.stdout))
    };
    let (code, doc) = run(&["--new"]);
    assert_eq!((code, findings(&doc).len()), (Some(1), 1));
    let (code, doc) = run(&["--new"]);
    assert_eq!((code, findings(&doc).len()), (Some(0), 0));
    run_exit(
        fx.keyfence().args([
            "triage",
            &id,
            "--status",
            "false-positive",
            "--datastore",
            &db,
        ]),
        0,
    );
    let (code, doc) = run(&[]);
    assert_eq!((code, findings(&doc).len()), (Some(0), 0));
    assert_eq!(doc["stats"]["closed_by_triage"], 1);
}

#[test]
fn a_repository_that_cannot_be_opened_is_an_error_of_the_run_and_the_others_go_on() {
    let repos = small_repos(1);
    let work = Fixture::new();
    let not_git = work.path().join("plain");
    std::fs::create_dir(&not_git).unwrap();
    let db = work.path().join("s.db");
    let out = run_exit(
        keyfence_in(work.path())
            .args(["history", "--format", "json", "--datastore"])
            .arg(&db)
            .arg(&not_git)
            .arg(repos[0].path())
            .arg("main..feature"),
        1,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let doc = json_report(&out.stdout);
    assert_eq!(findings(&doc).len(), 2);
    let errors = doc["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{doc}");
    assert!(stderr.contains("plain: not a git repository"), "{stderr}");
    assert!(
        stderr.contains("main..feature: no such repository"),
        "{stderr}"
    );
    assert!(stderr.contains("[2/3]"), "{stderr}");
}

#[test]
fn verification_outcomes_are_recorded_in_the_store_with_their_time() {
    let fx = Fixture::new();
    let (text, id) = pair(51);
    fx.write("creds", text);
    let closed = format!("http://127.0.0.1:{}", crate::moto::free_port());
    let db = fx.path().join("v.db");
    let doc = run_json(
        fx.keyfence()
            .args(["scan", "creds", "--format", "json", "--verify"])
            .args(["--verify-endpoint", &closed, "--datastore"])
            .arg(&db),
        1,
    );
    let fp = findings(&doc)[0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (status, outcome, at): (String, String, String) = conn
        .query_row(
            "SELECT status, outcome, at FROM verifications WHERE fingerprint = ?1",
            [&fp],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(status, "unavailable");
    assert!(outcome.contains("unavailable"), "{outcome}");
    assert!(at.starts_with("20"), "{at}");
    let key: String = conn
        .query_row(
            "SELECT key_id FROM findings WHERE fingerprint = ?1",
            [&fp],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(key, id);
}

#[test]
fn the_store_keeps_whether_each_finding_is_still_at_head() {
    let r = Repo::with_files(&[("gone.env", &pair(61).0), ("kept.env", &pair(62).0)]);
    std::fs::remove_file(r.path().join("gone.env")).unwrap();
    r.commit("remove one");
    let db = r.path().join(".git/kf.db");
    assert_eq!(run_with(&r, &db, &[]).0, Some(1));
    let conn = rusqlite::Connection::open(&db).unwrap();
    let mut stmt = conn
        .prepare("SELECT path, at_tip FROM findings ORDER BY path")
        .unwrap();
    let rows: Vec<(String, Option<bool>)> = stmt
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        rows,
        [
            ("gone.env".to_string(), Some(false)),
            ("kept.env".to_string(), Some(true))
        ]
    );
}

#[test]
fn findings_shows_the_verification_outcomes_the_store_recorded_without_asking_again() {
    let moto = crate::moto::Moto::start();
    let (id, sk) = moto.create_key("store-reader");
    let fx = Fixture::new();
    fx.write(
        "app/creds",
        format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = {sk}\n"),
    );
    let db = fx.path().join("v.db").display().to_string();
    let verified = run_json(
        fx.keyfence()
            .args(["scan", "app", "--format", "json", "--datastore", &db])
            .args(["--verify", "--verify-endpoint", &moto.endpoint]),
        1,
    );
    assert_eq!(findings(&verified)[0]["verification"]["status"], "active");
    // A credential scanned later without --verify has no outcome.
    let (text, other) = pair(71);
    fx.write("app/later.env", text);
    run_exit(
        fx.keyfence()
            .args(["scan", "app", "--format", "json", "--datastore", &db]),
        1,
    );
    let posts = moto.posts_reaching(1);
    let doc = run_json(
        fx.keyfence()
            .args(["findings", "--format", "json", "--datastore", &db]),
        1,
    );
    let by_key = |key: &str| {
        findings(&doc)
            .into_iter()
            .find(|f| f["key_id"] == key)
            .unwrap_or_else(|| panic!("no finding of {key}: {doc}"))
    };
    // The outcome as the scan reported it, field for field.
    assert_eq!(
        by_key(&id)["verification"],
        findings(&verified)[0]["verification"],
        "{doc}"
    );
    assert_eq!(
        by_key(&id)["verification"]["arn"],
        "arn:aws:iam::123456789012:user/store-reader"
    );
    assert!(by_key(&other).get("verification").is_none(), "{doc}");
    let out = run_exit(
        fx.keyfence()
            .args(["findings", "--color", "never", "--datastore", &db]),
        1,
    );
    assert_contains(
        &String::from_utf8_lossy(&out.stdout),
        "verify   ACTIVE: arn:aws:iam::123456789012:user/store-reader",
    );
    assert_eq!(moto.posts(), posts, "findings asked STS nothing");

    // An outcome another program wrote that does not read back is an error naming the store.
    sql(
        Path::new(&db),
        "UPDATE verifications SET outcome = '{\"status\": \"maybe\"}'",
    );
    let out = run_exit(fx.keyfence().args(["findings", "--datastore", &db]), 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_contains(&err, "v.db: the verification outcome of");
    assert_contains(&err, "does not read back: unknown status `maybe`");
}

#[test]
fn a_tag_made_after_a_run_on_a_commit_walked_then_is_scanned_by_the_next() {
    let r = Repo::with_files(&[("README.md", "hello\n")]);
    let db = db_in(&r);
    let (code, doc, stderr) = r.keyfence_json(&["history", "--datastore", &db]);
    assert_eq!(code, Some(0), "{stderr}{doc}");
    // No new commit: only a tag of the commit the first run walked, with a pasted pair.
    let (text, id) = pair(31);
    r.git(&["tag", "-a", "-m", &format!("release\n\n{text}"), "v1"]);
    let (code, doc, stderr) = r.keyfence_json(&["history", "--datastore", &db]);
    assert_eq!(code, Some(1), "{stderr}{doc}");
    assert_eq!(doc["stats"]["commits_scanned"], 0, "{doc}");
    let found = findings(&doc);
    assert_eq!(found.len(), 1, "{doc}");
    assert_eq!(found[0]["origin"], "tag-message");
    assert_eq!(found[0]["key_id"], id.as_str());
    // Found once: a later run lists it from the store, --new does not list it again.
    let (code, doc, _) = r.keyfence_json(&["history", "--datastore", &db, "--new"]);
    assert_eq!((code, findings(&doc).len()), (Some(0), 0), "{doc}");
    let (_, doc, _) = r.keyfence_json(&["history", "--datastore", &db]);
    assert_eq!(findings(&doc).len(), 1, "{doc}");
}
