//! The grouped view (`--group credential`, `--format markdown|gitlab`, the CI step summary):
//! one credential copied into five files over three commits is one entry with five locations
//! and the right first commit; presence at the tip and baseline coverage; the GitLab report
//! against GitLab's published schema; redaction.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::common::*;
use crate::gitrepo::Repo;

/// A repository where one key pair goes into 5 files over 3 commits, then leaves 4 of them;
/// another key is added in the last commit. Returns the repository, the pair's key ID and
/// secret, and the three commits.
pub struct Spread {
    pub repo: Repo,
    pub key_id: String,
    pub secret: String,
    pub commits: Vec<String>,
}

pub fn spread(path_of: impl Fn(usize) -> String) -> Spread {
    let repo = Repo::new();
    let (text, key_id, secret) = credentials_file(41);
    repo.write("README.md", "docs\n");
    repo.commit("start");
    let mut commits = Vec::new();
    repo.write(&path_of(0), &text);
    repo.write(&path_of(1), format!("# copy\n{text}"));
    commits.push(repo.commit("first copies"));
    repo.write(&path_of(2), format!("\n\n{text}"));
    repo.write(&path_of(3), format!("{text}\n"));
    commits.push(repo.commit("more copies"));
    repo.write(&path_of(4), format!("x = 1\n{text}"));
    commits.push(repo.commit("last copy"));
    // Four of the five are removed again; one stays at the tip.
    for i in 1..5 {
        std::fs::remove_file(repo.path().join(path_of(i))).unwrap();
    }
    repo.write("other.env", credentials_file(42).0);
    repo.commit("clean up, and another key");
    Spread {
        repo,
        key_id,
        secret,
        commits,
    }
}

fn plain_path(i: usize) -> String {
    format!("conf/copy{i}.ini")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn credential<'a>(doc: &'a Value, key_id: &str) -> &'a Value {
    doc["credentials"]
        .as_array()
        .expect("credentials")
        .iter()
        .find(|c| c["key_id"] == key_id)
        .unwrap_or_else(|| panic!("no credential {key_id}: {doc}"))
}

#[test]
fn one_key_in_five_files_over_three_commits_is_one_credential_in_json_and_text() {
    let s = spread(plain_path);
    let out = s
        .repo
        .keyfence(&["history", "--group", "credential"], &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json_report(&out.stdout);
    // The finding list stays as it was: a history reports a credential once, at its first place.
    let places = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["key_id"] == s.key_id.as_str())
        .count();
    assert_eq!(places, 1);
    assert_eq!(doc["credentials"].as_array().unwrap().len(), 2);
    let c = credential(&doc, &s.key_id);
    let locations = c["locations"].as_array().unwrap();
    assert_eq!(locations.len(), 5);
    let mut paths: Vec<&str> = locations
        .iter()
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    paths.sort_unstable();
    assert_eq!(paths, (0..5).map(plain_path).collect::<Vec<_>>());
    assert_eq!(c["first_commit"]["id"], s.commits[0].as_str());
    assert_eq!(
        c["first_commit"]["author"],
        "Test Author <author@example.com>"
    );
    // Only conf/copy0.ini is still there at HEAD.
    assert_eq!(c["at_tip"], true);
    for l in locations {
        assert_eq!(l["at_tip"], l["path"] == "conf/copy0.ini", "{l}");
    }
    assert_eq!(c["rule_id"], "aws-access-key");
    assert_eq!(c["severity"], "critical");
    assert_eq!(c["status"], "unverified");
    assert!(c["account_id"].as_str().is_some_and(|a| a.len() == 12));
    assert_eq!(c["covered_by"], serde_json::json!([]));
    let commands: Vec<&str> = c["remediation"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["command"].as_str())
        .collect();
    assert!(commands.iter().any(|c| c.contains(&format!(
        "update-access-key --user-name <IAM-USER-NAME> --access-key-id {} --status Inactive",
        s.key_id
    ))));
    assert!(commands.iter().any(|c| c.contains(&format!(
        "AttributeKey=AccessKeyId,AttributeValue={}",
        s.key_id
    ))));
    assert!(!doc.to_string().contains(&s.secret), "redacted");

    let out = s.repo.keyfence(
        &["history", "--group", "credential", "--color", "never"],
        &[],
    );
    let text = stdout(&out);
    assert_eq!(text.matches("CRITICAL aws-access-key").count(), 2, "{text}");
    let block = text.split("\n\n").find(|b| b.contains(&s.key_id)).unwrap();
    assert!(block.contains("locations (5):"), "{block}");
    assert!(
        block.contains(&format!("introduced  {}", &s.commits[0][..12])),
        "{block}"
    );
    assert!(
        block.contains("at tip      yes (1 of 5 locations)"),
        "{block}"
    );
    assert!(text.contains("2 credentials; scanned"), "{text}");
    assert!(!text.contains(&s.secret));
}

#[test]
fn a_baselined_credential_is_listed_as_covered_and_not_reported() {
    let s = spread(plain_path);
    s.repo.keyfence_exit(&["baseline", "--history"], 0);
    // The baseline file itself is committed nowhere: it covers both keys.
    let out = s
        .repo
        .keyfence(&["history", "--group", "credential"], &["--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "covered credentials are not findings"
    );
    let doc = json_report(&out.stdout);
    assert_eq!(doc["findings"], serde_json::json!([]));
    let c = credential(&doc, &s.key_id);
    assert_eq!(c["covered_by"], serde_json::json!(["baseline"]));
    assert_eq!(c["reported"], false);
    assert_eq!(c["locations"].as_array().unwrap().len(), 5);
    // Without a grouped view nothing changes: the findings are gone and counted.
    let (code, doc, _) = s.repo.keyfence_json(&["history"]);
    assert_eq!(code, Some(0));
    assert!(doc.get("credentials").is_none());
    assert_eq!(doc["stats"]["suppressed_by"]["baseline"], 2);
}

#[test]
fn markdown_for_any_command_and_the_ci_step_summary_are_grouped_and_redacted() {
    let s = spread(plain_path);
    let out = s.repo.keyfence(&["history"], &["--format", "markdown"]);
    assert_eq!(out.status.code(), Some(1));
    let md = stdout(&out);
    assert!(md.starts_with("## keyfence\n\n2 credentials;"), "{md}");
    assert!(md.contains("| CRITICAL | aws-access-key |"), "{md}");
    assert!(md.contains(&format!(
        "aws iam update-access-key --user-name <IAM-USER-NAME> --access-key-id {}",
        s.key_id
    )));
    assert!(!md.contains(&s.secret));
    let shown = stdout(
        &s.repo
            .keyfence(&["history"], &["--format", "markdown", "--show-secrets"]),
    );
    assert!(shown.contains(&s.secret[..20]), "--show-secrets shows them");

    // A directory scan in Markdown too.
    let out = s.repo.keyfence(&["scan", "."], &["--format", "markdown"]);
    let md = stdout(&out);
    assert!(md.contains("conf/copy0.ini:"), "{md}");

    // keyfence ci appends the summary to $GITHUB_STEP_SUMMARY, whatever --format says.
    let side = Fixture::new();
    let summary = side.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    run_json(
        s.repo
            .fx
            .keyfence()
            .args(["ci", "--base", &s.commits[0], "--format", "json"])
            .env("GITHUB_STEP_SUMMARY", &summary),
        1,
    );
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.starts_with("earlier step\n## keyfence\n"), "{text}");
    assert!(text.contains("other.env"), "{text}");
    assert!(text.contains("What to do:"), "{text}");
    assert!(!text.contains(&s.secret));
}

/// Validates `report` against the vendored GitLab schema with Python's `jsonschema`.
fn validate_gitlab(dir: &Path, report: &[u8]) {
    let schema = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/gitlab/secret-detection-report-format.json");
    let file = dir.join("gl-secret-detection-report.json");
    std::fs::write(&file, report).unwrap();
    let out = Command::new("python3")
        .args([
            "-c",
            "import json, sys, jsonschema\n\
             schema = json.load(open(sys.argv[1]))\n\
             jsonschema.Draft7Validator.check_schema(schema)\n\
             errors = list(jsonschema.Draft7Validator(schema).iter_errors(json.load(open(sys.argv[2]))))\n\
             for e in errors: print(list(e.absolute_path), e.message)\n\
             sys.exit(1 if errors else 0)\n",
        ])
        .arg(&schema)
        .arg(&file)
        .output()
        .expect("python3 runs");
    assert_exit(
        &out,
        0,
        "the GitLab report does not validate (the jsonschema package is needed)",
    );
}

#[test]
fn the_gitlab_report_validates_against_the_published_schema_and_is_redacted() {
    let s = spread(plain_path);
    let out = s.repo.keyfence(&["history"], &["--format", "gitlab"]);
    assert_eq!(out.status.code(), Some(1));
    let side = Fixture::new();
    validate_gitlab(side.path(), &out.stdout);
    let doc = json_report(&out.stdout);
    assert_eq!(doc["version"], "15.0.7");
    assert_eq!(doc["scan"]["type"], "secret_detection");
    let v = doc["vulnerabilities"].as_array().unwrap();
    assert_eq!(v.len(), 6, "one per place");
    let first = v
        .iter()
        .find(|v| v["location"]["file"] == "conf/copy0.ini")
        .unwrap();
    assert_eq!(first["location"]["commit"]["sha"], s.commits[0].as_str());
    assert_eq!(first["severity"], "Critical");
    assert_eq!(first["identifiers"][0]["value"], "aws-access-key");
    assert!(first["solution"]
        .as_str()
        .unwrap()
        .contains("update-access-key"));
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&s.secret));

    // A directory scan (no commits), with an unreadable file's warning as a message.
    let fx = Fixture::new();
    fx.write("a.env", credentials_file(43).0);
    let out = fx.output(&["scan", ".", "--format", "gitlab"]);
    validate_gitlab(side.path(), &out.stdout);
    let doc = json_report(&out.stdout);
    assert_eq!(
        doc["vulnerabilities"][0]["location"]["commit"]["sha"],
        "0000000"
    );
    let shown = fx.output(&["scan", ".", "--format", "gitlab", "--show-secrets"]);
    assert!(stdout(&shown).contains(&credentials_file(43).2));
}

#[test]
fn group_is_refused_with_formats_that_list_places() {
    let fx = Fixture::new();
    fx.write("a.env", credentials_file(45).0);
    for format in ["sarif", "jsonl", "github"] {
        let out = run_exit(
            fx.keyfence()
                .args(["scan", ".", "--group", "credential", "--format", format]),
            2,
        );
        assert_contains(
            &String::from_utf8_lossy(&out.stderr),
            "--group credential applies to",
        );
    }
    // A directory scan grouped: present now, no commit.
    let doc = json_report(
        &fx.output(&["scan", ".", "--group", "credential", "--format", "json"])
            .stdout,
    );
    assert_eq!(doc["credentials"][0]["at_tip"], true);
    assert_eq!(doc["credentials"][0]["first_commit"], Value::Null);
}

#[test]
fn a_changed_file_that_still_holds_the_key_is_at_the_tip_and_a_removed_key_is_not() {
    let repo = Repo::new();
    let (text, key_id, _) = credentials_file(46);
    repo.write("app.env", &text);
    repo.commit("add");
    repo.write("app.env", format!("{text}region = eu-west-1\n"));
    repo.commit("edit around it");
    let grouped = |repo: &Repo| {
        let out = repo.keyfence(&["history", "--group", "credential"], &["--format", "json"]);
        json_report(&out.stdout)
    };
    let doc = grouped(&repo);
    let c = credential(&doc, &key_id);
    assert_eq!(c["locations"].as_array().unwrap().len(), 2, "{c:#}");
    assert_eq!(c["at_tip"], true);
    for l in c["locations"].as_array().unwrap() {
        assert_eq!(l["at_tip"], true, "{l}");
    }
    repo.write("app.env", "region = eu-west-1\n");
    repo.commit("remove the key");
    let doc = grouped(&repo);
    let c = credential(&doc, &key_id);
    assert_eq!(c["at_tip"], false, "{c:#}");
    // A range's tip is its head: at the second commit the key was still there.
    let second = repo.git(&["rev-parse", "HEAD~1"]);
    let out = repo.keyfence(
        &["history", "--group", "credential", second.trim()],
        &["--format", "json"],
    );
    let doc = json_report(&out.stdout);
    assert_eq!(credential(&doc, &key_id)["at_tip"], true);
}
