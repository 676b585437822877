//! A real git repository in a temporary directory, built with the `git` binary, and the runs of
//! keyfence's git modes on it.

#![allow(dead_code)]

use std::process::Output;

use crate::common::*;

/// A fixture that is a git repository with a fixed identity and clock.
pub struct Repo {
    pub fx: Fixture,
    tick: std::cell::Cell<u64>,
}

impl Repo {
    /// `git init` on branch `main`.
    pub fn new() -> Repo {
        let fx = Fixture::new();
        fx.git(&["init", "-q", "-b", "main"]);
        fx.git(&["config", "commit.gpgsign", "false"]);
        Repo {
            fx,
            tick: std::cell::Cell::new(0),
        }
    }

    /// A repository whose first commit (`init`) holds `files` (path, contents).
    pub fn with_files(files: &[(&str, &str)]) -> Repo {
        let r = Repo::new();
        for (path, contents) in files {
            r.write(path, contents);
        }
        r.commit("init");
        r
    }

    pub fn path(&self) -> &std::path::Path {
        self.fx.path()
    }

    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) {
        self.fx.write(rel, contents);
    }

    pub fn git(&self, args: &[&str]) -> String {
        self.fx.git(args)
    }

    /// Runs `git` with the fixture's identity and returns its output, success or not.
    pub fn git_output(&self, args: &[&str]) -> Output {
        self.git_command(args).output().unwrap()
    }

    fn git_command(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = git_command(self.path());
        cmd.args(args);
        cmd
    }

    /// Stages everything and commits it; returns the commit id.
    pub fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.commit_staged(message)
    }

    /// Commits what is staged, at a clock that moves one minute per commit.
    pub fn commit_staged(&self, message: &str) -> String {
        let t = self.tick.get() + 1;
        self.tick.set(t);
        let date = format!("{} +0000", 1_780_000_000 + t * 60);
        run_exit(
            self.git_command(&[
                "commit",
                "-q",
                "--allow-empty",
                "--no-verify",
                "-m",
                message,
            ])
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date),
            0,
        );
        self.head()
    }

    /// A `--depth depth --no-single-branch` clone of the repository (over `file://`), in a new
    /// fixture: the fixture (which removes it when dropped) and the clone's path.
    pub fn shallow_clone(&self, depth: u32) -> (Fixture, std::path::PathBuf) {
        let clone = Fixture::new();
        let url = format!("file://{}", self.path().display());
        let depth = depth.to_string();
        git_in(
            clone.path(),
            &[
                "clone",
                "-q",
                "--depth",
                &depth,
                "--no-single-branch",
                &url,
                "c",
            ],
        );
        let c = clone.path().join("c");
        (clone, c)
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }

    /// Runs keyfence in the repository with a JSON report.
    pub fn keyfence_json(&self, args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
        let out = self.keyfence(args, &["--format", "json"]);
        let doc = json_report(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code(), doc, stderr)
    }

    /// Runs keyfence in the repository with `args` and then `extra`.
    pub fn keyfence(&self, args: &[&str], extra: &[&str]) -> Output {
        self.fx.keyfence().args(args).args(extra).output().unwrap()
    }

    /// Runs keyfence in the repository with `args` and asserts that it exits with `code`.
    #[track_caller]
    pub fn keyfence_exit(&self, args: &[&str], code: i32) -> Output {
        run_exit(self.fx.keyfence().args(args), code)
    }
}

/// The findings of a JSON report.
pub fn findings(doc: &serde_json::Value) -> Vec<serde_json::Value> {
    doc["findings"].as_array().cloned().unwrap_or_default()
}

/// `(rule_id, path, commit)` of each finding.
pub fn summary(doc: &serde_json::Value) -> Vec<(String, String, String)> {
    findings(doc)
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap_or_default().to_string(),
                f["path"].as_str().unwrap_or_default().to_string(),
                f["commit"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The commit of each finding (empty for one without).
pub fn commits(doc: &serde_json::Value) -> Vec<String> {
    summary(doc).into_iter().map(|s| s.2).collect()
}

/// An INI credentials file with the pair of `seed`, and its key ID.
pub fn pair(seed: u64) -> (String, String) {
    let (text, id, _) = credentials_file(seed);
    (text, id)
}
