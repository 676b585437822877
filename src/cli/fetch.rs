//! Fetching the blobs a partial clone lacks (`--no-fetch`, `--max-fetch`): the `git` binary
//! run as git's own lazy fetch runs it (`promisor-remote.c`: `git -c
//! fetch.negotiationAlgorithm=noop fetch <remote> --no-tags --no-write-fetch-head
//! --recurse-submodules=no --filter=blob:none --stdin`, the ids on standard input), never
//! asking for credentials: no terminal prompt, SSH in batch mode and a stalled HTTP transfer
//! cut off, unless the user configured those themselves; and no automatic maintenance (a
//! repack while the scan reads the packs).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use git2::Oid;

use super::args::FetchArgs;
use super::url::mask_userinfo;
use crate::source::git::{BlobFetcher, FetchOptions};

/// The fetch options of `--no-fetch` and `--max-fetch`.
pub(super) fn fetch_options(args: &FetchArgs) -> FetchOptions {
    FetchOptions {
        fetcher: (!args.no_fetch).then(|| Arc::new(GitFetcher) as Arc<dyn BlobFetcher>),
        max_bytes: args.max_fetch,
        off_hint: " (--no-fetch: run without it to fetch them)".into(),
        ..FetchOptions::default()
    }
}

/// Runs `git fetch` for the ids.
#[derive(Debug)]
struct GitFetcher;

impl BlobFetcher for GitFetcher {
    fn fetch(&self, git_dir: &Path, remote: &str, oids: &[Oid]) -> Result<(), String> {
        let mut cmd = Command::new("git");
        cmd.arg("--git-dir").arg(git_dir);
        cmd.args(["-c", "fetch.negotiationAlgorithm=noop"]);
        let config = git2::Repository::open(git_dir).and_then(|r| r.config());
        let unset = |key: &str| config.as_ref().is_ok_and(|c| c.get_entry(key).is_err());
        let ssh_env = ["GIT_SSH_COMMAND", "GIT_SSH"]
            .iter()
            .any(|v| std::env::var_os(v).is_some());
        if !ssh_env && unset("core.sshCommand") {
            cmd.args(["-c", "core.sshCommand=ssh -o BatchMode=yes"]);
        }
        if unset("http.lowSpeedLimit") && unset("http.lowSpeedTime") {
            cmd.args(["-c", "http.lowSpeedLimit=1", "-c", "http.lowSpeedTime=60"]);
        }
        cmd.args(["fetch", remote, "--no-tags", "--no-write-fetch-head"])
            .args(["--recurse-submodules=no", "--filter=blob:none", "--stdin"])
            // No repack while the scan reads the packs.
            .arg("--no-auto-maintenance")
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| format!("cannot run git: {e}"))?;
        let mut ids = String::with_capacity(oids.len() * 41);
        for oid in oids {
            ids.push_str(&oid.to_string());
            ids.push('\n');
        }
        let mut stdin = child.stdin.take();
        let writer = std::thread::spawn(move || {
            if let Some(stdin) = stdin.as_mut() {
                let _ = stdin.write_all(ids.as_bytes());
            }
        });
        let out = child
            .wait_with_output()
            .map_err(|e| format!("git fetch: {e}"))?;
        let _ = writer.join();
        if out.status.success() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&out.stderr);
        let last: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let tail = last[last.len().saturating_sub(4)..].join(" / ");
        Err(format!(
            "git fetch ({}): {}",
            out.status,
            mask_userinfo(&tail)
        ))
    }
}
