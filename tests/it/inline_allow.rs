//! Inline allow directives: on the finding's line, or in a comment alone on the line above; the
//! three directive spellings; several comment syntaxes; and what does not count.

use crate::common::*;
use crate::config::{key_ids, scan_json};

/// A long-term pair on one line, as code would hold it.
fn pair(seed: u64) -> (String, String) {
    (key_id("AKIA", seed), secret(seed))
}

/// Scans one file and returns (exit code, reported key IDs, inline suppressions).
fn scan_one(name: &str, text: &str) -> (i32, Vec<String>, u64) {
    let fx = Fixture::new();
    fx.write(name, text);
    let (code, report, stderr) = scan_json(&fx, &["."]);
    assert_ne!(code, 2, "{stderr}");
    let inline = report["stats"]["suppressed_by"]["inline"].as_u64().unwrap();
    assert_eq!(report["stats"]["suppressed"].as_u64().unwrap(), inline);
    (code, key_ids(&report), inline)
}

#[test]
fn directive_on_the_same_line_in_several_languages() {
    let (id, sk) = pair(1);
    let cases = [
        (
            "a.py",
            format!("client = boto3.client('s3', aws_access_key_id='{id}', aws_secret_access_key='{sk}')  # keyfence:allow\n"),
        ),
        (
            "a.js",
            format!("const creds = {{ accessKeyId: \"{id}\", secretAccessKey: \"{sk}\" }}; // keyfence:allow\n"),
        ),
        (
            "a.sql",
            format!("INSERT INTO creds VALUES ('{id}', '{sk}'); -- keyfence:allow\n"),
        ),
        ("a.env", format!("AWS_ACCESS_KEY_ID={id} # keyfence:allow\n")),
        ("a.go", format!("key := \"{id}\" /* gitleaks:allow */\n")),
        (
            "a.yaml",
            format!("aws_access_key_id: {id}  # pragma: allowlist secret\n"),
        ),
    ];
    for (name, text) in &cases {
        let without = text
            .replace("keyfence:allow", "reviewed")
            .replace("gitleaks:allow", "reviewed")
            .replace("pragma: allowlist secret", "reviewed");
        let (code, ids, _) = scan_one(name, &without);
        assert_eq!((code, ids.len()), (1, 1), "{name} without the directive");
        let (code, ids, inline) = scan_one(name, text);
        assert_eq!((code, ids.len(), inline), (0, 0, 1), "{name}: {text}");
    }
}

#[test]
fn directive_on_any_line_of_a_multi_line_finding() {
    let (id, sk) = pair(2);
    let text = format!(
        "[default]\naws_access_key_id = {id}\naws_secret_access_key = {sk} ; keyfence:allow\n"
    );
    assert_eq!(scan_one("credentials", &text), (0, vec![], 1));
}

#[test]
fn comment_alone_on_the_line_above() {
    let (id, sk) = pair(3);
    let cases = [
        ("a.py", "    # keyfence:allow: test double"),
        ("a.rs", "// gitleaks:allow"),
        ("a.sql", "-- pragma: allowlist secret"),
        ("a.ini", "; keyfence:allow"),
        ("a.c", "  /* keyfence:allow */"),
        ("a.html", "<!-- keyfence:allow -->"),
        ("a.tex", "% keyfence:allow"),
        ("a.vb", "' keyfence:allow"),
        ("a.bat", "REM keyfence:allow"),
    ];
    for (name, comment) in cases {
        let text = format!("first line\n{comment}\nkey = \"{id}\"; secret = \"{sk}\"\nlast\n");
        assert_eq!(scan_one(name, &text), (0, vec![], 1), "{name}");
    }
    // The pair split over two lines: the comment goes above the first one.
    let text = format!("# keyfence:allow\nid = {id}\nsecret_key = {sk}\n");
    assert_eq!(scan_one("a.toml", &text), (0, vec![], 1));
}

#[test]
fn what_does_not_suppress() {
    let (id, _) = pair(4);
    let cases = [
        // Code before the directive on the line above: not a comment alone.
        format!("x = 1  # keyfence:allow\nkey = \"{id}\"\n"),
        // Two lines above.
        format!("# keyfence:allow\n\nkey = \"{id}\"\n"),
        // On the line below.
        format!("key = \"{id}\"\n# keyfence:allow\n"),
        // Misspelled or wrong case.
        format!("key = \"{id}\" # keyfence:allowed-not\n").replace("allowed-not", "alow"),
        format!("key = \"{id}\" # KEYFENCE:ALLOW\n"),
    ];
    for text in &cases {
        let (code, ids, inline) = scan_one("a.txt", text);
        assert_eq!((code, ids, inline), (1, vec![id.clone()], 0), "{text:?}");
    }
}

#[test]
fn a_directive_suppresses_only_its_own_lines() {
    let (a, b) = (key_id("AKIA", 5), key_id("AKIA", 6));
    let text = format!("one = \"{a}\" # keyfence:allow\n\n\n\n\n\n\n\n\n\ntwo = \"{b}\"\n");
    assert_eq!(scan_one("a.txt", &text), (1, vec![b], 1));
}

#[test]
fn suppressed_counts_appear_in_the_text_summary() {
    let fx = Fixture::new();
    let (id, _) = pair(7);
    fx.write("a.txt", format!("key = \"{id}\" # keyfence:allow\n"));
    let out = fx.keyfence().args(["scan", "."]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1 suppressed"), "{text}");
}

#[test]
fn temporary_credentials_over_three_lines_and_repeats_count_once() {
    let (id, sk, token) = (key_id("ASIA", 8), secret(8), session_token(8, 400));
    let block = format!(
        "aws_access_key_id = {id}\naws_secret_access_key = {sk}\naws_session_token = {token} # keyfence:allow\n"
    );
    let (code, ids, inline) = scan_one("creds", &block.replace(" # keyfence:allow", ""));
    assert_eq!((code, ids, inline), (1, vec![id.clone()], 0));
    // The same credential twice, both allowed: one suppressed finding.
    let (code, ids, inline) = scan_one("creds", &format!("{block}\n\n\n\n\n\n\n{block}"));
    assert_eq!((code, ids, inline), (0, vec![], 1));
}
