//! `.keyfence.toml`: each allowlist field, custom rules, disabled rules, overrides, the pairing
//! window, `keyfence config`, the documented example (bad configurations: `config_errors.rs`).

use std::process::Output;

use serde_json::Value;

use crate::common::*;

/// Runs `keyfence ARGS --format json` in the fixture: exit code, report, stderr.
pub fn scan_json(fx: &Fixture, args: &[&str]) -> (i32, Value, String) {
    let out = fx
        .keyfence()
        .arg("scan")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code != 2 || out.stdout.is_empty() || !stderr.is_empty(),
        "exit 2 without a message"
    );
    if out.stdout.is_empty() {
        return (code, Value::Null, stderr);
    }
    (code, json_report(&out.stdout), stderr)
}

/// The rule ids of a report's findings.
pub fn rule_ids(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect()
}

/// The key IDs of a report's findings.
pub fn key_ids(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["key_id"].as_str().map(str::to_string))
        .collect()
}

/// Runs `keyfence ARGS` in the fixture.
pub fn run(fx: &Fixture, args: &[&str]) -> Output {
    fx.keyfence().args(args).output().unwrap()
}

/// Asserts that `files` have findings without a configuration and none with `config`, where
/// every finding counts as allowlisted.
fn allowlisted_by(files: &[(&str, String)], config: &str) {
    allowlisted_by_with_own(files, config, 0);
}

/// As [`allowlisted_by`], when `.keyfence.toml` itself holds `own` findings (key IDs it lists),
/// which are allowed as keyfence's own file.
fn allowlisted_by_with_own(files: &[(&str, String)], config: &str, own: u64) {
    let fx = Fixture::new();
    for (rel, text) in files {
        fx.write(rel, text);
    }
    let (code, report, _) = scan_json(&fx, &["."]);
    assert_eq!(code, 1, "found without the entry: {report}");
    let before = report["findings"].as_array().unwrap().len();
    fx.write(".keyfence.toml", config);
    let (code, report, stderr) = scan_json(&fx, &["."]);
    assert_eq!(code, 0, "suppressed with the entry: {report} {stderr}");
    assert_eq!(report["stats"]["suppressed"], before as u64 + own);
    assert_eq!(
        report["stats"]["suppressed_by"]["allowlist"],
        before as u64 + own
    );
}

#[test]
fn allowlist_paths_are_gitignore_globs_relative_to_the_root() {
    let (creds, _, _) = credentials_file(1);
    allowlisted_by(
        &[
            ("fixtures/dev/credentials", creds.clone()),
            ("docs/a.md", creds.clone()),
        ],
        "[allowlist]\npaths = ['/fixtures/', '*.md']\n",
    );
    // Anchored: `/fixtures/` does not match `src/fixtures/`.
    let fx = Fixture::new();
    fx.write("src/fixtures/credentials", &creds);
    fx.write(".keyfence.toml", "[allowlist]\npaths = ['/fixtures/']\n");
    let (code, report, _) = scan_json(&fx, &["."]);
    assert_eq!(code, 1, "{report}");
}

#[test]
fn allowlist_regexes_match_the_secret_by_default() {
    let (creds, _, sk) = credentials_file(2);
    allowlisted_by(
        &[("creds.ini", creds)],
        &format!("[allowlist]\nregexes = ['^{}']\n", regex_escape(&sk[..10])),
    );
}

#[test]
fn allowlist_regex_target_match_and_line() {
    let id = key_id("AKIA", 3);
    let sk = secret(3);
    let text = format!("client = make(\"{id}\", \"{sk}\")  # test double\n");
    // `match`: the text from key ID to secret.
    allowlisted_by(
        &[("a.py", text.clone())],
        &format!(
            "[allowlist]\nregexes = ['{}\", \"{}']\nregex_target = 'match'\n",
            &id[16..],
            regex_escape(&sk[..4])
        ),
    );
    // `line`: the whole line, comment included.
    allowlisted_by(
        &[("a.py", text.clone())],
        "[allowlist]\nregexes = ['# test double$']\nregex_target = 'line'\n",
    );
    // The same line regex against the default target (the secret) allows nothing.
    let fx = Fixture::new();
    fx.write("a.py", &text);
    fx.write(
        ".keyfence.toml",
        "[allowlist]\nregexes = ['# test double$']\n",
    );
    assert_eq!(scan_json(&fx, &["."]).0, 1);
}

#[test]
fn allowlist_stopwords_are_case_insensitive_substrings() {
    let (creds, id, _) = credentials_file(4);
    allowlisted_by(
        &[("creds.ini", creds)],
        &format!(
            "[allowlist]\nstopwords = ['{}']\n",
            id[4..12].to_lowercase()
        ),
    );
}

#[test]
fn allowlist_key_ids_are_exact() {
    let (creds, id, _) = credentials_file(5);
    allowlisted_by_with_own(
        &[("creds.ini", creds.clone())],
        &format!("[allowlist]\nkey_ids = ['{id}']\n"),
        1,
    );
    let fx = Fixture::new();
    fx.write("creds.ini", &creds);
    fx.write(
        ".keyfence.toml",
        format!("[allowlist]\nkey_ids = ['{}']\n", &id[..19]),
    );
    assert_eq!(scan_json(&fx, &["."]).0, 1);
}

#[test]
fn allowlist_accounts_match_the_account_decoded_from_the_key_id() {
    let sandbox = 123_456_789_012;
    let id = key_id_for_account("AKIA", sandbox, 6);
    let other = key_id_for_account("AKIA", 210_987_654_321, 6);
    let fx = Fixture::new();
    fx.write("sandbox.env", format!("AWS_ACCESS_KEY_ID={id}\n"));
    fx.write("prod.env", format!("AWS_ACCESS_KEY_ID={other}\n"));
    let (code, report, _) = scan_json(&fx, &["."]);
    assert_eq!((code, key_ids(&report).len()), (1, 2), "{report}");
    fx.write(
        ".keyfence.toml",
        "[allowlist]\naccounts = ['123456789012']\n",
    );
    let (code, report, _) = scan_json(&fx, &["."]);
    assert_eq!(code, 1);
    assert_eq!(key_ids(&report), vec![other]);
    assert_eq!(report["stats"]["suppressed_by"]["allowlist"], 1);
}

#[test]
fn allowlist_commits_are_validated_and_unused_in_file_mode() {
    let (creds, _, _) = credentials_file(7);
    let fx = Fixture::new();
    fx.write("creds.ini", &creds);
    fx.write(".keyfence.toml", "[allowlist]\ncommits = ['abc']\n");
    let (code, _, stderr) = scan_json(&fx, &["."]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains(".keyfence.toml:2:12: allowlist: commits: `abc` is not a commit id"),
        "{stderr}"
    );
    // Files have no commit: a valid commit entry suppresses nothing and is reported unused.
    fx.write(
        ".keyfence.toml",
        "[allowlist]\ncommits = ['0123456789abcdef']\n",
    );
    let (code, report, stderr) = scan_json(&fx, &[".", "--report-unused"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("unused allowlist.commits entry: 0123456789abcdef"),
        "{stderr}"
    );
    assert_eq!(report["unused"][0]["entry"], "allowlist.commits");
}

#[test]
fn report_unused_lists_allowlist_entries_that_matched_nothing() {
    let (creds, id, _) = credentials_file(8);
    let fx = Fixture::new();
    fx.write("creds.ini", &creds);
    fx.write(
        ".keyfence.toml",
        format!(
            "[allowlist]\npaths = ['nothing/']\nregexes = ['^nomatch$']\nstopwords = ['zzzz']\nkey_ids = ['{id}']\naccounts = ['000000000000']\n"
        ),
    );
    let (code, report, stderr) = scan_json(&fx, &[".", "--report-unused"]);
    assert_eq!(code, 0, "{report}");
    let entries: Vec<(String, String)> = report["unused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["entry"].as_str().unwrap().to_string(),
                u["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("allowlist.paths", "nothing/"),
        ("allowlist.regexes", "^nomatch$"),
        ("allowlist.stopwords", "zzzz"),
        ("allowlist.accounts", "000000000000"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(entries, expected);
    assert!(
        stderr.contains("unused allowlist.paths entry: nothing/"),
        "{stderr}"
    );
    // Without the flag, no `unused` key.
    let (_, report, _) = scan_json(&fx, &["."]);
    assert!(report.get("unused").is_none());
}

#[test]
fn custom_rules_with_their_own_allowlist_go_through_the_prefilter() {
    let fx = Fixture::new();
    fx.write(
        ".keyfence.toml",
        r#"
[[rules]]
id = "internal-token"
description = "Internal deploy token"
severity = "high"
keywords = ["kfdt_"]
regex = '''kfdt_(?P<secret>[a-z0-9]{24})'''
entropy = 3.0
examples = ["token: kfdt_a8f3k2m9x7q1w5e6r4t2y8u0"]
negative_examples = ["kfdt_aaaaaaaaaaaaaaaaaaaaaaaa"]

[rules.allowlist]
paths = ["samples/"]
"#,
    );
    fx.write("deploy.yml", "token: kfdt_a8f3k2m9x7q1w5e6r4t2y8u0\n");
    fx.write(
        "samples/deploy.yml",
        "token: kfdt_z8f3k2m9x7q1w5e6r4t2y8u1\n",
    );
    fx.write("low.yml", "token: kfdt_aaaaaaaaaaaaaaaaaaaaaaaa\n");
    let (code, report, _) = scan_json(&fx, &["."]);
    assert_eq!(code, 1);
    assert_eq!(rule_ids(&report), vec!["internal-token"]);
    assert_eq!(report["findings"][0]["path"], "deploy.yml");
    assert_eq!(report["findings"][0]["severity"], "high");
    // samples/deploy.yml by the rule's allowlist, and the rule's example in .keyfence.toml
    // because keyfence's own configuration file is allowed.
    assert_eq!(report["stats"]["suppressed_by"]["allowlist"], 2);
    // `rules list` shows it; `rules check` runs its examples.
    let out = run(&fx, &["rules", "list"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("internal-token"));
    let out = run(&fx, &["rules", "check"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("17 rules"));
}

#[test]
fn disabled_rules_and_overrides_change_what_is_reported() {
    let fx = Fixture::new();
    let (creds, _, _) = credentials_file(9);
    fx.write("creds.ini", &creds);
    fx.write("ids.txt", format!("user key {}\n", key_id("AKIA", 10)));
    let (_, report, _) = scan_json(&fx, &["."]);
    assert_eq!(
        rule_ids(&report),
        vec!["aws-access-key", "aws-access-key-id"]
    );
    fx.write(
        ".keyfence.toml",
        "disabled_rules = ['aws-access-key-id']\n\n[[overrides]]\nrule = 'aws-access-key'\nseverity = 'medium'\n",
    );
    let (code, report, _) = scan_json(&fx, &["."]);
    assert_eq!(code, 1);
    assert_eq!(rule_ids(&report), vec!["aws-access-key"]);
    assert_eq!(report["findings"][0]["severity"], "medium");
    let out = run(&fx, &["rules", "list"]);
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(!list.contains("aws-access-key-id"), "{list}");
    let line = format!("{:<34} {:<9} ", "aws-access-key", "medium");
    assert!(list.contains(&line), "{list}");
}

#[test]
fn pairing_window_lines_changes_the_key_secret_window() {
    let fx = Fixture::new();
    let (id, sk) = (key_id("AKIA", 11), secret(11));
    fx.write(
        "creds.ini",
        // Blank lines end the block: only the line window can pair these (parts in one block
        // pair whatever the window, see the validator's tests).
        format!("aws_access_key_id = {id}\n\n\n\naws_secret_access_key = {sk}\n"),
    );
    let (_, report, _) = scan_json(&fx, &["."]);
    assert_eq!(rule_ids(&report), vec!["aws-access-key"]);
    fx.write(".keyfence.toml", "pairing_window_lines = 1\n");
    let (_, report, _) = scan_json(&fx, &["."]);
    assert_eq!(
        rule_ids(&report),
        vec!["aws-access-key-id", "aws-secret-access-key"]
    );
}

#[test]
fn explicit_config_overrides_discovery_and_must_exist() {
    let fx = Fixture::new();
    let (creds, id, _) = credentials_file(12);
    fx.write("creds.ini", &creds);
    fx.write(".keyfence.toml", "this is not toml");
    fx.write(
        "ci/keyfence.toml",
        format!("[allowlist]\nkey_ids = ['{id}']\n"),
    );
    let (code, _, _) = scan_json(&fx, &[".", "--config", "ci/keyfence.toml"]);
    assert_eq!(code, 0);
    let (code, _, stderr) = scan_json(&fx, &[".", "--config", "missing.toml"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("cannot read configuration missing.toml"),
        "{stderr}"
    );
}

#[test]
fn the_root_is_the_one_scanned_directory() {
    let fx = Fixture::new();
    let (creds, id, _) = credentials_file(13);
    fx.write("project/creds.ini", &creds);
    fx.write(
        "project/.keyfence.toml",
        format!("[allowlist]\npaths = ['/creds.ini']\nkey_ids = ['{id}']\n"),
    );
    let (code, report, _) = scan_json(&fx, &["project"]);
    assert_eq!(code, 0, "{report}");
    // Two paths: the root is the current directory, which has no configuration.
    fx.write("other.txt", "nothing here\n");
    let (code, _, _) = scan_json(&fx, &["project", "other.txt"]);
    assert_eq!(code, 1);
    // Absolute paths under the current directory still match root-relative globs.
    fx.write(".keyfence.toml", "[allowlist]\npaths = ['/project/']\n");
    let abs = fx.path().join("project");
    let other = fx.path().join("other.txt");
    let (code, report, _) = scan_json(&fx, &[abs.to_str().unwrap(), other.to_str().unwrap()]);
    assert_eq!(code, 0, "{report}");
    // creds.ini, and the key ID listed in project/.keyfence.toml (not the configuration in use).
    assert_eq!(report["stats"]["suppressed_by"]["allowlist"], 2);
}

#[test]
fn config_prints_the_effective_configuration_as_loadable_toml() {
    let fx = Fixture::new();
    let out = run(&fx, &["config"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("built-in defaults"), "{text}");
    assert!(text.contains("pairing_window_lines = 5"), "{text}");
    assert!(text.contains("#   aws-access-key "), "{text}");

    fx.write(
        ".keyfence.toml",
        "disabled_rules = ['aws-access-key-id']\n[allowlist]\nstopwords = ['dummy']\nregex_target = 'line'\n[[overrides]]\nrule = 'aws-secret-access-key'\nseverity = 'medium'\n",
    );
    let out = run(&fx, &["config"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("from .keyfence.toml"), "{text}");
    assert!(
        text.contains("disabled_rules = [\"aws-access-key-id\"]"),
        "{text}"
    );
    assert!(text.contains("stopwords = [\"dummy\"]"), "{text}");
    let line = format!("#   {:<34} {:<9} ", "aws-secret-access-key", "medium");
    assert!(text.contains(&line), "{text}");
    assert!(!text.contains("#   aws-access-key-id"), "{text}");
    // What `config` prints is itself a valid configuration with the same effect.
    fx.write("printed.toml", &text);
    let again = run(&fx, &["config", "--config", "printed.toml"]);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let again = String::from_utf8_lossy(&again.stdout);
    assert_eq!(
        again.replace("from printed.toml", ""),
        text.replace("from .keyfence.toml", "")
    );
}

#[test]
fn docs_example_is_in_config_md_verbatim_and_loads() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let example = std::fs::read_to_string(root.join("docs/config-example.toml")).unwrap();
    let doc = std::fs::read_to_string(root.join("docs/CONFIG.md")).unwrap();
    assert!(
        doc.contains(&format!("```toml\n{example}```")),
        "docs/CONFIG.md must include docs/config-example.toml verbatim"
    );
    let fx = Fixture::new();
    fx.write(".keyfence.toml", &example);
    let out = run(&fx, &["config"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(printed.contains("#   acme-deploy-token"), "{printed}");
    assert!(printed.contains("[rules.allowlist]"), "{printed}");
    // The printed form of the example loads too, with the same rules.
    fx.write("printed.toml", &printed);
    let again = run(&fx, &["config", "--config", "printed.toml"]);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let out = run(&fx, &["rules", "check"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("16 rules, "));
}

#[test]
fn config_of_a_missing_directory_is_an_error() {
    let fx = Fixture::new();
    let out = run(&fx, &["config", "nowhere"]);
    assert_eq!(out.status.code(), Some(2));
}

/// Dogfood: this repository scans clean, with no allowlist (tests build credentials at run time).
#[test]
fn this_repository_scans_clean() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = keyfence_in(std::path::Path::new(root))
        .args(["scan", ".", "--format", "json"])
        .output()
        .unwrap();
    let report = json_report(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{report}");
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}
