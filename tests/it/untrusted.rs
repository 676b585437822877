//! Untrusted input: what a hostile file name, configuration or file shape can do to the output,
//! the time and the report, and the messages keyfence gives when its own inputs are wrong.

use crate::common::*;
use crate::gitrepo::Repo;

fn run(fx: &Fixture, args: &[&str]) -> std::process::Output {
    fx.keyfence().args(args).output().unwrap()
}

fn json(out: &std::process::Output) -> serde_json::Value {
    json_report(&out.stdout)
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const HOSTILE_NAME: &str = "evil\x1b]0;pwned\x07\x1b[2J\u{202e}.txt";

fn has_raw_control(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    text.chars()
        .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}')
}

/// A file name with terminal escapes reaches no terminal or CI log raw, in any text-like format
/// or warning; JSON keeps the exact name.
#[test]
fn control_characters_in_names_never_reach_a_terminal() {
    let fx = Fixture::new();
    let (creds, _, _) = credentials_file(40);
    fx.write(HOSTILE_NAME, &creds);
    std::os::unix::fs::symlink("/nonexistent", fx.path().join("link\x1b[31m")).unwrap();
    for format in ["text", "github"] {
        let out = run(&fx, &["scan", ".", "--format", format]);
        assert_eq!(out.status.code(), Some(1), "{format}");
        assert!(!has_raw_control(&out.stdout), "{format} stdout");
        assert!(!has_raw_control(&out.stderr), "{format} stderr");
        assert!(String::from_utf8_lossy(&out.stdout).contains("evil?]0;pwned??[2J?.txt"));
    }
    let out = run(&fx, &["scan", ".", "--format", "json"]);
    let paths: Vec<_> = json(&out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(paths, vec![HOSTILE_NAME.to_string()]);
    // An argument clap echoes back, and an error naming a path.
    let out = run(&fx, &["scan", "--format", "\x1b[2Jx"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!has_raw_control(&out.stderr), "{}", stderr(&out));
    let out = run(&fx, &["scan", "no\x1b[2Jsuch"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!has_raw_control(&out.stderr), "{}", stderr(&out));
}

#[test]
fn threads_are_clamped_with_a_warning() {
    let fx = Fixture::new();
    fx.write("a.txt", "nothing here\n");
    let out = run(&fx, &["scan", ".", "--threads", "100000"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("--threads 100000 is more than 64; using 64"),
        "{}",
        stderr(&out)
    );
}

/// A custom rule's four-character secret is not printed whole (nor its first characters).
#[test]
fn short_secrets_show_no_prefix() {
    let fx = Fixture::new();
    fx.write(
        ".keyfence.toml",
        "[[rules]]\nid = 'pin'\ndescription = 'a PIN'\nseverity = 'low'\nkeywords = ['pin=']\n\
         regex = 'pin=(?P<secret>[0-9]{4})'\n",
    );
    fx.write("door.txt", "pin=4711\n");
    let out = run(&fx, &["scan", "door.txt"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("secret   ********"), "{text}");
    assert!(!text.contains("4711") && !text.contains("47*"), "{text}");
}

/// A key on a line longer than a chunk is reported at the column it has in the file's line.
#[test]
fn columns_on_a_line_longer_than_a_chunk_count_from_its_start() {
    let fx = Fixture::new();
    let (id, sk) = (key_id("AKIA", 41), secret(41));
    let lead = keyfence::CHUNK_LEN + 7_000_000;
    let mut text = "x".repeat(lead);
    text.push_str(&format!(" id={id} secret={sk}\n"));
    fx.write("long.txt", &text);
    let out = run(&fx, &["scan", ".", "--format", "json"]);
    let f = &json(&out)["findings"][0];
    assert_eq!(f["line"], 1);
    assert_eq!(f["column"], (lead + 5) as u64, "{f}");
}

/// A directive on the same megabyte-long line, far from the credential, does not cover it; one
/// beside it does.
#[test]
fn a_directive_reaches_only_near_its_finding_on_a_long_line() {
    let fx = Fixture::new();
    let (id, sk) = (key_id("AKIA", 42), secret(42));
    let filler = "var a=1;".repeat(125_000);
    fx.write(
        "far.js",
        format!("/* pragma: allowlist secret */{filler}{{k:\"{id}\",s:\"{sk}\"}}\n"),
    );
    fx.write(
        "near.js",
        format!("{filler}{{k:\"{id}\",s:\"{sk}\"}} // keyfence:allow\n"),
    );
    let out = run(&fx, &["scan", ".", "--format", "json"]);
    let doc = json(&out);
    let paths: Vec<_> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec!["far.js"], "{doc}");
    assert_eq!(doc["stats"]["suppressed_by"]["inline"], 1);
}

/// A custom rule that matches everywhere costs bounded memory, and the cap is a listed error.
#[test]
fn a_rule_matching_everywhere_is_capped_and_says_so() {
    let fx = Fixture::new();
    fx.write(
        ".keyfence.toml",
        "[[rules]]\nid = 'every-a'\ndescription = 'd'\nseverity = 'low'\nkeywords = ['a']\n\
         regex = 'a'\n",
    );
    fx.write("a.txt", "a ".repeat(30_000));
    let out = run(&fx, &["scan", "a.txt", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    assert_eq!(doc["findings"][0]["occurrences"], 10_000);
    let message = doc["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("rule `every-a` matched more than 10000 times"),
        "{doc}"
    );
    assert_eq!(doc["errors"][0]["path"], "a.txt");
}

#[test]
fn a_missing_configuration_says_why_once() {
    let fx = Fixture::new();
    let out = run(&fx, &["scan", ".", "--config", "nope.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
    assert!(err.contains("nope.toml"), "{err}");
}

#[test]
fn a_configuration_that_is_a_directory_is_an_error() {
    let fx = Fixture::new();
    std::fs::create_dir(fx.path().join(".keyfence.toml")).unwrap();
    let out = run(&fx, &["scan", "."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(".keyfence.toml is not a file"),
        "{}",
        stderr(&out)
    );
}

/// Editors on Windows write a byte order mark; the baseline and the configuration are read
/// with one.
#[test]
fn a_baseline_and_a_configuration_with_a_bom_are_read() {
    let fx = Fixture::new();
    let (creds, _, _) = credentials_file(43);
    fx.write("creds.ini", &creds);
    let out = run(&fx, &["baseline", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let path = fx.path().join(".keyfence-baseline.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("\u{feff}{text}")).unwrap();
    fx.write(".keyfence.toml", "\u{feff}pairing_window_lines = 5\n");
    let out = run(&fx, &["scan", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn ci_in_a_repository_without_commits_says_so() {
    let repo = Repo::new();
    let out = keyfence_in(repo.path())
        .args(["ci", "--base", "HEAD"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("has no commits yet"), "{err}");
    assert!(!err.contains("fetch"), "{err}");
}

/// keyfence's own files may hold key IDs (an allowlist, baseline previews), never a full AWS
/// credential: one written into them is reported.
#[test]
fn a_credential_in_keyfences_own_files_is_reported() {
    let fx = Fixture::new();
    let (creds, id, _) = credentials_file(44);
    let commented: String = creds.lines().map(|l| format!("# {l}\n")).collect();
    fx.write(
        ".keyfence.toml",
        // The allowlisted key ID more than the pairing window away from the pair.
        format!(
            "[allowlist]\nkey_ids = ['{}']\n{}{commented}",
            key_id("AKIA", 45),
            "\n".repeat(8)
        ),
    );
    let out = run(&fx, &["scan", ".", "--format", "json"]);
    let doc = json(&out);
    assert_eq!(out.status.code(), Some(1), "{doc}");
    let found = doc["findings"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{doc}");
    assert_eq!(found[0]["path"], ".keyfence.toml");
    assert_eq!(found[0]["key_id"], id.as_str());
    assert_eq!(found[0]["rule_id"], "aws-access-key");
}

/// `-o` never overwrites what is being scanned or keyfence's configuration; a report written
/// inside the scanned directory is not reported by the next scan.
#[test]
fn the_report_never_overwrites_an_input_and_is_not_scanned_again() {
    let fx = Fixture::new();
    let (creds, _, _) = credentials_file(46);
    fx.write("creds.ini", &creds);
    fx.write(".keyfence.toml", "pairing_window_lines = 5\n");
    for (target, why) in [
        ("creds.ini", "one of the files being scanned"),
        (".keyfence.toml", "configuration"),
    ] {
        let out = run(&fx, &["scan", ".", "-o", target]);
        assert_eq!(out.status.code(), Some(2), "{target}");
        assert!(stderr(&out).contains(why), "{}", stderr(&out));
    }
    assert_eq!(
        std::fs::read_to_string(fx.path().join("creds.ini")).unwrap(),
        creds
    );
    for format in ["json", "jsonl", "sarif", "github", "text"] {
        let report = format!("report.{format}");
        let out = run(&fx, &["scan", ".", "--format", format, "-o", &report]);
        assert_eq!(out.status.code(), Some(1), "{format}: {}", stderr(&out));
        // Once more: the earlier report is overwritten, not refused, and not reported.
        let out = run(&fx, &["scan", ".", "--format", format, "-o", &report]);
        assert_eq!(out.status.code(), Some(1), "{format}: {}", stderr(&out));
        let out = run(&fx, &["scan", ".", "--format", "json"]);
        let doc = json(&out);
        let paths: Vec<_> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap())
            .collect();
        assert_eq!(paths, vec!["creds.ini"], "{format}: {doc}");
        std::fs::remove_file(fx.path().join(&report)).unwrap();
    }
    // A report written with --show-secrets holds the secret: it is a leak and is reported.
    run(
        &fx,
        &[
            "scan",
            "creds.ini",
            "--format",
            "json",
            "--show-secrets",
            "-o",
            "full.json",
        ],
    );
    let doc = json(&run(&fx, &["scan", ".", "--format", "json"]));
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "full.json"),
        "{doc}"
    );
}

/// libgit2 refuses a pack that does not match its index and then reports only objects it cannot
/// find; keyfence names the damaged pack.
#[test]
fn a_truncated_pack_is_named() {
    let repo = Repo::new();
    let (creds, _, _) = credentials_file(47);
    repo.write("creds.ini", &creds);
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "one"]);
    repo.git(&["repack", "-adq"]);
    let pack_dir = repo.path().join(".git/objects/pack");
    let pack = std::fs::read_dir(&pack_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "pack"))
        .unwrap();
    let bytes = std::fs::read(&pack).unwrap();
    let mut perms = std::fs::metadata(&pack).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&pack, perms).unwrap();
    std::fs::write(&pack, &bytes[..bytes.len() / 2]).unwrap();
    let name = pack.file_name().unwrap().to_str().unwrap().to_string();
    for mode in ["history", "staged"] {
        repo.write("new.txt", "x\n");
        repo.git(&["add", "new.txt"]);
        let out = keyfence_in(repo.path()).arg(mode).output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{mode}: {err}");
        assert!(err.contains(&name), "{mode}: {err}");
        assert!(err.contains("truncated or corrupt"), "{mode}: {err}");
    }
}
