//! `keyfence ci`: the range worked out from simulated GitHub Actions and GitLab CI environments
//! on real repositories; only what the pull request or push introduced is reported.

use std::path::Path;
use std::process::Output;

use crate::common::*;
use crate::gitrepo::*;

/// main holds an old leak; branch `pr` edits that file and introduces one new credential.
struct PullRequest {
    repo: Repo,
    base: String,
    head: String,
    new_key_id: String,
}

fn pull_request() -> PullRequest {
    let repo = Repo::new();
    let (old, _) = pair(50);
    repo.write("legacy.env", &old);
    let base = repo.commit("old leak on main");
    repo.git(&["checkout", "-q", "-b", "pr"]);
    repo.write("legacy.env", format!("# reviewed\n{old}"));
    repo.commit("touch the old file");
    let (new, new_key_id) = pair(51);
    repo.write("deploy/new.env", &new);
    let head = repo.commit("new leak");
    PullRequest {
        repo,
        base,
        head,
        new_key_id,
    }
}

fn ci(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = keyfence_in(dir);
    cmd.arg("ci").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn event_file(fx: &Fixture, json: &str) -> String {
    fx.write("event.json", json).display().to_string()
}

fn only_the_new_credential(pr: &PullRequest, out: &Output) {
    let doc = json_report(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{doc} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        summary(&doc),
        vec![(
            "aws-access-key".into(),
            "deploy/new.env".into(),
            pr.head.clone()
        )]
    );
    assert_eq!(findings(&doc)[0]["key_id"], pr.new_key_id.as_str());
}

#[test]
fn github_pull_request_events_scan_base_to_head() {
    let pr = pull_request();
    let events = Fixture::new();
    let path = event_file(
        &events,
        &format!(
            r#"{{"pull_request":{{"base":{{"sha":"{}"}},"head":{{"sha":"{}"}}}}}}"#,
            pr.base, pr.head
        ),
    );
    let env = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_EVENT_NAME", "pull_request"),
        ("GITHUB_EVENT_PATH", path.as_str()),
        ("GITHUB_BASE_REF", "main"),
    ];
    let out = ci(pr.repo.path(), &env, &["--format", "json"]);
    only_the_new_credential(&pr, &out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("GitHub pull_request"));
    // SARIF carries the commit; annotations point at the file.
    let out = ci(pr.repo.path(), &env, &["--format", "sarif"]);
    let sarif = json_report(&out.stdout);
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["properties"]["commit"], pr.head.as_str());
    let out = ci(pr.repo.path(), &env, &["--format", "github"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("::error file=deploy/new.env,line=2"),
        "{text}"
    );
}

#[test]
fn github_push_events_scan_before_to_after_and_new_branches_against_the_default_branch() {
    let pr = pull_request();
    let events = Fixture::new();
    let push = event_file(
        &events,
        &format!(r#"{{"before":"{}","after":"{}"}}"#, pr.base, pr.head),
    );
    let env = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_EVENT_NAME", "push"),
        ("GITHUB_EVENT_PATH", push.as_str()),
    ];
    only_the_new_credential(&pr, &ci(pr.repo.path(), &env, &["--format", "json"]));

    // A new branch: `before` is all zeros; compared with origin/<default branch> in a clone.
    let clones = Fixture::new();
    let url = format!("file://{}", pr.repo.path().display());
    git_in(
        clones.path(),
        &["clone", "-q", "--no-single-branch", &url, "c"],
    );
    let clone = clones.path().join("c");
    git_in(&clone, &["checkout", "-q", "pr"]);
    let zeros = "0".repeat(40);
    let new_branch = event_file(
        &events,
        &format!(
            r#"{{"before":"{zeros}","after":"{}","repository":{{"default_branch":"main"}}}}"#,
            pr.head
        ),
    );
    let env = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_EVENT_NAME", "push"),
        ("GITHUB_EVENT_PATH", new_branch.as_str()),
    ];
    only_the_new_credential(&pr, &ci(&clone, &env, &["--format", "json"]));
}

#[test]
fn gitlab_merge_requests_and_an_explicit_base() {
    let pr = pull_request();
    let env = [
        ("GITLAB_CI", "true"),
        ("CI_MERGE_REQUEST_DIFF_BASE_SHA", pr.base.as_str()),
        ("CI_COMMIT_SHA", pr.head.as_str()),
    ];
    only_the_new_credential(&pr, &ci(pr.repo.path(), &env, &["--format", "json"]));
    only_the_new_credential(
        &pr,
        &ci(pr.repo.path(), &[], &["--base", "main", "--format", "json"]),
    );
    // Nothing to go by: exit 2, and the message says what to pass.
    let out = ci(pr.repo.path(), &[], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--base"));
    // A pull request that introduced nothing passes.
    let out = ci(pr.repo.path(), &[], &["--base", "pr"]);
    assert_eq!(out.status.code(), Some(0));
}

/// A depth-1 clone of the pull request's branch (as `actions/checkout` makes), in a temporary
/// directory that lives as long as the fixture returned.
fn depth_1_clone(pr: &PullRequest) -> (Fixture, std::path::PathBuf) {
    let clones = Fixture::new();
    let url = format!("file://{}", pr.repo.path().display());
    git_in(
        clones.path(),
        &["clone", "-q", "--depth", "1", "-b", "pr", &url, "c"],
    );
    let clone = clones.path().join("c");
    (clones, clone)
}

#[test]
fn a_shallow_clone_without_the_base_fails_and_says_fetch_depth_0() {
    let pr = pull_request();
    let (_clones, clone) = depth_1_clone(&pr);
    let env = [
        ("GITLAB_CI", "true"),
        ("CI_MERGE_REQUEST_DIFF_BASE_SHA", pr.base.as_str()),
        ("CI_COMMIT_SHA", pr.head.as_str()),
    ];
    let out = ci(&clone, &env, &["--format", "sarif"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("fetch-depth: 0") && err.contains("GIT_DEPTH: 0"),
        "{err}"
    );
    assert!(
        out.stdout.is_empty(),
        "no report from a scan that did not run"
    );
}

/// The command a shallow checkout is told to run fetches what the range needs: after it, the
/// same `keyfence ci` scans the range and finds only what it introduced.
#[test]
fn the_printed_fetch_command_makes_a_shallow_clone_scannable() {
    let pr = pull_request();
    // main moves on after the branch point: the base is the tip of main, as GitHub sends it.
    pr.repo.git(&["checkout", "-q", "main"]);
    pr.repo.write("later.txt", "later\n");
    let base = pr.repo.commit("main moves on");
    pr.repo.git(&["checkout", "-q", "pr"]);
    let (_clones, clone) = depth_1_clone(&pr);
    let env = [
        ("GITLAB_CI", "true"),
        ("CI_MERGE_REQUEST_DIFF_BASE_SHA", base.as_str()),
        ("CI_COMMIT_SHA", pr.head.as_str()),
    ];
    let out = ci(&clone, &env, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let command = err
        .split('`')
        .find(|part| part.starts_with("until git merge-base"))
        .unwrap_or_else(|| panic!("no fetch command in {err}"));
    assert!(
        command.contains(&base) && command.contains(&pr.head),
        "{command}"
    );
    // The base alone (`git fetch --depth=1 origin BASE`) is not enough: the head's history
    // still ends at the clone's edge; the same command is given.
    git_in(
        &clone,
        &["fetch", "-q", "--no-tags", "--depth=1", "origin", &base],
    );
    let out = ci(&clone, &env, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let again = String::from_utf8_lossy(&out.stderr);
    assert!(
        again.contains("edge of this shallow clone") && again.contains(command),
        "{again}"
    );
    let ran = std::process::Command::new("sh")
        .args(["-c", command])
        .current_dir(&clone)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &clone)
        .output()
        .unwrap();
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let out = ci(&clone, &env, &["--format", "json"]);
    only_the_new_credential(&pr, &out);
}
