//! Archives: credentials inside zip, tar.gz, nested jars and Terraform plans are found in
//! directory, standard-input, staged and history modes at `archive!entry` paths; bombs, archives
//! nested too deep and corrupt archives are listed warnings naming the archive while the scan
//! goes on (read as far as they could be: errors only with `--strict`); `--no-archives` turns
//! it off. The archives are built in the tests.

use std::io::Write;
use std::path::Path;

use crate::common::*;
use crate::gitrepo::{findings, Repo};

/// A zip (deflated entries) holding `entries`.
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A gzip-compressed tar holding `entries`.
fn tar_gz_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut b = tar::Builder::new(gz);
    for (name, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap()
}

/// A Terraform plan file: a zip whose `tfstate` holds the credential in `text`.
fn tfplan_of(text: &str) -> Vec<u8> {
    zip_of(&[
        ("tfplan", b"\x0a\x05plan\x12\x00binary protobuf\x00"),
        (
            "tfconfig/main.tf",
            b"provider \"aws\" {\n  region = \"eu-west-1\"\n}\n",
        ),
        ("tfstate", text.as_bytes()),
    ])
}

/// `(path, line, key_id)` of each finding, sorted.
fn places(doc: &serde_json::Value) -> Vec<(String, u64, String)> {
    let mut v: Vec<_> = findings(doc)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or_default(),
                f["key_id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// The warnings of a JSON report (what was read only in part: every archive problem) as
/// `(path, message)`.
fn errors(doc: &serde_json::Value) -> Vec<(String, String)> {
    doc["warnings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap_or_default().to_string(),
                e["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// `keyfence scan DIR --format json` run in `dir`, with `extra` arguments.
fn scan_json(dir: &Path, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let out = keyfence_in(dir)
        .args(["scan", ".", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    (out.status.code(), json_report(&out.stdout))
}

/// The four archives of the issue, each holding the credential of its own seed, and the paths
/// and lines where it must be reported, with the key ID.
fn the_four(write: &dyn Fn(&str, Vec<u8>)) -> Vec<(String, u64, String)> {
    let (creds1, id1, _) = credentials_file(1);
    write(
        "dist/app.zip",
        zip_of(&[
            ("README.txt", b"hello\n"),
            ("config/credentials", creds1.as_bytes()),
        ]),
    );
    let (creds2, id2, _) = credentials_file(2);
    let env = format!("# app\nLOG=debug\n{creds2}");
    write(
        "backup/etc.tar.gz",
        tar_gz_of(&[("etc/motd", b"welcome\n"), ("etc/app.env", env.as_bytes())]),
    );
    let (creds3, id3, _) = credentials_file(3);
    let properties = format!("db.url=jdbc:x\n{creds3}");
    let jar = zip_of(&[
        ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
        ("config.properties", properties.as_bytes()),
    ]);
    write("release.zip", zip_of(&[("lib/inner.jar", &jar)]));
    let (id4, sk4) = (key_id("AKIA", 4), secret(4));
    let state = format!(
        "{{\n  \"version\": 4,\n  \"resources\": [{{\n    \"access_key\": \"{id4}\",\n    \
         \"secret_key\": \"{sk4}\"\n  }}]\n}}\n"
    );
    write("infra/plan.tfplan", tfplan_of(&state));
    let mut want = vec![
        ("dist/app.zip!config/credentials".to_string(), 2, id1),
        ("backup/etc.tar.gz!etc/app.env".to_string(), 4, id2),
        (
            "release.zip!lib/inner.jar!config.properties".to_string(),
            3,
            id3,
        ),
        ("infra/plan.tfplan!tfstate".to_string(), 4, id4),
    ];
    want.sort();
    want
}

#[test]
fn credentials_inside_zip_tar_gz_nested_jar_and_tfplan_are_found_in_dir_mode() {
    let fx = Fixture::new();
    let want = the_four(&|rel, bytes| {
        fx.write(rel, bytes);
    });
    let (code, doc) = scan_json(fx.path(), &[]);
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(places(&doc), want, "{doc}");
    assert_eq!(errors(&doc), vec![], "{doc}");
    for f in findings(&doc) {
        assert_eq!(f["rule_id"], "aws-access-key", "{f}");
    }
    // The text report shows the same paths.
    let out = fx.keyfence().args(["scan", "."]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for (path, line, _) in &want {
        assert!(text.contains(&format!("{path}:{line}:")), "{text}");
    }
    // And so do the other formats.
    let report = |format: &str| {
        let out = fx
            .keyfence()
            .args(["scan", ".", "--format", format])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let github = report("github");
    assert!(
        github.contains("file=release.zip!lib/inner.jar!config.properties,line=3"),
        "{github}"
    );
    let sarif = report("sarif");
    assert!(
        sarif.contains("\"uri\": \"dist/app.zip%21config/credentials\""),
        "{sarif}"
    );
    let jsonl = report("jsonl");
    assert!(
        jsonl.contains("\"path\":\"backup/etc.tar.gz!etc/app.env\""),
        "{jsonl}"
    );
}

#[test]
fn credentials_inside_archives_are_found_in_history_at_their_commit() {
    let repo = Repo::new();
    repo.write("README.md", "# project\n");
    repo.commit("initial");
    let want = the_four(&|rel, bytes| repo.write(rel, bytes));
    let added = repo.commit("add archives");
    std::fs::remove_dir_all(repo.path().join("dist")).unwrap();
    repo.commit("drop the zip");
    repo.git(&["gc", "-q"]); // packed: the pack-order prescan path
    let (code, doc, stderr) = repo.keyfence_json(&["history"]);
    assert_eq!(code, Some(1), "{stderr}{doc}");
    assert_eq!(places(&doc), want, "{doc}");
    assert_eq!(errors(&doc), vec![], "{doc}");
    for f in findings(&doc) {
        assert_eq!(f["commit"], added.as_str(), "{f}");
    }
    // Loose objects, and a range.
    let repo2 = Repo::new();
    repo2.write("README.md", "# project\n");
    let base = repo2.commit("initial");
    let want2 = the_four(&|rel, bytes| repo2.write(rel, bytes));
    repo2.commit("add archives");
    let (code, doc, stderr) = repo2.keyfence_json(&["history", &format!("{base}..HEAD")]);
    assert_eq!(code, Some(1), "{stderr}{doc}");
    assert_eq!(places(&doc), want2, "{doc}");
}

#[test]
fn a_credential_in_an_archive_has_the_fingerprint_of_the_plain_one() {
    let fx = Fixture::new();
    let (creds, _, _) = credentials_file(7);
    fx.write("plain/credentials", &creds);
    fx.write("zipped/c.zip", zip_of(&[("credentials", creds.as_bytes())]));
    fx.write(
        "tarred/c.tar.gz",
        tar_gz_of(&[("deep/credentials", creds.as_bytes())]),
    );
    let (code, doc) = scan_json(fx.path(), &[]);
    assert_eq!(code, Some(1));
    let fps: Vec<_> = findings(&doc)
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fps.len(), 3, "{doc}");
    assert!(fps.iter().all(|fp| *fp == fps[0]), "{fps:?}");
    // So a baseline of the plain file covers the archived copies too.
    fx.write(".keyfence.toml", "");
    let out = fx.keyfence().args(["baseline", "plain"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::rename(
        fx.path().join("plain/.keyfence-baseline.json"),
        fx.path().join(".keyfence-baseline.json"),
    )
    .unwrap();
    let (code, doc) = scan_json(fx.path(), &[]);
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["stats"]["suppressed_by"]["baseline"], 3, "{doc}");
}

/// 42.zip's shape: each level is a zip of 16 copies of the level below; the bottom holds
/// highly compressible data. Returns the outer zip.
fn bomb(levels: usize) -> Vec<u8> {
    let zeros = vec![0u8; 4 << 20];
    let names: Vec<String> = (0..16).map(|i| format!("{i:x}.dat")).collect();
    let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &zeros[..])).collect();
    let mut level = zip_of(&entries);
    for l in 0..levels {
        let names: Vec<String> = (0..16).map(|i| format!("{l}{i:x}.zip")).collect();
        let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &level[..])).collect();
        level = zip_of(&entries);
    }
    level
}

#[test]
fn a_zip_bomb_is_an_error_naming_it_and_the_scan_goes_on() {
    let fx = Fixture::new();
    let b = bomb(2);
    assert!(b.len() < 1 << 20, "{}", b.len()); // 16^3 x 4 MiB = 16 GiB expanded
    fx.write("downloads/42.zip", &b);
    fx.write(
        "downloads/42.tar.gz",
        tar_gz_of(&[("zeros", &vec![0u8; 64 << 20])]),
    );
    let (creds, id, _) = credentials_file(5);
    fx.write("config/credentials", &creds);
    let (code, doc) = scan_json(fx.path(), &[]);
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(
        places(&doc),
        vec![("config/credentials".to_string(), 2, id)],
        "{doc}"
    );
    let errs = errors(&doc);
    for bomb in ["downloads/42.zip", "downloads/42.tar.gz"] {
        assert!(
            errs.iter().any(|(p, m)| p == bomb
                && m.contains("archive limit reached")
                && m.contains("times its size")),
            "{bomb}: {errs:?}"
        );
    }
    assert_eq!(doc["errors"], serde_json::json!([]), "{doc}");
    // A limit reached alone is a warning (exit 0) named on stderr; with `--strict` an error.
    std::fs::remove_file(fx.path().join("config/credentials")).unwrap();
    let out = fx.keyfence().args(["scan", "."]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("downloads/42.zip"), "{stderr}");
    let out = fx
        .keyfence()
        .args(["scan", ".", "--strict"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn an_archive_nested_too_deep_is_an_error_naming_it_and_the_rest_is_scanned() {
    let fx = Fixture::new();
    let (c3, id3, _) = credentials_file(3);
    let (c4, _, _) = credentials_file(4);
    let level4 = zip_of(&[("four.txt", c4.as_bytes())]);
    let level3 = zip_of(&[("d.zip", &level4), ("three.txt", c3.as_bytes())]);
    let level2 = zip_of(&[("c.zip", &level3)]);
    fx.write("deep.zip", zip_of(&[("b.zip", &level2)]));
    let (code, doc) = scan_json(fx.path(), &[]);
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(
        places(&doc),
        vec![("deep.zip!b.zip!c.zip!three.txt".to_string(), 2, id3)],
        "{doc}"
    );
    let errs = errors(&doc);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].0, "deep.zip!b.zip!c.zip!d.zip");
    assert!(errs[0].1.contains("nested more than 3 levels"), "{errs:?}");
}

#[test]
fn corrupt_and_truncated_archives_are_errors_naming_them() {
    let fx = Fixture::new();
    let (creds, id, _) = credentials_file(6);
    let good = zip_of(&[("a.txt", b"x\n"), ("credentials", creds.as_bytes())]);
    // The central directory cut off: the zip cannot be opened.
    fx.write("cut.zip", &good[..good.len() / 2]);
    // A tar.gz cut in its second entry: the first entry is scanned, the second named.
    let tgz = tar_gz_of(&[("one.txt", b"fine\n"), ("two.txt", &vec![b'x'; 200_000])]);
    fx.write("cut.tar.gz", &tgz[..tgz.len() - 100]);
    // A deflate stream garbled inside an entry whose header is fine.
    let mut garbled = zip_of(&[("g.txt", &vec![b'y'; 100_000])]);
    for b in &mut garbled[40..60] {
        *b ^= 0x5a;
    }
    fx.write("garbled.zip", &garbled);
    fx.write("ok.zip", &good);
    let (code, doc) = scan_json(fx.path(), &[]);
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(
        places(&doc),
        vec![("ok.zip!credentials".to_string(), 2, id)]
    );
    let errs = errors(&doc);
    assert!(
        errs.iter()
            .any(|(p, m)| p == "cut.zip" && m.contains("cannot read the zip archive")),
        "{errs:?}"
    );
    assert!(
        errs.iter().any(|(p, _)| p.starts_with("cut.tar.gz")),
        "{errs:?}"
    );
    assert!(
        errs.iter().any(|(p, _)| p == "garbled.zip!g.txt"),
        "{errs:?}"
    );
}

#[test]
fn no_archives_turns_it_off_in_scan_and_history() {
    let repo = Repo::new();
    let (creds, _, _) = credentials_file(8);
    repo.write("app.zip", zip_of(&[("credentials", creds.as_bytes())]));
    repo.commit("zip");
    let (code, doc) = scan_json(repo.path(), &["--no-archives"]);
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["stats"]["binary_skipped"], 1, "{doc}");
    let (code, doc, _) = repo.keyfence_json(&["history", "--no-archives"]);
    assert_eq!(code, Some(0), "{doc}");
    let (code, doc, _) = repo.keyfence_json(&["history"]);
    assert_eq!(code, Some(1), "{doc}");
}

#[test]
fn standard_input_and_staged_see_into_archives() {
    let repo = Repo::new();
    repo.write("README.md", "# project\n");
    repo.commit("initial");
    let (creds, id, _) = credentials_file(9);
    let zip = zip_of(&[("conf/credentials", creds.as_bytes())]);
    let mut child = repo
        .fx
        .keyfence()
        .args(["scan", "-", "--format", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&zip).unwrap();
    let out = child.wait_with_output().unwrap();
    let doc = json_report(&out.stdout);
    assert_eq!(
        places(&doc),
        vec![("<stdin>!conf/credentials".to_string(), 2, id.clone())]
    );
    repo.write("dist/app.whl", &zip);
    repo.git(&["add", "dist/app.whl"]);
    let (code, doc, _) = repo.keyfence_json(&["staged"]);
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(
        places(&doc),
        vec![("dist/app.whl!conf/credentials".to_string(), 2, id)]
    );
}

#[test]
fn the_pre_commit_hook_blocks_a_staged_zip_holding_a_credential() {
    let repo = Repo::new();
    repo.write("README.md", "# project\n");
    repo.commit("initial");
    let out = repo.fx.keyfence().arg("install").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (creds, _, _) = credentials_file(10);
    repo.write(
        "build/site.war",
        zip_of(&[("WEB-INF/app.properties", creds.as_bytes())]),
    );
    repo.git(&["add", "build/site.war"]);
    let before = repo.head();
    let out = repo.git_output(&["commit", "-q", "-m", "add the war"]);
    assert_ne!(out.status.code(), Some(0));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        all.contains("build/site.war!WEB-INF/app.properties"),
        "{all}"
    );
    assert_eq!(repo.head(), before, "a commit was made");
}

#[test]
fn allowlist_paths_apply_to_the_archive_and_to_entry_paths() {
    let fx = Fixture::new();
    let (c1, _, _) = credentials_file(11);
    let (c2, _, _) = credentials_file(12);
    let (c3, id3, _) = credentials_file(13);
    let jar = zip_of(&[("config.properties", c2.as_bytes())]);
    fx.write("vendor/lib.zip", zip_of(&[("c", c1.as_bytes())]));
    fx.write(
        "app.zip",
        zip_of(&[("lib/inner.jar", &jar), ("test/fixture.env", c3.as_bytes())]),
    );
    fx.write(
        ".keyfence.toml",
        "[allowlist]\npaths = ['vendor/', 'app.zip!lib/*.jar']\n",
    );
    let (code, doc) = scan_json(fx.path(), &[]);
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(
        places(&doc),
        vec![("app.zip!test/fixture.env".to_string(), 2, id3)]
    );
    fx.write(
        ".keyfence.toml",
        "[allowlist]\npaths = ['app.zip!test/*.env']\n",
    );
    let (_, doc) = scan_json(fx.path(), &[]);
    let paths: Vec<_> = places(&doc).into_iter().map(|p| p.0).collect();
    assert_eq!(
        paths,
        vec![
            "app.zip!lib/inner.jar!config.properties",
            "vendor/lib.zip!c"
        ]
    );
}

/// Runs a system tool in `dir`; panics when it fails.
fn run_in(dir: &Path, program: &str, args: &[&str]) {
    let out = std::process::Command::new(program)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn bzip2_xz_and_plain_gzip_streams_are_seen_through() {
    let fx = Fixture::new();
    let src = Fixture::new();
    let (c1, id1, _) = credentials_file(21);
    let (c2, id2, _) = credentials_file(22);
    let (c3, id3, _) = credentials_file(23);
    src.write("etc/one.env", &c1);
    src.write("etc/two.env", &c2);
    let out = |name: &str| fx.path().join(name).display().to_string();
    run_in(
        src.path(),
        "tar",
        &["cjf", &out("one.tar.bz2"), "etc/one.env"],
    );
    run_in(src.path(), "tar", &["cJf", &out("two.txz"), "etc/two.env"]);
    // A gzip stream of text (no tar): reported at its own path, lines of the text.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(format!("line\nline\n{c3}").as_bytes())
        .unwrap();
    fx.write("logs/app.log.gz", gz.finish().unwrap());
    let (code, doc) = scan_json(fx.path(), &[]);
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(
        places(&doc),
        vec![
            ("logs/app.log.gz".to_string(), 4, id3),
            ("one.tar.bz2!etc/one.env".to_string(), 2, id1),
            ("two.txz!etc/two.env".to_string(), 2, id2),
        ],
        "{doc}"
    );
    assert_eq!(errors(&doc), vec![], "{doc}");
}

/// A file over 32 MiB (read in chunks when it is text) is expanded from the file.
#[test]
fn an_archive_larger_than_a_chunk_is_expanded_from_the_file() {
    let fx = Fixture::new();
    let (creds, id, _) = credentials_file(24);
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    w.start_file("big.bin", stored).unwrap();
    let block: Vec<u8> = (0..1u32 << 20)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    for _ in 0..33 {
        w.write_all(&block).unwrap();
    }
    w.start_file("conf/credentials", stored).unwrap();
    w.write_all(creds.as_bytes()).unwrap();
    let bytes = w.finish().unwrap().into_inner();
    assert!(bytes.len() > 33 << 20);
    fx.write("big.zip", &bytes);
    let (code, doc) = scan_json(fx.path(), &[]);
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(
        places(&doc),
        vec![("big.zip!conf/credentials".to_string(), 2, id)]
    );
    assert_eq!(doc["stats"]["binary_skipped"], 1, "{doc}");
}

#[test]
fn the_archives_table_of_the_configuration_sets_the_limits() {
    let fx = Fixture::new();
    let (creds, id, _) = credentials_file(31);
    let jar = zip_of(&[("config.properties", creds.as_bytes())]);
    fx.write("release.zip", zip_of(&[("lib/inner.jar", &jar)]));
    fx.write(".keyfence.toml", "[archives]\nmax_depth = 1\n");
    let (code, doc) = scan_json(fx.path(), &[]);
    // The limit reached is a warning: the exit code is the findings' (none).
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(
        errors(&doc),
        vec![(
            "release.zip!lib/inner.jar".to_string(),
            "zip archive nested more than 1 levels deep: not expanded".to_string()
        )]
    );
    fx.write(".keyfence.toml", "[archives]\nmax_depth = 2\n");
    let (code, doc) = scan_json(fx.path(), &[]);
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(
        places(&doc),
        vec![(
            "release.zip!lib/inner.jar!config.properties".to_string(),
            2,
            id
        )]
    );
    fx.write(".keyfence.toml", "[archives]\nenabled = false\n");
    let (code, doc) = scan_json(fx.path(), &[]);
    assert_eq!(code, Some(0), "{doc}");
    fx.write(".keyfence.toml", "[archives]\nmax_ratio = 0\n");
    let out = fx.keyfence().args(["scan", "."]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("archives.max_ratio must be between 1"),
        "{stderr}"
    );
}

/// A range and a staged change report only what they added inside an archive: a credential the
/// base version of the same archive already held is not reported again.
#[test]
fn ranges_and_staged_changes_report_only_what_an_archive_gained() {
    let repo = Repo::new();
    let (old, _, _) = credentials_file(41);
    let (new, new_id, _) = credentials_file(42);
    repo.write("app.jar", zip_of(&[("old.properties", old.as_bytes())]));
    let base = repo.commit("jar");
    let both = zip_of(&[
        ("old.properties", old.as_bytes()),
        ("new.properties", new.as_bytes()),
    ]);
    repo.write("app.jar", &both);
    repo.git(&["add", "app.jar"]);
    let (code, doc, _) = repo.keyfence_json(&["staged"]);
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(
        places(&doc),
        vec![("app.jar!new.properties".to_string(), 2, new_id.clone())]
    );
    assert_eq!(doc["stats"]["preexisting"], 1, "{doc}");
    repo.commit_staged("more");
    let (code, doc, _) = repo.keyfence_json(&["history", &format!("{base}..HEAD")]);
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(
        places(&doc),
        vec![("app.jar!new.properties".to_string(), 2, new_id)]
    );
}

#[test]
fn a_utf16_entry_and_a_base64_value_inside_a_zip_are_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let (creds, id, _) = credentials_file(41);
    let mut utf16 = vec![0xFF, 0xFE];
    for u in creds.encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    let (creds2, id2, _) = credentials_file(42);
    let encoded = keyfence::synthetic::base64_encode(creds2.as_bytes());
    let secret_yaml = format!("apiVersion: v1\nkind: Secret\ndata:\n  credentials: {encoded}\n");
    std::fs::write(
        dir.path().join("bundle.zip"),
        zip_of(&[
            ("win/creds.txt", utf16.as_slice()),
            ("k8s/secret.yaml", secret_yaml.as_bytes()),
        ]),
    )
    .unwrap();
    let (code, doc) = scan_json(dir.path(), &[]);
    assert_eq!(code, Some(1), "{doc:#}");
    let fs = findings(&doc);
    let decoded_of = |id: &str| -> Vec<String> {
        fs.iter()
            .find(|f| f["key_id"] == id)
            .unwrap_or_else(|| panic!("{id} not found: {doc:#}"))["decoded"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(decoded_of(&id), ["utf-16le"]);
    assert_eq!(decoded_of(&id2), ["base64"]);
    let paths: Vec<&str> = fs.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert!(paths.contains(&"bundle.zip!win/creds.txt"), "{paths:?}");
    assert!(paths.contains(&"bundle.zip!k8s/secret.yaml"), "{paths:?}");
}
