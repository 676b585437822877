//! `keyfence scan`: exit codes, report shapes, redaction, walk rules and unreadable input.

use std::os::unix::fs::PermissionsExt;

use crate::common::*;

fn run(fx: &Fixture, args: &[&str]) -> std::process::Output {
    fx.keyfence().args(args).output().unwrap()
}

fn findings(out: &std::process::Output) -> Vec<serde_json::Value> {
    json_report(&out.stdout)["findings"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn clean_tree_exits_zero() {
    let fx = Fixture::new();
    fx.write("src/main.rs", "fn main() { println!(\"hello\"); }\n");
    let out = run(&fx, &["scan", "."]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn findings_exit_one_with_the_documented_json_shape() {
    let fx = Fixture::new();
    let (text, id, _) = credentials_file(1);
    fx.write("conf/credentials", &text);
    let out = run(&fx, &["scan", ".", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json_report(&out.stdout);
    assert!(doc["errors"].as_array().unwrap().is_empty());
    assert_eq!(doc["stats"]["files_scanned"], 1);
    let f = &doc["findings"][0];
    assert_eq!(f["rule_id"], "aws-access-key");
    assert_eq!(f["severity"], "critical");
    assert_eq!(f["path"], "conf/credentials");
    assert_eq!(
        (f["line"].as_u64(), f["end_line"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(f["column"], 21);
    assert_eq!(f["key_id"], id.as_str());
    assert_eq!(f["account_id"].as_str().unwrap().len(), 12);
    assert!(f["session_token"].is_null());
    assert!(f["commit"].is_null());
    assert_eq!(f["fingerprint"].as_str().unwrap().len(), 32);
    for key in ["message", "remediation", "secret"] {
        assert!(f[key].is_string(), "{key}");
    }
}

#[test]
fn secrets_are_redacted_in_every_format_unless_asked() {
    let fx = Fixture::new();
    let tok = session_token(2, 500);
    let (id, sk) = (key_id("ASIA", 2), secret(2));
    fx.write(
        ".env",
        format!("AWS_ACCESS_KEY_ID={id}\nAWS_SECRET_ACCESS_KEY={sk}\nAWS_SESSION_TOKEN={tok}\n"),
    );
    for format in ["text", "json", "jsonl"] {
        let out = run(&fx, &["scan", ".", "--format", format, "--color", "always"]);
        assert_eq!(out.status.code(), Some(1), "{format}");
        let all = [out.stdout, out.stderr].concat();
        let all = String::from_utf8_lossy(&all);
        assert!(all.contains(&id), "{format}: the key ID may be shown");
        assert!(!all.contains(&sk), "{format} leaks the secret");
        assert!(!all.contains(&tok[..60]), "{format} leaks the token");
    }
    // Verified findings too, in every format (a closed port: the outcome is `unavailable`).
    let closed = format!("http://127.0.0.1:{}", crate::moto::free_port());
    for format in ["text", "json", "jsonl", "sarif", "github"] {
        let args = [
            "scan",
            ".",
            "--format",
            format,
            "--verify",
            "--verify-endpoint",
            &closed,
        ];
        let out = run(&fx, &args);
        assert_eq!(out.status.code(), Some(1), "{format}");
        let all = [out.stdout, out.stderr].concat();
        let all = String::from_utf8_lossy(&all);
        assert!(all.contains("unavailable"), "{format}: {all}");
        assert!(
            !all.contains(&sk),
            "{format} leaks the secret when verifying"
        );
        assert!(
            !all.contains(&tok[..60]),
            "{format} leaks the token when verifying"
        );
    }
    let out = run(&fx, &["scan", ".", "--format", "json", "--show-secrets"]);
    let f = &findings(&out)[0];
    assert_eq!(f["rule_id"], "aws-temporary-credentials");
    assert_eq!(f["secret"], sk.as_str());
    assert_eq!(f["session_token"], tok.as_str());
}

#[test]
fn fingerprints_survive_moved_lines_and_files() {
    let fx = Fixture::new();
    let (text, _, _) = credentials_file(3);
    fx.write("a/credentials", &text);
    let first = findings(&run(&fx, &["scan", ".", "--format", "json"]));
    std::fs::remove_file(fx.path().join("a/credentials")).unwrap();
    fx.write("b/moved.ini", format!("# moved\n\n\n{text}"));
    let second = findings(&run(&fx, &["scan", ".", "--format", "json"]));
    assert_eq!(first[0]["fingerprint"], second[0]["fingerprint"]);
    assert_ne!(first[0]["line"], second[0]["line"]);
}

#[test]
fn jsonl_is_one_finding_per_line_and_output_file_works() {
    let fx = Fixture::new();
    fx.write("one.env", credentials_file(4).0);
    fx.write("two.env", format!("AWS_SECRET_ACCESS_KEY={}\n", secret(5)));
    let out = run(
        &fx,
        &["scan", ".", "--format", "jsonl", "-o", "report.jsonl"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let text = std::fs::read_to_string(fx.path().join("report.jsonl")).unwrap();
    let rules: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["rule_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(rules, ["aws-access-key", "aws-secret-access-key"]);
}

#[test]
fn gitignore_hidden_files_and_named_files() {
    let fx = Fixture::new();
    fx.git(&["init", "-q"]);
    fx.write(".gitignore", "ignored/\n");
    fx.write("ignored/creds.ini", credentials_file(6).0);
    fx.write(".env", credentials_file(7).0);
    fx.write(".git/config.bak", credentials_file(8).0);
    let paths = |out: &std::process::Output| -> Vec<String> {
        findings(out)
            .iter()
            .map(|f| f["path"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        paths(&run(&fx, &["scan", ".", "--format", "json"])),
        [".env"]
    );
    assert_eq!(
        paths(&run(&fx, &["scan", ".", "--no-ignore", "--format", "json"])),
        [".env", "ignored/creds.ini"]
    );
    let named = run(&fx, &["scan", "ignored/creds.ini", "--format", "json"]);
    assert_eq!(paths(&named), ["ignored/creds.ini"]);
}

#[test]
fn standard_input_is_scanned() {
    let fx = Fixture::new();
    let mut child = fx
        .keyfence()
        .args(["scan", "-", "--format", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::io::Write::write_all(&mut stdin, credentials_file(9).0.as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(findings(&out)[0]["path"], "<stdin>");
}

#[test]
fn binary_files_are_skipped_and_counted() {
    let fx = Fixture::new();
    let mut data = vec![0u8, 1, 2, 3];
    data.extend_from_slice(credentials_file(10).0.as_bytes());
    fx.write("blob.bin", &data);
    let out = run(&fx, &["scan", ".", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json_report(&out.stdout)["stats"]["binary_skipped"], 1);
    let out = run(&fx, &["scan", ".", "--binary", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn latin1_crlf_and_bom_files() {
    let fx = Fixture::new();
    let (text, _, _) = credentials_file(11);
    let mut data = vec![0xEF, 0xBB, 0xBF];
    data.extend_from_slice(b"# caf\xE9\r\n");
    data.extend_from_slice(text.replace('\n', "\r\n").as_bytes());
    fx.write("latin1.ini", &data);
    let out = run(&fx, &["scan", ".", "--format", "json"]);
    let f = &findings(&out)[0];
    assert_eq!(f["rule_id"], "aws-access-key");
    assert_eq!(f["line"], 3);
}

#[test]
fn huge_minified_line_is_scanned_in_chunks() {
    let fx = Fixture::new();
    // 40 MB on one line: larger than one chunk, credential near the end, across no newline.
    let (id, sk) = (key_id("AKIA", 12), secret(12));
    let filler = "var a=1;".repeat(5_000_000);
    let tail = format!("{{\"accessKeyId\":\"{id}\",\"secretAccessKey\":\"{sk}\"}}");
    fx.write("bundle.min.js", format!("{filler}{tail}"));
    let out = run(&fx, &["scan", ".", "--format", "json"]);
    let f = findings(&out);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["rule_id"], "aws-access-key");
    assert_eq!(f[0]["line"], 1);
}

#[test]
fn credential_straddling_a_chunk_border_is_found_once() {
    let fx = Fixture::new();
    let (id, sk) = (key_id("AKIA", 16), secret(16));
    // The key ID ends a few bytes before the first chunk's end; the secret lies past it.
    let lead = keyfence::CHUNK_LEN - 30;
    let mut text = "x\n".repeat(lead / 2);
    text.push_str(&format!("id = {id}\nsecret = {sk}\n"));
    fx.write("big.txt", &text);
    let f = findings(&run(&fx, &["scan", ".", "--format", "json"]));
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["rule_id"], "aws-access-key");
    assert_eq!(f[0]["line"], (lead / 2 + 1) as u64);
}

/// A file past the size read without asking (1 MiB) but under a chunk: read in two steps, its
/// head and then the rest; credentials at both ends are found on their lines.
#[test]
fn a_file_of_a_few_megabytes_is_read_whole() {
    let fx = Fixture::new();
    let (id1, sk1) = (key_id("AKIA", 21), secret(21));
    let (id2, sk2) = (key_id("AKIA", 22), secret(22));
    let filler = "let value = compute(input);\n".repeat(100_000); // 2.8 MB
    fx.write(
        "medium.txt",
        format!("id = {id1}\nsecret = {sk1}\n{filler}id = {id2}\nsecret = {sk2}\n"),
    );
    let f = findings(&run(&fx, &["scan", ".", "--format", "json"]));
    let lines: Vec<u64> = f.iter().map(|x| x["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [1, 100_003], "{f:?}");
}

#[test]
fn occurrences_are_exact_across_chunks() {
    let fx = Fixture::new();
    let id = key_id("AKIA", 17);
    // 40 lines of ~1 MB each, the same key ID at the start of every line: 40 MB, two chunks.
    let line = format!("{id} {}\n", "y".repeat(1 << 20));
    fx.write("log.txt", line.repeat(40));
    let f = findings(&run(&fx, &["scan", ".", "--format", "json"]));
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["occurrences"], 40);
    assert_eq!(f[0]["line"], 1);
}

#[test]
fn special_files_are_not_read_and_a_named_one_is_an_error() {
    let fx = Fixture::new();
    let fifo = fx.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    fx.write("ok.txt", "nothing\n");
    let out = run(&fx, &["scan", ".", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json_report(&out.stdout)["stats"]["special_skipped"], 1);
    let out = run(&fx, &["scan", "pipe", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let doc = json_report(&out.stdout);
    assert_eq!(doc["errors"][0]["path"], "pipe");
}

#[test]
fn missing_target_exits_two() {
    let fx = Fixture::new();
    let out = run(&fx, &["scan", "does-not-exist"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does-not-exist"));
}

#[test]
fn unreadable_files_and_broken_links_are_reported_and_the_scan_goes_on() {
    let fx = Fixture::new();
    fx.write("ok.txt", "nothing here\n");
    std::os::unix::fs::symlink("nowhere", fx.path().join("dangling")).unwrap();
    let locked = fx.write("locked.env", credentials_file(13).0);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let readable_anyway = std::fs::read(&locked).is_ok(); // running as root
    let out = run(&fx, &["scan", ".", "--format", "json"]);
    let doc = json_report(&out.stdout);
    let errors: Vec<String> = doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}: {}",
                e["path"].as_str().unwrap(),
                e["message"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("dangling: broken symbolic link")),
        "{errors:?}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("dangling"), "{stderr}");
    if readable_anyway {
        assert_eq!(out.status.code(), Some(1));
    } else {
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("locked.env: cannot read")),
            "{errors:?}"
        );
        assert_eq!(
            out.status.code(),
            Some(2),
            "nothing found and something unreadable"
        );
    }
    // With only the dangling link at fault and nothing found, the exit code is 2.
    std::fs::remove_file(&locked).unwrap();
    let out = run(&fx, &["scan", "."]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn no_color_and_color_never_print_plain_text() {
    let fx = Fixture::new();
    fx.write("c.ini", credentials_file(14).0);
    let out = run(&fx, &["scan", ".", "--color", "never"]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains('\u{1b}'));
    let out = run(&fx, &["scan", ".", "--color", "always"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains('\u{1b}'));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("c.ini"));
}

#[test]
fn chdir_option_runs_in_another_directory() {
    let fx = Fixture::new();
    fx.write("sub/c.ini", credentials_file(15).0);
    let out = fx
        .keyfence()
        .args(["-C", "sub", "scan", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(findings(&out)[0]["path"], "c.ini");
}

/// The labelled corpus vendored in the repository (tests/data/corpus, credentials expanded from
/// templates at run time).
#[test]
fn labelled_corpus_scores_perfectly() {
    let corpus = vendored_corpus();
    assert_corpus_scores_perfectly(corpus.path());
}

/// The shared corpus beside the repository, when there is one: it may hold cases that
/// `scripts/vendor_corpus.py` has not vendored yet. Without it, there is nothing to score.
#[test]
fn shared_corpus_scores_perfectly_when_present() {
    let Some(corpus) = corpus_dir() else {
        eprintln!("no ../shared/corpus beside the repository: nothing to score");
        return;
    };
    assert_corpus_scores_perfectly(&corpus);
}

/// Runs the real binary on `corpus/files` from `corpus`, then checks the report against
/// `corpus/labels.json`: every positive found on one of its lines, nothing in any negative.
fn assert_corpus_scores_perfectly(corpus: &std::path::Path) {
    let out = keyfence_in(corpus)
        .args(["scan", "files", "--format", "json"])
        .output()
        .unwrap();
    let report = json_report(&out.stdout);
    let labels: serde_json::Value =
        serde_json::from_slice(&std::fs::read(corpus.join("labels.json")).unwrap()).unwrap();
    let found = report["findings"].as_array().unwrap();
    let cases = labels["cases"].as_array().unwrap();
    assert!(!cases.is_empty(), "no cases in {}", corpus.display());
    for case in cases {
        let path = case["path"].as_str().unwrap();
        let in_file: Vec<_> = found.iter().filter(|f| f["path"] == path).collect();
        if case["label"] == "positive" {
            assert_labels_hold(corpus, case);
            let hit = case["lines"].as_array().unwrap().iter().any(|l| {
                let l = l.as_u64().unwrap();
                in_file.iter().any(|f| {
                    f["line"].as_u64().unwrap() <= l && l <= f["end_line"].as_u64().unwrap()
                })
            });
            assert!(hit, "missed positive {path}: {in_file:?}");
        } else {
            assert!(in_file.is_empty(), "false positive in {path}: {in_file:?}");
        }
    }
}

/// The labels describe the file: each expected string of a positive case sits on one of its
/// labelled lines (so a template that did not expand, or a shifted line, shows up here).
fn assert_labels_hold(corpus: &std::path::Path, case: &serde_json::Value) {
    let path = case["path"].as_str().unwrap();
    let text = std::fs::read(corpus.join("files").join(path)).unwrap();
    let text = String::from_utf8_lossy(&text);
    let lines: Vec<&str> = text.lines().collect();
    for expect in case["expect"].as_array().into_iter().flatten() {
        let expect = expect.as_str().unwrap();
        assert!(!expect.contains("${"), "{path}: {expect} did not expand");
        let on_a_line = case["lines"].as_array().unwrap().iter().any(|l| {
            let n = l.as_u64().unwrap() as usize;
            n >= 1 && lines.get(n - 1).is_some_and(|line| line.contains(expect))
        });
        assert!(
            on_a_line,
            "{path}: an expected string is on none of its labelled lines"
        );
    }
}
