//! `keyfence pre-receive` end to end: a real bare repository with the hook installed by
//! `keyfence install --pre-receive --bare`, and real `git push`es to it over `file://` and over
//! `git daemon` started on 127.0.0.1 by the test.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use crate::gitrepo::Repo;

/// A bare repository with keyfence's pre-receive hook.
struct Server {
    fx: Fixture,
}

impl Server {
    fn new() -> Server {
        let fx = Fixture::new();
        fx.git(&["init", "-q", "--bare", "-b", "main", "srv.git"]);
        let out = keyfence_in(fx.path())
            .args(["install", "--pre-receive", "--bare", "srv.git"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        Server { fx }
    }

    fn dir(&self) -> PathBuf {
        self.fx.path().join("srv.git")
    }

    fn url(&self) -> String {
        format!("file://{}", self.dir().display())
    }

    /// Runs `git` in the bare repository.
    fn git(&self, args: &[&str]) -> String {
        git_in(&self.dir(), args)
    }

    /// Writes the server's `.keyfence.toml`.
    fn config(&self, toml: &str) {
        std::fs::write(self.dir().join(".keyfence.toml"), toml).unwrap();
    }

    /// The commit a branch of the server names, if it exists.
    fn branch(&self, name: &str) -> Option<String> {
        let out = git_command(&self.dir())
            .args(["rev-parse", "--verify", "-q", &format!("refs/heads/{name}")])
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// Whether the repository's own object store holds `oid` (no quarantine involved).
    fn has_object(&self, oid: &str) -> bool {
        git_command(&self.dir())
            .args(["cat-file", "-e", oid])
            .status()
            .unwrap()
            .success()
    }
}

/// `git daemon` serving the server's directory on 127.0.0.1, receive-pack enabled; killed when
/// dropped.
struct Daemon {
    child: Child,
    port: u16,
}

impl Daemon {
    fn start(server: &Server) -> Daemon {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let base = server.fx.path();
        let child = git_command(base)
            .args([
                "daemon",
                "--reuseaddr",
                "--export-all",
                "--enable=receive-pack",
                "--informative-errors",
                "--listen=127.0.0.1",
                &format!("--port={port}"),
                &format!("--base-path={}", base.display()),
            ])
            .arg(base)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("git daemon starts");
        let mut daemon = Daemon { child, port };
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = daemon.child.try_wait() {
                panic!("git daemon exited: {status}");
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "git daemon did not listen on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        daemon
    }

    fn url(&self) -> String {
        format!("git://127.0.0.1:{}/srv.git", self.port)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `git push` from `client` with `extra` environment variables.
fn push_env(client: &Repo, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = git_command(client.path());
    cmd.arg("push").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn push(client: &Repo, args: &[&str]) -> Output {
    push_env(client, args, &[])
}

fn assert_accepted(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{}", text(out));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_rejected(out: &Output) -> String {
    assert_ne!(out.status.code(), Some(0), "{}", text(out));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.contains("pre-receive hook declined"), "{err}");
    err
}

/// A client with one clean commit on `main`.
fn client() -> Repo {
    let c = Repo::new();
    c.write("README.md", "# demo\n");
    c.commit("initial");
    c
}

/// Commits a credentials file at `path` (seeded); returns the key ID and the secret.
fn commit_credential(c: &Repo, path: &str, seed: u64) -> (String, String) {
    let (file, id, sk) = credentials_file(seed);
    c.write(path, file);
    c.commit(&format!("add {path}"));
    (id, sk)
}

/// The stats line the hook prints: `(commits, blobs)`.
fn stats(stderr: &str) -> (u64, u64) {
    let line = stderr
        .lines()
        .find(|l| l.contains("keyfence: checked"))
        .unwrap_or_else(|| panic!("no stats line: {stderr}"));
    let num = |after: &str| -> u64 {
        let at = line
            .find(after)
            .unwrap_or_else(|| panic!("{after} in {line}"));
        line[..at]
            .split_whitespace()
            .last()
            .unwrap()
            .parse()
            .unwrap()
    };
    (num(" commit(s)"), num(" blob(s)"))
}

/// The transports every basic test runs over.
fn each_transport(test: impl Fn(&Server, &str)) {
    let server = Server::new();
    test(&server, &server.url());
    let server = Server::new();
    let daemon = Daemon::start(&server);
    test(&server, &daemon.url());
}

#[test]
fn credential_push_is_rejected_and_the_pusher_sees_the_finding_clean_push_passes() {
    each_transport(|server, url| {
        let c = client();
        let err = assert_accepted(&push(&c, &[url, "main"]));
        assert!(err.contains("remote: keyfence: checked 1 ref(s)"), "{err}");
        let clean = c.head();
        assert_eq!(server.branch("main").as_deref(), Some(clean.as_str()));

        let (id, sk) = commit_credential(&c, "config/creds.ini", 1);
        let bad = c.head();
        let err = assert_rejected(&push(&c, &[url, "main"]));
        assert!(
            err.contains("remote: keyfence: the push was rejected: 1 credential(s)"),
            "{err}"
        );
        let line = err
            .lines()
            .find(|l| l.contains("config/creds.ini:2"))
            .unwrap_or_else(|| panic!("no finding line: {err}"));
        assert!(line.starts_with("remote: keyfence:"), "{line}");
        assert!(line.contains("refs/heads/main"), "{line}");
        assert!(line.contains(&bad[..12]), "{line}");
        assert!(line.contains(&format!("key ID {id}")), "{line}");
        assert!(line.contains("rule aws-"), "{line}");
        assert!(!err.contains(&sk), "the secret reached the pusher: {err}");
        assert_eq!(server.branch("main").as_deref(), Some(clean.as_str()));
    });
}

#[test]
fn of_three_refs_only_the_third_carries_a_credential_and_is_named() {
    each_transport(|server, url| {
        let c = client();
        assert_accepted(&push(&c, &[url, "main"]));
        for (branch, file) in [("one", "a.txt"), ("two", "b.txt"), ("three", "c.ini")] {
            c.git(&["checkout", "-q", "-b", branch, "main"]);
            if branch == "three" {
                commit_credential(&c, file, 3);
            } else {
                c.write(file, format!("{branch}\n"));
                c.commit(branch);
            }
        }
        let err = assert_rejected(&push(&c, &[url, "one", "two", "three"]));
        let findings: Vec<&str> = err.lines().filter(|l| l.contains("c.ini:2")).collect();
        assert_eq!(findings.len(), 1, "{err}");
        assert!(findings[0].contains("refs/heads/three"), "{err}");
        assert!(!findings[0].contains("refs/heads/one"), "{err}");
        assert!(err.contains("checked 3 ref(s)"), "{err}");
        for b in ["one", "two", "three"] {
            assert_eq!(server.branch(b), None, "{b} was created");
        }
    });
}

#[test]
fn a_branch_deletion_passes_and_moving_a_ref_to_known_commits_reads_no_blobs() {
    each_transport(|server, url| {
        let c = client();
        c.write("b.txt", "second\n");
        c.commit("second");
        assert_accepted(&push(
            &c,
            &[url, "main", "main:refs/heads/gone", "main:refs/heads/keep"],
        ));
        assert!(server.branch("gone").is_some());

        let err = assert_accepted(&push(&c, &[url, "--delete", "gone"]));
        assert!(err.contains("1 ref(s) deleted, nothing to check"), "{err}");
        assert_eq!(server.branch("gone"), None);

        // A new branch at a commit the server has, and main moved back to its parent.
        let err = assert_accepted(&push(&c, &[url, "main~1:refs/heads/old"]));
        assert_eq!(stats(&err), (0, 0), "{err}");
        let err = assert_accepted(&push(&c, &[url, "--force", "main~1:main"]));
        assert_eq!(stats(&err), (0, 0), "{err}");
        // Moving it forward again, to the commit `keep` holds: still nothing new to read.
        let err = assert_accepted(&push(&c, &[url, "main:main"]));
        assert_eq!(stats(&err), (0, 0), "{err}");
        // One new commit with one new file: one commit walked, and only what it brings read
        // (its blob and the base version of the path it touches, none here).
        c.write("c.txt", "third\n");
        c.commit("third");
        let err = assert_accepted(&push(&c, &[url, "main"]));
        assert_eq!(stats(&err), (1, 1), "{err}");
    });
}

/// The hook wrapped in a script that first records where the pushed blob is: in the
/// quarantine (loose or in a pack), not in the repository's own object directory.
fn wrap_hook_with_probe(server: &Server, blob: &str) {
    let hook = server.dir().join("hooks/pre-receive");
    std::fs::rename(&hook, server.dir().join("hooks/keyfence-pre-receive")).unwrap();
    let script = format!(
        "#!/bin/sh\n\
         q=\"$GIT_QUARANTINE_PATH\"\n\
         echo \"probe: quarantine set: ${{q:+yes}}\" >&2\n\
         echo \"probe: loose in quarantine: $(find \"$q\" -path '*/{}/{}' | wc -l)\" >&2\n\
         echo \"probe: packs in quarantine: $(find \"$q\" -name '*.pack' | wc -l)\" >&2\n\
         if env -u GIT_OBJECT_DIRECTORY -u GIT_ALTERNATE_OBJECT_DIRECTORIES -u GIT_QUARANTINE_PATH \
            git cat-file -e {blob} 2>/dev/null; then echo 'probe: in repository: yes' >&2; \
         else echo 'probe: in repository: no' >&2; fi\n\
         exec \"$(dirname \"$0\")/keyfence-pre-receive\"\n",
        &blob[..2],
        &blob[2..]
    );
    std::fs::write(&hook, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn pushed_objects_are_read_from_the_quarantine_loose_and_packed() {
    for (limit, loose, packs) in [("100000", "1", "0"), ("1", "0", "1")] {
        let server = Server::new();
        server.git(&["config", "receive.unpackLimit", limit]);
        let c = client();
        assert_accepted(&push(&c, &[&server.url(), "main"]));
        let (id, _) = commit_credential(&c, "creds.ini", 4);
        let blob = c.git(&["rev-parse", "HEAD:creds.ini"]).trim().to_string();
        wrap_hook_with_probe(&server, &blob);
        let err = assert_rejected(&push(&c, &[&server.url(), "main"]));
        assert!(err.contains("probe: quarantine set: yes"), "{err}");
        assert!(
            err.contains(&format!("probe: loose in quarantine: {loose}")),
            "{limit}: {err}"
        );
        assert!(
            err.contains(&format!("probe: packs in quarantine: {packs}")),
            "{limit}: {err}"
        );
        assert!(err.contains("probe: in repository: no"), "{err}");
        assert!(err.contains("quarantine read"), "{err}");
        assert!(err.contains(&format!("key ID {id}")), "{err}");
        // Rejected: the quarantine is gone, and the blob never reached the repository.
        assert!(!server.has_object(&blob), "unpackLimit {limit}");
    }
}

#[test]
fn the_escape_hatch_works_only_when_enabled_and_is_logged() {
    let server = Server::new();
    server.git(&["config", "receive.advertisePushOptions", "true"]);
    let c = client();
    assert_accepted(&push(&c, &[&server.url(), "main"]));
    let (id, sk) = commit_credential(&c, "creds.ini", 5);
    let audit = server.fx.path().join("audit.jsonl");
    server.config(&format!("[server]\naudit_log = '{}'\n", audit.display()));
    let who = [("USER", "alice")];

    let err = assert_rejected(&push_env(
        &c,
        &["-o", "keyfence.skip", &server.url(), "main"],
        &who,
    ));
    assert!(
        err.contains("push option keyfence.skip is not allowed on this server"),
        "{err}"
    );
    assert!(err.contains(&format!("key ID {id}")), "{err}");
    let log = std::fs::read_to_string(&audit).unwrap();
    assert!(log.contains("\"event\":\"skip-refused\""), "{log}");

    server.config(&format!(
        "[server]\nallow_skip = true\naudit_log = '{}'\n",
        audit.display()
    ));
    let head = c.head();
    let out = push_env(
        &c,
        &["-o", "keyfence.skip=rotated already", &server.url(), "main"],
        &who,
    );
    let err = assert_accepted(&out);
    assert!(
        err.contains("remote: keyfence: SKIPPED by alice (USER) with push option keyfence.skip: refs/heads/main (1 commit(s), reason: rotated already)"),
        "{err}"
    );
    assert_eq!(server.branch("main").as_deref(), Some(head.as_str()));
    let log = std::fs::read_to_string(&audit).unwrap();
    let last: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(last["event"], "skip");
    assert_eq!(last["user"]["name"], "alice");
    assert_eq!(last["refs"][0]["ref"], "refs/heads/main");
    assert_eq!(last["refs"][0]["commits"][0], head.as_str());
    assert_eq!(last["detail"]["reason"], "rotated already");
    assert!(!log.contains(&sk));

    // Without the option, the same server still checks.
    let (_, _) = commit_credential(&c, "more.ini", 6);
    assert_rejected(&push(&c, &[&server.url(), "main"]));
}

#[test]
fn an_audit_log_that_cannot_be_written_refuses_the_skip() {
    let server = Server::new();
    server.git(&["config", "receive.advertisePushOptions", "true"]);
    let c = client();
    commit_credential(&c, "creds.ini", 7);
    let missing = server.fx.path().join("no/such/dir/audit.jsonl");
    server.config(&format!(
        "[server]\nallow_skip = true\naudit_log = '{}'\n",
        missing.display()
    ));
    let err = assert_rejected(&push(&c, &["-o", "keyfence.skip", &server.url(), "main"]));
    assert!(err.contains("cannot write the audit log"), "{err}");
    assert!(err.contains("the skip is refused"), "{err}");
}

#[test]
fn budgets_that_run_out_follow_the_policy() {
    let server = Server::new();
    let c = client();
    c.write("a.txt", "a\n");
    c.commit("two");
    let audit = server.fx.path().join("audit.jsonl");

    server.config("[server]\ntimeout = 0.0\n");
    let err = assert_rejected(&push(&c, &[&server.url(), "main"]));
    assert!(err.contains("the time budget of 0 s ran out"), "{err}");
    assert!(
        err.contains("the push was rejected (on_timeout = reject)"),
        "{err}"
    );

    server.config(&format!(
        "[server]\ntimeout = 0.0\non_timeout = 'accept'\naudit_log = '{}'\n",
        audit.display()
    ));
    let err = assert_accepted(&push(&c, &[&server.url(), "main"]));
    assert!(
        err.contains("the push was accepted unchecked (on_timeout = accept)"),
        "{err}"
    );
    assert!(std::fs::read_to_string(&audit)
        .unwrap()
        .contains("\"event\":\"timeout-accept\""));

    c.write("b.txt", "b\n");
    c.commit("three");
    c.write("c.txt", "c\n");
    c.commit("four");
    server.config("[server]\nmax_commits = 1\n");
    let err = assert_rejected(&push(&c, &[&server.url(), "main"]));
    assert!(
        err.contains("the push brings 2 commits, more than the commit budget of 1"),
        "{err}"
    );
    assert!(err.contains("on_timeout = reject"), "{err}");
    server.config("[server]\nmax_commits = 1\non_timeout = 'accept'\n");
    let err = assert_accepted(&push(&c, &[&server.url(), "main"]));
    assert!(
        err.contains("accepted unchecked (on_timeout = accept)"),
        "{err}"
    );
}

#[test]
fn a_broken_keyfence_rejects_the_push() {
    let server = Server::new();
    let c = client();
    server.config("colour = 1\n");
    let err = assert_rejected(&push(&c, &[&server.url(), "main"]));
    assert!(err.contains("could not check the push"), "{err}");
    assert!(err.contains("unknown field `colour`"), "{err}");
    assert!(err.contains("fails closed (on_error = reject)"), "{err}");
    assert_eq!(server.branch("main"), None);

    // The binary gone and none on PATH: the hook script itself rejects.
    server.config("");
    let hook = server.dir().join("hooks/pre-receive");
    let script = std::fs::read_to_string(&hook).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("keyfence");
    std::fs::write(
        &hook,
        script.replace(bin.to_str().unwrap(), "/nonexistent/keyfence"),
    )
    .unwrap();
    let err = assert_rejected(&push(&c, &[&server.url(), "main"]));
    assert!(
        err.contains("keyfence was not found on the server"),
        "{err}"
    );
}

#[test]
fn gitlab_gets_its_prefix() {
    let server = Server::new();
    let c = client();
    commit_credential(&c, "creds.ini", 8);
    let err = assert_rejected(&push_env(
        &c,
        &[&server.url(), "main"],
        &[("GL_ID", "user-1")],
    ));
    assert!(
        err.contains("remote: GL-HOOK-ERR: keyfence: the push was rejected: 1 credential(s)"),
        "{err}"
    );
}

/// Runs `keyfence pre-receive` directly in `dir` with `stdin`.
fn run_hook(dir: &Path, stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = keyfence_in(dir)
        .arg("pre-receive")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn malformed_standard_input_is_an_error_naming_the_line() {
    let server = Server::new();
    let zero = "0".repeat(40);
    let one = "1".repeat(40);
    for (input, expected) in [
        (
            format!("{zero} {one} refs/heads/a\nnot a ref line\n"),
            "standard input line 2",
        ),
        (format!("{zero} {one}\n"), "standard input line 1: expected"),
        (
            format!("{zero} {one} refs/heads/\x1b[2J\n"),
            "control characters",
        ),
        (format!("{zero} {one} refs/heads/a\n"), "object 1111111111"),
    ] {
        let out = run_hook(&server.dir(), input.as_bytes());
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{expected}: {err}");
        assert!(err.contains("fails closed"), "{err}");
        assert!(!err.contains('\x1b'), "{err}");
    }
    // More than any pre-receive input: refused before it is parsed.
    let huge = vec![b'a'; (16 << 20) + 1];
    let out = run_hook(&server.dir(), &huge);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("larger than 16 MiB"));
}

#[test]
fn tags_are_checked_and_refs_to_blobs_in_the_repository_do_not_get_in_the_way() {
    let server = Server::new();
    let c = client();
    assert_accepted(&push(&c, &[&server.url(), "main"]));
    // The server has a tag of a blob (git's own repository has one): hiding every existing ref
    // must not trip over it.
    let blob = git_command(&server.dir())
        .args(["hash-object", "-w", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(b"a public key\n")?;
            child.wait_with_output()
        })
        .unwrap();
    let blob = String::from_utf8_lossy(&blob.stdout).trim().to_string();
    server.git(&["tag", "key-blob", &blob]);

    c.git(&["checkout", "-q", "-b", "topic"]);
    let (id, _) = commit_credential(&c, "t.ini", 9);
    c.git(&["checkout", "-q", "main"]);
    c.git(&["tag", "-a", "-m", "release", "v1", "topic"]);
    let err = assert_rejected(&push(&c, &[&server.url(), "refs/tags/v1"]));
    let line = err
        .lines()
        .find(|l| l.contains("t.ini:2"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(line.contains("refs/tags/v1"), "{err}");
    assert!(line.contains(&format!("key ID {id}")), "{err}");

    // A clean branch passes while the blob tag is there.
    c.write("x.txt", "x\n");
    c.commit("x");
    assert_accepted(&push(&c, &[&server.url(), "main"]));

    // A ref to a blob is not a commit: not checkable, so rejected (fail closed).
    let pushed_blob = c.git(&["rev-parse", "main:x.txt"]).trim().to_string();
    let err = assert_rejected(&push(
        &c,
        &[&server.url(), &format!("{pushed_blob}:refs/tags/blob")],
    ));
    assert!(err.contains("peels to a blob, not a commit"), "{err}");
}
