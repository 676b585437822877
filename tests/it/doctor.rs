//! `keyfence doctor` on real clones: with keyfence's hook, without, shadowed by `core.hooksPath`
//! (local, global, Husky), with a foreign hook, with the pre-commit framework, with a hook that
//! runs another keyfence, and with a broken configuration.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

use crate::common::*;

fn repo() -> Fixture {
    let fx = Fixture::new();
    fx.git(&["init", "-q", "-b", "main"]);
    fx
}

fn doctor(dir: &Path) -> (Option<i32>, String) {
    let out: Output = keyfence_in(dir).arg("doctor").output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

fn install(dir: &Path, args: &[&str]) {
    let out = keyfence_in(dir).arg("install").args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

fn write_exec(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn problems(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.starts_with("problem:")).collect()
}

#[test]
fn a_clone_with_the_hook_is_protected() {
    let fx = repo();
    install(fx.path(), &[]);
    let (code, text) = doctor(fx.path());
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("ok: the keyfence pre-commit hook is installed"),
        "{text}"
    );
    assert!(text.contains("note: no keyfence pre-push hook"), "{text}");
    assert!(text.contains("this clone is protected"), "{text}");
    install(fx.path(), &["--pre-push"]);
    let (code, text) = doctor(fx.path());
    assert_eq!(code, Some(0), "{text}");
    assert!(!text.contains("note: no keyfence pre-push hook"), "{text}");
}

#[test]
fn a_clone_without_the_hook_is_not() {
    let fx = repo();
    let (code, text) = doctor(fx.path());
    assert_eq!(code, Some(1), "{text}");
    let p = problems(&text);
    assert_eq!(p.len(), 1, "{text}");
    assert!(p[0].contains("no pre-commit hook"), "{text}");
    assert!(p[0].ends_with("fix: keyfence install"), "{text}");
}

#[test]
fn a_hook_shadowed_by_core_hooks_path_is_found_at_every_level() {
    let fx = repo();
    install(fx.path(), &[]);
    fx.git(&["config", "core.hooksPath", ".githooks"]);
    let (code, text) = doctor(fx.path());
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("is shadowed: core.hooksPath (local) is \".githooks\""),
        "{text}"
    );
    assert!(text.contains("git config --unset core.hooksPath"), "{text}");

    // Global (HOME is the fixture for both git and keyfence).
    fx.git(&["config", "--unset", "core.hooksPath"]);
    fx.git(&["config", "--global", "core.hooksPath", "~/global-hooks"]);
    let (code, text) = doctor(fx.path());
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("core.hooksPath (global)"), "{text}");
    assert!(
        text.contains("git config --global --unset core.hooksPath"),
        "{text}"
    );

    // Installing follows core.hooksPath: protected again.
    install(fx.path(), &[]);
    let (code, text) = doctor(fx.path());
    assert_eq!(code, Some(0), "{text}");
}

#[test]
fn husky_and_lefthook_hooks_must_run_keyfence() {
    let fx = repo();
    fx.git(&["config", "core.hooksPath", ".husky/_"]);
    write_exec(
        &fx.path().join(".husky/_/pre-commit"),
        "#!/usr/bin/env sh\n. \"$(dirname \"$0\")/h\"\n",
    );
    fx.write(".husky/pre-commit", "npm test\n");
    let (code, text) = doctor(fx.path());
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("Husky runs"), "{text}");
    assert!(text.contains("echo 'keyfence staged' >>"), "{text}");
    fx.write(".husky/pre-commit", "npm test\nkeyfence staged\n");
    let (code, text) = doctor(fx.path());
    assert_eq!(code, Some(0), "{text}");

    let fx = repo();
    write_exec(
        &fx.path().join(".git/hooks/pre-commit"),
        "#!/bin/sh\n# lefthook hook\nexec lefthook run pre-commit \"$@\"\n",
    );
    let (code, text) = doctor(fx.path());
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("no lefthook configuration runs keyfence"),
        "{text}"
    );
    fx.write(
        "lefthook.yml",
        "pre-commit:\n  commands:\n    keyfence:\n      run: keyfence staged\n",
    );
    let (code, text) = doctor(fx.path());
    assert_eq!(code, Some(0), "{text}");
}

#[test]
fn a_foreign_hook_is_not_protection() {
    let fx = repo();
    write_exec(
        &fx.path().join(".git/hooks/pre-commit"),
        "#!/bin/sh\nexec make lint\n",
    );
    let (code, text) = doctor(fx.path());
    assert_eq!(code, Some(1), "{text}");
    let p = problems(&text);
    assert_eq!(p.len(), 1, "{text}");
    assert!(p[0].contains("another tool's hook"), "{text}");
    assert!(p[0].contains("keyfence install --force"), "{text}");

    std::fs::set_permissions(
        fx.path().join(".git/hooks/pre-commit"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let (_, text) = doctor(fx.path());
    assert!(text.contains("is not executable"), "{text}");
}

#[test]
fn the_pre_commit_framework() {
    let fx = repo();
    let framework_hook =
        "#!/usr/bin/env bash\n# File generated by pre-commit: https://pre-commit.com\nexec pre-commit\n";
    // The configuration without the framework's hook installed.
    fx.write(
        ".pre-commit-config.yaml",
        "repos:\n  - repo: local\n    hooks:\n      - id: keyfence\n        name: keyfence\n        entry: keyfence staged\n        language: system\n",
    );
    let (code, text) = doctor(fx.path());
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("fix: pre-commit install"), "{text}");

    write_exec(&fx.path().join(".git/hooks/pre-commit"), framework_hook);
    let (code, text) = doctor(fx.path());
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("pre-commit framework's, and .pre-commit-config.yaml runs keyfence"),
        "{text}"
    );

    fx.write(
        ".pre-commit-config.yaml",
        "repos:\n  - repo: https://github.com/psf/black\n    hooks:\n      - id: black\n",
    );
    let (code, text) = doctor(fx.path());
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("has no keyfence hook"), "{text}");
}

#[test]
fn a_hook_running_another_keyfence_or_a_broken_configuration() {
    let fx = repo();
    install(fx.path(), &[]);
    let hook = fx.path().join(".git/hooks/pre-commit");
    let old = fx.path().join("old-keyfence");
    write_exec(&old, "#!/bin/sh\necho 'keyfence 0.0.1'\n");
    let script = std::fs::read_to_string(&hook).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("keyfence");
    let script = script.replace(bin.to_str().unwrap(), old.to_str().unwrap());
    write_exec(&hook, &script);
    let (code, text) = doctor(fx.path());
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("(keyfence 0.0.1), not this keyfence"),
        "{text}"
    );

    let gone = script.replace(old.to_str().unwrap(), "/nonexistent/keyfence");
    write_exec(&hook, &gone);
    let (_, text) = doctor(fx.path());
    assert!(
        text.contains("/nonexistent/keyfence, which cannot be run"),
        "{text}"
    );

    install(fx.path(), &[]);
    fx.write(".keyfence.toml", "colour = 1\n");
    let (code, text) = doctor(fx.path());
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("the configuration is invalid"), "{text}");
    assert!(text.contains("unknown field `colour`"), "{text}");
}

#[test]
fn outside_a_repository_is_an_error() {
    let fx = Fixture::new();
    let (code, text) = doctor(fx.path());
    assert_eq!(code, Some(2), "{text}");
}
