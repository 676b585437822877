//! `--verify` end to end: the real binary against a real local STS (moto's server, see
//! `moto.rs`), against a closed port and a server that never answers, and the commands that
//! refuse to verify.

use std::net::TcpListener;
use std::process::Output;
use std::time::Duration;

use serde_json::Value;

use crate::common::*;
use crate::gitrepo::Repo;
use crate::moto::{free_port, Moto};

/// An INI credentials file.
fn ini(key_id: &str, secret: &str, token: Option<&str>) -> String {
    let token = token.map_or(String::new(), |t| format!("aws_session_token = {t}\n"));
    format!("[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n{token}")
}

/// Runs keyfence in `fx` with `args`, stopped by a watchdog if it hangs.
fn run(fx: &Fixture, args: &[&str]) -> Output {
    run_env(fx, args, &[])
}

fn run_env(fx: &Fixture, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = fx.keyfence();
    cmd.args(args).envs(env.iter().copied());
    let out = assert_cmd::Command::from_std(cmd)
        .timeout(Duration::from_secs(120))
        .output()
        .expect("keyfence runs");
    assert!(
        out.status.code().is_some(),
        "keyfence was stopped (hung?): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The JSON report of `scan --verify --format json` on `path` against `endpoint`.
fn verify_json(fx: &Fixture, endpoint: &str, path: &str, extra: &[&str]) -> (Value, Output) {
    let mut args = vec![
        "scan",
        "--verify",
        "--verify-endpoint",
        endpoint,
        "--format",
        "json",
        path,
    ];
    args.extend_from_slice(extra);
    let out = run(fx, &args);
    (json_report(&out.stdout), out)
}

/// The verification object of the only finding of a report.
fn only_verification(report: &Value) -> &Value {
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    &findings[0]["verification"]
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_key_moto_issued_is_active_with_the_arn_moto_returns() {
    let moto = Moto::start();
    let (id, sk) = moto.create_key("alice");
    let fx = Fixture::new();
    fx.write("creds", ini(&id, &sk, None));
    let (report, out) = verify_json(&fx, &moto.endpoint, "creds", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v = only_verification(&report);
    assert_eq!(v["status"], "active", "{v:#}");
    assert_eq!(v["arn"], "arn:aws:iam::123456789012:user/alice");
    assert_eq!(v["account"], "123456789012");
    assert!(v["user_id"].as_str().is_some_and(|u| !u.is_empty()));
    assert!(stderr(&out).contains("verified 1 distinct credential"));
}

#[test]
fn a_deleted_key_is_inactive_and_a_wrong_secret_says_the_signature() {
    let moto = Moto::start();
    let (deleted, deleted_sk) = moto.create_key("bob");
    let (kept, kept_sk) = moto.create_key("carol");
    moto.fixture(&["delete-key", "bob", &deleted]);
    // The right key ID with another secret.
    let wrong_sk = secret(42);
    assert_ne!(wrong_sk, kept_sk);
    let fx = Fixture::new();
    fx.write("deleted", ini(&deleted, &deleted_sk, None));
    fx.write("wrong", ini(&kept, &wrong_sk, None));
    let (report, out) = verify_json(&fx, &moto.endpoint, "deleted", &[]);
    let v = only_verification(&report);
    assert_eq!(v["status"], "inactive", "{v:#} {}", stderr(&out));
    assert_eq!(v["code"], "InvalidClientTokenId");
    assert!(v["reason"]
        .as_str()
        .unwrap()
        .contains("deleted, deactivated"));
    let (report, _) = verify_json(&fx, &moto.endpoint, "wrong", &[]);
    let v = only_verification(&report);
    assert_eq!(v["status"], "inactive", "{v:#}");
    assert_eq!(v["code"], "SignatureDoesNotMatch");
    assert!(v["reason"]
        .as_str()
        .unwrap()
        .contains("secret does not match"));
}

#[test]
fn assumed_role_credentials_are_active_and_not_without_their_token() {
    let moto = Moto::start();
    let (id, sk, token) = moto.assume_role();
    assert!(id.starts_with("ASIA"), "{id}");
    let fx = Fixture::new();
    fx.write("temp", ini(&id, &sk, Some(&token)));
    fx.write("no-token", ini(&id, &sk, None));
    // Another token of the same shape: STS refuses the key with it.
    fx.write(
        "bad-token",
        ini(&id, &sk, Some(&session_token(7, token.len()))),
    );
    let (report, out) = verify_json(&fx, &moto.endpoint, "temp", &[]);
    let v = only_verification(&report);
    assert_eq!(v["status"], "active", "{v:#} {}", stderr(&out));
    assert_eq!(
        v["arn"],
        "arn:aws:sts::123456789012:assumed-role/keyfence-test/keyfence-test"
    );
    let (report, _) = verify_json(&fx, &moto.endpoint, "no-token", &[]);
    let v = only_verification(&report);
    assert_eq!(v["status"], "skipped", "{v:#}");
    assert_eq!(v["skip"], "no_session_token");
    let (report, _) = verify_json(&fx, &moto.endpoint, "bad-token", &[]);
    let v = only_verification(&report);
    assert_eq!(v["status"], "inactive", "{v:#}");
    assert_eq!(v["code"], "InvalidClientTokenId");
}

#[test]
fn a_closed_port_and_a_server_that_never_answers_are_unavailable() {
    let fx = Fixture::new();
    let (id, sk) = (key_id("AKIA", 1), secret(1));
    fx.write("creds", ini(&id, &sk, None));
    let closed = format!("http://127.0.0.1:{}", free_port());
    let (report, out) = verify_json(&fx, &closed, "creds", &[]);
    assert_eq!(out.status.code(), Some(1));
    let v = only_verification(&report);
    assert_eq!(v["status"], "unavailable", "{v:#}");
    assert!(
        v["reason"].as_str().unwrap().contains("connect")
            || v["reason"].as_str().unwrap().contains("refused"),
        "{v:#}"
    );
    // Accepts connections (the kernel does) and never reads or answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let (report, _) = verify_json(&fx, &url, "creds", &["--verify-timeout", "1"]);
    let v = only_verification(&report);
    assert_eq!(v["status"], "unavailable", "{v:#}");
    assert_eq!(v["reason"], "no answer within the timeout");
}

#[test]
fn canary_keys_are_skipped_and_never_sent() {
    let moto = Moto::start();
    let (id, sk) = moto.create_key("dave");
    let fx = Fixture::new();
    // A key of a Thinkst Canarytokens account, decoded offline from the key ID.
    let canary = key_id_for_account("AKIA", 52_310_077_262, 3);
    fx.write("canary/creds", ini(&canary, &secret(3), None));
    fx.write("both/a", ini(&canary, &secret(3), None));
    fx.write("both/b", ini(&id, &sk, None));

    // Nothing is sent: a listener that the test holds sees no connection.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (report, out) = verify_json(&fx, &url, "canary", &[]);
    let v = only_verification(&report);
    assert_eq!(v["status"], "skipped", "{v:#}");
    assert_eq!(v["skip"], "canary_account");
    assert!(v["reason"]
        .as_str()
        .unwrap()
        .starts_with("canary token: verification skipped"));
    assert!(
        listener.accept().is_err(),
        "a connection was made for a canary key"
    );
    assert!(!stderr(&out).contains("verified"), "{}", stderr(&out));

    // Beside a real key, moto sees exactly one request; with --verify-canaries, two.
    let before = moto.posts();
    let (report, _) = verify_json(&fx, &moto.endpoint, "both", &[]);
    let statuses: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["verification"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["skipped", "active"]);
    assert_eq!(moto.posts_reaching(before + 1), before + 1);
    let (report, _) = verify_json(&fx, &moto.endpoint, "both", &["--verify-canaries"]);
    assert_eq!(moto.posts_reaching(before + 3), before + 3);
    // moto does not know the canary's key.
    assert_eq!(
        report["findings"][0]["verification"]["code"],
        "InvalidClientTokenId"
    );

    // `[verify] skip_accounts` adds an account: moto's own.
    fx.write(
        "both/.keyfence.toml",
        "[verify]\nskip_accounts = ['123456789012']\n",
    );
    let (report, _) = verify_json(&fx, &moto.endpoint, "both", &[]);
    let v = &report["findings"][1]["verification"];
    assert_eq!(v["skip"], "canary_account", "{report:#}");
    assert!(v["reason"].as_str().unwrap().contains("skip_accounts"));
    assert_eq!(moto.posts(), before + 3);
}

#[test]
fn allowlisted_and_baselined_findings_are_never_verified() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let fx = Fixture::new();
    let (a, b) = (
        (key_id("AKIA", 5), secret(5)),
        (key_id("AKIA", 6), secret(6)),
    );
    fx.write(
        "app/inline.env",
        format!(
            "AWS_ACCESS_KEY_ID={} # keyfence:allow\nAWS_SECRET_ACCESS_KEY={} # keyfence:allow\n",
            a.0, a.1
        ),
    );
    fx.write("app/old.env", ini(&b.0, &b.1, None));
    let out = run(&fx, &["baseline", "app"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (report, out) = verify_json(&fx, &url, "app", &[]);
    assert_eq!(
        report["findings"].as_array().unwrap().len(),
        0,
        "{report:#}"
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(listener.accept().is_err(), "a suppressed finding was sent");
}

#[test]
fn every_format_carries_the_outcome_and_no_secret() {
    let moto = Moto::start();
    let (id, sk) = moto.create_key("erin");
    let (tid, tsk, token) = moto.assume_role();
    let fx = Fixture::new();
    fx.write("creds", ini(&id, &sk, None));
    fx.write("temp", ini(&tid, &tsk, Some(&token)));
    let arn = "arn:aws:iam::123456789012:user/erin";
    for format in ["text", "json", "jsonl", "sarif", "github"] {
        let out = run(
            &fx,
            &[
                "scan",
                "--verify",
                "--verify-endpoint",
                &moto.endpoint,
                "--format",
                format,
                ".",
            ],
        );
        assert_eq!(out.status.code(), Some(1), "{format}: {}", stderr(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let all = format!("{stdout}{}", stderr(&out));
        for secret in [&sk, &tsk, &token] {
            assert!(!all.contains(secret.as_str()), "{format} shows a secret");
        }
        assert!(!all.contains(&token[..40]), "{format} shows a token");
        assert!(stdout.contains(arn), "{format}: {stdout}");
        match format {
            "text" => assert!(stdout.contains("verify   ACTIVE: arn:"), "{stdout}"),
            "json" => assert_eq!(
                json_report(&out.stdout)["findings"][0]["verification"]["status"],
                "active"
            ),
            "jsonl" => {
                for line in stdout.lines() {
                    let f: Value = serde_json::from_str(line).unwrap();
                    assert_eq!(f["verification"]["status"], "active");
                }
            }
            "sarif" => {
                let doc = json_report(&out.stdout);
                let r = &doc["runs"][0]["results"][0];
                assert_eq!(r["properties"]["verification"]["status"], "active");
                assert!(r["message"]["text"]
                    .as_str()
                    .unwrap()
                    .contains("Verification: active"));
            }
            "github" => assert!(stdout.contains("Verification: active: arn"), "{stdout}"),
            _ => unreachable!(),
        }
    }
    // Without --verify, no verification field at all.
    let out = run(&fx, &["scan", "--format", "json", "."]);
    let report = json_report(&out.stdout);
    for f in report["findings"].as_array().unwrap() {
        assert!(f.get("verification").is_none(), "{f:#}");
    }
}

#[test]
fn only_verified_reports_active_keys_and_exits_by_what_is_left() {
    let moto = Moto::start();
    let (id, sk) = moto.create_key("frank");
    let fx = Fixture::new();
    fx.write("mixed/live", ini(&id, &sk, None));
    fx.write("mixed/dead", ini(&key_id("AKIA", 8), &secret(8), None));
    fx.write("dead/creds", ini(&key_id("AKIA", 9), &secret(9), None));
    let (report, out) = verify_json(&fx, &moto.endpoint, "mixed", &["--only-verified"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(only_verification(&report)["status"], "active");
    let (report, out) = verify_json(&fx, &moto.endpoint, "dead", &["--only-verified"]);
    assert_eq!(report["findings"].as_array().unwrap().len(), 0);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn the_endpoint_comes_from_the_aws_variables() {
    let moto = Moto::start();
    let (id, sk) = moto.create_key("grace");
    let fx = Fixture::new();
    fx.write("creds", ini(&id, &sk, None));
    for var in ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"] {
        let out = run_env(
            &fx,
            &["scan", "--verify", "--format", "json", "creds"],
            &[(var, &moto.endpoint)],
        );
        let report = json_report(&out.stdout);
        assert_eq!(only_verification(&report)["status"], "active", "{var}");
        assert!(
            stderr(&out).contains(&format!("({var})")),
            "{}",
            stderr(&out)
        );
    }
    // A CA bundle that is not one is an error naming it, before anything is sent.
    fx.write("bundle.pem", "not a certificate\n");
    let out = run_env(
        &fx,
        &["scan", "--verify", "creds"],
        &[
            ("AWS_ENDPOINT_URL", &moto.endpoint),
            ("AWS_CA_BUNDLE", "bundle.pem"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("AWS_CA_BUNDLE bundle.pem"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn history_and_ci_verify_and_show_progress() {
    let moto = Moto::start();
    let (id, sk) = moto.create_key("heidi");
    let repo = Repo::new();
    repo.write("README", "hello\n");
    let base = repo.commit("base");
    repo.write("deploy/creds", ini(&id, &sk, None));
    repo.commit("add creds");
    let out = run(
        &repo.fx,
        &[
            "history",
            "--verify",
            "--verify-endpoint",
            &moto.endpoint,
            "--format",
            "json",
            "--progress",
            "always",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        only_verification(&json_report(&out.stdout))["status"],
        "active"
    );
    // The progress line ends on the final count.
    assert!(
        stderr(&out).contains("keyfence: verifying 1/1 credentials with STS"),
        "{}",
        stderr(&out)
    );
    let out = run(
        &repo.fx,
        &[
            "ci",
            "--base",
            &base,
            "--only-verified",
            "--verify-endpoint",
            &moto.endpoint,
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        only_verification(&json_report(&out.stdout))["status"],
        "active"
    );
}

#[test]
fn a_report_written_with_show_secrets_is_verified_later() {
    let moto = Moto::start();
    let (id, sk) = moto.create_key("ivan");
    let fx = Fixture::new();
    fx.write("src/creds", ini(&id, &sk, None));
    for format in ["json", "jsonl"] {
        let out = run(
            &fx,
            &[
                "scan",
                "--show-secrets",
                "--format",
                format,
                "-o",
                "report.out",
                "src",
            ],
        );
        assert_eq!(out.status.code(), Some(1));
        let out = run(
            &fx,
            &[
                "verify",
                "report.out",
                "--verify-endpoint",
                &moto.endpoint,
                "--format",
                "json",
            ],
        );
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let report = json_report(&out.stdout);
        assert_eq!(
            only_verification(&report)["arn"],
            "arn:aws:iam::123456789012:user/ivan"
        );
        // The verified report is written redacted unless asked.
        assert!(!String::from_utf8_lossy(&out.stdout).contains(&sk));
    }
    // From standard input.
    let report = std::fs::read(fx.path().join("report.out")).unwrap();
    let mut cmd = fx.keyfence();
    cmd.args([
        "verify",
        "-",
        "--verify-endpoint",
        &moto.endpoint,
        "--format",
        "jsonl",
    ]);
    let out = assert_cmd::Command::from_std(cmd)
        .write_stdin(report)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"status\":\"active\""));
    // A redacted report cannot be verified: an error that says why.
    run(
        &fx,
        &["scan", "--format", "json", "-o", "redacted.json", "src"],
    );
    let out = run(
        &fx,
        &[
            "verify",
            "redacted.json",
            "--verify-endpoint",
            &moto.endpoint,
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("redacted.json: finding 1 (creds:2) has its secret redacted"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn staged_pre_push_and_hooks_refuse_to_verify() {
    let repo = Repo::new();
    let (id, sk) = (key_id("AKIA", 10), secret(10));
    repo.write("creds", ini(&id, &sk, None));
    repo.git(&["add", "creds"]);
    for args in [
        &["staged", "--verify"][..],
        &["staged", "--only-verified"],
        &["pre-push", "--verify"],
    ] {
        let out = run(&repo.fx, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.contains("does not verify credentials: it runs in git hooks"),
            "{args:?}: {err}"
        );
    }
    // Verification options without --verify would do nothing: refused.
    let out = run(
        &repo.fx,
        &["scan", "--verify-endpoint", "http://127.0.0.1:1", "."],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--verify-endpoint is an option of verification"));
}

#[test]
fn the_proxy_variables_are_honoured_and_no_proxy_bypasses_them() {
    let fx = Fixture::new();
    fx.write("creds", ini(&key_id("AKIA", 11), &secret(11), None));
    // The endpoint is a closed port: only a proxy can be reached.
    let endpoint = format!("http://127.0.0.1:{}", free_port());
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    proxy.set_nonblocking(true).unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let args = [
        "scan",
        "--verify",
        "--verify-timeout",
        "1",
        "--verify-endpoint",
        &endpoint,
        "--format",
        "json",
        "creds",
    ];
    let out = run_env(&fx, &args, &[("HTTP_PROXY", &proxy_url)]);
    let report = json_report(&out.stdout);
    assert_eq!(only_verification(&report)["status"], "unavailable");
    assert!(proxy.accept().is_ok(), "the proxy was not used");
    assert!(stderr(&out).contains("through proxy"), "{}", stderr(&out));
    let out = run_env(
        &fx,
        &args,
        &[
            ("HTTP_PROXY", &proxy_url),
            ("NO_PROXY", "localhost,127.0.0.1"),
        ],
    );
    assert_eq!(
        only_verification(&json_report(&out.stdout))["status"],
        "unavailable"
    );
    assert!(proxy.accept().is_err(), "NO_PROXY was not honoured");
}

#[test]
fn https_endpoints_are_verified_with_rustls_and_aws_ca_bundle() {
    let moto = Moto::start_tls();
    assert!(moto.endpoint.starts_with("https://"));
    let ca = moto.ca.clone().unwrap();
    let (id, sk) = moto.create_key("judy");
    let fx = Fixture::new();
    fx.write("creds", ini(&id, &sk, None));
    // Trusting the test CA: active.
    let out = run_env(
        &fx,
        &["scan", "--verify", "--format", "json", "creds"],
        &[
            ("AWS_ENDPOINT_URL_STS", &moto.endpoint),
            ("AWS_CA_BUNDLE", ca.to_str().unwrap()),
        ],
    );
    let report = json_report(&out.stdout);
    assert_eq!(
        only_verification(&report)["status"],
        "active",
        "{}",
        stderr(&out)
    );
    // With the built-in roots the certificate is not trusted: unavailable, and the reason.
    let out = run_env(
        &fx,
        &["scan", "--verify", "--format", "json", "creds"],
        &[("AWS_ENDPOINT_URL_STS", &moto.endpoint)],
    );
    let report = json_report(&out.stdout);
    let v = only_verification(&report);
    assert_eq!(v["status"], "unavailable", "{v:#}");
    assert!(
        v["reason"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("certificate"),
        "{v:#}"
    );
}
