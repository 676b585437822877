//! `keyfence baseline` and the baseline read by every scan: the round trip (create, move lines
//! and files, add a new credential), the file format, explicit and broken baselines, unused
//! entries.

use std::process::Output;

use serde_json::Value;

use crate::common::*;
use crate::config::{key_ids, scan_json};

fn baseline(fx: &Fixture, args: &[&str]) -> Output {
    fx.keyfence().arg("baseline").args(args).output().unwrap()
}

fn read_json(fx: &Fixture, rel: &str) -> Value {
    json_report(&std::fs::read(fx.path().join(rel)).unwrap())
}

#[test]
fn round_trip_moved_lines_and_files_stay_suppressed_new_credentials_are_reported() {
    let fx = Fixture::new();
    let (creds, old_id, old_secret) = credentials_file(1);
    let loose_id = key_id("AKIA", 2);
    fx.write("config/dev.ini", &creds);
    fx.write("notes.md", format!("The CI user is {loose_id}.\n"));

    let out = baseline(&fx, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = std::fs::read_to_string(fx.path().join(".keyfence-baseline.json")).unwrap();
    assert!(
        !file.contains(&old_secret),
        "the baseline must not hold the secret"
    );
    assert!(!file.contains("line"), "no line numbers: {file}");
    let doc = read_json(&fx, ".keyfence-baseline.json");
    assert_eq!(doc["version"], 1);
    let entries = doc["findings"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    let fps: Vec<&str> = entries
        .iter()
        .map(|e| e["fingerprint"].as_str().unwrap())
        .collect();
    let mut sorted = fps.clone();
    sorted.sort_unstable();
    assert_eq!(fps, sorted, "sorted by fingerprint");
    let access = entries
        .iter()
        .find(|e| e["rule_id"] == "aws-access-key")
        .unwrap();
    assert_eq!(access["path"], "config/dev.ini");
    assert!(access["preview"].as_str().unwrap().starts_with(&old_id));
    assert!(access["preview"]
        .as_str()
        .unwrap()
        .contains(&old_secret[..4]));

    // Everything known is suppressed.
    let (code, report, _) = scan_json(&fx, &["."]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["stats"]["suppressed_by"]["baseline"], 2);

    // Move lines and rename the file: still suppressed.
    std::fs::remove_file(fx.path().join("config/dev.ini")).unwrap();
    fx.write(
        "settings/aws/credentials",
        format!(
            "# moved here\n\n\n[profile ci]\nregion = eu-west-1\n{}",
            &creds[10..]
        ),
    );
    let (code, report, _) = scan_json(&fx, &["."]);
    assert_eq!(code, 0, "{report}");

    // A new credential in the same file is reported, alone.
    let (new_id, new_secret) = (key_id("AKIA", 3), secret(3));
    let text = std::fs::read_to_string(fx.path().join("settings/aws/credentials")).unwrap();
    fx.write(
        "settings/aws/credentials",
        format!("{text}\n\n\n\n\n\n[profile new]\naws_access_key_id = {new_id}\naws_secret_access_key = {new_secret}\n"),
    );
    let (code, report, _) = scan_json(&fx, &["."]);
    assert_eq!(code, 1);
    assert_eq!(key_ids(&report), vec![new_id]);
    assert_eq!(report["stats"]["suppressed_by"]["baseline"], 2);
}

#[test]
fn baselines_are_stable_and_written_where_asked() {
    let fx = Fixture::new();
    for seed in 10..15 {
        fx.write(&format!("f{seed}.ini"), credentials_file(seed).0);
    }
    assert_eq!(baseline(&fx, &[]).status.code(), Some(0));
    let first = std::fs::read(fx.path().join(".keyfence-baseline.json")).unwrap();
    assert_eq!(baseline(&fx, &["-o", "other.json"]).status.code(), Some(0));
    let second = std::fs::read(fx.path().join("other.json")).unwrap();
    assert_eq!(first, second, "the same tree gives the same bytes");
    // An existing baseline does not hide findings from a new baseline.
    assert_eq!(
        read_json(&fx, "other.json")["findings"]
            .as_array()
            .unwrap()
            .len(),
        5
    );

    // `baseline DIR` writes at DIR's root, and a scan of DIR reads it there.
    fx.write("sub/a.ini", credentials_file(20).0);
    assert_eq!(baseline(&fx, &["sub"]).status.code(), Some(0));
    assert!(fx.path().join("sub/.keyfence-baseline.json").is_file());
    assert_eq!(scan_json(&fx, &["sub"]).0, 0);
}

#[test]
fn explicit_baseline_files_and_broken_ones() {
    let fx = Fixture::new();
    fx.write("a.ini", credentials_file(30).0);
    assert_eq!(
        baseline(&fx, &["-o", "ci/known.json"]).status.code(),
        Some(2),
        "no ci/ dir"
    );
    std::fs::create_dir(fx.path().join("ci")).unwrap();
    assert_eq!(
        baseline(&fx, &["-o", "ci/known.json"]).status.code(),
        Some(0)
    );
    assert_eq!(scan_json(&fx, &["."]).0, 1, "not at the root: not read");
    assert_eq!(scan_json(&fx, &[".", "--baseline", "ci/known.json"]).0, 0);

    let (code, _, stderr) = scan_json(&fx, &[".", "--baseline", "missing.json"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("missing.json"), "{stderr}");

    fx.write(
        ".keyfence-baseline.json",
        "{\n  \"version\": 1,\n  \"findings\": [\n    {\"fingerprint\": 3}\n  ]\n}\n",
    );
    let (code, _, stderr) = scan_json(&fx, &["."]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains(".keyfence-baseline.json:4:21: invalid type: integer `3`"),
        "{stderr}"
    );
}

#[test]
fn report_unused_lists_baseline_entries_that_matched_nothing() {
    let fx = Fixture::new();
    fx.write("a.ini", credentials_file(40).0);
    fx.write("b.ini", credentials_file(41).0);
    assert_eq!(baseline(&fx, &[]).status.code(), Some(0));
    std::fs::remove_file(fx.path().join("b.ini")).unwrap();
    let (code, report, stderr) = scan_json(&fx, &[".", "--report-unused"]);
    assert_eq!(code, 0);
    let unused = report["unused"].as_array().unwrap();
    assert_eq!(unused.len(), 1, "{report}");
    assert_eq!(unused[0]["entry"], "baseline");
    assert_eq!(unused[0]["detail"], "aws-access-key in b.ini");
    assert!(stderr.contains("unused baseline entry"), "{stderr}");
}

#[test]
fn baseline_of_the_history_suppresses_old_leaks_in_every_git_mode() {
    use crate::gitrepo::{findings, pair, Repo};
    let r = Repo::new();
    let (old, _) = pair(40);
    r.write("old.env", &old);
    r.commit("old leak");
    r.write("old.env", "gone\n");
    r.commit("removed");
    let out = baseline(&r.fx, &["--history"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = read_json(&r.fx, ".keyfence-baseline.json");
    assert_eq!(file["findings"].as_array().unwrap().len(), 1, "{file}");
    assert_eq!(file["findings"][0]["path"], "old.env");
    r.commit("commit the baseline");
    let (code, doc, _) = r.keyfence_json(&["history"]);
    assert_eq!((code, findings(&doc).len()), (Some(0), 0), "{doc}");
    assert_eq!(doc["stats"]["suppressed_by"]["baseline"], 1);
    // A new credential is still reported, in history and when staged.
    let (new, new_id) = pair(41);
    r.write("new.env", &new);
    r.git(&["add", "new.env"]);
    let (code, doc, _) = r.keyfence_json(&["staged"]);
    assert_eq!(code, Some(1));
    assert_eq!(findings(&doc)[0]["key_id"], new_id.as_str());
    r.commit_staged("new leak");
    let (_, doc, _) = r.keyfence_json(&["history"]);
    assert_eq!(findings(&doc).len(), 1);
    // Outside a repository it is an error.
    let out = baseline(&Fixture::new(), &["--history"]);
    assert_eq!(out.status.code(), Some(2));
}
