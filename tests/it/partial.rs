//! Content read only in part is a warning, not a failed gate: a truncated tar (git/git ships
//! one as a fixture, t/t5000/huge-and-future.tar) gives exit 0 by findings alone, with the
//! warning listed and counted in every format; `--strict` and `strict = true` make it an error
//! (exit 2). A file that cannot be read at all stays an error.

use crate::common::*;
use crate::gitrepo::{findings, Repo};

/// A plain tar whose second entry is cut off in its data, as git's fixture is.
fn truncated_tar() -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in [
        ("one.txt", vec![b'a'; 100]),
        ("big.bin", vec![0u8; 100_000]),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, &data[..]).unwrap();
    }
    let mut tar = b.into_inner().unwrap();
    tar.truncate(50_000);
    tar
}

fn repo_with_truncated_tar() -> Repo {
    let repo = Repo::new();
    repo.write("t/fixture.tar", truncated_tar());
    repo.write("README", "nothing here\n");
    repo.commit("a truncated tar fixture");
    repo
}

#[test]
fn a_truncated_tar_in_history_is_a_warning_and_an_error_with_strict() {
    let repo = repo_with_truncated_tar();
    let (code, doc, stderr) = repo.keyfence_json(&["history"]);
    assert_eq!(code, Some(0), "{stderr}{doc}");
    assert_eq!(doc["errors"], serde_json::json!([]), "{doc}");
    let warnings = doc["warnings"].as_array().cloned().unwrap_or_default();
    assert_eq!(warnings.len(), 1, "{doc}");
    assert_eq!(warnings[0]["path"], "t/fixture.tar", "{doc}");
    assert!(
        warnings[0]["message"]
            .as_str()
            .unwrap()
            .contains("cannot read the tar archive"),
        "{doc}"
    );
    assert_eq!(doc["stats"]["warnings"], 1, "{doc}");
    assert_eq!(doc["stats"]["errors"], 0, "{doc}");
    assert!(stderr.contains("t/fixture.tar"), "{stderr}");
    assert!(stderr.contains("--strict"), "{stderr}");

    // --strict: the same part is an error, exit 2.
    let (code, doc, _) = repo.keyfence_json(&["history", "--strict"]);
    assert_eq!(code, Some(2), "{doc}");
    assert_eq!(doc["errors"][0]["path"], "t/fixture.tar", "{doc}");
    assert_eq!(doc["warnings"], serde_json::json!([]), "{doc}");
    assert_eq!(doc["stats"]["errors"], 1, "{doc}");

    // `strict = true` in the configuration does the same.
    repo.write(".keyfence.toml", "strict = true\n");
    let (code, doc, _) = repo.keyfence_json(&["history"]);
    assert_eq!(code, Some(2), "{doc}");
    assert_eq!(doc["stats"]["errors"], 1, "{doc}");
}

#[test]
fn a_warning_leaves_findings_their_exit_code_and_shows_in_every_format() {
    let repo = repo_with_truncated_tar();
    let (creds, id, _) = credentials_file(29);
    repo.write("config/credentials", &creds);
    repo.commit("add credentials");
    let (code, doc, _) = repo.keyfence_json(&["history"]);
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(findings(&doc)[0]["key_id"], id.as_str());
    assert_eq!(doc["stats"]["warnings"], 1, "{doc}");

    let run = |format: &str| {
        let out = repo.keyfence_exit(&["history", "--format", format], 1);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let text = run("text");
    assert_contains(&text, "WARNING t/fixture.tar");
    assert_contains(&text, "1 read in part");
    let sarif: serde_json::Value = serde_json::from_str(&run("sarif")).unwrap();
    let inv = &sarif["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], true, "{inv}");
    let notes = inv["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{inv}");
    assert_eq!(notes[0]["level"], "warning", "{inv}");
    assert_contains(
        &run("github"),
        "::warning file=t/fixture.tar,title=keyfence read this in part::",
    );
    let md = run("markdown");
    assert_contains(&md, "\n### Read in part\n");
    assert_contains(&md, "\n- t/fixture.tar: cannot read the tar archive");
    let html = run("html");
    assert_contains(
        &html,
        "<section class=\"card\" id=\"warnings\"><h2>Read in part</h2>",
    );
    assert_contains(
        &html,
        "<li><span class=\"mono\">t/fixture.tar</span>: cannot read the tar archive",
    );
}

#[test]
fn a_warning_about_a_hostile_name_is_escaped_in_html_and_markdown() {
    let repo = Repo::new();
    let name = "t/<img src=x onerror=alert(1)>|[x](y)\x1b[31m.tar";
    repo.write(name, truncated_tar());
    repo.commit("a truncated tar with a hostile name");
    let run = |format: &str| {
        let out = repo.keyfence_exit(&["history", "--format", format], 0);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let html = run("html");
    assert_contains(
        &html,
        "<span class=\"mono\">t/&lt;img src=x onerror=alert(1)&gt;|[x](y)?[31m.tar</span>",
    );
    let md = run("markdown");
    assert_contains(
        &md,
        "- t/&lt;img src=x onerror=alert\\(1\\)&gt;\\|\\[x\\]\\(y\\)?\\[31m.tar: cannot read",
    );
    for page in [&html, &md] {
        assert!(!page.contains("<img") && !page.contains('\x1b'), "{page}");
    }
}

#[test]
fn a_truncated_tar_on_disk_is_a_warning_and_an_unreadable_file_an_error() {
    let fx = Fixture::new();
    fx.write("fixture.tar", truncated_tar());
    let scan = || {
        let out = fx
            .keyfence()
            .args(["scan", ".", "--format", "json"])
            .output()
            .unwrap();
        (out.status.code(), json_report(&out.stdout))
    };
    let (code, doc) = scan();
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["stats"]["warnings"], 1, "{doc}");
    // A file that cannot be read at all is still an error.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let p = fx.write("locked.txt", "x\n");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
        if std::fs::read(&p).is_err() {
            let (code, doc) = scan();
            assert_eq!(code, Some(2), "{doc}");
            assert_eq!(doc["errors"][0]["path"], "locked.txt", "{doc}");
        }
    }
}

/// A depth-1 clone of a repository with two branches (`--no-single-branch`): two boundary
/// commits. `history` scans what the clone holds and says once that history before them was
/// not scanned, with their count: a warning (exit 0), an error with `--strict`.
#[test]
fn a_depth_1_clone_reports_its_boundary_once_with_the_count() {
    let r = Repo::new();
    for i in 0..4 {
        r.write("a.txt", format!("{i}\n"));
        r.commit(&format!("c{i}"));
    }
    r.git(&["checkout", "-q", "-b", "side", "HEAD~2"]);
    r.write("b.txt", "b\n");
    r.commit("side");
    r.git(&["checkout", "-q", "main"]);
    let (_clone, c) = r.shallow_clone(1);
    let doc = run_json(keyfence_in(&c).args(["history", "--format", "json"]), 0);
    let warnings = doc["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{doc}");
    let message = warnings[0]["message"].as_str().unwrap();
    assert!(
        message.contains("shallow clone") && message.contains("2 boundary commits"),
        "{message}"
    );
    run_exit(keyfence_in(&c).args(["history", "--strict"]), 2);
}
