//! `keyfence install`: where the hook goes (`.git/hooks`, `core.hooksPath`, worktrees), what
//! happens to an existing hook, and, end to end with the real `git`, that the installed hooks stop
//! commits and pushes that add credentials and fail closed when keyfence cannot check.

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::*;

/// The file an installed hook runs by default.
fn keyfence_bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("keyfence")
}

/// A repository on branch `main` with one commit.
fn repo() -> Fixture {
    let fx = Fixture::new();
    fx.git(&["init", "-q", "-b", "main"]);
    fx.write("README.md", "# demo\n");
    fx.git(&["add", "README.md"]);
    fx.git(&["commit", "-q", "-m", "initial"]);
    fx
}

fn install(dir: &Path, args: &[&str]) -> Output {
    keyfence_in(dir).arg("install").args(args).output().unwrap()
}

/// Runs `git` as [`git_in`] does (clean environment, fixed identity) plus `env`, and returns
/// the outcome instead of panicking.
fn git_out(dir: &Path, args: &[&str], env: &[(&str, OsString)]) -> Output {
    let mut cmd = git_command(dir);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("git runs")
}

/// No `<hook>.keyfence-backup` was left beside the hook.
fn assert_no_backup(fx: &Fixture, hook: &str) {
    let backup = fx.path().join(format!(".git/hooks/{hook}.keyfence-backup"));
    assert!(!backup.exists(), "{}", backup.display());
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn assert_ok(out: &Output) {
    assert_eq!(out.status.code(), Some(0), "{}", text(out));
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Writes an executable `sh` script.
fn script(path: &Path, body: &str) -> PathBuf {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_path_buf()
}

fn head(dir: &Path) -> String {
    git_in(dir, &["rev-parse", "HEAD"]).trim().to_string()
}

fn env(k: &'static str, v: impl Into<OsString>) -> (&'static str, OsString) {
    (k, v.into())
}

// ---------------------------------------------------------------------------------------------
// Where the hook goes and what happens to an existing one.

#[test]
fn install_writes_an_executable_pre_commit_hook_naming_this_binary() {
    let fx = repo();
    let out = install(fx.path(), &[]);
    assert_ok(&out);
    let hook = fx.path().join(".git/hooks/pre-commit");
    let body = std::fs::read_to_string(&hook).unwrap();
    assert!(body.starts_with("#!/bin/sh\n"), "{body}");
    assert!(body.contains("\n# keyfence-hook"), "{body}");
    assert!(body.contains("\"$keyfence\" staged\n"), "{body}");
    let quoted = format!("installed_keyfence='{}'\n", keyfence_bin().display());
    assert!(body.contains(&quoted), "{quoted} not in\n{body}");
    assert_eq!(mode(&hook), 0o755);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&hook.display().to_string()),
        "{}",
        text(&out)
    );
    assert!(!fx.path().join(".git/hooks/pre-push").exists());
}

#[test]
fn pre_push_flag_writes_the_pre_push_hook() {
    let fx = repo();
    assert_ok(&install(fx.path(), &["--pre-push"]));
    let hook = fx.path().join(".git/hooks/pre-push");
    let body = std::fs::read_to_string(&hook).unwrap();
    assert!(body.contains("\"$keyfence\" pre-push \"$@\"\n"), "{body}");
    assert!(body.contains("\n# keyfence-hook"), "{body}");
    assert_eq!(mode(&hook), 0o755);
    assert!(!fx.path().join(".git/hooks/pre-commit").exists());
}

#[test]
fn relative_core_hooks_path_is_relative_to_the_work_tree_root() {
    let fx = repo();
    fx.git(&["config", "core.hooksPath", "tools/hooks"]);
    let sub = fx.path().join("src/deep");
    std::fs::create_dir_all(&sub).unwrap();
    assert_ok(&install(&sub, &[]));
    let hook = fx.path().join("tools/hooks/pre-commit");
    assert!(hook.is_file(), "no hook at {}", hook.display());
    assert_eq!(mode(&hook), 0o755);
    assert!(!fx.path().join(".git/hooks/pre-commit").exists());
    assert!(!sub.join("tools").exists());
}

#[test]
fn absolute_core_hooks_path_is_used_as_is() {
    let fx = repo();
    let elsewhere = Fixture::new();
    let dir = elsewhere.path().join("shared-hooks");
    fx.git(&["config", "core.hooksPath", dir.to_str().unwrap()]);
    assert_ok(&install(fx.path(), &["--pre-push"]));
    assert!(dir.join("pre-push").is_file());
    assert!(!fx.path().join(".git/hooks/pre-push").exists());
}

#[test]
fn a_linked_worktree_installs_into_the_common_hooks_directory() {
    let fx = repo();
    let wt = fx.path().join("wt");
    fx.git(&["worktree", "add", "-q", wt.to_str().unwrap()]);
    assert_ok(&install(&wt, &[]));
    assert!(fx.path().join(".git/hooks/pre-commit").is_file());
}

#[test]
fn reinstalling_is_idempotent() {
    let fx = repo();
    assert_ok(&install(fx.path(), &[]));
    let hook = fx.path().join(".git/hooks/pre-commit");
    let first = std::fs::read(&hook).unwrap();
    let out = install(fx.path(), &[]);
    assert_ok(&out);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("already installed"),
        "{}",
        text(&out)
    );
    assert_eq!(std::fs::read(&hook).unwrap(), first);
    let names: Vec<_> = std::fs::read_dir(fx.path().join(".git/hooks"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains("keyfence"))
        .collect();
    assert!(names.is_empty(), "left behind: {names:?}");
}

#[test]
fn an_older_keyfence_hook_is_replaced_without_force() {
    let fx = repo();
    let hook = fx.path().join(".git/hooks/pre-commit");
    script(
        &hook,
        "# keyfence-hook: pre-commit\nexec /old/place/keyfence staged",
    );
    let out = install(fx.path(), &[]);
    assert_ok(&out);
    let body = std::fs::read_to_string(&hook).unwrap();
    assert!(!body.contains("/old/place"), "{body}");
    assert!(
        body.contains(&keyfence_bin().display().to_string()),
        "{body}"
    );
    assert_no_backup(&fx, "pre-commit");
}

#[test]
fn a_foreign_hook_is_refused_and_left_untouched() {
    let fx = repo();
    let hook = fx.path().join(".git/hooks/pre-commit");
    script(&hook, "exec make lint");
    let before = std::fs::read(&hook).unwrap();
    let out = install(fx.path(), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&hook.display().to_string()), "{stderr}");
    assert!(stderr.contains("not a keyfence hook"), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(std::fs::read(&hook).unwrap(), before);
    assert_eq!(mode(&hook), 0o755);
    assert_no_backup(&fx, "pre-commit");
}

#[test]
fn force_replaces_a_foreign_hook_and_keeps_a_backup() {
    let fx = repo();
    let hook = fx.path().join(".git/hooks/pre-push");
    script(&hook, "exec ./run-tests");
    let before = std::fs::read(&hook).unwrap();
    let out = install(fx.path(), &["--pre-push", "--force"]);
    assert_ok(&out);
    let backup = fx.path().join(".git/hooks/pre-push.keyfence-backup");
    assert_eq!(std::fs::read(&backup).unwrap(), before);
    let body = std::fs::read_to_string(&hook).unwrap();
    assert!(body.contains("\n# keyfence-hook"), "{body}");
    assert_eq!(mode(&hook), 0o755);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&backup.display().to_string()),
        "{}",
        text(&out)
    );
}

#[test]
fn outside_a_repository_exits_2_naming_the_directory() {
    let fx = Fixture::new();
    let dir = fx.path().join("plain");
    std::fs::create_dir_all(&dir).unwrap();
    let out = keyfence_in(&dir)
        .arg("install")
        .env("GIT_CEILING_DIRECTORIES", fx.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not in a git repository"), "{stderr}");
    assert!(stderr.contains(&dir.display().to_string()), "{stderr}");
}

// ---------------------------------------------------------------------------------------------
// The hook scripts themselves (a stand-in keyfence: independent of the scanning commands).

#[test]
fn pre_commit_hook_fails_closed_when_keyfence_errors() {
    let fx = repo();
    assert_ok(&install(fx.path(), &[]));
    let tools = Fixture::new();
    let broken = script(&tools.path().join("broken-keyfence"), "exit 2");
    fx.write("notes.txt", "nothing secret\n");
    fx.git(&["add", "notes.txt"]);
    let before = head(fx.path());
    let out = git_out(
        fx.path(),
        &["commit", "-q", "-m", "notes"],
        &[env("KEYFENCE", broken)],
    );
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("could not check the commit (exit code 2)"),
        "{stderr}"
    );
    assert_eq!(head(fx.path()), before);
}

#[test]
fn pre_commit_hook_fails_closed_when_keyfence_is_missing() {
    let fx = repo();
    assert_ok(&install(fx.path(), &[]));
    fx.write("notes.txt", "nothing secret\n");
    fx.git(&["add", "notes.txt"]);
    let before = head(fx.path());
    let missing = fx.path().join("no/such/keyfence");
    let out = git_out(
        fx.path(),
        &["commit", "-q", "-m", "notes"],
        &[env("KEYFENCE", missing)],
    );
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("keyfence was not found"), "{stderr}");
    assert!(stderr.contains("commit was stopped"), "{stderr}");
    assert_eq!(head(fx.path()), before);
}

#[test]
fn a_hook_whose_binary_is_gone_uses_keyfence_on_path() {
    let fx = repo();
    // Install from a copy of the binary, then delete the copy.
    let elsewhere = Fixture::new();
    let copy = elsewhere.path().join("keyfence");
    std::fs::copy(keyfence_bin(), &copy).unwrap();
    let run_copy = || {
        Command::new(&copy)
            .arg("install")
            .current_dir(fx.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", fx.path())
            .output()
    };
    // A process forked by a parallel test while the copy was being written holds it open for
    // writing until it execs: "text file busy" for a moment.
    let mut out = run_copy();
    for _ in 0..50 {
        match &out {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(std::time::Duration::from_millis(100));
                out = run_copy();
            }
            _ => break,
        }
    }
    assert_ok(&out.unwrap());
    std::fs::remove_file(&copy).unwrap();

    let bin = elsewhere.path().join("bin");
    let log = elsewhere.path().join("calls.log");
    script(
        &bin.join("keyfence"),
        &format!("echo \"$@\" >> '{}'\nexit 0", log.display()),
    );
    let mut path = OsString::from(&bin);
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    fx.write("notes.txt", "nothing secret\n");
    fx.git(&["add", "notes.txt"]);
    let before = head(fx.path());
    let out = git_out(
        fx.path(),
        &["commit", "-q", "-m", "notes"],
        &[env("PATH", path)],
    );
    assert_ok(&out);
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "staged\n");
    assert_ne!(head(fx.path()), before);
}

#[test]
fn pre_push_hook_passes_git_arguments_and_stdin_to_keyfence() {
    let (fx, remote) = repo_with_remote();
    assert_ok(&install(fx.path(), &["--pre-push"]));
    fx.git(&["checkout", "-q", "-b", "topic"]);
    let tools = Fixture::new();
    let seen = tools.path().join("seen");
    let recorder = script(
        &tools.path().join("recorder"),
        &format!(
            "echo \"args: $*\" > '{0}'\ncat >> '{0}'\nexit 0",
            seen.display()
        ),
    );
    let out = git_out(
        fx.path(),
        &["push", "-q", "origin", "topic"],
        &[env("KEYFENCE", recorder)],
    );
    assert_ok(&out);
    let seen = std::fs::read_to_string(&seen).unwrap();
    let sha = head(fx.path());
    let zero = "0".repeat(sha.len());
    assert_eq!(
        seen,
        format!(
            "args: pre-push origin {}\nrefs/heads/topic {sha} refs/heads/topic {zero}\n",
            remote.path().display()
        )
    );
    assert!(remote_has(remote.path(), "topic"));
}

#[test]
fn pre_push_hook_fails_closed_when_keyfence_errors() {
    let (fx, remote) = repo_with_remote();
    assert_ok(&install(fx.path(), &["--pre-push"]));
    fx.git(&["checkout", "-q", "-b", "topic"]);
    let tools = Fixture::new();
    let broken = script(
        &tools.path().join("broken-keyfence"),
        "cat >/dev/null\nexit 3",
    );
    let out = git_out(
        fx.path(),
        &["push", "-q", "origin", "topic"],
        &[env("KEYFENCE", broken)],
    );
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("could not check the push (exit code 3)"),
        "{stderr}"
    );
    assert!(!remote_has(remote.path(), "topic"));
}

// ---------------------------------------------------------------------------------------------
// End to end with the real `keyfence staged` and `keyfence pre-push`.

fn assert_commit_refused(fx: &Fixture, args: &[&str]) {
    let before = head(fx.path());
    let out = git_out(fx.path(), args, &[]);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    let all = text(&out);
    assert!(all.contains("aws-access-key"), "{all}");
    assert!(all.contains("the commit was stopped"), "{all}");
    assert!(!all.contains("could not check"), "{all}");
    assert_eq!(head(fx.path()), before, "a commit was made");
}

#[test]
fn installed_hook_refuses_a_commit_that_stages_a_credential() {
    let fx = repo();
    assert_ok(&install(fx.path(), &[]));
    let (creds, _, _) = credentials_file(11);
    fx.write("config/credentials", creds);
    fx.git(&["add", "config/credentials"]);
    assert_commit_refused(&fx, &["commit", "-q", "-m", "add config"]);
}

#[test]
fn installed_hook_lets_a_clean_commit_through() {
    let fx = repo();
    assert_ok(&install(fx.path(), &[]));
    fx.write("src/main.rs", "fn main() { println!(\"hello\"); }\n");
    fx.git(&["add", "src/main.rs"]);
    let before = head(fx.path());
    let out = git_out(fx.path(), &["commit", "-q", "-m", "hello"], &[]);
    assert_ok(&out);
    assert_ne!(head(fx.path()), before);
}

/// `git commit -a` and `git commit PATH` hand the hook a temporary index (GIT_INDEX_FILE); the
/// credential is only in that index, not in `.git/index`.
#[test]
fn commit_all_and_commit_with_a_path_are_checked_too() {
    let fx = repo();
    fx.write("app.ini", "[app]\nname = demo\n");
    fx.git(&["add", "app.ini"]);
    fx.git(&["commit", "-q", "-m", "app config"]);
    assert_ok(&install(fx.path(), &[]));
    let (creds, _, _) = credentials_file(12);
    fx.write("app.ini", format!("[app]\nname = demo\n{creds}"));
    assert_commit_refused(&fx, &["commit", "-q", "-a", "-m", "with keys"]);
    assert_commit_refused(&fx, &["commit", "-q", "-m", "with keys", "--", "app.ini"]);
}

#[test]
fn installed_hook_fails_closed_on_a_malformed_configuration() {
    let fx = repo();
    assert_ok(&install(fx.path(), &[]));
    fx.write(".keyfence.toml", "[allowlist\npaths = []\n");
    fx.write("notes.txt", "nothing secret\n");
    fx.git(&["add", "notes.txt"]);
    let before = head(fx.path());
    let out = git_out(fx.path(), &["commit", "-q", "-m", "notes"], &[]);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(".keyfence.toml"), "{stderr}");
    assert!(
        stderr.contains("could not check the commit (exit code 2)"),
        "{stderr}"
    );
    assert_eq!(head(fx.path()), before);
}

fn remote_has(remote: &Path, branch: &str) -> bool {
    git_out(
        remote,
        &[
            "rev-parse",
            "--verify",
            "-q",
            &format!("refs/heads/{branch}"),
        ],
        &[],
    )
    .status
    .success()
}

/// A repository and the bare repository that is its remote `origin`, which already has `main`.
fn repo_with_remote() -> (Fixture, Fixture) {
    let fx = repo();
    let remote = Fixture::new();
    git_in(remote.path(), &["init", "-q", "--bare"]);
    fx.git(&["remote", "add", "origin", remote.path().to_str().unwrap()]);
    fx.git(&["push", "-q", "origin", "main"]);
    (fx, remote)
}

#[test]
fn pre_push_refuses_a_branch_with_a_credential_in_its_history() {
    let (fx, remote) = repo_with_remote();
    assert_ok(&install(fx.path(), &["--pre-push"]));
    fx.git(&["checkout", "-q", "-b", "leak"]);
    let (creds, _, _) = credentials_file(13);
    fx.write("deploy/credentials", creds);
    fx.git(&["add", "deploy/credentials"]);
    fx.git(&["commit", "-q", "-m", "deploy keys"]);
    // Removed again at the tip: still in the history that would be pushed.
    fx.git(&["rm", "-q", "deploy/credentials"]);
    fx.git(&["commit", "-q", "-m", "remove keys"]);
    let out = git_out(fx.path(), &["push", "-q", "origin", "leak"], &[]);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    let all = text(&out);
    assert!(all.contains("aws-access-key"), "{all}");
    assert!(all.contains("the push was stopped"), "{all}");
    assert!(!all.contains("could not check"), "{all}");
    assert!(!remote_has(remote.path(), "leak"));
}

#[test]
fn pre_push_lets_a_clean_branch_through() {
    let (fx, remote) = repo_with_remote();
    assert_ok(&install(fx.path(), &["--pre-push"]));
    fx.git(&["checkout", "-q", "-b", "feature"]);
    fx.write("src/lib.rs", "pub fn answer() -> u32 { 42 }\n");
    fx.git(&["add", "src/lib.rs"]);
    fx.git(&["commit", "-q", "-m", "answer"]);
    let out = git_out(fx.path(), &["push", "-q", "origin", "feature"], &[]);
    assert_ok(&out);
    assert!(remote_has(remote.path(), "feature"));
    // And an update of an existing remote branch.
    fx.write("src/lib.rs", "pub fn answer() -> u32 { 43 }\n");
    fx.git(&["commit", "-q", "-a", "-m", "answer again"]);
    assert_ok(&git_out(
        fx.path(),
        &["push", "-q", "origin", "feature"],
        &[],
    ));
}

#[test]
fn pre_push_lets_a_remote_branch_be_deleted() {
    let (fx, remote) = repo_with_remote();
    // A branch with a credential that reached the remote before the hook was installed.
    fx.git(&["checkout", "-q", "-b", "old"]);
    let (creds, _, _) = credentials_file(14);
    fx.write("old/credentials", creds);
    fx.git(&["add", "old/credentials"]);
    fx.git(&["commit", "-q", "-m", "old keys"]);
    fx.git(&["push", "-q", "origin", "old"]);
    fx.git(&["checkout", "-q", "main"]);
    assert_ok(&install(fx.path(), &["--pre-push"]));
    let out = git_out(fx.path(), &["push", "-q", "origin", ":old"], &[]);
    assert_ok(&out);
    assert!(!remote_has(remote.path(), "old"));
}
