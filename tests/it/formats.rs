//! SARIF and GitHub annotation output (the schema check itself runs in CI:
//! `scripts/validate_sarif.sh`).

use crate::common::*;

#[test]
fn sarif_has_rules_results_locations_and_fingerprints() {
    let fx = Fixture::new();
    fx.write("dir with space/credentials", credentials_file(1).0);
    let out = fx
        .keyfence()
        .args(["scan", ".", "--format", "sarif"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let log = json_report(&out.stdout);
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["id"] == "aws-access-key"
        && r["help"]["text"].as_str().unwrap().contains("Remediation")));
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "aws-access-key");
    assert_eq!(result["level"], "error");
    assert_eq!(
        rules[result["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "aws-access-key"
    );
    let loc = &result["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "dir%20with%20space/credentials"
    );
    assert_eq!(loc["region"]["startLine"], 2);
    assert_eq!(loc["region"]["endLine"], 3);
    assert_eq!(
        result["partialFingerprints"]["keyfence/v1"]
            .as_str()
            .unwrap()
            .len(),
        32
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&secret(1)));
}

#[test]
fn github_annotations_are_workflow_commands() {
    let fx = Fixture::new();
    fx.write("a,b.env", credentials_file(2).0);
    fx.write("id.log", format!("key {}\n", key_id("AKIA", 3)));
    let out = fx
        .keyfence()
        .args(["scan", ".", "--format", "github"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("::error file=a%2Cb.env,line=2,endLine=3,col=21,title=keyfence aws-access-key (critical)::"), "{}", lines[0]);
    assert!(
        lines[1].starts_with("::notice file=id.log,line=1,"),
        "{}",
        lines[1]
    );
    assert!(!text.contains(&secret(2)));
}

#[test]
fn text_summary_line_and_quiet() {
    let fx = Fixture::new();
    fx.write("c.ini", credentials_file(4).0);
    fx.write("notes.txt", "nothing\n");
    let out = fx.keyfence().args(["scan", "."]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap();
    assert!(last.starts_with("scanned 2 files, "), "{last}");
    assert!(last.ends_with(": 1 findings (1 critical)"), "{last}");
    let quiet = fx
        .keyfence()
        .args(["scan", ".", "--quiet"])
        .output()
        .unwrap();
    let quiet = String::from_utf8_lossy(&quiet.stdout);
    assert!(!quiet.contains("scanned"), "{quiet}");
    assert!(quiet.contains("c.ini:2:21"));
}
