//! Shared fixtures: a temporary directory, credentials built at run time, and the real binary
//! run with a clean environment.

#![allow(dead_code, unused_imports)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use assert_cmd::cargo::CommandCargoExt;
use tempfile::TempDir;

pub use keyfence::synthetic::{expand_template, key_id, key_id_for_account, secret, session_token};

/// A temporary directory that files and repositories are built in.
pub struct Fixture {
    pub dir: TempDir,
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `rel` (creating parent directories) and returns its path.
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, contents).unwrap();
        p
    }

    /// The `keyfence` binary, started in the fixture with a clean environment.
    pub fn keyfence(&self) -> Command {
        keyfence_in(self.path())
    }

    /// Runs the `keyfence` binary in the fixture with `args`; its output, whatever its exit.
    pub fn output(&self, args: &[&str]) -> Output {
        self.keyfence().args(args).output().expect("keyfence runs")
    }

    /// Runs `git` in the fixture and panics on failure.
    pub fn git(&self, args: &[&str]) -> String {
        git_in(self.path(), args)
    }
}

/// The `keyfence` binary started in `dir` with an environment that holds nothing of the caller's.
pub fn keyfence_in(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("keyfence").expect("binary");
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd.env("HOME", dir);
    cmd
}

/// `git` in `dir` with a fixed identity and no user configuration, nothing of the caller's
/// environment but PATH.
pub fn git_command(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test Author")
        .env("GIT_AUTHOR_EMAIL", "author@example.com")
        .env("GIT_COMMITTER_NAME", "Test Author")
        .env("GIT_COMMITTER_EMAIL", "author@example.com");
    cmd
}

/// Runs `git` in `dir` (see [`git_command`]); panics on failure.
pub fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = git_command(dir).args(args).output().expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// An INI credentials file holding one long-term pair (seeded).
pub fn credentials_file(seed: u64) -> (String, String, String) {
    let (id, sk) = (key_id("AKIA", seed), secret(seed));
    let text = format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = {sk}\n");
    (text, id, sk)
}

/// A command as a failure message names it: the program and its arguments.
fn shown(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Asserts that `out` exited with `code`; otherwise fails naming `what` and showing what the
/// program wrote.
#[track_caller]
pub fn assert_exit(out: &Output, code: i32, what: &str) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{what}: exit {:?}, not {code}\n{}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `cmd` and asserts that it exits with `code` (see [`assert_exit`]); returns its output.
#[track_caller]
pub fn run_exit(cmd: &mut Command, code: i32) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{} does not run: {e}", shown(cmd)));
    assert_exit(&out, code, &shown(cmd));
    out
}

/// Runs `cmd`, asserts that it exits with `code` and parses the JSON report it prints.
#[track_caller]
pub fn run_json(cmd: &mut Command, code: i32) -> serde_json::Value {
    json_report(&run_exit(cmd, code).stdout)
}

/// Asserts that `text` contains `part`, showing both otherwise.
#[track_caller]
pub fn assert_contains(text: &str, part: &str) {
    assert!(text.contains(part), "{part:?} is not in:\n{text}");
}

/// Parses the JSON report on a command's standard output.
pub fn json_report(stdout: &[u8]) -> serde_json::Value {
    serde_json::from_slice(stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(stdout)))
}

/// The labelled corpus vendored in `tests/data/corpus` (written by `scripts/vendor_corpus.py`),
/// copied into a temporary directory under the same relative paths (`files/…`, `labels.json`)
/// with its credential placeholders expanded to synthetic credentials.
pub fn vendored_corpus() -> Fixture {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/corpus");
    assert!(
        src.join("labels.json").exists(),
        "{} is missing",
        src.display()
    );
    let fx = Fixture::new();
    copy_expanded(&src, &src, &fx);
    fx
}

fn copy_expanded(root: &Path, dir: &Path, fx: &Fixture) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            copy_expanded(root, &path, fx);
            continue;
        }
        let rel = path.strip_prefix(root).unwrap().to_str().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        match String::from_utf8(bytes) {
            Ok(text) => fx.write(rel, expand_template(&text)),
            // Not UTF-8: the vendoring script templates nothing in it, so it is copied as is.
            Err(e) => fx.write(rel, e.into_bytes()),
        };
    }
}

/// The shared corpus beside the repository, when it is there.
pub fn corpus_dir() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    p.join("labels.json").exists().then_some(p)
}
